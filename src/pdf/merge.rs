//! Joining PDFs into one tagged PDF/UA-1 and PDF/A-2a file: the outbox's
//! reissued mailpiece (covering letter, then the exact copy) and the court
//! bundle (index, documents, attachments).
//!
//! Each part's objects are kept (renumbered with lopdf), so its pages and
//! their content stay as they are. What a plain concatenation loses is
//! joined again:
//! - the structure trees: one `StructTreeRoot` → `Document` → one `Part`
//!   element per part (its `/T` the part's title), holding the part's own
//!   top-level elements in order (a part's `Document` element is unwrapped);
//!   the parent trees' number trees joined, each part's keys moved past the
//!   previous part's, with every `/StructParents` (pages, XObjects) and
//!   `/StructParent` (annotations) moved with them; `RoleMap` and `ClassMap`
//!   joined (the first part's entry wins when two disagree);
//! - one XMP packet and Info dictionary (the same values, PDF/A-2a and
//!   PDF/UA-1 identifiers), the sRGB output intent, `/Lang`, `MarkInfo`,
//!   `DisplayDocTitle` and the file ID, all from [`PdfOptions`] (no clock);
//! - the outline: one entry per part, holding the part's own outline.
//!
//! Parts that are not tagged:
//! - an image becomes an A4 page with its title above it as an `H1` and the
//!   image as a `Figure` whose `/Alt` is the caller's description;
//! - an untagged PDF: nothing in it says how its text is organised, so each
//!   page's content becomes one element, a `P` when the page shows text and
//!   a `Figure` with `/Alt` when it does not (a scan). Text in the standard
//!   Helvetica or Helvetica-Bold that the file does not embed is shown in the
//!   embedded Liberation Sans (the same widths), so it is real, embedded,
//!   Unicode-mapped text. Other fonts the file does not embed, CMYK colour
//!   and unmarked annotations cannot be made to conform here:
//!   [`Merged::not_conforming`] names such parts, and then the file makes
//!   no PDF/A or PDF/UA claim (no identifiers in its XMP).
//!
//! A stamp (`Bundle page 3 of 12`) drawn on every page is a pagination
//! artifact in the embedded Liberation Sans Bold.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};
use sha2::{Digest, Sha256};

use super::{FontObjects, GlyphSet, PdfOptions, SRGB};
use crate::fonts::{FontId, FontSet};

/// A4 in points.
const A4: (f32, f32) = (595.28, 841.89);
/// One millimetre in points.
const MM: f32 = 72.0 / 25.4;
/// The resource names of letterkit's own fonts on merged pages.
const REGULAR: &str = "LKMergeRegular";
const BOLD: &str = "LKMergeBold";

/// What a part is made of.
pub(crate) enum Source<'a> {
    /// A PDF, tagged (letterkit's own) or not (an attachment).
    Pdf(&'a [u8]),
    /// An image, placed on an A4 page of its own.
    Image(Image),
}

/// An image ready to become a PDF image XObject.
pub(crate) struct Image {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// The XObject's colour space, bit depth and filter.
    pub dict: Dictionary,
    /// The encoded image data.
    pub data: Vec<u8>,
}

/// One part of a merged PDF.
pub(crate) struct Part<'a> {
    /// Its pages.
    pub source: Source<'a>,
    /// Its outline entry and `Part` element title; None takes the part's
    /// own Info title.
    pub title: Option<String>,
    /// For an image or an untagged PDF's pages without text: what a
    /// screen reader says instead of the picture.
    pub alt: String,
}

/// What goes into a merged PDF besides its parts.
pub(crate) struct MergeOptions<'a> {
    /// Title, language, author, subject, dates and file identity.
    pub pdf: &'a PdfOptions,
    /// `Some("Bundle page")` stamps "Bundle page N of M" at the top right
    /// of every page.
    pub stamp: Option<&'a str>,
    /// letterkit's fonts, for the stamp, image titles and substituted text.
    pub fonts: &'a FontSet,
    /// Whether each part's outline entry starts open (its own outline
    /// showing) or closed (one line a part, as a bundle's bookmarks).
    pub open_parts: bool,
}

/// A merged PDF.
#[derive(Debug)]
pub(crate) struct Merged {
    /// The file.
    pub pdf: Vec<u8>,
    /// Total pages.
    pub pages: usize,
    /// Parts that keep the file from conforming, and why (then it claims
    /// neither PDF/A nor PDF/UA).
    pub not_conforming: Vec<(usize, String)>,
}

/// Why parts could not be merged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MergeError {
    /// A part is not a PDF lopdf can read, or has a broken page.
    #[error("part {part} cannot be read: {reason}")]
    Part {
        /// 1-based.
        part: usize,
        /// lopdf's message.
        reason: String,
    },
    /// The merged file cannot be written.
    #[error("the joined PDF cannot be written: {0}")]
    Write(String),
}

/// How an untagged page's content is marked.
#[derive(Clone, Copy, PartialEq)]
enum Wrap {
    Text,
    Figure,
}

/// A page of the output and what phase 2 still has to write on it.
struct OutPage {
    id: ObjectId,
    /// Untagged content to mark as one element (its MCID is 0).
    wrap: Option<Wrap>,
    /// Text of substituted standard fonts, rewritten in phase 2.
    substitute: Rewrites,
    /// An image page: the image XObject and its title.
    image: Option<(ObjectId, String)>,
}

/// The substituted fonts of a content stream, by resource name.
type Substitutes = BTreeMap<Vec<u8>, Substitute>;
/// Content streams to rewrite, each with its substituted fonts.
type Rewrites = Vec<(ObjectId, Substitutes)>;
/// A part's own outline: its first and last top items and visible count.
type OwnOutline = Option<(ObjectId, ObjectId, i64)>;

/// How a standard font's text is shown in Liberation Sans.
#[derive(Clone, Copy)]
struct Substitute {
    face: FontId,
    /// WinAnsiEncoding (else StandardEncoding).
    win_ansi: bool,
}

