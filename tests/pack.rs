//! Court packs: every kind walked through all its stages with the CLI, the
//! archive opened with the zip crate (not letterkit's reader), the manifest
//! and the documents' text checked; every refusal of issue 4 section 3.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use letterkit::pack::{Pack, PackError};
use serde_json::Value;

use crate::common::{letterkit, pdf_text, root, squash};

fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures/packs").join(rel)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    letterkit(dir).args(args).output().expect("letterkit runs")
}

/// Runs a step that must succeed; returns its stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a step that must be refused with exit code 1; returns its stderr.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should be refused; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A pack opened with the zip crate: entry names in order, their bytes, the manifest.
struct Opened {
    names: Vec<String>,
    files: BTreeMap<String, Vec<u8>>,
    manifest: Value,
}

fn open(path: &Path) -> Opened {
    let bytes = std::fs::read(path).expect("pack exists");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut names = Vec::new();
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let mut b = Vec::new();
        f.read_to_end(&mut b).expect("read entry");
        names.push(f.name().expect("name").to_string());
        files.insert(f.name().expect("name").to_string(), b);
    }
    let manifest = serde_json::from_slice(&files["manifest.json"]).expect("manifest is JSON");
    Opened {
        names,
        files,
        manifest,
    }
}

impl Opened {
    fn text(&self, name: &str) -> String {
        squash(&pdf_text(&self.files[name]))
    }
    fn entry(&self, name: &str) -> &Value {
        self.manifest["entries"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["file"] == name))
            .unwrap_or_else(|| panic!("{name} is in the manifest"))
    }
    fn check_hashes(&self) {
        for e in self.manifest["entries"].as_array().expect("entries") {
            let file = e["file"].as_str().expect("file");
            assert_eq!(
                e["sha256"].as_str(),
                Some(letterkit::pack::sha256_hex(&self.files[file]).as_str()),
                "{file}"
            );
            assert_eq!(e["size"].as_u64(), Some(self.files[file].len() as u64));
        }
    }
}

