//! Requests as people make them (issue 8, sections 3 and 4): personal data
//! never quoted in a message, strict JSON, one YAML document a file,
//! characters the letter cannot show, reserved ids, Welsh.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{engine, letterkit};

const NAME: &str = "Zebedee Quartermaine";
const ADDRESS: &str = "77 Marigold Crescent";
const POSTCODE: &str = "SW1A 9ZQ";
const REFERENCE: &str = "9876 5432 1012";

/// What a caseworker might type, anywhere: the markers, mistyped, run
/// together, in lower case, too long, with an invisible control.
fn markers() -> Vec<String> {
    vec![
        NAME.into(),
        ADDRESS.into(),
        POSTCODE.into(),
        REFERENCE.into(),
        "9876 5432 101".into(),
        "9876-5432-1012".into(),
        "SW1A9ZQ".into(),
        "zebedee".into(),
        "quartermaine-marigold".into(),
        format!("{NAME}\u{202E}"),
        NAME.repeat(40),
    ]
}

/// Pieces that must appear in no message and no manifest line.
const TELLTALES: &[&str] = &[
    "zebedee",
    "quartermaine",
    "marigold",
    "sw1a 9zq",
    "sw1a9zq",
    "9876 5432",
    "5432 1012",
    "5432 101",
    "9876-5432",
    "98765432",
    "54321012",
];

fn leaks(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    TELLTALES
        .iter()
        .copied()
        .filter(|t| lower.contains(t))
        .collect()
}

fn base() -> Value {
    json!({
        "id": "req-1",
        "letter": "CMSL5502",
        "date": "2026-03-02",
        "reference": "1234 5678 9012",
        "language": "en",
        "recipient": {
            "name": "Ms Priya Patel",
            "address": ["Flat 3", "14 Church Lane", "Leeds"],
            "postcode": "LS6 1AB"
        },
        "fields": {
            "changed-by": "client",
            "meeting-date": "2026-03-16",
            "meeting-time": "10:30",
            "meeting-location": "Jobcentre Plus, Leeds LS2 7UZ",
            "reason": "other",
            "reason-text": "Something about the case"
        },
        "optional": ["bring-someone"]
    })
}

