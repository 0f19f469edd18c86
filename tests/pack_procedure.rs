//! Court packs against the SSST procedure (issue 9, sections 2 and 3): dates
//! that make sense, the liability-order hearing date changed at the cover
//! letter, addresses, the county court's second PV check, court fees,
//! rearranged and cancelled meetings, attendance, corrections and
//! cancellations. Every step is taken with the CLI as an officer would, and
//! every refusal is pinned by its exact message.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{letterkit, pdf_text, root, squash};

fn fixture(rel: &str) -> String {
    root()
        .join("fixtures/packs")
        .join(rel)
        .display()
        .to_string()
}

/// One pack in a temporary folder, stepped with the CLI.
struct Walk {
    dir: tempfile::TempDir,
    pack: &'static str,
}

impl Walk {
    fn new(pack: &'static str) -> Walk {
        Walk {
            dir: tempfile::tempdir().expect("tempdir"),
            pack,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a data file into the folder; returns its name.
    fn file(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path().join(name), text).expect("write data file");
        name.to_owned()
    }

    /// Runs letterkit with an office key, as an office would: these tests
    /// are about the procedure, and signing is tested in pack_safety.rs.
    fn run(&self, args: &[&str]) -> Output {
        letterkit(self.path())
            .env("LETTERKIT_PACK_KEY", "procedure-tests-office-key")
            .env_remove("LETTERKIT_PACK_KEY_FILE")
            .args(args)
            .output()
            .expect("letterkit runs")
    }

    fn args<'a>(&'a self, verb: &'a str, step: &'a str, date: &'a str) -> Vec<&'a str> {
        if verb == "create" {
            vec!["pack", "create", step, self.pack, "--date", date]
        } else {
            vec!["pack", "step", self.pack, step, "--date", date]
        }
    }

    /// Takes a step that must succeed; returns (stdout, stderr).
    fn ok(&self, verb: &str, step: &str, date: &str, extra: &[&str]) -> (String, String) {
        let mut a = self.args(verb, step, date);
        a.extend_from_slice(extra);
        let out = self.run(&a);
        assert!(
            out.status.success(),
            "{a:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Takes a step that must be refused with exit code 1, leaving the pack
    /// as it was; returns stderr.
    fn refused(&self, verb: &str, step: &str, date: &str, extra: &[&str]) -> String {
        let before = std::fs::read(self.path().join(self.pack)).ok();
        let mut a = self.args(verb, step, date);
        a.extend_from_slice(extra);
        let out = self.run(&a);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{a:?} should be refused; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(out.stdout.is_empty(), "nothing on stdout when refused");
        assert_eq!(
            std::fs::read(self.path().join(self.pack)).ok(),
            before,
            "a refused step leaves the pack as it was"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn show(&self) -> String {
        let out = self.run(&["pack", "show", self.pack]);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn verify_ok(&self) {
        let out = self.run(&["pack", "verify", self.pack]);
        assert!(
            out.status.success(),
            "verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn open(&self) -> Opened {
        open(&self.path().join(self.pack))
    }
}

/// A pack opened with the zip crate: entry names, bytes, manifest.
struct Opened {
    names: Vec<String>,
    files: BTreeMap<String, Vec<u8>>,
    manifest: Value,
}

fn open(path: &PathBuf) -> Opened {
    let bytes = std::fs::read(path).expect("pack exists");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut names = Vec::new();
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let mut b = Vec::new();
        f.read_to_end(&mut b).expect("read entry");
        let name = f.name().expect("name").to_string();
        names.push(name.clone());
        files.insert(name, b);
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
    fn stage(&self, i: usize) -> &Value {
        &self.manifest["stages"][i]
    }
    /// The documents in zip order (not the manifest or its signature).
    fn entries(&self) -> Vec<&str> {
        self.names
            .iter()
            .map(String::as_str)
            .filter(|n| !matches!(*n, "manifest.json" | "manifest.sig"))
            .collect()
    }
}

fn has_all(text: &str, phrases: &[&str]) {
    for p in phrases {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
}

fn has_none(text: &str, phrases: &[&str]) {
    for p in phrases {
        assert!(!text.contains(p), "unexpected {p:?} in:\n{text}");
    }
}

fn lo_created() -> Walk {
    let w = Walk::new("lo.zip");
    w.ok(
        "create",
        "liability-order",
        "2026-03-02",
        &["--data", &fixture("liability-order/create.yaml")],
    );
    w
}

fn commitment_created() -> Walk {
    let w = Walk::new("c.zip");
    w.ok(
        "create",
        "commitment",
        "2026-03-02",
        &["--data", &fixture("commitment/create.yaml")],
    );
    w
}

fn commitment_issued() -> Walk {
    let w = commitment_created();
    w.ok(
        "step",
        "hearing",
        "2026-03-09",
        &["--data", &fixture("commitment/hearing.yaml")],
    );
    w.ok("step", "paying-parent-letter", "2026-03-10", &[]);
    w.ok(
        "step",
        "issued",
        "2026-03-20",
        &["--set", "issue-date=2026-03-19"],
    );
    w
}

fn f2f_appointed() -> Walk {
    let w = Walk::new("f.zip");
    w.ok(
        "create",
        "face-to-face",
        "2026-03-02",
        &["--data", &fixture("face-to-face/create.yaml")],
    );
    w.ok(
        "step",
        "appointment",
        "2026-03-05",
        &["--data", &fixture("face-to-face/appointment.yaml")],
    );
    w
}

// ---------------------------------------------------------------------------
// 2. Dates and data that make sense

#[test]
fn a_hearing_before_the_referral_is_refused_naming_both_dates() {
    // Liability order: the hearing date comes with the referral.
    let w = Walk::new("lo.zip");
    let data = w.file(
        "lo.yaml",
        &std::fs::read_to_string(fixture("liability-order/create.yaml"))
            .expect("fixture")
            .replace("hearing-date: 2026-04-21", "hearing-date: 2026-02-21"),
    );
    let e = w.refused(
        "create",
        "liability-order",
        "2026-03-02",
        &["--data", &data],
    );
    assert_eq!(
        e,
        "error: the data for step `create` has 1 problem:\n  lo.yaml:9:15: hearing-date: the hearing (2026-02-21) is before the referral (2026-03-02)\n"
    );

    // Commitment: the hearing date comes at step `hearing`.
    let w = commitment_created();
    let data = w.file(
        "hearing.yaml",
        "cpo-name: Alex Morgan\nhearing-date: 2026-03-01\ncourt-address: [\"The Law Courts\", \"Quayside\"]\ncourt-postcode: NE1 3LA\n",
    );
    let e = w.refused("step", "hearing", "2026-03-09", &["--data", &data]);
    assert_eq!(
        e,
        "error: the data for step `hearing` has 1 problem:\n  hearing.yaml:2:15: hearing-date: the hearing (2026-03-01) is before the referral (2026-03-02)\n"
    );

    // County court, from --set.
    let w = Walk::new("cc.zip");
    w.ok(
        "create",
        "county-court",
        "2026-03-02",
        &[
            "--data",
            &fixture("county-court/create.yaml"),
            "--attach",
            &fixture("attachments/statement.pdf"),
        ],
    );
    let e = w.refused(
        "step",
        "hearing",
        "2026-03-05",
        &["--set", "hearing-date=2026-02-27"],
    );
    assert_eq!(
        e,
        "error: the data for step `hearing` has 1 problem:\n  --set: hearing-date: the hearing (2026-02-27) is before the referral (2026-03-02)\n"
    );
}

#[test]
fn an_issue_date_before_the_referral_or_after_the_hearing_is_refused() {
    let w = lo_created();
    w.ok(
        "step",
        "cover-letter",
        "2026-03-12",
        &["--data", &fixture("liability-order/cover-letter.yaml")],
    );
    let e = w.refused(
        "step",
        "issued",
        "2026-03-13",
        &["--set", "issue-date=2026-02-28"],
    );
    assert_eq!(
        e,
        "error: the data for step `issued` has 1 problem:\n  --set: issue-date: the date of issue (2026-02-28) is before the referral (2026-03-02)\n"
    );
    let e = w.refused(
        "step",
        "issued",
        "2026-03-13",
        &["--set", "issue-date=2026-04-22"],
    );
    assert_eq!(
        e,
        "error: the data for step `issued` has 1 problem:\n  --set: issue-date: the date of issue (2026-04-22) is after the hearing (2026-04-21)\n"
    );
    // The hearing day itself and the referral day are allowed.
    w.ok(
        "step",
        "issued",
        "2026-03-13",
        &["--set", "issue-date=2026-03-02"],
    );

    // Commitment: the issue date is checked against its own hearing.
    let w = commitment_created();
    w.ok(
        "step",
        "hearing",
        "2026-03-09",
        &["--data", &fixture("commitment/hearing.yaml")],
    );
    w.ok("step", "paying-parent-letter", "2026-03-10", &[]);
    let e = w.refused(
        "step",
        "issued",
        "2026-03-20",
        &["--set", "issue-date=2026-04-15"],
    );
    assert_eq!(
        e,
        "error: the data for step `issued` has 1 problem:\n  --set: issue-date: the date of issue (2026-04-15) is after the hearing (2026-04-14)\n"
    );
}

#[test]
fn an_outcome_before_the_hearing_is_refused() {
    let w = commitment_issued();
    w.ok(
        "step",
        "second-pv-check",
        "2026-04-12",
        &["--data", &fixture("commitment/second-pv-check.yaml")],
    );
    let e = w.refused(
        "step",
        "outcome",
        "2026-04-13",
        &["--set", "outcome=Suspended committal order"],
    );
    assert_eq!(
        e,
        "error: step `outcome` is refused: it is dated 2026-04-13, before the hearing (2026-04-14); record the outcome on or after the hearing date\n"
    );
    let (out, _) = w.ok(
        "step",
        "outcome",
        "2026-04-14",
        &["--set", "outcome=Suspended committal order"],
    );
    assert!(out.contains("the pack is closed (completed)"), "{out}");
}

#[test]
fn a_second_pv_check_after_the_hearing_is_refused_and_an_early_one_is_recorded_with_a_warning() {
    let pv = fixture("commitment/second-pv-check.yaml");
    let w = commitment_issued();
    let e = w.refused("step", "second-pv-check", "2026-04-15", &["--data", &pv]);
    assert_eq!(
        e,
        "error: step `second-pv-check` is refused: it is dated 2026-04-15, after the hearing (2026-04-14); the second PV check is made 48 hours before the hearing\n"
    );
    // 48 hours before: no warning.
    let on_time = commitment_issued();
    let (_, err) = on_time.ok("step", "second-pv-check", "2026-04-12", &["--data", &pv]);
    assert_eq!(err, "");
    assert!(on_time.open().stage(4).get("warnings").is_none());

    // Earlier: recorded, with a warning that says so, kept in the manifest
    // and shown by `show`.
    let (out, err) = w.ok("step", "second-pv-check", "2026-04-01", &["--data", &pv]);
    let warning = "the second PV check is dated 2026-04-01, 13 days before the hearing (2026-04-14): earlier than the 48 hours before the hearing that the procedure asks for";
    assert_eq!(err, format!("warning: {warning}\n"));
    assert!(
        out.contains("step `second-pv-check` recorded; 1 file added"),
        "{out}"
    );
    let p = w.open();
    assert_eq!(p.stage(4)["step"], "second-pv-check");
    assert_eq!(p.stage(4)["warnings"], serde_json::json!([warning]));
    assert!(
        w.show().contains(&format!(
            "  2026-04-01  second-pv-check\n      warning: {warning}\n"
        )),
        "{}",
        w.show()
    );
    w.verify_ok();
}

#[test]
fn a_hearing_date_changed_at_the_cover_letter_renders_cmel7298_and_cmel7000_again() {
    let w = lo_created();
    let (out, err) = w.ok(
        "step",
        "cover-letter",
        "2026-03-12",
        &[
            "--data",
            &fixture("liability-order/cover-letter.yaml"),
            "--set",
            "hearing-date=2026-04-28",
        ],
    );
    assert!(
        out.contains("step `cover-letter` recorded; 3 files added (7 in the pack)\nsuperseded: 01-CMEL7298-v1.pdf by 06-CMEL7298-v2.pdf\nsuperseded: 02-CMEL7000-v1.pdf by 07-CMEL7000-v2.pdf\n"),
        "{out}"
    );
    assert_eq!(
        err,
        "warning: 03-ssst-referral-form-v1.pdf, 04-pv-check-record-v1.pdf also show a changed value (hearing-date) and are not rendered again; correct them with step `correct` if needed\n"
    );
    let p = w.open();
    assert_eq!(
        p.entries(),
        [
            "01-CMEL7298-v1.pdf",
            "02-CMEL7000-v1.pdf",
            "03-ssst-referral-form-v1.pdf",
            "04-pv-check-record-v1.pdf",
            "05-CMEL9180-v1.pdf",
            "06-CMEL7298-v2.pdf",
            "07-CMEL7000-v2.pdf",
        ]
    );
    for (old, new) in [
        ("01-CMEL7298-v1.pdf", "06-CMEL7298-v2.pdf"),
        ("02-CMEL7000-v1.pdf", "07-CMEL7000-v2.pdf"),
    ] {
        assert_eq!(p.entry(old)["status"], "superseded");
        assert_eq!(p.entry(old)["superseded-by"], new);
        assert_eq!(p.entry(new)["status"], "current");
        assert_eq!(p.entry(new)["version"], 2);
        assert_eq!(p.entry(new)["stage"], "cover-letter");
        has_all(&p.text(old), &["Tuesday 21 April 2026"]);
        has_all(&p.text(new), &["Tuesday 28 April 2026"]);
        has_none(&p.text(new), &["21 April 2026"]);
    }
    assert_eq!(
        p.stage(1)["superseded"],
        serde_json::json!(["01-CMEL7298-v1.pdf", "02-CMEL7000-v1.pdf"])
    );
    has_all(&p.text("05-CMEL9180-v1.pdf"), &["Tuesday 28 April 2026"]);
    // The re-rendered form keeps its own date; the PV check record (a record
    // of a check made on the referral's day) is not rendered again.
    has_all(&p.text("06-CMEL7298-v2.pdf"), &["2 March 2026", "2pm"]);
    assert_eq!(p.entry("04-pv-check-record-v1.pdf")["status"], "current");
    w.verify_ok();

    // The same date: nothing is rendered again.
    let same = lo_created();
    let (out, _) = same.ok(
        "step",
        "cover-letter",
        "2026-03-12",
        &["--data", &fixture("liability-order/cover-letter.yaml")],
    );
    assert!(out.contains("1 file added (5 in the pack)"), "{out}");
    assert!(!out.contains("superseded"), "{out}");
}

#[test]
fn the_court_cover_letter_names_the_court_once_and_the_paying_parent_letter_has_the_court_postcode()
{
    let w = commitment_created();
    let data = w.file(
        "hearing.yaml",
        "cpo-name: Alex Morgan\nhearing-date: 2026-04-14\nhearing-time: \"10:00\"\ncourt-address: [\"Newcastle Magistrates' Court\", \"The Law Courts\", \"Quayside\", \"Newcastle upon Tyne\"]\ncourt-postcode: NE1 3LA\n",
    );
    w.ok("step", "hearing", "2026-03-09", &["--data", &data]);
    w.ok("step", "paying-parent-letter", "2026-03-10", &[]);
    let p = w.open();
    let court = p.text("05-commitment-court-cover-letter-v1.pdf");
    assert_eq!(
        court.matches("Newcastle Magistrates' Court").count(),
        1,
        "{court}"
    );
    has_all(
        &court,
        &["Newcastle Magistrates' Court The Law Courts Quayside Newcastle upon Tyne NE1 3LA"],
    );
    let letter = p.text("06-commitment-paying-parent-cover-letter-v1.pdf");
    has_all(
        &letter,
        &[
            "Court Newcastle Magistrates' Court, The Law Courts, Quayside, Newcastle upon Tyne, NE1 3LA",
        ],
    );
    assert_eq!(
        letter.matches("Newcastle Magistrates' Court").count(),
        1,
        "{letter}"
    );
}

#[test]
fn a_postcode_without_its_address_is_refused() {
    let w = Walk::new("lo.zip");
    let e = w.refused(
        "create",
        "liability-order",
        "2026-03-02",
        &[
            "--data",
            &fixture("liability-order/create.yaml"),
            "--set",
            "paying-parent-postcode=B1 2HF",
        ],
    );
    assert_eq!(
        e,
        format!(
            "error: the data for step `create` has 1 problem:\n  {}: paying-parent-postcode: a postcode is given without paying-parent-address; give the address lines too\n",
            fixture("liability-order/create.yaml")
        )
    );
    let w = Walk::new("c.zip");
    let data = w.file(
        "referral.yaml",
        &std::fs::read_to_string(fixture("commitment/create.yaml"))
            .expect("fixture")
            .replace(
                "paying-parent-address: [\"22 Grey Street\", \"Newcastle upon Tyne\"]\n",
                "",
            ),
    );
    let e = w.refused("create", "commitment", "2026-03-02", &["--data", &data]);
    assert_eq!(
        e,
        "error: the data for step `create` has 1 problem:\n  referral.yaml:6:25: paying-parent-postcode: a postcode is given without paying-parent-address; give the address lines too\n"
    );
    // With the address too, CMEL7000 prints both (never "Not given").
    let w = Walk::new("lo.zip");
    let data = w.file(
        "referral.yaml",
        &format!(
            "{}paying-parent-address: [\"Flat 2\", \"10 Broad Street\", \"Birmingham\"]\npaying-parent-postcode: b12hf\n",
            std::fs::read_to_string(fixture("liability-order/create.yaml")).expect("fixture")
        ),
    );
    w.ok(
        "create",
        "liability-order",
        "2026-03-02",
        &["--data", &data],
    );
    let text = w.open().text("02-CMEL7000-v1.pdf");
    has_all(
        &text,
        &["Address Flat 2, 10 Broad Street, Birmingham, B1 2HF"],
    );
    has_none(&text, &["Not given"]);
}

// ---------------------------------------------------------------------------
// 3. The procedure steps that were missing

#[test]
fn county_court_takes_a_second_pv_check_before_the_hearing() {
    let w = Walk::new("cc.zip");
    w.ok(
        "create",
        "county-court",
        "2026-03-02",
        &[
            "--data",
            &fixture("county-court/create.yaml"),
            "--attach",
            &fixture("attachments/statement.pdf"),
        ],
    );
    let (out, _) = w.ok(
        "step",
        "hearing",
        "2026-03-05",
        &["--set", "hearing-date=2026-04-02"],
    );
    assert!(
        out.contains("next: second-pv-check or outcome (beside it: court-fee, correct, cancel)"),
        "{out}"
    );
    let data = w.file(
        "pv.yaml",
        "pv-checked-by: J Officer\npv-result: no-marking\npayments-since: 200.00\ncontact-since: Wrote on 20 March 2026 to offer payment.\n",
    );
    let e = w.refused("step", "second-pv-check", "2026-04-03", &["--data", &data]);
    assert_eq!(
        e,
        "error: step `second-pv-check` is refused: it is dated 2026-04-03, after the hearing (2026-04-02); the second PV check is made 48 hours before the hearing\n"
    );
    let (out, err) = w.ok("step", "second-pv-check", "2026-03-31", &["--data", &data]);
    assert_eq!(err, "");
    assert!(
        out.contains("1 file added (4 in the pack)\nnext: outcome"),
        "{out}"
    );
    let p = w.open();
    assert_eq!(p.entries()[3], "04-pv-check-record-v1.pdf");
    assert_eq!(
        p.entry("04-pv-check-record-v1.pdf")["title"],
        "PV check record (second check)"
    );
    has_all(
        &p.text("04-pv-check-record-v1.pdf"),
        &[
            "Second check, 48 hours before the hearing",
            "Action County court",
            "Checked on 31 March 2026",
            "Hearing date Thursday 2 April 2026",
            "Payments received £200.00",
            "Contact from the paying parent Wrote on 20 March 2026 to offer payment.",
        ],
    );
    // A missing key is named, as in the other kinds.
    let e = w.refused(
        "step",
        "second-pv-check",
        "2026-03-31",
        &["--set", "pv-checked-by=J Officer"],
    );
    assert!(
        e.contains("step `second-pv-check` was already taken on 2026-03-31"),
        "{e}"
    );
    w.ok(
        "step",
        "outcome",
        "2026-04-02",
        &["--set", "outcome=Judgment for the amount claimed"],
    );
    w.verify_ok();
}

#[test]
fn court_fees_are_recorded_in_the_manifest_and_shown() {
    let w = lo_created();
    let e = w.refused(
        "step",
        "court-fee",
        "2026-03-05",
        &[
            "--set",
            "fee-amount=85.00",
            "--set",
            "fee-paid-on=2026-03-06",
        ],
    );
    assert_eq!(
        e,
        "error: the data for step `court-fee` has 1 problem:\n  --set: fee-paid-on: the fee was paid (2026-03-06) after this step's date (2026-03-05); record a fee once it is paid\n"
    );
    let e = w.refused(
        "step",
        "court-fee",
        "2026-03-05",
        &[
            "--set",
            "fee-amount=85.00",
            "--set",
            "fee-paid-on=2026-03-01",
        ],
    );
    assert_eq!(
        e,
        "error: the data for step `court-fee` has 1 problem:\n  --set: fee-paid-on: the fee was paid (2026-03-01) before the referral (2026-03-02)\n"
    );
    let e = w.refused(
        "step",
        "court-fee",
        "2026-03-05",
        &["--set", "fee-amount=85.00"],
    );
    assert_eq!(
        e,
        "error: the data for step `court-fee` has 1 problem:\n  --set: fee-paid-on (Date the court fee was paid) is required: this step needs it\n"
    );
    // The court defaults to the pack's court; a fee may be paid more than
    // once; it moves no stage.
    let (out, _) = w.ok(
        "step",
        "court-fee",
        "2026-03-05",
        &[
            "--set",
            "fee-amount=85.00",
            "--set",
            "fee-paid-on=2026-03-05",
        ],
    );
    assert!(
        out.contains("step `court-fee` recorded; 0 files added (4 in the pack)\nnext: cover-letter (beside it: court-fee, correct, cancel)"),
        "{out}"
    );
    w.ok(
        "step",
        "cover-letter",
        "2026-03-12",
        &["--data", &fixture("liability-order/cover-letter.yaml")],
    );
    w.ok(
        "step",
        "court-fee",
        "2026-03-13",
        &[
            "--set",
            "fee-amount=1,210.50",
            "--set",
            "fee-paid-on=2026-03-12",
            "--set",
            "fee-court=Birmingham County Court",
        ],
    );
    let p = w.open();
    assert_eq!(p.stage(1)["step"], "court-fee");
    assert_eq!(
        p.stage(1)["data"],
        serde_json::json!({"fee-amount": "85.00", "fee-court": "Birmingham Magistrates' Court", "fee-paid-on": "2026-03-05"})
    );
    assert_eq!(p.stage(3)["data"]["fee-court"], "Birmingham County Court");
    let show = w.show();
    assert!(
        show.contains("stage: cover-letter (2026-03-12)\nnext: issued: "),
        "{show}"
    );
    assert!(
        show.contains("\ncourt fees:\n  2026-03-05  Birmingham Magistrates' Court                  £85.00\n  2026-03-12  Birmingham County Court                        £1,210.50\n  2 fees paid, £1,295.50 in total\n"),
        "{show}"
    );
    w.verify_ok();
    w.ok(
        "step",
        "issued",
        "2026-03-13",
        &["--set", "issue-date=2026-03-13"],
    );
}

#[test]
fn a_face_to_face_meeting_can_be_rearranged_by_either_side_or_cancelled() {
    let w = f2f_appointed();
    let (out, _) = w.ok(
        "step",
        "rearrange",
        "2026-03-10",
        &[
            "--set",
            "changed-by=client",
            "--set",
            "meeting-date=2026-03-23",
            "--set",
            "meeting-time=14:00",
        ],
    );
    assert!(
        out.contains("step `rearrange` recorded; 1 file added (3 in the pack)\nnext: outcome (beside it: rearrange, attendance, cancel, correct)"),
        "{out}"
    );
    let e = w.refused(
        "step",
        "rearrange",
        "2026-03-11",
        &[
            "--set",
            "meeting-date=2026-03-24",
            "--set",
            "meeting-time=14:00",
        ],
    );
    assert_eq!(
        e,
        "error: the data for step `rearrange` has 1 problem:\n  --set: changed-by (Who asked for the meeting to change) is required: this step needs it\n"
    );
    w.ok(
        "step",
        "rearrange",
        "2026-03-12",
        &[
            "--set",
            "changed-by=cms",
            "--set",
            "meeting-date=2026-03-25",
            "--set",
            "meeting-time=09:30",
            "--set",
            "meeting-location=Jobcentre Plus, Leeds",
        ],
    );
    let p = w.open();
    assert_eq!(
        p.entries(),
        [
            "01-CMSF5579-v1.pdf",
            "02-CMSL5501-v1.pdf",
            "03-CMSL5502-v1.pdf",
            "04-CMSL5502-v1.pdf"
        ]
    );
    let first = p.text("03-CMSL5502-v1.pdf");
    has_all(
        &first,
        &[
            "Ms Priya Patel 14 Church Lane Leeds LS6 1AB",
            "Your face to face meeting details have changed",
            "You recently asked us to change the details of a face-to-face meeting with a member of our team.",
            "Date Monday 23 March 2026",
            "Time 2pm",
            "Location Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ",
            "Child maintenance payments made in your case",
            "CMSL5502",
        ],
    );
    has_none(&first, &["We recently contacted you"]);
    has_all(
        &p.text("04-CMSL5502-v1.pdf"),
        &[
            "We recently contacted you to change the details of a face-to-face meeting with a member of our team.",
            "Date Wednesday 25 March 2026",
            "Time 9:30am",
            "Location Jobcentre Plus, Leeds",
        ],
    );
    assert_eq!(p.stage(2)["data"]["changed-by"], "client");
    assert_eq!(p.stage(3)["data"]["changed-by"], "cms");

    // Cancelled: CMSL5503 with the meeting that was to take place.
    let (out, _) = w.ok("step", "cancel", "2026-03-20", &[]);
    assert!(
        out.contains(
            "step `cancel` recorded; 1 file added (5 in the pack)\nthe pack is closed (cancelled)"
        ),
        "{out}"
    );
    let p = w.open();
    assert_eq!(p.manifest["status"], "cancelled");
    has_all(
        &p.text("05-CMSL5503-v1.pdf"),
        &[
            "Ms Priya Patel 14 Church Lane Leeds LS6 1AB",
            "Your face to face meeting with us has been cancelled",
            "Date Wednesday 25 March 2026",
            "Time 9:30am",
            "Location Jobcentre Plus, Leeds",
            "CMSL5503",
        ],
    );
    let e = w.refused(
        "step",
        "outcome",
        "2026-03-26",
        &["--set", "visit-outcome=completed"],
    );
    assert_eq!(
        e,
        "error: the face-to-face pack is closed (cancelled at stage `cancel` on 2026-03-20); no step can follow\n"
    );
    w.verify_ok();
}

#[test]
fn a_client_who_fails_to_attend_more_than_twice_closes_the_pack_as_failed_to_attend() {
    let w = f2f_appointed();
    let missed = ["--set", "attendance=failed-to-attend"];
    let e = w.refused("step", "attendance", "2026-03-15", &missed);
    assert_eq!(
        e,
        "error: step `attendance` is refused: it is dated 2026-03-15, before the meeting (2026-03-16); record attendance on or after the meeting date\n"
    );
    let (out, _) = w.ok("step", "attendance", "2026-03-16", &missed);
    assert!(
        out.contains("the client has failed to attend 1 time; the pack closes as `Failed To Attend` if they fail to attend more than twice\nnext: outcome"),
        "{out}"
    );
    let e = w.refused("step", "attendance", "2026-03-17", &missed);
    assert_eq!(
        e,
        "error: step `attendance` is refused: attendance at the meeting on 2026-03-16 was already recorded on 2026-03-16; rearrange the meeting (step `rearrange`) before recording attendance again\n"
    );
    // The outcome step no longer closes a pack as failed to attend.
    let e = w.refused(
        "step",
        "outcome",
        "2026-03-17",
        &["--set", "visit-outcome=failed-to-attend"],
    );
    assert_eq!(
        e,
        "error: the data for step `outcome` has 1 problem:\n  --set: visit-outcome: a missed meeting is recorded with step `attendance` (--set attendance=failed-to-attend), once for each meeting; the pack closes as `Failed To Attend` when the client fails to attend more than twice\n"
    );
    for (n, (moved, meeting)) in [("2026-03-17", "2026-03-23"), ("2026-03-24", "2026-03-30")]
        .into_iter()
        .enumerate()
    {
        w.ok(
            "step",
            "rearrange",
            moved,
            &[
                "--set",
                "changed-by=cms",
                "--set",
                &format!("meeting-date={meeting}"),
                "--set",
                "meeting-time=10:30",
            ],
        );
        let (out, _) = w.ok("step", "attendance", meeting, &missed);
        if n == 0 {
            assert!(out.contains("failed to attend 2 times;"), "{out}");
        } else {
            assert!(
                out.contains("step `attendance` recorded; 0 files added (4 in the pack)\nthe pack is closed (completed: Failed To Attend)\n"),
                "{out}"
            );
        }
    }
    let p = w.open();
    assert_eq!(p.manifest["status"], "completed");
    assert_eq!(p.manifest["resolution"], "Failed To Attend");
    assert!(w.show().contains("status: completed (Failed To Attend)\n"));
    w.verify_ok();
    let e = w.refused(
        "step",
        "outcome",
        "2026-03-31",
        &["--set", "visit-outcome=completed"],
    );
    assert_eq!(
        e,
        "error: the face-to-face pack is closed (completed at stage `attendance` on 2026-03-30); no step can follow\n"
    );

    // A client who attends: recorded, and the outcome closes the pack.
    let w = f2f_appointed();
    w.ok(
        "step",
        "attendance",
        "2026-03-16",
        &["--set", "attendance=attended"],
    );
    let e = w.refused(
        "step",
        "outcome",
        "2026-03-15",
        &["--set", "visit-outcome=completed"],
    );
    assert!(e.contains("step `outcome` is dated 2026-03-15, before the previous stage `attendance` (2026-03-16)"), "{e}");
    let (out, _) = w.ok(
        "step",
        "outcome",
        "2026-03-17",
        &["--set", "visit-outcome=completed"],
    );
    assert!(out.contains("the pack is closed (completed)\n"), "{out}");
    assert!(w.open().manifest.get("resolution").is_none());
}

#[test]
fn a_correction_renders_the_document_again_and_keeps_the_old_one_superseded() {
    let w = Walk::new("c.zip");
    w.ok(
        "create",
        "commitment",
        "2026-03-02",
        &[
            "--data",
            &fixture("commitment/create.yaml"),
            "--set",
            "paying-parent-name=Mr Sam Tayler",
        ],
    );
    let fix = [
        "--set",
        "document=CMEL7211",
        "--set",
        "correction-reason=Typo in the name at create",
        "--set",
        "paying-parent-name=Mr Sam Taylor",
    ];
    let e = w.refused("step", "correct", "2026-03-03", &fix[2..]);
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: document (The document to correct: its file name in the pack, or its code) is required: this step needs it\n"
    );
    let e = w.refused(
        "step",
        "correct",
        "2026-03-03",
        &[&fix[..4], &["--set", "costs=85.00"]].concat(),
    );
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: costs: 01-CMEL7211-v1.pdf does not show `costs`; it shows: paying-parent-name, paying-parent-address, paying-parent-postcode, court, region, amount-owed, cpo-name, hearing-date, hearing-time\n"
    );
    let e = w.refused(
        "step",
        "correct",
        "2026-03-03",
        &[&fix[..], &["--set", "payng-parent-name=x"]].concat(),
    );
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set payng-parent-name=…: unknown key `payng-parent-name` (did you mean `paying-parent-name`?); step `correct` takes: document, correction-reason and the keys the document shows\n"
    );
    let e = w.refused("step", "correct", "2026-03-03", &fix[..4]);
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: give at least one corrected value; 01-CMEL7211-v1.pdf shows: paying-parent-name, paying-parent-address, paying-parent-postcode, court, region, amount-owed, cpo-name, hearing-date, hearing-time\n"
    );
    let e = w.refused(
        "step",
        "correct",
        "2026-03-03",
        &[&["--set", "document=CMSL5501"], &fix[2..]].concat(),
    );
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: document: the pack has no document `CMSL5501`; its documents: 01-CMEL7211-v1.pdf, 02-pv-check-record-v1.pdf, 03-ssst-referral-form-v1.pdf\n"
    );
    let (out, err) = w.ok("step", "correct", "2026-03-03", &fix);
    assert!(
        out.contains("step `correct` recorded; 1 file added (4 in the pack)\nsuperseded: 01-CMEL7211-v1.pdf by 04-CMEL7211-v2.pdf\nnext: hearing"),
        "{out}"
    );
    assert_eq!(
        err,
        "warning: 03-ssst-referral-form-v1.pdf also shows a corrected value (paying-parent-name); correct it too if it is wrong\n"
    );
    let e = w.refused("step", "correct", "2026-03-03", &fix);
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: nothing to correct: 04-CMEL7211-v2.pdf already shows the value given\n"
    );
    let e = w.refused(
        "step",
        "correct",
        "2026-03-03",
        &[&["--set", "document=01-CMEL7211-v1.pdf"], &fix[2..]].concat(),
    );
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: document: 01-CMEL7211-v1.pdf is superseded by 04-CMEL7211-v2.pdf; correct 04-CMEL7211-v2.pdf\n"
    );
    let p = w.open();
    assert_eq!(p.entry("01-CMEL7211-v1.pdf")["status"], "superseded");
    assert_eq!(p.entry("04-CMEL7211-v2.pdf")["version"], 2);
    assert_eq!(p.entry("04-CMEL7211-v2.pdf")["stage"], "correct");
    assert_eq!(
        p.entry("04-CMEL7211-v2.pdf")["title"],
        "Court summons form (partially completed)"
    );
    assert_eq!(
        p.stage(1),
        &serde_json::json!({
            "step": "correct",
            "date": "2026-03-03",
            "data": {
                "correction-reason": "Typo in the name at create",
                "document": "01-CMEL7211-v1.pdf",
                "paying-parent-name": "Mr Sam Taylor"
            },
            "added": ["04-CMEL7211-v2.pdf"],
            "superseded": ["01-CMEL7211-v1.pdf"],
            "warnings": ["03-ssst-referral-form-v1.pdf also shows a corrected value (paying-parent-name); correct it too if it is wrong"]
        })
    );
    has_all(&p.text("01-CMEL7211-v1.pdf"), &["Mr Sam Tayler"]);
    let v2 = p.text("04-CMEL7211-v2.pdf");
    has_all(
        &v2,
        &["Mr Sam Taylor", "partially completed", "2 March 2026"],
    );
    has_none(&v2, &["Tayler"]);
    // The corrected value is the pack's from now on.
    w.ok(
        "step",
        "hearing",
        "2026-03-09",
        &["--data", &fixture("commitment/hearing.yaml")],
    );
    let p = w.open();
    has_all(
        &p.text("06-commitment-court-cover-letter-v1.pdf"),
        &["Paying parent Mr Sam Taylor"],
    );
    assert_eq!(
        p.entry("04-CMEL7211-v2.pdf")["superseded-by"],
        "05-CMEL7211-v3.pdf"
    );
    // `show` hides the reason (free text) but shows what was corrected.
    let show = w.show();
    assert!(
        show.contains("  2026-03-03  correct\n      warning: 03-ssst-referral-form-v1.pdf also shows a corrected value (paying-parent-name); correct it too if it is wrong\n      document: 01-CMEL7211-v1.pdf\n      correction-reason: (personal data: add --personal-data to show)\n"),
        "{show}"
    );
    w.verify_ok();
}

#[test]
fn a_corrected_pv_check_record_keeps_the_values_of_its_own_check() {
    let w = commitment_issued();
    let data = w.file(
        "pv.yaml",
        "pv-checked-by: K Officer\npv-result: marking-recorded\npv-details: Marking added in April.\npayments-since: 0\ncontact-since: None\n",
    );
    w.ok("step", "second-pv-check", "2026-04-12", &["--data", &data]);
    // Two PV check records: the code alone is ambiguous.
    let e = w.refused(
        "step",
        "correct",
        "2026-04-13",
        &[
            "--set",
            "document=pv-check-record",
            "--set",
            "correction-reason=Wrong officer",
            "--set",
            "pv-checked-by=L Officer",
        ],
    );
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: document: the pack has 2 current `pv-check-record` documents (02-pv-check-record-v1.pdf, 07-pv-check-record-v1.pdf); name one by its file name\n"
    );
    w.ok(
        "step",
        "correct",
        "2026-04-13",
        &[
            "--set",
            "document=02-pv-check-record-v1.pdf",
            "--set",
            "correction-reason=Wrong officer",
            "--set",
            "pv-checked-by=L Officer",
        ],
    );
    let p = w.open();
    let first = p.text("08-pv-check-record-v2.pdf");
    has_all(
        &first,
        &[
            "First check, at referral",
            "Checked on 2 March 2026",
            "Checked by L Officer",
            "No PV marking is recorded against the case",
        ],
    );
    has_none(
        &first,
        &["Marking added in April", "K Officer", "Since the referral"],
    );
    let second = p.text("07-pv-check-record-v1.pdf");
    has_all(
        &second,
        &["Checked by K Officer", "A PV marking is recorded"],
    );
    assert_eq!(p.entry("07-pv-check-record-v1.pdf")["status"], "current");
    w.verify_ok();
    // The outcome may follow a correction.
    w.ok(
        "step",
        "outcome",
        "2026-04-15",
        &["--set", "outcome=Suspended committal order"],
    );
}