fn has_all(text: &str, phrases: &[&str]) {
    for p in phrases {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
}

#[test]
fn commitment_pack_walks_every_stage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let f = |s: &str| fixture(&format!("commitment/{s}")).display().to_string();
    let out = ok(
        d,
        &[
            "pack",
            "create",
            "commitment",
            "pack.zip",
            "--date",
            "2026-03-02",
            "--data",
            &f("create.yaml"),
        ],
    );
    assert!(out.contains("next: hearing"), "{out}");
    let p = open(&d.join("pack.zip"));
    assert_eq!(
        p.names,
        [
            "manifest.json",
            "01-CMEL7211-v1.pdf",
            "02-pv-check-record-v1.pdf",
            "03-ssst-referral-form-v1.pdf"
        ]
    );
    let m = &p.manifest;
    assert_eq!(m["kind"], "commitment");
    assert_eq!(m["reference"], "1234 5678 9012");
    assert_eq!(m["region"], "North East");
    assert_eq!(m["status"], "open");
    assert_eq!(m["stages"][0]["step"], "create");
    assert_eq!(m["stages"][0]["date"], "2026-03-02");
    assert_eq!(m["stages"][0]["data"]["amount-owed"], "2450.00");
    has_all(
        &p.text("01-CMEL7211-v1.pdf"),
        &[
            "Court summons form: commitment",
            "partially completed",
            "Mr Sam Taylor",
            "£2,450.00",
            "Court presenting officer To be completed",
            "Hearing date To be completed",
        ],
    );
    has_all(
        &p.text("02-pv-check-record-v1.pdf"),
        &[
            "First check, at referral",
            "Commitment",
            "Checked by J Officer",
            "2 March 2026",
            "No PV marking is recorded",
        ],
    );
    has_all(
        &p.text("03-ssst-referral-form-v1.pdf"),
        &[
            "Commitment (magistrates' court)",
            "SR-1-2345678",
            "Newcastle Magistrates' Court",
        ],
    );

    // Out of order, before the CPO is known.
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "issued",
            "--date",
            "2026-03-03",
            "--set",
            "issue-date=2026-03-03",
        ],
    );
    assert!(e.contains("step `issued` cannot be taken yet: the commitment pack is at stage `create`; next: `hearing`"), "{e}");

    ok(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            &f("hearing.yaml"),
        ],
    );
    // Twice.
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            &f("hearing.yaml"),
        ],
    );
    assert!(e.contains("step `hearing` was already taken on 2026-03-09; the commitment pack is at stage `hearing`; next: `paying-parent-letter`"), "{e}");
    let p = open(&d.join("pack.zip"));
    assert_eq!(
        &p.names[4..],
        [
            "04-CMEL7211-v2.pdf",
            "05-commitment-court-cover-letter-v1.pdf"
        ]
    );
    // The partial form is kept, marked superseded, byte for byte.
    let old = p.entry("01-CMEL7211-v1.pdf");
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded-by"], "04-CMEL7211-v2.pdf");
    assert_eq!(p.entry("04-CMEL7211-v2.pdf")["version"], 2);
    assert_eq!(
        p.manifest["stages"][1]["superseded"][0],
        "01-CMEL7211-v1.pdf"
    );
    p.check_hashes();
    has_all(
        &p.text("04-CMEL7211-v2.pdf"),
        &[
            "Status: completed",
            "Court presenting officer Alex Morgan",
            "Tuesday 14 April 2026",
            "10am",
        ],
    );
    has_all(
        &p.text("05-commitment-court-cover-letter-v1.pdf"),
        &[
            "Newcastle Magistrates' Court The Law Courts Quayside Newcastle upon Tyne NE1 3LA",
            "Dear Clerk to the Justices",
            "CMEL7211",
            "Alex Morgan",
        ],
    );

    ok(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "paying-parent-letter",
            "--date",
            "2026-03-10",
        ],
    );
    ok(
        d,
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
    );
    // A stage dated before the one before it.
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "second-pv-check",
            "--date",
            "2026-03-01",
            "--data",
            &f("second-pv-check.yaml"),
        ],
    );
    assert!(
        e.contains("before the previous stage `issued` (2026-03-20)"),
        "{e}"
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "second-pv-check",
            "--date",
            "2026-04-12",
            "--data",
            &f("second-pv-check.yaml"),
        ],
    );
    let out = ok(
        d,
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
    );
    assert!(out.contains("the pack is closed (completed)"), "{out}");
    // Closed.
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "outcome",
            "--date",
            "2026-04-16",
            "--set",
            "outcome=again",
        ],
    );
    assert!(e.contains("the commitment pack is closed (completed at stage `outcome` on 2026-04-15); no step can follow"), "{e}");

    let p = open(&d.join("pack.zip"));
    assert_eq!(
        p.names,
        [
            "manifest.json",
            "01-CMEL7211-v1.pdf",
            "02-pv-check-record-v1.pdf",
            "03-ssst-referral-form-v1.pdf",
            "04-CMEL7211-v2.pdf",
            "05-commitment-court-cover-letter-v1.pdf",
            "06-commitment-paying-parent-cover-letter-v1.pdf",
            "07-pv-check-record-v1.pdf",
        ]
    );
    p.check_hashes();
    let steps: Vec<&str> = p.manifest["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "create",
            "hearing",
            "paying-parent-letter",
            "issued",
            "second-pv-check",
            "outcome"
        ]
    );
    assert_eq!(p.manifest["stages"][3]["data"]["issue-date"], "2026-03-19");
    assert_eq!(
        p.manifest["stages"][5]["data"]["outcome"],
        "Suspended committal order"
    );
    assert_eq!(p.manifest["status"], "completed");
    has_all(
        &p.text("06-commitment-paying-parent-cover-letter-v1.pdf"),
        &[
            "Mr Sam Taylor 22 Grey Street Newcastle upon Tyne NE1 6AE",
            "You have been summoned to a court hearing",
            "Tuesday 14 April 2026",
            "Yours sincerely Child Maintenance Service",
        ],
    );
    has_all(
        &p.text("07-pv-check-record-v1.pdf"),
        &[
            "Second check, 48 hours before the hearing",
            "12 April 2026",
            "Payments received £0.00",
            "Contact from the paying parent None",
        ],
    );
    let out = ok(d, &["pack", "verify", "pack.zip"]);
    assert!(out.contains("ok: 7 entries match"), "{out}");
    let show = ok(d, &["pack", "show", "pack.zip"]);
    has_all(
        &show,
        &[
            "stage: outcome (2026-04-15)",
            "next: nothing, the pack is closed",
            "SUPERSEDED by 04-CMEL7211-v2.pdf",
            "verify: ok",
        ],
    );
    assert!(
        !show.contains("Sam Taylor"),
        "show hides personal data unless asked:\n{show}"
    );
    assert!(ok(d, &["pack", "show", "pack.zip", "--personal-data"]).contains("Mr Sam Taylor"));

    // The same steps give the same bytes.
    let again = tempfile::tempdir().expect("tempdir");
    ok(
        again.path(),
        &[
            "pack",
            "create",
            "commitment",
            "pack.zip",
            "--date",
            "2026-03-02",
            "--data",
            &f("create.yaml"),
        ],
    );
    let first = tempfile::tempdir().expect("tempdir");
    ok(
        first.path(),
        &[
            "pack",
            "create",
            "commitment",
            "pack.zip",
            "--date",
            "2026-03-02",
            "--data",
            &f("create.yaml"),
        ],
    );
    assert_eq!(
        std::fs::read(again.path().join("pack.zip")).expect("pack"),
        std::fs::read(first.path().join("pack.zip")).expect("pack")
    );
}

