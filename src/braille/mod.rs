//! Braille: a composed letter → braille pages → BRF and PEF (issue 11).
//!
//! Translation into Unified English Braille is behind the [`Translator`]
//! trait, so the library stays pure: the caller hands a translator in
//! ([`crate::Engine::render_braille`]). [`Liblouis`] runs liblouis's
//! `lou_translate`, one paragraph a line; tests use a fake translator for
//! the pagination and the real one for the golden files.
//!
//! The pagination is ours, from the letter's blocks (`paginate`, through [`build`]): the page
//! geometry is a [`BrailleProfile`] (`a4` 30 cells × 28 lines, `book`
//! 40 × 28); line 1 of every page holds the braille page number at its
//! right; the sender, date, reference and recipient blocks each start at
//! cell 1 with a blank line between blocks; then the heading, the paragraphs
//! (first line at cell 3, the rest at cell 1), headings with a blank line
//! before them and kept with what follows, and the sign-off. A line breaks
//! only at a blank cell, so a number group that liblouis joins with the
//! numeric space (a reference, a phone number) is never split.
//!
//! One page model gives both outputs: BRF ([`brf`], Braille ASCII, CR LF
//! after each line and a form feed after each page) and PEF 1.0 ([`pef`]).

mod liblouis;

use std::fmt::Write as _;

use crate::compose::{Block, Composed, Inline};
pub use crate::request::{BrailleProfile, Grade};
pub use liblouis::Liblouis;

/// The blank braille cell.
pub const BLANK: char = '\u{2800}';
/// Longest paragraph handed to a translator, characters: `lou_translate`
/// splits longer lines and damages the text at the cut.
pub const MAX_PARAGRAPH_CHARS: usize = 2000;

/// Something went wrong while making braille.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrailleError {
    /// A paragraph is too long to translate safely.
    #[error(
        "paragraph {index} has {chars} characters; a paragraph of {MAX_PARAGRAPH_CHARS} characters or more cannot be translated safely (lou_translate would cut it and damage the text at the cut)"
    )]
    TooLong {
        /// 1-based paragraph number in the letter.
        index: usize,
        /// Its length in characters.
        chars: usize,
    },
    /// The translator could not run or failed.
    #[error("the braille translator failed: {0}")]
    Translator(String),
    /// The translator gave something other than six-dot braille, or a
    /// different number of paragraphs than it was given.
    #[error("the braille translator gave unusable output: {0}")]
    Output(String),
    /// Welsh braille is not supported.
    #[error(
        "braille is produced in Unified English Braille only: Welsh braille is not supported yet"
    )]
    Welsh,
}

/// Translates text into braille.
pub trait Translator: Sync {
    /// Translates each paragraph (one line of text, no line break) into
    /// Unicode braille cells (U+2800 to U+283F, words separated by
    /// [`BLANK`]), one result per paragraph, in order.
    ///
    /// # Errors
    /// When the translation cannot be made.
    fn translate(&self, paragraphs: &[String], grade: Grade) -> Result<Vec<String>, BrailleError>;
}

/// One paragraph of the letter as translated: its print text and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// The print text handed to the translator.
    pub text: String,
    /// The braille the translator gave (one line, unbroken).
    pub braille: String,
}

/// Pages of braille, every line at most `cells` cells, every page at most
/// `lines` lines. The one page model both outputs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pages {
    /// Cells per line.
    pub cells: usize,
    /// Lines per page.
    pub lines: usize,
    /// Each page's lines (Unicode braille, no trailing blank cells; an
    /// empty string is a blank line). Lines after a page's last text are
    /// left out.
    pub pages: Vec<Vec<String>>,
}

/// A letter in braille.
#[derive(Debug, Clone)]
pub struct Document {
    /// Every paragraph as translated, in letter order.
    pub paragraphs: Vec<Paragraph>,
    /// The pages.
    pub pages: Pages,
}

