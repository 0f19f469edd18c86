//! `letterkit batch` through the CLI (issue 5, sections 1 and 3): mixed folder,
//! JSON Lines and CSV inputs with bad requests among them, the manifest, the
//! same bytes whatever `--jobs`, shards, kill -9 and `--resume`, a torn
//! manifest, progress output, privacy of error messages and usage errors.
//!
//! Every test builds its inputs in a temp dir and runs the built binary there
//! with relative paths, so the locations in messages are short and exact.
//! Tests marked `#[ignore = "bug: ..."]` assert the correct behaviour of a
//! known bug; run them with `cargo test --test main batch -- --ignored`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::common::{letterkit, normalise_extracted, pdf_text, sha256_hex, squash};

// ---------------------------------------------------------------------------
// Requests.

const LOCATION: &str = "Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ";

/// Reasons of CMSL5501 and CMSL5502 with their "What we'll talk about" wording.
const REASONS: &[(&str, &str)] = &[
    ("payments", "Child maintenance payments made in your case"),
    (
        "complaint",
        "A complaint you have made against the Child Maintenance Service",
    ),
    (
        "appeal",
        "Your appeal against a decision made by the Child Maintenance Service",
    ),
    (
        "information",
        "The information we need from you about a specific aspect of your child maintenance case",
    ),
    (
        "parentage",
        "parentage of the child or children named in your child maintenance case",
    ),
    (
        "change",
        "Your request to change the way we work out child maintenance in your case",
    ),
    (
        "under-16",
        "Your child maintenance case because you are under the age of 16. You must bring an adult with you to this meeting",
    ),
    (
        "enforcement-paying-parent",
        "Why we have taken action against you to recover money owed for child maintenance",
    ),
];

/// Columns of the CSV files (a `letter` column goes first when asked for).
const CSV_HEADER: &str = "id,date,reference,recipient.name,recipient.address.1,recipient.address.2,recipient.address.3,recipient.postcode,fields.changed-by,fields.meeting-date,fields.meeting-time,fields.meeting-location,fields.reason";

/// A face-to-face meeting letter request (CMSL5501 or CMSL5502).
#[derive(Debug, Clone)]
struct Req {
    id: Option<String>,
    letter: &'static str,
    name: String,
    address: Vec<String>,
    postcode: String,
    /// CMSL5502 only.
    changed_by: Option<&'static str>,
    meeting_date: String,
    reason: &'static str,
    reason_text: Option<String>,
}

impl Req {
    /// A valid CMSL5502 request changed by the client.
    fn new(id: Option<&str>, name: &str, reason: &'static str) -> Req {
        Req {
            id: id.map(str::to_owned),
            letter: "CMSL5502",
            name: name.to_owned(),
            address: vec!["14 Church Lane".into(), "Headingley".into(), "Leeds".into()],
            postcode: "LS6 1AB".into(),
            changed_by: Some("client"),
            meeting_date: "2026-03-16".into(),
            reason,
            reason_text: None,
        }
    }

    /// The same as a CMSL5501 (which has no `changed-by`).
    fn cmsl5501(mut self) -> Req {
        self.letter = "CMSL5501";
        self.changed_by = None;
        self
    }

    fn cms(mut self) -> Req {
        self.changed_by = Some("cms");
        self
    }

    fn address(mut self, lines: &[&str]) -> Req {
        self.address = lines.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    fn postcode(mut self, postcode: &str) -> Req {
        self.postcode = postcode.to_owned();
        self
    }

    fn meeting_date(mut self, date: &str) -> Req {
        self.meeting_date = date.to_owned();
        self
    }

    fn letter(mut self, code: &'static str) -> Req {
        self.letter = code;
        self
    }

    fn json(&self) -> Value {
        let mut fields = json!({
            "meeting-date": self.meeting_date,
            "meeting-time": "10:30",
            "meeting-location": LOCATION,
            "reason": self.reason,
        });
        if let Some(c) = self.changed_by {
            fields["changed-by"] = json!(c);
        }
        if let Some(t) = &self.reason_text {
            fields["reason-text"] = json!(t);
        }
        let mut v = json!({
            "letter": self.letter,
            "date": "2026-03-02",
            "reference": "1234 5678 9012",
            "recipient": {
                "name": self.name,
                "address": self.address,
                "postcode": self.postcode,
            },
            "fields": fields,
        });
        if let Some(id) = &self.id {
            v["id"] = json!(id);
        }
        v
    }

    /// One JSON Lines line (no newline).
    fn jsonl(&self) -> String {
        self.json().to_string()
    }

    /// A YAML request file.
    fn yaml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("string");
        let mut y = String::new();
        if let Some(id) = &self.id {
            y += &format!("id: {id}\n");
        }
        y += &format!("letter: {}\n", self.letter);
        y += "date: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n";
        y += &format!("  name: {}\n", q(&self.name));
        y += &format!(
            "  address: [{}]\n",
            self.address
                .iter()
                .map(|a| q(a))
                .collect::<Vec<_>>()
                .join(", ")
        );
        y += &format!("  postcode: {}\nfields:\n", q(&self.postcode));
        if let Some(c) = self.changed_by {
            y += &format!("  changed-by: {c}\n");
        }
        y += &format!(
            "  meeting-date: {}\n  meeting-time: \"10:30\"\n  meeting-location: {}\n  reason: {}\n",
            self.meeting_date,
            q(LOCATION),
            self.reason
        );
        if let Some(t) = &self.reason_text {
            y += &format!("  reason-text: {}\n", q(t));
        }
        y
    }