#[test]
fn cancel_is_allowed_wherever_the_cpo_may_stop() {
    let paid = ["--set", "cancel-reason=Paid in full"];
    // Liability order: paid in full before the cover letter.
    let w = lo_created();
    let (out, _) = w.ok("step", "cancel", "2026-03-05", &paid);
    assert!(
        out.contains(
            "step `cancel` recorded; 0 files added (4 in the pack)\nthe pack is closed (cancelled)"
        ),
        "{out}"
    );
    let e = w.refused(
        "step",
        "cover-letter",
        "2026-03-12",
        &["--data", &fixture("liability-order/cover-letter.yaml")],
    );
    assert_eq!(
        e,
        "error: the liability-order pack is closed (cancelled at stage `cancel` on 2026-03-05); no step can follow\n"
    );
    w.verify_ok();
    // Liability order, after the cover letter and the issue date.
    let w = lo_created();
    w.ok(
        "step",
        "cover-letter",
        "2026-03-12",
        &["--data", &fixture("liability-order/cover-letter.yaml")],
    );
    w.ok(
        "step",
        "issued",
        "2026-03-13",
        &["--set", "issue-date=2026-03-13"],
    );
    w.ok("step", "cancel", "2026-03-20", &paid);
    assert_eq!(w.open().manifest["status"], "cancelled");
    // Commitment, after the hearing date.
    let w = commitment_created();
    w.ok(
        "step",
        "hearing",
        "2026-03-09",
        &["--data", &fixture("commitment/hearing.yaml")],
    );
    w.ok("step", "cancel", "2026-03-10", &paid);
    assert_eq!(w.open().manifest["status"], "cancelled");
    w.verify_ok();
    // County court, at referral.
    let w = Walk::new("cc.zip");
    w.ok(
        "create",
        "county-court",
        "2026-03-02",
        &[
            "--data",
            &fixture("county-court/create.yaml"),
            "--attach",
            &fixture("attachments/statement.pdf"),
        ],
    );
    w.ok("step", "cancel", "2026-03-03", &paid);
    assert_eq!(w.open().manifest["status"], "cancelled");
    w.verify_ok();
    // A step out of order names the side steps too.
    let w = commitment_created();
    let e = w.refused(
        "step",
        "issued",
        "2026-03-03",
        &["--set", "issue-date=2026-03-03"],
    );
    assert_eq!(
        e,
        "error: step `issued` cannot be taken yet: the commitment pack is at stage `create`; next: `hearing`; beside it: `court-fee` or `correct` or `cancel`\n"
    );
}

