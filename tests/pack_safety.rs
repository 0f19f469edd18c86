//! Issue 9, sections 1 and 4: a pack is never lost or left behind (overwrite
//! refusals, OS locks, killed steps, duplicate names, read limits, signed
//! manifests, escaped output, fully checked attachments), and the bundle and
//! the messages read right (plurals, did-you-mean, `--data -`, `--set`
//! positions, columns, page counts, the bundle's document choice and page
//! numbers, `--json`).

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::{pdf_text, root, squash};

const KEY: &str = "office-key-0123456789abcdef";

fn fixture(rel: &str) -> String {
    root()
        .join("fixtures/packs")
        .join(rel)
        .display()
        .to_string()
}

/// The CLI in `dir`, with no office key from the environment.
fn lk(dir: &Path) -> Command {
    let mut c = crate::common::letterkit(dir);
    c.env_remove("LETTERKIT_PACK_KEY")
        .env_remove("LETTERKIT_PACK_KEY_FILE")
        .env_remove("LETTERKIT_TEST_KILL_AT");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    lk(dir).args(args).output().expect("letterkit runs")
}

fn run_key(dir: &Path, key: &str, args: &[&str]) -> Output {
    lk(dir)
        .env("LETTERKIT_PACK_KEY", key)
        .args(args)
        .output()
        .expect("letterkit runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", stderr(o));
    stdout(o)
}

/// Asserts exit `code`; returns stderr.
fn code(o: &Output, code: i32) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    stderr(o)
}

const UNSIGNED: &str = "warning: the pack is unsigned: an edit to its manifest cannot be detected; to sign packs, set LETTERKIT_PACK_KEY or LETTERKIT_PACK_KEY_FILE, or give --key-file FILE\n";

fn create_commitment(d: &Path) {
    ok(&run(
        d,
        &[
            "pack",
            "create",
            "commitment",
            "pack.zip",
            "--date",
            "2026-03-02",
            "--data",
            &fixture("commitment/create.yaml"),
        ],
    ));
}

fn hearing_args() -> Vec<String> {
    [
        "pack",
        "step",
        "pack.zip",
        "hearing",
        "--date",
        "2026-03-09",
        "--data",
        &fixture("commitment/hearing.yaml"),
    ]
    .map(String::from)
    .to_vec()
}

fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn temps(d: &Path) -> Vec<String> {
    names(d)
        .into_iter()
        .filter(|n| n.ends_with(".tmp") || n.contains(".tmp-"))
        .collect()
}

/// The zip's entries, in order.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("pack");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("read");
            (f.name().expect("name").to_string(), b)
        })
        .collect()
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (n, b) in entries {
        w.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
            .expect("start");
        w.write_all(b).expect("write");
    }
    std::fs::write(path, w.finish().expect("finish").into_inner()).expect("write");
}

/// Rewrites the manifest of `src` into `dst` with `edit` (other entries,
/// the signature included, kept as they are).
fn edit_manifest(src: &Path, dst: &Path, edit: impl Fn(&mut Value)) {
    let mut e = entries(src);
    let m = e
        .iter_mut()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest");
    let mut v: Value = serde_json::from_slice(&m.1).expect("json");
    edit(&mut v);
    m.1 = serde_json::to_vec_pretty(&v).expect("json");
    write_zip(dst, &e);
}

// ---- 1. Never lose or leave behind anything --------------------------------

#[test]
fn bundle_out_refuses_the_pack_itself_in_any_spelling() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::create_dir(d.join("sub")).expect("mkdir");
    create_commitment(d);
    let before = std::fs::read(d.join("pack.zip")).expect("pack");
    let abs = d.join("pack.zip").display().to_string();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("pack.zip"), d.join("link.zip")).expect("symlink");
    for out in [
        "pack.zip",
        "./pack.zip",
        "sub/../pack.zip",
        &abs,
        "link.zip",
    ] {
        let e = code(
            &run(d, &["pack", "bundle", "pack.zip", "--out", out, "--force"]),
            2,
        );
        assert_eq!(
            e,
            format!(
                "error: --out {out} is the pack itself; give another file name for the bundle\n"
            )
        );
        assert_eq!(std::fs::read(d.join("pack.zip")).expect("pack"), before);
    }
    ok(&run(d, &["pack", "verify", "pack.zip"]));
}

#[test]
fn bundle_out_refuses_an_existing_file_unless_forced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    std::fs::write(d.join("b.pdf"), "keep me").expect("plant");
    let e = code(
        &run(d, &["pack", "bundle", "pack.zip", "--out", "b.pdf"]),
        2,
    );
    assert_eq!(
        e,
        "error: b.pdf already exists; add --force to replace it, or give another --out\n"
    );
    assert_eq!(std::fs::read(d.join("b.pdf")).expect("b"), b"keep me");
    let out = ok(&run(
        d,
        &["pack", "bundle", "pack.zip", "--out", "b.pdf", "--force"],
    ));
    assert!(
        out.starts_with("b.pdf: court bundle of 1 document, 2 pages"),
        "{out}"
    );
    assert!(
        std::fs::read(d.join("b.pdf"))
            .expect("b")
            .starts_with(b"%PDF-")
    );
}