#[test]
fn liability_order_pack_walks_every_stage_and_may_be_cancelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let f = |s: &str| {
        fixture(&format!("liability-order/{s}"))
            .display()
            .to_string()
    };
    ok(
        d,
        &[
            "pack",
            "create",
            "liability-order",
            "lo.zip",
            "--date",
            "2026-03-02",
            "--data",
            &f("create.yaml"),
        ],
    );
    let p = open(&d.join("lo.zip"));
    assert_eq!(
        &p.names[1..],
        [
            "01-CMEL7298-v1.pdf",
            "02-CMEL7000-v1.pdf",
            "03-ssst-referral-form-v1.pdf",
            "04-pv-check-record-v1.pdf"
        ]
    );
    has_all(
        &p.text("01-CMEL7298-v1.pdf"),
        &[
            "Enforcement form: liability order",
            "Tuesday 21 April 2026",
            "Chris Patel",
            "£1,875.40",
        ],
    );
    has_all(
        &p.text("02-CMEL7000-v1.pdf"),
        &[
            "Liability order application form",
            "1 April 2025 to 28 February 2026",
            "Birmingham Magistrates' Court",
        ],
    );
    has_all(
        &p.text("04-pv-check-record-v1.pdf"),
        &["First check, at referral", "Liability order"],
    );

    let e = refused(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "second-pv-check",
            "--date",
            "2026-03-05",
            "--data",
            &f("second-pv-check.yaml"),
        ],
    );
    assert!(
        e.contains("the liability-order pack is at stage `create`; next: `cover-letter`"),
        "{e}"
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "cover-letter",
            "--date",
            "2026-03-12",
            "--data",
            &f("cover-letter.yaml"),
        ],
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "issued",
            "--date",
            "2026-03-13",
            "--set",
            "issue-date=2026-03-13",
        ],
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "second-pv-check",
            "--date",
            "2026-04-17",
            "--data",
            &f("second-pv-check.yaml"),
        ],
    );
    let p = open(&d.join("lo.zip"));
    assert_eq!(
        &p.names[5..],
        ["05-CMEL9180-v1.pdf", "06-pv-check-record-v1.pdf"]
    );
    assert_eq!(
        p.entry("05-CMEL9180-v1.pdf")["media-type"],
        "application/pdf"
    );
    has_all(
        &p.text("05-CMEL9180-v1.pdf"),
        &[
            "Ms Jo Evans Flat 2 10 Broad Street Birmingham B1 2HF",
            "We have applied to the court for a liability order",
            "Tuesday 21 April 2026",
            "2pm",
            "Court costs £85.00",
            "£1,875.40",
            "Child Maintenance Service",
        ],
    );
    has_all(
        &p.text("06-pv-check-record-v1.pdf"),
        &[
            "Second check",
            "A PV marking is recorded",
            "Marking added 2 April 2026",
            "Payments received £150.00",
            "Called on 10 April 2026",
        ],
    );
    // The court bundle of a liability-order pack: the court's documents by
    // default, the internal records only when chosen (issue 9, section 4).
    let out = ok(d, &["pack", "bundle", "lo.zip", "--out", "court.pdf"]);
    assert_eq!(
        out,
        "court.pdf: court bundle of 2 documents, 3 pages; 4 documents left out (listed on the index page)\n"
    );
    let index = squash(&pdf_text(
        &std::fs::read(d.join("court.pdf")).expect("bundle"),
    ));
    for phrase in [
        "Court bundle: index Liability order pack",
        "Bundle pages Document 2 Enforcement form (CMEL7298) 3 Liability order application form (CMEL7000)",
        "Chosen: the documents meant for the court and the supporting documents. Not included:",
        "SSST referral form (ssst-referral-form)",
        "PV check record (full check at referral) (pv-check-record)",
        "Cover letter to the paying parent (CMEL9180)",
        "PV check record (second check) (pv-check-record)",
        "Bundle page 3 of 3",
    ] {
        assert!(index.contains(phrase), "missing {phrase:?} in:\n{index}");
    }
    let out = ok(
        d,
        &[
            "pack",
            "bundle",
            "lo.zip",
            "--out",
            "all.pdf",
            "--include",
            "pv-check-record",
            "--include",
            "ssst-referral-form",
        ],
    );
    assert_eq!(
        out,
        "all.pdf: court bundle of 5 documents, 6 pages; 1 document left out (listed on the index page)\n"
    );
    let chosen = squash(&pdf_text(
        &std::fs::read(d.join("all.pdf")).expect("bundle"),
    ));
    for phrase in [
        "Chosen: the documents meant for the court and the supporting documents, also pv-check-record, ssst-referral-form.",
        "SSST referral form (ssst-referral-form)",
        "Bundle page 6 of 6",
    ] {
        assert!(chosen.contains(phrase), "missing {phrase:?} in:\n{chosen}");
    }
    // The CPO may stop here: cancelled. Or go on to the outcome.
    std::fs::copy(d.join("lo.zip"), d.join("lo-b.zip")).expect("copy");
    let out = ok(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "cancel",
            "--date",
            "2026-04-18",
            "--set",
            "cancel-reason=Paid in full",
        ],
    );
    assert!(out.contains("the pack is closed (cancelled)"), "{out}");
    assert_eq!(open(&d.join("lo.zip")).manifest["status"], "cancelled");
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "outcome",
            "--date",
            "2026-04-21",
            "--set",
            "outcome=Order made",
        ],
    );
    assert!(
        e.contains("closed (cancelled at stage `cancel` on 2026-04-18)"),
        "{e}"
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "lo-b.zip",
            "outcome",
            "--date",
            "2026-04-21",
            "--set",
            "outcome=Liability order made",
        ],
    );
    let p = open(&d.join("lo-b.zip"));
    assert_eq!(p.manifest["status"], "completed");
    assert_eq!(p.manifest["stages"].as_array().map(Vec::len), Some(5));
    p.check_hashes();
    assert!(ok(d, &["pack", "verify", "lo-b.zip"]).contains("ok: 6 entries"));
}

