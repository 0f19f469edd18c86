//! Issue 8, sections 1, 2 and the CSV points of 4: `render` and `batch` as
//! caseworkers meet them. No letter lost or overwritten without a word, no
//! hang or panic on a closed pipe or a full disk, CSV files as Excel writes
//! them. Each test names the defect it pins.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{letterkit, pdf_text, squash};

const LOCATION: &str = "Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ";

/// A valid CMSL5502 request as one JSON line.
fn json_line(id: &str, name: &str) -> String {
    serde_json::json!({
        "id": id, "letter": "CMSL5502", "date": "2026-03-02", "reference": "1234 5678 9012",
        "recipient": {"name": name, "address": ["14 Church Lane", "Leeds"], "postcode": "LS6 1AB"},
        "fields": {"changed-by": "client", "meeting-date": "2026-03-16", "meeting-time": "10:30",
                   "meeting-location": LOCATION, "reason": "payments"}
    })
    .to_string()
}

/// The same request as YAML.
fn yaml(id: Option<&str>, name: &str) -> String {
    let id = id.map(|i| format!("id: {i}\n")).unwrap_or_default();
    format!(
        "{id}letter: CMSL5502\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: {name}\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  changed-by: client\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: {LOCATION}\n  reason: payments\n"
    )
}

const CSV_HEADER: &str = "id,date,reference,recipient.name,recipient.address.1,recipient.address.2,recipient.postcode,fields.changed-by,fields.meeting-date,fields.meeting-time,fields.meeting-location,fields.reason";