#[test]
fn extract_refuses_a_folder_holding_files_unless_forced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    std::fs::create_dir(d.join("full")).expect("mkdir");
    std::fs::write(d.join("full/manifest.json"), "mine").expect("plant");
    let e = code(
        &run(d, &["pack", "extract", "pack.zip", "--out", "full"]),
        2,
    );
    assert_eq!(
        e,
        "error: full is not empty; add --force to write into it (files with the pack's names are replaced), or give an empty or new folder\n"
    );
    assert_eq!(
        std::fs::read(d.join("full/manifest.json")).expect("m"),
        b"mine"
    );
    std::fs::create_dir(d.join("empty")).expect("mkdir");
    for dir in ["empty", "new"] {
        let out = ok(&run(d, &["pack", "extract", "pack.zip", "--out", dir]));
        assert_eq!(out, format!("{dir}: 4 files extracted\n"));
    }
    ok(&run(
        d,
        &["pack", "extract", "pack.zip", "--out", "full", "--force"],
    ));
    assert_ne!(
        std::fs::read(d.join("full/manifest.json")).expect("m"),
        b"mine"
    );
}

/// Every kill point of a step (see `kill_point` in src/cli/pack.rs), with
/// SIGKILL, and with SIGINT (Ctrl-C) and SIGTERM where a temp copy exists.
#[test]
fn a_killed_step_leaves_no_lock_that_refuses_and_no_temp_copy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = tmp.path().join("base");
    std::fs::create_dir(&base).expect("mkdir");
    create_commitment(&base);
    let pristine = std::fs::read(base.join("pack.zip")).expect("pack");
    let cases = [
        (1, "KILL"),
        (2, "KILL"),
        (3, "KILL"),
        (4, "KILL"),
        (5, "KILL"),
        (4, "INT"),
        (4, "TERM"),
        (3, "INT"),
    ];
    for (point, signal) in cases {
        let d = tmp.path().join(format!("p{point}-{signal}"));
        std::fs::create_dir(&d).expect("mkdir");
        std::fs::write(d.join("pack.zip"), &pristine).expect("copy");
        let out = lk(&d)
            .env("LETTERKIT_TEST_KILL_AT", format!("{point}:{signal}"))
            .args(hearing_args())
            .output()
            .expect("runs");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            let want = match signal {
                "KILL" => 9,
                "INT" => 2,
                _ => 15,
            };
            assert_eq!(out.status.signal(), Some(want), "point {point} {signal}");
        }
        let case = format!("point {point}, SIG{signal}");
        // The pack is the old one or the new one, never anything else.
        let now = std::fs::read(d.join("pack.zip")).expect("pack");
        assert_eq!(now == pristine, point < 5, "{case}");
        if point == 4 {
            assert_eq!(
                temps(&d).len(),
                1,
                "{case}: the dead step's copy: {:?}",
                names(&d)
            );
        } else {
            assert!(temps(&d).is_empty(), "{case}: {:?}", names(&d));
        }
        // The next command (a read-only one) verifies and removes the copy.
        let v = run(&d, &["pack", "verify", "pack.zip"]);
        let out = ok(&v);
        assert!(out.starts_with("pack.zip: ok: "), "{case}: {out}");
        let note = if point == 4 {
            "note: removed 1 temporary copy that an interrupted command left beside pack.zip\n"
        } else {
            ""
        };
        assert_eq!(stderr(&v), format!("{note}{UNSIGNED}"), "{case}");
        assert!(temps(&d).is_empty(), "{case}: {:?}", names(&d));
        // No lock refuses: the next step works without any manual action.
        let next: Vec<String> = if point == 5 {
            [
                "pack",
                "step",
                "pack.zip",
                "paying-parent-letter",
                "--date",
                "2026-03-10",
            ]
            .map(String::from)
            .to_vec()
        } else {
            hearing_args()
        };
        let out = ok(&lk(&d).args(&next).output().expect("runs"));
        assert!(out.contains("recorded"), "{case}: {out}");
        ok(&run(&d, &["pack", "verify", "pack.zip"]));
        assert!(temps(&d).is_empty(), "{case}: {:?}", names(&d));
    }
}

#[test]
fn the_next_step_removes_temp_copies_of_this_pack_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    for n in [
        ".pack.zip.tmp-4242",
        ".pack.zip.a1b2c3d4.tmp",
        ".other.zip.a1b2c3d4.tmp",
    ] {
        std::fs::write(d.join(n), "a copy with personal data").expect("plant");
    }
    let o = lk(d).args(hearing_args()).output().expect("runs");
    ok(&o);
    assert_eq!(
        stderr(&o),
        format!(
            "note: removed 2 temporary copies that an interrupted command left beside pack.zip\n{UNSIGNED}"
        )
    );
    assert_eq!(temps(d), [".other.zip.a1b2c3d4.tmp"]);
}