/// Joins `parts`, in order, into one tagged PDF (see the module docs).
pub(crate) fn merge(parts: &[Part], options: &MergeOptions) -> Result<Merged, MergeError> {
    let mut out = Document::with_version("1.7");
    let catalog_id = out.new_object_id();
    let struct_root = out.new_object_id();
    let doc_elem = out.new_object_id();
    let pages_id = out.new_object_id();
    let outline_id = out.new_object_id();
    let regular_id = out.new_object_id();
    let bold_id = out.new_object_id();

    let mut pages: Vec<OutPage> = Vec::new();
    let mut starts = Vec::new();
    let mut nums: Vec<(i64, Object)> = Vec::new();
    let mut next_key: i64 = 0;
    let mut role_map = Dictionary::new();
    let mut class_map = Dictionary::new();
    let mut part_elems = Vec::new();
    // Per part: title, first page, and its own outline's first and last
    // items and visible count.
    let mut outline: Vec<(String, OwnOutline)> = Vec::new();
    let mut not_conforming = Vec::new();

    for (k, part) in parts.iter().enumerate() {
        let bad = |e: &dyn std::fmt::Display| MergeError::Part {
            part: k + 1,
            reason: e.to_string(),
        };
        starts.push(pages.len());
        let part_elem;
        let mut elem = dictionary! { "Type" => "StructElem", "S" => "Part", "P" => doc_elem };
        let mut kids: Vec<Object> = Vec::new();
        let mut own_title = String::new();
        match &part.source {
            Source::Pdf(bytes) => {
                let mut d = Document::load_mem(bytes).map_err(|e| bad(&e))?;
                d.renumber_objects_with(out.max_id + 1);
                out.max_id = out.max_id.max(d.max_id);
                part_elem = out.new_object_id();
                own_title = info_title(&d);
                let catalog = d.catalog().map_err(|e| bad(&e))?.clone();
                let tree = catalog
                    .get(b"StructTreeRoot")
                    .ok()
                    .and_then(|o| o.as_reference().ok())
                    .and_then(|id| d.get_dictionary(id).ok().map(|t| (id, t.clone())));
                let page_ids: Vec<ObjectId> = d.get_pages().into_values().collect();
                let mut skip: HashSet<ObjectId> = d
                    .objects
                    .iter()
                    .filter(|(_, o)| {
                        o.as_dict().is_ok_and(|dict| {
                            matches!(dict.get(b"Type"), Ok(Object::Name(n)) if n == b"Catalog" || n == b"Pages")
                        })
                    })
                    .map(|(id, _)| *id)
                    .collect();
                let mut wraps: Vec<Option<Wrap>> = vec![None; page_ids.len()];
                let mut subs: Vec<Rewrites> = vec![Vec::new(); page_ids.len()];
                if let Some((tree_id, tree)) = tree {
                    skip.insert(tree_id);
                    let offset = next_key;
                    let mut keys = Vec::new();
                    if let Ok(pt) = tree.get(b"ParentTree") {
                        number_tree(&d, pt, &mut keys, 0);
                    }
                    let mut last = keys.iter().map(|(key, _)| *key).max().unwrap_or(-1);
                    if let Ok(n) = tree.get(b"ParentTreeNextKey").and_then(Object::as_i64) {
                        last = last.max(n - 1);
                    }
                    nums.extend(keys.into_iter().map(|(key, v)| (key + offset, v)));
                    next_key = offset + last + 1;
                    shift_struct_parents(&mut d, offset);
                    kids = top_elements(&d, tree.get(b"K").ok());
                    for kid in &mut kids {
                        match kid {
                            Object::Reference(id) => {
                                if let Ok(e) = d.get_dictionary_mut(*id) {
                                    e.set("P", part_elem);
                                }
                            }
                            Object::Dictionary(e) => e.set("P", part_elem),
                            _ => {}
                        }
                    }
                    for (key, into) in [
                        (&b"RoleMap"[..], &mut role_map),
                        (b"ClassMap", &mut class_map),
                    ] {
                        let map = tree.get(key).ok().map(|o| resolved_dict(&d, Some(o)));
                        for (name, v) in map.iter().flat_map(Dictionary::iter) {
                            if !into.has(name) {
                                into.set(name.clone(), v.clone());
                            }
                        }
                    }
                    if let Ok(lang) = catalog.get(b"Lang").and_then(lopdf::decode_text_string)
                        && lang != options.pdf.language
                    {
                        elem.set("Lang", text_string(&lang));
                    }
                } else {
                    // Untagged: each page one element, marked in phase 2.
                    for (n, pid) in page_ids.iter().enumerate() {
                        let (has_text, fonts, problems) = inspect_page(&d, *pid);
                        for p in problems {
                            not_conforming.push((k, format!("page {}: {p}", n + 1)));
                        }
                        subs[n] = fonts;
                        let w = if has_text { Wrap::Text } else { Wrap::Figure };
                        wraps[n] = Some(w);
                        let leaf = out.new_object_id();
                        let mut e = dictionary! {
                            "Type" => "StructElem",
                            "S" => if w == Wrap::Text { "P" } else { "Figure" },
                            "P" => part_elem,
                            "Pg" => *pid,
                            "K" => 0,
                        };
                        if w == Wrap::Figure {
                            e.set(
                                "Alt",
                                text_string(&format!(
                                    "{}, page {} of {}",
                                    part.alt,
                                    n + 1,
                                    page_ids.len()
                                )),
                            );
                        }
                        out.objects.insert(leaf, Object::Dictionary(e));
                        kids.push(Object::Reference(leaf));
                    }
                }
                if let Some(o) = catalog
                    .get(b"Outlines")
                    .ok()
                    .map(|o| resolved_dict(&d, Some(o)))
                {
                    outline.push((String::new(), outline_items(&d, &o)));
                } else {
                    outline.push((String::new(), None));
                }
                let mut flat = Vec::new();
                for pid in &page_ids {
                    flat.push((*pid, materialise(&d, *pid).map_err(|e| bad(&e))?));
                }
                if let Some(info) = d
                    .trailer
                    .get(b"Info")
                    .ok()
                    .and_then(|o| o.as_reference().ok())
                {
                    skip.insert(info);
                }
                for (id, o) in std::mem::take(&mut d.objects) {
                    if !skip.contains(&id) {
                        out.objects.insert(id, o);
                    }
                }
                for (n, (pid, mut dict)) in flat.into_iter().enumerate() {
                    if wraps[n].is_some() {
                        dict.set("StructParents", next_key);
                        nums.push((next_key, vec![kids[n].clone()].into()));
                        next_key += 1;
                    }
                    dict.set("Parent", pages_id);
                    out.objects.insert(pid, Object::Dictionary(dict));
                    pages.push(OutPage {
                        id: pid,
                        wrap: wraps[n],
                        substitute: std::mem::take(&mut subs[n]),
                        image: None,
                    });
                }
            }
            Source::Image(img) => {
                part_elem = out.new_object_id();
                if img
                    .dict
                    .get(b"ColorSpace")
                    .is_ok_and(|c| matches!(c, Object::Name(n) if n == b"DeviceCMYK"))
                {
                    not_conforming.push((
                        k,
                        "the image is CMYK, which a file with an sRGB output intent cannot hold"
                            .to_owned(),
                    ));
                }
                let title = part.title.clone().unwrap_or_default();
                let mut dict = img.dict.clone();
                dict.set("Type", "XObject");
                dict.set("Subtype", "Image");
                dict.set("Width", i64::from(img.width));
                dict.set("Height", i64::from(img.height));
                let image_id =
                    out.add_object(Stream::new(dict, img.data.clone()).with_compression(false));
                let page_id = out.new_object_id();
                let h1 = out.add_object(dictionary! {
                    "Type" => "StructElem", "S" => "H1", "P" => part_elem, "Pg" => page_id, "K" => 0,
                });
                let figure = out.add_object(dictionary! {
                    "Type" => "StructElem", "S" => "Figure", "P" => part_elem, "Pg" => page_id, "K" => 1,
                    "Alt" => text_string(&part.alt),
                });
                kids = vec![h1.into(), figure.into()];
                nums.push((next_key, vec![h1.into(), figure.into()].into()));
                out.objects.insert(
                    page_id,
                    Object::Dictionary(dictionary! {
                        "Type" => "Page",
                        "Parent" => pages_id,
                        "MediaBox" => vec![0.into(), 0.into(), A4.0.into(), A4.1.into()],
                        "StructParents" => next_key,
                    }),
                );
                next_key += 1;
                outline.push((String::new(), None));
                pages.push(OutPage {
                    id: page_id,
                    wrap: None,
                    substitute: Vec::new(),
                    image: Some((image_id, title)),
                });
            }
        }
        let title = part.title.clone().unwrap_or(own_title);
        if let Some(o) = outline.last_mut() {
            o.0.clone_from(&title);
        }
        elem.set("T", text_string(&title));
        elem.set("K", kids);
        out.objects.insert(part_elem, Object::Dictionary(elem));
        part_elems.push(part_elem);
    }

    // Phase 2: letterkit's own text (stamps, image titles, substituted
    // standard fonts) now that every glyph it needs is known.
    let total = pages.len();
    let stamp_label = |n: usize| options.stamp.map(|l| format!("{l} {n} of {total}"));
    let mut sets: BTreeMap<FontId, GlyphSet> = BTreeMap::new();
    let mut note = |face: FontId, text: &str| {
        let set = sets.entry(face).or_default();
        for c in text.chars() {
            if let Some(g) = options.fonts.glyph(face, c) {
                set.insert(g);
            }
        }
    };
    let mut decoded: Vec<Vec<(ObjectId, Vec<u8>)>> = Vec::new();
    for (n, p) in pages.iter().enumerate() {
        if let Some(label) = stamp_label(n + 1) {
            note(FontId::Bold, &label);
        }
        if let Some((_, title)) = &p.image {
            note(FontId::Bold, title);
        }
        let mut streams = Vec::new();
        for (stream_id, fonts) in &p.substitute {
            let Ok(Object::Stream(s)) = out.get_object(*stream_id) else {
                continue;
            };
            let Ok(data) = s.decompressed_content() else {
                continue;
            };
            for (face, text) in substituted_text(&data, fonts) {
                note(face, &text);
            }
            streams.push((*stream_id, data));
        }
        decoded.push(streams);
    }
    let used: BTreeMap<FontId, Arc<FontObjects>> = sets
        .iter()
        .filter(|(_, s)| s.gids().next().is_some())
        .map(|(f, s)| (*f, super::font_objects(options.fonts, *f, s)))
        .collect();
    for (face, id) in [(FontId::Regular, regular_id), (FontId::Bold, bold_id)] {
        if let Some(u) = used.get(&face) {
            add_font(&mut out, options.fonts, face, u, id);
        }
    }
    let encode = |face: FontId, text: &str| -> Vec<u8> {
        let Some(u) = used.get(&face) else {
            return Vec::new();
        };
        let mut b = Vec::new();
        for c in text.chars() {
            let g = options.fonts.glyph(face, c).unwrap_or(0);
            let new = u.remap.get(usize::from(g)).copied().unwrap_or(0);
            if u.one_byte {
                // The subset's ToUnicode map has one-byte codes: so must
                // the text (through the one-byte encoding CMap).
                b.push(new as u8);
            } else {
                b.extend_from_slice(&new.to_be_bytes());
            }
        }
        b
    };
    let width = |face: FontId, text: &str, size: f32| -> f32 {
        let f = options.fonts.get(face);
        text.chars()
            .map(|c| {
                let g = options.fonts.glyph(face, c).unwrap_or(0);
                f.to_pt(f.default_advance(g), size)
            })
            .sum()
    };

    for (n, (p, streams)) in pages.iter().zip(decoded).enumerate() {
        for (stream_id, data) in streams {
            let Some((_, subs)) = p.substitute.iter().find(|(s, _)| *s == stream_id) else {
                continue;
            };
            let rewritten = rewrite_text(&data, subs, &encode);
            if let Ok(Object::Stream(s)) = out.get_object_mut(stream_id) {
                s.dict.remove(b"DecodeParms");
                s.dict.set("Filter", "FlateDecode");
                s.set_content(super::deflate(&rewritten));
            }
        }
        let page = out
            .get_dictionary(p.id)
            .map_err(|e| MergeError::Write(e.to_string()))?
            .clone();
        let mut res = resolved_dict(&out, page.get(b"Resources").ok());
        let mut fonts = resolved_dict(&out, res.get(b"Font").ok());
        for (_, subs) in &p.substitute {
            for name in subs.keys() {
                fonts.remove(name);
            }
        }
        if used.contains_key(&FontId::Regular) {
            fonts.set(REGULAR, regular_id);
        }
        if used.contains_key(&FontId::Bold) {
            fonts.set(BOLD, bold_id);
        }
        res.set("Font", fonts);
        let media = media_box(&out, &page);
        let mut before = Vec::new();
        let mut after = Vec::new();
        match p.wrap {
            Some(Wrap::Text) => before.extend_from_slice(b"/P <</MCID 0>> BDC\n"),
            Some(Wrap::Figure) => before.extend_from_slice(b"/Figure <</MCID 0>> BDC\n"),
            None => {}
        }
        before.extend_from_slice(b"q\n");
        after.extend_from_slice(b"\nQ\n");
        if p.wrap.is_some() {
            after.extend_from_slice(b"EMC\n");
        }
        if let Some((image_id, title)) = &p.image {
            let mut xobjects = resolved_dict(&out, res.get(b"XObject").ok());
            xobjects.set("LKImage", *image_id);
            res.set("XObject", xobjects);
            let img = match out.get_object(*image_id) {
                Ok(Object::Stream(s)) => (
                    s.dict.get(b"Width").and_then(Object::as_i64).unwrap_or(1),
                    s.dict.get(b"Height").and_then(Object::as_i64).unwrap_or(1),
                ),
                _ => (1, 1),
            };
            after.extend_from_slice(image_content(img, &encode(FontId::Bold, title)).as_bytes());
        }
        if let Some(label) = stamp_label(n + 1) {
            // Top right, inside a 6 mm margin.
            let x = media[2] - 6.0 * MM - width(FontId::Bold, &label, 10.0);
            let y = media[3] - 6.0 * MM - 7.0;
            after.extend_from_slice(
                format!(
                    "/Artifact <</Type /Pagination /Subtype /Header>> BDC\nq 0 g BT /{BOLD} 10 Tf 1 0 0 1 {x:.2} {y:.2} Tm <{}> Tj ET Q\nEMC\n",
                    hex(&encode(FontId::Bold, &label))
                )
                .as_bytes(),
            );
        }
        let mut contents = vec![Object::Reference(add_stream(&mut out, &before))];
        match page.get(b"Contents") {
            Ok(Object::Array(a)) => contents.extend(a.iter().cloned()),
            Ok(Object::Reference(r)) => match out.get_object(*r) {
                Ok(Object::Array(a)) => contents.extend(a.iter().cloned()),
                _ => contents.push(Object::Reference(*r)),
            },
            _ => {}
        }
        contents.push(Object::Reference(add_stream(&mut out, &after)));
        let mut page = page;
        page.set("Resources", res);
        page.set("Contents", contents);
        out.objects.insert(p.id, Object::Dictionary(page));
    }

    // The page tree, structure tree, outline, metadata and catalog.
    let page_ids: Vec<ObjectId> = pages.iter().map(|p| p.id).collect();
    out.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => page_ids.iter().map(|p| Object::Reference(*p)).collect::<Vec<_>>(),
            "Count" => total as i64,
        }),
    );
    out.objects.insert(
        doc_elem,
        Object::Dictionary(dictionary! {
            "Type" => "StructElem",
            "S" => "Document",
            "P" => struct_root,
            "K" => part_elems.iter().map(|p| Object::Reference(*p)).collect::<Vec<_>>(),
        }),
    );
    nums.sort_by_key(|(k, _)| *k);
    let mut tree = dictionary! {
        "Type" => "StructTreeRoot",
        "K" => doc_elem,
        "ParentTree" => dictionary! {
            "Nums" => nums.into_iter().flat_map(|(k, v)| [Object::Integer(k), v]).collect::<Vec<_>>(),
        },
        "ParentTreeNextKey" => next_key,
    };
    if !role_map.is_empty() {
        tree.set("RoleMap", role_map);
    }
    if !class_map.is_empty() {
        tree.set("ClassMap", class_map);
    }
    out.objects.insert(struct_root, Object::Dictionary(tree));

    let mut entries = Vec::new();
    let mut all = 0;
    for ((title, own), start) in outline.iter().zip(&starts) {
        let Some(page) = page_ids.get(*start) else {
            continue;
        };
        let id = out.new_object_id();
        let mut d = dictionary! {
            "Title" => text_string(title),
            "Parent" => outline_id,
            "Dest" => vec![Object::Reference(*page), "Fit".into()],
        };
        if let Some((first, last, count)) = own {
            d.set("First", *first);
            d.set("Last", *last);
            d.set("Count", if options.open_parts { *count } else { -count });
            let mut next = Some(*first);
            let mut seen = HashSet::new();
            while let Some(item) = next.filter(|i| seen.insert(*i)) {
                let Ok(it) = out.get_dictionary_mut(item) else {
                    break;
                };
                it.set("Parent", id);
                next = it.get(b"Next").and_then(Object::as_reference).ok();
            }
            if options.open_parts {
                all += count;
            }
        }
        all += 1;
        entries.push((id, d));
    }
    let ids: Vec<ObjectId> = entries.iter().map(|(id, _)| *id).collect();
    for (k, (id, mut d)) in entries.into_iter().enumerate() {
        if k > 0 {
            d.set("Prev", ids[k - 1]);
        }
        if k + 1 < ids.len() {
            d.set("Next", ids[k + 1]);
        }
        out.objects.insert(id, Object::Dictionary(d));
    }
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        out.objects.insert(
            outline_id,
            Object::Dictionary(dictionary! {
                "Type" => "Outlines", "First" => *first, "Last" => *last, "Count" => all,
            }),
        );
    }

    let producer = concat!("letterkit ", env!("CARGO_PKG_VERSION"));
    let xmp = super::xmp::packet(options.pdf, producer, not_conforming.is_empty());
    let metadata = out.add_object(
        Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            xmp.into_bytes(),
        )
        .with_compression(false),
    );
    let icc = out.add_object(
        Stream::new(
            dictionary! {
                "N" => 3,
                "Range" => vec![0.into(), 1.into(), 0.into(), 1.into(), 0.into(), 1.into()],
                "Filter" => "FlateDecode",
            },
            super::srgb_profile().to_vec(),
        )
        .with_compression(false),
    );
    let mut catalog = dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "Lang" => text_string(&options.pdf.language),
        "ViewerPreferences" => dictionary! { "DisplayDocTitle" => true },
        "MarkInfo" => dictionary! { "Marked" => true },
        "StructTreeRoot" => struct_root,
        "Metadata" => metadata,
        "OutputIntents" => vec![Object::Dictionary(dictionary! {
            "Type" => "OutputIntent",
            "S" => "GTS_PDFA1",
            "OutputConditionIdentifier" => text_string(SRGB),
            "Info" => text_string(SRGB),
            "DestOutputProfile" => icc,
        })],
    };
    if !ids.is_empty() {
        catalog.set("Outlines", outline_id);
        catalog.set("PageMode", "UseOutlines");
    }
    out.objects.insert(catalog_id, Object::Dictionary(catalog));
    let t = options.pdf.created;
    let date = format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    );
    let info = out.add_object(dictionary! {
        "Title" => text_string(&options.pdf.title),
        "Author" => text_string(&options.pdf.author),
        "Subject" => text_string(&options.pdf.subject),
        "Creator" => text_string("letterkit"),
        "Producer" => text_string(producer),
        "CreationDate" => Object::string_literal(date.clone()),
        "ModDate" => Object::string_literal(date),
    });
    let file_id = Sha256::digest(options.pdf.ident.as_bytes());
    let file_id = Object::String(file_id[..16].to_vec(), StringFormat::Hexadecimal);
    out.trailer.set("Root", catalog_id);
    out.trailer.set("Info", info);
    out.trailer.set("ID", vec![file_id.clone(), file_id]);
    out.prune_objects();
    no_final_cr(&mut out);
    let mut bytes = Vec::new();
    out.save_to(&mut bytes)
        .map_err(|e| MergeError::Write(e.to_string()))?;
    Ok(Merged {
        pdf: bytes,
        pages: total,
        not_conforming,
    })
}