fn csv_row(id: &str, name: &str) -> String {
    format!(
        "{id},2026-03-02,1234 5678 9012,{name},14 Church Lane,Leeds,LS6 1AB,client,2026-03-16,10:30,\"{LOCATION}\",payments"
    )
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = letterkit(dir).args(args).output().expect("letterkit runs");
    Run {
        code: out
            .status
            .code()
            .expect("exited by itself, not by a signal"),
        stdout: out.stdout,
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn manifest(out: &Path) -> Vec<Value> {
    let text = fs::read_to_string(out.join("manifest.jsonl")).expect("manifest");
    assert!(text.is_empty() || text.ends_with('\n'), "whole lines");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

fn field<'a>(records: &'a [Value], key: &str) -> Vec<&'a str> {
    records
        .iter()
        .map(|r| r[key].as_str().unwrap_or("-"))
        .collect()
}

fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for `child` at most `limit`; a hang fails the test (and kills it).
fn finish_within(mut child: Child, limit: Duration, what: &str) -> (i32, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            return (status.code().unwrap_or(-1), err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} hangs: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// 1. Letters lost or overwritten without a word.

#[test]
fn a_bad_csv_row_does_not_drop_the_rows_after_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let csv = [
        CSV_HEADER.to_owned(),
        csv_row("c1", "Ms Ann One"),
        format!("{},extra-cell", csv_row("c2", "Ms Bea Two")),
        csv_row("c3", "Ms Cat Three").replace(",Leeds,", ",\"Leeds,"),
        csv_row("c4", "Ms Dee Four"),
        csv_row("c5", "Ms Eve Five"),
    ]
    .join("\r\n")
        + "\r\n";
    fs::write(dir.join("rows.csv"), csv).expect("write");
    let r = run(
        dir,
        &["batch", "rows.csv", "--letter", "CMSL5502", "--out", "out"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let records = manifest(&dir.join("out"));
    assert_eq!(
        field(&records, "input"),
        [
            "rows.csv:2",
            "rows.csv:3",
            "rows.csv:4",
            "rows.csv:5",
            "rows.csv:6"
        ],
        "CR LF line numbers are the file's own"
    );
    assert_eq!(
        field(&records, "status"),
        ["rendered", "failed", "failed", "rendered", "rendered"]
    );
    assert_eq!(
        records[1]["error"],
        "rows.csv:3: the row has 13 cells, the header has 12 columns; a cell that holds a comma is written in quotes"
    );
    assert!(
        records[2]["error"]
            .as_str()
            .expect("error")
            .starts_with("rows.csv:4: has a quote `\"` that is never closed"),
        "{}",
        records[2]
    );
    assert!(
        r.stderr.contains("rendered 3, failed 2, skipped 0"),
        "{}",
        r.stderr
    );
    let text = pdf_text(&fs::read(dir.join("out/c5.pdf")).expect("c5.pdf"));
    assert!(squash(&text).contains("Ms Eve Five"), "{text}");
}

#[test]
fn a_json_lines_line_that_is_not_utf8_does_not_drop_the_lines_after_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut bytes = Vec::new();
    bytes.extend(json_line("j1", "Ms Ann One").as_bytes());
    bytes.push(b'\n');
    bytes.extend(
        json_line("j2", "Ms B\u{e9}a Two")
            .replace('\u{e9}', "\u{1}")
            .as_bytes(),
    );
    let at = bytes.iter().rposition(|b| *b == 1).expect("marker");
    bytes[at] = 0xE9; // Windows-1252 é
    bytes.push(b'\n');
    bytes.extend(json_line("j3", "Ms Cat Three").as_bytes());
    bytes.push(b'\n');
    fs::write(dir.join("in.jsonl"), bytes).expect("write");
    let r = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let records = manifest(&dir.join("out"));
    assert_eq!(
        field(&records, "status"),
        ["rendered", "failed", "rendered"]
    );
    assert!(
        records[1]["error"]
            .as_str()
            .expect("error")
            .starts_with("in.jsonl:2: is not UTF-8 text"),
        "{}",
        records[1]
    );
    assert!(dir.join("out/j3.pdf").exists());
}

#[test]
fn resume_over_edited_inputs_is_refused_and_renders_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let lines: Vec<String> = (0..4)
        .map(|i| json_line(&format!("r{i}"), "Ms Ann One"))
        .collect();
    fs::write(dir.join("in.jsonl"), lines.join("\n") + "\n").expect("write");
    let first = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = fs::read(dir.join("out/manifest.jsonl")).expect("manifest");

    // Same positions, other requests (a new day's file in the same place).
    let edited: Vec<String> = (0..6)
        .map(|i| json_line(&format!("n{i}"), "Mr New Person"))
        .collect();
    fs::write(dir.join("in.jsonl"), edited.join("\n") + "\n").expect("write");
    let resumed = run(dir, &["batch", "in.jsonl", "--out", "out", "--resume"]);
    assert_eq!(resumed.code, 2, "{}", resumed.stderr);
    assert_eq!(
        resumed.stderr.trim_end(),
        "error: cannot resume the run in out: 4 of the 4 requests it rendered are not in the inputs as they were (first: the request at in.jsonl:1 has changed); resume with the inputs of that run, or render these inputs into a new --out folder"
    );
    assert!(!resumed.stderr.contains("New Person"));
    assert_eq!(
        fs::read(dir.join("out/manifest.jsonl")).expect("manifest"),
        before,
        "a refused resume changes nothing"
    );
    assert_eq!(
        names(&dir.join("out")),
        ["manifest.jsonl", "r0.pdf", "r1.pdf", "r2.pdf", "r3.pdf"]
            .map(String::from)
            .into(),
    );

    // A shorter input is refused too.
    fs::write(dir.join("in.jsonl"), lines[..2].join("\n") + "\n").expect("write");
    let shorter = run(dir, &["batch", "in.jsonl", "--out", "out", "--resume"]);
    assert_eq!(shorter.code, 2, "{}", shorter.stderr);
    assert!(
        shorter
            .stderr
            .contains("2 of the 4 requests it rendered are not in the inputs as they were (first: 2 of them are no longer in the inputs (the inputs are shorter))"),
        "{}",
        shorter.stderr
    );
}

#[test]
fn resume_after_fixing_a_failed_request_renders_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let good = json_line("g1", "Ms Ann One");
    let bad = json_line("g2", "Ms Bea Two").replace("2026-03-16", "2026-02-30");
    fs::write(dir.join("in.jsonl"), format!("{good}\n{bad}\n")).expect("write");
    assert_eq!(run(dir, &["batch", "in.jsonl", "--out", "out"]).code, 1);
    let fixed = json_line("g2", "Ms Bea Two");
    fs::write(dir.join("in.jsonl"), format!("{good}\n{fixed}\n")).expect("write");
    let r = run(dir, &["batch", "in.jsonl", "--out", "out", "--resume"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("rendered 1, failed 0, skipped 1"),
        "{}",
        r.stderr
    );
    assert_eq!(
        field(&manifest(&dir.join("out")), "status"),
        ["rendered", "rendered"]
    );
}

#[test]
fn render_refuses_two_requests_that_would_write_the_same_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    for (sub, name) in [("a", "Ms Ann One"), ("b", "Ms Bea Two")] {
        fs::create_dir_all(dir.join(sub)).expect("mkdir");
        fs::write(dir.join(sub).join("request.yaml"), yaml(None, name)).expect("write");
    }
    let r = run(
        dir,
        &["render", "a/request.yaml", "b/request.yaml", "--out", "o"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: a/request.yaml and b/request.yaml would both be written to o/request.pdf; give each request its own id, or render them one at a time\nwrote o/request.pdf\n1 of 2 requests failed\n"
    );
    let text = squash(&pdf_text(
        &fs::read(dir.join("o/request.pdf")).expect("pdf"),
    ));
    assert!(
        text.contains("Ms Ann One") && !text.contains("Ms Bea Two"),
        "{text}"
    );
}

#[test]
fn render_never_replaces_a_file_without_force_nor_an_input_at_all() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("r.yaml"), yaml(None, "Ms Ann One")).expect("write");
    fs::write(dir.join("letter.pdf"), b"the officer's own file").expect("write");
    let r = run(dir, &["render", "r.yaml", "--out", "letter.pdf"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: letter.pdf already exists; add --force to replace it\n1 of 1 requests failed\n"
    );
    assert_eq!(
        fs::read(dir.join("letter.pdf")).expect("read"),
        b"the officer's own file"
    );
    let forced = run(dir, &["render", "r.yaml", "--out", "letter.pdf", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        fs::read(dir.join("letter.pdf"))
            .expect("read")
            .starts_with(b"%PDF-")
    );
    let over_input = run(dir, &["render", "r.yaml", "--out", "./r.yaml", "--force"]);
    assert_eq!(over_input.code, 1);
    assert!(
        over_input
            .stderr
            .starts_with("error: ./r.yaml is an input; letterkit never writes over an input"),
        "{}",
        over_input.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.join("r.yaml")).expect("read"),
        yaml(None, "Ms Ann One")
    );
}

