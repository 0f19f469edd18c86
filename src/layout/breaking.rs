//! Line breaking: inline text → lines of glyph runs, greedy, with shaped widths.
//!
//! Lines break at spaces and, inside a word that does not fit, at the break
//! opportunities of UAX #14 (the Unicode line breaking algorithm): after a
//! hyphen or a slash, so a long web address wraps at its `/` and `-`. UAX #14
//! itself never breaks inside a number (`2026-03-16`, `16/03/2026`,
//! `£1,250.00`), and the spaces inside a date (`16 March 2026`), a reference
//! or telephone number (`1234 5678 9012`) and a postcode (`LS6 1AB`) do not
//! break either ([`glued`]). Only a word longer than a whole line with no
//! break opportunity is cut between characters.

use super::TextRun;
use crate::compose::Inline;
use crate::fonts::{FontId, FontSet, Glyph};

struct Token<'a> {
    word: &'a str,
    font: FontId,
    space_before: bool,
    hard_break: bool,
    /// The space before this word must not break (see [`glued`]).
    glue: bool,
}

use crate::request::values::{MONTHS, WEEKDAYS};

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A UK postcode's outward code: `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`.
fn outward_code(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    (1..=2).contains(&letters)
        && (letters + 1..=letters + 2).contains(&b.len())
        && b[letters].is_ascii_digit()
        && b[letters + 1..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// A UK postcode's inward code: `9AA`.
fn inward_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1..].iter().all(u8::is_ascii_uppercase)
}

/// Whether the space between words `a` and `b` sits inside a date
/// (`Monday 16 March 2026`, `March 2026`), a reference or telephone number
/// (`1234 5678 9012`, `0800 171 2345`) or a postcode (`LS6 1AB`), so a line
/// must not break there. Punctuation around the pair (`(16 March 2026),`)
/// does not matter.
fn glued(a: &str, b: &str) -> bool {
    let Some(a0) = a.as_bytes().first() else {
        return false;
    };
    let Some(b0) = b.as_bytes().first() else {
        return false;
    };
    // Cheap first-byte filter: every rule starts with a digit or a capital on
    // one side or the other (the hot path is ordinary prose).
    if !(a0.is_ascii_digit() || a0.is_ascii_uppercase() || *a0 == b'(')
        || !(b0.is_ascii_digit() || b0.is_ascii_uppercase())
    {
        return false;
    }
    let a = a.trim_start_matches(['(', '[', '"', '\'']);
    let b = b.trim_end_matches(['.', ',', ';', ':', ')', ']', '"', '\'', '!', '?']);
    (all_digits(a) && b.as_bytes().first().is_some_and(u8::is_ascii_digit))
        || (a.len() <= 2 && all_digits(a) && MONTHS.contains(&b))
        || (MONTHS.contains(&a) && b.len() == 4 && all_digits(b))
        || (WEEKDAYS.contains(&a) && b.len() <= 2 && all_digits(b))
        || (outward_code(a) && inward_code(b))
}

fn tokens(inlines: &[Inline]) -> Vec<Token<'_>> {
    let mut out: Vec<Token<'_>> = Vec::new();
    let mut pending_space = false;
    for inline in inlines {
        let font = if inline.bold {
            FontId::Bold
        } else {
            FontId::Regular
        };
        for (li, line) in inline.text.split('\n').enumerate() {
            if li > 0 {
                out.push(Token {
                    word: "",
                    font,
                    space_before: false,
                    hard_break: true,
                    glue: false,
                });
                pending_space = false;
            }
            let mut first = true;
            for word in line.split(' ') {
                if !first {
                    pending_space = true;
                }
                first = false;
                if word.is_empty() {
                    continue;
                }
                let space_before = pending_space && !out.is_empty();
                let glue = space_before
                    && out
                        .last()
                        .is_some_and(|prev| !prev.hard_break && glued(prev.word, word));
                out.push(Token {
                    word,
                    font,
                    space_before,
                    hard_break: false,
                    glue,
                });
                pending_space = false;
            }
        }
    }
    out
}