/// Stores uncompressed each Flate stream whose data ends with a carriage
/// return: lopdf writes an end-of-line before `endstream`, and a validator
/// then takes the data's own last byte for part of a `CR LF` and finds the
/// `/Length` one byte too long (PDFA2A-STREAM-LENGTH-001). The last four
/// bytes of zlib data are the Adler-32 of the plain data, so compressing
/// again, at any level, ends the same; about one stream in 256 is stored
/// plain.
fn no_final_cr(out: &mut Document) {
    for o in out.objects.values_mut() {
        let Object::Stream(s) = o else { continue };
        if s.content.last() != Some(&b'\r') {
            continue;
        }
        let flate = matches!(s.dict.get(b"Filter"), Ok(Object::Name(n)) if n == b"FlateDecode");
        if !flate || s.dict.has(b"DecodeParms") {
            continue;
        }
        let Ok(plain) = s.decompressed_content() else {
            continue;
        };
        if plain.last() != Some(&b'\r') {
            s.dict.remove(b"Filter");
            s.set_content(plain);
        }
    }
}

/// A small content stream of letterkit's own (a few operators), kept
/// uncompressed.
fn add_stream(out: &mut Document, content: &[u8]) -> ObjectId {
    out.add_object(Stream::new(Dictionary::new(), content.to_vec()).with_compression(false))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The image page's own content: the title (MCID 0) and the image scaled
/// into the page inside 20 mm margins (MCID 1).
fn image_content((w, h): (i64, i64), title: &[u8]) -> String {
    let margin = 20.0 * MM;
    let (aw, ah) = (A4.0 - 2.0 * margin, A4.1 - 2.0 * margin - 24.0);
    let (w, h) = (w.max(1) as f32, h.max(1) as f32);
    let s = (aw / w).min(ah / h);
    let (dw, dh) = (w * s, h * s);
    let x = margin + (aw - dw) / 2.0;
    let y = margin + (ah - dh);
    format!(
        "/H1 <</MCID 0>> BDC\nq 0 g BT /{BOLD} 11 Tf 1 0 0 1 {margin:.2} {:.2} Tm <{}> Tj ET Q\nEMC\n/Figure <</MCID 1>> BDC\nq {dw:.2} 0 0 {dh:.2} {x:.2} {y:.2} cm /LKImage Do Q\nEMC\n",
        A4.1 - margin,
        hex(title)
    )
}

/// A Type0 font of `face`'s subset `u` at `id` (the objects `write_font`
/// writes, as lopdf objects).
fn add_font(out: &mut Document, fonts: &FontSet, face: FontId, u: &FontObjects, id: ObjectId) {
    let f = fonts.get(face);
    let scale = 1000.0 / f32::from(f.units_per_em);
    let file = out.add_object(
        Stream::new(
            dictionary! { "Filter" => "FlateDecode", "Length1" => u.file_len as i64 },
            u.file.clone(),
        )
        .with_compression(false),
    );
    let cmap = out.add_object(
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, u.cmap.clone())
            .with_compression(false),
    );
    // One-byte codes go through the writer's shared encoding CMap; two-byte
    // codes through Identity-H, as `write_pdf` chooses them.
    let encoding = if u.one_byte {
        out.add_object(
            Stream::new(
                dictionary! {
                    "Type" => "CMap",
                    "CMapName" => Object::Name(super::ONE_BYTE_CMAP.to_vec()),
                    "CIDSystemInfo" => dictionary! {
                        "Registry" => Object::string_literal("Adobe"),
                        "Ordering" => Object::string_literal("Identity"),
                        "Supplement" => 0,
                    },
                    "WMode" => 0,
                    "Filter" => "FlateDecode",
                },
                super::one_byte_cmap().to_vec(),
            )
            .with_compression(false),
        )
        .into()
    } else {
        Object::Name(b"Identity-H".to_vec())
    };
    let b = f.bbox;
    let flags = if f.weight >= 600 { 32 | (1 << 18) } else { 32 };
    let descriptor = out.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => Object::Name(u.base_name.as_bytes().to_vec()),
        "Flags" => flags,
        "FontBBox" => vec![
            (f32::from(b[0]) * scale).into(),
            (f32::from(b[1]) * scale).into(),
            (f32::from(b[2]) * scale).into(),
            (f32::from(b[3]) * scale).into(),
        ],
        "ItalicAngle" => f.italic_angle,
        "Ascent" => f32::from(f.ascender) * scale,
        "Descent" => f32::from(f.descender) * scale,
        "CapHeight" => f32::from(f.cap_height) * scale,
        "StemV" => if f.weight >= 600 { 140 } else { 80 },
        "FontFile2" => file,
    });
    let cid = out.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => Object::Name(u.base_name.as_bytes().to_vec()),
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "DW" => 0,
        "W" => vec![0.into(), u.widths.iter().map(|w| Object::Real(*w)).collect::<Vec<_>>().into()],
        "CIDToGIDMap" => "Identity",
    });
    out.objects.insert(
        id,
        Object::Dictionary(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => Object::Name(u.base_name.as_bytes().to_vec()),
            "Encoding" => encoding,
            "DescendantFonts" => vec![cid.into()],
            "ToUnicode" => cmap,
        }),
    );
}