#[cfg(unix)]
#[test]
fn a_planted_symlink_at_an_output_is_never_written_through() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("victim.txt"), b"keep").expect("victim");
    fs::write(dir.join("in.jsonl"), json_line("s1", "Ms Ann One") + "\n").expect("write");
    fs::create_dir(dir.join("out")).expect("mkdir");
    std::os::unix::fs::symlink(dir.join("victim.txt"), dir.join("out/s1.pdf")).expect("link");
    let b = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(b.code, 1, "{}", b.stderr);
    assert!(
        b.stderr.contains(
            "failed: in.jsonl:1: s1.pdf already exists in the output folder and was not made by this run; letterkit does not replace it"
        ),
        "{}",
        b.stderr
    );
    fs::write(dir.join("r.yaml"), yaml(None, "Ms Ann One")).expect("write");
    std::os::unix::fs::symlink(dir.join("victim.txt"), dir.join("r.pdf")).expect("link");
    let r = run(dir, &["render", "r.yaml", "--out", "r.pdf"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(fs::read(dir.join("victim.txt")).expect("read"), b"keep");
}

#[test]
fn render_out_names_a_file_for_several_requests_or_standard_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("a.yaml"), yaml(Some("a"), "Ms Ann One")).expect("write");
    fs::write(dir.join("b.yaml"), yaml(Some("b"), "Ms Bea Two")).expect("write");
    let r = run(dir, &["render", "a.yaml", "b.yaml", "--out", "single.pdf"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: single.pdf names a file; several requests need a folder for --out\n"
    );
    assert!(
        !dir.join("single.pdf").exists(),
        "no folder named single.pdf"
    );

    let piped = run(dir, &["render", "a.yaml", "--out", "-"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(
        piped.stdout.starts_with(b"%PDF-"),
        "the PDF on standard output"
    );
    assert!(!dir.join("-").exists(), "no file named -");
    assert!(squash(&pdf_text(&piped.stdout)).contains("Ms Ann One"));

    let two = run(dir, &["render", "a.yaml", "b.yaml", "--out", "-"]);
    assert_eq!(two.code, 2);
    assert_eq!(
        two.stderr,
        "error: --out - writes one PDF to standard output; several requests need a folder for --out\n"
    );
}

#[test]
fn render_json_lists_what_was_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("a.yaml"), yaml(Some("a"), "Ms Ann One")).expect("write");
    let r = run(dir, &["render", "a.yaml", "--out", "o/", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_slice(&r.stdout).expect("json");
    let keys: Vec<&String> = doc.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["schema", "written", "failed"]);
    assert_eq!(doc["schema"], "letterkit.render.v1");
    assert_eq!(doc["written"][0]["output"], "o/a.pdf");
    assert_eq!(doc["written"][0]["letter"], "CMSL5502");
    assert_eq!(doc["written"][0]["pages"], 2);
    let bytes = fs::read(dir.join("o/a.pdf")).expect("pdf");
    assert_eq!(doc["written"][0]["bytes"], bytes.len());
    assert_eq!(
        doc["written"][0]["sha256"],
        crate::common::sha256_hex(&bytes)
    );
}

#[test]
fn batch_out_that_is_the_input_folder_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::create_dir(dir.join("x")).expect("mkdir");
    fs::write(dir.join("x/a.yaml"), yaml(Some("a"), "Ms Ann One")).expect("write");
    for out in ["x", "./x", "x/"] {
        let r = run(dir, &["batch", "x", "--out", out]);
        assert_eq!(r.code, 2, "{out}: {}", r.stderr);
        assert_eq!(
            r.stderr,
            "error: x is an input folder and the output folder: give --out a folder of its own (it may lie inside the input folder)\n"
        );
    }
    assert_eq!(names(&dir.join("x")), ["a.yaml".to_owned()].into());
}