/// How a unit of text is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A line of a block (sender, date, address, sign-off): cell 1.
    BlockLine,
    /// A heading: cell 1, a blank line before, kept with what follows.
    Heading,
    /// A paragraph: first line at cell 3, the rest at cell 1.
    Paragraph,
    /// A list item or table row: first line at cell 1, the rest at cell 3.
    Item,
}

/// What the pagination places, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Unit {
    Text(Kind, usize),
    Blank,
}

fn inline_text(inlines: &[Inline]) -> String {
    inlines.iter().map(|i| i.text.as_str()).collect()
}

/// Squashes white space so a paragraph is one line for the translator.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The print paragraphs of a letter and how each is placed.
fn units(doc: &Composed) -> (Vec<String>, Vec<Unit>) {
    let mut texts = Vec::new();
    let mut units = Vec::new();
    let push = |texts: &mut Vec<String>, units: &mut Vec<Unit>, kind: Kind, t: &str| {
        let t = one_line(t);
        if t.is_empty() {
            units.push(Unit::Blank);
        } else {
            units.push(Unit::Text(kind, texts.len()));
            texts.push(t);
        }
    };
    for line in &doc.sender {
        push(&mut texts, &mut units, Kind::BlockLine, line);
    }
    for (label, value) in &doc.meta {
        if !units.is_empty() {
            units.push(Unit::Blank);
        }
        push(
            &mut texts,
            &mut units,
            Kind::BlockLine,
            &format!("{label}: {value}"),
        );
    }
    if !doc.address.is_empty() {
        units.push(Unit::Blank);
        for line in &doc.address {
            push(&mut texts, &mut units, Kind::BlockLine, line);
        }
    }
    units.push(Unit::Blank);
    for block in &doc.blocks {
        match block {
            Block::Heading { text, .. } => {
                units.push(Unit::Blank);
                push(&mut texts, &mut units, Kind::Heading, text);
            }
            Block::Paragraph(inlines) => {
                let text = inline_text(inlines);
                if text.contains('\n') {
                    // Forced line breaks (the sign-off): each line from cell 1.
                    units.push(Unit::Blank);
                    for line in text.split('\n') {
                        push(&mut texts, &mut units, Kind::BlockLine, line);
                    }
                } else {
                    push(&mut texts, &mut units, Kind::Paragraph, &text);
                }
            }
            Block::Bullet(inlines) => {
                push(&mut texts, &mut units, Kind::Item, &inline_text(inlines));
            }
            Block::Table(rows) => {
                for (label, value) in rows {
                    push(
                        &mut texts,
                        &mut units,
                        Kind::Item,
                        &format!("{label}: {}", inline_text(value)),
                    );
                }
            }
        }
    }
    (texts, units)
}

/// Translates a composed letter and lays it out on braille pages.
///
/// # Errors
/// A paragraph too long to translate, a translator that fails or gives
/// something other than six-dot braille, or a Welsh letter.
pub fn build(
    doc: &Composed,
    grade: Grade,
    profile: BrailleProfile,
    translator: &dyn Translator,
) -> Result<Document, BrailleError> {
    if doc.language == crate::catalog::Language::Cy {
        return Err(BrailleError::Welsh);
    }
    let (texts, units) = units(doc);
    for (i, t) in texts.iter().enumerate() {
        let chars = t.chars().count();
        if chars >= MAX_PARAGRAPH_CHARS {
            return Err(BrailleError::TooLong {
                index: i + 1,
                chars,
            });
        }
    }
    let cells = translator.translate(&texts, grade)?;
    if cells.len() != texts.len() {
        return Err(BrailleError::Output(format!(
            "{} paragraphs in, {} out",
            texts.len(),
            cells.len()
        )));
    }
    for (i, c) in cells.iter().enumerate() {
        if let Some(bad) = c.chars().find(|ch| !('\u{2800}'..='\u{283F}').contains(ch)) {
            return Err(BrailleError::Output(format!(
                "paragraph {} holds U+{:04X}, which is not a six-dot braille cell",
                i + 1,
                bad as u32
            )));
        }
    }
    let pages = paginate(&units, &cells, profile);
    let paragraphs = texts
        .into_iter()
        .zip(cells)
        .map(|(text, braille)| Paragraph { text, braille })
        .collect();
    Ok(Document { paragraphs, pages })
}