/// The Info dictionary's title of `d`, or "".
fn info_title(d: &Document) -> String {
    d.trailer
        .get(b"Info")
        .and_then(|o| d.dereference(o))
        .and_then(|(_, o)| o.as_dict())
        .and_then(|i| i.get(b"Title"))
        .and_then(|t| d.dereference(t))
        .and_then(|(_, t)| lopdf::decode_text_string(t))
        .unwrap_or_default()
}

/// Collects the entries of a number tree (at most 32 levels deep).
fn number_tree(d: &Document, node: &Object, out: &mut Vec<(i64, Object)>, depth: usize) {
    if depth > 32 {
        return;
    }
    let Ok((_, Object::Dictionary(node))) = d.dereference(node) else {
        return;
    };
    if let Ok((_, Object::Array(nums))) = node.get(b"Nums").and_then(|n| d.dereference(n)) {
        for pair in nums.chunks(2) {
            if let [Object::Integer(k), v] = pair {
                out.push((*k, v.clone()));
            }
        }
    }
    if let Ok((_, Object::Array(kids))) = node.get(b"Kids").and_then(|n| d.dereference(n)) {
        for kid in kids {
            number_tree(d, kid, out, depth + 1);
        }
    }
}

/// Moves every `/StructParents` and `/StructParent` key in `d` by `offset`.
fn shift_struct_parents(d: &mut Document, offset: i64) {
    for o in d.objects.values_mut() {
        let dict = match o {
            Object::Dictionary(dict) => dict,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        for key in [&b"StructParents"[..], b"StructParent"] {
            if let Ok(Object::Integer(k)) = dict.get_mut(key) {
                *k += offset;
            }
        }
    }
}

/// The top-level elements of a structure tree whose `/K` is `k`: the kids
/// of its `Document` element when that is all it holds (one document
/// element per file, not one per part).
fn top_elements(d: &Document, k: Option<&Object>) -> Vec<Object> {
    let list = |o: Option<&Object>| -> Vec<Object> {
        match o.map(|o| d.dereference(o).map(|(_, x)| x)) {
            Some(Ok(Object::Array(a))) => a.clone(),
            Some(Ok(Object::Null)) | None => Vec::new(),
            Some(_) => o.cloned().into_iter().collect(),
        }
    };
    let top = list(k);
    if let [Object::Reference(id)] = top.as_slice()
        && let Ok(e) = d.get_dictionary(*id)
        && e.get(b"S")
            .and_then(Object::as_name)
            .is_ok_and(|s| s == b"Document")
    {
        let kids = list(e.get(b"K").ok());
        if kids
            .iter()
            .all(|k| matches!(k, Object::Reference(_) | Object::Dictionary(_)))
            && kids.iter().all(|k| {
                let dict = match k {
                    Object::Reference(r) => d.get_dictionary(*r).ok(),
                    Object::Dictionary(x) => Some(x),
                    _ => None,
                };
                // Structure elements, not marked-content references.
                dict.is_some_and(|x| x.has(b"S"))
            })
        {
            return kids;
        }
    }
    top
}

/// The first and last top-level items of an outline and its visible count,
/// with the items' `/Parent` left for the caller.
fn outline_items(d: &Document, root: &Dictionary) -> OwnOutline {
    let first = root.get(b"First").and_then(Object::as_reference).ok()?;
    let last = root.get(b"Last").and_then(Object::as_reference).ok()?;
    let mut count = 0;
    let mut next = Some(first);
    let mut seen = HashSet::new();
    while let Some(id) = next.filter(|i| seen.insert(*i)) {
        let item = d.get_dictionary(id).ok()?;
        count += 1 + item
            .get(b"Count")
            .and_then(Object::as_i64)
            .unwrap_or(0)
            .max(0);
        next = item.get(b"Next").and_then(Object::as_reference).ok();
    }
    Some((first, last, count))
}

/// The page dictionary of `pid` with its inherited attributes made its own.
pub(crate) fn materialise(d: &Document, pid: ObjectId) -> Result<Dictionary, lopdf::Error> {
    let mut page = d.get_dictionary(pid)?.clone();
    for key in [&b"Resources"[..], b"MediaBox", b"CropBox", b"Rotate"] {
        if page.has(key) {
            continue;
        }
        let mut seen = HashSet::new();
        let mut parent = page.get(b"Parent").and_then(Object::as_reference).ok();
        while let Some(p) = parent {
            if !seen.insert(p) {
                break;
            }
            let Ok(node) = d.get_dictionary(p) else { break };
            if let Ok(v) = node.get(key) {
                page.set(key.to_vec(), v.clone());
                break;
            }
            parent = node.get(b"Parent").and_then(Object::as_reference).ok();
        }
    }
    if !page.has(b"MediaBox") {
        page.set(
            "MediaBox",
            vec![0.into(), 0.into(), A4.0.into(), A4.1.into()],
        );
    }
    Ok(page)
}

fn resolved_dict(doc: &Document, o: Option<&Object>) -> Dictionary {
    match o {
        Some(Object::Dictionary(d)) => d.clone(),
        Some(Object::Reference(id)) => doc.get_dictionary(*id).cloned().unwrap_or_default(),
        _ => Dictionary::new(),
    }
}

fn number(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        _ => 0.0,
    }
}

