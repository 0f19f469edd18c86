//! Catalog administration (issue 13): coverage and Welsh readiness in
//! `check`, proofs (`letterkit proof`), what a change touches
//! (`letterkit diff`), and pack procedures as data (`packs/*.yaml`).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{letterkit, pdf_text, root, squash};

fn run(dir: &Path, args: &[&str]) -> Output {
    letterkit(dir).args(args).output().expect("letterkit runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of the shipped catalog (with its pack procedures) in `tmp/cat`.
fn catalog_copy(tmp: &Path) -> PathBuf {
    let dest = tmp.join("cat");
    for sub in ["catalog.yaml", "letters", "paragraphs", "packs"] {
        for e in walkdir::WalkDir::new(root().join(sub)) {
            let e = e.expect("walk");
            let rel = e.path().strip_prefix(root()).expect("inside the repo");
            let target = dest.join(rel);
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
            } else {
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::copy(e.path(), &target).expect("copy");
            }
        }
    }
    dest
}

/// Replaces `from` (which must be there) with `to` in `file`.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).expect("write");
}

/// The 1-based line and column where `needle` starts in `file`.
fn position(file: &Path, needle: &str) -> (usize, usize) {
    let text = std::fs::read_to_string(file).expect("read");
    let at = text.find(needle).expect("needle in file");
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

const PARAGRAPHS: &str = "paragraphs/en/face-to-face.yaml";

// ---------------------------------------------------------------------------
// 1. Coverage

#[test]
fn check_warns_about_a_paragraph_no_letter_uses_and_keeps_exit_0() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join(PARAGRAPHS);
    let mut text = std::fs::read_to_string(&file).expect("read");
    text.push_str("  - code: TM_25899_E\n    text: A paragraph nobody selects.\n");
    std::fs::write(&file, text).expect("write");
    let (line, col) = position(&file, "TM_25899_E");
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "cat/{PARAGRAPHS}:{line}:{col}: warning: paragraph `TM_25899_E` is not used by any letter (no choice or optional paragraph selects it)\n"
        )
    );
    assert!(
        stdout(&o).starts_with(
            "catalog ok: 13 letters, 13 paragraphs, every template compiles, 1 warning\n"
        ),
        "{}",
        stdout(&o)
    );
    // As data: the unused paragraph and the warning.
    let o = run(tmp.path(), &["check", "--catalog", "cat", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["schema"], "letterkit.check.v1");
    assert_eq!(
        v["coverage"]["unused_paragraphs"],
        serde_json::json!(["TM_25899_E"])
    );
    assert_eq!(v["warnings"][0]["line"], line);
}