    /// One CSV row in [`CSV_HEADER`] order (at most three address lines).
    fn csv_row(&self, letter_column: bool) -> String {
        assert!(
            self.address.len() <= 3,
            "the CSV files have 3 address columns"
        );
        let mut cells: Vec<String> = Vec::new();
        if letter_column {
            cells.push(self.letter.into());
        }
        cells.push(self.id.clone().unwrap_or_default());
        cells.push("2026-03-02".into());
        cells.push("1234 5678 9012".into());
        cells.push(self.name.clone());
        for i in 0..3 {
            cells.push(self.address.get(i).cloned().unwrap_or_default());
        }
        cells.push(self.postcode.clone());
        cells.push(self.changed_by.unwrap_or("").into());
        cells.push(self.meeting_date.clone());
        cells.push("10:30".into());
        cells.push(LOCATION.into());
        cells.push(self.reason.into());
        cells
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Phrases the rendered letter must contain.
    fn phrases(&self) -> Vec<String> {
        let wording = match &self.reason_text {
            Some(t) => t.as_str(),
            None => {
                REASONS
                    .iter()
                    .find(|(r, _)| *r == self.reason)
                    .expect("a reason of REASONS")
                    .1
            }
        };
        let mut p = vec![
            self.name.clone(),
            self.postcode.clone(),
            format!("What we'll talk about {wording}"),
            self.letter.to_owned(),
        ];
        p.extend(self.address.iter().cloned());
        match (self.letter, self.changed_by) {
            ("CMSL5501", _) => p.push("Information about your face to face meeting with us".into()),
            (_, Some("client")) => p.push(
                "You recently asked us to change the details of a face-to-face meeting".into(),
            ),
            (_, _) => p.push(
                "We recently contacted you to change the details of a face-to-face meeting".into(),
            ),
        }
        p
    }
}

fn csv_file(rows: &[&Req], letter_column: bool) -> String {
    let mut s = String::new();
    if letter_column {
        s += "letter,";
    }
    s += CSV_HEADER;
    s += "\n";
    for r in rows {
        s += &r.csv_row(letter_column);
        s += "\n";
    }
    s
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(&p, text).expect("write input");
}

/// Asserts that `pdf` is the letter of `req` (its pdftotext text).
fn assert_letter_of(pdf: &[u8], req: &Req, what: &str) {
    let text = normalise_extracted(&pdf_text(pdf));
    for phrase in req.phrases() {
        assert!(
            text.contains(&squash(&phrase)),
            "{what}: the PDF does not contain {phrase:?}; its text:\n{text}"
        );
    }
}

// ---------------------------------------------------------------------------
// Running and inspecting.

/// What a finished run printed and returned.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The summary line (`rendered N, failed M, skipped K ...`).
    fn summary(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("rendered "))
            .collect();
        assert_eq!(lines.len(), 1, "one summary line in:\n{}", self.stderr);
        lines[0]
    }

    fn failed_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("failed: "))
            .collect()
    }
}

/// Runs `letterkit batch ARGS` in `dir` to the end. Without a terminal, the
/// output must never hold escape codes (no progress bar, no colour).
fn batch(dir: &Path, args: &[&str]) -> Run {
    let out = letterkit(dir)
        .arg("batch")
        .args(args)
        .output()
        .expect("letterkit runs");
    let run = Run {
        code: out.status.code().expect("letterkit exited by itself"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    };
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stdout.contains('\u{1b}'),
        "escape codes in the output of `batch {args:?}` without a terminal:\n{:?}",
        run.stderr
    );
    run
}

/// The names of every file in `dir` (not recursive).
fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Every PDF in `dir`, by name.
fn pdfs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    listing(dir)
        .into_iter()
        .filter(|n| n.ends_with(".pdf"))
        .map(|n| {
            let bytes = fs::read(dir.join(&n)).expect("read pdf");
            (n, bytes)
        })
        .collect()
}

fn temp_files(dir: &Path) -> Vec<String> {
    listing(dir)
        .into_iter()
        .filter(|n| n.starts_with('.') && (n.ends_with(".tmp") || n.contains(".tmp-")))
        .collect()
}

/// The manifest's lines, each parsed (every line must be whole and valid).
fn manifest(dir: &Path) -> Vec<Value> {
    let text = fs::read_to_string(dir.join("manifest.jsonl")).expect("manifest.jsonl exists");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the manifest ends with a whole line"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad manifest line {l}: {e}")))
        .collect()
}

