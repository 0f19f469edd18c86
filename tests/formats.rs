//! Issue 11 part A: the format per request, large print and braille.
//!
//! Large print at 16, 20 and 28 pt (sizes read back from the PDF's content
//! streams with lopdf, page counts, unbroken phrases, the print rules), the
//! golden BRF and PEF of CMSL5502 in both grades and both profiles
//! (`tests/ref/braille/`, refreshed with `LETTERKIT_BLESS=1`), the braille
//! geometry, liblouis's back-translation of every paragraph, the long-line
//! guard, and the refusals (size 15 and 29, Welsh braille).

use letterkit::braille::{self, BrailleError, Grade, Liblouis, Translator};
use letterkit::layout::{ADDRESS_X_MM, Item, MM, Page, address_size, run_bounds};
use letterkit::request::LetterFormat;
use letterkit::{Engine, RenderOptions, Request};

use crate::common::{
    compare_or_bless, engine, ink_bounds, letterkit, pdf_text, read_text, root, squash,
};

/// CMSL5502 with the reason `payments`: the fixture every format starts from.
fn base_request_text() -> String {
    read_text(&root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml"))
}

/// The fixture request with `extra` top-level keys appended.
fn request_with(extra: &str) -> Request {
    let text = format!("{}{extra}", base_request_text());
    engine()
        .parse_request(&text, "request.yaml")
        .unwrap_or_else(|e| panic!("the request is refused:\n{e}"))
}

/// Fails when `lou_translate` (liblouis-bin, liblouis-data) is missing, with
/// one clear line.
fn need_liblouis() {
    let ok = std::process::Command::new("lou_translate")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = "these tests need liblouis: apt-get install liblouis-bin liblouis-data";
        eprintln!("{msg}");
        std::panic::resume_unwind(Box::new(msg));
    }
}

// ---------------------------------------------------------------- large print

/// Every text show of a PDF page: (font size, x, y from the top), read from
/// the content stream with lopdf: `Tf` sets the size, and each `Td` (from
/// the start of the previous line, the origin at `BT`) or `Tm` places a show.
fn shown_sizes(pdf: &[u8]) -> Vec<Vec<(f32, f32, f32)>> {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    let page_h = 297.0 * MM;
    let num = |o: &lopdf::Object| -> f32 {
        match o {
            lopdf::Object::Integer(i) => *i as f32,
            lopdf::Object::Real(r) => *r,
            _ => f32::NAN,
        }
    };
    doc.get_pages()
        .values()
        .map(|&id| {
            let content = doc.get_page_content(id);
            let ops = lopdf::content::Content::decode(&content).expect("content decodes");
            let mut size = 0.0;
            let mut line = (0.0, 0.0);
            let mut out = Vec::new();
            for op in ops.operations {
                match op.operator.as_str() {
                    "Tf" => size = num(&op.operands[1]),
                    "BT" => line = (0.0, 0.0),
                    "Td" => {
                        line = (line.0 + num(&op.operands[0]), line.1 + num(&op.operands[1]));
                        out.push((size, line.0, page_h - line.1));
                    }
                    "Tm" => {
                        line = (num(&op.operands[4]), num(&op.operands[5]));
                        out.push((size, line.0, page_h - line.1));
                    }
                    _ => {}
                }
            }
            out
        })
        .collect()
}

/// Whether a text position is an address line in the window (x 24.6–120 mm,
/// y 39.5–66.3 mm on page 1).
fn in_window(x: f32, y: f32) -> bool {
    (24.6 * MM..120.0 * MM).contains(&x) && (39.5 * MM..66.3 * MM).contains(&y)
}

