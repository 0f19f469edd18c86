//! Joined PDFs are tagged too (issue 11, section 4): the outbox's reissued
//! mailpiece (covering letter, then the exact copy) and the court bundle of
//! every pack kind pass PDF/UA-1 and PDF/A-2a with no failed rule, keep
//! every part's structure elements in order under a `Part` element of its
//! own, read (pdftotext) as the parts do one after the other, and draw the
//! same pixels as the parts (at 70 dpi; the bundle's page number band
//! aside).
//!
//! Regression: before `src/pdf/merge.rs` both were joined with lopdf,
//! keeping the pages but dropping each part's structure tree, XMP, output
//! intent and file ID, and the validator failed them. The reissue failed
//! PDFUA1-ID-PART-001, PDFUA1-ID-SCHEMA-001, PDFUA1-METADATA-STRUCTURE-001,
//! PDFUA1-METADATA-TITLE-001, PDFUA1-STRUCT-TREE-ROOT-001,
//! PDFUA1-TAGGED-DOCUMENT-001, PDFA2A-DEVICE-GRAY-001, PDFA2A-ID-SCHEMA-001,
//! PDFA2A-METADATA-STRUCTURE-001, PDFA2A-STRUCT-TREE-ROOT-001,
//! PDFA2A-TAGGED-DOCUMENT-001 and PDFA2A-TRAILER-ID-001; the county-court
//! bundle those and PDFUA1-CONTENT-TAGGING-001 (the page number),
//! PDFUA1-FONT-EMBEDDING-001 and PDFA2A-FONT-EMBEDDING-001 (its
//! Helvetica-Bold), PDFUA1-FONT-UNICODE-MAPPING-001 and
//! PDFA2A-UNICODE-MAPPING-001 (the attached PDF's Helvetica),
//! PDFUA1-TEXT-LANGUAGE-001, PDFUA1-VIEWER-PREFERENCES-001,
//! PDFUA1-OUTLINE-LANGUAGE-001 and PDFA2A-DEVICE-RGB-001 (the images). The
//! control in each test is that plain lopdf concatenation of the same
//! parts, which still fails.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use lopdf::{Dictionary, Document, Object, ObjectId, dictionary};

use crate::common::{engine, letterkit, need_poppler, pdf_text, root, squash};
use crate::tagged_pdf::{StructTree, Verdict, assert_conforms, page_marks, validate, write_all};

// ---------------------------------------------------------------------------
// The reissued mailpiece.

#[test]
fn a_reissued_mailpiece_conforms_and_keeps_both_parts_tags_text_and_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (merged, cover, copy) = reissue(dir.path());
    let parts = [cover.as_slice(), copy.as_slice()];

    let verdicts = validate(&write_all(
        dir.path(),
        &[
            ("reissue".to_owned(), merged.clone()),
            ("plain-concat".to_owned(), naive_concat(&parts)),
        ],
    ));
    assert_conforms(&verdicts[..2]);
    assert_fails(
        &verdicts[2..],
        &[
            "PDFUA1-STRUCT-TREE-ROOT-001",
            "PDFUA1-ID-PART-001",
            "PDFA2A-DEVICE-GRAY-001",
            "PDFA2A-TRAILER-ID-001",
        ],
    );

    // Each part's elements, in order, under a Part element of its own.
    let joined = part_roles(&merged);
    assert_eq!(joined.len(), 2);
    for ((title, roles), part) in joined.iter().zip(parts) {
        assert_eq!(*roles, own_roles(part), "{title}");
        assert_eq!(title, &info_title(part));
        for role in ["H1", "H2", "P"] {
            assert!(roles.iter().any(|r| r == role), "{title}: no {role}");
        }
    }
    assert_tree_is_whole(&merged);

    // The text and the pixels are the parts', one after the other.
    assert_eq!(
        squash(&pdf_text(&merged)),
        squash(&format!("{}{}", pdf_text(&cover), pdf_text(&copy)))
    );
    let mut expected = page_images(&cover);
    expected.extend(page_images(&copy));
    let got = page_images(&merged);
    assert_eq!(got.len(), expected.len());
    for (n, (a, b)) in got.iter().zip(&expected).enumerate() {
        assert!(a == b, "page {} does not look as the part's page", n + 1);
    }

    // One outline entry a part, holding the part's own outline.
    let doc = Document::load_mem(&merged).expect("lopdf");
    let top = outline(&doc, None);
    assert_eq!(
        top.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>(),
        [info_title(&cover), info_title(&copy)]
    );
    for ((_, id), part) in top.iter().zip(parts) {
        let p = Document::load_mem(part).expect("lopdf");
        let own: Vec<String> = outline(&p, None).into_iter().map(|(t, _)| t).collect();
        let under: Vec<String> = outline(&doc, Some(*id))
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(under, own);
    }

    // One set of metadata: the covering letter's title and date.
    let x = crate::tagged_pdf::xmp(&doc);
    let title = info_title(&merged);
    assert_eq!(title, info_title(&cover));
    assert!(x.contains(&format!("<rdf:li xml:lang=\"x-default\">{title}</rdf:li>")));
    assert!(
        x.contains(" xmp:CreateDate=\"2026-03-05T00:00:00Z\""),
        "{x}"
    );
    assert_eq!(info_entry(&merged, b"CreationDate"), "D:20260305000000Z");
    for id in [
        " pdfaid:part=\"2\"",
        " pdfaid:conformance=\"A\"",
        " pdfuaid:part=\"1\"",
    ] {
        assert!(x.contains(id), "{id}");
    }
}