/// Breaks one paragraph's cells into lines: the first `first` cells wide at
/// indent `first_indent`, the others at `rest_indent`. Breaks only at blank
/// cells; a word longer than a whole line is cut with a hyphen (dots 3-6)
/// at the end of each piece but the last.
fn wrap(cells: &str, width: usize, first_indent: usize, rest_indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0usize;
    let indent = |lines: &Vec<String>| {
        if lines.is_empty() {
            first_indent
        } else {
            rest_indent
        }
    };
    for word in cells.split(BLANK).filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let room = width - indent(&lines);
            let need = if cur_len == 0 {
                word.len()
            } else {
                cur_len + 1 + word.len()
            };
            if need <= room {
                if cur_len > 0 {
                    cur.push(BLANK);
                    cur_len += 1;
                }
                cur.extend(word.iter());
                cur_len += word.len();
                break;
            }
            if cur_len > 0 {
                lines.push(pad(&cur, indent(&lines)));
                cur.clear();
                cur_len = 0;
                continue;
            }
            // A word longer than the line: cut it.
            let take = room.saturating_sub(1).max(1);
            let piece: String = word[..take].iter().collect();
            lines.push(pad(&format!("{piece}\u{2824}"), indent(&lines)));
            word.drain(..take);
        }
    }
    if cur_len > 0 || lines.is_empty() {
        lines.push(pad(&cur, indent(&lines)));
    }
    lines
}

fn pad(s: &str, indent: usize) -> String {
    let mut out: String = std::iter::repeat_n(BLANK, indent).collect();
    out.push_str(s);
    out
}

/// A braille page number: the number sign and the digits as letters a to j.
pub fn page_number(n: usize) -> String {
    const DIGITS: [char; 10] = ['⠚', '⠁', '⠃', '⠉', '⠙', '⠑', '⠋', '⠛', '⠓', '⠊'];
    let mut s = String::from('⠼');
    for d in n.to_string().bytes() {
        s.push(DIGITS[usize::from(d - b'0')]);
    }
    s
}

/// Lays translated units out on pages of `profile`.
fn paginate(units: &[Unit], cells: &[String], profile: BrailleProfile) -> Pages {
    let width = profile.cells();
    let height = profile.lines();
    // Each unit's lines.
    let mut placed: Vec<(Kind, Vec<String>)> = Vec::new();
    let mut blank_before = Vec::new();
    let mut pending_blank = false;
    for u in units {
        match u {
            Unit::Blank => pending_blank = true,
            Unit::Text(kind, i) => {
                let (first, rest) = match kind {
                    Kind::Paragraph => (2, 0),
                    Kind::Item => (0, 2),
                    Kind::BlockLine | Kind::Heading => (0, 0),
                };
                placed.push((*kind, wrap(&cells[*i], width, first, rest)));
                blank_before.push(std::mem::take(&mut pending_blank));
            }
        }
    }
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut page: Vec<String> = Vec::new();
    for (k, (kind, lines)) in placed.iter().enumerate() {
        let at_top = page.is_empty();
        let blank = blank_before[k] && !at_top;
        // A heading keeps with the first two lines of what follows.
        let next = placed.get(k + 1).map_or(0, |(_, l)| l.len().min(2));
        let keep = if *kind == Kind::Heading { next } else { 0 };
        let need = usize::from(blank) + lines.len().min(2) + keep;
        // Line 1 is the page number: `height - 1` lines for text.
        if !at_top && page.len() + need > height - 1 {
            pages.push(std::mem::take(&mut page));
        }
        if blank_before[k] && !page.is_empty() {
            page.push(String::new());
        }
        for line in lines {
            if page.len() == height - 1 {
                pages.push(std::mem::take(&mut page));
            }
            page.push(line.clone());
        }
    }
    if !page.is_empty() || pages.is_empty() {
        pages.push(page);
    }
    let pages = pages
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let num = page_number(i + 1);
            let mut lines = vec![pad(&num, width - num.chars().count())];
            lines.extend(
                body.into_iter()
                    .map(|l| l.trim_end_matches(BLANK).to_owned()),
            );
            while lines.last().is_some_and(String::is_empty) {
                lines.pop();
            }
            lines
        })
        .collect();
    Pages {
        cells: width,
        lines: height,
        pages,
    }
}