#[test]
fn large_print_sets_every_text_at_the_size_but_the_window_address() {
    let standard = engine()
        .render(&request_with(""), &RenderOptions::default())
        .expect("renders");
    let mut last_pages = standard.pages;
    for size in [16u8, 20, 28] {
        let request = request_with(&format!("format: large-print\nsize: {size}\n"));
        assert_eq!(request.format(), LetterFormat::LargePrint { size });
        let rendered = engine()
            .render(&request, &RenderOptions::default())
            .expect("renders");
        let pages = shown_sizes(&rendered.pdf);
        assert_eq!(pages.len(), rendered.pages);
        let (address_pt, _) = address_size(6);
        let mut window = 0;
        let mut smallest = f32::MAX;
        for (n, shows) in pages.iter().enumerate() {
            for &(pt, x, y) in shows {
                if n == 0 && in_window(x, y) {
                    window += 1;
                    assert!(
                        (x - ADDRESS_X_MM * MM).abs() < 0.01 && (pt - address_pt).abs() < 0.01,
                        "{size} pt: the window address is at {pt} pt, x {x}"
                    );
                } else {
                    smallest = smallest.min(pt);
                }
            }
        }
        assert_eq!(window, 6, "{size} pt: the six address lines in the window");
        assert_eq!(
            smallest,
            f32::from(size),
            "{size} pt: the smallest text outside the window"
        );
        assert!(
            rendered.pages > last_pages,
            "{size} pt has {} pages, no more than the size before ({last_pages})",
            rendered.pages
        );
        last_pages = rendered.pages;
    }
}

#[test]
fn large_print_keeps_phrases_whole_and_repeats_the_address_in_the_body() {
    for size in [16u8, 20, 28] {
        let request = request_with(&format!("format: large-print\nsize: {size}\n"));
        let rendered = engine()
            .render(&request, &RenderOptions::default())
            .expect("renders");
        let text = pdf_text(&rendered.pdf);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for phrase in [
            "Monday 16 March 2026",
            "Our reference: 1234 5678 9012",
            "Leeds LS2 7UZ",
            "0800 171 2345",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(phrase)),
                "{size} pt: {phrase:?} is not whole on one line:\n{text}"
            );
        }
        // The name and address twice: in the window and at the top of the body.
        assert_eq!(
            lines.iter().filter(|l| **l == "Ms Priya Patel").count(),
            2,
            "{size} pt:\n{text}"
        );
        let squashed = squash(&text);
        for phrase in [
            "Date Monday 16 March 2026 Time 10:30am",
            "Location Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ",
            "Child Maintenance Service PO Box 249",
            "Date: 2 March 2026 Our reference: 1234 5678 9012",
        ] {
            assert!(
                squashed.contains(phrase),
                "{size} pt: {phrase:?} missing:\n{squashed}"
            );
        }
        // Page N of M starts at the same x on every page.
        let layout = engine().layout(&request).expect("layout");
        let xs: Vec<f32> = layout
            .iter()
            .map(|p| {
                p.items
                    .iter()
                    .find_map(|i| match i {
                        Item::Text(r) if r.text.starts_with("Page ") => Some(r.x),
                        _ => None,
                    })
                    .expect("a page number")
            })
            .collect();
        assert!(
            xs.windows(2).all(|w| (w[0] - w[1]).abs() < 0.001),
            "{size} pt: Page N of M moves: {xs:?}"
        );
    }
}

/// A reference in running text, moved along a line word by word, is never
/// split, and some position puts it at the start of a line (it was near the
/// margin and went over whole).
#[test]
fn a_reference_near_the_margin_stays_whole_in_large_print() {
    let base = base_request_text().replace("reason: payments", "reason: other");
    let mut moved = 0;
    for size in [16u8, 20, 28] {
        for n in 0..14 {
            let words = "word ".repeat(n);
            let text = format!(
                "{base}  reason-text: {words}about case 5555 6666 7777 and more\nformat: large-print\nsize: {size}\n"
            );
            let request = engine()
                .parse_request(&text, "request.yaml")
                .unwrap_or_else(|e| panic!("refused:\n{e}"));
            let pages = engine().layout(&request).expect("layout");
            for line in lines_of(&pages) {
                if line.contains("5555") || line.contains("6666") || line.contains("7777") {
                    assert!(
                        line.contains("5555 6666 7777"),
                        "{size} pt, {n} words: the reference is split: {line:?}"
                    );
                    if line.starts_with("5555") {
                        moved += 1;
                    }
                }
            }
        }
    }
    assert!(
        moved > 0,
        "no position put the reference at the start of a line"
    );
}