#[test]
fn county_court_pack_keeps_attachments_byte_for_byte_and_bundles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let a = |s: &str| fixture(&format!("attachments/{s}")).display().to_string();
    let create = fixture("county-court/create.yaml").display().to_string();
    // Supporting documents are required at referral.
    let e = refused(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &create,
        ],
    );
    assert!(e.contains("needs at least one supporting document"), "{e}");
    assert!(!d.join("cc.zip").exists());
    ok(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &create,
            "--attach",
            &a("sr-screenshot.png"),
            "--attach",
            &a("statement.pdf"),
            "--attach",
            &a("scan.jpg"),
        ],
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "cc.zip",
            "hearing",
            "--date",
            "2026-03-05",
            "--set",
            "hearing-date=2026-04-02",
        ],
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "cc.zip",
            "outcome",
            "--date",
            "2026-04-03",
            "--set",
            "outcome=Judgment for the amount claimed",
        ],
    );
    let p = open(&d.join("cc.zip"));
    assert_eq!(
        &p.names[1..],
        [
            "01-ssst-referral-form-v1.pdf",
            "02-pv-check-record-v1.pdf",
            "03-attachment-1.png",
            "04-attachment-2.pdf",
            "05-attachment-3.jpg",
        ]
    );
    for (file, src, mime) in [
        ("03-attachment-1.png", "sr-screenshot.png", "image/png"),
        ("04-attachment-2.pdf", "statement.pdf", "application/pdf"),
        ("05-attachment-3.jpg", "scan.jpg", "image/jpeg"),
    ] {
        assert_eq!(
            p.files[file],
            std::fs::read(a(src)).expect("fixture"),
            "{file} stored byte for byte"
        );
        assert_eq!(p.entry(file)["media-type"], mime);
        assert_eq!(p.entry(file)["original-name"], src);
    }
    assert_eq!(
        p.manifest["stages"][1]["data"]["hearing-date"],
        "2026-04-02"
    );
    assert_eq!(p.manifest["status"], "completed");
    has_all(
        &p.text("01-ssst-referral-form-v1.pdf"),
        &["County court", "Sam Hughes", "Bristol County Court"],
    );
    p.check_hashes();

    // The court bundle: by default the supporting documents only (the SSST
    // referral form and the PV check record are internal records).
    let out = ok(d, &["pack", "bundle", "cc.zip", "--out", "default.pdf"]);
    assert!(
        out.contains(
            "court bundle of 3 documents, 4 pages; 2 documents left out (listed on the index page)"
        ),
        "{out}"
    );
    let text = squash(&pdf_text(
        &std::fs::read(d.join("default.pdf")).expect("bundle"),
    ));
    has_all(
        &text,
        &[
            "Not included:",
            "SSST CPO referral form (ssst-referral-form)",
            "PV check record (pv-check-record)",
            "2 Supporting document 1",
        ],
    );
    // Chosen: index, continuous page numbers, a bookmark per document.
    let out = ok(
        d,
        &[
            "pack",
            "bundle",
            "cc.zip",
            "--out",
            "bundle.pdf",
            "--include",
            "ssst-referral-form",
            "--include",
            "pv-check-record",
        ],
    );
    assert!(
        out.contains("court bundle of 5 documents, 6 pages"),
        "{out}"
    );
    let pdf = std::fs::read(d.join("bundle.pdf")).expect("bundle");
    let text = squash(&pdf_text(&pdf));
    has_all(
        &text,
        &[
            "Court bundle: index",
            "County court pack for the case with reference 3456 7890 1234",
            "2 SSST CPO referral form (ssst-referral-form)",
            "4 Supporting document 1",
            "6 Supporting document 3",
            "Bundle page 1 of 6",
            "Bundle page 6 of 6",
            "Statement of arrears",
            "also ssst-referral-form, pv-check-record.",
            "Not included: nothing; every document of the pack is here.",
        ],
    );
    let doc = lopdf::Document::load_mem(&pdf).expect("lopdf reads the bundle");
    assert_eq!(doc.get_pages().len(), 6);
    let titles = outline_titles(&doc);
    assert_eq!(
        titles,
        [
            "Index",
            "SSST CPO referral form (ssst-referral-form)",
            "PV check record (pv-check-record)",
            "Supporting document 1",
            "Supporting document 2",
            "Supporting document 3",
        ]
    );
}