/// Every path to a value in `v` (JSON pointers), the root included.
fn paths(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                paths(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                paths(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Whether a marker would be a valid id. The id is the caller's own name
/// for a request, not personal data: a valid one names the output file
/// (`wrote out/zebedee.pdf`), by design. Every invalid one must not show.
fn valid_id(p: &str, v: &Value) -> bool {
    p == "/id"
        && match v {
            Value::String(s) => {
                s.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            }
            Value::Number(_) => true,
            _ => false,
        }
}

/// The base request with a marker in every field and every position:
/// as a value, in a list, as a mapping's key and value, as a number, as a
/// new key, as a renamed key, as a new list item.
fn variants() -> Vec<Value> {
    let mut all_paths = Vec::new();
    paths(&base(), String::new(), &mut all_paths);
    let mut out = Vec::new();
    for p in &all_paths {
        for m in markers() {
            for replacement in [json!(m), json!([m]), json!({ m.clone(): m })] {
                if valid_id(p, &replacement) {
                    continue;
                }
                let mut v = base();
                if p.is_empty() {
                    v = replacement;
                } else if let Some(slot) = v.pointer_mut(p) {
                    *slot = replacement;
                }
                out.push(v);
            }
        }
        let mut v = base();
        if let Some(slot) = v.pointer_mut(p).filter(|_| !p.is_empty() && p != "/id") {
            *slot = json!(987_654_321_012u64);
            out.push(v);
        }
        let target = base().pointer(p).cloned();
        match target {
            Some(Value::Object(m)) => {
                for marker in markers() {
                    let mut v = base();
                    if let Some(Value::Object(slot)) = v.pointer_mut(p) {
                        slot.insert(marker.clone(), json!(marker));
                    }
                    out.push(v);
                    for key in m.keys() {
                        let mut v = base();
                        if let Some(Value::Object(slot)) = v.pointer_mut(p)
                            && let Some(x) = slot.remove(key)
                        {
                            slot.insert(marker.clone(), x);
                        }
                        out.push(v);
                    }
                }
            }
            Some(Value::Array(_)) => {
                for marker in markers() {
                    let mut v = base();
                    if let Some(Value::Array(slot)) = v.pointer_mut(p) {
                        slot.push(json!(marker));
                    }
                    out.push(v);
                }
            }
            _ => {}
        }
    }
    out
}

/// Hand-written texts the JSON values cannot make: block YAML, duplicate
/// keys, syntax errors just after a marker, several documents, tags.
fn broken_texts() -> Vec<(&'static str, String)> {
    let head = "letter: CMSL5502\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\n";
    vec![
        ("yaml", format!("{head}{NAME}: 1\n{NAME}: 2\n")),
        ("yaml", format!("{head}fields:\n  {NAME}: 1\n  {NAME}: 2\n")),
        (
            "yaml",
            format!("{head}recipient:\n  name: {NAME}\n  name: {NAME}\n"),
        ),
        ("yaml", format!("{head}reference: {REFERENCE}\n")),
        (
            "yaml",
            format!("{head}recipient: {{name: {NAME}, address: [{ADDRESS}\n"),
        ),
        (
            "yaml",
            format!("{head}recipient:\n  name: {NAME}: {POSTCODE}\n"),
        ),
        ("yaml", format!("{head}---\n{NAME}: {ADDRESS}\n")),
        ("yaml", format!("{NAME}\n")),
        ("yaml", format!("- {NAME}\n- {ADDRESS}\n")),
        ("yaml", format!("{head}? [{NAME}]\n: {POSTCODE}\n")),
        ("yaml", format!("{head}{NAME}: |\n  {ADDRESS}\n")),
        ("yaml", format!("{head}fields: !{} {NAME}\n", "Zebedee")),
        ("yaml", format!("{head}fields: *{}\n", "Zebedee")),
        ("yaml", format!("{head}\"{NAME}\\q\": 1\n")),
        ("yaml", format!("{head}\t{NAME}: 1\n")),
        (
            "json",
            format!("{{\"recipient\": {{\"name\": \"{NAME}\",}}}}"),
        ),
        ("json", format!("{{'{NAME}': 1}}")),
        ("json", format!("{{\"a\": \"{ADDRESS}\" // {POSTCODE}\n}}")),
        ("json", format!("{{\"{NAME}\": 1, \"{NAME}\": 2}}")),
        ("json", format!("{{\"reference\": {REFERENCE}}}")),
        ("json", format!("{{\"a\": \"{NAME}\\u12\"}}")),
        (
            "json",
            format!("{{\"a\": \"{NAME}\"}}\n{{\"b\": \"{ADDRESS}\"}}"),
        ),
        ("json", format!("{{\"a\": \"{NAME}\\ud800\"}}")),
    ]
}

/// Every case as (extension, text): each variant as JSON and as YAML (a
/// JSON document is YAML too), then the hand-written ones.
fn cases() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for v in variants() {
        let text = v.to_string();
        out.push(("json", text.clone()));
        out.push(("yaml", text));
    }
    out.extend(broken_texts());
    out
}

/// Markers in every field and position never come back in a message of
/// the library (parse, validate, render), whatever the syntax.
#[test]
fn no_personal_data_in_library_messages() {
    let engine = engine();
    let mut leaked = Vec::new();
    let mut failed = 0;
    for (i, (ext, text)) in cases().iter().enumerate() {
        let origin = format!("case-{i}.{ext}");
        let message = match engine.parse_request(text, &origin) {
            Err(e) => e.to_string(),
            Ok(r) => match engine.render(&r, &letterkit::RenderOptions::default()) {
                Err(e) => e.to_string(),
                Ok(_) => continue,
            },
        };
        failed += 1;
        if !leaks(&message).is_empty() {
            leaked.push(format!("{origin}: {text}\n  -> {message}"));
        }
    }
    assert!(failed > 500, "most cases must fail: {failed}");
    assert!(
        leaked.is_empty(),
        "{} messages quote personal data:\n{}",
        leaked.len(),
        leaked.join("\n")
    );
}

fn write_cases(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for (i, (ext, text)) in cases().iter().enumerate() {
        let name = format!("case-{i:04}.{ext}");
        std::fs::write(dir.join(&name), text).expect("write case");
        names.push(name);
    }
    names
}

/// The same through `letterkit render`: nothing on stderr quotes them.
#[test]
fn no_personal_data_in_render_stderr() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let names = write_cases(tmp.path());
    std::fs::create_dir(tmp.path().join("out")).expect("out folder");
    let out = letterkit(tmp.path())
        .arg("render")
        .args(&names)
        .args(["--out", "out"])
        .output()
        .expect("run letterkit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("requests failed"), "{stderr}");
    let bad: Vec<&str> = stderr.lines().filter(|l| !leaks(l).is_empty()).collect();
    assert!(
        bad.is_empty(),
        "stderr quotes personal data:\n{}",
        bad.join("\n")
    );
}

/// The same through `letterkit batch`: a folder of the request files, a
/// JSON Lines file of every variant and a CSV file with a marker in each
/// cell. Neither stderr nor any manifest line quotes them.
#[test]
fn no_personal_data_in_batch_stderr_or_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let inputs = tmp.path().join("in");
    std::fs::create_dir(&inputs).expect("in folder");
    write_cases(&inputs);
    let jsonl: String = variants().iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(tmp.path().join("all.jsonl"), jsonl).expect("jsonl");
    let headers = [
        "id",
        "letter",
        "date",
        "reference",
        "language",
        "recipient.name",
        "recipient.address.1",
        "recipient.address.2",
        "recipient.postcode",
        "fields.changed-by",
        "fields.meeting-date",
        "fields.meeting-time",
        "fields.meeting-location",
        "fields.reason",
        "fields.reason-text",
        "optional",
    ];
    let row = [
        "",
        "CMSL5502",
        "2026-03-02",
        "1234 5678 9012",
        "en",
        "Ms Priya Patel",
        "14 Church Lane",
        "Leeds",
        "LS6 1AB",
        "client",
        "2026-03-16",
        "10:30",
        "Jobcentre Plus, Leeds LS2 7UZ",
        "other",
        "Something about the case",
        "bring-someone",
    ];
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(headers).expect("csv");
    for col in 0..row.len() {
        for m in markers() {
            if col == 0 && valid_id("/id", &json!(m)) {
                continue;
            }
            let mut r: Vec<String> = row.iter().map(|s| (*s).to_owned()).collect();
            r[col] = m;
            csv.write_record(&r).expect("csv");
        }
    }
    std::fs::write(
        tmp.path().join("rows.csv"),
        csv.into_inner().expect("csv bytes"),
    )
    .expect("csv file");
    let out = letterkit(tmp.path())
        .args([
            "batch",
            "in",
            "all.jsonl",
            "rows.csv",
            "--out",
            "out",
            "--jobs",
            "2",
        ])
        .output()
        .expect("run letterkit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed: "), "{stderr}");
    let bad: Vec<&str> = stderr.lines().filter(|l| !leaks(l).is_empty()).collect();
    assert!(
        bad.is_empty(),
        "stderr quotes personal data:\n{}",
        bad.join("\n")
    );
    let manifest =
        std::fs::read_to_string(tmp.path().join("out/manifest.jsonl")).expect("manifest");
    assert!(manifest.lines().count() > 1000, "every request is recorded");
    let bad: Vec<&str> = manifest.lines().filter(|l| !leaks(l).is_empty()).collect();
    assert!(
        bad.is_empty(),
        "manifest quotes personal data:\n{}",
        bad.join("\n")
    );
}