/// Reissues a CMSL5502 letter through the CLI: (the mailpiece, the
/// covering letter alone, the copy alone).
fn reissue(d: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let recipient = serde_json::json!({
        "name": "Ms Priya Patel",
        "address": ["Flat 3", "14 Church Lane", "Leeds"],
        "postcode": "LS6 1AB",
    });
    let request = serde_json::json!({
        "id": "orig-1", "letter": "CMSL5502", "date": "2026-03-02",
        "reference": "8000 0000 0001", "recipient": recipient,
        "fields": {
            "changed-by": "client", "meeting-date": "2026-03-16", "meeting-time": "10:30",
            "meeting-location": "Jobcentre Plus, Crown House, Leeds LS2 7UZ", "reason": "payments",
        },
    });
    std::fs::write(d.join("a.json"), request.to_string()).expect("write");
    let store = d.join("o.sqlite").display().to_string();
    let ob = |now: &str, args: &[&str]| {
        let out = letterkit(d)
            .arg("outbox")
            .args(args)
            .args(["--outbox", &store, "--by", "AB1234", "--now", now])
            .output()
            .expect("letterkit runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    ob("2026-03-02T10:00:00Z", &["add", "a.json"]);
    ob("2026-03-02T17:30:00Z", &["close", "--out", "tx"]);
    let copy = ob("2026-03-03T09:00:00Z", &["pdf", "orig-1", "--out", "-"]);
    let out = ob(
        "2026-03-05T10:00:00Z",
        &["reissue", "orig-1", "--reason", "not received", "--json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let id = doc["letter"]["id"].as_str().expect("id").to_owned();
    let merged = ob("2026-03-05T10:01:00Z", &["pdf", &id, "--out", "-"]);
    // The covering letter as the outbox makes it (`cover_request`).
    let cover = serde_json::json!({
        "letter": "reissue-covering-letter", "date": "2026-03-05",
        "reference": "8000 0000 0001", "language": "en", "recipient": recipient,
        "fields": { "original-date": "2026-03-02" },
    });
    let cover = engine()
        .parse_request(&cover.to_string(), "cover.json")
        .expect("the covering letter parses");
    let cover = engine()
        .render(&cover, &letterkit::RenderOptions::default())
        .expect("renders")
        .pdf;
    (merged, cover, copy)
}

// ---------------------------------------------------------------------------
// The court bundle of each kind of pack.

#[test]
fn the_court_bundle_of_every_pack_kind_conforms_and_keeps_each_documents_tags_text_and_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut bundles = Vec::new();
    for kind in [
        "commitment",
        "liability-order",
        "county-court",
        "face-to-face",
    ] {
        bundles.push(make_bundle(d, kind));
    }
    let county = bundles
        .iter()
        .find(|b| b.kind == "county-court")
        .expect("county court");
    let plain: Vec<&[u8]> = county
        .parts
        .iter()
        .filter(|(_, _, m)| m == "application/pdf")
        .map(|(_, b, _)| b.as_slice())
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = bundles
        .iter()
        .map(|b| (b.kind.to_owned(), b.pdf.clone()))
        .collect();
    files.push(("plain-concat".to_owned(), naive_concat(&plain)));
    let verdicts = validate(&write_all(d, &files));
    assert_conforms(&verdicts[..8]);
    assert_fails(
        &verdicts[8..],
        &[
            "PDFUA1-STRUCT-TREE-ROOT-001",
            "PDFUA1-FONT-EMBEDDING-001",
            "PDFA2A-DEVICE-GRAY-001",
        ],
    );

    for b in &bundles {
        let kind = b.kind;
        let label = if kind == "face-to-face" {
            "Export page"
        } else {
            "Bundle page"
        };
        let doc = Document::load_mem(&b.pdf).expect("lopdf");
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        let total = pages.len();

        // One Part a document after the index, in pack order, each with
        // the document's own elements.
        let joined = part_roles(&b.pdf);
        assert_eq!(joined.len(), 1 + b.parts.len(), "{kind}");
        assert_eq!(joined[0].0, "Index");
        for r in ["H1", "Table", "TH", "TD", "P"] {
            assert!(joined[0].1.iter().any(|x| x == r), "{kind}: index {r}");
        }
        for ((title, roles), (file, bytes, media)) in joined[1..].iter().zip(&b.parts) {
            assert_eq!(*title, b.titles[file], "{kind}");
            match media.as_str() {
                "image/png" | "image/jpeg" => assert_eq!(*roles, ["H1", "Figure"], "{file}"),
                _ if file.contains("attachment") => assert_eq!(*roles, ["P"], "{file}"),
                _ => assert_eq!(*roles, own_roles(bytes), "{kind} {file}"),
            }
        }
        assert_tree_is_whole(&b.pdf);

        // The page number: on every page, a pagination artifact.
        for (n, page) in pages.iter().enumerate() {
            let marks = page_marks(&doc, *page);
            assert!(
                marks.iter().all(|m| m.text_outside == 0),
                "{kind} page {}: untagged text",
                n + 1
            );
            assert!(
                marks
                    .last()
                    .is_some_and(|m| m.artifact && m.pagination && m.shows_text),
                "{kind} page {}: the page number is not a pagination artifact",
                n + 1
            );
        }

        // The text: the index, then each document's, in order.
        let mut text = squash(&pdf_text(&b.pdf)) + " ";
        for n in 1..=total {
            let stamp = format!("{label} {n} of {total} ");
            assert!(text.contains(&stamp), "{kind}: {stamp}");
            text = text.replacen(&stamp, "", 1);
        }
        let mut at = text.find(": index").expect("the index heading");
        for (file, bytes, media) in &b.parts {
            let own = if media.starts_with("image/") {
                b.titles[file].clone()
            } else {
                squash(&pdf_text(bytes))
            };
            let found = text[at..]
                .find(&own)
                .unwrap_or_else(|| panic!("{kind}: {file}'s text is not next"));
            at += found + own.len();
        }
        assert_eq!(text[at..].trim(), "", "{kind}: text after the last part");

        // The pixels: each document's pages look as they do alone, below
        // the band the page number is stamped in. (Not the attached PDF:
        // its Helvetica, not embedded, is drawn in the embedded Liberation
        // Sans in the bundle, and alone in whatever font the viewer has.)
        let got = page_images(&b.pdf);
        let mut page = b.index_pages;
        for (file, bytes, media) in &b.parts {
            if media != "application/pdf" {
                page += 1;
                continue;
            }
            for own in page_images(bytes) {
                if file.contains("attachment") {
                    page += 1;
                    continue;
                }
                assert!(
                    below_band(&got[page]) == below_band(&own),
                    "{kind} {file}: page {} does not look as the document's",
                    page + 1
                );
                page += 1;
            }
        }
        assert_eq!(page, total, "{kind}");

        // The outline: the index, then a bookmark a document.
        let top: Vec<String> = outline(&doc, None).into_iter().map(|(t, _)| t).collect();
        assert_eq!(top[0], "Index");
        assert_eq!(top.len(), 1 + b.parts.len());
        for (t, (file, _, _)) in top[1..].iter().zip(&b.parts) {
            assert_eq!(*t, b.titles[file]);
        }
        assert!(
            crate::tagged_pdf::xmp(&doc).contains(" pdfuaid:part=\"1\""),
            "{kind}"
        );
    }

    // The images' Figures say what they are.
    let alts = alt_texts(&county.pdf);
    assert_eq!(alts.len(), 2, "{alts:?}");
    assert!(alts[0].contains("(sr-screenshot.png)") && alts[0].contains("an image attached"));
    assert!(alts[1].contains("(scan.jpg)"));
}

/// A pack of `kind` made from the fixtures, its bundle with every
/// document, and each document's bytes.
struct Built {
    kind: &'static str,
    pdf: Vec<u8>,
    /// (entry file, bytes, media type), in pack order.
    parts: Vec<(String, Vec<u8>, String)>,
    /// Entry file → bundle title.
    titles: std::collections::HashMap<String, String>,
    /// How many pages the index has (the bundle's page count less the documents').
    index_pages: usize,
}

fn make_bundle(d: &Path, kind: &'static str) -> Built {
    let fixture = |s: &str| root().join("fixtures/packs").join(s).display().to_string();
    let zip = format!("{kind}.zip");
    let run = |args: &[&str]| {
        let out = letterkit(d).args(args).output().expect("letterkit runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let data = fixture(&format!("{kind}/create.yaml"));
    let mut create = vec![
        "pack",
        "create",
        kind,
        &zip,
        "--date",
        "2026-03-02",
        "--data",
        &data,
    ];
    let attachments: Vec<String> = ["sr-screenshot.png", "statement.pdf", "scan.jpg"]
        .iter()
        .map(|a| fixture(&format!("attachments/{a}")))
        .collect();
    if kind == "county-court" {
        for a in &attachments {
            create.extend(["--attach", a.as_str()]);
        }
    }
    run(&create);
    if kind == "face-to-face" {
        let data = fixture("face-to-face/appointment.yaml");
        run(&[
            "pack",
            "step",
            &zip,
            "appointment",
            "--date",
            "2026-03-05",
            "--data",
            &data,
        ]);
    }
    // Every document: the court's and the internal records alike.
    let bytes = std::fs::read(d.join(&zip)).expect("the pack");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut read = |name: &str| {
        let mut f = archive.by_name(name).expect("entry");
        let mut b = Vec::new();
        f.read_to_end(&mut b).expect("read");
        b
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&read("manifest.json")).expect("manifest");
    let entries = manifest["entries"].as_array().expect("entries").clone();
    let mut args: Vec<String> = ["pack", "bundle", &zip, "--out", &format!("{kind}.pdf")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut parts = Vec::new();
    for e in &entries {
        let code = e["code"].as_str().expect("code");
        args.extend(["--include".to_owned(), code.to_owned()]);
        let file = e["file"].as_str().expect("file").to_owned();
        parts.push((
            file.clone(),
            read(&file),
            e["media-type"].as_str().expect("type").to_owned(),
        ));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args);
    let pdf = std::fs::read(d.join(format!("{kind}.pdf"))).expect("the bundle");
    let doc = Document::load_mem(&pdf).expect("lopdf");
    // The bundle's title of each document: "Title (CODE)", an attachment's
    // title alone.
    let titles = entries
        .iter()
        .map(|e| {
            let (file, title, code) = (e["file"].as_str(), e["title"].as_str(), e["code"].as_str());
            let title = match (title, code) {
                (Some(t), Some("attachment")) => t.to_owned(),
                (Some(t), Some(c)) => format!("{t} ({c})"),
                _ => panic!("an entry without a title or code"),
            };
            (file.expect("file").to_owned(), title)
        })
        .collect();
    let docs: usize = parts
        .iter()
        .map(|(_, b, m)| {
            if m == "application/pdf" {
                Document::load_mem(b).expect("lopdf").get_pages().len()
            } else {
                1
            }
        })
        .sum();
    Built {
        kind,
        index_pages: doc.get_pages().len() - docs,
        pdf,
        parts,
        titles,
    }
}

// ---------------------------------------------------------------------------
// Helpers.

/// Fails unless every verdict fails, each profile on at least one of `rules`.
fn assert_fails(verdicts: &[Verdict], rules: &[&str]) {
    assert_eq!(verdicts.len(), 2);
    for v in verdicts {
        assert!(!v.compliant, "{} passes {}", v.file, v.profile);
    }
    let failed: Vec<&String> = verdicts.iter().flat_map(|v| &v.failed).collect();
    for rule in rules {
        assert!(
            failed.iter().any(|f| f.starts_with(rule)),
            "the plain concatenation does not fail {rule}: {failed:?}"
        );
    }
}

/// The pages of `parts` joined by lopdf as letterkit did before
/// `pdf/merge.rs`: pages kept, everything else dropped.
fn naive_concat(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Document::with_version("1.7");
    let mut kids = Vec::new();
    for bytes in parts {
        let mut d = Document::load_mem(bytes).expect("lopdf");
        d.renumber_objects_with(out.max_id + 1);
        out.max_id = out.max_id.max(d.max_id);
        let pages: Vec<ObjectId> = d.get_pages().into_values().collect();
        let mut flat = Vec::new();
        for pid in &pages {
            let mut page = d.get_dictionary(*pid).expect("page").clone();
            if !page.has(b"MediaBox") {
                page.set("MediaBox", vec![0.into(), 0.into(), 595.into(), 842.into()]);
            }
            if !page.has(b"Resources") {
                let parent = page
                    .get(b"Parent")
                    .and_then(Object::as_reference)
                    .expect("parent");
                if let Ok(r) = d.get_dictionary(parent).and_then(|p| p.get(b"Resources")) {
                    page.set("Resources", r.clone());
                }
            }
            flat.push((*pid, page));
        }
        for (id, o) in std::mem::take(&mut d.objects) {
            let root = o.as_dict().is_ok_and(|dict| {
                matches!(dict.get(b"Type"), Ok(Object::Name(n)) if n == b"Catalog" || n == b"Pages")
            });
            if !root {
                out.objects.insert(id, o);
            }
        }
        for (pid, dict) in flat {
            out.objects.insert(pid, Object::Dictionary(dict));
            kids.push(pid);
        }
    }
    let pages_id = out.new_object_id();
    for pid in &kids {
        if let Ok(Object::Dictionary(d)) = out.get_object_mut(*pid) {
            d.set("Parent", pages_id);
        }
    }
    out.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.iter().map(|p| Object::Reference(*p)).collect::<Vec<_>>(),
            "Count" => kids.len() as i64,
        }),
    );
    let catalog = out.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    out.trailer.set("Root", catalog);
    out.prune_objects();
    let mut bytes = Vec::new();
    out.save_to(&mut bytes).expect("lopdf writes");
    bytes
}

fn role(doc: &Document, id: ObjectId) -> String {
    doc.get_dictionary(id)
        .and_then(|d| d.get(b"S"))
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default()
}

fn kid_elems(doc: &Document, id: ObjectId) -> Vec<ObjectId> {
    match doc.get_dictionary(id).and_then(|d| d.get(b"K")) {
        Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_reference().ok()).collect(),
        Ok(Object::Reference(r)) => vec![*r],
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|r| doc.get_dictionary(*r).is_ok_and(|d| d.has(b"S")))
    .collect()
}

/// The roles below `id`, depth first.
fn roles_under(doc: &Document, id: ObjectId, out: &mut Vec<String>) {
    for k in kid_elems(doc, id) {
        out.push(role(doc, k));
        roles_under(doc, k, out);
    }
}

fn tree_root(doc: &Document) -> ObjectId {
    doc.catalog()
        .and_then(|c| c.get(b"StructTreeRoot"))
        .and_then(Object::as_reference)
        .expect("a StructTreeRoot")
}

/// The document element of `doc` (the only kid of its tree root).
fn document_elem(doc: &Document) -> ObjectId {
    let kids = kid_elems(doc, tree_root(doc));
    assert_eq!(kids.len(), 1, "one element at the root");
    assert_eq!(role(doc, kids[0]), "Document");
    kids[0]
}

/// The roles of a single document, depth first below its Document element.
fn own_roles(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).expect("lopdf");
    let mut out = Vec::new();
    roles_under(&doc, document_elem(&doc), &mut out);
    out
}

/// A merged file's Part elements: (title, roles below it, depth first).
fn part_roles(pdf: &[u8]) -> Vec<(String, Vec<String>)> {
    let doc = Document::load_mem(pdf).expect("lopdf");
    kid_elems(&doc, document_elem(&doc))
        .into_iter()
        .map(|p| {
            assert_eq!(role(&doc, p), "Part");
            let d = doc.get_dictionary(p).expect("part");
            let title = crate::tagged_pdf::text_of(&doc, d, b"T");
            let mut roles = Vec::new();
            roles_under(&doc, p, &mut roles);
            (title, roles)
        })
        .collect()
}

/// Every page's MCIDs are each held by the element the parent tree names,
/// every element is reached once, and every element's /P is its parent.
fn assert_tree_is_whole(pdf: &[u8]) {
    let doc = Document::load_mem(pdf).expect("lopdf");
    let tree = StructTree::read(&doc);
    for (n, page_id) in doc.get_pages().into_values().enumerate() {
        let key = doc
            .get_dictionary(page_id)
            .and_then(|p| p.get(b"StructParents"))
            .and_then(Object::as_i64)
            .unwrap_or_else(|_| panic!("page {}: no /StructParents", n + 1));
        let mcids: Vec<i64> = page_marks(&doc, page_id)
            .iter()
            .filter_map(|m| m.mcid)
            .collect();
        let parents = &tree.parent_tree[&key];
        assert_eq!(parents.len(), mcids.len(), "page {}", n + 1);
        for (mcid, elem) in parents.iter().enumerate() {
            assert!(
                tree.content
                    .get(elem)
                    .is_some_and(|held| held.contains(&(page_id, mcid as i64))),
                "page {}: MCID {mcid}'s element does not hold it",
                n + 1
            );
        }
    }
    let mut seen = HashSet::new();
    assert!(
        tree.order.iter().all(|e| seen.insert(*e)),
        "an element twice"
    );
    let mut stack = vec![tree_root(&doc)];
    while let Some(p) = stack.pop() {
        for k in kid_elems(&doc, p) {
            let parent = doc
                .get_dictionary(k)
                .and_then(|d| d.get(b"P"))
                .and_then(Object::as_reference)
                .expect("/P");
            assert_eq!(parent, p, "{} has another parent", role(&doc, k));
            stack.push(k);
        }
    }
}

/// The /Alt of every Figure, in tree order.
fn alt_texts(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).expect("lopdf");
    StructTree::read(&doc)
        .order
        .iter()
        .filter(|e| role(&doc, **e) == "Figure")
        .map(|e| crate::tagged_pdf::text_of(&doc, doc.get_dictionary(*e).expect("figure"), b"Alt"))
        .collect()
}