/// The titles of the top-level outline items, in order.
fn outline_titles(doc: &lopdf::Document) -> Vec<String> {
    let catalog = doc.catalog().expect("catalog");
    let outlines = catalog
        .get(b"Outlines")
        .and_then(lopdf::Object::as_reference)
        .expect("outline");
    let mut item = doc
        .get_dictionary(outlines)
        .and_then(|o| o.get(b"First"))
        .and_then(lopdf::Object::as_reference)
        .ok();
    let mut titles = Vec::new();
    while let Some(id) = item {
        let d = doc.get_dictionary(id).expect("outline item");
        let t = d
            .get(b"Title")
            .and_then(lopdf::Object::as_str)
            .expect("title");
        titles.push(
            lopdf::decode_text_string(&lopdf::Object::String(
                t.to_vec(),
                lopdf::StringFormat::Literal,
            ))
            .unwrap_or_default(),
        );
        assert!(d.get(b"Dest").is_ok(), "each bookmark points at a page");
        item = d.get(b"Next").and_then(lopdf::Object::as_reference).ok();
    }
    titles
}

#[test]
fn face_to_face_pack_routes_the_visit_and_records_its_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let f = |s: &str| fixture(&format!("face-to-face/{s}")).display().to_string();
    ok(
        d,
        &[
            "pack",
            "create",
            "face-to-face",
            "f.zip",
            "--date",
            "2026-03-02",
            "--data",
            &f("create.yaml"),
        ],
    );
    std::fs::copy(d.join("f.zip"), d.join("rejected.zip")).expect("copy");
    let p = open(&d.join("f.zip"));
    assert_eq!(&p.names[1..], ["01-CMSF5579-v1.pdf"]);
    has_all(
        &p.text("01-CMSF5579-v1.pdf"),
        &[
            "Visiting service referral form",
            "Ms Priya Patel",
            "Receiving parent",
            "14 Church Lane, Leeds, LS6 1AB",
            "Child maintenance payments made in the case",
            "A full PV check was made on the 2012 system on 2 March 2026",
        ],
    );
    ok(
        d,
        &[
            "pack",
            "step",
            "f.zip",
            "appointment",
            "--date",
            "2026-03-05",
            "--data",
            &f("appointment.yaml"),
        ],
    );
    let out = ok(
        d,
        &[
            "pack",
            "step",
            "f.zip",
            "outcome",
            "--date",
            "2026-03-17",
            "--set",
            "visit-outcome=completed",
        ],
    );
    assert!(out.contains("closed (completed)"), "{out}");
    let p = open(&d.join("f.zip"));
    assert_eq!(&p.names[1..], ["01-CMSF5579-v1.pdf", "02-CMSL5501-v1.pdf"]);
    has_all(
        &p.text("02-CMSL5501-v1.pdf"),
        &[
            "Ms Priya Patel 14 Church Lane Leeds LS6 1AB",
            "Information about your face to face meeting with us",
            "Monday 16 March 2026",
            "10:30am",
            "Child maintenance payments made in your case",
            "CMSL5501",
        ],
    );
    assert_eq!(
        p.manifest["stages"][2]["data"]["visit-outcome"],
        "completed"
    );
    assert_eq!(p.manifest["status"], "completed");
    p.check_hashes();

    // VSAT rejects the referral: closed as cancelled, nothing may follow.
    ok(
        d,
        &[
            "pack",
            "step",
            "rejected.zip",
            "reject",
            "--date",
            "2026-03-04",
            "--set",
            "rejection-reason=Outside the visiting area",
        ],
    );
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "rejected.zip",
            "appointment",
            "--date",
            "2026-03-05",
            "--data",
            &f("appointment.yaml"),
        ],
    );
    assert!(
        e.contains("the face-to-face pack is closed (cancelled at stage `reject` on 2026-03-04)"),
        "{e}"
    );
    assert_eq!(
        open(&d.join("rejected.zip")).manifest["status"],
        "cancelled"
    );
}

fn create_commitment(d: &Path) {
    ok(
        d,
        &[
            "pack",
            "create",
            "commitment",
            "pack.zip",
            "--date",
            "2026-03-02",
            "--data",
            &fixture("commitment/create.yaml").display().to_string(),
        ],
    );
}

