//! Tagged PDF (issue 11, section 4): every PDF letterkit writes is tagged
//! PDF/UA-1 and PDF/A-2a.
//!
//! The conformance verdicts come from an independent validator,
//! page-validation (PyPI, a Rust validator with Python bindings that runs
//! the veraPDF corpus in its own CI), through `tests/validate_pdf.py`. It is
//! looked for in `LETTERKIT_PDF_VALIDATOR` (a python that can `import
//! page`), then `target/pdf-validator/bin/python` (where `.ci/run` installs
//! it). The validator does not check everything (it accepts a PDF without
//! its parent tree, or whose Info title differs from the XMP title), so the
//! structural tests below check those with lopdf and poppler.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use letterkit::RenderOptions;
use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::common::{
    case_dirs, case_name, engine, need_poppler, pdf_fonts, pdf_text, read_text, request_file, root,
};

/// What a test says when the validator is missing.
const NEED_VALIDATOR: &str = "these tests need the PDF validator page-validation 0.11: python3 -m venv target/pdf-validator && target/pdf-validator/bin/pip install page-validation==0.11.0 (.ci/run does this), or set LETTERKIT_PDF_VALIDATOR to a python that can `import page`";

/// The python that runs the validator.
fn validator_python() -> PathBuf {
    if let Some(p) = std::env::var_os("LETTERKIT_PDF_VALIDATOR") {
        return PathBuf::from(p);
    }
    root().join("target/pdf-validator/bin/python")
}

/// One file's verdict under one profile.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub(crate) file: String,
    pub(crate) profile: String,
    pub(crate) compliant: bool,
    pub(crate) rules: u64,
    pub(crate) failed: Vec<String>,
}