#[test]
fn an_empty_manifest_left_by_a_failed_start_does_not_block_a_rerun() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("in.jsonl"), json_line("e1", "Ms Ann One") + "\n").expect("write");
    fs::create_dir(dir.join("out")).expect("mkdir");
    fs::write(dir.join("out/manifest.jsonl"), b"").expect("empty manifest");
    let r = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(field(&manifest(&dir.join("out")), "output"), ["e1.pdf"]);
}

#[test]
fn a_second_batch_into_the_same_folder_is_refused_while_the_first_runs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("in.jsonl"), json_line("l1", "Ms Ann One") + "\n").expect("write");
    fs::create_dir(dir.join("out")).expect("mkdir");
    // What a running batch holds: an operating-system lock on the lock file.
    let held = fs::File::create(dir.join("out/.letterkit-batch.lock")).expect("lock file");
    held.try_lock().expect("lock");
    let r = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "error: out is in use by another letterkit command; wait for it to finish\n"
    );
    assert!(!dir.join("out/manifest.jsonl").exists());
    drop(held);
    // A lock file whose holder died refuses nothing.
    let after = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert!(
        !dir.join("out/.letterkit-batch.lock").exists(),
        "no lock file left"
    );
}

#[test]
fn a_full_disk_leaves_a_parseable_manifest_and_says_what_was_not_done() {
    if !nix_root() {
        eprintln!("skipped: mounting a small tmpfs needs root (CI runs as root)");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let lines: Vec<String> = (0..40)
        .map(|i| json_line(&format!("f{i:02}"), "Ms Ann One"))
        .collect();
    fs::write(dir.join("in.jsonl"), lines.join("\n") + "\n").expect("write");
    let mnt = dir.join("small");
    fs::create_dir(&mnt).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=320k", "tmpfs"])
        .arg(&mnt)
        .status()
        .expect("mount runs");
    assert!(mounted.success(), "mount a 320 KiB tmpfs");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&mnt);
    let r = run(
        dir,
        &["batch", "in.jsonl", "--out", "small/out", "--jobs", "1"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let records = manifest(&mnt.join("out"));
    let done = records.len();
    assert!(done > 0 && done < 40, "{done} records");
    for rec in &records {
        assert_eq!(rec["status"], "rendered", "{rec}");
        let name = rec["output"].as_str().expect("output");
        assert!(
            mnt.join("out").join(name).exists(),
            "{name} recorded and present"
        );
    }
    let stopped = r
        .stderr
        .lines()
        .find(|l| l.starts_with("error: the run stopped: "))
        .unwrap_or_else(|| panic!("no stop message in:\n{}", r.stderr));
    assert!(
        stopped.contains("No space left on device (os error 28)")
            && stopped.ends_with(&format!(
                "; the manifest lists the {done} letter{} done, the rest were not done: make room, then run again with --resume",
                if done == 1 { "" } else { "s" }
            )),
        "{stopped}"
    );
    let temps: Vec<String> = names(&mnt.join("out"))
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(temps.is_empty(), "no temp file left: {temps:?}");
}

fn nix_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

// ---------------------------------------------------------------------------
// 2. Hangs and panics.

#[test]
fn batch_with_a_closed_or_full_stderr_ends_and_does_not_panic() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let lines: Vec<String> = (0..40)
        .map(|i| {
            let l = json_line(&format!("p{i:02}"), "Ms Ann One");
            if i % 3 == 0 {
                l.replace("2026-03-16", "2026-02-30")
            } else {
                l
            }
        })
        .collect();
    fs::write(dir.join("in.jsonl"), lines.join("\n") + "\n").expect("write");
    for (k, how) in ["/dev/full", "closed pipe"].iter().enumerate() {
        let stderr: Stdio = if *how == "/dev/full" {
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full")
                .into()
        } else {
            let (reader, writer) = std::io::pipe().expect("pipe");
            drop(reader);
            writer.into()
        };
        let out = format!("out{k}");
        let child = letterkit(dir)
            .args(["batch", "in.jsonl", "--out", &out, "--jobs", "2"])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn");
        let (code, _) = finish_within(child, Duration::from_secs(60), how);
        assert_eq!(
            code, 1,
            "{how}: the run ends with its own exit code (some failed)"
        );
        assert_eq!(
            manifest(&dir.join(&out)).len(),
            40,
            "{how}: every request recorded"
        );
    }
}

#[test]
fn a_panic_in_the_event_callback_never_deadlocks_the_workers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    let lines: Vec<String> = (0..200)
        .map(|i| json_line(&format!("d{i:03}"), "Ms Ann One"))
        .collect();
    fs::write(dir.join("in.jsonl"), lines.join("\n") + "\n").expect("write");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut options = letterkit::batch::Options::new(dir.join("out"));
        options.jobs = 2;
        let result = std::panic::catch_unwind(|| {
            letterkit::batch::run(
                crate::common::engine(),
                &[dir.join("in.jsonl")],
                &options,
                |_| panic!("the caller's callback fails"),
            )
        });
        let _ = tx.send(result.is_err());
    });
    let panicked = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("batch::run returned instead of hanging");
    assert!(panicked, "the callback's panic reaches the caller");
}

