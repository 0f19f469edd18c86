//! The court bundle: one PDF of a pack's documents, in pack order, after an
//! index page, with continuous page numbers ("Bundle page 3 of 12") stamped
//! at the top right of every page and a bookmark per document.
//!
//! By default a court bundle holds the documents meant for the court: those
//! whose catalog audience is `court`, and the supporting documents attached
//! to the pack; letters to clients and internal records (PV check records,
//! the SSST referral form) are left out. [`BundleOptions::include`] and
//! [`BundleOptions::exclude`] change the choice, and the index page lists
//! what was left out. A face-to-face pack goes to no court: its export holds
//! every document and is called a pack export, not a court bundle.
//!
//! The index is laid out and written by letterkit's own [`crate::layout`] and
//! [`crate::pdf`]; the index, the documents and the attachments (PNG and
//! JPEG ones placed one per A4 page) are joined by `pdf::merge`
//! into one tagged PDF/UA-1 and PDF/A-2a file, unless an attached PDF keeps
//! it from conforming ([`Bundle::not_conforming`] says why). Pure: bytes
//! in, bytes out, dates from the pack.

use lopdf::{Document, Object, StringFormat, dictionary};

use super::{Entry, EntryStatus, MediaType, Pack, PackError, PackKind};
use crate::catalog::Audience;
use crate::compose::{Block, Composed, DocKind, Inline};
use crate::layout::{self, Item, MM};
use crate::pdf::merge::{self, Image, MergeOptions, Part, Source};
use crate::pdf::{self, PdfOptions, Timestamp};
use crate::request::Date;
use crate::{Engine, catalog::Language};

/// What goes into a bundle (`BundleOptions::default()`, then set the
/// fields; more may come).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BundleOptions {
    /// Also include superseded documents (after the one that replaced them
    /// would be confusing, so they keep their pack position, marked superseded).
    pub include_superseded: bool,
    /// Documents to add to the default choice: document codes
    /// (`pv-check-record`, `attachment`) or entry files (`03-ssst-referral-form-v1.pdf`).
    pub include: Vec<String>,
    /// Documents to leave out, named like [`BundleOptions::include`].
    pub exclude: Vec<String>,
}

/// One line of the bundle's index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// Entry file in the pack.
    pub file: String,
    /// The bookmark and index title.
    pub title: String,
    /// First bundle page (1-based).
    pub first_page: usize,
    /// Last bundle page.
    pub last_page: usize,
}

/// A built bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Total pages, index included.
    pub pages: usize,
    /// The index, one row per document.
    pub index: Vec<IndexRow>,
    /// The pack's documents left out (their index titles), in pack order.
    pub left_out: Vec<String>,
    /// What the export is: "court bundle", or "pack export" for a
    /// face-to-face pack.
    pub what: &'static str,
    /// Why the bundle is not PDF/UA-1 and PDF/A-2a, when an attached PDF
    /// keeps it from being so (a font it does not embed and letterkit
    /// cannot stand in for, CMYK colour, untagged annotations), one line
    /// per problem naming the entry file; then the file claims neither.
    /// Empty: the bundle conforms.
    pub not_conforming: Vec<String>,
}

/// What the export of a `kind` pack is called.
pub fn export_name(kind: PackKind) -> &'static str {
    if kind == PackKind::FaceToFace {
        "pack export"
    } else {
        "court bundle"
    }
}

/// The label of the page number stamped on every page.
fn page_label(kind: PackKind) -> &'static str {
    if kind == PackKind::FaceToFace {
        "Export page"
    } else {
        "Bundle page"
    }
}

/// Whether `e` is in a bundle by default.
fn by_default(kind: PackKind, engine: &Engine, e: &Entry) -> bool {
    kind == PackKind::FaceToFace
        || e.code == "attachment"
        || engine
            .catalog()
            .letter(&e.code)
            .is_some_and(|l| l.audience == Audience::Court)
}