fn media_box(doc: &Document, page: &Dictionary) -> [f32; 4] {
    let a = match page.get(b"MediaBox") {
        Ok(Object::Array(a)) => Some(a),
        Ok(Object::Reference(id)) => doc.get_object(*id).and_then(Object::as_array).ok(),
        _ => None,
    };
    match a {
        Some(a) if a.len() == 4 => [number(&a[0]), number(&a[1]), number(&a[2]), number(&a[3])],
        _ => [0.0, 0.0, A4.0, A4.1],
    }
}

/// A PDF text string: literal for ASCII, UTF-16BE with a BOM otherwise.
pub(crate) fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        Object::string_literal(s)
    } else {
        let mut b = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(b, StringFormat::Hexadecimal)
    }
}

/// The standard fonts shown in Liberation Sans: Helvetica and Arial have
/// the same widths.
fn substitute_face(base: &[u8]) -> Option<FontId> {
    match base {
        b"Helvetica" | b"Arial" | b"ArialMT" => Some(FontId::Regular),
        b"Helvetica-Bold" | b"Arial-Bold" | b"Arial,Bold" | b"Arial-BoldMT" => Some(FontId::Bold),
        _ => None,
    }
}

/// An untagged page: whether it shows text, the content streams to rewrite
/// with the fonts to substitute in each, and what keeps it from conforming.
#[allow(clippy::type_complexity)]
fn inspect_page(
    d: &Document,
    pid: ObjectId,
) -> (
    bool,
    Vec<(ObjectId, BTreeMap<Vec<u8>, Substitute>)>,
    Vec<String>,
) {
    let mut problems = Vec::new();
    let mut subs = BTreeMap::new();
    let page = materialise(d, pid).unwrap_or_default();
    let res = resolved_dict(d, page.get(b"Resources").ok());
    let fonts = resolved_dict(d, res.get(b"Font").ok());
    for (name, f) in fonts.iter() {
        let f = resolved_dict(d, Some(f));
        let base = f.get(b"BaseFont").and_then(Object::as_name).unwrap_or(b"");
        let embedded = f
            .get(b"FontDescriptor")
            .ok()
            .map(|fd| resolved_dict(d, Some(fd)))
            .is_some_and(|fd| fd.has(b"FontFile") || fd.has(b"FontFile2") || fd.has(b"FontFile3"));
        let simple = matches!(
            f.get(b"Subtype").and_then(Object::as_name),
            Ok(b"Type1" | b"TrueType")
        );
        let type0 = matches!(f.get(b"Subtype").and_then(Object::as_name), Ok(b"Type0"));
        if type0 && !f.has(b"ToUnicode") {
            problems.push(format!(
                "the font {} maps its glyphs to no characters (no ToUnicode)",
                String::from_utf8_lossy(base)
            ));
        }
        if embedded || type0 {
            continue;
        }
        let encoding = match f.get(b"Encoding") {
            Err(_) => Some(false),
            Ok(Object::Name(n)) if n == b"WinAnsiEncoding" => Some(true),
            Ok(Object::Name(n)) if n == b"StandardEncoding" => Some(false),
            _ => None,
        };
        match (simple, substitute_face(base), encoding) {
            (true, Some(face), Some(win_ansi)) => {
                subs.insert(name.clone(), Substitute { face, win_ansi });
            }
            _ => problems.push(format!(
                "the font {} is not embedded, and letterkit has no font with its widths to embed instead",
                String::from_utf8_lossy(base)
            )),
        }
    }
    let ops = Content::decode(&d.get_page_content(pid))
        .map(|c| c.operations)
        .unwrap_or_default();
    let cmyk_name = |o: &Object| matches!(o, Object::Name(n) if n == b"DeviceCMYK");
    let cmyk_ops = ops.iter().any(|o| {
        matches!(o.operator.as_str(), "k" | "K")
            || (matches!(o.operator.as_str(), "cs" | "CS") && o.operands.iter().any(cmyk_name))
    });
    let spaces = resolved_dict(d, res.get(b"ColorSpace").ok());
    let images = resolved_dict(d, res.get(b"XObject").ok());
    let cmyk_resources = spaces.iter().any(|(_, v)| cmyk_name(v))
        || images.iter().any(|(_, x)| {
            let x = x.as_reference().ok().and_then(|id| d.get_object(id).ok());
            matches!(x, Some(Object::Stream(s)) if s.dict.get(b"ColorSpace").is_ok_and(cmyk_name))
        });
    if cmyk_ops || cmyk_resources {
        problems.push(
            "it uses CMYK colour, which a file with an sRGB output intent cannot hold".into(),
        );
    }
    if page.has(b"Annots") {
        problems.push("it has annotations (links, comments) that are not tagged".into());
    }
    let has_text = ops.iter().any(|o| is_show(&o.operator));
    let streams = if subs.is_empty() {
        Vec::new()
    } else {
        d.get_page_contents(pid)
            .into_iter()
            .map(|s| (s, subs.clone()))
            .collect()
    };
    (has_text, streams, problems)
}

