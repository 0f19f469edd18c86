//! The catalog's messages and the catalog verbs (issue 8, sections 5 and 6):
//! template syntax errors at their file line and column, catalog paths an
//! editor can open, bounded template work, `letterkit new`, `show` in plain
//! words with did-you-mean, and the JSON convention of check, list and show.

use std::path::Path;

use letterkit::RenderOptions;

use crate::common::{engine, letterkit, pdf_text, root, squash};

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = letterkit(dir).args(args).output().expect("run letterkit");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

// ---------------------------------------------------------------------------
// 1. A Tera syntax error: the file's line and column, the line, a caret.

/// The template starts on line 12 of the file (`template: |` on line 11);
/// the error is on the template's line 4, column 30 (indented by 2).
#[test]
fn a_template_syntax_error_is_shown_at_its_file_line_and_column() {
    let dir = root().join("fixtures/catalogs/template-syntax-error");
    let (code, stdout, stderr) = run(&dir, &["check", "--catalog", "."]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "the catalog has 1 problem:\n  ./letters/CMSL5502.yaml:15:32: the template does not compile: expected an identifier (must start with a-z)\n     |\n  15 |   | Place | {{ meeting_place | }} |\n     |                                ^\n"
    );
    let (code, stdout, _) = run(&dir, &["check", "--catalog", ".", "--json"]);
    assert_eq!(code, Some(2));
    let doc = json(&stdout);
    assert_eq!(
        doc["problems"],
        serde_json::json!([{
            "file": "./letters/CMSL5502.yaml",
            "line": 15,
            "column": 32,
            "message": "the template does not compile: expected an identifier (must start with a-z)",
        }])
    );
}

// ---------------------------------------------------------------------------
// 2. Catalog paths: the folder as given joined with the file.