/// Validates `files` against PDF/UA-1 and PDF/A-2a: two verdicts a file.
pub(crate) fn validate(files: &[PathBuf]) -> Vec<Verdict> {
    let out = Command::new(validator_python())
        .arg(root().join("tests/validate_pdf.py"))
        .args(files)
        .output();
    let out = match out {
        Ok(o) if o.status.code() != Some(3) => o,
        _ => {
            eprintln!("{NEED_VALIDATOR}");
            std::panic::resume_unwind(Box::new(NEED_VALIDATOR));
        }
    };
    assert!(
        out.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<Verdict> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            Verdict {
                file: v["file"].as_str().unwrap_or_default().to_owned(),
                profile: v["profile"].as_str().unwrap_or_default().to_owned(),
                compliant: v["compliant"].as_bool().unwrap_or(false),
                rules: v["rules"].as_u64().unwrap_or(0),
                failed: v["failed"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    assert_eq!(verdicts.len(), 2 * files.len(), "two verdicts a file");
    verdicts
}

/// Fails unless every verdict conforms with no failed rule, and each
/// profile really checked rules (so an empty run cannot pass).
pub(crate) fn assert_conforms(verdicts: &[Verdict]) {
    let mut problems = Vec::new();
    for v in verdicts {
        if !v.compliant || !v.failed.is_empty() {
            problems.push(format!(
                "{} fails {}:\n  {}",
                v.file,
                v.profile,
                v.failed.join("\n  ")
            ));
        }
        let least = if v.profile == "ua1" { 100 } else { 150 };
        assert!(
            v.rules >= least,
            "{} {}: only {} rules checked",
            v.file,
            v.profile,
            v.rules
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every valid fixture rendered with default options: (case, PDF bytes).
fn fixture_pdfs() -> Vec<(String, Vec<u8>)> {
    case_dirs("requests/valid")
        .iter()
        .map(|dir| {
            let file = request_file(dir);
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let request = engine()
                .parse_request(&read_text(&file), &name)
                .unwrap_or_else(|e| panic!("{}: {e}", case_name(dir)));
            let pdf = engine()
                .render(&request, &RenderOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", case_name(dir)))
                .pdf;
            (case_name(dir), pdf)
        })
        .collect()
}

/// Writes each PDF into `dir` as `<name>.pdf`.
pub(crate) fn write_all(dir: &Path, pdfs: &[(String, Vec<u8>)]) -> Vec<PathBuf> {
    pdfs.iter()
        .map(|(name, pdf)| {
            let p = dir.join(format!("{name}.pdf"));
            std::fs::write(&p, pdf).expect("write pdf");
            p
        })
        .collect()
}

/// Writes in the example each placeholder of `letterkit new` suggests (as
/// `tests/catalog_msgs.rs` does): `key:  # ... e.g. V` becomes `key: V`.
fn fill(skeleton: &str) -> String {
    skeleton
        .lines()
        .map(|l| {
            if l.trim_start().starts_with('#') {
                return l.to_owned();
            }
            match (l.split_once(':'), l.rsplit_once("e.g. ")) {
                (Some((key, rest)), Some((_, example))) if rest.trim_start().starts_with('#') => {
                    format!("{key}: {example}")
                }
                _ => l.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every letter and form of the built-in catalog, from its `letterkit new`
/// skeleton with the examples written in: (code, PDF bytes).
fn catalog_pdfs() -> Vec<(String, Vec<u8>)> {
    engine()
        .catalog()
        .letters()
        .map(|letter| {
            let out = crate::common::letterkit(&root())
                .args(["new", &letter.code])
                .output()
                .expect("letterkit runs");
            let skeleton = String::from_utf8_lossy(&out.stdout).into_owned();
            let request = engine()
                .parse_request(&fill(&skeleton), "request.yaml")
                .unwrap_or_else(|e| panic!("{}: {e}", letter.code));
            let pdf = engine()
                .render(&request, &RenderOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", letter.code))
                .pdf;
            (letter.code.clone(), pdf)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The validator's verdicts.

#[test]
fn every_fixture_letter_passes_pdf_ua_1_and_pdf_a_2a() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdfs = fixture_pdfs();
    assert!(pdfs.len() >= 20, "{} fixtures", pdfs.len());
    assert_conforms(&validate(&write_all(dir.path(), &pdfs)));
}

#[test]
fn large_print_letters_and_the_braille_carrier_pass_pdf_ua_1_and_pdf_a_2a() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = read_text(&root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml"));
    let mut pdfs = Vec::new();
    for size in [16, 24, 28] {
        let request = engine()
            .parse_request(
                &format!("{base}format: large-print\nsize: {size}\n"),
                "lp.yaml",
            )
            .expect("large print request");
        let pdf = engine()
            .render(&request, &RenderOptions::default())
            .expect("renders")
            .pdf;
        pdfs.push((format!("large-print-{size}"), pdf));
    }
    let request = engine()
        .parse_request(&format!("{base}format: braille\n"), "br.yaml")
        .expect("braille request");
    let carrier = engine()
        .render_braille(
            &request,
            &letterkit::braille::Liblouis::default(),
            &RenderOptions::default(),
        )
        .expect("braille (liblouis: apt-get install liblouis-bin liblouis-data)")
        .carrier
        .pdf;
    pdfs.push(("braille-carrier".into(), carrier));
    let verdicts = validate(&write_all(dir.path(), &pdfs));
    assert_eq!(verdicts.len(), 8, "4 files, 2 profiles");
    assert_conforms(&verdicts);
}

#[test]
fn every_letter_and_form_of_the_catalog_passes_pdf_ua_1_and_pdf_a_2a() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdfs = catalog_pdfs();
    assert_eq!(pdfs.len(), engine().catalog().letters().count());
    // The forms hold most tables: make sure they are here, tagged.
    let tables = pdfs
        .iter()
        .filter(|(_, pdf)| struct_text(pdf).iter().any(|(role, _)| role == "TH"))
        .count();
    assert!(tables >= 5, "{tables} documents with a table");
    assert_conforms(&validate(&write_all(dir.path(), &pdfs)));
}

/// No catalog template writes bullets yet (only the court bundle's index
/// does), so a composed document with every kind of block shows that
/// lists come out as L / LI / Lbl / LBody, tables as Table / TR / TH / TD,
/// and that such a document conforms too.
#[test]
fn a_document_with_a_list_and_a_table_is_tagged_and_conforms() {
    use letterkit::compose::{Block, Composed, DocKind, Inline};
    let plain = |t: &str| {
        vec![Inline {
            text: t.to_owned(),
            bold: false,
        }]
    };
    let doc = Composed {
        kind: DocKind::Form,
        code: "TEST".into(),
        title: "Test".into(),
        language: letterkit::catalog::Language::En,
        sender: vec!["Child Maintenance Service".into(), "PO Box 249".into()],
        meta: vec![("Date".into(), "2 March 2026".into())],
        address: Vec::new(),
        blocks: vec![
            Block::Heading {
                level: 1,
                text: "A form".into(),
            },
            Block::Paragraph(plain("Before the list.")),
            Block::Bullet(plain("first item")),
            Block::Bullet(plain("second item")),
            Block::Heading {
                level: 2,
                text: "Details".into(),
            },
            Block::Table(vec![
                ("Label".into(), plain("value")),
                ("".into(), plain("a value without a label")),
            ]),
            Block::Bullet(plain("another list")),
        ],
    };
    let pages = letterkit::layout::layout(&doc, engine().fonts());
    let (_, options) = cmsl5502();
    let pdf = letterkit::pdf::write_pdf(&pages, engine().fonts(), &options);
    let roles: Vec<(String, String)> = struct_text(&pdf);
    let listed: Vec<String> = roles.iter().map(|(r, t)| format!("{r} {t}")).collect();
    assert_eq!(
        listed,
        [
            "P Child Maintenance Service",
            "P Child Maintenance ServicePO Box 249",
            "P Date2 March 2026",
            "H1 A form",
            "P Before the list.",
            "Lbl •",
            "LBody first item",
            "Lbl •",
            "LBody second item",
            "H2 Details",
            "TH Label",
            "TD value",
            "TD a value without a label",
            "Lbl •",
            "LBody another list",
        ]
    );
    // Two lists, one table of two rows of two cells (the empty label is an
    // empty TH, so both rows have the same columns).
    let doc = Document::load_mem(&pdf).expect("lopdf");
    let tree = StructTree::read(&doc);
    let count = |role: &[u8]| {
        tree.order
            .iter()
            .filter(|id| {
                doc.get_dictionary(**id)
                    .and_then(|d| d.get(b"S"))
                    .and_then(Object::as_name)
                    .is_ok_and(|n| n == role)
            })
            .count()
    };
    assert_eq!(
        [b"L".as_slice(), b"LI", b"Table", b"TR", b"TH", b"TD"].map(count),
        [2, 3, 1, 2, 2, 2]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    assert_conforms(&validate(&write_all(dir.path(), &[("blocks".into(), pdf)])));
}

/// A document in Welsh is tagged `cy-GB`, in the catalog and the XMP, and
/// still conforms. (No letter can be written in Welsh yet, so the pages of
/// an English letter go through the writer with Welsh options.)
#[test]
fn a_welsh_document_says_cy_gb_and_conforms() {
    let (request, mut options) = cmsl5502();
    options.language = "cy-GB".into();
    let pages = engine().layout(&request).expect("layout");
    let pdf = letterkit::pdf::write_pdf(&pages, engine().fonts(), &options);
    let doc = Document::load_mem(&pdf).expect("lopdf reads it");
    let catalog = doc.catalog().expect("catalog");
    assert_eq!(text_of(&doc, catalog, b"Lang"), "cy-GB");
    assert!(xmp(&doc).contains("<dc:language><rdf:Bag><rdf:li>cy-GB</rdf:li>"));
    let dir = tempfile::tempdir().expect("tempdir");
    assert_conforms(&validate(&write_all(
        dir.path(),
        &[("welsh".to_owned(), pdf)],
    )));
}

/// Control: the validator is not a rubber stamp. Our own letter with its
/// structure tree and MarkInfo taken out fails both profiles, and with its
/// language taken out fails PDF/UA-1, each for the rule that says so.
#[test]
fn the_validator_fails_a_letter_without_tags_or_without_a_language() {
    let (_, pdf) = fixture_pdfs()
        .into_iter()
        .find(|(n, _)| n == "cmsl5502-appeal")
        .expect("the fixture");
    let untagged = edit_catalog(&pdf, |c| {
        c.remove(b"StructTreeRoot");
        c.remove(b"MarkInfo");
    });
    let no_lang = edit_catalog(&pdf, |c| {
        c.remove(b"Lang");
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let files = write_all(
        dir.path(),
        &[
            ("ours".to_owned(), edit_catalog(&pdf, |_| {})),
            ("untagged".to_owned(), untagged),
            ("no-lang".to_owned(), no_lang),
        ],
    );
    let verdicts = validate(&files);
    let get = |file: &str, profile: &str| {
        verdicts
            .iter()
            .find(|v| v.file.ends_with(&format!("/{file}.pdf")) && v.profile == profile)
            .expect("a verdict")
    };
    // Saved again by lopdf and unchanged otherwise, ours still conforms.
    assert_conforms(&verdicts[..2]);
    for profile in ["ua1", "2a"] {
        let v = get("untagged", profile);
        assert!(!v.compliant, "untagged passes {profile}");
        let prefix = if profile == "ua1" { "PDFUA1" } else { "PDFA2A" };
        for rule in ["STRUCT-TREE-ROOT-001", "TAGGED-DOCUMENT-001"] {
            assert!(
                v.failed
                    .iter()
                    .any(|f| f.starts_with(&format!("{prefix}-{rule}"))),
                "untagged {profile}: {:?}",
                v.failed
            );
        }
    }
    let v = get("no-lang", "ua1");
    assert!(!v.compliant, "a letter without a language passes PDF/UA-1");
    assert!(
        v.failed
            .iter()
            .any(|f| f.starts_with("PDFUA1-TEXT-LANGUAGE-001")),
        "{:?}",
        v.failed
    );
}

// ---------------------------------------------------------------------------
// Structure checked directly (what the validator leaves out).

/// The pages of every fixture: each piece of text shown is inside exactly
/// one marked-content sequence, either an artifact or one with an MCID;
/// the footer ("Page N of M" and the code) only in pagination artifacts;
/// the MCIDs of a page run 0, 1, 2 …; the parent tree maps each to the
/// element whose /K holds that MCID on that page; and every element of the
/// tree is reached once from the root.
#[test]
fn every_mcid_has_its_element_and_the_footer_is_an_artifact() {
    for (name, pdf) in fixture_pdfs() {
        let doc = Document::load_mem(&pdf).expect("lopdf reads it");
        let tree = StructTree::read(&doc);
        for (n, (_, page_id)) in doc.get_pages().into_iter().enumerate() {
            let page = doc.get_dictionary(page_id).expect("page");
            let key = page
                .get(b"StructParents")
                .and_then(Object::as_i64)
                .unwrap_or_else(|_| panic!("{name} page {}: no /StructParents", n + 1));
            let marks = page_marks(&doc, page_id);
            let mcids: Vec<i64> = marks.iter().filter_map(|m| m.mcid).collect();
            assert_eq!(
                mcids,
                (0..mcids.len() as i64).collect::<Vec<_>>(),
                "{name} page {}: MCIDs in order",
                n + 1
            );
            let parents = tree
                .parent_tree
                .get(&key)
                .unwrap_or_else(|| panic!("{name} page {}: no parent tree entry {key}", n + 1));
            assert_eq!(parents.len(), mcids.len(), "{name} page {}", n + 1);
            for (mcid, elem) in parents.iter().enumerate() {
                let held = tree.content.get(elem).cloned().unwrap_or_default();
                assert!(
                    held.contains(&(page_id, mcid as i64)),
                    "{name} page {}: MCID {mcid}'s element does not hold it",
                    n + 1
                );
            }
            for m in &marks {
                assert!(m.shows_text || m.artifact, "{name}: an empty sequence");
                if m.artifact && m.shows_text {
                    assert!(m.pagination, "{name}: text in a non-pagination artifact");
                }
            }
            assert!(
                marks.iter().any(|m| m.artifact && m.pagination),
                "{name} page {}: no footer artifact",
                n + 1
            );
            assert!(
                marks.iter().all(|m| m.text_outside == 0),
                "{name}: untagged text"
            );
        }
        // Every element is reached once, every MCID held once.
        let mut seen = HashMap::new();
        for e in &tree.order {
            *seen.entry(*e).or_insert(0) += 1;
        }
        assert!(seen.values().all(|&n| n == 1), "{name}: an element twice");
        let held: usize = tree.content.values().map(Vec::len).sum();
        let listed: usize = tree.parent_tree.values().map(Vec::len).sum();
        assert_eq!(held, listed, "{name}: MCIDs held vs listed");
    }
}

/// Layout places every run of every fixture in the structure (a run it
/// forgets would still be read, as a paragraph of its own, but out of its
/// heading, list or table); the footer runs alone are artifacts.
#[test]
fn layout_tags_every_run_of_every_fixture() {
    use letterkit::layout::{Item, Tag};
    for dir in case_dirs("requests/valid") {
        let file = request_file(&dir);
        let request = engine()
            .parse_request(&read_text(&file), "request.yaml")
            .expect("parses");
        let pages = engine().layout(&request).expect("layout");
        for (n, page) in pages.iter().enumerate() {
            for item in &page.items {
                let Item::Text(run) = item else { continue };
                assert_ne!(
                    run.tag,
                    Tag::Unassigned,
                    "{} page {}: {:?} has no tag",
                    case_name(&dir),
                    n + 1,
                    run.text
                );
                // The footer: the letter code and "Page N of M" (by text, not
                // position, so a layout with a taller footer still passes).
                let footer = run.text == request.letter()
                    || (run.text.starts_with("Page ") && run.text.contains(" of "));
                assert_eq!(
                    run.tag == Tag::Artifact,
                    footer,
                    "{} page {}: {:?} is {:?}",
                    case_name(&dir),
                    n + 1,
                    run.text,
                    run.tag
                );
            }
        }
    }
}

/// The structure tree reads like the page: its text, element by element,
/// is `pdftotext`'s text without the footers, except that page 1's blocks
/// above the title (service name, window address, return address, date,
/// reference) may come in another order. The body (from the title on)
/// comes word for word in the same order, and the roles are the
/// ones the markup asked for.
#[test]
fn the_structure_tree_reads_in_the_order_pdftotext_gives() {
    need_poppler();
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    for (name, pdf) in fixture_pdfs() {
        let elems = struct_text(&pdf);
        let text = pdf_text(&pdf);
        let mut extracted = squeeze(&text);
        // Footers: "CMSL5502" and "Page N of M" on every page.
        let code = name[..8].to_uppercase();
        let pages = lopdf::Document::load_mem(&pdf)
            .expect("lopdf")
            .get_pages()
            .len();
        for n in 1..=pages {
            let footer = format!("{code}Page{n}of{pages}");
            assert!(extracted.contains(&footer), "{name}: footer {footer}");
            extracted = extracted.replacen(&footer, "", 1);
        }
        let h1 = elems
            .iter()
            .position(|(role, _)| role == "H1")
            .unwrap_or_else(|| panic!("{name}: no H1"));
        let head: Vec<String> = elems[..h1].iter().map(|(_, t)| squeeze(t)).collect();
        let body: String = elems[h1..].iter().map(|(_, t)| squeeze(t)).collect();
        assert!(
            extracted.ends_with(&body),
            "{name}: the body's structure text is not pdftotext's\nstructure: {body}\npdftotext: {extracted}"
        );
        let mut rest = extracted[..extracted.len() - body.len()].to_owned();
        for block in &head {
            assert!(
                rest.contains(block.as_str()),
                "{name}: {block} not in the head"
            );
            rest = rest.replacen(block.as_str(), "", 1);
        }
        assert_eq!(rest, "", "{name}: head text outside the structure tree");
        let roles: Vec<&str> = elems.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            roles.iter().filter(|r| **r == "H1").count(),
            1,
            "{name}: one title"
        );
        assert!(roles.contains(&"H2"), "{name}: sub-headings");
        for cell in ["TH", "TD"] {
            assert!(
                !name.starts_with("cmsl5502") || roles.contains(&cell),
                "{name}: the meeting table's {cell}"
            );
        }
    }
}

/// The outline holds the title with the sub-headings under it, in order,
/// each going to its page.
#[test]
fn the_outline_lists_the_title_and_the_headings() {
    let (name, pdf) = fixture_pdfs()
        .into_iter()
        .find(|(n, _)| n == "cmsl5502-appeal")
        .expect("the fixture");
    let doc = Document::load_mem(&pdf).expect("lopdf");
    let outlines = doc
        .catalog()
        .and_then(|c| c.get(b"Outlines"))
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .expect("an outline");
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let items = |parent: &Dictionary| -> Vec<(String, ObjectId, usize)> {
        let mut out = Vec::new();
        let mut next = parent.get(b"First").and_then(Object::as_reference).ok();
        while let Some(id) = next {
            let d = doc.get_dictionary(id).expect("item");
            let dest = d.get(b"Dest").and_then(Object::as_array).expect("a /Dest");
            let page = dest[0].as_reference().expect("a page");
            let n = pages.iter().position(|p| *p == page).expect("one of ours");
            out.push((text_of(&doc, d, b"Title"), id, n));
            next = d.get(b"Next").and_then(Object::as_reference).ok();
        }
        out
    };
    let top = items(outlines);
    assert_eq!(top.len(), 1, "{name}: the title alone at the top");
    assert_eq!(top[0].0, "Your face to face meeting details have changed");
    let under = items(doc.get_dictionary(top[0].1).expect("title item"));
    let titles: Vec<&str> = under.iter().map(|(t, _, _)| t.as_str()).collect();
    let h2: Vec<String> = struct_text(&pdf)
        .into_iter()
        .filter(|(r, _)| r == "H2")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(titles, h2, "{name}: outline vs H2 elements");
    assert_eq!(titles[0], "What we'll talk about");
    assert_eq!(
        under.last().map(|u| u.2),
        Some(1),
        "the last heading is on page 2"
    );
    assert_eq!(
        outlines.get(b"Count").and_then(Object::as_i64).ok(),
        Some(1 + under.len() as i64)
    );
}

/// PDF/A's metadata: the XMP says PDF/A-2a and PDF/UA-1 and holds the same
/// title, author, subject, tool and dates as the Info dictionary (dates
/// from the options, not the clock); the viewer shows the title; the output
/// intent is the sRGB profile of `pdf/icc.rs`; the file has an /ID.
#[test]
fn xmp_matches_the_info_dictionary_and_the_output_intent_is_srgb() {
    let (request, options) = cmsl5502();
    let pages = engine().layout(&request).expect("layout");
    let pdf = letterkit::pdf::write_pdf(&pages, engine().fonts(), &options);
    let doc = Document::load_mem(&pdf).expect("lopdf");
    let x = xmp(&doc);
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .expect("Info");
    let title = text_of(&doc, info, b"Title");
    assert_eq!(title, options.title);
    for (key, xmp_form) in [
        (
            "Title",
            format!("<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li>"),
        ),
        (
            "Author",
            format!(
                "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li>",
                text_of(&doc, info, b"Author")
            ),
        ),
        (
            "Subject",
            format!(
                "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li>",
                text_of(&doc, info, b"Subject")
            ),
        ),
        (
            "Creator",
            format!(" xmp:CreatorTool=\"{}\"", text_of(&doc, info, b"Creator")),
        ),
        (
            "Producer",
            format!(" pdf:Producer=\"{}\"", text_of(&doc, info, b"Producer")),
        ),
    ] {
        assert!(
            x.contains(&xmp_form),
            "XMP lacks the Info {key}: {xmp_form}\n{x}"
        );
    }
    assert_eq!(text_of(&doc, info, b"CreationDate"), "D:20261130093007Z");
    assert_eq!(text_of(&doc, info, b"ModDate"), "D:20261130093007Z");
    assert!(x.contains(" xmp:CreateDate=\"2026-11-30T09:30:07Z\""));
    assert!(x.contains(" xmp:ModifyDate=\"2026-11-30T09:30:07Z\""));
    for id in [
        " pdfaid:part=\"2\"",
        " pdfaid:conformance=\"A\"",
        " pdfuaid:part=\"1\"",
        "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>",
    ] {
        assert!(x.contains(id), "XMP lacks {id}");
    }
    let catalog = doc.catalog().expect("catalog");
    assert_eq!(text_of(&doc, catalog, b"Lang"), "en-GB");
    let prefs = catalog
        .get(b"ViewerPreferences")
        .and_then(Object::as_dict)
        .expect("ViewerPreferences");
    assert_eq!(
        prefs.get(b"DisplayDocTitle").and_then(Object::as_bool).ok(),
        Some(true)
    );
    let intents = catalog
        .get(b"OutputIntents")
        .and_then(Object::as_array)
        .expect("OutputIntents");
    assert_eq!(intents.len(), 1);
    let intent = intents[0].as_dict().expect("an intent");
    assert_eq!(
        intent.get(b"S").and_then(Object::as_name).ok(),
        Some(&b"GTS_PDFA1"[..])
    );
    let profile = intent
        .get(b"DestOutputProfile")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_object(id))
        .and_then(Object::as_stream)
        .expect("the profile stream");
    assert_eq!(
        profile.dict.get(b"N").and_then(Object::as_i64).ok(),
        Some(3)
    );
    // The profile built by `pdf/icc.rs` (its unit tests check it against
    // the sRGB standard and the vendored profile in data/icc/).
    let icc = letterkit::pdf::srgb_icc_profile();
    assert_eq!(profile.decompressed_content().expect("inflates"), icc);
    assert_eq!(&icc[12..24], b"mntrRGB XYZ ", "a display profile for RGB");
    let id = doc
        .trailer
        .get(b"ID")
        .and_then(Object::as_array)
        .expect("/ID");
    assert_eq!(id.len(), 2);
}

/// Every font is embedded and maps every glyph to Unicode (pdffonts' `uni`
/// column), in letters and forms alike.
#[test]
fn every_font_is_embedded_with_a_unicode_map() {
    need_poppler();
    for (code, pdf) in catalog_pdfs() {
        let fonts = pdf_fonts(&pdf);
        assert!(!fonts.is_empty(), "{code}");
        for f in &fonts {
            assert!(f.embedded && f.subset, "{code}: {f:?}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.pdf");
        std::fs::write(&p, &pdf).expect("write");
        let out = Command::new("pdffonts").arg(&p).output().expect("pdffonts");
        let table = String::from_utf8_lossy(&out.stdout).into_owned();
        for row in table.lines().skip(2).filter(|l| !l.trim().is_empty()) {
            let words: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(words[words.len() - 3], "yes", "{code}: no ToUnicode: {row}");
        }
    }
}

/// The writer puts the cross-reference stream together itself: `startxref`
/// points at it, it has one row per object number, every object at an
/// offset starts there with its `N 0 obj`, every object in the object
/// stream is listed in that stream's header at its index, and free entries
/// form a list from object 0 (checked on the bytes, since lopdf would
/// quietly rebuild a broken table).
#[test]
fn the_cross_reference_table_points_at_every_object() {
    for (name, pdf) in fixture_pdfs() {
        let text = String::from_utf8_lossy(&pdf);
        let start = text.rfind("startxref\n").expect("startxref") + 10;
        let at: usize = text[start..]
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("an offset");
        let doc = Document::load_mem(&pdf).expect("lopdf");
        // startxref points at the cross-reference stream object.
        let head_end = at + pdf[at..].iter().position(|&b| b == b'\n').expect("line");
        let head = String::from_utf8_lossy(&pdf[at..head_end]).into_owned();
        let xref_num: u32 = head
            .strip_suffix(" 0 obj")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: startxref at {head:?}"));
        let xref = doc
            .get_object((xref_num, 0))
            .and_then(Object::as_stream)
            .expect("the cross-reference stream");
        assert_eq!(
            xref.dict.get(b"Type").and_then(Object::as_name).ok(),
            Some(&b"XRef"[..])
        );
        let w: Vec<usize> = xref
            .dict
            .get(b"W")
            .and_then(Object::as_array)
            .expect("/W")
            .iter()
            .map(|o| o.as_i64().expect("a width") as usize)
            .collect();
        let size = xref
            .dict
            .get(b"Size")
            .and_then(Object::as_i64)
            .expect("/Size") as usize;
        let rows = xref
            .decompressed_content()
            .unwrap_or_else(|_| xref.content.clone());
        let row = w.iter().sum::<usize>();
        assert_eq!(rows.len(), row * size, "{name}: one row per object");
        let field = |r: &[u8], i: usize| -> usize {
            let from = w[..i].iter().sum::<usize>();
            r[from..from + w[i]]
                .iter()
                .fold(0, |v, &b| v << 8 | usize::from(b))
        };
        let mut in_use = 0;
        for (n, r) in rows.chunks(row).enumerate() {
            match field(r, 0) {
                0 => assert!(
                    n == 0 || field(r, 1) == 0 || field(r, 1) > n,
                    "{name}: free {n}"
                ),
                1 => {
                    in_use += 1;
                    let head = format!("{n} 0 obj\n");
                    let off = field(r, 1);
                    assert_eq!(
                        &pdf[off..off + head.len()],
                        head.as_bytes(),
                        "{name}: object {n}"
                    );
                }
                2 => {
                    in_use += 1;
                    // Listed in its object stream's header at its index.
                    let stm = doc
                        .get_object((field(r, 1) as u32, 0))
                        .and_then(Object::as_stream)
                        .expect("the object stream");
                    assert_eq!(
                        stm.dict.get(b"Type").and_then(Object::as_name).ok(),
                        Some(&b"ObjStm"[..])
                    );
                    let data = stm.decompressed_content().expect("inflates");
                    let first = stm
                        .dict
                        .get(b"First")
                        .and_then(Object::as_i64)
                        .expect("/First") as usize;
                    let numbers: Vec<&str> = std::str::from_utf8(&data[..first])
                        .expect("header")
                        .split_whitespace()
                        .collect();
                    assert_eq!(
                        numbers[2 * field(r, 2)],
                        n.to_string(),
                        "{name}: object {n} in its stream"
                    );
                    assert!(
                        doc.get_object((n as u32, 0)).is_ok(),
                        "{name}: object {n} loads"
                    );
                }
                other => panic!("{name}: entry {n} kind {other}"),
            }
        }
        assert_eq!(in_use, doc.objects.len(), "{name}: every object is listed");
    }
}

// ---------------------------------------------------------------------------
// Helpers.

/// CMSL5502's README-like request and fixed options.
fn cmsl5502() -> (letterkit::Request, letterkit::pdf::PdfOptions) {
    let dir = root().join("fixtures/requests/valid/cmsl5502-appeal");
    let file = request_file(&dir);
    let request = engine()
        .parse_request(&read_text(&file), "request.yaml")
        .expect("the fixture parses");
    let mut options = letterkit::pdf::PdfOptions::new(
        "CMSL5502 Your face to face meeting details have changed",
        "en-GB",
        letterkit::pdf::Timestamp {
            year: 2026,
            month: 11,
            day: 30,
            hour: 9,
            minute: 30,
            second: 7,
        },
        "tagged-pdf test",
    );
    options.author = "Child Maintenance Service".into();
    options.subject = "CMSL5502".into();
    (request, options)
}

/// A text string entry of `dict` (dates and names alike), as text.
pub(crate) fn text_of(doc: &Document, dict: &Dictionary, key: &[u8]) -> String {
    let obj = dict
        .get(key)
        .unwrap_or_else(|_| panic!("no /{}", String::from_utf8_lossy(key)));
    let (_, obj) = doc.dereference(obj).expect("resolves");
    lopdf::decode_text_string(obj).expect("a text string")
}

/// The catalog's XMP packet.
pub(crate) fn xmp(doc: &Document) -> String {
    let stream = doc
        .catalog()
        .and_then(|c| c.get(b"Metadata"))
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_object(id))
        .and_then(Object::as_stream)
        .expect("a Metadata stream");
    assert!(
        stream.dict.get(b"Filter").is_err(),
        "the XMP stays uncompressed, readable by any tool"
    );
    String::from_utf8(stream.content.clone()).expect("UTF-8 XMP")
}

/// `pdf` loaded, its catalog changed by `edit`, saved again.
fn edit_catalog(pdf: &[u8], edit: impl FnOnce(&mut Dictionary)) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).expect("lopdf reads it");
    edit(doc.catalog_mut().expect("catalog"));
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("lopdf writes it");
    out
}

/// The structure elements with text as `pdfinfo -struct-text` lists them
/// (in tree order): (role, text of its lines run together).
fn struct_text(pdf: &[u8]) -> Vec<(String, String)> {
    need_poppler();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).expect("write pdf");
    let out = Command::new("pdfinfo")
        .arg("-struct-text")
        .arg(&p)
        .output()
        .expect("pdfinfo (poppler-utils) runs");
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut elems: Vec<(String, String)> = Vec::new();
    for line in listing.lines() {
        let t = line.trim();
        if let Some(text) = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            if let Some((_, s)) = elems.last_mut() {
                s.push_str(text);
            }
        } else if let Some(role) = t.split([' ', ':']).next()
            && !role.is_empty()
            && role.chars().all(|c| c.is_ascii_alphanumeric())
        {
            // An element starts (its attributes, `/Scope /Row`, are skipped).
            elems.push((role.to_owned(), String::new()));
        }
    }
    elems.retain(|(_, t)| !t.is_empty());
    elems
}

/// The structure tree of a document, read with lopdf.
pub(crate) struct StructTree {
    /// Elements in depth-first order from the root.
    pub(crate) order: Vec<ObjectId>,
    /// (page, MCID) pairs each element holds.
    pub(crate) content: HashMap<ObjectId, Vec<(ObjectId, i64)>>,
    /// Parent tree: key → element of each MCID.
    pub(crate) parent_tree: BTreeMap<i64, Vec<ObjectId>>,
}

impl StructTree {
    pub(crate) fn read(doc: &Document) -> StructTree {
        let root = doc
            .catalog()
            .and_then(|c| c.get(b"StructTreeRoot"))
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .expect("a StructTreeRoot");
        let mut tree = StructTree {
            order: Vec::new(),
            content: HashMap::new(),
            parent_tree: BTreeMap::new(),
        };
        let nums = root
            .get(b"ParentTree")
            .and_then(Object::as_dict)
            .and_then(|d| d.get(b"Nums"))
            .and_then(Object::as_array)
            .expect("a flat ParentTree");
        for pair in nums.chunks(2) {
            let key = pair[0].as_i64().expect("a key");
            let elems = pair[1]
                .as_array()
                .expect("an array")
                .iter()
                .map(|o| o.as_reference().expect("an element"))
                .collect();
            tree.parent_tree.insert(key, elems);
        }
        let mut stack: Vec<ObjectId> = match root.get(b"K") {
            Ok(Object::Reference(r)) => vec![*r],
            Ok(Object::Array(a)) => a
                .iter()
                .rev()
                .filter_map(|o| o.as_reference().ok())
                .collect(),
            _ => panic!("the root has no /K"),
        };
        while let Some(id) = stack.pop() {
            tree.order.push(id);
            let e = doc.get_dictionary(id).expect("an element");
            let pg = e.get(b"Pg").and_then(Object::as_reference).ok();
            let kids: Vec<Object> = match e.get(b"K") {
                Ok(Object::Array(a)) => a.clone(),
                Ok(k) => vec![k.clone()],
                Err(_) => Vec::new(),
            };
            let mut children = Vec::new();
            for k in kids {
                match k {
                    Object::Integer(mcid) => tree
                        .content
                        .entry(id)
                        .or_default()
                        .push((pg.expect("/Pg for an MCID"), mcid)),
                    Object::Reference(r) => children.push(r),
                    Object::Dictionary(d) => {
                        let page = d
                            .get(b"Pg")
                            .and_then(Object::as_reference)
                            .expect("MCR /Pg");
                        let mcid = d.get(b"MCID").and_then(Object::as_i64).expect("MCR /MCID");
                        tree.content.entry(id).or_default().push((page, mcid));
                    }
                    other => panic!("unexpected kid {other:?}"),
                }
            }
            stack.extend(children.into_iter().rev());
        }
        tree
    }
}

/// One marked-content sequence of a page's content stream.
#[derive(Debug, Default)]
pub(crate) struct Mark {
    pub(crate) mcid: Option<i64>,
    pub(crate) artifact: bool,
    pub(crate) pagination: bool,
    pub(crate) shows_text: bool,
    /// Text shown outside any sequence (counted on the next sequence).
    pub(crate) text_outside: usize,
}

/// The marked-content sequences of a page, in order.
pub(crate) fn page_marks(doc: &Document, page: ObjectId) -> Vec<Mark> {
    let content = lopdf::content::Content::decode(&doc.get_page_content(page)).expect("decodes");
    let mut marks: Vec<Mark> = Vec::new();
    let mut depth = 0;
    let mut outside = 0;
    for op in &content.operations {
        match op.operator.as_str() {
            "BDC" | "BMC" => {
                assert_eq!(depth, 0, "nested marked content");
                depth += 1;
                let tag = op.operands.first().and_then(|o| o.as_name().ok());
                let props = op.operands.get(1).and_then(|o| o.as_dict().ok());
                let artifact = tag == Some(&b"Artifact"[..]);
                marks.push(Mark {
                    mcid: props.and_then(|p| p.get(b"MCID").and_then(Object::as_i64).ok()),
                    artifact,
                    pagination: props.and_then(|p| p.get(b"Type").and_then(Object::as_name).ok())
                        == Some(&b"Pagination"[..]),
                    shows_text: false,
                    text_outside: std::mem::take(&mut outside),
                });
                assert!(
                    artifact != marks.last().is_some_and(|m| m.mcid.is_some()),
                    "a sequence is an artifact or has an MCID"
                );
            }
            "EMC" => depth -= 1,
            "Tj" | "TJ" | "'" | "\"" => {
                if depth == 0 {
                    outside += 1;
                } else if let Some(m) = marks.last_mut() {
                    m.shows_text = true;
                }
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unclosed marked content");
    assert_eq!(outside, 0, "text after the last sequence");
    marks
}

/// Text is shown as one-byte codes through the shared `letterkit-Identity-8`
/// CMap when a face's subset has at most 256 glyphs (every letter), and as
/// two-byte `Identity-H` codes when it has more; both extract as the text
/// and pass both profiles.
#[test]
fn a_face_with_more_than_256_glyphs_falls_back_to_two_byte_codes() {
    need_poppler();
    let (request, options) = cmsl5502();
    let small = engine().layout(&request).expect("layout");
    // Latin-1, Latin Extended-A, Greek and Cyrillic letters: over 300
    // glyphs of the regular face on one page.
    let many: String = ('\u{C0}'..='\u{17F}')
        .chain('\u{391}'..='\u{3C9}')
        .chain('\u{410}'..='\u{44F}')
        .filter(|c| {
            c.is_alphabetic()
                && engine()
                    .fonts()
                    .glyph(letterkit::fonts::FontId::Regular, *c)
                    .is_some()
        })
        .collect();
    assert!(many.chars().count() > 300, "{}", many.chars().count());
    let mut big = small.clone();
    big.push(letterkit::layout::Page::default());
    for (i, chunk) in many.chars().collect::<Vec<_>>().chunks(40).enumerate() {
        let text: String = chunk.iter().collect();
        let glyphs = engine()
            .fonts()
            .shape(letterkit::fonts::FontId::Regular, &text)
            .glyphs
            .clone();
        big[2]
            .items
            .push(letterkit::layout::Item::Text(letterkit::layout::TextRun {
                font: letterkit::fonts::FontId::Regular,
                size: 9.0,
                x: 60.0,
                y: 100.0 + 12.0 * i as f32,
                glyphs,
                text,
                tag: letterkit::layout::Tag::Paragraph {
                    id: 9_000 + i as u32,
                },
            }));
    }
    let encodings = |pdf: &[u8]| -> Vec<String> {
        let doc = Document::load_mem(pdf).expect("lopdf");
        let mut out: Vec<String> = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .filter(|d| d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0"))
            .map(|d| match d.get(b"Encoding") {
                Ok(Object::Name(n)) => String::from_utf8_lossy(n).into_owned(),
                Ok(Object::Reference(id)) => doc
                    .get_object(*id)
                    .and_then(Object::as_stream)
                    .and_then(|s| s.dict.get(b"CMapName"))
                    .and_then(Object::as_name)
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .collect();
        out.sort();
        out
    };
    let small_pdf = letterkit::pdf::write_pdf(&small, engine().fonts(), &options);
    let big_pdf = letterkit::pdf::write_pdf(&big, engine().fonts(), &options);
    assert_eq!(
        encodings(&small_pdf),
        ["letterkit-Identity-8", "letterkit-Identity-8"]
    );
    assert_eq!(
        encodings(&big_pdf),
        ["Identity-H", "letterkit-Identity-8"],
        "the regular face, with over 256 glyphs, takes two-byte codes; the bold face keeps one"
    );
    let squashed: String = pdf_text(&big_pdf).split_whitespace().collect();
    let want: String = many.split_whitespace().collect();
    let n = want.chars().count();
    for part in [
        want.chars().take(60).collect::<String>(),
        want.chars().skip(n - 60).collect(),
    ] {
        assert!(squashed.contains(&part), "{part} extracts");
    }
    assert_eq!(
        pdf_text(&small_pdf),
        pdf_text(&letterkit::pdf::write_pdf(
            &small,
            engine().fonts(),
            &options
        )),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    assert_conforms(&validate(&write_all(
        dir.path(),
        &[("one-byte".into(), small_pdf), ("two-byte".into(), big_pdf)],
    )));
}