fn is_show(op: &str) -> bool {
    matches!(op, "Tj" | "TJ" | "'" | "\"")
}

/// The substituted font a `Tf` operator selects, if it is one.
fn selected(op: &lopdf::content::Operation, fonts: &Substitutes) -> Option<Substitute> {
    op.operands
        .first()
        .and_then(|n| n.as_name().ok())
        .and_then(|n| fonts.get(n).copied())
}

/// The text shown in substituted fonts in a content stream, per face.
fn substituted_text(data: &[u8], fonts: &Substitutes) -> Vec<(FontId, String)> {
    let mut found = Vec::new();
    let Ok(content) = Content::decode(data) else {
        return found;
    };
    let mut current: Option<Substitute> = None;
    for op in &content.operations {
        if op.operator == "Tf" {
            current = selected(op, fonts);
        } else if is_show(&op.operator)
            && let Some(s) = current
        {
            for o in &op.operands {
                for bytes in strings(o) {
                    found.push((
                        s.face,
                        bytes.iter().map(|b| decode_byte(*b, s.win_ansi)).collect(),
                    ));
                }
            }
        }
    }
    found
}

fn strings(o: &Object) -> Vec<&[u8]> {
    match o {
        Object::String(b, _) => vec![b.as_slice()],
        Object::Array(a) => a.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// The content stream with the substituted fonts' strings re-encoded as
/// two-byte glyph ids of letterkit's subset, and their `Tf` naming it.
fn rewrite_text(
    data: &[u8],
    fonts: &Substitutes,
    encode: &dyn Fn(FontId, &str) -> Vec<u8>,
) -> Vec<u8> {
    let Ok(mut content) = Content::decode(data) else {
        return data.to_vec();
    };
    let mut current: Option<Substitute> = None;
    let recode = |o: &mut Object, s: Substitute| {
        fn walk(o: &mut Object, f: &dyn Fn(&[u8]) -> Vec<u8>) {
            match o {
                Object::String(b, fmt) => {
                    *b = f(b);
                    *fmt = StringFormat::Hexadecimal;
                }
                Object::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
                _ => {}
            }
        }
        walk(o, &|b: &[u8]| {
            let text: String = b.iter().map(|c| decode_byte(*c, s.win_ansi)).collect();
            encode(s.face, &text)
        });
    };
    for op in &mut content.operations {
        if op.operator == "Tf" {
            current = selected(op, fonts);
            if let (Some(s), Some(first)) = (current, op.operands.first_mut()) {
                let name = if s.face == FontId::Bold {
                    BOLD
                } else {
                    REGULAR
                };
                *first = Object::Name(name.as_bytes().to_vec());
            }
        } else if is_show(&op.operator)
            && let Some(s) = current
        {
            for o in &mut op.operands {
                recode(o, s);
            }
        }
    }
    content.encode().unwrap_or_else(|_| data.to_vec())
}

/// A byte of a simple font's string as a character: WinAnsiEncoding, or
/// StandardEncoding (which differs in the quotes and above 127).
fn decode_byte(b: u8, win_ansi: bool) -> char {
    const WIN_80: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match (b, win_ansi) {
        (b'\'', false) => '’',
        (b'`', false) => '‘',
        (0x20..=0x7E, _) => char::from(b),
        (0x80..=0x9F, true) => WIN_80[usize::from(b - 0x80)],
        (0xA0..=0xFF, true) => char::from(b),
        _ => ' ',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flate_stream_ending_in_cr_is_stored_plain() {
        // Find data whose zlib form ends in CR (its Adler-32's last byte).
        let plain = (1..2000)
            .map(|n| vec![b'a'; n])
            .find(|p| super::super::deflate(p).last() == Some(&b'\r'))
            .expect("one in 256 does");
        let mut doc = Document::with_version("1.7");
        let id = doc.add_object(
            Stream::new(
                dictionary! { "Filter" => "FlateDecode" },
                super::super::deflate(&plain),
            )
            .with_compression(false),
        );
        let kept = doc.add_object(
            Stream::new(
                dictionary! { "Filter" => "FlateDecode" },
                super::super::deflate(b"q Q\n"),
            )
            .with_compression(false),
        );
        no_final_cr(&mut doc);
        let s = doc
            .get_object(id)
            .and_then(Object::as_stream)
            .expect("stream");
        assert!(s.dict.get(b"Filter").is_err());
        assert_eq!(s.content, plain);
        let k = doc
            .get_object(kept)
            .and_then(Object::as_stream)
            .expect("stream");
        assert!(k.dict.get(b"Filter").is_ok(), "others stay compressed");
    }

    #[test]
    fn standard_and_win_ansi_bytes_decode_as_their_characters() {
        assert_eq!(decode_byte(b'A', false), 'A');
        assert_eq!(decode_byte(b'\'', false), '’');
        assert_eq!(decode_byte(b'\'', true), '\'');
        assert_eq!(decode_byte(0x80, true), '€');
        assert_eq!(decode_byte(0xA3, true), '£');
    }
}