#[test]
fn a_refused_step_leaves_the_pack_as_it_was_and_keeps_personal_data_out_of_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    create_commitment(d);
    let before = std::fs::read(d.join("pack.zip")).expect("pack");
    std::fs::write(
        d.join("bad.yaml"),
        "cpo-name: Alex Morgan\nhearing-date: 2026-02-30\ncourt-address: [\"The Law Courts\"]\ncourt-postcode: NOT A POSTCODE\nfavourite-colour: blue\n",
    )
    .expect("write");
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            "bad.yaml",
        ],
    );
    has_all(
        &e,
        &[
            "the data for step `hearing` has 3 problems",
            "bad.yaml:2:15: hearing-date: `2026-02-30` is not a date: February 2026 has 28 days",
            "bad.yaml:4:17: court-postcode: is not a UK postcode",
            "bad.yaml:5:1: unknown key `favourite-colour`; step `hearing` takes: cpo-name, hearing-date, hearing-time, court-address, court-postcode",
        ],
    );
    assert!(
        !e.contains("NOT A POSTCODE") && !e.contains("Alex Morgan"),
        "{e}"
    );
    // A name too long for the form: the error names the key, never the value.
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            &fixture("commitment/hearing.yaml").display().to_string(),
            "--set",
            "cpo-name=Alexandra Bartholomew-Montgomery-Fitzwilliam Esquire of the Court",
        ],
    );
    assert!(
        e.contains("cpo-name: is 65 characters long; at most 60 are allowed"),
        "{e}"
    );
    assert!(!e.contains("Fitzwilliam"), "{e}");
    assert_eq!(
        std::fs::read(d.join("pack.zip")).expect("pack"),
        before,
        "the pack is unchanged"
    );
    let left: Vec<_> = std::fs::read_dir(d)
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n != ".pack.zip.lock")
        .collect();
    assert_eq!(left.len(), 2, "no temporary file is left: {left:?}");
}

/// A writer that fails after `left` bytes, like a full disk or a killed process.
struct FailAfter<'a> {
    inner: &'a mut std::fs::File,
    left: usize,
}

impl Write for FailAfter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        self.inner.write(&buf[..n])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl std::io::Seek for FailAfter<'_> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Two officers stepping one pack at once: the second is refused while the
/// first holds the lock, so neither step can silently replace the other.
#[test]
fn a_step_while_another_command_holds_the_pack_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    create_commitment(d);
    let before = std::fs::read(d.join("pack.zip")).expect("pack");
    // Another command holds the operating-system lock (here: this process).
    let held = letterkit::files::Lock::try_new(&d.join(".pack.zip.lock"), Path::new("pack.zip"))
        .expect("lock");
    let hearing = fixture("commitment/hearing.yaml").display().to_string();
    let args = [
        "pack",
        "step",
        "pack.zip",
        "hearing",
        "--date",
        "2026-03-10",
        "--data",
        &hearing,
    ];
    let err = refused(d, &args);
    assert!(
        err.contains(
            "error: pack.zip is in use by another letterkit command; wait for it to finish"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read(d.join("pack.zip")).expect("pack"),
        before,
        "pack unchanged"
    );
    drop(held);
    let out = ok(d, &args);
    assert!(out.contains("step `hearing` recorded"), "{out}");
    // A lock file left by a dead command (e.g. an older version's) never refuses.
    std::fs::write(d.join(".pack.zip.lock"), "4242\n").expect("stale lock");
    let out = ok(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "paying-parent-letter",
            "--date",
            "2026-03-10",
        ],
    );
    assert!(
        out.contains("step `paying-parent-letter` recorded"),
        "{out}"
    );
}

#[test]
fn an_interrupted_write_leaves_the_previous_pack_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    create_commitment(d);
    let path = d.join("pack.zip");
    let before = std::fs::read(&path).expect("pack");
    let engine = letterkit::Engine::builtin().expect("engine");
    let mut pack = Pack::read(Cursor::new(before.clone()), None).expect("read");
    let text = std::fs::read_to_string(fixture("commitment/hearing.yaml")).expect("fixture");
    let data = letterkit::request::tree::parse(&text, 0).expect("yaml");
    let step = letterkit::pack::Step {
        name: "hearing",
        date: letterkit::request::Date::parse("2026-03-09").expect("date"),
        data: Some(&data),
        origin: "hearing.yaml",
        attachments: &[],
    };
    pack.apply(&engine, &step).expect("step");
    // The CLI's write path: beside the pack, then rename. Cut it off half way.
    let r = letterkit::files::write_atomic_with(&path, |f| {
        pack.write(
            FailAfter {
                inner: f,
                left: 20_000,
            },
            None,
        )
        .map(|_| ())
        .map_err(|e| std::io::Error::other(e.to_string()))
    });
    assert!(r.is_err());
    assert_eq!(
        std::fs::read(&path).expect("pack"),
        before,
        "the previous pack is intact"
    );
    assert_eq!(
        std::fs::read_dir(d)
            .expect("ls")
            .flatten()
            .filter(|e| e.file_name() != ".pack.zip.lock")
            .count(),
        1,
        "no half-written file is left"
    );
    assert!(ok(d, &["pack", "verify", "pack.zip"]).contains("ok: 3 entries"));
}