/// Each line of the layout's pages: the text of its runs on one baseline.
fn lines_of(pages: &[Page]) -> Vec<String> {
    let mut out = Vec::new();
    for page in pages {
        let mut lines: Vec<(f32, String)> = Vec::new();
        for item in &page.items {
            if let Item::Text(r) = item {
                match lines.iter_mut().find(|(y, _)| (*y - r.y).abs() < 0.01) {
                    Some((_, t)) => t.push_str(&r.text),
                    None => lines.push((r.y, r.text.clone())),
                }
            }
        }
        out.extend(lines.into_iter().map(|(_, t)| t.trim().to_owned()));
    }
    out
}

/// The print rules of ../shared/letter-spec.md, on the layout's ink.
fn print_rule_problems(pages: &[Page], address: &[String]) -> Vec<String> {
    let fonts = engine().fonts();
    let r = |x0: f32, x1: f32, y0: f32, y1: f32| (x0 * MM, x1 * MM, y0 * MM, y1 * MM);
    let inside = |(x0, x1, y0, y1): (f32, f32, f32, f32),
                  (a, top, b, bottom): (f32, f32, f32, f32)| {
        a >= x0 - 0.01 && b <= x1 + 0.01 && top >= y0 - 0.01 && bottom <= y1 + 0.01
    };
    let meets = |(x0, x1, y0, y1): (f32, f32, f32, f32),
                 (a, top, b, bottom): (f32, f32, f32, f32)| {
        a < x1 && b > x0 && top < y1 && bottom > y0
    };
    let printable = r(15.0, 195.0, 5.0, 292.0);
    let corner = r(0.0, 15.2, 0.0, 6.2);
    let zones = [
        r(15.0, 125.0, 5.0, 30.0),
        r(125.0, 195.0, 5.0, 95.0),
        r(15.0, 195.0, 95.0, 292.0),
    ];
    let window = r(24.6, 120.0, 39.5, 66.3);
    let near = r(21.6, 123.0, 36.5, 69.3);
    let mut problems = Vec::new();
    if pages.len() > letterkit::MAX_LETTER_PAGES {
        problems.push(format!("{} pages", pages.len()));
    }
    let mut in_window = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        for item in &page.items {
            let (what, ink, line) = match item {
                Item::Text(run) => match ink_bounds(run, fonts) {
                    Some(ink) => (run.text.clone(), ink, run_bounds(run, fonts)),
                    None => continue,
                },
                Item::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                } => {
                    let b = (
                        x1.min(*x2) - width / 2.0,
                        y1.min(*y2) - width / 2.0,
                        x1.max(*x2) + width / 2.0,
                        y1.max(*y2) + width / 2.0,
                    );
                    ("a rule".into(), b, b)
                }
            };
            if !inside(printable, ink) {
                problems.push(format!(
                    "page {}: {what:?} outside the printable area",
                    n + 1
                ));
            }
            if n > 0 && meets(corner, ink) {
                problems.push(format!("page {}: {what:?} in the corner box", n + 1));
            }
            if n == 0 {
                if meets(near, line) {
                    in_window.push(what.trim().to_owned());
                    if !inside(window, line) {
                        problems.push(format!("page 1: {what:?} near the window, not in it"));
                    }
                } else if !zones.iter().any(|z| inside(*z, ink)) {
                    problems.push(format!("page 1: {what:?} outside every zone"));
                }
            }
        }
    }
    if in_window != address {
        problems.push(format!(
            "page 1: the window holds {in_window:?}, not the address {address:?}"
        ));
    }
    problems
}

#[test]
fn large_print_and_the_braille_carrier_meet_the_print_rules() {
    let address = request_with("").recipient().expect("a letter").lines();
    for size in [16u8, 20, 24, 28] {
        let request = request_with(&format!("format: large-print\nsize: {size}\n"));
        let pages = engine().layout(&request).expect("layout");
        let problems = print_rule_problems(&pages, &address);
        assert!(problems.is_empty(), "{size} pt:\n{}", problems.join("\n"));
    }
    // The checker catches a misplaced line (it can fail).
    let mut pages = engine()
        .layout(&request_with("format: large-print\n"))
        .expect("layout");
    if let Some(Item::Text(run)) = pages[0].items.first_mut() {
        run.y = 40.0 * MM;
    }
    assert!(!print_rule_problems(&pages, &address).is_empty());
    // The carrier page of a braille letter.
    let carrier = engine()
        .layout(&request_with("format: braille\n"))
        .expect("layout");
    assert_eq!(carrier.len(), 1);
    let problems = print_rule_problems(&carrier, &address);
    assert!(problems.is_empty(), "carrier:\n{}", problems.join("\n"));
}