/// The byte offset of the longest start of `word` that ends at a UAX #14
/// break opportunity (never the end of the word) and is at most `room`
/// points wide.
fn break_within(fonts: &FontSet, font: FontId, size: f32, word: &str, room: f32) -> Option<usize> {
    if room <= 0.0 {
        return None;
    }
    unicode_linebreak::linebreaks(word)
        .map(|(at, _)| at)
        .filter(|&at| at > 0 && at < word.len())
        .take_while(|&at| fonts.measure(font, size, &word[..at]) <= room + 0.01)
        .last()
}

/// The byte offset of the longest start of `word` (at least one character)
/// that is at most `room` points wide: the last resort for a word longer than
/// a line with no break opportunity.
fn chars_within(fonts: &FontSet, font: FontId, size: f32, word: &str, room: f32) -> usize {
    let mut end = word.chars().next().map_or(word.len(), char::len_utf8);
    for (i, c) in word.char_indices().skip(1) {
        if fonts.measure(font, size, &word[..i + c.len_utf8()]) > room + 0.01 {
            break;
        }
        end = i + c.len_utf8();
    }
    end
}

/// One piece of a line: its font, whether a space comes before it, its text.
type Part<'t> = (FontId, bool, &'t str);

/// The greedy line filler of [`break_lines`].
struct Breaker<'f, 't> {
    fonts: &'f FontSet,
    size: f32,
    width: f32,
    lines: Vec<Vec<Part<'t>>>,
    /// Width used on the last line, points.
    used: f32,
}

impl<'t> Breaker<'_, 't> {
    fn space(&self, font: FontId) -> f32 {
        let face = self.fonts.get(font);
        face.to_pt(face.space_advance(), self.size)
    }

    fn measure(&self, font: FontId, text: &str) -> f32 {
        self.fonts.measure(font, self.size, text)
    }

    fn line_is_empty(&self) -> bool {
        self.lines.last().is_none_or(Vec::is_empty)
    }

    fn new_line(&mut self) {
        self.lines.push(Vec::new());
        self.used = 0.0;
    }

    /// Appends `text` (`width` points wide) to the last line.
    fn push(&mut self, font: FontId, space: bool, text: &'t str, width: f32) {
        let space = space && !self.line_is_empty();
        if space {
            self.used += self.space(font);
        }
        self.used += width;
        if let Some(line) = self.lines.last_mut() {
            line.push((font, space, text));
        }
    }

    /// Places words that must stay on one line together, on this line or the
    /// next; `false` (nothing placed) when they are wider than a whole line.
    fn place_group(&mut self, group: &[Token<'t>]) -> bool {
        let widths: Vec<f32> = group.iter().map(|t| self.measure(t.font, t.word)).collect();
        let inner =
            widths.iter().sum::<f32>() + group[1..].iter().map(|t| self.space(t.font)).sum::<f32>();
        if inner > self.width + 0.01 {
            return false;
        }
        let lead = if group[0].space_before && !self.line_is_empty() {
            self.space(group[0].font)
        } else {
            0.0
        };
        if self.used + lead + inner > self.width + 0.01 {
            self.new_line();
        }
        for (t, w) in group.iter().zip(widths) {
            self.push(t.font, t.space_before, t.word, w);
        }
        true
    }

    /// Places one word: whole on this line if it fits, else its longest start
    /// up to a break opportunity here and the rest on the next line(s), else
    /// whole on the next line; cut between characters only when no break
    /// opportunity fits even a whole line.
    fn place_word(&mut self, tok: &Token<'t>) {
        let font = tok.font;
        let mut rest = tok.word;
        let mut space = tok.space_before;
        loop {
            let w = self.measure(font, rest);
            let lead = if space && !self.line_is_empty() {
                self.space(font)
            } else {
                0.0
            };
            if self.used + lead + w <= self.width + 0.01 {
                self.push(font, space, rest, w);
                return;
            }
            let room = self.width - self.used - lead;
            if let Some(at) = break_within(self.fonts, font, self.size, rest, room) {
                let (head, tail) = rest.split_at(at);
                let hw = self.measure(font, head);
                self.push(font, space, head, hw);
                self.new_line();
                (rest, space) = (tail, false);
                continue;
            }
            if !self.line_is_empty() {
                self.new_line();
                space = false;
                continue;
            }
            let at = chars_within(self.fonts, font, self.size, rest, self.width);
            if at >= rest.len() {
                // One character wider than the line: it goes on its own line.
                self.push(font, false, rest, w);
                return;
            }
            let (head, tail) = rest.split_at(at);
            let hw = self.measure(font, head);
            self.push(font, false, head, hw);
            self.new_line();
            rest = tail;
        }
    }
}