#[test]
fn pack_steps_lists_the_side_steps() {
    let w = Walk::new("x.zip");
    let out = w.run(&["pack", "steps", "face-to-face"]);
    let text = String::from_utf8_lossy(&out.stdout);
    has_all(
        &text,
        &[
            "  rearrange  [after appointment; beside the path]\n",
            "      changed-by               required                      Who asked for the meeting to change: one of: client, cms\n",
            "  attendance  [after appointment; beside the path]\n",
            "      attendance               required                      Whether the client attended the meeting: one of: attended, failed-to-attend\n",
            "  cancel  [after appointment; beside the path; closes the pack as cancelled]\n",
            "  correct  [after create or appointment; beside the path]\n",
            "      KEY                      at least one                  the corrected value of a key the document shows\n",
        ],
    );
    let out = w.run(&["pack", "steps", "liability-order"]);
    let text = String::from_utf8_lossy(&out.stdout);
    has_all(
        &text,
        &[
            "  court-fee  [after create or cover-letter or issued or second-pv-check; beside the path]\n",
            "      fee-amount               required                      Court fee paid: an amount in pounds, e.g. 125.50\n",
            "  cancel  [after create or cover-letter or issued or second-pv-check; beside the path; closes the pack as cancelled]\n",
        ],
    );
}

