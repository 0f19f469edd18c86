//! Proofs: letter variants laid out as the real letter is, on pages marked
//! as a proof, with a band on top naming the variant and the paragraph
//! codes in the left margin beside the lines they put in. A proof is an
//! internal document, never posted: its marks sit outside the body of the
//! letter, where no real letter prints anything.

use sha2::{Digest, Sha256};

use super::Variant;
use crate::Engine;
use crate::fonts::{FontId, FontSet};
use crate::layout::{self, Item, Page, TextRun};
use crate::pdf::{PdfOptions, Timestamp};

const MM: f32 = layout::MM;
const LEFT: f32 = 20.0 * MM;
const RIGHT: f32 = 190.0 * MM;
const MARGIN_X: f32 = 3.0 * MM;
const MARGIN_SIZE: f32 = 6.5;
const BAND_SIZE: f32 = 7.5;
const BAND_Y: f32 = 6.0 * MM;

/// One variant to prove: which engine renders it (old or new catalog, for
/// a diff), its band, and the variant.
pub struct ProofItem<'a> {
    /// The engine whose catalog the variant is rendered with.
    pub engine: &'a Engine,
    /// The band's first words (`PROOF`, `OLD`, `NEW`).
    pub mark: String,
    /// The variant.
    pub variant: Variant,
}

/// What a proof holds.
#[derive(Debug, Clone)]
pub struct Proof {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Its pages.
    pub pages: usize,
    /// The text of the cover page(s), one line each (empty: no cover).
    pub contents: Vec<String>,
    /// Where each item's pages are: (first page, 0-based; page count).
    pub spans: Vec<(usize, usize)>,
}

/// A problem making a proof.
#[derive(Debug, thiserror::Error)]
#[error("{letter} ({variant}): {source}")]
#[non_exhaustive]
pub struct ProofError {
    /// Letter code.
    pub letter: String,
    /// The variant's title.
    pub variant: String,
    /// What went wrong.
    #[source]
    pub source: Box<crate::Error>,
}

/// One line of `text` in `font` at (`x`, `y`), words shaped as the body's are.
pub fn line(fonts: &FontSet, font: FontId, size: f32, x: f32, y: f32, text: &str) -> TextRun {
    let mut glyphs = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0
            && let Some(g) = fonts.shape(font, " ").glyphs.first()
        {
            glyphs.push(*g);
        }
        if !word.is_empty() {
            glyphs.extend_from_slice(&fonts.shape(font, word).glyphs);
        }
    }
    TextRun {
        font,
        size,
        x,
        y,
        glyphs,
        text: text.to_owned(),
        // A proof's bands and margin codes are read as paragraphs of their own.
        tag: crate::layout::Tag::Unassigned,
    }
}