fn info_title(pdf: &[u8]) -> String {
    info_entry(pdf, b"Title")
}

/// An entry of the Info dictionary of `pdf`, as text.
fn info_entry(pdf: &[u8], key: &[u8]) -> String {
    let doc = Document::load_mem(pdf).expect("lopdf");
    let info: &Dictionary = doc
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .expect("Info");
    crate::tagged_pdf::text_of(&doc, info, key)
}

/// The outline items under `parent` (the outline root when None): (title, id).
fn outline(doc: &Document, parent: Option<ObjectId>) -> Vec<(String, ObjectId)> {
    let node = match parent {
        Some(id) => doc.get_dictionary(id).expect("item"),
        None => doc
            .catalog()
            .and_then(|c| c.get(b"Outlines"))
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .expect("an outline"),
    };
    let mut out = Vec::new();
    let mut next = node.get(b"First").and_then(Object::as_reference).ok();
    while let Some(id) = next {
        let d = doc.get_dictionary(id).expect("item");
        if let Some(p) = parent {
            assert_eq!(
                d.get(b"Parent").and_then(Object::as_reference).ok(),
                Some(p)
            );
        }
        out.push((crate::tagged_pdf::text_of(doc, d, b"Title"), id));
        next = d.get(b"Next").and_then(Object::as_reference).ok();
    }
    out
}