#[test]
fn show_into_a_closed_pipe_ends_quietly_and_list_into_a_full_disk_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    for args in [&["show", "CMSL5502"][..], &["list"], &["--help"]] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let child = letterkit(dir)
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (code, err) = finish_within(child, Duration::from_secs(30), "show | head");
        assert_eq!(code, 0, "{args:?} into a closed pipe: {err}");
        assert_eq!(err, "", "{args:?}: nothing on stderr");
    }
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = letterkit(dir)
        .arg("list")
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot write to standard output: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_huge_jobs_value_is_a_usage_error_that_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    fs::write(dir.join("in.jsonl"), json_line("h1", "Ms Ann One") + "\n").expect("write");
    for jobs in ["9223372036854775807", "5000000000", "257", "0"] {
        let r = run(dir, &["batch", "in.jsonl", "--out", "out", "--jobs", jobs]);
        assert_eq!(r.code, 2, "{jobs}: {}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("error: invalid value '{jobs}' for '--jobs <N>': ")),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(!dir.join("out").exists(), "nothing created");
    }
    assert_eq!(
        run(dir, &["batch", "in.jsonl", "--out", "out", "--jobs", "256"]).code,
        0
    );
}

// ---------------------------------------------------------------------------
// 4. Inputs as people make them (CSV) and every problem shown.