/// Every valid YAML fixture, in large print at 16 and 28 pt and as a
/// braille carrier page, meets the print rules.
#[test]
fn every_valid_fixture_meets_the_print_rules_in_large_print_and_as_a_carrier() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in crate::common::case_dirs("requests/valid") {
        let file = crate::common::request_file(&dir);
        if file.extension().is_some_and(|e| e == "json") {
            continue;
        }
        let base = read_text(&file);
        for extra in [
            "format: large-print\n",
            "format: large-print\nsize: 28\n",
            "format: braille\n",
        ] {
            let request = engine()
                .parse_request(&format!("{base}{extra}"), "request.yaml")
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let address = request.recipient().map(|r| r.lines()).unwrap_or_default();
            let pages = engine().layout(&request).expect("layout");
            let problems = print_rule_problems(&pages, &address);
            if !problems.is_empty() {
                failures.push(format!(
                    "{} with {extra:?}:\n  {}",
                    crate::common::case_name(&dir),
                    problems.join("\n  ")
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} layouts checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn large_print_over_ten_pages_is_refused() {
    // A catalog whose CMSL5502 has a much longer body.
    let mut files = letterkit::catalog::embedded_files();
    let letter = files
        .iter_mut()
        .find(|f| f.path.ends_with("CMSL5502.yaml"))
        .expect("CMSL5502 is shipped");
    let extra = "  Please call us as soon as you can if you cannot go to the meeting at this time. We will arrange a new time with you.\n\n".repeat(40);
    letter.text = letter.text.replace(
        "  Yours sincerely\\\n",
        &format!("{extra}  Yours sincerely\\\n"),
    );
    let engine =
        Engine::new(letterkit::Catalog::from_files(files).expect("catalog")).expect("engine");
    let text = format!("{}format: large-print\nsize: 28\n", base_request_text());
    let request = engine.parse_request(&text, "request.yaml").expect("valid");
    let err = engine
        .render(&request, &RenderOptions::default())
        .expect_err("too many pages");
    let msg = err.to_string();
    assert!(
        msg.starts_with("CMSL5502: in large print at 28 pt the letter has ")
            && msg.ends_with(
                "pages; a posted letter may have at most 10: choose a smaller size (16 pt is the usual one)"
            ),
        "{msg}"
    );
    // The same letter fits at 16 pt.
    let text = format!("{}format: large-print\n", base_request_text());
    let request = engine.parse_request(&text, "request.yaml").expect("valid");
    assert!(engine.render(&request, &RenderOptions::default()).is_ok());
}

// ----------------------------------------------------------------- refusals

/// `letterkit render request.yaml --out x.pdf` of the fixture with `extra`:
/// (exit code, stderr), and that nothing was written.
fn render_refused(extra: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("request.yaml"),
        format!("{}{extra}", base_request_text()),
    )
    .expect("write");
    let out = letterkit(dir.path())
        .args(["render", "request.yaml", "--out", "x.pdf"])
        .output()
        .expect("runs");
    assert!(!dir.path().join("x.pdf").exists());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sizes_outside_16_to_28_are_refused_with_the_range() {
    let lines = base_request_text().lines().count();
    for size in [15, 29] {
        let (code, stderr) = render_refused(&format!("format: large-print\nsize: {size}\n"));
        assert_eq!(code, 1);
        assert_eq!(
            stderr,
            format!(
                "request.yaml:{}:7: size: {size} is outside the range: large print is 16 to 28 points (a whole number; 16 is the usual size)\n1 of 1 requests failed\n",
                lines + 2
            )
        );
    }
    let (_, stderr) = render_refused("format: large-print\nsize: big\n");
    assert!(
        stderr.contains("size: is not a whole number of points: large print is 16 to 28 points"),
        "{stderr}"
    );
    let (_, stderr) = render_refused("size: 20\n");
    assert!(
        stderr.contains(&format!(
            "request.yaml:{}:1: size: applies only to `format: large-print` (the large-print size in points); this request's format is `standard`",
            lines + 1
        )),
        "{stderr}"
    );
    let (_, stderr) = render_refused("format: braile\n");
    assert!(
        stderr.contains("format: unknown format `braile`, expected one of `standard`, `large-print`, `braille` (did you mean `braille`?)"),
        "{stderr}"
    );
    let (_, stderr) = render_refused("format: braille\ngrade: 3\nprofile: letter\n");
    assert!(stderr.contains("grade: 3 is not a braille grade; allowed: 2 (contracted, the default) or 1 (uncontracted)"), "{stderr}");
    assert!(stderr.contains("profile: unknown braille profile (not repeated here: it may be personal data), expected one of `a4`, `book`: a4 is 30 cells x 28 lines, book 40 x 28"), "{stderr}");
}

#[test]
fn welsh_braille_is_refused() {
    let lines = base_request_text().lines().count();
    let (code, stderr) = render_refused("language: cy\nformat: braille\n");
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "request.yaml:{}:9: format: braille is produced in Unified English Braille only: Welsh braille is not supported yet; write `language: en`, or choose `standard` or `large-print`",
            lines + 2
        )),
        "{stderr}"
    );
    // The library's own refusals (render_braille, Request::with_format)
    // are unit tests in src/lib.rs: no Welsh request passes the shipped
    // catalog's checks, and a request cannot be changed outside them.
}

#[test]
fn csv_and_json_lines_carry_the_format_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = "id,letter,date,reference,recipient.name,recipient.address.1,recipient.postcode,fields.changed-by,fields.meeting-date,fields.meeting-time,fields.meeting-location,fields.reason,format,size,grade,profile";
    let row = |id: &str, tail: &str| {
        format!(
            "{id},CMSL5502,2026-03-02,123456789012,Ms A Sample,1 Sample Street,LS1 1AA,client,2026-03-16,10:30,Leeds,payments,{tail}"
        )
    };
    std::fs::write(
        dir.path().join("m.csv"),
        format!(
            "{header}\n{}\n{}\n{}\n",
            row("lp", "large-print,20,,"),
            row("bad", "large-print,15,,"),
            row("standard", ",,,")
        ),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("m.jsonl"),
        r#"{"id":"j1","letter":"CMSL5502","date":"2026-03-02","reference":"123456789012","recipient":{"name":"Ms A Sample","address":["1 Sample Street"],"postcode":"LS1 1AA"},"fields":{"changed-by":"client","meeting-date":"2026-03-16","meeting-time":"10:30","meeting-location":"Leeds","reason":"payments"},"format":"large-print","size":24}
"#,
    )
    .expect("write");
    let out = letterkit(dir.path())
        .args(["batch", "m.csv", "m.jsonl", "--out", "out"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("m.csv:3:14: size: 15 is outside the range: large print is 16 to 28 points"),
        "{stderr}"
    );
    let sizes = |name: &str| {
        let pdf = std::fs::read(dir.path().join("out").join(name)).expect("written");
        shown_sizes(&pdf)
            .iter()
            .flatten()
            .map(|s| s.0)
            .fold(f32::MAX, f32::min)
    };
    // The smallest text is the window address (11 pt) in every format; the
    // body sizes tell them apart.
    let body_min = |name: &str| {
        let pdf = std::fs::read(dir.path().join("out").join(name)).expect("written");
        shown_sizes(&pdf)
            .iter()
            .enumerate()
            .flat_map(|(n, p)| p.iter().filter(move |s| n > 0 || !in_window(s.1, s.2)))
            .map(|s| s.0)
            .fold(f32::MAX, f32::min)
    };
    assert_eq!(sizes("lp.pdf"), 11.0);
    assert_eq!(body_min("lp.pdf"), 20.0);
    assert_eq!(body_min("j1.pdf"), 24.0);
    assert_eq!(body_min("standard.pdf"), 9.0);
}

// ------------------------------------------------------------------ braille

/// A translator that writes every character as the full cell and a space as
/// the blank cell: for the pagination, without liblouis.
struct Fake;
impl Translator for Fake {
    fn translate(&self, p: &[String], _: Grade) -> Result<Vec<String>, BrailleError> {
        Ok(p.iter()
            .map(|t| {
                t.chars()
                    .map(|c| if c == ' ' { braille::BLANK } else { '⠿' })
                    .collect()
            })
            .collect())
    }
}

/// Every page within the line count, every row within the cell count, the
/// braille page number at the right of line 1; BRF only 0x20–0x7E, CR LF
/// and form feeds, and the same page model in PEF.
fn check_geometry(r: &letterkit::BrailleRendered, cells: usize, what: &str) {
    let pages = &r.document.pages;
    assert_eq!(pages.cells, cells);
    assert_eq!(pages.lines, 28);
    for (n, page) in pages.pages.iter().enumerate() {
        assert!(
            page.len() <= 28,
            "{what}: page {} has {} lines",
            n + 1,
            page.len()
        );
        for line in page {
            assert!(line.chars().count() <= cells, "{what}: {line}");
        }
        assert!(page[0].ends_with(&braille::page_number(n + 1)), "{what}");
        assert_eq!(
            page[0].chars().count(),
            cells,
            "{what}: number at the right"
        );
    }
    let brf = &r.brf;
    assert!(
        brf.iter()
            .all(|b| (0x20..=0x7E).contains(b) || [b'\r', b'\n', 0x0C].contains(b)),
        "{what}: BRF bytes outside 0x20-0x7E"
    );
    let text = String::from_utf8(brf.clone()).expect("ASCII");
    assert!(text.ends_with("\r\n\u{c}"), "{what}");
    let brf_pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.is_empty()).collect();
    assert_eq!(brf_pages.len(), pages.pages.len(), "{what}");
    for (p, model) in brf_pages.iter().zip(&pages.pages) {
        let lines: Vec<&str> = p
            .strip_suffix("\r\n")
            .expect("CR LF")
            .split("\r\n")
            .collect();
        assert!(
            !p.replace("\r\n", "").contains(['\r', '\n']),
            "{what}: a bare CR or LF"
        );
        assert_eq!(lines.len(), model.len(), "{what}");
        assert!(
            lines.len() <= 28 && lines.iter().all(|l| l.len() <= cells),
            "{what}"
        );
    }
    let pef = String::from_utf8(r.pef.clone()).expect("UTF-8");
    assert!(pef.contains(&format!(
        "<volume cols=\"{cells}\" rows=\"28\" rowgap=\"0\" duplex=\"false\">"
    )));
    assert!(pef.contains("<dc:format>application/x-pef+xml</dc:format>"));
    assert_eq!(pef.matches("<page>").count(), pages.pages.len(), "{what}");
    for row in pef.split("<row>").skip(1) {
        let row = row.split("</row>").next().expect("closed");
        assert!(row.chars().count() <= cells, "{what}: PEF row {row}");
        assert!(
            row.chars().all(|c| ('\u{2800}'..='\u{283F}').contains(&c)),
            "{what}"
        );
    }
}