/// Rewrites `src` into `dst` through the zip crate, changing entries with `edit`.
fn rewrite(
    src: &Path,
    dst: &Path,
    edit: impl Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)>,
    extra: Option<(&str, &[u8])>,
) {
    let opened = open(src);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for name in &opened.names {
        if let Some((n, b)) = edit(name, opened.files[name].clone()) {
            w.start_file(n, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(&b).expect("write");
        }
    }
    if let Some((n, b)) = extra {
        w.start_file(n, zip::write::SimpleFileOptions::default())
            .expect("start");
        w.write_all(b).expect("write");
    }
    let bytes = w.finish().expect("finish").into_inner();
    std::fs::write(dst, bytes).expect("write");
}

#[test]
fn a_tampered_pack_fails_verify_and_takes_no_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    create_commitment(d);
    let src = d.join("pack.zip");
    // One byte of the PV record changed.
    rewrite(
        &src,
        &d.join("changed.zip"),
        |n, mut b| {
            if n == "02-pv-check-record-v1.pdf" {
                let i = b.len() / 2;
                b[i] ^= 0x20;
            }
            Some((n.to_owned(), b))
        },
        None,
    );
    let e = refused(d, &["pack", "verify", "changed.zip"]);
    assert!(
        e.contains(
            "02-pv-check-record-v1.pdf does not match its SHA-256 in the manifest: it was changed"
        ),
        "{e}"
    );
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "changed.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            &fixture("commitment/hearing.yaml").display().to_string(),
        ],
    );
    assert!(e.contains("the pack fails verification"), "{e}");
    let e = refused(d, &["pack", "bundle", "changed.zip", "--out", "b.pdf"]);
    assert!(
        e.contains("fails verification") && !d.join("b.pdf").exists(),
        "{e}"
    );
    // An entry removed, another slipped in.
    rewrite(
        &src,
        &d.join("swapped.zip"),
        |n, b| (n != "03-ssst-referral-form-v1.pdf").then(|| (n.to_owned(), b)),
        Some(("99-extra.pdf", b"%PDF-1.4 extra")),
    );
    let e = refused(d, &["pack", "verify", "swapped.zip"]);
    has_all(
        &e,
        &[
            "03-ssst-referral-form-v1.pdf is in the manifest but missing from the pack",
            "99-extra.pdf is in the pack but not in the manifest",
        ],
    );
}

#[test]
fn reading_refuses_entry_names_that_leave_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let work = d.join("work");
    std::fs::create_dir(&work).expect("mkdir");
    create_commitment(&work);
    for (i, bad) in [
        "../evil.pdf",
        "/tmp/letterkit-evil.pdf",
        "sub/../../evil.pdf",
        "C:\\evil.pdf",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("bad{i}.zip");
        rewrite(
            &work.join("pack.zip"),
            &work.join(&name),
            |n, b| Some((n.to_owned(), b)),
            Some((bad, b"%PDF-1.4 evil")),
        );
        for args in [
            vec!["pack", "verify", &name],
            vec!["pack", "extract", &name, "--out", "out"],
            vec!["pack", "show", &name],
        ] {
            let e = refused(&work, &args);
            assert!(e.contains("unsafe entry name"), "{bad}: {e}");
        }
    }
    assert!(!d.join("evil.pdf").exists() && !Path::new("/tmp/letterkit-evil.pdf").exists());
    assert!(!work.join("out").exists(), "nothing was extracted");
    // A good pack extracts into its folder only.
    ok(&work, &["pack", "extract", "pack.zip", "--out", "out"]);
    let mut names: Vec<String> = std::fs::read_dir(work.join("out"))
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01-CMEL7211-v1.pdf",
            "02-pv-check-record-v1.pdf",
            "03-ssst-referral-form-v1.pdf",
            "manifest.json"
        ]
    );
}

#[test]
fn attachments_are_checked_by_content_and_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let create = fixture("county-court/create.yaml").display().to_string();
    std::fs::write(d.join("Smith family photo.png"), b"GIF89a not really a png").expect("write");
    let e = refused(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &create,
            "--attach",
            "Smith family photo.png",
        ],
    );
    assert!(e.contains("attachment 1 of 1 is not a PDF, PNG or JPEG file (checked by its content, not its name)"), "{e}");
    assert!(!e.contains("Smith"), "file names stay out of errors: {e}");
    let e = refused(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &create,
            "--attach",
            "Smith family photo.png",
            "--personal-data",
        ],
    );
    assert!(
        e.contains("Smith family photo.png"),
        "--personal-data shows it: {e}"
    );
    // A cut-short PDF and one over the size limit.
    let pdf = std::fs::read(fixture("attachments/statement.pdf")).expect("fixture");
    std::fs::write(d.join("short.pdf"), &pdf[..pdf.len() / 2]).expect("write");
    let e = refused(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &create,
            "--attach",
            "short.pdf",
        ],
    );
    assert!(
        e.contains("attachment 1 of 1 starts like a PDF but has no end-of-file marker"),
        "{e}"
    );
    let mut big = pdf.clone();
    big.resize(letterkit::pack::MAX_ATTACHMENT_BYTES + 1, b' ');
    std::fs::write(d.join("big.pdf"), &big).expect("write");
    let e = refused(
        d,
        &[
            "pack",
            "create",
            "county-court",
            "cc.zip",
            "--date",
            "2026-03-02",
            "--data",
            &create,
            "--attach",
            &fixture("attachments/scan.jpg").display().to_string(),
            "--attach",
            "big.pdf",
        ],
    );
    assert!(e.contains("attachment 2 of 2 is larger than 20 MiB"), "{e}");
    assert!(!d.join("cc.zip").exists());
    // A step that takes no attachments refuses them.
    create_commitment(d);
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "pack.zip",
            "hearing",
            "--date",
            "2026-03-09",
            "--data",
            &fixture("commitment/hearing.yaml").display().to_string(),
            "--attach",
            &fixture("attachments/scan.jpg").display().to_string(),
        ],
    );
    assert!(e.contains("step `hearing` takes no attachments"), "{e}");
}