fn messages(text: &str, origin: &str) -> Vec<String> {
    match engine().parse_request(text, origin) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

const GOOD_YAML: &str = "letter: CMSL5503\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Jobcentre Plus, Leeds\n";

fn good_json() -> String {
    json!({
        "letter": "CMSL5503",
        "date": "2026-03-02",
        "reference": "1234 5678 9012",
        "recipient": {"name": "Ms Priya Patel", "address": ["14 Church Lane", "Leeds"], "postcode": "LS6 1AB"},
        "fields": {"meeting-date": "2026-03-16", "meeting-time": "10:30", "meeting-location": "Jobcentre Plus, Leeds"}
    })
    .to_string()
}

/// `parse_request` on a `.json` origin is strict JSON: what YAML would
/// accept (a trailing comma, single quotes, a comment) is refused with
/// serde_json's line and column; `.yaml` still reads the same text.
#[test]
fn json_origins_are_parsed_as_strict_json() {
    let json = good_json();
    assert_eq!(messages(&json, "r.json"), Vec::<String>::new());
    assert_eq!(messages(&json, "R.JSON"), Vec::<String>::new());
    let trailing = json.replacen("\"Leeds\"]", "\"Leeds\",]", 1);
    let column = trailing.find(",]").expect("comma") + 2;
    assert_eq!(
        messages(&trailing, "r.json"),
        [format!(
            "r.json:1:{column}: not valid JSON: expected value (a trailing comma: nothing may follow the last item)"
        )]
    );
    // YAML accepts it: the format comes from the origin.
    assert_eq!(messages(&trailing, "r.yaml"), Vec::<String>::new());
    let single = json.replacen("\"letter\"", "'letter'", 1);
    let column = single.find('\'').expect("quote") + 1;
    assert_eq!(
        messages(&single, "x.jsonl"),
        [format!(
            "x.jsonl:1:{column}: not valid JSON: key must be a string (JSON strings and keys take double quotes, not single quotes)"
        )]
    );
    // The explicit format wins over the origin.
    let e = engine()
        .parse_request_as(&single, "stdin", letterkit::request::Format::Json)
        .expect_err("strict");
    assert!(
        e.to_string()
            .starts_with(&format!("stdin:1:{column}: not valid JSON")),
        "{e}"
    );
    // A duplicate key is reported by the checker, in JSON as in YAML.
    let dup = format!(
        "{},\"letter\":\"CMSL5503\"}}",
        json.strip_suffix('}').expect("object")
    );
    let column = dup.rfind("\"letter\"").expect("key") + 1;
    assert_eq!(
        messages(&dup, "r.json"),
        [format!(
            "r.json:1:{column}: letter: is written twice; keep one"
        )]
    );
}

/// A `.jsonl` line in a batch is strict JSON too, with its own line number.
#[test]
fn batch_json_lines_are_strict_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = good_json();
    let bad = good.replacen("\"Leeds\"]", "\"Leeds\",]", 1);
    let column = bad.find(",]").expect("comma") + 2;
    std::fs::write(
        tmp.path().join("r.jsonl"),
        format!("{good}\n{bad}\n{good}\n"),
    )
    .expect("jsonl");
    let out = letterkit(tmp.path())
        .args(["batch", "r.jsonl", "--out", "out", "--jobs", "1"])
        .output()
        .expect("run letterkit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "failed: r.jsonl:2:{column}: not valid JSON: expected value (a trailing comma"
        )),
        "{stderr}"
    );
}