#[test]
fn braille_pagination_follows_the_profile_with_any_translator() {
    for (profile, cells) in [("a4", 30), ("book", 40)] {
        let request = request_with(&format!("format: braille\nprofile: {profile}\n"));
        let r = engine()
            .render_braille(&request, &Fake, &RenderOptions::default())
            .expect("renders");
        check_geometry(&r, cells, profile);
        // The blocks in order from cell 1 with a blank line between:
        // sender, date, reference, recipient; then the title.
        let texts: Vec<&str> = r
            .document
            .paragraphs
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(
            texts[..12],
            [
                "Child Maintenance Service",
                "PO Box 249",
                "Mitcheldean",
                "GL14 9AJ",
                "Phone: 0800 171 2345",
                "Date: 2 March 2026",
                "Our reference: 1234 5678 9012",
                "Ms Priya Patel",
                "Flat 3",
                "14 Church Lane",
                "Headingley",
                "Leeds",
            ]
        );
        let page1 = &r.document.pages.pages[0];
        let blanks: Vec<usize> = page1
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_empty())
            .map(|(i, _)| i)
            .take(4)
            .collect();
        // Line 1 the number, 2-6 the sender, 7 blank, 8 date, 9 blank,
        // 10 reference, 11 blank, 12-17 the recipient, 18 blank.
        assert_eq!(blanks, [6, 8, 10, 17], "{page1:#?}");
        assert!(page1[1..6].iter().all(|l| l.starts_with('⠿')));
        // Paragraphs start at cell 3.
        let para = r
            .document
            .pages
            .pages
            .iter()
            .flatten()
            .find(|l| l.starts_with("⠀⠀⠿"))
            .is_some();
        assert!(para, "{profile}: a paragraph's first line at cell 3");
    }
}

