//! Line breaking: inline text → lines of glyph runs, greedy, with shaped widths.

use super::TextRun;
use crate::compose::Inline;
use crate::fonts::{FontId, FontSet, Glyph};

struct Token<'a> {
    word: &'a str,
    font: FontId,
    space_before: bool,
    hard_break: bool,
}

fn tokens(inlines: &[Inline]) -> Vec<Token<'_>> {
    let mut out = Vec::new();
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
                out.push(Token {
                    word,
                    font,
                    space_before: pending_space && !out.is_empty(),
                    hard_break: false,
                });
                pending_space = false;
            }
        }
    }
    out
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
    let toks = tokens(inlines);
    let mut lines: Vec<Vec<(&Token<'_>, Option<String>)>> = vec![Vec::new()];
    let mut used = 0.0f32;
    for tok in &toks {
        if tok.hard_break {
            lines.push(Vec::new());
            used = 0.0;
            continue;
        }
        let w = fonts.measure(tok.font, size, tok.word);
        let space = fonts
            .get(tok.font)
            .to_pt(fonts.get(tok.font).space_advance(), size);
        let current_empty = lines.last().is_none_or(Vec::is_empty);
        let extra = if current_empty { w } else { space + w };
        if used + extra <= width + 0.01 {
            if let Some(line) = lines.last_mut() {
                line.push((tok, None));
            }
            used += extra;
            continue;
        }
        if !current_empty {
            lines.push(Vec::new());
        }
        if w <= width {
            if let Some(line) = lines.last_mut() {
                line.push((tok, None));
            }
            used = w;
            continue;
        }
        // A word longer than the line (a long web address): split by characters.
        let mut chunk = String::new();
        for c in tok.word.chars() {
            chunk.push(c);
            if fonts.measure(tok.font, size, &chunk) > width && chunk.chars().count() > 1 {
                chunk.pop();
                if let Some(line) = lines.last_mut() {
                    line.push((tok, Some(std::mem::take(&mut chunk))));
                }
                lines.push(Vec::new());
                chunk.push(c);
            }
        }
        used = fonts.measure(tok.font, size, &chunk);
        if let Some(line) = lines.last_mut() {
            line.push((tok, Some(chunk)));
        }
    }
    if lines.last().is_some_and(Vec::is_empty) && lines.len() > 1 {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|line| {
            let items: Vec<(FontId, bool, &str)> = line
                .iter()
                .enumerate()
                .map(|(i, (tok, part))| {
                    (
                        tok.font,
                        i > 0 && tok.space_before,
                        part.as_deref().unwrap_or(tok.word),
                    )
                })
                .collect();
            runs_of(fonts, &items, size, x, y)
        })
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
}