#[test]
fn csv_header_problems_are_reported_once_at_the_header() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let misspelt = CSV_HEADER.replace("recipient.name", "recipient.nmae");
    let rows = [csv_row("m1", "Ms Ann One"), csv_row("m2", "Ms Bea Two")];
    fs::write(
        dir.join("m.csv"),
        format!("{misspelt}\n{}\n", rows.join("\n")),
    )
    .expect("w");
    let dup = format!("{CSV_HEADER},id");
    fs::write(
        dir.join("d.csv"),
        format!("{dup}\n{},x\n", csv_row("d1", "Ms Ann One")),
    )
    .expect("w");
    let semi = CSV_HEADER.replace(',', ";");
    fs::write(
        dir.join("s.csv"),
        format!(
            "{semi}\n{}\n",
            csv_row("s1", "Ms Ann One").replace(',', ";")
        ),
    )
    .expect("w");
    let r = run(
        dir,
        &[
            "batch", "m.csv", "d.csv", "s.csv", "--letter", "CMSL5502", "--out", "out",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let failed: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("failed: "))
        .collect();
    assert_eq!(
        failed,
        [
            "failed: m.csv:2: not read: the header (line 1) has problems: column 4: unknown column `recipient.nmae` (did you mean `recipient.name`?); columns are id, letter, date, reference, language, recipient.name, recipient.address.1 .. .5, recipient.postcode, fields.<name>, optional, format, size, grade, profile",
            "failed: m.csv:3: not read: the header (line 1) has problems",
            "failed: d.csv:2: not read: the header (line 1) has problems: columns 1 and 13 both have `id`; each column must be named once",
            "failed: s.csv:2: not read: the header (line 1) has problems: the columns are separated by semicolons; letterkit reads comma-separated CSV (in Excel: save as \"CSV UTF-8 (Comma delimited)\")",
        ]
    );
    assert_eq!(manifest(&dir.join("out")).len(), 4, "every row recorded");
}

#[test]
fn a_windows_1252_csv_is_told_to_be_saved_as_utf8() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut bytes = format!("{CSV_HEADER}\r\n").into_bytes();
    bytes.extend(csv_row("w1", "Ms Zo\u{1}").as_bytes());
    let at = bytes.iter().rposition(|b| *b == 1).expect("marker");
    bytes[at] = 0xEB; // ë in Windows-1252
    bytes.extend(b"\r\n");
    bytes.extend(csv_row("w2", "Ms Ann One").as_bytes());
    bytes.extend(b"\r\n");
    fs::write(dir.join("w.csv"), bytes).expect("write");
    let r = run(
        dir,
        &["batch", "w.csv", "--letter", "CMSL5502", "--out", "out"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("failed: w.csv:2: is not UTF-8 text (byte 35 of the line); save the file as UTF-8 (in Excel: \"CSV UTF-8\")"),
        "{}",
        r.stderr
    );
    assert!(dir.join("out/w2.pdf").exists(), "the next row is rendered");
}

#[test]
fn batch_shows_five_problems_of_a_request_and_counts_the_rest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let bad = json_line("x1", "Ms Ann One")
        .replace("2026-03-02", "2026-02-30")
        .replace("2026-03-16", "2026-13-01")
        .replace("10:30", "25:00")
        .replace("\"payments\"", "\"paymnts\"")
        .replace("\"client\"", "\"nobody\"")
        .replace("LS6 1AB", "QQ1 1QQ")
        .replace("\"id\":\"x1\"", "\"id\":\"x 1\"");
    fs::write(dir.join("in.jsonl"), bad + "\n").expect("write");
    let r = run(dir, &["batch", "in.jsonl", "--out", "out"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let block: Vec<&str> = r
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("failed: "))
        .take_while(|l| !l.starts_with("rendered "))
        .collect();
    assert_eq!(block.len(), 6, "five problems and a count:\n{}", r.stderr);
    assert_eq!(
        block[5],
        "        ... and 2 more problems (--all-problems shows them)"
    );
    let all = run(
        dir,
        &["batch", "in.jsonl", "--out", "out2", "--all-problems"],
    );
    let all_block = all
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("failed: "))
        .take_while(|l| !l.starts_with("rendered "))
        .count();
    assert_eq!(all_block, 7, "{}", all.stderr);
}