#[test]
fn braille_matches_the_golden_files_in_both_grades_and_profiles() {
    need_liblouis();
    let dir = root().join("tests/ref/braille");
    let mut failures = Vec::new();
    for grade in [1, 2] {
        for (profile, cells) in [("a4", 30), ("book", 40)] {
            let request = request_with(&format!(
                "format: braille\ngrade: {grade}\nprofile: {profile}\n"
            ));
            let r = engine()
                .render_braille(&request, &Liblouis::default(), &RenderOptions::default())
                .expect("renders");
            check_geometry(&r, cells, &format!("grade {grade} {profile}"));
            let again = engine()
                .render_braille(&request, &Liblouis::default(), &RenderOptions::default())
                .expect("renders");
            assert_eq!(r.brf, again.brf, "the same request gives the same BRF");
            assert_eq!(r.pef, again.pef, "the same request gives the same PEF");
            assert_eq!(r.carrier.pdf, again.carrier.pdf);
            let stem = format!("cmsl5502-payments-g{grade}-{profile}");
            let brf = String::from_utf8(r.brf.clone()).expect("ASCII");
            let pef = String::from_utf8(r.pef.clone()).expect("UTF-8");
            failures.extend(compare_or_bless(&dir.join(format!("{stem}.brf")), &brf));
            failures.extend(compare_or_bless(&dir.join(format!("{stem}.pef")), &pef));
            // Number groups (the reference, the phone number) are whole on a line.
            for group in ["#ABCD\"EFGH\"IJAB", "#JHJJ\"AGA\"BCDE"] {
                assert!(
                    brf.lines().any(|l| l.contains(group)),
                    "grade {grade} {profile}: {group} is split:\n{brf}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_braille_paragraph_back_translates_to_its_text() {
    need_liblouis();
    let louis = Liblouis::default();
    for grade in [1, 2] {
        let request = request_with(&format!("format: braille\ngrade: {grade}\n"));
        let r = engine()
            .render_braille(&request, &louis, &RenderOptions::default())
            .expect("renders");
        let grade = if grade == 1 { Grade::One } else { Grade::Two };
        let cells: Vec<String> = r
            .document
            .paragraphs
            .iter()
            .map(|p| p.braille.clone())
            .collect();
        let back = louis.backward(&cells, grade).expect("back-translates");
        assert_eq!(back.len(), cells.len());
        let mut wrong = Vec::new();
        for (p, b) in r.document.paragraphs.iter().zip(&back) {
            // liblouis reads the apostrophe cell back as U+2019.
            if b.replace('\u{2019}', "'") != p.text {
                wrong.push(format!("  {:?}\n  {b:?}", p.text));
            }
        }
        assert!(
            wrong.is_empty(),
            "{grade:?}: {} of {} paragraphs read back differently:\n{}",
            wrong.len(),
            cells.len(),
            wrong.join("\n")
        );
        assert!(cells.len() > 30);
    }
}

#[test]
fn paragraphs_of_2000_characters_or_more_never_reach_lou_translate() {
    need_liblouis();
    let louis = Liblouis::default();
    let long = "a ".repeat(1000).trim_end().to_owned() + "a"; // 2000 characters
    assert_eq!(long.chars().count(), 2000);
    let err = louis
        .translate(&["fine".into(), long.clone()], Grade::Two)
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "paragraph 2 has 2000 characters; a paragraph of 2000 characters or more cannot be translated safely (lou_translate would cut it and damage the text at the cut)"
    );
    // 1999 characters translate whole: one line back, every word there.
    let ok = &long[..1999];
    let out = louis
        .translate(&[ok.to_owned()], Grade::One)
        .expect("translates");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].split(braille::BLANK).count(), 1000);
}

#[test]
fn cli_writes_braille_as_three_files_from_one_stem() {
    need_liblouis();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("b.yaml"),
        format!("{}format: braille\n", base_request_text()),
    )
    .expect("write");
    for out in ["letter", "named.pdf"] {
        let o = letterkit(dir.path())
            .args(["render", "b.yaml", "--out", out, "--json"])
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stem = out.trim_end_matches(".pdf");
        for ext in ["pdf", "brf", "pef"] {
            assert!(
                dir.path().join(format!("{stem}.{ext}")).is_file(),
                "{stem}.{ext}"
            );
        }
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(json["schema"], "letterkit.render.v1");
        assert_eq!(json["written"][0]["format"], "braille");
        assert_eq!(
            json["written"][0]["files"].as_array().map(Vec::len),
            Some(3)
        );
    }
    let pdf = std::fs::read(dir.path().join("letter.pdf")).expect("carrier");
    let text = squash(&pdf_text(&pdf));
    assert!(text.contains("This letter is in braille"), "{text}");
    assert!(text.contains("Our reference: 1234 5678 9012"), "{text}");
    // Again without --force: refused, nothing replaced.
    let o = letterkit(dir.path())
        .args(["render", "b.yaml", "--out", "letter"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("letter.pdf already exists; add --force to replace it")
    );
    // Standard output cannot hold three files.
    let o = letterkit(dir.path())
        .args(["render", "b.yaml", "--out", "-"])
        .stdout(std::process::Stdio::piped())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("a braille letter is three files"));
    assert!(o.stdout.is_empty());
}