/// The whole (newline-terminated, valid) lines of a manifest a killed run left.
fn whole_records(dir: &Path) -> Vec<Value> {
    let text = fs::read_to_string(dir.join("manifest.jsonl")).unwrap_or_default();
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    text[..end]
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn pages(pdf: &[u8]) -> u64 {
    lopdf::Document::load_mem(pdf)
        .expect("lopdf reads the PDF")
        .get_pages()
        .len() as u64
}

/// Checks a `rendered` manifest record against the file it names.
fn check_rendered_record(out: &Path, r: &Value, letter: &str) {
    let name = r["output"].as_str().expect("output");
    let bytes = fs::read(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r["status"], "rendered", "{r}");
    assert_eq!(r["letter"], letter, "{r}");
    assert_eq!(r["bytes"], bytes.len() as u64, "{r}");
    assert_eq!(r["sha256"], sha256_hex(&bytes), "{r}: sha256 of {name}");
    assert_eq!(r["pages"], pages(&bytes), "{r}: pages of {name}");
    assert!(r.get("error").is_none(), "{r}");
}

fn seqs(records: &[Value]) -> Vec<u64> {
    records
        .iter()
        .map(|r| r["seq"].as_u64().expect("seq"))
        .collect()
}

// ---------------------------------------------------------------------------
// 1. Mixed input with bad requests.

/// The mixed inputs in input order: (request, location, output name, or None
/// when it must fail).
struct Mixed {
    reqs: Vec<(Req, &'static str, Option<&'static str>)>,
    /// Personal data of the failing requests.
    secrets: Vec<&'static str>,
}

fn mixed_inputs(dir: &Path) -> Mixed {
    let a = Req::new(Some("fold-a"), "Ms Alice Folder", "payments");
    let b = Req::new(Some("fold-b"), "Mr Bob Json", "complaint").cms();
    let c_bad = Req::new(None, "Ms Carol Unknownletter", "payments")
        .letter("CMSL0152")
        .address(&["77 Hidden Row", "Bradford"])
        .postcode("BD7 1AA");
    let d = Req::new(None, "Mx Dana Deep", "appeal").cmsl5501();
    write(dir, "reqs/a-first.yaml", &a.yaml());
    write(
        dir,
        "reqs/notes.txt",
        "Not a request: tonight's batch, see the CSV.\n",
    );
    write(
        dir,
        "reqs/sub/b.json",
        &serde_json::to_string_pretty(&b.json()).expect("json"),
    );
    write(dir, "reqs/sub/c-bad.yaml", &c_bad.yaml());
    write(dir, "reqs/sub/deeper/d.yaml", &d.yaml());

    let j1 = Req::new(Some("j1"), "Mr Jim Lines", "information");
    let j3_bad = Req::new(Some("j3"), "Ms Jane Baddate", "payments")
        .address(&["12 Quiet Mews", "York"])
        .postcode("YO1 7HH")
        .meeting_date("2026-02-30");
    let j4 = Req::new(None, "Mr Noid Lines", "parentage").cms();
    // Line 2 is blank: skipped, but counted in line numbers.
    write(
        dir,
        "r.jsonl",
        &format!("{}\n\n{}\n{}\n", j1.jsonl(), j3_bad.jsonl(), j4.jsonl()),
    );

    let c1 = Req::new(Some("c1"), "Mr Carl Csv", "payments");
    let c2_bad = Req::new(Some("c2"), "Mr Pete Badpost", "payments")
        .address(&["99 Secret Street", "Leeds"])
        .postcode("BD7 7Q");
    let c3 = Req::new(None, "Ms Nora Noid", "complaint").cms();
    write(dir, "r.csv", &csv_file(&[&c1, &c2_bad, &c3], false));

    let l1 = Req::new(Some("l1"), "Ms Lola Letter", "under-16").cmsl5501();
    let l2 = Req::new(Some("l2"), "Mr Len Column", "change").cms();
    write(dir, "letters.csv", &csv_file(&[&l1, &l2], true));

    Mixed {
        reqs: vec![
            (a, "reqs/a-first.yaml", Some("fold-a.pdf")),
            (b, "reqs/sub/b.json", Some("fold-b.pdf")),
            (c_bad, "reqs/sub/c-bad.yaml", None),
            (d, "reqs/sub/deeper/d.yaml", Some("pos-00000003.pdf")),
            (j1, "r.jsonl:1", Some("j1.pdf")),
            (j3_bad, "r.jsonl:3", None),
            (j4, "r.jsonl:4", Some("pos-00000006.pdf")),
            (c1, "r.csv:2", Some("c1.pdf")),
            (c2_bad, "r.csv:3", None),
            (c3, "r.csv:4", Some("pos-00000009.pdf")),
            (l1, "letters.csv:2", Some("l1.pdf")),
            (l2, "letters.csv:3", Some("l2.pdf")),
        ],
        secrets: vec![
            "Carol",
            "Unknownletter",
            "77 Hidden Row",
            "BD7 1AA",
            "Baddate",
            "12 Quiet Mews",
            "YO1 7HH",
            "Badpost",
            "99 Secret Street",
            "BD7 7Q",
        ],
    }
}

const MIXED_ARGS: &[&str] = &[
    "reqs",
    "r.jsonl",
    "r.csv",
    "letters.csv",
    "--letter",
    "CMSL5502",
    "--out",
    "out",
];

#[test]
fn mixed_folder_jsonl_and_csv_render_the_good_and_report_the_bad() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mixed = mixed_inputs(dir);
    let run = batch(dir, MIXED_ARGS);
    let out = dir.join("out");

    assert_eq!(run.code, 1, "some requests failed: {run:?}");
    assert_eq!(run.stdout, "", "batch prints nothing on stdout");

    // The right PDFs, and nothing else (no temp files, nothing for the bad ones).
    let expected_names: BTreeSet<String> = mixed
        .reqs
        .iter()
        .filter_map(|(_, _, o)| o.map(str::to_owned))
        .chain(["manifest.jsonl".to_owned()])
        .collect();
    assert_eq!(listing(&out), expected_names);

    // Each PDF is that request's letter.
    for (req, location, output) in &mixed.reqs {
        if let Some(name) = output {
            let pdf = fs::read(out.join(name)).expect("pdf");
            assert_letter_of(&pdf, req, &format!("{location} -> {name}"));
        }
    }

    // The bad ones are reported with their location, in input order.
    let bad_date_line = mixed.reqs[5].0.jsonl();
    let date_column = bad_date_line.find("\"2026-02-30\"").expect("the bad date") + 1;
    let expected_failures = [
        "failed: reqs/sub/c-bad.yaml:1:9: letter: unknown letter code `CMSL0152`".to_owned(),
        format!("failed: r.jsonl:3:{date_column}: fields.meeting-date: `2026-02-30` is not a date"),
        "failed: r.csv:3:8: recipient.postcode: is not a UK postcode".to_owned(),
    ];
    let failed = run.failed_lines();
    assert_eq!(failed.len(), 3, "three failures reported:\n{}", run.stderr);
    for (line, want) in failed.iter().zip(&expected_failures) {
        assert!(
            line.starts_with(want.as_str()),
            "expected a line starting {want:?}, got {line:?}"
        );
    }
    assert!(
        run.summary()
            .starts_with("rendered 9, failed 3, skipped 0 (already done) in "),
        "{}",
        run.summary()
    );

    // No personal data of the failing requests on stderr or in the manifest.
    let manifest_text = fs::read_to_string(out.join("manifest.jsonl")).expect("manifest");
    for secret in &mixed.secrets {
        assert!(
            !run.stderr.contains(secret),
            "stderr shows {secret:?}:\n{}",
            run.stderr
        );
        assert!(
            !manifest_text.contains(secret),
            "the manifest shows {secret:?}:\n{manifest_text}"
        );
    }

    // The manifest: one line per request, in input order.
    let records = manifest(&out);
    assert_eq!(records.len(), mixed.reqs.len(), "{manifest_text}");
    for (seq, (r, (req, location, output))) in records.iter().zip(&mixed.reqs).enumerate() {
        assert_eq!(r["seq"], seq as u64, "{r}");
        assert_eq!(r["input"], *location, "{r}");
        match output {
            Some(name) => {
                assert_eq!(r["output"], *name, "{r}");
                check_rendered_record(&out, r, req.letter);
            }
            None => {
                assert_eq!(r["status"], "failed", "{r}");
                assert!(r.get("output").is_none(), "{r}");
                assert!(r.get("sha256").is_none(), "{r}");
                let error = r["error"].as_str().expect("error");
                let want = failed[[2, 5, 8].iter().position(|&i| i == seq).expect("bad")];
                assert_eq!(
                    format!("failed: {error}"),
                    want,
                    "the manifest records the reported error"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 2. and 3. Same bytes whatever the jobs; shards.

/// About 40 requests over a JSON Lines file and a CSV file, two of them bad.
/// Returns the input arguments.
fn forty(dir: &Path) -> Vec<&'static str> {
    let mut jsonl = String::new();
    for i in 0..28 {
        let reason = REASONS[i % REASONS.len()].0;
        let id = format!("many-{i:02}");
        let mut r = Req::new(
            (i % 9 != 4).then_some(id.as_str()),
            &format!("Ms Test Person{i:02}"),
            reason,
        );
        if i % 2 == 1 {
            r = r.cms();
        }
        if i == 13 {
            r = r.meeting_date("2026-13-01");
        }
        jsonl += &r.jsonl();
        jsonl += "\n";
    }
    write(dir, "many.jsonl", &jsonl);
    let rows: Vec<Req> = (0..12)
        .map(|i| {
            let reason = REASONS[(i * 3) % REASONS.len()].0;
            let id = format!("row-{i:02}");
            let mut r = Req::new(
                (i % 5 != 2).then_some(id.as_str()),
                &format!("Mr Row Person{i:02}"),
                reason,
            );
            if i % 3 == 0 {
                r = r.cmsl5501();
            }
            if i == 7 {
                r = r.postcode("LS6");
            }
            r
        })
        .collect();
    write(
        dir,
        "many.csv",
        &csv_file(&rows.iter().collect::<Vec<_>>(), true),
    );
    vec!["many.jsonl", "many.csv"]
}

const FORTY_RENDERED: usize = 38;

#[test]
fn jobs_1_and_jobs_2_give_the_same_bytes_and_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let inputs = forty(dir);
    let mut results = Vec::new();
    for jobs in ["1", "2", "5"] {
        let out = format!("out-j{jobs}");
        let mut args = inputs.clone();
        args.extend(["--out", &out, "--jobs", jobs]);
        let run = batch(dir, &args);
        assert_eq!(run.code, 1, "two requests fail: {run:?}");
        assert!(
            run.summary()
                .starts_with("rendered 38, failed 2, skipped 0 (already done)"),
            "{}",
            run.summary()
        );
        let out = dir.join(&out);
        let files = pdfs(&out);
        assert_eq!(files.len(), FORTY_RENDERED, "{:?}", files.keys());
        let manifest = fs::read(out.join("manifest.jsonl")).expect("manifest");
        results.push((jobs, files, manifest, run.failed_lines().join("\n")));
    }
    let (_, files1, manifest1, failed1) = &results[0];
    assert_eq!(
        seqs(&manifest(&dir.join("out-j1"))),
        (0..40).collect::<Vec<u64>>(),
        "manifest in input order"
    );
    for (jobs, files, manifest, failed) in &results[1..] {
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            files1.keys().collect::<Vec<_>>(),
            "--jobs {jobs}: the same PDF names as --jobs 1"
        );
        for (name, bytes) in files {
            assert!(
                bytes == &files1[name],
                "--jobs {jobs}: {name} differs from --jobs 1"
            );
        }
        assert_eq!(
            String::from_utf8_lossy(manifest),
            String::from_utf8_lossy(manifest1),
            "--jobs {jobs}: manifest differs from --jobs 1"
        );
        assert_eq!(failed, failed1, "--jobs {jobs}: failures reported alike");
    }
}

#[test]
fn shards_1_2_3_of_3_together_are_the_whole_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let inputs = forty(dir);
    let mut args = inputs.clone();
    args.extend(["--out", "whole"]);
    let whole_run = batch(dir, &args);
    assert_eq!(whole_run.code, 1, "{whole_run:?}");
    let whole = pdfs(&dir.join("whole"));
    let whole_manifest = manifest(&dir.join("whole"));
    assert_eq!(whole.len(), FORTY_RENDERED);

    let mut union: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut records: Vec<Value> = Vec::new();
    for k in 1..=3u64 {
        let out = format!("part{k}");
        let shard = format!("{k}/3");
        let mut args = inputs.clone();
        args.extend(["--out", &out, "--shard", &shard]);
        let run = batch(dir, &args);
        let out = dir.join(&out);
        let part_manifest = manifest(&out);
        // Position p goes to shard p % 3 + 1.
        let mine: Vec<u64> = (0..40).filter(|p| p % 3 == k - 1).collect();
        assert_eq!(seqs(&part_manifest), mine, "shard {shard} takes its share");
        let failed = part_manifest
            .iter()
            .filter(|r| r["status"] == "failed")
            .count();
        assert_eq!(run.code, if failed > 0 { 1 } else { 0 }, "{run:?}");
        let rendered = mine.len() - failed;
        assert!(
            run.summary().starts_with(&format!(
                "rendered {rendered}, failed {failed}, skipped 0 (already done), {} in other shards than {shard} in ",
                40 - mine.len()
            )),
            "{}",
            run.summary()
        );
        for (name, bytes) in pdfs(&out) {
            assert!(
                union.insert(name.clone(), bytes).is_none(),
                "{name} is in two shards"
            );
        }
        records.extend(part_manifest);
    }
    assert_eq!(
        union.keys().collect::<Vec<_>>(),
        whole.keys().collect::<Vec<_>>(),
        "the shards together have exactly the whole run's PDFs"
    );
    for (name, bytes) in &union {
        assert!(bytes == &whole[name], "{name} differs from the whole run");
    }
    records.sort_by_key(|r| r["seq"].as_u64());
    assert_eq!(
        records, whole_manifest,
        "the shard manifests together are the whole run's"
    );
}

#[test]
fn shard_0_of_3_and_4_of_3_are_usage_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        dir,
        "one.jsonl",
        &Req::new(Some("x"), "Ms A", "payments").jsonl(),
    );
    for shard in ["0/3", "4/3", "1/0", "3", "a/3", "-1/3"] {
        let flag = format!("--shard={shard}");
        let run = batch(dir, &["one.jsonl", "--out", "out", &flag]);
        assert_eq!(run.code, 2, "--shard {shard}: {run:?}");
        assert!(
            run.stderr.contains(&format!(
                "`{shard}` is not a shard: write K/N with 1 <= K <= N"
            )),
            "--shard {shard}: {}",
            run.stderr
        );
        assert!(!dir.join("out").exists(), "--shard {shard} wrote output");
    }
}