#[test]
fn a_missing_folder_gives_a_plain_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let e = code(
        &run(
            d,
            &[
                "pack",
                "create",
                "commitment",
                "nowhere/pack.zip",
                "--date",
                "2026-03-02",
                "--data",
                &fixture("commitment/create.yaml"),
            ],
        ),
        1,
    );
    assert_eq!(
        e,
        "error: the folder nowhere does not exist; create it first, or give another path for the pack\n"
    );
    let e = code(
        &run(
            d,
            &[
                "pack",
                "step",
                "nowhere/pack.zip",
                "hearing",
                "--date",
                "2026-03-09",
            ],
        ),
        1,
    );
    assert_eq!(
        e,
        "error: the folder nowhere does not exist; create it first, or give another path for the pack\n"
    );
    let e = code(
        &run(
            d,
            &[
                "pack",
                "step",
                "pack.zip",
                "hearing",
                "--date",
                "2026-03-09",
            ],
        ),
        1,
    );
    assert_eq!(
        e,
        "error: cannot read pack pack.zip: there is no such file\n"
    );
    assert!(
        names(d).is_empty(),
        "no lock file is made for a missing pack"
    );
}

#[test]
fn duplicate_entry_names_are_refused_wherever_a_pack_is_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    // A stand-in first under a name of the same length, then renamed in
    // place to the real name: the archive holds 01-CMEL7211-v1.pdf twice.
    let mut e = entries(&d.join("pack.zip"));
    let real = e[1].clone();
    assert_eq!(real.0, "01-CMEL7211-v1.pdf");
    e.insert(
        1,
        ("01-CMEL7211-v1.pdX".into(), b"%PDF-1.7 stand-in".to_vec()),
    );
    write_zip(&d.join("dup.zip"), &e);
    let mut bytes = std::fs::read(d.join("dup.zip")).expect("dup");
    let (from, to) = (b"01-CMEL7211-v1.pdX", b"01-CMEL7211-v1.pdf");
    let mut i = 0;
    while let Some(p) = bytes[i..].windows(from.len()).position(|w| w == from) {
        bytes[i + p..i + p + to.len()].copy_from_slice(to);
        i += p + to.len();
    }
    std::fs::write(d.join("dup.zip"), &bytes).expect("write");
    let msg = "error: not a letterkit pack: the archive holds two entries with the same name (a zip reader may show either one); it was not read\n";
    for args in [
        &["pack", "verify", "dup.zip"][..],
        &["pack", "show", "dup.zip"],
        &["pack", "bundle", "dup.zip", "--out", "b.pdf"],
        &["pack", "extract", "dup.zip", "--out", "x"],
        &["pack", "step", "dup.zip", "hearing", "--date", "2026-03-09"],
    ] {
        assert_eq!(code(&run(d, args), 1), msg, "{args:?}");
    }
    let r = letterkit::pack::Pack::read(Cursor::new(bytes), None);
    assert!(r.is_err_and(|e| e.to_string() == msg["error: ".len()..msg.len() - 1]));
}

/// Overwrites the uncompressed size of every central-directory entry.
fn claim_size(zip: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 46 <= zip.len() {
        if zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            i += 46;
        } else {
            i += 1;
        }
    }
}

#[test]
fn reading_caps_the_entries_and_their_total_size_before_allocating() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let many: Vec<(String, Vec<u8>)> = (0..501)
        .map(|i| (format!("e{i}.pdf"), Vec::new()))
        .collect();
    write_zip(&d.join("many.zip"), &many);
    assert_eq!(
        code(&run(d, &["pack", "verify", "many.zip"]), 1),
        "error: the pack is too large to read: it holds 501 entries; a pack may hold at most 500\n"
    );
    // 14 entries that each claim 20 MiB: 280 MiB, refused before any is read.
    let big: Vec<(String, Vec<u8>)> = (0..14)
        .map(|i| (format!("e{i}.pdf"), vec![0; 10]))
        .collect();
    write_zip(&d.join("big.zip"), &big);
    let mut bytes = std::fs::read(d.join("big.zip")).expect("big");
    claim_size(&mut bytes, 20 * 1024 * 1024);
    std::fs::write(d.join("big.zip"), &bytes).expect("write");
    for args in [
        &["pack", "verify", "big.zip"][..],
        &["pack", "show", "big.zip"],
        &["pack", "step", "big.zip", "hearing", "--date", "2026-03-09"],
    ] {
        assert_eq!(
            code(&run(d, args), 1),
            "error: the pack is too large to read: its entries hold 280 MiB uncompressed; a pack may hold at most 256 MiB\n",
            "{args:?}"
        );
    }
}