#[test]
fn batch_writes_the_braille_files_and_lists_them_in_the_manifest() {
    need_liblouis();
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir(&input).expect("mkdir");
    std::fs::write(
        input.join("b.yaml"),
        format!("{}format: braille\nprofile: book\n", base_request_text()),
    )
    .expect("write");
    let o = letterkit(dir.path())
        .args(["batch", "in", "--out", "out"])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("out");
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).expect("manifest");
    let rec: serde_json::Value = serde_json::from_str(manifest.trim()).expect("one line");
    assert_eq!(rec["output"], "req-000123.pdf");
    let files: Vec<&str> = rec["braille"]
        .as_array()
        .expect("braille files")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(files, ["req-000123.brf", "req-000123.pef"]);
    let brf = std::fs::read(out.join("req-000123.brf")).expect("brf");
    assert_eq!(
        rec["braille"][0]["sha256"].as_str(),
        Some(crate::common::sha256_hex(&brf).as_str())
    );
    // The same bytes as the library gives.
    let r = engine()
        .render_braille(
            &request_with("format: braille\nprofile: book\n"),
            &Liblouis::default(),
            &RenderOptions::default(),
        )
        .expect("renders");
    assert_eq!(brf, r.brf);
    // A resumed run finds all three whole and skips the letter.
    let o = letterkit(dir.path())
        .args(["batch", "in", "--out", "out", "--resume"])
        .output()
        .expect("runs");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("skipped 1"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn render_without_a_translator_refuses_braille() {
    let err = engine()
        .render(
            &request_with("format: braille\n"),
            &RenderOptions::default(),
        )
        .expect_err("needs a translator");
    assert_eq!(
        err.to_string(),
        "CMSL5502: a braille letter needs a braille translator: render it with Engine::render_braille"
    );
}

#[test]
fn show_and_new_name_the_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let show = letterkit(dir.path())
        .args(["show", "CMSL5502"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("Formats (`format:`)\n  standard "), "{text}");
    assert!(text.contains(
        "  large-print            large print, laid out again; `size:` 16 to 28 points (default 16)"
    ));
    assert!(text.contains("  braille                Unified English Braille"));
    let json = letterkit(dir.path())
        .args(["show", "CMSL5502", "--json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let names: Vec<&str> = v["formats"]
        .as_array()
        .expect("formats")
        .iter()
        .filter_map(|f| f["format"].as_str())
        .collect();
    assert_eq!(names, ["standard", "large-print", "braille"]);
    assert_eq!(v["formats"][1]["keys"][0]["key"], "size");
    assert_eq!(v["formats"][1]["keys"][0]["default"], "16");
    assert_eq!(
        v["formats"][2]["keys"][1]["allowed"],
        serde_json::json!(["a4", "book"])
    );
    let new = letterkit(dir.path())
        .args(["new", "CMSL5502"])
        .output()
        .expect("runs");
    let skeleton = String::from_utf8_lossy(&new.stdout);
    assert!(skeleton.contains("# format: standard            # optional: standard (the default), large-print or braille"), "{skeleton}");
    assert!(skeleton.contains("# size: 16 "));
}