/// The North American Braille ASCII character of each six-dot cell, by its
/// dot bits (dot 1 = bit 0 … dot 6 = bit 5).
const BRAILLE_ASCII: &[u8; 64] =
    b" A1B'K2L@CIF/MSP\"E3H9O6R^DJG>NTQ,*5<-U8V.%[$+X!&;:4\\0Z7(_?W]#Y)=";

/// One cell in Braille ASCII.
pub(crate) fn to_ascii(cell: char) -> u8 {
    let bits = (cell as u32).wrapping_sub(0x2800) & 0x3F;
    BRAILLE_ASCII[bits as usize]
}

/// The pages as BRF: Braille ASCII (0x20 to 0x7E only), CR LF after each
/// line, a form feed after each page.
pub fn brf(pages: &Pages) -> Vec<u8> {
    let mut out = Vec::new();
    for page in &pages.pages {
        for line in page {
            out.extend(line.chars().map(to_ascii));
            out.extend_from_slice(b"\r\n");
        }
        out.push(0x0C);
    }
    out
}

/// What goes into a PEF file's head.
#[derive(Debug, Clone)]
pub struct PefMeta {
    /// `dc:identifier`.
    pub identifier: String,
    /// `dc:title` (the letter code and title: never personal data).
    pub title: String,
    /// `dc:language`, e.g. `en-GB`.
    pub language: String,
    /// `dc:date`, YYYY-MM-DD.
    pub date: String,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The pages as PEF 1.0 (Portable Embosser Format, `version="2008-1"`):
/// one volume of the declared geometry, Unicode braille rows.
pub fn pef(pages: &Pages, meta: &PefMeta) -> Vec<u8> {
    let mut o = String::new();
    o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str("<pef version=\"2008-1\" xmlns=\"http://www.daisy.org/ns/2008/pef\">\n");
    o.push_str("  <head>\n    <meta xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
    o.push_str("      <dc:format>application/x-pef+xml</dc:format>\n");
    let _ = writeln!(
        o,
        "      <dc:identifier>{}</dc:identifier>",
        xml_escape(&meta.identifier)
    );
    let _ = writeln!(o, "      <dc:title>{}</dc:title>", xml_escape(&meta.title));
    let _ = writeln!(
        o,
        "      <dc:language>{}</dc:language>",
        xml_escape(&meta.language)
    );
    let _ = writeln!(o, "      <dc:date>{}</dc:date>", xml_escape(&meta.date));
    o.push_str("    </meta>\n  </head>\n  <body>\n");
    let _ = writeln!(
        o,
        "    <volume cols=\"{}\" rows=\"{}\" rowgap=\"0\" duplex=\"false\">",
        pages.cells, pages.lines
    );
    o.push_str("      <section>\n");
    for page in &pages.pages {
        o.push_str("        <page>\n");
        for line in page {
            if line.is_empty() {
                o.push_str("          <row/>\n");
            } else {
                let _ = writeln!(o, "          <row>{line}</row>");
            }
        }
        o.push_str("        </page>\n");
    }
    o.push_str("      </section>\n    </volume>\n  </body>\n</pef>\n");
    o.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A translator that writes each letter as its grade-1 cell and
    /// anything else as a full cell, so pagination can be tested alone.
    struct Fake;
    impl Translator for Fake {
        fn translate(&self, p: &[String], _: Grade) -> Result<Vec<String>, BrailleError> {
            Ok(p.iter()
                .map(|t| {
                    t.chars()
                        .map(|c| if c == ' ' { BLANK } else { '⠿' })
                        .collect()
                })
                .collect())
        }
    }

    #[test]
    fn braille_ascii_maps_the_letters() {
        assert_eq!(to_ascii('⠁'), b'A');
        assert_eq!(to_ascii('⠼'), b'#');
        assert_eq!(to_ascii(BLANK), b' ');
        assert_eq!(to_ascii('⠿'), b'=');
        assert_eq!(page_number(12), "⠼⠁⠃");
    }

    #[test]
    fn wrap_never_breaks_inside_a_word_and_keeps_the_width() {
        let cells = "⠿⠿⠿⠀⠿⠿⠿⠿⠿⠀⠿⠿⠀⠿⠿⠿⠿⠿⠿⠿⠿⠿⠿".to_owned();
        for width in 10..20 {
            let lines = wrap(&cells, width, 2, 0);
            let joined: String = lines
                .iter()
                .map(|l| l.trim_matches(BLANK))
                .collect::<Vec<_>>()
                .join("⠀");
            assert_eq!(joined, cells, "width {width}");
            assert!(lines.iter().all(|l| l.chars().count() <= width));
            assert!(lines[0].starts_with("⠀⠀⠿"));
        }
        // A word longer than the line is cut with a hyphen.
        let lines = wrap(&"⠿".repeat(25), 10, 0, 0);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].ends_with('⠤') && lines[0].chars().count() == 10);
    }