// ---------------------------------------------------------------------------
// 4. and 5. Kill and resume; a torn manifest.

/// Polls until `ready()`, failing if the child ends first.
fn wait_until(child: &mut Child, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if ready() {
            return;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the batch ended ({status}) before {what}: make the input larger");
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill_9(mut child: Child, what: &str) {
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(9),
        "{what}: the run had ended ({status}) before the kill: make the input larger"
    );
}

fn newlines(path: &Path) -> usize {
    fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn a_killed_batch_resumes_to_the_same_letters_without_rendering_twice() {
    // ~3-5 ms a letter in a debug build: long enough to kill mid-run twice.
    const N: usize = 800;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut jsonl = String::new();
    for i in 0..N {
        let id = format!("k{i:05}");
        let r = Req::new(
            (i % 10 != 7).then_some(id.as_str()),
            &format!("Ms Kill Person{i:04}"),
            REASONS[i % REASONS.len()].0,
        );
        jsonl += &r.jsonl();
        jsonl += "\n";
    }
    write(dir, "big.jsonl", &jsonl);
    let args = ["big.jsonl", "--out", "out", "--jobs", "2"];
    let out = dir.join("out");
    let manifest_path = out.join("manifest.jsonl");
    let spawn = |resume: bool| {
        let mut c = letterkit(dir);
        c.arg("batch").args(args);
        if resume {
            c.arg("--resume");
        }
        c.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
    };

    // First run: kill it once the manifest has some whole lines.
    let mut child = spawn(false);
    wait_until(&mut child, "the first manifest lines", || {
        newlines(&manifest_path) > 0 && pdfs_count(&out) > 0
    });
    kill_9(child, "first run");
    // On Linux the letters in flight were unnamed files: the killed run
    // left no temporary file behind (named ones, before, were up to the
    // whole window of letters).
    let temps: Vec<String> = listing(&out)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(temps, Vec::<String>::new(), "the killed run's temp files");
    let k1 = whole_records(&out).len();
    assert!((1..N).contains(&k1), "killed with {k1} letters recorded");

    // Second run, resumed, killed again once it has recorded more.
    let mut child = spawn(true);
    wait_until(&mut child, "the resumed run's manifest lines", || {
        newlines(&manifest_path) > k1
    });
    kill_9(child, "resumed run");
    let done = whole_records(&out);
    let k2 = done.len();
    assert!(k2 > k1 && k2 < N, "killed again with {k2} letters recorded");
    eprintln!("killed with {k1} and then {k2} of {N} letters recorded");
    let before: BTreeMap<String, (u64, SystemTime)> = done
        .iter()
        .map(|r| {
            let name = r["output"].as_str().expect("output").to_owned();
            let m = fs::metadata(out.join(&name)).expect("a recorded PDF exists");
            (name, (m.ino(), m.modified().expect("mtime")))
        })
        .collect();

    // Without --resume, a folder holding a run is refused and left alone
    // (but for the dead runs' temp files and lock, which it cleans).
    let leftovers = |out: &Path| -> BTreeSet<String> {
        listing(out)
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect()
    };
    let listed = leftovers(&out);
    let manifest_bytes = fs::read(&manifest_path).expect("manifest");
    let refused = batch(dir, &args);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("already holds a run manifest")
            && refused.stderr.contains("--resume"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        leftovers(&out),
        listed,
        "the refused run changed the folder"
    );
    assert_eq!(
        listing(&out)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .count(),
        0,
        "the killed runs' temp files and lock are cleaned by the next command"
    );
    assert_eq!(fs::read(&manifest_path).expect("manifest"), manifest_bytes);

    // Third run finishes the job.
    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let finished = batch(dir, &resume_args);
    assert_eq!(finished.code, 0, "{finished:?}");
    assert!(
        finished.summary().starts_with(&format!(
            "rendered {}, failed 0, skipped {k2} (already done)",
            N - k2
        )),
        "{}",
        finished.summary()
    );
    assert_eq!(temp_files(&out), Vec::<String>::new(), "temp files left");

    // The letters recorded before the kill were not written again.
    for (name, (ino, mtime)) in &before {
        let m = fs::metadata(out.join(name)).expect("pdf");
        assert_eq!(
            (m.ino(), m.modified().expect("mtime")),
            (*ino, *mtime),
            "{name} was written again by the resumed run"
        );
    }

    // An uninterrupted run gives the same files and the same manifest.
    let started = Instant::now();
    let whole_run = batch(dir, &["big.jsonl", "--out", "whole", "--jobs", "2"]);
    let took = started.elapsed();
    assert_eq!(whole_run.code, 0, "{whole_run:?}");
    if took > Duration::from_secs(7) {
        assert!(
            whole_run
                .stderr
                .lines()
                .any(|l| l.starts_with("progress: ") && l.contains(" letters/s")),
            "a {took:?} run without a terminal prints plain progress lines:\n{}",
            whole_run.stderr
        );
    }
    let whole = pdfs(&dir.join("whole"));
    let resumed = pdfs(&out);
    assert_eq!(whole.len(), N);
    assert_eq!(
        resumed.keys().collect::<Vec<_>>(),
        whole.keys().collect::<Vec<_>>(),
        "exactly one PDF per request"
    );
    for (name, bytes) in &resumed {
        assert!(
            bytes == &whole[name],
            "{name} differs from the uninterrupted run"
        );
    }
    let records = manifest(&out);
    assert_eq!(
        seqs(&records),
        (0..N as u64).collect::<Vec<_>>(),
        "one manifest line per request, in order"
    );
    assert!(records.iter().all(|r| r["status"] == "rendered"));
    assert_eq!(
        fs::read_to_string(&manifest_path).expect("manifest"),
        fs::read_to_string(dir.join("whole/manifest.jsonl")).expect("manifest"),
        "the resumed manifest equals the uninterrupted run's"
    );
}

fn pdfs_count(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".pdf"))
            .count()
    })
}