/// Checks that every `--include`/`--exclude` name matches a document of
/// the pack; says which does not, with a hint.
fn check_names(pack: &Pack, options: &BundleOptions) -> Result<(), PackError> {
    let m = pack.manifest();
    let mut known: Vec<&str> = Vec::new();
    for e in &m.entries {
        if !known.contains(&e.code.as_str()) {
            known.push(&e.code);
        }
    }
    for (flag, names) in [
        ("--include", &options.include),
        ("--exclude", &options.exclude),
    ] {
        for n in names {
            if m.entries.iter().any(|e| &e.code == n || &e.file == n) {
                continue;
            }
            let hint = crate::request::closest(n, &known)
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            return Err(PackError::Bundle(format!(
                "{flag} `{n}` names no document of the pack{hint}; give a document code ({}) or an entry file shown by `letterkit pack show`",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Checks that an image attachment can be placed on a bundle page.
pub(crate) fn check_image(media: MediaType, bytes: &[u8]) -> Result<(), String> {
    match media {
        MediaType::Jpeg => jpeg(bytes)
            .map(|_| ())
            .ok_or_else(|| "is a JPEG whose size and colours cannot be found".to_owned()),
        MediaType::Png => png(bytes).map(|_| ()),
        MediaType::Pdf => Ok(()),
    }
}

fn err(e: impl std::fmt::Display) -> PackError {
    PackError::Bundle(e.to_string())
}

fn entry_title(e: &Entry) -> String {
    let code = if e.code == "attachment" {
        String::new()
    } else if e.version > 1 {
        format!(" ({} version {})", e.code, e.version)
    } else {
        format!(" ({})", e.code)
    };
    let superseded = if e.status == EntryStatus::Superseded {
        ", superseded"
    } else {
        ""
    };
    format!("{}{code}{superseded}", e.title)
}

/// Builds the court bundle of `pack`.
///
/// # Errors
/// [`PackError`] when the pack fails verification, an `--include`/`--exclude` name
/// matches no document, or a document cannot be placed.
pub fn bundle(pack: &Pack, engine: &Engine, options: &BundleOptions) -> Result<Bundle, PackError> {
    let problems = pack.verify();
    if !problems.is_empty() {
        return Err(PackError::Verify { problems });
    }
    check_names(pack, options)?;
    let m = pack.manifest();
    let named = |list: &[String], e: &Entry| list.iter().any(|n| *n == e.code || *n == e.file);
    let mut entries: Vec<&Entry> = Vec::new();
    let mut left_out = Vec::new();
    for e in &m.entries {
        if !options.include_superseded && e.status == EntryStatus::Superseded {
            continue;
        }
        let chosen = (by_default(m.kind, engine, e) || named(&options.include, e))
            && !named(&options.exclude, e);
        if chosen {
            entries.push(e);
        } else {
            left_out.push(entry_title(e));
        }
    }
    let what = export_name(m.kind);
    if entries.is_empty() {
        return Err(PackError::Bundle(format!(
            "the {what} would hold no document: every document was left out"
        )));
    }
    let mut sources = Vec::new();
    let mut counts = Vec::new();
    for e in &entries {
        let bytes = pack.file(&e.file).unwrap_or_default();
        let source = match e.media_type.as_str() {
            "application/pdf" => {
                let d = Document::load_mem(bytes)
                    .map_err(|x| err(format!("{} cannot be read: {x}", e.file)))?;
                counts.push(d.get_pages().len());
                Source::Pdf(bytes)
            }
            "image/jpeg" => Source::Image(
                jpeg(bytes)
                    .ok_or_else(|| err(format!("{} is not a JPEG the bundle can show", e.file)))?,
            ),
            "image/png" => Source::Image(png(bytes).map_err(|x| err(format!("{}: {x}", e.file)))?),
            other => return Err(err(format!("{} has an unknown media type {other}", e.file))),
        };
        if matches!(source, Source::Image(_)) {
            counts.push(1);
        }
        sources.push(source);
    }

    // The index: lay it out until its own page count is stable.
    let date = m
        .stages
        .last()
        .and_then(|s| Date::parse(&s.date).ok())
        .unwrap_or(Date {
            year: 2000,
            month: 1,
            day: 1,
        });
    let mut index_pages = 1;
    let (index_pdf, rows) = loop {
        let mut rows = Vec::new();
        let mut next = index_pages + 1;
        for (e, n) in entries.iter().zip(&counts) {
            rows.push(IndexRow {
                file: e.file.clone(),
                title: entry_title(e),
                first_page: next,
                last_page: next + n.saturating_sub(1),
            });
            next += n;
        }
        let (bytes, pages) = index_document(pack, engine, &rows, &left_out, options, date);
        if pages == index_pages {
            break (bytes, rows);
        }
        index_pages = pages;
    };

    // Merge: the index, then each document, tagged as one PDF/UA-1 and
    // PDF/A-2a file with the bundle page numbers as pagination artifacts.
    let mut parts = vec![Part {
        source: Source::Pdf(&index_pdf),
        title: Some("Index".to_owned()),
        alt: String::new(),
    }];
    for ((e, row), source) in entries.iter().zip(&rows).zip(sources) {
        let alt = match source {
            Source::Image(_) => format!(
                "{}: an image attached to the pack{}; no description of it was given",
                row.title,
                original(e)
            ),
            Source::Pdf(_) => format!(
                "{}: a page without text of a PDF attached to the pack{}, such as a scan; no description of it was given",
                row.title,
                original(e)
            ),
        };
        parts.push(Part {
            source,
            title: Some(row.title.clone()),
            alt,
        });
    }
    let author = engine.catalog().settings.author.clone();
    let pdf_options = PdfOptions {
        title: format!(
            "{}: {} pack {}",
            capitalise(what),
            m.kind.title(),
            m.reference
        ),
        language: "en-GB".into(),
        author,
        subject: format!("{} of the {} pack", capitalise(what), m.kind.title()),
        created: Timestamp {
            year: date.year,
            month: date.month,
            day: date.day,
            ..Default::default()
        },
        ident: format!(
            "bundle {} {}",
            m.reference,
            entries
                .iter()
                .map(|e| e.sha256.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    let merged = merge::merge(
        &parts,
        &MergeOptions {
            pdf: &pdf_options,
            stamp: Some(page_label(m.kind)),
            fonts: engine.fonts(),
            open_parts: false,
        },
    )
    .map_err(err)?;
    let not_conforming = merged
        .not_conforming
        .iter()
        .map(|(k, why)| {
            let file = k
                .checked_sub(1)
                .and_then(|i| entries.get(i))
                .map_or("the index", |e| e.file.as_str());
            format!("{file}, {why}")
        })
        .collect();
    Ok(Bundle {
        pages: merged.pages,
        pdf: merged.pdf,
        not_conforming,
        index: rows,
        left_out,
        what,
    })
}

/// ` (the attached file's own name)`, or nothing.
fn original(e: &Entry) -> String {
    e.original_name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A JPEG as a DCTDecode image: its size and colour from the SOF marker.
fn jpeg(bytes: &[u8]) -> Option<Image> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let sof = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if sof {
            let height = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
            let width = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
            let comps = bytes[i + 9];
            let cs = match comps {
                1 => "DeviceGray",
                4 => "DeviceCMYK",
                _ => "DeviceRGB",
            };
            let mut dict = dictionary! {
                "ColorSpace" => cs,
                "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            };
            if comps == 4 {
                // Adobe CMYK JPEGs are stored inverted.
                dict.set(
                    "Decode",
                    vec![
                        1.into(),
                        0.into(),
                        1.into(),
                        0.into(),
                        1.into(),
                        0.into(),
                        1.into(),
                        0.into(),
                    ],
                );
            }
            return Some(Image {
                width,
                height,
                dict,
                data: bytes.to_vec(),
            });
        }
        i += 2 + len;
    }
    None
}

/// A PNG as a PDF image. Non-interlaced grey, RGB and palette images pass
/// their compressed data straight through (PNG predictors are PDF's);
/// 8-bit images with alpha are decoded and put on white.
fn png(bytes: &[u8]) -> Result<Image, String> {
    let mut i = 8;
    let mut ihdr = None;
    let mut palette = Vec::new();
    let mut idat = Vec::new();
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize;
        let kind = &bytes[i + 4..i + 8];
        let body = bytes
            .get(i + 8..i + 8 + len)
            .ok_or("a PNG chunk runs past the end of the file")?;
        match kind {
            b"IHDR" if len == 13 => ihdr = Some(body.to_vec()),
            b"PLTE" => palette = body.to_vec(),
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        i += 12 + len;
    }
    let h = ihdr.ok_or("the PNG has no header")?;
    let width = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let height = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let (depth, colour, interlace) = (h[8], h[9], h[12]);
    if interlace != 0 {
        return Err("interlaced PNG images cannot be shown in the bundle; save the image again without interlacing".into());
    }
    let colours = match colour {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        6 => 4,
        _ => return Err(format!("PNG colour type {colour} is not valid")),
    };
    if matches!(colour, 0 | 2 | 3) {
        let cs: Object = match colour {
            0 => "DeviceGray".into(),
            2 => "DeviceRGB".into(),
            _ => vec![
                "Indexed".into(),
                "DeviceRGB".into(),
                Object::Integer((palette.len() / 3).saturating_sub(1) as i64),
                Object::String(palette, StringFormat::Hexadecimal),
            ]
            .into(),
        };
        let dict = dictionary! {
            "ColorSpace" => cs,
            "BitsPerComponent" => i64::from(depth),
            "Filter" => "FlateDecode",
            "DecodeParms" => dictionary! {
                "Predictor" => 15,
                "Colors" => colours as i64,
                "BitsPerComponent" => i64::from(depth),
                "Columns" => i64::from(width),
            },
        };
        return Ok(Image {
            width,
            height,
            dict,
            data: idat,
        });
    }
    if depth != 8 {
        return Err("16-bit PNG images with transparency cannot be shown in the bundle; save the image as 8-bit".into());
    }
    // Grey or RGB with alpha: inflate, undo the row filters, drop alpha on white.
    let mut raw = Vec::new();
    {
        use std::io::Read;
        flate2::read::ZlibDecoder::new(idat.as_slice())
            .take(u64::from(width) * u64::from(height) * 4 + u64::from(height) + 1)
            .read_to_end(&mut raw)
            .map_err(|e| format!("the PNG's image data cannot be read ({e})"))?;
    }
    let bpp = colours;
    let stride = width as usize * bpp;
    if raw.len() < (stride + 1) * height as usize {
        return Err("the PNG's image data is cut short".into());
    }
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::with_capacity(width as usize * height as usize * (colours - 1));
    for row in raw.chunks(stride + 1).take(height as usize) {
        let filter = row[0];
        let mut cur = row[1..].to_vec();
        for x in 0..stride {
            let a = if x >= bpp { cur[x - bpp] } else { 0 };
            let b = prev[x];
            let c = if x >= bpp { prev[x - bpp] } else { 0 };
            let add = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                _ => return Err(format!("the PNG uses an unknown row filter {filter}")),
            };
            cur[x] = cur[x].wrapping_add(add);
        }
        for px in cur.chunks(bpp) {
            let alpha = u16::from(px[bpp - 1]);
            for &v in &px[..bpp - 1] {
                pixels.push(((u16::from(v) * alpha + 255 * (255 - alpha)) / 255) as u8);
            }
        }
        prev = cur;
    }
    let dict = dictionary! {
        "ColorSpace" => if colours == 2 { "DeviceGray" } else { "DeviceRGB" },
        "BitsPerComponent" => 8,
        "Filter" => "FlateDecode",
    };
    Ok(Image {
        width,
        height,
        dict,
        data: pdf::deflate(&pixels),
    })
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Lays out and writes the index; returns its bytes and page count.
fn index_document(
    pack: &Pack,
    engine: &Engine,
    rows: &[IndexRow],
    left_out: &[String],
    options: &BundleOptions,
    date: Date,
) -> (Vec<u8>, usize) {
    let m = pack.manifest();
    let what = export_name(m.kind);
    let plain = |t: &str| {
        vec![Inline {
            text: t.to_owned(),
            bold: false,
        }]
    };
    let default = if m.kind == PackKind::FaceToFace {
        "every document of the pack"
    } else {
        "the documents meant for the court and the supporting documents"
    };
    let mut choice = format!("Chosen: {default}");
    if !options.include.is_empty() {
        choice.push_str(&format!(", also {}", options.include.join(", ")));
    }
    if !options.exclude.is_empty() {
        choice.push_str(&format!(", without {}", options.exclude.join(", ")));
    }
    if options.include_superseded {
        choice.push_str(", with superseded documents");
    }
    choice.push('.');
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            text: format!("{}: index", capitalise(what)),
        },
        Block::Paragraph(plain(&format!(
            "{} pack for the case with reference {}, region {}. Status: {}.",
            m.kind.title(),
            m.reference,
            m.region,
            m.status.name()
        ))),
        Block::Paragraph(plain(&format!(
            "Page numbers: the number at the top right of every page (\"{} 3 of 12\") is its page in this {what}; the pages in this index are those numbers. A number at the foot of a page (\"Page 1 of 2\") counts the pages of that document only.",
            page_label(m.kind)
        ))),
    ];
    let mut table = vec![(format!("{}s", page_label(m.kind)), plain("Document"))];
    table[0].1[0].bold = true;
    for r in rows {
        let pages = if r.first_page == r.last_page {
            format!("{}", r.first_page)
        } else {
            format!("{}\u{2013}{}", r.first_page, r.last_page)
        };
        table.push((pages, plain(&r.title)));
    }
    blocks.push(Block::Table(table));
    blocks.push(Block::Paragraph(plain(&choice)));
    if left_out.is_empty() {
        blocks.push(Block::Paragraph(plain(
            "Not included: nothing; every document of the pack is here.",
        )));
    } else {
        blocks.push(Block::Paragraph(plain("Not included:")));
        for t in left_out {
            blocks.push(Block::Bullet(plain(t)));
        }
    }

    let doc = Composed {
        kind: DocKind::Form,
        code: "court-bundle".into(),
        title: capitalise(what),
        language: Language::En,
        sender: engine.catalog().settings.sender.clone(),
        meta: vec![
            ("Date".into(), date.long()),
            ("Our reference".into(), m.reference.clone()),
        ],
        address: Vec::new(),
        blocks,
    };
    let mut pages = layout::layout(&doc, engine.fonts());
    // The bundle stamps its own page numbers: drop the layout's footer.
    for p in &mut pages {
        p.items
            .retain(|it| !matches!(it, Item::Text(run) if run.y > 280.0 * MM));
    }
    let opts = PdfOptions {
        title: format!("{} index", capitalise(what)),
        language: "en-GB".into(),
        author: engine.catalog().settings.author.clone(),
        subject: m.reference.clone(),
        created: Timestamp {
            year: date.year,
            month: date.month,
            day: date.day,
            ..Default::default()
        },
        ident: format!("bundle-index {} {}", m.reference, date),
    };
    let n = pages.len();
    (pdf::write_pdf(&pages, engine.fonts(), &opts), n)
}