#[test]
fn an_edited_manifest_is_detected_with_the_office_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let create = [
        "pack",
        "create",
        "commitment",
        "pack.zip",
        "--date",
        "2026-03-02",
        "--data",
        &fixture("commitment/create.yaml"),
    ];
    let o = run_key(d, KEY, &create);
    ok(&o);
    assert_eq!(stderr(&o), "", "a signed create has nothing to warn about");
    let names_in: Vec<String> = entries(&d.join("pack.zip"))
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(names_in[..2], ["manifest.json", "manifest.sig"]);
    let o = run_key(d, KEY, &["pack", "verify", "pack.zip"]);
    assert_eq!(
        ok(&o),
        "pack.zip: ok: 3 entries match the manifest's SHA-256, nothing missing or extra; 1 stage, status open; manifest signature valid\n"
    );
    assert_eq!(stderr(&o), "");

    // An amount changed by hand: the entries' hashes still match.
    edit_manifest(&d.join("pack.zip"), &d.join("edited.zip"), |m| {
        m["stages"][0]["data"]["amount-owed"] = "9450.00".into();
    });
    let bad = "manifest.json does not match its signature: it was edited after the pack was written, or the office key is not the one that signed it";
    assert_eq!(
        code(&run_key(d, KEY, &["pack", "verify", "edited.zip"]), 1),
        format!("error: the pack fails verification (1 problem):\n  {bad}\n")
    );
    let o = run_key(d, KEY, &["pack", "verify", "edited.zip", "--json"]);
    code(&o, 1);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["ok"], false);
    assert_eq!(v["signature"], "invalid");
    assert_eq!(v["problems"][0], bad);
    let mut step = vec![
        "pack",
        "step",
        "edited.zip",
        "hearing",
        "--date",
        "2026-03-09",
    ];
    let hearing = fixture("commitment/hearing.yaml");
    step.extend(["--data", &hearing]);
    assert_eq!(code(&run_key(d, KEY, &step), 1), format!("error: {bad}\n"));
    assert_eq!(
        code(
            &run_key(d, KEY, &["pack", "bundle", "edited.zip", "--out", "b.pdf"]),
            1
        ),
        format!("error: {bad}\n")
    );
    // Another office's key fails the same way.
    code(
        &run_key(d, "another-office-key-000", &["pack", "verify", "pack.zip"]),
        1,
    );

    // Without the key: a warning on reading, a refusal on stepping.
    let o = run(d, &["pack", "verify", "pack.zip"]);
    assert!(ok(&o).ends_with("; manifest signature not checked (no office key)\n"));
    assert_eq!(
        stderr(&o),
        "warning: the pack is signed, but no office key is configured, so an edit to its manifest cannot be detected; set LETTERKIT_PACK_KEY or LETTERKIT_PACK_KEY_FILE, or give --key-file FILE\n"
    );
    let mut step = vec![
        "pack",
        "step",
        "pack.zip",
        "hearing",
        "--date",
        "2026-03-09",
    ];
    step.extend(["--data", &hearing]);
    assert_eq!(
        code(&run(d, &step), 2),
        "error: the pack is signed, but no office key is configured, so its manifest cannot be checked; set LETTERKIT_PACK_KEY or LETTERKIT_PACK_KEY_FILE, or give --key-file FILE\n"
    );

    // The key from a file, by option or environment; never on the command line.
    std::fs::write(d.join("office.key"), format!("{KEY}\n")).expect("key file");
    let mut with_file = step.clone();
    with_file.extend(["--key-file", "office.key"]);
    let o = run(d, &with_file);
    assert!(ok(&o).contains("step `hearing` recorded"));
    let o = lk(d)
        .env("LETTERKIT_PACK_KEY_FILE", d.join("office.key"))
        .args(["pack", "verify", "pack.zip"])
        .output()
        .expect("runs");
    assert!(ok(&o).ends_with("; 2 stages, status open; manifest signature valid\n"));
    assert_eq!(
        code(&run_key(d, "short", &["pack", "verify", "pack.zip"]), 2),
        "error: the office key from $LETTERKIT_PACK_KEY is 5 bytes long; it must be at least 16 bytes\n"
    );

    // An unsigned pack is reported as such.
    create_commitment(&d.join("u").tap_mkdir());
    let o = run_key(d, KEY, &["pack", "verify", "u/pack.zip"]);
    assert!(ok(&o).ends_with("; 1 stage, status open; unsigned\n"));
    assert_eq!(stderr(&o), UNSIGNED);
    let show = ok(&run(d, &["pack", "show", "u/pack.zip"]));
    assert!(show.contains("\nsignature: unsigned\n"), "{show}");
}

trait TapMkdir {
    fn tap_mkdir(self) -> PathBuf;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> PathBuf {
        std::fs::create_dir_all(&self).expect("mkdir");
        self
    }
}

#[test]
fn show_escapes_control_characters_and_keeps_the_reference_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    edit_manifest(&d.join("pack.zip"), &d.join("evil.zip"), |m| {
        m["region"] = "North\u{1b}]0;owned\u{7}East\u{202e}".into();
        m["entries"][0]["title"] = "Summons\u{1b}[2J".into();
        m["stages"][0]["data"]["court"] = "Court\r\nverify: ok".into();
    });
    let out = ok(&run(d, &["pack", "show", "evil.zip"]));
    assert!(!out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{202e}'));
    assert!(
        out.contains("region: North\\u{1b}]0;owned\\u{7}East\\u{202e}\n"),
        "{out}"
    );
    assert!(out.contains("Summons\\u{1b}[2J"), "{out}");
    assert!(
        out.contains("      court: Court\\u{d}\\u{a}verify: ok\n"),
        "{out}"
    );
    assert!(out.starts_with("Commitment pack (reference: add --personal-data to show)\n"));
    assert!(!out.contains("1234 5678 9012"), "{out}");
    assert!(out.contains("      reference: (personal data: add --personal-data to show)\n"));
    let out = ok(&run(d, &["pack", "show", "evil.zip", "--personal-data"]));
    assert!(out.starts_with("Commitment pack 1234 5678 9012\n"), "{out}");
}