#[test]
fn resume_after_a_torn_manifest_line_completes_the_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let reqs: Vec<Req> = (0..12)
        .map(|i| {
            let id = format!("t{i:02}");
            Req::new(
                (i != 9).then_some(id.as_str()),
                &format!("Mr Torn Person{i:02}"),
                REASONS[i % REASONS.len()].0,
            )
        })
        .collect();
    write(
        dir,
        "t.jsonl",
        &reqs.iter().map(|r| r.jsonl() + "\n").collect::<String>(),
    );
    let args = ["t.jsonl", "--out", "out", "--resume"];
    let first = batch(dir, &args);
    assert_eq!(
        first.code, 0,
        "--resume into a new folder just runs: {first:?}"
    );
    let out = dir.join("out");
    let original = pdfs(&out);
    let original_manifest = fs::read_to_string(out.join("manifest.jsonl")).expect("manifest");
    let records = manifest(&out);
    assert_eq!(records.len(), 12);

    // Simulate a kill while the 6th line was being written: keep 5 whole
    // lines and half of the 6th, drop the PDFs of the cut lines, and leave a
    // half-written temp file behind.
    let lines: Vec<&str> = original_manifest.lines().collect();
    let torn = format!("{}\n{}", lines[..5].join("\n"), &lines[5][..40]);
    fs::write(out.join("manifest.jsonl"), torn).expect("tear the manifest");
    for r in &records[5..] {
        fs::remove_file(out.join(r["output"].as_str().expect("output"))).expect("rm pdf");
    }
    fs::write(out.join(".t07.pdf.tmp-4242"), b"%PDF-1.7 half").expect("temp");

    let resumed = batch(dir, &args);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed
            .summary()
            .starts_with("rendered 7, failed 0, skipped 5 (already done)"),
        "{}",
        resumed.summary()
    );
    assert_eq!(temp_files(&out), Vec::<String>::new(), "temp files left");
    let now = pdfs(&out);
    assert_eq!(
        now.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &now {
        assert!(bytes == &original[name], "{name} differs after the resume");
    }
    assert_eq!(
        fs::read_to_string(out.join("manifest.jsonl")).expect("manifest"),
        original_manifest,
        "the manifest is whole again, one line per request, in order"
    );
    for (r, req) in manifest(&out).iter().zip(&reqs) {
        check_rendered_record(&out, r, "CMSL5502");
        let pdf = fs::read(out.join(r["output"].as_str().expect("output"))).expect("pdf");
        assert_letter_of(&pdf, req, r["input"].as_str().expect("input"));
    }
}