#[test]
fn a_corrected_meeting_letter_changes_its_own_meeting_only() {
    let w = f2f_appointed();
    w.ok(
        "step",
        "rearrange",
        "2026-03-10",
        &[
            "--set",
            "changed-by=client",
            "--set",
            "meeting-date=2026-03-23",
            "--set",
            "meeting-time=14:00",
            "--set",
            "meeting-location=Jobcentre Plus, Park Lane, Leeds",
        ],
    );
    // The first letter's place was wrong: its new version keeps its own
    // date and time; the meeting in use stays the rearranged one.
    w.ok(
        "step",
        "correct",
        "2026-03-11",
        &[
            "--set",
            "document=CMSL5501",
            "--set",
            "correction-reason=Wrong building",
            "--set",
            "meeting-location=Jobcentre Plus, Eastgate, Leeds",
        ],
    );
    // The rearranged meeting's time was wrong: corrected, and in use.
    let (_, err) = w.ok(
        "step",
        "correct",
        "2026-03-12",
        &[
            "--set",
            "document=03-CMSL5502-v1.pdf",
            "--set",
            "correction-reason=Time mistyped",
            "--set",
            "meeting-time=15:00",
        ],
    );
    assert_eq!(err, "", "a meeting's own values warn of no other letter");
    let e = w.refused(
        "step",
        "correct",
        "2026-03-12",
        &[
            "--set",
            "document=Ms Priya Patel",
            "--set",
            "correction-reason=x",
            "--set",
            "meeting-time=15:00",
        ],
    );
    assert_eq!(
        e,
        "error: the data for step `correct` has 1 problem:\n  --set: document: the pack has no document by that name; its documents: 01-CMSF5579-v1.pdf, 04-CMSL5501-v2.pdf, 05-CMSL5502-v2.pdf\n"
    );
    w.ok("step", "cancel", "2026-03-13", &[]);
    let p = w.open();
    assert_eq!(
        p.entries(),
        [
            "01-CMSF5579-v1.pdf",
            "02-CMSL5501-v1.pdf",
            "03-CMSL5502-v1.pdf",
            "04-CMSL5501-v2.pdf",
            "05-CMSL5502-v2.pdf",
            "06-CMSL5503-v1.pdf",
        ]
    );
    has_all(
        &p.text("04-CMSL5501-v2.pdf"),
        &[
            "Date Monday 16 March 2026",
            "Time 10:30am",
            "Location Jobcentre Plus, Eastgate, Leeds",
        ],
    );
    has_all(
        &p.text("05-CMSL5502-v2.pdf"),
        &[
            "You recently asked us to change",
            "Date Monday 23 March 2026",
            "Time 3pm",
            "Location Jobcentre Plus, Park Lane, Leeds",
        ],
    );
    has_all(
        &p.text("06-CMSL5503-v1.pdf"),
        &[
            "Date Monday 23 March 2026",
            "Time 3pm",
            "Location Jobcentre Plus, Park Lane, Leeds",
        ],
    );
    w.verify_ok();
}