fn county_court_with(d: &Path, attachment: &Path) -> Output {
    run(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &fixture("county-court/create.yaml"),
            "--attach",
            &attachment.display().to_string(),
        ],
    )
}

#[test]
fn an_attachment_is_decoded_in_full_when_attached() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    // Valid start and end markers, junk inside (the bundle could never show it).
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(b"junk".repeat(100));
    jpeg.extend([0xFF, 0xD9]);
    std::fs::write(d.join("junk.jpg"), &jpeg).expect("jpg");
    assert_eq!(
        code(&county_court_with(d, &d.join("junk.jpg")), 1),
        "error: attachment 1 of 1 starts like a JPEG but its image cannot be read (\"No more bytes\")\n"
    );
    // A PNG whose image stream is corrupt (it would bundle broken).
    let mut png = std::fs::read(fixture("attachments/sr-screenshot.png")).expect("png");
    let idat = png.windows(4).position(|w| w == b"IDAT").expect("IDAT");
    for b in &mut png[idat + 10..idat + 30] {
        *b ^= 0xFF;
    }
    std::fs::write(d.join("bad.png"), &png).expect("png");
    assert_eq!(
        code(&county_court_with(d, &d.join("bad.png")), 1),
        "error: attachment 1 of 1 starts like a PNG but its image cannot be read (Corrupt deflate stream. BadCodeLengthHuffmanTree)\n"
    );
    assert!(!d.join("cc.zip").exists());
    // Every accepted attachment bundles.
    ok(&county_court_with(
        d,
        Path::new(&fixture("attachments/scan.jpg")),
    ));
    let out = ok(&run(d, &["pack", "bundle", "cc.zip", "--out", "b.pdf"]));
    assert!(
        out.starts_with("b.pdf: court bundle of 1 document, 2 pages"),
        "{out}"
    );
}

// ---- 4. The bundle and the messages ----------------------------------------

#[test]
fn the_manifest_records_the_page_count_of_attachments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    ok(&run(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &fixture("county-court/create.yaml"),
            "--attach",
            &fixture("attachments/statement.pdf"),
            "--attach",
            &fixture("attachments/scan.jpg"),
        ],
    ));
    let e = entries(&d.join("cc.zip"));
    let m: Value = serde_json::from_slice(&e[0].1).expect("manifest");
    let pages: Vec<(String, Value)> = m["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap_or("").to_owned(),
                e["pages"].clone(),
            )
        })
        .collect();
    let statement = lopdf::Document::load(fixture("attachments/statement.pdf"))
        .expect("pdf")
        .get_pages()
        .len();
    assert_eq!(
        pages[2..],
        [
            ("03-attachment-1.pdf".to_owned(), Value::from(statement)),
            ("04-attachment-2.jpg".to_owned(), Value::from(1)),
        ]
    );
    let show = ok(&run(d, &["pack", "show", "cc.zip"]));
    let row = show
        .lines()
        .find(|l| l.contains("04-attachment-2.jpg"))
        .unwrap_or_default();
    assert!(row.ends_with("  v1  1 page  create"), "{show}");
}

#[test]
fn messages_count_in_the_singular_and_plural() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    let out = ok(&run(d, &["pack", "verify", "pack.zip"]));
    assert_eq!(
        out,
        "pack.zip: ok: 3 entries match the manifest's SHA-256, nothing missing or extra; 1 stage, status open; unsigned\n"
    );
    let out = ok(&run(d, &["pack", "bundle", "pack.zip", "--out", "b.pdf"]));
    assert_eq!(
        out,
        "b.pdf: court bundle of 1 document, 2 pages; 2 documents left out (listed on the index page)\n"
    );
    // One entry, one problem.
    let mut e = entries(&d.join("pack.zip"));
    let mut m: Value = serde_json::from_slice(&e[0].1).expect("manifest");
    m["entries"].as_array_mut().expect("entries").truncate(1);
    e[0].1 = serde_json::to_vec(&m).expect("json");
    e.truncate(2);
    let last = e[1].1.len() - 1;
    e[1].1[last] ^= 1;
    write_zip(&d.join("one.zip"), &e);
    let err = code(&run(d, &["pack", "verify", "one.zip"]), 1);
    assert_eq!(
        err,
        format!(
            "{UNSIGNED}error: the pack fails verification (1 problem):\n  01-CMEL7211-v1.pdf does not match its SHA-256 in the manifest: it was changed\n"
        )
    );
    let show = ok(&run(d, &["pack", "show", "one.zip"]));
    assert!(
        show.ends_with("\nverify: FAILS (1 problem; run `letterkit pack verify`)\n"),
        "{show}"
    );
    e[1].1[last] ^= 1;
    write_zip(&d.join("one.zip"), &e);
    let out = ok(&run(d, &["pack", "verify", "one.zip"]));
    assert!(out.starts_with("one.zip: ok: 1 entry match"), "{out}");
}