// ---------------------------------------------------------------------------
// 6. Progress output.

#[test]
fn quiet_prints_nothing_on_success_and_plain_lines_otherwise() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let good = Req::new(Some("q1"), "Ms Quiet Person", "payments");
    let bad = Req::new(Some("q2"), "Mr Loud Person", "payments").meeting_date("2026-04-31");
    write(dir, "good.jsonl", &(good.jsonl() + "\n"));
    write(
        dir,
        "mixed.jsonl",
        &format!("{}\n{}\n", good.jsonl(), bad.jsonl()),
    );

    let quiet = batch(dir, &["good.jsonl", "--out", "q", "--quiet"]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(
        (quiet.stdout.as_str(), quiet.stderr.as_str()),
        ("", ""),
        "--quiet prints nothing on success"
    );
    assert_letter_of(
        &fs::read(dir.join("q/q1.pdf")).expect("q1.pdf"),
        &good,
        "--quiet",
    );

    // Without a terminal: plain lines only, the summary last.
    let plain = batch(dir, &["good.jsonl", "--out", "p"]);
    assert_eq!(plain.code, 0, "{plain:?}");
    let lines: Vec<&str> = plain.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one summary line: {:?}", plain.stderr);
    assert!(
        lines[0].starts_with("rendered 1, failed 0, skipped 0 (already done) in ")
            && lines[0].ends_with('s'),
        "{}",
        lines[0]
    );

    // --quiet still reports failures and the summary (they are not progress).
    let quiet_fail = batch(dir, &["mixed.jsonl", "--out", "qf", "-q"]);
    assert_eq!(quiet_fail.code, 1, "{quiet_fail:?}");
    let lines: Vec<&str> = quiet_fail.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{:?}", quiet_fail.stderr);
    assert!(
        lines[0].starts_with("failed: mixed.jsonl:2:")
            && lines[0].contains("`2026-04-31` is not a date: April 2026 has 30 days"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("rendered 1, failed 1, skipped 0"),
        "{}",
        lines[1]
    );
}

// ---------------------------------------------------------------------------
// 7. Usage errors.

#[test]
fn a_missing_input_or_an_unknown_extension_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        dir,
        "one.jsonl",
        &Req::new(Some("u1"), "Ms A", "payments").jsonl(),
    );
    write(dir, "notes.txt", "not a request\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["one.jsonl", "missing.jsonl"],
            "error: missing.jsonl: no such file or folder",
        ),
        (
            &["missing-folder"],
            "error: missing-folder: no such file or folder",
        ),
        (
            &["one.jsonl", "notes.txt"],
            "error: notes.txt: not a request file (.yaml, .yml, .json), JSON Lines file (.jsonl) or CSV file (.csv)",
        ),
        (
            &["one.jsonl", "--jobs", "0"],
            "error: invalid value '0' for '--jobs <N>': 0 is not in 1..=256",
        ),
        (
            &["one.jsonl", "--letter", "CMSL9999"],
            "error: --letter CMSL9999: unknown letter",
        ),
    ];
    for (inputs, message) in cases {
        let mut args = inputs.to_vec();
        args.extend(["--out", "out"]);
        let run = batch(dir, &args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.starts_with(message),
            "{args:?}: expected {message:?}, got:\n{}",
            run.stderr
        );
        assert!(!dir.join("out").exists(), "{args:?} created the output");
    }
}