#[test]
fn an_encrypted_pack_opens_only_with_its_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let data = fixture("liability-order/create.yaml").display().to_string();
    let out = letterkit(d)
        .args([
            "pack",
            "create",
            "liability-order",
            "lo.zip",
            "--date",
            "2026-03-02",
            "--data",
            &data,
            "--password-env",
            "LK_TEST_PASSWORD",
        ])
        .env("LK_TEST_PASSWORD", "correct horse battery")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(d.join("lo.zip")).expect("pack");
    // Every entry is WinZip AES encrypted.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).expect("zip");
    for i in 0..zip.len() {
        assert!(zip.by_index_raw(i).expect("entry").encrypted());
    }
    // The library: no password, the wrong one, the right one.
    let e = Pack::read(Cursor::new(bytes.clone()), None).expect_err("needs a password");
    assert!(matches!(e, PackError::NeedsPassword));
    assert!(e.to_string().contains("the pack is encrypted (WinZip AES-256); give its password with --password-env VAR or --password-file FILE"));
    let e = Pack::read(Cursor::new(bytes.clone()), Some(b"wrong")).expect_err("wrong password");
    assert!(matches!(e, PackError::WrongPassword), "{e}");
    let pack = Pack::read(Cursor::new(bytes), Some(b"correct horse battery")).expect("opens");
    assert!(pack.is_encrypted() && pack.verify().is_empty());
    assert_eq!(pack.manifest().entries.len(), 4);
    assert!(
        squash(&pdf_text(pack.file("01-CMEL7298-v1.pdf").expect("entry")))
            .contains("Enforcement form: liability order")
    );
    // The CLI: a step without the password is refused; with it (from a file), the pack stays encrypted.
    let e = refused(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "cover-letter",
            "--date",
            "2026-03-12",
            "--data",
            &fixture("liability-order/cover-letter.yaml")
                .display()
                .to_string(),
        ],
    );
    assert!(e.contains("the pack is encrypted"), "{e}");
    std::fs::write(d.join("pw.txt"), "correct horse battery\n").expect("write");
    ok(
        d,
        &[
            "pack",
            "step",
            "lo.zip",
            "cover-letter",
            "--date",
            "2026-03-12",
            "--data",
            &fixture("liability-order/cover-letter.yaml")
                .display()
                .to_string(),
            "--password-file",
            "pw.txt",
        ],
    );
    let pack = Pack::read(
        Cursor::new(std::fs::read(d.join("lo.zip")).expect("pack")),
        Some(b"correct horse battery"),
    )
    .expect("opens");
    assert!(pack.is_encrypted());
    assert_eq!(pack.next_steps(), ["issued"]);
    // The password never comes from the command line itself, and a missing variable is a usage error.
    let out = run(
        d,
        &[
            "pack",
            "verify",
            "lo.zip",
            "--password-env",
            "LK_UNSET_VARIABLE",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("environment variable LK_UNSET_VARIABLE is not set")
    );
    assert_eq!(
        run(d, &["pack", "verify", "lo.zip", "--password", "x"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn every_pack_verb_has_help_with_an_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    for verb in [
        "create", "step", "show", "verify", "bundle", "extract", "steps",
    ] {
        let out = ok(dir.path(), &["pack", verb, "--help"]);
        assert!(
            out.contains(&format!("letterkit pack {verb}")),
            "{verb}: {out}"
        );
    }
    let out = ok(dir.path(), &["pack", "steps", "commitment"]);
    has_all(
        &out,
        &[
            "create",
            "hearing",
            "paying-parent-letter",
            "issued",
            "second-pv-check",
            "outcome",
            "cpo-name",
        ],
    );
    let out = run(
        dir.path(),
        &["pack", "create", "divorce", "x.zip", "--date", "2026-03-02"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("kinds: commitment, liability-order, county-court, face-to-face")
    );
}