#[test]
fn a_misspelt_step_or_key_gets_a_did_you_mean() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    assert_eq!(
        code(
            &run(
                d,
                &[
                    "pack",
                    "step",
                    "pack.zip",
                    "heraing",
                    "--date",
                    "2026-03-09"
                ]
            ),
            1
        ),
        format!(
            "{UNSIGNED}error: a commitment pack has no step `heraing` (did you mean `hearing`?); its steps are: create, hearing, paying-parent-letter, issued, second-pv-check, outcome, court-fee, correct, cancel\n"
        )
    );
    std::fs::write(d.join("h.yaml"), "hearing-dat: 2026-04-14\n").expect("data");
    assert_eq!(
        code(
            &run(
                d,
                &[
                    "pack",
                    "step",
                    "pack.zip",
                    "hearing",
                    "--date",
                    "2026-03-09",
                    "--data",
                    "h.yaml"
                ]
            ),
            1
        ),
        format!(
            "{UNSIGNED}error: the data for step `hearing` has 1 problem:\n  h.yaml:1:1: unknown key `hearing-dat` (did you mean `hearing-date`?); step `hearing` takes: cpo-name, hearing-date, hearing-time, court-address, court-postcode\n"
        )
    );
}

#[test]
fn set_values_are_blamed_on_their_option_and_data_comes_from_stdin() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    let hearing = fixture("commitment/hearing.yaml");
    let e = code(
        &run(
            d,
            &[
                "pack",
                "step",
                "pack.zip",
                "hearing",
                "--date",
                "2026-03-09",
                "--data",
                &hearing,
                "--set",
                "hearing-date=2026-13-01",
                "--set",
                "hearing-tim=10:00",
            ],
        ),
        1,
    );
    assert_eq!(
        e,
        format!(
            "{UNSIGNED}error: the data for step `hearing` has 2 problems:\n  --set hearing-date=…: hearing-date: `2026-13-01` is not a date: there is no month 13\n  --set hearing-tim=…: unknown key `hearing-tim` (did you mean `hearing-time`?); step `hearing` takes: cpo-name, hearing-date, hearing-time, court-address, court-postcode\n"
        )
    );
    // `--data -`: standard input, named so in messages.
    let mut child = lk(d)
        .args([
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"cpo-name: A Person\nhearing-date: 2026-04-31\n")
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(
        code(&o, 1).contains(
            "  (standard input):2:15: hearing-date: `2026-04-31` is not a date: April 2026 has 30 days\n"
        ),
        "{}",
        stderr(&o)
    );
    let mut child = lk(d)
        .args([
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&std::fs::read(&hearing).expect("fixture"))
        .expect("write");
    let out = ok(&child.wait_with_output().expect("wait"));
    assert!(out.contains("step `hearing` recorded"), "{out}");
}

#[test]
fn shows_document_columns_line_up_with_long_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    edit_manifest(&d.join("pack.zip"), &d.join("long.zip"), |m| {
        m["entries"][1]["title"] =
            "PV check record (first check) with a title far longer than the old column".into();
    });
    let show = ok(&run(d, &["pack", "show", "long.zip"]));
    let rows: Vec<&str> = show
        .lines()
        .skip_while(|l| *l != "documents:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 3, "{show}");
    let at: Vec<Option<usize>> = rows.iter().map(|r| r.find(" v1  ")).collect();
    assert!(at[0].is_some() && at.iter().all(|a| *a == at[0]), "{show}");
}

#[test]
fn region_is_not_asked_as_the_court_for_a_face_to_face_client() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = ok(&run(tmp.path(), &["pack", "steps", "face-to-face"]));
    assert!(!out.contains("Region of the court"), "{out}");
    assert!(
        out.contains("Region (of the court, or of the visit)"),
        "{out}"
    );
}