#[test]
fn batch_json_prints_the_summary_document() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let bad = json_line("b2", "Ms Bea Two").replace("2026-03-16", "2026-02-30");
    fs::write(
        dir.join("in.jsonl"),
        format!("{}\n{bad}\n", json_line("b1", "Ms Ann One")),
    )
    .expect("write");
    let r = run(dir, &["batch", "in.jsonl", "--out", "out", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value = serde_json::from_slice(&r.stdout).expect("json");
    assert_eq!(
        doc,
        serde_json::json!({
            "schema": "letterkit.batch.v1", "rendered": 1, "failed": 1, "skipped": 0,
            "other_shards": 0, "manifest": "out/manifest.jsonl"
        })
    );
    assert_eq!(
        doc.as_object()
            .expect("obj")
            .keys()
            .next()
            .map(String::as_str),
        Some("schema")
    );
}

/// Letters kept by a sink as `batch --outbox` does: the groups it was given.
struct Recorder {
    group: usize,
    groups: Vec<Vec<u64>>,
}

impl letterkit::batch::Sink for Recorder {
    fn group(&self) -> usize {
        self.group
    }
    fn accept(
        &mut self,
        letters: Vec<letterkit::batch::Sunk>,
    ) -> Result<Vec<Result<String, String>>, String> {
        self.groups.push(letters.iter().map(|l| l.seq).collect());
        Ok(letters
            .iter()
            .map(|l| Ok(format!("kept-{}", l.seq)))
            .collect())
    }
}

/// Issue 15 (batch --outbox): the sink was handed nothing until a whole
/// group (256) was rendered, so a small run kept its store idle while the
/// workers rendered and left all of it for after the last letter. Now a
/// group of at least a chunk (16) goes to the sink whenever the writer has
/// nothing else to do; every letter is still handed over once, in order.
#[test]
fn a_sink_gets_letters_while_the_rest_are_rendered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let lines: Vec<String> = (0..64)
        .map(|k| json_line(&format!("g{k:02}"), "Ms Ann One"))
        .collect();
    fs::write(dir.join("in.jsonl"), lines.join("\n") + "\n").expect("write");
    let engine = crate::common::engine();
    let mut options = letterkit::batch::Options::new(dir.join("out"));
    options.jobs = 1;
    let mut sink = Recorder {
        group: 1000,
        groups: Vec::new(),
    };
    let summary = letterkit::batch::run_into(
        engine,
        &[dir.join("in.jsonl")],
        &options,
        Some(&mut sink),
        |_| {},
    )
    .expect("batch runs");
    assert_eq!(summary.rendered, 64);
    let all: Vec<u64> = sink.groups.concat();
    assert_eq!(
        all,
        (0..64).collect::<Vec<u64>>(),
        "each letter once, in order"
    );
    let sizes: Vec<usize> = sink.groups.iter().map(Vec::len).collect();
    assert!(sizes.len() >= 2, "group sizes {sizes:?}");
    let (last, rest) = sizes.split_last().expect("a group");
    // Never an empty group (the last one was, when the final hand-over
    // found everything taken at an idle moment).
    assert!(
        rest.iter().all(|&n| n >= 16) && *last > 0,
        "group sizes {sizes:?}"
    );
    let queued: Vec<String> = manifest(&dir.join("out"))
        .iter()
        .map(|r| r["queued"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        queued,
        (0..64).map(|k| format!("kept-{k}")).collect::<Vec<_>>()
    );

    // A run of exactly two full groups: two hand-overs, not a third, empty one.
    fs::write(dir.join("two.jsonl"), lines[..32].join("\n") + "\n").expect("write");
    let mut sink = Recorder {
        group: 16,
        groups: Vec::new(),
    };
    options.out = dir.join("out-two");
    letterkit::batch::run_into(
        engine,
        &[dir.join("two.jsonl")],
        &options,
        Some(&mut sink),
        |_| {},
    )
    .expect("batch runs");
    let sizes: Vec<usize> = sink.groups.iter().map(Vec::len).collect();
    assert_eq!(sizes, [16, 16]);
}