    #[test]
    fn pages_hold_at_most_the_profile_and_number_line_one() {
        let doc = Composed {
            kind: crate::catalog::DocKind::Letter,
            code: "T".into(),
            title: "T".into(),
            language: crate::catalog::Language::En,
            sender: vec!["Sender".into()],
            meta: vec![("Date".into(), "1 March".into())],
            address: vec!["Name".into(), "Town".into(), "LS1 1AA".into()],
            blocks: (0..60)
                .map(|i| {
                    Block::Paragraph(vec![Inline {
                        text: format!("paragraph {i} with some words in it to wrap over lines"),
                        bold: false,
                    }])
                })
                .collect(),
        };
        for profile in [BrailleProfile::A4, BrailleProfile::Book] {
            let d = build(&doc, Grade::Two, profile, &Fake).expect("builds");
            assert!(d.pages.pages.len() > 3);
            for (n, page) in d.pages.pages.iter().enumerate() {
                assert!(page.len() <= 28);
                assert!(page.iter().all(|l| l.chars().count() <= profile.cells()));
                let num = page_number(n + 1);
                assert!(page[0].ends_with(&num));
                assert_eq!(page[0].chars().count(), profile.cells());
            }
            let brf = brf(&d.pages);
            assert!(
                brf.iter()
                    .all(|b| (0x20..=0x7E).contains(b) || b"\r\n\x0c".contains(b))
            );
            assert_eq!(
                brf.iter().filter(|b| **b == 0x0C).count(),
                d.pages.pages.len()
            );
        }
        let mut long = doc.clone();
        long.blocks = vec![Block::Paragraph(vec![Inline {
            text: "x".repeat(2000),
            bold: false,
        }])];
        let e = build(&long, Grade::Two, BrailleProfile::A4, &Fake).expect_err("too long");
        assert!(
            matches!(e, BrailleError::TooLong { chars: 2000, .. }),
            "{e}"
        );
        long.blocks = vec![Block::Paragraph(vec![Inline {
            text: "x".repeat(1999),
            bold: false,
        }])];
        assert!(build(&long, Grade::Two, BrailleProfile::A4, &Fake).is_ok());
    }
}