// ---------------------------------------------------------------------------
// Personal data in error messages.

#[test]
fn all_problems_prints_every_problem_without_personal_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let bad = Req::new(Some("s1"), "Ms Sally Private", "payments")
        .address(&["5 Hush Close", "Leeds"])
        .postcode("QQ6 1AB");
    let csv = csv_file(&[&bad], false).replace("2026-03-16", "2026-02-30");
    write(dir, "p.csv", &csv);
    let first = batch(dir, &["p.csv", "--letter", "CMSL5502", "--out", "out1"]);
    let all = batch(
        dir,
        &[
            "p.csv",
            "--letter",
            "CMSL5502",
            "--out",
            "out2",
            "--all-problems",
        ],
    );
    for run in [&first, &all] {
        assert_eq!(run.code, 1, "{run:?}");
        for private in ["Sally", "Private", "5 Hush Close", "QQ6", "1AB"] {
            assert!(
                !run.stderr.contains(private),
                "{private} in:\n{}",
                run.stderr
            );
        }
    }
    assert!(
        first
            .stderr
            .contains("recipient.postcode: is not a UK postcode"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("`2026-02-30` is not a date"),
        "up to five problems without --all-problems:\n{}",
        first.stderr
    );
    assert!(
        all.stderr
            .contains("recipient.postcode: is not a UK postcode"),
        "{}",
        all.stderr
    );
    assert!(
        all.stderr.contains("`2026-02-30` is not a date"),
        "every problem:\n{}",
        all.stderr
    );
}

#[test]
fn an_unknown_postcode_area_is_never_echoed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let bad = Req::new(Some("s1"), "Ms Sally Private", "payments").postcode("QQ6 1AB");
    write(dir, "p.csv", &csv_file(&[&bad], false));
    let run = batch(dir, &["p.csv", "--letter", "CMSL5502", "--out", "out"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("failed: p.csv:2:8: recipient.postcode: "),
        "{}",
        run.stderr
    );
    let manifest_text = fs::read_to_string(dir.join("out/manifest.jsonl")).expect("manifest");
    for secret in ["QQ6 1AB", "QQ6", "1AB"] {
        assert!(
            !run.stderr.contains(secret),
            "stderr shows the postcode ({secret}):\n{}",
            run.stderr
        );
        assert!(
            !manifest_text.contains(secret),
            "the manifest shows the postcode ({secret}):\n{manifest_text}"
        );
    }
}

// ---------------------------------------------------------------------------
// Known bugs found by these tests.