/// Each page drawn at 70 dpi (pdftoppm), as PPM bytes.
fn page_images(pdf: &[u8]) -> Vec<Vec<u8>> {
    need_poppler();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("x.pdf");
    std::fs::write(&file, pdf).expect("write");
    let status = Command::new("pdftoppm")
        .args(["-r", "70"])
        .arg(&file)
        .arg(dir.path().join("p"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ppm"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|p| std::fs::read(p).expect("ppm"))
        .collect()
}

/// A PPM page without its top 40 pixel rows (at 70 dpi, the band the
/// bundle page number is stamped in, 14 mm).
fn below_band(ppm: &[u8]) -> &[u8] {
    // "P6\nW H\n255\n", then rows of 3 bytes a pixel.
    let mut fields = 0;
    let mut at = 0;
    let mut width = 0;
    let mut number = String::new();
    while fields < 4 && at < ppm.len() {
        let c = ppm[at] as char;
        if c.is_ascii_whitespace() {
            if !number.is_empty() {
                if fields == 1 {
                    width = number.parse().expect("width");
                }
                fields += 1;
                number.clear();
            }
        } else {
            number.push(c);
        }
        at += 1;
    }
    &ppm[(at + 40 * width * 3).min(ppm.len())..]
}

// ---------------------------------------------------------------------------
// Untagged attachments.

/// An attached PDF without tags: a scan (an image, no text) becomes one
/// `Figure` a page with `/Alt`, and the bundle conforms; text in a font the
/// file does not embed and letterkit cannot stand in for (Times) keeps the
/// bundle from conforming, so the bundle claims neither PDF/A nor PDF/UA
/// and `pack bundle` says why, naming the entry.
#[test]
fn an_untagged_scan_is_a_figure_and_an_unembedded_font_drops_the_claims_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("scan.pdf"), untagged_pdf(None)).expect("write");
    std::fs::write(d.join("times.pdf"), untagged_pdf(Some("Times-Roman"))).expect("write");
    let create = root().join("fixtures/packs/county-court/create.yaml");
    let run = |args: &[&str]| {
        letterkit(d)
            .args(args)
            .env_remove("LETTERKIT_PACK_KEY")
            .output()
            .expect("letterkit runs")
    };
    for (zip, attachment) in [("scan.zip", "scan.pdf"), ("times.zip", "times.pdf")] {
        let out = run(&[
            "pack",
            "create",
            "county-court",
            zip,
            "--date",
            "2026-03-02",
            "--data",
            create.to_str().expect("utf-8"),
            "--attach",
            attachment,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(&["pack", "bundle", "scan.zip", "--out", "scan-bundle.pdf"]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not tagged"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["pack", "bundle", "times.zip", "--out", "times-bundle.pdf"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "warning: the court bundle is not tagged PDF/UA-1 and PDF/A-2a, and does not claim to be: 03-attachment-1.pdf, page 1: the font Times-Roman is not embedded, and letterkit has no font with its widths to embed instead\n"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan = std::fs::read(d.join("scan-bundle.pdf")).expect("bundle");
    let times = std::fs::read(d.join("times-bundle.pdf")).expect("bundle");

    let parts = part_roles(&scan);
    assert_eq!(
        parts.last().map(|p| p.1.clone()),
        Some(vec!["Figure".to_owned()])
    );
    let alts = alt_texts(&scan);
    assert_eq!(
        alts,
        [
            "Supporting document 1: a page without text of a PDF attached to the pack (scan.pdf), such as a scan; no description of it was given, page 1 of 1"
        ]
    );
    assert_tree_is_whole(&scan);
    let verdicts = validate(&write_all(
        d,
        &[
            ("scan".to_owned(), scan),
            ("times".to_owned(), times.clone()),
        ],
    ));
    assert_conforms(&verdicts[..2]);
    // Honest: the validator fails it, and it claims nothing.
    assert!(verdicts[2..].iter().all(|v| !v.compliant));
    let x = crate::tagged_pdf::xmp(&Document::load_mem(&times).expect("lopdf"));
    // In either XMP form: elements or attributes of the description.
    assert!(
        !x.contains("pdfuaid:part")
            && !x.contains("pdfaid:part")
            && !x.contains("pdfaid:conformance"),
        "{x}"
    );
    assert_eq!(
        part_roles(&times).last().map(|p| p.1.clone()),
        Some(vec!["P".to_owned()]),
        "its text is still a paragraph"
    );
}

/// A one-page PDF without tags: a grey image (a scan) when `font` is None,
/// else a line of text in that standard font, not embedded.
pub(crate) fn untagged_pdf(font: Option<&str>) -> Vec<u8> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let (resources, content) = match font {
        Some(f) => {
            let font = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type1", "BaseFont" => f,
            });
            (
                dictionary! { "Font" => dictionary! { "F1" => font } },
                b"BT /F1 12 Tf 72 760 Td (A statement) Tj ET".to_vec(),
            )
        }
        None => {
            let image = doc.add_object(lopdf::Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Image", "Width" => 4, "Height" => 4,
                    "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
                },
                (0..16u8).map(|i| i * 16).collect(),
            ));
            (
                dictionary! { "XObject" => dictionary! { "Im1" => image } },
                b"q 400 0 0 400 100 300 cm /Im1 Do Q".to_vec(),
            )
        }
    };
    let content = doc.add_object(lopdf::Stream::new(dictionary! {}, content));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content, "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("lopdf writes");
    bytes
}