/// Several YAML documents in one file: a message for the person, not the
/// parser's advice to its programmer, at the second document.
#[test]
fn several_yaml_documents_are_one_request_per_file() {
    let text = format!("{GOOD_YAML}---\n{GOOD_YAML}");
    let m = messages(&text, "r.yaml");
    assert_eq!(
        m,
        [
            "r.yaml:12:1: a request file holds one request, but this one has several YAML documents (separated by `---`): put each request in its own file"
        ]
    );
    assert!(!m[0].contains("from_str_multiple"));
}

/// Each character the letter cannot show correctly, by code point, in
/// any text: refused, and named by its code point alone.
#[test]
fn invisible_and_right_to_left_characters_are_refused() {
    for (c, says) in [
        ('\u{202E}', "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ('\u{202D}', "U+202D (LEFT-TO-RIGHT OVERRIDE)"),
        ('\u{202C}', "U+202C (POP DIRECTIONAL FORMATTING)"),
        ('\u{2066}', "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ('\u{2067}', "U+2067 (RIGHT-TO-LEFT ISOLATE)"),
        ('\u{2068}', "U+2068 (FIRST STRONG ISOLATE)"),
        ('\u{2069}', "U+2069 (POP DIRECTIONAL ISOLATE)"),
        ('\u{200E}', "U+200E (LEFT-TO-RIGHT MARK)"),
        ('\u{200F}', "U+200F (RIGHT-TO-LEFT MARK)"),
        ('\u{200B}', "U+200B (ZERO WIDTH SPACE)"),
        ('\u{200C}', "U+200C (ZERO WIDTH NON-JOINER)"),
        ('\u{200D}', "U+200D (ZERO WIDTH JOINER)"),
        ('\u{2060}', "U+2060 (WORD JOINER)"),
        ('\u{FEFF}', "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ('\u{05D0}', "U+05D0, a letter of the Hebrew script"),
        ('\u{0627}', "U+0627, a letter of the Arabic script"),
    ] {
        let text = GOOD_YAML.replace(
            "name: Ms Priya Patel",
            &format!("name: \"Ms Priya{c}Patel\""),
        );
        let m = messages(&text, "r.yaml");
        assert_eq!(m.len(), 1, "{says}: {m:?}");
        assert!(
            m[0].starts_with(&format!("r.yaml:5:9: recipient.name: contains {says}")),
            "{m:?}"
        );
        assert!(!m[0].contains("Priya"), "{m:?}");
    }
}

/// Ids that would clash with a batch's own names or that Windows cannot
/// name a file: refused; near misses are fine.
#[test]
fn reserved_ids_are_refused() {
    for id in [
        "pos-00000001",
        "POS-7",
        "CON",
        "con",
        "Nul.txt",
        "aux",
        "PRN.x.y",
        "COM1",
        "com9.pdf",
        "LPT1",
        "lpt5.final",
    ] {
        let m = messages(&format!("id: {id}\n{GOOD_YAML}"), "r.yaml");
        assert_eq!(m.len(), 1, "{id}: {m:?}");
        assert!(m[0].starts_with("r.yaml:1:5: id: is "), "{id}: {m:?}");
        assert!(
            !m[0].contains(&format!("`{id}`")),
            "{id} is not quoted: {m:?}"
        );
    }
    for id in [
        "pos-",
        "pos-1a",
        "position-1",
        "CONTACT",
        "COM0",
        "COM10",
        "LPT",
        "nul-1",
    ] {
        assert_eq!(
            messages(&format!("id: {id}\n{GOOD_YAML}"), "r.yaml"),
            Vec::<String>::new(),
            "{id}"
        );
    }
}

/// `language: cy` is refused while the letter cannot be written in Welsh,
/// naming the Welsh paragraphs missing for the choices made.
#[test]
fn welsh_is_refused_while_its_wording_is_missing() {
    let m = messages(&format!("language: cy\n{GOOD_YAML}"), "r.yaml");
    assert_eq!(
        m,
        [
            "r.yaml:1:11: language: CMSL5503 cannot be written in Welsh yet: the letter's own wording (its template) is in English only; write `en`"
        ]
    );
    let text = std::fs::read_to_string(
        crate::common::root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml"),
    )
    .expect("fixture");
    let m = messages(&format!("{text}\nlanguage: cy\n"), "r.yaml");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("lacks the Welsh paragraphs TM_25820_W, TM_25827_W, and"),
        "{m:?}"
    );
}

/// Small messages: a date in words gets the format message, a reference
/// with dashes a word on separators, and neither is quoted.
#[test]
fn dates_and_references_are_described_not_quoted() {
    for (date, says) in [
        (
            "7 April 2026",
            "date: is not a date in the form YYYY-MM-DD (e.g. 2026-03-16): write the month as a number, not in words",
        ),
        (
            "7 Sept 2026",
            "date: is not a date in the form YYYY-MM-DD (e.g. 2026-03-16): write the month as a number, not in words",
        ),
        (
            "07/04/2026",
            "date: is not a date in the form YYYY-MM-DD (e.g. 2026-03-16): year first, with `-` between the parts",
        ),
        (
            "Ms Priya Patel",
            "date: is not a date in the form YYYY-MM-DD (e.g. 2026-03-16)",
        ),
        (
            "2026-02-30",
            "date: `2026-02-30` is not a date: February 2026 has 28 days",
        ),
    ] {
        let text = GOOD_YAML.replace("date: 2026-03-02", &format!("date: {date}"));
        assert_eq!(
            messages(&text, "r.yaml"),
            [format!("r.yaml:2:7: {says}")],
            "{date}"
        );
    }
    const FORM: &str =
        "a reference (SCIN) is 12 digits, in groups separated by spaces only, e.g. 1234 5678 9012";
    for (reference, says) in [
        (
            "3141-5926-5358",
            format!("has `-` between the digits; {FORM}"),
        ),
        (
            "3141.5926.5358",
            format!("has `.` between the digits; {FORM}"),
        ),
        (
            "3141-5926-535",
            format!("has 11 digits and `-` between them; {FORM}"),
        ),
        ("9876 5432 101", format!("has 11 digits; {FORM}")),
        ("AB 12 34 56 C", format!("contains letters; {FORM}")),
        (
            "3141+5926+5358",
            format!("contains characters other than digits and spaces; {FORM}"),
        ),
    ] {
        let text = GOOD_YAML.replace("\"1234 5678 9012\"", &format!("\"{reference}\""));
        assert_eq!(
            messages(&text, "r.yaml"),
            [format!("r.yaml:3:12: reference: {says}")],
            "{reference}"
        );
    }
}

/// Keys and codes are quoted only when the catalog defines them or they are
/// identifier-shaped near misses; anything else is described.
#[test]
fn unknown_keys_and_codes_are_quoted_only_when_safe() {
    let cases = [
        // A near miss of a key: quoted, with did-you-mean.
        (
            "  meeting-tme: \"10:30\"\n",
            "r.yaml:12:3: fields.meeting-tme: unknown field `meeting-tme` for CMSL5503",
        ),
        // A name as a key: described, at the parent path.
        (
            "  Priya Patel: x\n",
            "r.yaml:12:3: fields: unknown field for CMSL5503 (not repeated here: it may be personal data)",
        ),
        // A lower-case name close to nothing: described.
        (
            "  priya: x\n",
            "r.yaml:12:3: fields: unknown field for CMSL5503 (not repeated here",
        ),
        // A field another letter defines: quoted.
        (
            "  reason: payments\n",
            "r.yaml:12:3: fields.reason: unknown field `reason` for CMSL5503",
        ),
    ];
    for (line, says) in cases {
        let m = messages(&format!("{GOOD_YAML}{line}"), "r.yaml");
        assert_eq!(m.len(), 1, "{line}: {m:?}");
        assert!(m[0].starts_with(says), "{line}: {m:?}");
    }
    let letter = |code: &str| messages(&GOOD_YAML.replace("CMSL5503", code), "r.yaml");
    assert!(letter("CMSL5530")[0].contains("unknown letter code `CMSL5530`"));
    assert!(letter("Priya Patel")[0].starts_with(
        "r.yaml:1:9: letter: unknown letter code (not repeated here: it may be personal data)"
    ));
    let lang = |code: &str| messages(&format!("language: {code}\n{GOOD_YAML}"), "r.yaml");
    assert_eq!(
        lang("fr"),
        [
            "r.yaml:1:11: language: `fr` is not a language we write letters in; allowed: en (English), cy (Welsh)"
        ]
    );
    assert_eq!(
        lang("Priya"),
        ["r.yaml:1:11: language: is not a language code; allowed: en (English), cy (Welsh)"]
    );
}