#[test]
fn a_duplicate_id_does_not_silently_overwrite_a_letter() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let first = Req::new(Some("same"), "Ms First Person", "payments");
    let second = Req::new(Some("same"), "Mr Second Person", "complaint");
    write(
        dir,
        "dup.jsonl",
        &format!("{}\n{}\n", first.jsonl(), second.jsonl()),
    );
    let run = batch(dir, &["dup.jsonl", "--out", "out", "--jobs", "2"]);
    let out = dir.join("out");
    let records = manifest(&out);
    // Whatever happens to the second, it is not silent.
    assert_eq!(run.code, 1, "a duplicate id is a failure: {run:?}");
    assert!(
        run.failed_lines()
            .iter()
            .any(|l| l.starts_with("failed: dup.jsonl:2:") && l.contains("id")),
        "the duplicate is reported at its location:\n{}",
        run.stderr
    );
    // Every rendered record names its own file, whose bytes it describes.
    let mut names = BTreeSet::new();
    for r in records.iter().filter(|r| r["status"] == "rendered") {
        assert!(
            names.insert(r["output"].as_str().expect("output").to_owned()),
            "two rendered records name the same file: {r}"
        );
        check_rendered_record(&out, r, "CMSL5502");
    }
}

#[test]
fn resume_keeps_the_manifest_in_input_order_when_a_request_fails_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let reqs = [
        Req::new(Some("o1"), "Ms One", "payments"),
        Req::new(Some("o2"), "Ms Two", "payments").meeting_date("2026-02-30"),
        Req::new(Some("o3"), "Ms Three", "payments"),
    ];
    write(
        dir,
        "o.jsonl",
        &reqs.iter().map(|r| r.jsonl() + "\n").collect::<String>(),
    );
    let first = batch(dir, &["o.jsonl", "--out", "out"]);
    assert_eq!(first.code, 1, "{first:?}");
    let before = fs::read_to_string(dir.join("out/manifest.jsonl")).expect("manifest");
    let again = batch(dir, &["o.jsonl", "--out", "out", "--resume"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(
        again
            .summary()
            .starts_with("rendered 0, failed 1, skipped 2"),
        "{}",
        again.summary()
    );
    assert_eq!(
        seqs(&manifest(&dir.join("out"))),
        [0, 1, 2],
        "manifest in input order"
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/manifest.jsonl")).expect("manifest"),
        before
    );
}

#[test]
fn an_output_folder_inside_an_input_folder_is_not_read_as_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let reqs = [
        Req::new(Some("i1"), "Ms One", "payments"),
        Req::new(Some("i2"), "Ms Two", "appeal"),
    ];
    write(
        dir,
        "in/a.jsonl",
        &reqs.iter().map(|r| r.jsonl() + "\n").collect::<String>(),
    );
    let first = batch(dir, &["in", "--out", "in/out"]);
    assert_eq!(first.code, 0, "{first:?}");
    let resumed = batch(dir, &["in", "--out", "in/out", "--resume"]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed
            .summary()
            .starts_with("rendered 0, failed 0, skipped 2"),
        "{}",
        resumed.summary()
    );
    assert_eq!(seqs(&manifest(&dir.join("in/out"))), [0, 1]);
}

/// A request without a `letter` key, for `--letter`.
fn without_letter_yaml(req: &Req) -> String {
    req.yaml()
        .lines()
        .filter(|l| !l.starts_with("letter:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn without_letter_json(req: &Req) -> Value {
    let mut v = req.json();
    v.as_object_mut().expect("object").remove("letter");
    v
}

#[test]
fn letter_option_applies_to_json_request_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let req = Req::new(Some("lj"), "Ms Json Nocode", "payments");
    write(
        dir,
        "reqs/r.json",
        &serde_json::to_string_pretty(&without_letter_json(&req)).expect("json"),
    );
    let run = batch(dir, &["reqs", "--letter", "CMSL5502", "--out", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_letter_of(
        &fs::read(dir.join("out/lj.pdf")).expect("lj.pdf"),
        &req,
        "r.json",
    );
}

#[test]
fn letter_option_applies_to_json_lines() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let req = Req::new(Some("ll"), "Ms Lines Nocode", "payments");
    write(
        dir,
        "r.jsonl",
        &(without_letter_json(&req).to_string() + "\n"),
    );
    let run = batch(dir, &["r.jsonl", "--letter", "CMSL5502", "--out", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_letter_of(
        &fs::read(dir.join("out/ll.pdf")).expect("ll.pdf"),
        &req,
        "r.jsonl:1",
    );
}

#[test]
fn letter_option_applies_to_yaml_that_mentions_the_word_letter() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut req = Req::new(Some("ly"), "Ms Yaml Noletter", "other");
    req.reason_text = Some("The letter we sent you on 2 March".into());
    write(dir, "reqs/r.yaml", &without_letter_yaml(&req));
    let run = batch(dir, &["reqs", "--letter", "CMSL5502", "--out", "out"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_letter_of(
        &fs::read(dir.join("out/ly.pdf")).expect("ly.pdf"),
        &req,
        "r.yaml",
    );
}

#[test]
fn letter_option_keeps_the_line_numbers_of_yaml_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let req = Req::new(Some("ln"), "Ms Yaml Lines", "payments").meeting_date("2026-02-30");
    let text = without_letter_yaml(&req);
    let line = text
        .lines()
        .position(|l| l.contains("meeting-date"))
        .expect("meeting-date line")
        + 1;
    write(dir, "reqs/r.yaml", &text);
    let run = batch(dir, &["reqs", "--letter", "CMSL5502", "--out", "out"]);
    assert_eq!(run.code, 1, "{run:?}");
    let want = format!("failed: reqs/r.yaml:{line}:17: fields.meeting-date:");
    assert!(
        run.failed_lines().iter().any(|l| l.starts_with(&want)),
        "expected {want:?} in:\n{}",
        run.stderr
    );
}