#[test]
fn verify_and_steps_print_json_with_the_shared_schema() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let o = run(
        d,
        &[
            "pack",
            "create",
            "commitment",
            "pack.zip",
            "--date",
            "2026-03-02",
            "--data",
            &fixture("commitment/create.yaml"),
            "--json",
        ],
    );
    let text = ok(&o);
    assert!(
        text.starts_with("{\n  \"schema\": \"letterkit.pack-step.v1\",\n"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["step"], "create");
    assert_eq!(v["added"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["next"], serde_json::json!(["hearing"]));
    assert_eq!(v["signed"], false);
    assert!(!text.contains("1234 5678 9012") && !text.contains("Sam Taylor"));
    let mut args = hearing_args();
    args.push("--json".into());
    let v: Value =
        serde_json::from_str(&ok(&lk(d).args(&args).output().expect("runs"))).expect("json");
    assert_eq!(v["superseded"], serde_json::json!(["01-CMEL7211-v1.pdf"]));
    let text = ok(&run(d, &["pack", "verify", "pack.zip", "--json"]));
    assert!(
        text.starts_with("{\n  \"schema\": \"letterkit.pack-verify.v1\",\n"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["stages"], 2);
    assert_eq!(v["entries"], 5);
    assert_eq!(v["signature"], "unsigned");
    assert_eq!(v["problems"], serde_json::json!([]));
    std::fs::write(d.join("nope.zip"), "not a zip").expect("write");
    let o = run(d, &["pack", "verify", "nope.zip", "--json"]);
    code(&o, 1);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["ok"], false);
    assert_eq!(v["kind"], Value::Null);
    assert!(
        v["problems"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("not a letterkit pack: not a zip archive"))
    );
}

/// The y of each page's bundle number (from the stamp's content stream).
fn stamp_positions(pdf: &[u8]) -> Vec<(f32, f32)> {
    let doc = lopdf::Document::load_mem(pdf).expect("pdf");
    let mut out = Vec::new();
    for (_, id) in doc.get_pages() {
        let content = doc.get_page_content(id);
        let text = String::from_utf8_lossy(&content);
        let at = text.find("/LKMergeBold 10 Tf 1 0 0 1 ").expect("stamp");
        let nums: Vec<f32> = text[at + "/LKMergeBold 10 Tf 1 0 0 1 ".len()..]
            .split_whitespace()
            .take(2)
            .map(|n| n.parse().expect("number"))
            .collect();
        out.push((nums[0], nums[1]));
    }
    out
}

#[test]
fn the_bundle_holds_the_court_documents_by_default_and_the_choice_is_listed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    let hearing = hearing_args();
    let hearing: Vec<&str> = hearing.iter().map(String::as_str).collect();
    let steps: [&[&str]; 4] = [
        &hearing,
        &[
            "pack",
            "step",
            "pack.zip",
            "paying-parent-letter",
            "--date",
            "2026-03-10",
        ],
        &[
            "pack",
            "step",
            "pack.zip",
            "issued",
            "--date",
            "2026-03-20",
            "--set",
            "issue-date=2026-03-19",
        ],
        &[
            "pack",
            "step",
            "pack.zip",
            "outcome",
            "--date",
            "2026-04-15",
            "--set",
            "outcome=Suspended committal order",
        ],
    ];
    let pv = fixture("commitment/second-pv-check.yaml");
    for (i, s) in steps.iter().enumerate() {
        if i == 3 {
            ok(&run(
                d,
                &[
                    "pack",
                    "step",
                    "pack.zip",
                    "second-pv-check",
                    "--date",
                    "2026-04-12",
                    "--data",
                    &pv,
                ],
            ));
        }
        ok(&run(d, s));
    }
    let out = ok(&run(
        d,
        &["pack", "bundle", "pack.zip", "--out", "court.pdf"],
    ));
    assert_eq!(
        out,
        "court.pdf: court bundle of 2 documents, 3 pages; 4 documents left out (listed on the index page)\n"
    );
    let pdf = std::fs::read(d.join("court.pdf")).expect("bundle");
    let text = squash(&pdf_text(&pdf));
    for p in [
        "Court bundle: index",
        "Page numbers: the number at the top right of every page (\"Bundle page 3 of 12\") is its page in this court bundle; the pages in this index are those numbers. A number at the foot of a page (\"Page 1 of 2\") counts the pages of that document only.",
        "Bundle pages Document 2 Court summons form (completed) (CMEL7211 version 2) 3 Cover letter to the court (commitment-court-cover-letter)",
        "Chosen: the documents meant for the court and the supporting documents. Not included:",
        "Bundle page 1 of 3",
        "Bundle page 3 of 3",
    ] {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
    let index = &text[..text.find("Bundle page 2 of 3").expect("page 2")];
    let left = &index[index.find("Not included:").expect("list")..];
    for t in [
        "PV check record (first check) (pv-check-record)",
        "SSST referral form (ssst-referral-form)",
        "Cover letter to the paying parent (commitment-paying-parent-cover-letter)",
        "PV check record (second check) (pv-check-record)",
    ] {
        assert!(left.contains(t), "{t:?} is not listed as left out:\n{left}");
    }
    assert_eq!(left.matches('•').count(), 4, "{left}");
    // One bundle number per page, at the top right.
    for (x, y) in stamp_positions(&pdf) {
        assert!(x > 400.0 && y > 800.0, "stamp at {x}, {y}");
    }

    // A chosen set.
    let out = ok(&run(
        d,
        &[
            "pack",
            "bundle",
            "pack.zip",
            "--out",
            "chosen.pdf",
            "--include",
            "pv-check-record",
            "--exclude",
            "commitment-court-cover-letter",
        ],
    ));
    assert_eq!(
        out,
        "chosen.pdf: court bundle of 3 documents, 4 pages; 3 documents left out (listed on the index page)\n"
    );
    let text = squash(&pdf_text(
        &std::fs::read(d.join("chosen.pdf")).expect("bundle"),
    ));
    assert!(
        text.contains("Chosen: the documents meant for the court and the supporting documents, also pv-check-record, without commitment-court-cover-letter."),
        "{text}"
    );
    // A name that is not in the pack.
    assert_eq!(
        code(
            &run(
                d,
                &[
                    "pack",
                    "bundle",
                    "pack.zip",
                    "--out",
                    "x.pdf",
                    "--include",
                    "pv-check-recrod"
                ]
            ),
            1
        ),
        format!(
            "{UNSIGNED}error: bundle: --include `pv-check-recrod` names no document of the pack (did you mean `pv-check-record`?); give a document code (CMEL7211, pv-check-record, ssst-referral-form, commitment-court-cover-letter, commitment-paying-parent-cover-letter) or an entry file shown by `letterkit pack show`\n"
        )
    );
    assert!(!d.join("x.pdf").exists());
}

#[test]
fn a_face_to_face_export_is_not_called_a_court_bundle() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    ok(&run(
        d,
        &[
            "pack",
            "create",
            "face-to-face",
            "f.zip",
            "--date",
            "2026-03-02",
            "--data",
            &fixture("face-to-face/create.yaml"),
        ],
    ));
    let out = ok(&run(d, &["pack", "bundle", "f.zip", "--out", "f.pdf"]));
    assert_eq!(out, "f.pdf: pack export of 1 document, 2 pages\n");
    let text = squash(&pdf_text(&std::fs::read(d.join("f.pdf")).expect("pdf")));
    assert!(text.contains("Pack export: index"), "{text}");
    assert!(
        text.contains("Chosen: every document of the pack."),
        "{text}"
    );
    assert!(text.contains("Export page 1 of 2"), "{text}");
    assert!(!text.to_lowercase().contains("court bundle"), "{text}");
}