#[test]
fn check_json_maps_each_letters_reasons_to_their_paragraphs() {
    let o = run(&root(), &["check", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "the shipped catalog has no warnings");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["coverage"]["unused_paragraphs"], serde_json::json!([]));
    let letters = v["coverage"]["letters"].as_array().expect("letters");
    let l = letters
        .iter()
        .find(|l| l["letter"] == "CMSL5502")
        .expect("CMSL5502");
    let map = |field: &str| -> Vec<(String, String)> {
        l["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["field"] == field)
            .expect("field")["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .map(|c| {
                (
                    c["code"].as_str().unwrap_or("").to_owned(),
                    c["paragraph"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        map("changed-by"),
        [
            ("client".to_owned(), "TM_25820_E".to_owned()),
            ("cms".to_owned(), "TM_25821_E".to_owned())
        ]
    );
    let reasons = map("reason");
    assert_eq!(reasons.len(), 11);
    assert!(reasons.contains(&("payments".to_owned(), "TM_25827_E".to_owned())));
    assert!(reasons.contains(&("other".to_owned(), "-".to_owned())));
}

#[test]
fn check_warns_about_choices_and_options_the_template_never_shows() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("letters/CMSL5502.yaml");
    // The reason is printed only for one choice; the optional paragraphs never.
    edit(
        &file,
        "  {{ reason }}\n",
        "  {% if reason_code == \"payments\" %}{{ reason }}{% endif %}\n",
    );
    edit(
        &file,
        "  {% for p in optional_paragraphs %}\n\n  {{ p }}\n  {% endfor %}\n",
        "",
    );
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    // Ten reasons (all but payments) and the one optional paragraph.
    assert_eq!(lines.len(), 11, "{err}");
    let (line, col) = position(&file, "complaint, paragraph: TM_25823_E");
    assert!(
        lines.contains(&format!("cat/letters/CMSL5502.yaml:{line}:{col}: warning: choice `complaint` of field `reason` never shows in CMSL5502: the template does not print `{{{{ reason }}}}` for it").as_str()),
        "{err}"
    );
    assert!(!err.contains("choice `payments`"), "{err}");
    assert!(!err.contains("changed-by"), "{err}");
    let (line, col) = position(&file, "bring-someone");
    assert!(
        lines.contains(&format!("cat/letters/CMSL5502.yaml:{line}:{col}: warning: optional paragraph `bring-someone` never shows in CMSL5502: the template does not print `optional_paragraphs`").as_str()),
        "{err}"
    );
}

#[test]
fn check_language_cy_lists_what_has_no_welsh_counterpart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    std::fs::create_dir_all(cat.join("paragraphs/cy")).expect("mkdir");
    std::fs::write(
        cat.join("paragraphs/cy/face-to-face.yaml"),
        "language: cy\nparagraphs:\n  - code: TM_25820_W\n    text: \"draft: Welsh wording to come\"\n",
    )
    .expect("write");
    let o = run(
        tmp.path(),
        &["check", "--catalog", "cat", "--language", "cy"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("Welsh: 13 letters cannot be written in Welsh yet; missing:\n"),
        "{out}"
    );
    assert!(
        out.contains("CMSL5502: paragraph TM_25821_E has no Welsh counterpart TM_25821_W"),
        "{out}"
    );
    assert!(
        out.contains("CMSL5502: paragraph TM_25827_E has no Welsh counterpart TM_25827_W"),
        "{out}"
    );
    assert!(!out.contains("TM_25820_W"), "TM_25820_W is there: {out}");
    assert!(
        out.contains(
            "CMSL5502: the wording of `bring-someone` is written in the letter, in English only"
        ),
        "{out}"
    );
    assert!(
        out.contains("CMSL5502: the letter's own wording (its template) is in English only"),
        "{out}"
    );
    let o = run(
        tmp.path(),
        &["check", "--catalog", "cat", "--language", "cy", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["welsh"]["ready"], false);
    let codes: Vec<&str> = v["welsh"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter(|m| m["letter"] == "CMSL5502" && m["what"] == "paragraph")
        .filter_map(|m| m["code"].as_str())
        .collect();
    assert_eq!(codes.len(), 11, "{codes:?}");
    assert!(codes.contains(&"TM_25827_W") && !codes.contains(&"TM_25820_W"));
}

#[test]
fn a_welsh_request_is_refused_naming_the_missing_welsh_paragraphs_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("r.yaml"),
        "letter: CMSL5502\nlanguage: cy\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  changed-by: client\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Leeds\n  reason: payments\n",
    )
    .expect("write");
    let o = run(tmp.path(), &["render", "r.yaml", "--out", "x.pdf"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("r.yaml:2:11: language: CMSL5502 cannot be written in Welsh yet: the paragraph library lacks the Welsh paragraphs TM_25820_W, TM_25827_W, and the letter's own wording (its template) is in English only; write `en`"),
        "{err}"
    );
    assert!(!err.contains("Priya") && !err.contains("LS6"), "{err}");
    assert!(!tmp.path().join("x.pdf").exists());
}

// ---------------------------------------------------------------------------
// 2. Proofs

const REASONS: [&str; 11] = [
    "complaint",
    "parentage",
    "under-16",
    "calculation",
    "payments",
    "appeal",
    "information",
    "change",
    "enforcement-paying-parent",
    "enforcement-receiving-parent",
    "other",
];

#[test]
fn a_proof_of_cmsl5502_shows_every_reason_both_changed_by_the_option_and_both_addresses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(tmp.path(), &["proof", "CMSL5502", "--out", "proof.pdf"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "wrote proof.pdf: 1 letter, 24 variants, 49 pages\n"
    );
    let pdf = std::fs::read(tmp.path().join("proof.pdf")).expect("proof written");
    let text = pdf_text(&pdf);
    let flat = squash(&text);
    // The cover lists the 22 choice variants, the option and the longest address.
    assert!(flat.contains("Proof of CMSL5502"), "{flat}");
    assert!(flat.contains("CMSL5502 Your face to face meeting details have changed: 24 variants"));
    let mut n = 0;
    for by in ["client", "cms"] {
        for reason in REASONS {
            n += 1;
            let band = format!(
                "PROOF CMSL5502 · variant {n} of 24: changed-by = {by}, reason = {reason}, shortest address"
            );
            assert!(flat.contains(&band), "no band {band:?}");
            let listed = format!("{n}. changed-by = {by}, reason = {reason}, shortest address [");
            assert!(flat.contains(&listed), "cover lacks {listed:?}");
        }
    }
    assert_eq!(n, 22);
    assert!(flat.contains(
        "variant 23 of 24: changed-by = client, reason = complaint, optional bring-someone, shortest address"
    ));
    assert!(
        flat.contains("variant 24 of 24: changed-by = client, reason = complaint, longest address")
    );
    // The option's wording, both sample addresses.
    assert!(flat.contains("You can bring a friend, relative or someone else you trust"));
    assert!(flat.contains("Ms Li 1 Elm Road Leeds LS1 1AA"), "{flat}");
    assert!(flat.contains("Mr Oluwaseun Adebayo-Williams"));
    // Every reason's wording is shown, with its code in the margin, once per
    // changed-by (twice in all), plus the cover's two mentions.
    let library = std::fs::read_to_string(root().join(PARAGRAPHS)).expect("library");
    for code in 23..=32 {
        let code = format!("TM_258{code}_E");
        let count = text.matches(&code).count();
        // Two variants show it (client, cms); the first reason also shows in
        // the option and address variants; the cover lists it as often.
        let shown = if code == "TM_25823_E" { 4 } else { 2 };
        assert_eq!(count, 2 * shown, "{code} appears {count} times");
        let wording = library
            .split(&format!("code: {code}"))
            .nth(1)
            .and_then(|s| s.split("text: ").nth(1))
            .and_then(|s| s.lines().next())
            .expect("wording");
        assert!(flat.contains(wording.trim()), "{code}: {wording}");
    }
    assert!(flat.contains("Your application for a variation because of your special expenses"));
    // The proof is stable: the same catalog gives the same bytes.
    let o = run(tmp.path(), &["proof", "CMSL5502", "--out", "again.pdf"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read(tmp.path().join("again.pdf")).expect("again"),
        pdf
    );
}

#[test]
fn proof_refuses_an_existing_out_and_an_unknown_code() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("proof.pdf"), b"keep").expect("write");
    let o = run(tmp.path(), &["proof", "CMSL5502", "--out", "proof.pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: proof.pdf already exists; add --force to replace it\n"
    );
    assert_eq!(
        std::fs::read(tmp.path().join("proof.pdf")).expect("kept"),
        b"keep"
    );
    let o = run(tmp.path(), &["proof", "CMSL552", "--out", "p.pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(
            "error: unknown letter `CMSL552` (did you mean CMSL5502?); the catalog has: "
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn proof_all_proves_every_letter() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(tmp.path(), &["proof", "--all", "--out", "all.pdf"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("wrote all.pdf: 13 letters, "),
        "{}",
        stdout(&o)
    );
    let flat = squash(&pdf_text(
        &std::fs::read(tmp.path().join("all.pdf")).expect("pdf"),
    ));
    for code in [
        "CMSL5501",
        "CMSL5503",
        "CMEL7211",
        "pv-check-record",
        "ssst-referral-form",
    ] {
        assert!(
            flat.contains(&format!("PROOF {code} · variant 1 of")),
            "{code}"
        );
    }
}

#[test]
fn a_bad_sample_value_is_a_catalog_problem_at_its_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("letters/CMSL5503.yaml");
    edit(
        &file,
        "    meeting-time: \"14:15\"\n",
        "    meeting-time: \"25:15\"\n",
    );
    let (line, _) = position(&file, "meeting-time: \"25:15\"");
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "cat/letters/CMSL5503.yaml:{line}:19: sample: fields.meeting-time: "
        )),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// 3. Diff

#[test]
fn diff_names_exactly_the_letters_and_reasons_a_changed_paragraph_reaches() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    edit(
        &cat.join(PARAGRAPHS),
        "text: Child maintenance payments made in your case",
        "text: Child maintenance payments made and received in your case",
    );
    let o = run(tmp.path(), &["diff", "built-in", "cat"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let body: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(
        body,
        [
            "",
            "paragraph TM_25827_E: changed",
            "  Child maintenance payments made {+and received+} in your case",
            "  reaches: CMSL5502 reason = payments",
            "",
            "1 paragraph and 0 letters changed; 1 letter affected: CMSL5502",
        ],
        "{out}"
    );
    assert!(out.starts_with("old: built-in, catalog sha256 "));
    // The same as data, old then new.
    let o = run(tmp.path(), &["diff", "cat", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["schema"], "letterkit.diff.v1");
    assert_eq!(v["changed"], true);
    assert_ne!(v["old"]["sha256"], v["new"]["sha256"]);
    assert_eq!(
        v["reaches"],
        serde_json::json!([{"letter": "CMSL5502", "field": "reason", "choice": "payments"}])
    );
    assert_eq!(
        v["paragraphs"][0]["words"],
        serde_json::json!([
            {"op": "same", "text": "Child maintenance payments made"},
            {"op": "removed", "text": "and received"},
            {"op": "same", "text": "in your case"}
        ])
    );
}

/// The text of one half (`left`: x from 0, else from the middle) of page
/// `page` (1-based) of a landscape PDF, white space squashed.
fn half_text(pdf: &Path, page: usize, left: bool) -> String {
    crate::common::need_poppler();
    let x = if left { "0" } else { "421" };
    let n = page.to_string();
    let out = std::process::Command::new("pdftotext")
        .args([
            "-f", &n, "-l", &n, "-x", x, "-y", "0", "-W", "420", "-H", "596",
        ])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success());
    squash(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn diff_proof_shows_the_old_and_the_new_letter_side_by_side() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    edit(
        &cat.join(PARAGRAPHS),
        "text: Child maintenance payments made in your case",
        "text: Child maintenance payments received in your case",
    );
    let o = run(
        tmp.path(),
        &["diff", "built-in", "cat", "--proof", "change.pdf"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // CMSL5502 has two pages: two landscape sheets, old left, new right.
    assert!(
        stdout(&o).ends_with("wrote change.pdf: 1 variant old and new side by side, 2 pages\n"),
        "{}",
        stdout(&o)
    );
    let pdf = tmp.path().join("change.pdf");
    let band =
        "CMSL5502 · variant 1 of 1: changed-by = client, reason = payments, shortest address";
    let (old, new) = (half_text(&pdf, 1, true), half_text(&pdf, 1, false));
    assert!(old.starts_with(&format!("OLD {band}")), "{old}");
    assert!(
        old.contains("Child maintenance payments made in your case"),
        "{old}"
    );
    assert!(!old.contains("payments received"), "{old}");
    assert!(new.starts_with(&format!("NEW {band}")), "{new}");
    assert!(
        new.contains("Child maintenance payments received in your case"),
        "{new}"
    );
    assert!(half_text(&pdf, 2, true).contains("How we use your information"));
    assert!(half_text(&pdf, 2, false).starts_with(&format!("NEW {band}")));
    let all = pdf_text(&std::fs::read(&pdf).expect("pdf"));
    assert!(
        !all.contains("reason = complaint"),
        "only the affected variant"
    );
    assert_eq!(all.matches('\u{c}').count(), 2, "two pages");
}

#[test]
fn diff_of_equal_catalogs_exits_0() {
    let tmp = tempfile::tempdir().expect("tempdir");
    catalog_copy(tmp.path());
    let o = run(tmp.path(), &["diff", "cat"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("no changes: the two catalogs are the same\n"));
    let o = run(tmp.path(), &["diff", "no-such-folder"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn diff_lists_letter_wording_and_fields_added_or_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("letters/CMSL5503.yaml");
    edit(
        &file,
        "  - name: meeting-location\n",
        "  - name: room\n    type: text\n    required: false\n  - name: meeting-location\n",
    );
    let o = run(tmp.path(), &["diff", "built-in", "cat"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("letter CMSL5503: changed\n  fields added: room\n"),
        "{out}"
    );
    assert!(
        out.ends_with("0 paragraphs and 1 letter changed; 1 letter affected: CMSL5503\n"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// 4. Pack procedures as data

#[test]
fn a_misspelt_key_in_a_pack_procedure_is_refused_at_its_position() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("packs/commitment.yaml");
    edit(
        &file,
        "    needs: [issue-date]\n",
        "    neds: [issue-date]\n",
    );
    let (line, col) = position(&file, "neds:");
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("the catalog has 1 problem:\n  cat/packs/commitment.yaml:{line}:{col}: unknown field `neds`, expected one of name, summary, after, side, gives, needs, ensures, resets, documents, rerenders, attach, closes, corrects\n")),
        "{err}"
    );
}

#[test]
fn a_step_that_follows_a_missing_step_is_refused_at_its_position() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("packs/liability-order.yaml");
    edit(
        &file,
        "    after: [cover-letter]\n",
        "    after: [cover-leter]\n",
    );
    let (line, col) = position(&file, "cover-leter");
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).lines().take(2).collect::<Vec<_>>(),
        [
            "the catalog has 1 problem:".to_owned(),
            format!(
                "  cat/packs/liability-order.yaml:{line}:{col}: step `issued` follows `cover-leter`, which is not a step of the liability-order pack (did you mean `cover-letter`?); steps: cancel, correct, court-fee, cover-letter, create, issued, outcome, second-pv-check"
            ),
        ]
    );
}

#[test]
fn a_pack_procedure_naming_an_unknown_document_or_key_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("packs/face-to-face.yaml");
    edit(
        &file,
        "      - code: CMSL5503\n",
        "      - code: CMSL5599\n",
    );
    edit(
        &file,
        "    gives: [attendance]\n",
        "    gives: [attendence]\n",
    );
    let (l1, c1) = position(&file, "CMSL5599");
    let (l2, c2) = position(&file, "attendence");
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("cat/packs/face-to-face.yaml:{l1}:{c1}: step `cancel` renders `CMSL5599`, which is not a letter or form of the catalog")), "{err}");
    assert!(err.contains(&format!("cat/packs/face-to-face.yaml:{l2}:{c2}: step `attendance` gives `attendence`, which is not a data key (did you mean `attendance`?)")), "{err}");
    assert!(err.starts_with("the catalog has 3 problems:"), "{err}");
}

const REFERRAL: &str = "reference: \"1234 5678 9012\"\nregion: North East\nsr-number: SR-1-2345678\npaying-parent-name: Mr Sam Taylor\npaying-parent-address: [\"22 Grey Street\", \"Newcastle upon Tyne\"]\npaying-parent-postcode: NE1 6AE\ncourt: Newcastle Magistrates' Court\namount-owed: 2450.00\npv-checked-by: J Officer\npv-result: no-marking\n";

#[test]
fn an_administrator_adds_a_pack_step_in_yaml_without_recompiling() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("packs/commitment.yaml");
    // A new step on the path between `issued` and the second PV check.
    edit(
        &file,
        "  - name: second-pv-check\n",
        "  - name: reminder\n    summary: \"A reminder of the hearing was sent to the paying parent: records the date\"\n    after: [issued]\n    gives: [issue-date]\n    needs: [issue-date]\n\n  - name: second-pv-check\n",
    );
    edit(
        &file,
        "    after: [issued]\n    gives: [pv-checked-by",
        "    after: [reminder]\n    gives: [pv-checked-by",
    );
    let d = tmp.path();
    let o = run(d, &["--catalog", "cat", "pack", "steps", "commitment"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("  reminder  [after issued]\n      A reminder of the hearing was sent"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("  second-pv-check  [after reminder]"));
    // The shipped procedure does not know it.
    assert!(!stdout(&run(d, &["pack", "steps", "commitment"])).contains("reminder"));

    std::fs::write(d.join("referral.yaml"), REFERRAL).expect("write");
    std::fs::write(
        d.join("hearing.yaml"),
        "cpo-name: Alex Morgan\nhearing-date: 2026-04-14\ncourt-address: [\"The Law Courts\", \"Quayside\"]\ncourt-postcode: NE1 3LA\n",
    )
    .expect("write");
    let c = ["--catalog", "cat"];
    let step = |args: &[&str]| {
        let mut all = c.to_vec();
        all.extend_from_slice(args);
        run(d, &all)
    };
    for args in [
        &[
            "pack",
            "create",
            "commitment",
            "p.zip",
            "--date",
            "2026-03-02",
            "--data",
            "referral.yaml",
        ][..],
        &[
            "pack",
            "step",
            "p.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            "hearing.yaml",
        ],
        &[
            "pack",
            "step",
            "p.zip",
            "paying-parent-letter",
            "--date",
            "2026-03-10",
        ],
        &[
            "pack",
            "step",
            "p.zip",
            "issued",
            "--date",
            "2026-03-20",
            "--set",
            "issue-date=2026-03-19",
        ],
    ] {
        let o = step(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    }
    let o = step(&[
        "pack",
        "step",
        "p.zip",
        "issued",
        "--date",
        "2026-03-20",
        "--set",
        "issue-date=2026-03-19",
    ]);
    assert_eq!(o.status.code(), Some(1));
    // After `issued`, the new step comes next, and the second PV check waits for it.
    let o = step(&["pack", "show", "p.zip"]);
    assert!(
        stdout(&o).contains("next: reminder: A reminder of the hearing was sent"),
        "{}",
        stdout(&o)
    );
    let o = step(&[
        "pack",
        "step",
        "p.zip",
        "second-pv-check",
        "--date",
        "2026-03-21",
        "--set",
        "pv-checked-by=J Officer",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("at stage `issued`; next: `reminder`"),
        "{}",
        stderr(&o)
    );
    let o = step(&[
        "pack",
        "step",
        "p.zip",
        "reminder",
        "--date",
        "2026-03-23",
        "--set",
        "issue-date=2026-03-23",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("step `reminder` recorded"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("next: second-pv-check"),
        "{}",
        stdout(&o)
    );
    let o = step(&["pack", "verify", "p.zip"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The built-in procedure refuses the step it does not have.
    let o = run(
        d,
        &[
            "pack",
            "step",
            "p.zip",
            "reminder",
            "--date",
            "2026-03-24",
            "--set",
            "issue-date=2026-03-24",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn docs_packs_md_names_every_step_of_the_shipped_procedures() {
    let docs = std::fs::read_to_string(root().join("docs/packs.md")).expect("docs");
    let procedures = letterkit::pack::Procedures::builtin();
    for p in procedures.iter() {
        assert_eq!(p.file, format!("packs/{}.yaml", p.kind));
        for s in p.steps() {
            assert!(
                docs.contains(&format!("`{}`", s.name)) || docs.contains(&format!(" {} ", s.name)),
                "docs/packs.md never names step `{}` of {}",
                s.name,
                p.kind
            );
        }
    }
    assert!(docs.contains("## Procedures as data"));
}

#[test]
fn proof_and_diff_help_keep_their_examples_whole_at_60_columns() {
    for verb in ["proof", "diff"] {
        let o = letterkit(&root())
            .env("COLUMNS", "60")
            .args([verb, "--help"])
            .output()
            .expect("runs");
        assert!(o.status.success());
        let help = stdout(&o);
        let (prose, examples) = help.split_once("\nExamples:\n").expect("examples");
        for line in examples.lines().filter(|l| !l.is_empty()) {
            assert!(
                line.starts_with(&format!("  letterkit {verb}")),
                "{verb}: `{line}`"
            );
        }
        for line in prose.lines().filter(|l| !l.starts_with("Usage: ")) {
            assert!(
                line.chars().count() <= 60,
                "{verb}: `{line}` is wider than 60"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The braille carrier page's wording (issue 11)

/// The carrier page's wording sits in `catalog.yaml` (`braille-carrier:`),
/// marked draft, not in Rust: the shipped wording gives the page it always
/// gave (the same words, and byte for byte the same PDF, checked when it
/// moved), a catalog that changes it changes the page, one without it is
/// refused for braille with a message saying what to add, and an unknown
/// placeholder is a `check` error at its line and column.
#[test]
fn the_braille_carrier_wording_comes_from_catalog_yaml_marked_draft() {
    let shipped = crate::common::engine()
        .catalog()
        .settings
        .braille_carrier
        .clone()
        .expect("the shipped catalog has braille-carrier:");
    assert!(
        shipped
            .draft
            .as_deref()
            .is_some_and(|d| d.contains("letterkit's own plain wording")),
        "{shipped:?}"
    );
    let request = |engine: &letterkit::Engine| {
        let text = std::fs::read_to_string(
            root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml"),
        )
        .expect("fixture");
        engine
            .parse_request(&format!("{text}format: braille\n"), "br.yaml")
            .expect("a braille request")
    };
    let page_text = |engine: &letterkit::Engine| -> Result<String, String> {
        let pages = engine.layout(&request(engine)).map_err(|e| e.to_string())?;
        Ok(squash(
            &pages
                .iter()
                .flat_map(|p| &p.items)
                .filter_map(|i| match i {
                    letterkit::layout::Item::Text(run) => Some(run.text.as_str()),
                    letterkit::layout::Item::Rule { .. } => None,
                })
                .collect::<Vec<_>>()
                .join(" "),
        ))
    };
    let shipped_text = page_text(crate::common::engine()).expect("carrier");
    for phrase in [
        "This letter is in braille".to_owned(),
        "Our reference: 1234 5678 9012".to_owned(),
        "The letter in this envelope (CMSL5502: Your face to face meeting details have changed) is printed in braille."
            .to_owned(),
    ] {
        assert!(shipped_text.contains(&phrase), "{phrase}: {shipped_text}");
    }

    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = catalog_copy(tmp.path());
    let file = cat.join("catalog.yaml");
    let original = std::fs::read_to_string(&file).expect("catalog.yaml");
    std::fs::write(
        &file,
        original.replace(
            "heading: This letter is in braille",
            "heading: Your letter in braille",
        ),
    )
    .expect("write");
    let engine = letterkit::Engine::from_dir(&cat).expect("the edited catalog loads");
    let text = page_text(&engine).expect("carrier");
    assert!(text.contains("Your letter in braille"), "{text}");
    assert!(!text.contains("This letter is in braille"), "{text}");

    let without = &original[..original
        .find("# The print carrier page")
        .expect("the section")];
    std::fs::write(&file, without).expect("write");
    let engine = letterkit::Engine::from_dir(&cat).expect("loads without it");
    assert_eq!(
        page_text(&engine),
        Err("CMSL5502: the catalog has no wording for the braille carrier page: add `braille-carrier:` to its catalog.yaml".to_owned())
    );

    std::fs::write(
        &file,
        original.replace("Our reference: {reference}", "Our reference: {ref}"),
    )
    .expect("write");
    let (line, col) = position(&file, "\"Our reference: {ref}\"");
    let o = run(tmp.path(), &["check", "--catalog", "cat"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "the catalog has 1 problem:\n  cat/catalog.yaml:{line}:{col}: braille-carrier: unknown placeholder {{ref}}; the carrier page fills in {{reference}}, {{code}}, {{title}}\n"
        )
    );
}