#[test]
fn catalog_problems_name_the_folder_as_given_joined_with_the_file() {
    let (code, _, stderr) = run(
        &root(),
        &["check", "--catalog", "fixtures/catalogs/several-problems"],
    );
    assert_eq!(code, Some(2));
    let lines: Vec<&str> = stderr.lines().skip(1).collect();
    assert_eq!(lines.len(), 5, "{stderr}");
    for l in &lines {
        assert!(
            l.starts_with("  fixtures/catalogs/several-problems/letters/")
                || l.starts_with("  fixtures/catalogs/several-problems/paragraphs/"),
            "not a path from the working folder: {l}"
        );
    }
    assert!(
        lines[0].starts_with(
            "  fixtures/catalogs/several-problems/letters/CMSL5501.yaml:3:1: unknown field `knd`"
        ),
        "{stderr}"
    );
    // A second definition of a paragraph names the other file the same way.
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat = tmp.path().join("my-catalog");
    copy_dir(
        &root().join("fixtures/catalogs/template-uses-undeclared-variable"),
        &cat,
    );
    std::fs::copy(
        cat.join("paragraphs/en/face-to-face.yaml"),
        cat.join("paragraphs/en/again.yaml"),
    )
    .expect("copy");
    let (_, _, stderr) = run(tmp.path(), &["check", "--catalog", "my-catalog"]);
    assert!(
        stderr.contains("  my-catalog/paragraphs/en/face-to-face.yaml:3:11: paragraph `TM_25820_E` is also defined in my-catalog/paragraphs/en/again.yaml\n"),
        "{stderr}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.expect("walk");
        let target = to.join(e.path().strip_prefix(from).expect("inside"));
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Bounded template work.

/// `check` refuses a loop of 100,000,000 runs (pinned in
/// fixtures/catalogs/template-loops-too-much) at once, without running it.
#[test]
fn check_refuses_a_template_that_loops_too_much() {
    let dir = root().join("fixtures/catalogs/template-loops-too-much");
    let (code, _, stderr) = run(&dir, &["check", "--catalog", "."]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "the catalog has 1 problem:\n  ./letters/CMSL5502.yaml:13:15: the template's loops run 100000000 times; a letter's loops may run at most 1000 times in all\n"
    );
}

/// A template within the loop bound, given a request with many long lines,
/// stops at the output bound with a clear error instead of composing
/// hundreds of pages.
#[test]
fn rendering_stops_when_a_template_writes_too_much() {
    let dir = root().join("fixtures/looping-catalog");
    let (code, stdout, stderr) = run(&dir, &["check", "--catalog", "."]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("catalog ok: "), "{stdout}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let pdf = tmp.path().join("x.pdf");
    let (code, _, stderr) = run(
        &dir,
        &[
            "--catalog",
            ".",
            "render",
            "request.yaml",
            "--out",
            pdf.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: template of CMSF5579 stopped after 1 MiB of text, far more than any letter needs: it loops too much\n1 of 1 requests failed\n"
    );
    assert!(!pdf.exists());
}

// ---------------------------------------------------------------------------
// 4. `letterkit new CODE`.

/// Writes in the example each placeholder suggests: a line `key:  # ... e.g. V`
/// becomes `key: V`; commented-out (optional) keys stay out.
fn fill(skeleton: &str) -> String {
    skeleton
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if t.starts_with('#') {
                return l.to_owned();
            }
            match (l.split_once(":"), l.rsplit_once("e.g. ")) {
                (Some((key, rest)), Some((_, example))) if rest.trim_start().starts_with('#') => {
                    format!("{key}: {example}")
                }
                _ => l.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn new_gives_a_request_that_renders_once_its_examples_are_written_in() {
    let mut failures = Vec::new();
    for letter in engine().catalog().letters() {
        let (code, skeleton, stderr) = run(&root(), &["new", &letter.code]);
        assert_eq!(code, Some(0), "new {}: {stderr}", letter.code);
        // Unfilled, it is refused: the values are still to be written.
        if engine().parse_request(&skeleton, "request.yaml").is_ok() {
            failures.push(format!("{}: the unfilled skeleton validates", letter.code));
        }
        let filled = fill(&skeleton);
        match engine().parse_request(&filled, "request.yaml") {
            Err(e) => failures.push(format!("{}: {e}\n{filled}", letter.code)),
            Ok(request) => match engine().render(&request, &RenderOptions::default()) {
                Err(e) => failures.push(format!("{}: does not render: {e}", letter.code)),
                Ok(r) => {
                    let text = squash(&pdf_text(&r.pdf));
                    if !text.contains(&letter.code) {
                        failures.push(format!("{}: the PDF lacks its code", letter.code));
                    }
                }
            },
        }
        // Every field is there, with its type.
        for f in &letter.fields {
            let key = if f.required {
                format!("\n  {}:", f.name)
            } else {
                format!("\n  # {}:", f.name)
            };
            if !skeleton.contains(&key) {
                failures.push(format!("{}: field {} missing", letter.code, f.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn new_lists_types_choices_and_what_each_selects() {
    let (code, out, _) = run(&root(), &["new", "CMSL5502"]);
    assert_eq!(code, Some(0));
    for want in [
        "letter: CMSL5502              # the letter code\n",
        "date:                         # required: the date printed on the letter, YYYY-MM-DD, e.g. 2026-03-02\n",
        "reference:                    # required: the client's reference (SCIN), 12 digits, e.g. \"1234 5678 9012\"\n",
        "recipient:                    # required: name, address (a list of lines) and postcode: 3 to 7 lines in all\n",
        "# language: en                # optional: en (the default) or cy\n",
        "# optional: [bring-someone]   # optional: a list of the optional paragraphs to add, any of:\n",
        "  #   payments (TM_25827_E): Child maintenance payments made in your case\n",
        "  #   other: (the text of field `reason-text`)\n",
        "  reason:                     # required, one of the choices listed, e.g. complaint\n",
        "  meeting-time:               # required, a time, HH:MM (24-hour), e.g. \"10:30\"\n",
        "  # reason-text:              # optional, text of at most 300 characters, e.g. \"Sample text\"\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let (code, _, stderr) = run(&root(), &["new", "cmsl5502"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: unknown letter `cmsl5502`; did you mean `CMSL5502`?"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------
// 5. `show` in plain words, with the common keys and did-you-mean.

#[test]
fn show_speaks_plain_words_and_lists_the_common_keys() {
    let (code, out, _) = run(&root(), &["show", "CMSL5502"]);
    assert_eq!(code, Some(0));
    assert!(!out.contains("kind:"), "debug output: {out}");
    for want in [
        "CMSL5502: Your face to face meeting details have changed\nLetter to a client (a receiving or paying parent), posted in a window envelope.\n",
        "\nRequest keys\n  letter                 required  the letter code: CMSL5502\n  id                     optional  names the output file in batches: letters, digits, - _ .\n  date                   required  the date printed on the letter, YYYY-MM-DD\n  reference              required  the client's reference (SCIN), 12 digits\n  recipient              required  name, address (a list of lines) and postcode: 3 to 7 lines in all\n  language               optional  en (the default) or cy\n  format                 optional  standard (the default), large-print or braille: see Formats\n  optional               optional  a list of the optional paragraphs to add\n",
        "\nFields (under `fields:`)\n  changed-by             required  Who asked for the change: one of the choices listed\n    Choices:\n",
        "  meeting-location       required  Where the meeting is: text of at most 200 characters\n",
        "    Reasons:\n      complaint                      TM_25823_E  A complaint you have made against the Child Maintenance Service\n",
        "\nOptional paragraphs (under `optional:`)\n  bring-someone          -           You can bring a friend, relative or someone else you trust to the meeting with you. (draft wording)\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let (_, form, _) = run(&root(), &["show", "CMSF5579"]);
    assert!(
        form.contains("\nForm for CMS staff (no address window).\n") && !form.contains("recipient"),
        "{form}"
    );
}

#[test]
fn show_suggests_the_code_meant() {
    let codes = engine().catalog().letter_codes();
    for (typed, want) in [
        (
            "cmsl5502",
            format!(
                "error: unknown letter `cmsl5502`; did you mean `CMSL5502`? (the catalog has: {codes})\n"
            ),
        ),
        (
            "CMSL5520",
            format!(
                "error: unknown letter `CMSL5520`; did you mean `CMSL5502`? (the catalog has: {codes})\n"
            ),
        ),
        (
            "XYZ",
            format!("error: unknown letter `XYZ`; the catalog has: {codes}\n"),
        ),
    ] {
        let (code, stdout, stderr) = run(&root(), &["show", typed]);
        assert_eq!(code, Some(1), "{typed}");
        assert_eq!(stdout, "", "{typed}");
        assert_eq!(stderr, want, "{typed}");
    }
}

// ---------------------------------------------------------------------------
// 6. The JSON convention: first key `schema`, snake_case keys.

fn keys_are_snake_case(v: &serde_json::Value, path: &str, bad: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                // An embedded JSON Schema is a standard document: its
                // keywords (`additionalProperties`) and the request keys it
                // describes (`meeting-date`) are not ours to name.
                if path.is_empty() && k == "json_schema" {
                    continue;
                }
                if !k
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    bad.push(format!("{path}.{k}"));
                }
                keys_are_snake_case(v, &format!("{path}.{k}"), bad);
            }
        }
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|i| keys_are_snake_case(i, &format!("{path}[]"), bad)),
        _ => {}
    }
}

#[test]
fn check_list_and_show_json_follow_the_shared_convention() {
    let bad_catalog = root().join("fixtures/catalogs/several-problems");
    let bad_catalog = bad_catalog.to_str().expect("utf-8 path");
    for (args, schema, exit) in [
        (vec!["check", "--json"], "letterkit.check.v1", 0),
        (
            vec!["check", "--json", "--catalog", bad_catalog],
            "letterkit.check.v1",
            2,
        ),
        (vec!["list", "--json"], "letterkit.list.v1", 0),
        (vec!["show", "CMSL5502", "--json"], "letterkit.show.v1", 0),
        (vec!["show", "CMEL7000", "--json"], "letterkit.show.v1", 0),
    ] {
        let (code, stdout, stderr) = run(&root(), &args);
        assert_eq!(code, Some(exit), "{args:?}: {stderr}");
        let first = stdout.trim_start().trim_start_matches('{').trim_start();
        assert!(
            first.starts_with(&format!("\"schema\": \"{schema}\""))
                || first.starts_with(&format!("\"schema\":\"{schema}\"")),
            "{args:?}: the first key is not schema {schema}:\n{stdout}"
        );
        let mut bad = Vec::new();
        keys_are_snake_case(&json(&stdout), "", &mut bad);
        assert!(bad.is_empty(), "{args:?}: keys not in snake_case: {bad:?}");
    }
    let show = json(&run(&root(), &["show", "CMSL5502", "--json"]).1);
    let keys: Vec<&str> = show["common_keys"]
        .as_array()
        .expect("common_keys")
        .iter()
        .filter_map(|k| k["key"].as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "letter",
            "id",
            "date",
            "reference",
            "recipient",
            "language",
            "format",
            "optional"
        ]
    );
    let location = show["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == "meeting-location"))
        .expect("meeting-location");
    assert_eq!(location["max_length"], 200);
}

/// `list > /dev/full` is an error (exit 1), not a panic (exit 101).
#[cfg(target_os = "linux")]
#[test]
fn list_to_a_full_disk_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = letterkit(&root())
        .arg("list")
        .stdout(full)
        .output()
        .expect("run letterkit");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot write to standard output: No space left on device (os error 28)\n"
    );
}