#[test]
fn verify_escapes_control_characters_from_a_crafted_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    edit_manifest(&d.join("pack.zip"), &d.join("evil.zip"), |m| {
        m["stages"][0]["step"] = "create\u{1b}[31m".into();
    });
    let e = code(&run(d, &["pack", "verify", "evil.zip"]), 1);
    assert!(!e.contains('\u{1b}'), "{e:?}");
    assert!(
        e.contains("  stage `create\\u{1b}[31m` cannot follow `(start)` in a commitment pack\n"),
        "{e}"
    );
}

#[test]
fn a_misspelt_kind_gets_a_did_you_mean_and_steps_print_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let e = code(&run(d, &["pack", "steps", "face-to-fase"]), 2);
    assert!(
        e.starts_with("error: invalid value 'face-to-fase' for '[KIND]': `face-to-fase` is not a kind of pack (did you mean `face-to-face`?); kinds: commitment, liability-order, county-court, face-to-face\n"),
        "{e}"
    );
    let text = ok(&run(d, &["pack", "steps", "commitment", "--json"]));
    assert!(
        text.starts_with("{\n  \"schema\": \"letterkit.pack-steps.v1\",\n"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    let steps = &v["kinds"][0]["steps"];
    assert_eq!(v["kinds"][0]["kind"], "commitment");
    assert_eq!(steps[0]["name"], "create");
    assert_eq!(steps[1]["name"], "hearing");
    assert_eq!(steps[1]["after"], serde_json::json!(["create"]));
    assert_eq!(steps[1]["keys"][1]["key"], "hearing-date");
}

#[test]
fn a_bundle_into_a_missing_folder_gives_a_plain_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    assert_eq!(
        code(
            &run(d, &["pack", "bundle", "pack.zip", "--out", "nowhere/b.pdf"]),
            1
        ),
        "error: the folder nowhere does not exist; create it first, or give another --out\n"
    );
}

#[test]
fn a_killed_create_bundle_or_extract_leaves_no_temp_copy_after_the_next_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let create = [
        "pack",
        "create",
        "commitment",
        "pack.zip",
        "--date",
        "2026-03-02",
        "--data",
        &fixture("commitment/create.yaml"),
    ];
    let out = lk(d)
        .env("LETTERKIT_TEST_KILL_AT", "4")
        .args(create)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(!d.join("pack.zip").exists());
    assert_eq!(temps(d).len(), 1, "{:?}", names(d));
    let o = run(d, &create);
    ok(&o);
    assert!(
        stderr(&o).starts_with(
            "note: removed 1 temporary copy that an interrupted command left beside pack.zip\n"
        ),
        "{}",
        stderr(&o)
    );
    assert!(temps(d).is_empty(), "{:?}", names(d));

    // What a killed bundle would leave: removed by the next bundle to that file.
    std::fs::write(d.join(".b.pdf.a1b2c3d4.tmp"), "%PDF- half a bundle").expect("plant");
    let o = run(d, &["pack", "bundle", "pack.zip", "--out", "b.pdf"]);
    ok(&o);
    assert_eq!(
        stderr(&o),
        format!(
            "{UNSIGNED}note: removed 1 temporary copy that an interrupted command left beside b.pdf\n"
        )
    );
    assert!(temps(d).is_empty(), "{:?}", names(d));

    // A killed extract's temporary file: the folder counts as empty, and it goes.
    std::fs::create_dir(d.join("x")).expect("mkdir");
    std::fs::write(d.join("x/.manifest.json.a1b2c3d4.tmp"), "{").expect("plant");
    let o = run(d, &["pack", "extract", "pack.zip", "--out", "x"]);
    assert_eq!(ok(&o), "x: 4 files extracted\n");
    assert_eq!(
        stderr(&o),
        format!("{UNSIGNED}note: removed 1 temporary file that an interrupted command left in x\n")
    );
    assert!(temps(&d.join("x")).is_empty(), "{:?}", names(&d.join("x")));
}