/// `text` broken into lines no wider than `width` at `size`.
pub(crate) fn wrap(
    fonts: &FontSet,
    font: FontId,
    size: f32,
    width: f32,
    text: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let trial = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if !cur.is_empty() && fonts.measure(font, size, &trial) > width {
            out.push(std::mem::take(&mut cur));
            cur = word.to_owned();
        } else {
            cur = trial;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words of `s`, lower case, punctuation trimmed, for matching laid-out
/// lines with wording.
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The laid-out lines of a page: (baseline, text), top to bottom.
fn page_lines(page: &Page) -> Vec<(f32, String)> {
    let mut lines: Vec<(f32, String)> = Vec::new();
    for item in &page.items {
        if let Item::Text(r) = item {
            match lines.iter_mut().find(|(y, _)| (*y - r.y).abs() < 0.5) {
                Some((_, t)) => {
                    t.push(' ');
                    t.push_str(&r.text);
                }
                None => lines.push((r.y, r.text.clone())),
            }
        }
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines
}

/// Puts `label` in the left margin beside the first line where `wording`
/// starts; true when it found one.
fn mark_margin(fonts: &FontSet, pages: &mut [Page], label: &str, wording: &str) -> bool {
    let want = words(wording);
    let n = want.len().min(4);
    if n == 0 {
        return false;
    }
    let want = &want[..n];
    for page in pages.iter_mut() {
        let hit = page_lines(page).into_iter().find(|(_, text)| {
            let have = words(text);
            have.windows(n).any(|w| w == want)
        });
        if let Some((y, _)) = hit {
            let parts: Vec<&str> = match label.split_once(": ") {
                Some((a, b)) => vec![a, b],
                None => vec![label],
            };
            for (i, p) in parts.iter().enumerate() {
                let text = if i == 0 && parts.len() > 1 {
                    format!("{p}:")
                } else {
                    (*p).to_owned()
                };
                // Smaller rather than into the body.
                let room = LEFT - MARGIN_X - 1.5 * MM;
                let w = fonts.measure(FontId::Bold, MARGIN_SIZE, &text);
                let size = if w > room {
                    MARGIN_SIZE * room / w
                } else {
                    MARGIN_SIZE
                };
                page.items.push(Item::Text(line(
                    fonts,
                    FontId::Bold,
                    size,
                    MARGIN_X,
                    y + i as f32 * (MARGIN_SIZE + 1.5),
                    &text,
                )));
            }
            return true;
        }
    }
    false
}

/// The band on top of a proof page: the mark, the letter, the variant, the
/// proof's page number.
fn band(fonts: &FontSet, page: &mut Page, left: &str) {
    // Room for the proof page number (added last, see `proof`).
    let rw = fonts.measure(FontId::Regular, BAND_SIZE, "proof page 9999 of 9999");
    let lines = wrap(
        fonts,
        FontId::Bold,
        BAND_SIZE,
        RIGHT - LEFT - rw - 6.0,
        left,
    );
    let n = lines.len().clamp(1, 2);
    for (i, l) in lines.iter().take(2).enumerate() {
        page.items.push(Item::Text(line(
            fonts,
            FontId::Bold,
            BAND_SIZE,
            LEFT,
            BAND_Y + i as f32 * (BAND_SIZE + 1.5),
            l,
        )));
    }
    let rule = BAND_Y + (n - 1) as f32 * (BAND_SIZE + 1.5) + 3.0;
    page.items.push(Item::Rule {
        x1: LEFT,
        y1: rule,
        x2: RIGHT,
        y2: rule,
        width: 0.4,
    });
}

/// Cover pages listing `contents`, one line each, under `title`.
fn cover(fonts: &FontSet, title: &str, subtitle: &[String], contents: &[String]) -> Vec<Page> {
    const SIZE: f32 = 9.5;
    const LEAD: f32 = 12.5;
    let bottom = 280.0 * MM;
    let mut pages = vec![Page::default()];
    let mut y = 25.0 * MM;
    let push = |pages: &mut Vec<Page>, y: &mut f32, font: FontId, size: f32, text: &str| {
        if *y > bottom {
            pages.push(Page::default());
            *y = 20.0 * MM;
        }
        if let Some(p) = pages.last_mut() {
            p.items
                .push(Item::Text(line(fonts, font, size, LEFT, *y, text)));
        }
    };
    push(&mut pages, &mut y, FontId::Bold, 16.0, title);
    y += 9.0 * MM;
    for s in subtitle {
        for l in wrap(fonts, FontId::Regular, SIZE, RIGHT - LEFT, s) {
            push(&mut pages, &mut y, FontId::Regular, SIZE, &l);
            y += LEAD;
        }
    }
    y += LEAD;
    for c in contents {
        let bold = !c.starts_with(' ');
        let font = if bold { FontId::Bold } else { FontId::Regular };
        if bold {
            y += 4.0;
        }
        for (i, l) in wrap(fonts, font, SIZE, RIGHT - LEFT - 12.0, c.trim_start())
            .iter()
            .enumerate()
        {
            let indent = if bold { "" } else { "      " };
            let more = if i > 0 { "      " } else { "" };
            push(
                &mut pages,
                &mut y,
                font,
                SIZE,
                &format!("{indent}{more}{l}"),
            );
            y += LEAD;
        }
    }
    pages
}

/// The pages of one variant, marked as a proof: its band and the margin codes.
fn variant_pages(
    item: &ProofItem<'_>,
    number: usize,
    total: usize,
) -> Result<(Vec<Page>, Vec<String>), ProofError> {
    let engine = item.engine;
    let v = &item.variant;
    let err = |e: crate::Error| ProofError {
        letter: v.letter.clone(),
        variant: v.title(),
        source: Box::new(e),
    };
    let mut pages = engine.layout(&v.request).map_err(err)?;
    let mut unmarked = Vec::new();
    if let Some(letter) = engine.catalog().letter(&v.letter) {
        for (label, wording) in v.selections(engine.catalog(), letter) {
            if !mark_margin(engine.fonts(), &mut pages, &label, &wording) {
                unmarked.push(label);
            }
        }
    }
    let left = format!(
        "{} {} · variant {number} of {total}: {}",
        item.mark,
        v.letter,
        v.title()
    );
    for p in &mut pages {
        band(engine.fonts(), p, &left);
    }
    Ok((pages, unmarked))
}

/// Everything a proof PDF is written with; fixed so that the same catalog
/// gives the same bytes.
fn write(fonts: &FontSet, pages: &[Page], title: &str, ident: &str) -> Vec<u8> {
    let id: String = Sha256::digest(ident.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    crate::pdf::write_pdf(
        pages,
        fonts,
        &PdfOptions {
            title: title.to_owned(),
            language: "en-GB".into(),
            author: "letterkit proof".into(),
            subject: "Proof for sign-off (internal, not to be sent)".into(),
            created: Timestamp {
                year: 2026,
                month: 1,
                day: 1,
                ..Default::default()
            },
            ident: id,
        },
    )
}

/// A proof of `items`: with `title`, a cover page listing every variant
/// and the page it starts on; then each variant's pages, each page with a
/// band naming the variant and its proof page number, and the paragraph
/// codes in the margin. Without a title, no cover (a diff's old and new).
///
/// # Errors
/// [`ProofError`] when a variant does not render.
pub fn proof(
    fonts: &FontSet,
    title: Option<(&str, &[String])>,
    items: &[ProofItem<'_>],
) -> Result<Proof, ProofError> {
    // Variants are numbered within their letter (and mark).
    let mut numbered = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let key = |it: &ProofItem<'_>| (it.variant.letter.clone(), it.mark.clone());
        let total = items.iter().filter(|o| key(o) == key(item)).count();
        let number = items[..i].iter().filter(|o| key(o) == key(item)).count() + 1;
        numbered.push((number, total));
    }
    let mut bodies = Vec::new();
    for (item, (n, t)) in items.iter().zip(&numbered) {
        bodies.push(variant_pages(item, *n, *t)?);
    }
    // The contents: letter lines, then one line per variant with its page.
    let contents_for = |first_page: usize| -> Vec<String> {
        let mut out = Vec::new();
        let mut page = first_page;
        let mut last_letter = String::new();
        for (item, (pages, _)) in items.iter().zip(&bodies) {
            let v = &item.variant;
            if v.letter != last_letter {
                let title = item
                    .engine
                    .catalog()
                    .letter(&v.letter)
                    .map_or("", |l| l.title.as_str());
                let n = items
                    .iter()
                    .filter(|o| o.variant.letter == v.letter)
                    .count();
                out.push(format!("{} {title}: {n} variants", v.letter));
                last_letter = v.letter.clone();
            }
            let codes: Vec<String> = item
                .engine
                .catalog()
                .letter(&v.letter)
                .map(|l| {
                    v.selections(item.engine.catalog(), l)
                        .into_iter()
                        .map(|(label, _)| label)
                        .collect()
                })
                .unwrap_or_default();
            let codes = if codes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", codes.join(", "))
            };
            out.push(format!(
                "  {}. {}{codes}: page {page}",
                out.iter().rev().take_while(|l| l.starts_with(' ')).count() + 1,
                v.title()
            ));
            page += pages.len();
        }
        out
    };
    let mut all = Vec::new();
    let mut contents = Vec::new();
    if let Some((title, subtitle)) = title {
        // Two passes: the cover's length decides where the variants start.
        let mut n_cover = 1;
        loop {
            contents = contents_for(n_cover + 1);
            let c = cover(fonts, title, subtitle, &contents);
            if c.len() == n_cover {
                all = c;
                break;
            }
            n_cover = c.len();
        }
    }
    let mut spans = Vec::with_capacity(bodies.len());
    for (pages, _) in bodies {
        spans.push((all.len(), pages.len()));
        all.extend(pages);
    }
    let total = all.len();
    // A proof's pages are numbered; a diff's old and new are put side by side.
    for (i, p) in all.iter_mut().enumerate().filter(|_| title.is_some()) {
        let right = format!("proof page {} of {total}", i + 1);
        let rw = fonts.measure(FontId::Regular, BAND_SIZE, &right);
        p.items.push(Item::Text(line(
            fonts,
            FontId::Regular,
            BAND_SIZE,
            RIGHT - rw,
            BAND_Y,
            &right,
        )));
    }
    let name = title.map_or("Proof: old and new", |(t, _)| t);
    let ident = format!(
        "{name}{}",
        items
            .iter()
            .map(|i| format!("|{}:{}", i.mark, i.variant.title()))
            .collect::<String>()
    );
    let pdf = write(fonts, &all, name, &ident);
    Ok(Proof {
        pdf,
        pages: total,
        contents,
        spans,
    })
}

/// Puts pages of `pdf` (a PDF written by [`crate::pdf::write_pdf`]) side by
/// side, two A4 pages scaled to A5 on each landscape A4 sheet: `pairs`
/// gives each sheet's left and right page (0-based; None leaves that half
/// empty). The text stays text.
///
/// # Errors
/// [`ProofError`] when a page cannot be read back or placed.
pub fn side_by_side(
    pdf: &[u8],
    pairs: &[(Option<usize>, Option<usize>)],
) -> Result<Vec<u8>, String> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::load_mem(pdf).map_err(|e| e.to_string())?;
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().into_values().collect();
    // Each page becomes a form XObject with its own resources.
    let mut forms = Vec::with_capacity(pages.len());
    for pid in &pages {
        let page = doc
            .get_object(*pid)
            .and_then(Object::as_dict)
            .map_err(|e| e.to_string())?
            .clone();
        let resources = match page.get(b"Resources") {
            Ok(Object::Reference(r)) => doc
                .get_object(*r)
                .and_then(Object::as_dict)
                .map_err(|e| e.to_string())?
                .clone(),
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => lopdf::Dictionary::new(),
        };
        let content_id = page
            .get(b"Contents")
            .and_then(Object::as_reference)
            .map_err(|e| e.to_string())?;
        let content = doc
            .get_object(content_id)
            .and_then(Object::as_stream)
            .map_err(|e| e.to_string())?
            .clone();
        let mut dict = content.dict.clone();
        dict.set("Type", "XObject");
        dict.set("Subtype", "Form");
        dict.set(
            "BBox",
            vec![
                0.into(),
                0.into(),
                layout::PAGE_W.into(),
                layout::PAGE_H.into(),
            ],
        );
        dict.set("Resources", resources);
        forms.push(doc.add_object(Stream::new(dict, content.content.clone())));
    }
    let pages_id = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|e| e.to_string())?;
    let scale = layout::PAGE_W / layout::PAGE_H;
    let half = layout::PAGE_H / 2.0;
    let mut kids = Vec::new();
    for (left, right) in pairs {
        let mut ops = String::new();
        let mut xobjects = lopdf::Dictionary::new();
        for (name, page, x) in [("L", left, 0.0), ("R", right, half)] {
            if let Some(form) = page.and_then(|i| forms.get(i)) {
                xobjects.set(name, Object::Reference(*form));
                ops.push_str(&format!(
                    "q {scale:.5} 0 0 {scale:.5} {x:.3} 0 cm /{name} Do Q\n"
                ));
            }
        }
        // A hairline between the halves.
        ops.push_str(&format!(
            "q 0.5 w 0.6 G {half:.3} 12 m {half:.3} {:.3} l S Q\n",
            layout::PAGE_W - 12.0
        ));
        let content = doc.add_object(Stream::new(lopdf::Dictionary::new(), ops.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), layout::PAGE_H.into(), layout::PAGE_W.into()],
            "Resources" => dictionary! { "XObject" => xobjects },
            "Contents" => content,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    let tree = doc
        .get_object_mut(pages_id)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?;
    tree.set("Kids", kids);
    tree.set("Count", count);
    for pid in pages {
        doc.objects.remove(&pid);
    }
    doc.prune_objects();
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