/// Breaks `inlines` into lines no wider than `width` points, each line a list
/// of runs starting at `x` on baseline `y` (layout moves them later).
pub fn break_lines(
    fonts: &FontSet,
    inlines: &[Inline],
    size: f32,
    width: f32,
    x: f32,
    y: f32,
) -> Vec<Vec<TextRun>> {
    // A batch lays out the same fixed paragraphs letter after letter: the
    // lines of each (text, size, width, place) are kept per thread, and a
    // hit is checked against the whole text before it is used.
    use std::hash::{Hash, Hasher};
    let mut h = crate::fonts::FastHasher::default();
    for i in inlines {
        i.text.hash(&mut h);
        i.bold.hash(&mut h);
    }
    for v in [size, width, x, y] {
        v.to_bits().hash(&mut h);
    }
    let key = h.finish();
    let hit = LINES_CACHE.with(|c| {
        c.borrow().get(&key).and_then(|(k, lines)| {
            (k.inlines == inlines && k.numbers == [size, width, x, y]).then(|| lines.clone())
        })
    });
    if let Some(lines) = hit {
        return lines;
    }
    let lines = break_lines_uncached(fonts, inlines, [size, width, x, y]);
    LINES_CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= 2048 {
            cache.clear();
        }
        cache.insert(
            key,
            (
                LinesKey {
                    inlines: inlines.to_vec(),
                    numbers: [size, width, x, y],
                },
                lines.clone(),
            ),
        );
    });
    lines
}

/// What a cached paragraph's lines were made from.
struct LinesKey {
    inlines: Vec<Inline>,
    numbers: [f32; 4],
}

type LinesCache =
    std::collections::HashMap<u64, (LinesKey, Vec<Vec<TextRun>>), crate::fonts::FastBuild>;

thread_local! {
    /// Broken paragraphs by a hash of what they were made from, per thread.
    static LINES_CACHE: std::cell::RefCell<LinesCache> = std::cell::RefCell::new(LinesCache::default());
}

/// [`break_lines`] without the cache; `[size, width, x, y]` as there.
fn break_lines_uncached(
    fonts: &FontSet,
    inlines: &[Inline],
    [size, width, x, y]: [f32; 4],
) -> Vec<Vec<TextRun>> {
    let toks = tokens(inlines);
    let mut b = Breaker {
        fonts,
        size,
        width,
        lines: vec![Vec::new()],
        used: 0.0,
    };
    let mut i = 0;
    while i < toks.len() {
        if toks[i].hard_break {
            b.new_line();
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < toks.len() && toks[end].glue {
            end += 1;
        }
        if end - i == 1 || !b.place_group(&toks[i..end]) {
            // A glued group wider than a whole line breaks like any words.
            for tok in &toks[i..end] {
                b.place_word(tok);
            }
        }
        i = end;
    }
    let mut lines = b.lines;
    if lines.last().is_some_and(Vec::is_empty) && lines.len() > 1 {
        lines.pop();
    }
    lines
        .iter()
        .map(|line| runs_of(fonts, line, size, x, y))
        .collect()
}

/// Lays out `inlines` as one line without breaking.
pub fn line_runs(fonts: &FontSet, inlines: &[Inline], size: f32, x: f32, y: f32) -> Vec<TextRun> {
    let toks = tokens(inlines);
    let items: Vec<(FontId, bool, &str)> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.hard_break)
        .map(|(i, t)| (t.font, i > 0 && t.space_before, t.word))
        .collect();
    runs_of(fonts, &items, size, x, y)
}

fn runs_of(
    fonts: &FontSet,
    items: &[(FontId, bool, &str)],
    size: f32,
    x: f32,
    y: f32,
) -> Vec<TextRun> {
    let mut runs: Vec<TextRun> = Vec::new();
    let mut cursor = x;
    for &(font, space, word) in items {
        let face = fonts.get(font);
        let needs_new = runs.last().is_none_or(|r| r.font != font);
        if needs_new {
            if space {
                cursor += face.to_pt(face.space_advance(), size);
            }
            runs.push(TextRun {
                font,
                size,
                x: cursor,
                y,
                glyphs: Vec::with_capacity(64),
                text: String::with_capacity(64),
                // Layout gives every run its place in the structure.
                tag: super::Tag::Unassigned,
            });
        }
        let Some(run) = runs.last_mut() else { continue };
        if space && !needs_new {
            run.glyphs.extend(space_glyph(fonts, font));
            run.text.push(' ');
            cursor += face.to_pt(face.space_advance(), size);
        }
        let shaped = fonts.shape(font, word);
        run.glyphs.extend_from_slice(&shaped.glyphs);
        run.text.push_str(word);
        cursor += face.to_pt(shaped.advance, size);
    }
    runs
}

fn space_glyph(fonts: &FontSet, font: FontId) -> Option<Glyph> {
    fonts.shape(font, " ").glyphs.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Vec<Inline> {
        vec![Inline {
            text: text.into(),
            bold: false,
        }]
    }

    /// Each run's text, place and glyphs.
    type Summary = Vec<Vec<(String, f32, f32, Vec<u16>)>>;

    fn lines_summary(lines: &[Vec<TextRun>]) -> Summary {
        lines
            .iter()
            .map(|l| {
                l.iter()
                    .map(|r| {
                        (
                            r.text.clone(),
                            r.x,
                            r.y,
                            r.glyphs.iter().map(|g| g.id).collect(),
                        )
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn cached_lines_are_the_lines_and_never_another_paragraphs() {
        let fonts = FontSet::builtin();
        let text = "Please bring this letter and a form of photo identification, such as a passport or a driving licence.";
        let fresh = break_lines_uncached(&fonts, &plain(text), [11.0, 200.0, 5.0, 0.0]);
        let first = break_lines(&fonts, &plain(text), 11.0, 200.0, 5.0, 0.0);
        let again = break_lines(&fonts, &plain(text), 11.0, 200.0, 5.0, 0.0);
        assert!(fresh.len() > 1);
        assert_eq!(lines_summary(&first), lines_summary(&fresh));
        assert_eq!(lines_summary(&again), lines_summary(&fresh));
        // Another width, place or text is laid out anew.
        let wider = break_lines(&fonts, &plain(text), 11.0, 400.0, 5.0, 0.0);
        assert!(wider.len() < fresh.len());
        let moved = break_lines(&fonts, &plain(text), 11.0, 200.0, 9.0, 0.0);
        assert_eq!(moved[0][0].x, 9.0);
        let other = break_lines(&fonts, &plain("Another paragraph."), 11.0, 200.0, 5.0, 0.0);
        assert_eq!(line_text(&other[0]), "Another paragraph.");
    }

    fn line_text(line: &[TextRun]) -> String {
        line.iter()
            .map(|r| r.text.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn lines_never_exceed_the_width() {
        let fonts = FontSet::builtin();
        let text = "If you cannot go to the meeting at this time, please call us as soon as possible so that we can arrange a new time.";
        let lines = break_lines(&fonts, &plain(text), 11.0, 150.0, 0.0, 0.0);
        assert!(lines.len() > 3);
        for line in &lines {
            let t = line_text(line);
            assert!(fonts.measure(FontId::Regular, 11.0, &t) <= 150.01, "{t}");
        }
        let joined: Vec<String> = lines.iter().map(|l| line_text(l)).collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn hard_breaks_and_bold_runs() {
        let fonts = FontSet::builtin();
        let inl = vec![
            Inline {
                text: "Yours".into(),
                bold: true,
            },
            Inline {
                text: " sincerely\nChild Maintenance Service".into(),
                bold: false,
            },
        ];
        let lines = break_lines(&fonts, &inl, 11.0, 400.0, 0.0, 0.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 2);
        assert_eq!(lines[0][0].font, FontId::Bold);
        assert_eq!(line_text(&lines[1]), "Child Maintenance Service");
    }

    #[test]
    fn an_overlong_word_is_split() {
        let fonts = FontSet::builtin();
        let url = "www.gov.uk/dwp/personal-information-charter-and-more-and-more";
        let lines = break_lines(&fonts, &plain(url), 11.0, 100.0, 0.0, 0.0);
        assert!(lines.len() >= 3);
        let joined: String = lines.iter().map(|l| line_text(l)).collect();
        assert_eq!(joined, url);
    }

    #[test]
    fn a_web_address_breaks_after_its_slashes_and_hyphens() {
        let fonts = FontSet::builtin();
        let url = "www.gov.uk/dwp/personal-information-charter";
        let whole = fonts.measure(FontId::Regular, 11.0, url);
        let mut checked = 0;
        for width in [90.0, 110.0, 130.0, 150.0, whole - 1.0] {
            let lines = break_lines(&fonts, &plain(url), 11.0, width, 0.0, 0.0);
            let texts: Vec<String> = lines.iter().map(|l| line_text(l)).collect();
            assert!(texts.len() >= 2, "width {width}: {texts:?}");
            for t in &texts[..texts.len() - 1] {
                assert!(
                    t.ends_with('/') || t.ends_with('-'),
                    "width {width}: a line ends inside a word: {texts:?}"
                );
            }
            assert_eq!(texts.concat(), url);
            checked += 1;
        }
        assert_eq!(checked, 5);
    }

    #[test]
    fn a_web_address_at_the_end_of_a_line_starts_on_that_line() {
        let fonts = FontSet::builtin();
        let text = "or go to www.gov.uk/dwp/personal-information-charter today";
        let head = fonts.measure(FontId::Regular, 11.0, "or go to www.gov.uk/dwp/");
        let lines = break_lines(&fonts, &plain(text), 11.0, head + 2.0, 0.0, 0.0);
        let texts: Vec<String> = lines.iter().map(|l| line_text(l)).collect();
        assert_eq!(texts[0], "or go to www.gov.uk/dwp/", "{texts:?}");
        assert_eq!(texts[1..].concat(), "personal-information-charter today");
    }

    #[test]
    fn dates_amounts_references_and_postcodes_never_break() {
        let fonts = FontSet::builtin();
        let text = "Your meeting is on Monday 16 March 2026 at Crown House, Leeds LS2 7UZ. \
                    Your reference is 1234 5678 9012, call 0800 171 2345. We will pay \
                    £1,250.00 on 2026-03-16 or 16/03/2026, in (April 2026).";
        let whole = [
            "Monday 16 March 2026",
            "LS2 7UZ.",
            "1234 5678 9012,",
            "0800 171 2345.",
            "£1,250.00",
            "2026-03-16",
            "16/03/2026,",
            "(April 2026).",
        ];
        // From the narrowest line that holds each of them whole.
        let mut width = whole
            .iter()
            .map(|p| fonts.measure(FontId::Regular, 11.0, p))
            .fold(0.0, f32::max)
            + 0.5;
        while width < 420.0 {
            let lines = break_lines(&fonts, &plain(text), 11.0, width, 0.0, 0.0);
            let texts: Vec<String> = lines.iter().map(|l| line_text(l)).collect();
            assert_eq!(texts.join(" "), text, "width {width}");
            for phrase in whole {
                assert!(
                    texts.iter().any(|t| t.contains(phrase)),
                    "width {width}: `{phrase}` is broken: {texts:?}"
                );
            }
            width += 2.5;
        }
    }

    #[test]
    fn glue_rules() {
        assert!(glued("16", "March"));
        assert!(glued("March", "2026,"));
        assert!(glued("Monday", "16"));
        assert!(glued("1234", "5678"));
        assert!(glued("LS6", "1AB"));
        assert!(glued("SW1A", "2AA."));
        assert!(glued("(16", "March"));
        assert!(!glued("on", "16"));
        assert!(!glued("2026", "at"));
        assert!(!glued("Child", "Maintenance"));
        assert!(!glued("Leeds", "LS6"));
        assert!(!glued("LS6", "ABC"));
    }
}
