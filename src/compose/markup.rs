//! The small block markup templates produce, parsed into [`Block`]s.
//!
//! - `# Title` and `## Heading` lines are headings.
//! - `| Label | Value |` lines form a two-column table.
//! - `- item` lines are bullets.
//! - Other lines are paragraph text; a blank line ends a paragraph, a line
//!   ending in `\` forces a line break.
//! - `**bold**` inside text; `\` escapes the next character (values are
//!   escaped before they reach the template, so a value can never make markup).

use super::{Block, Inline};

/// Escapes text so the markup parser shows it literally.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '|' | '#' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Parses inline text: `**` toggles bold, `\x` is a literal x.
pub(crate) fn inlines(s: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut cur = String::new();
    let mut bold = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if !cur.is_empty() {
                    out.push(Inline {
                        text: std::mem::take(&mut cur),
                        bold,
                    });
                }
                bold = !bold;
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Inline { text: cur, bold });
    }
    out
}

/// Splits a table line on unescaped `|`.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner
        .strip_suffix('|')
        .filter(|s| !s.ends_with('\\'))
        .unwrap_or(inner);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push('\\');
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_owned()),
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_owned());
    out
}

fn ends_with_unescaped_backslash(s: &str) -> bool {
    let n = s.chars().rev().take_while(|&c| c == '\\').count();
    n % 2 == 1
}

/// Parses rendered template output into blocks.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para = String::new();
    let mut table: Vec<(String, Vec<Inline>)> = Vec::new();
    let flush_para = |para: &mut String, blocks: &mut Vec<Block>| {
        let t = para.trim();
        if !t.is_empty() {
            blocks.push(Block::Paragraph(inlines(t)));
        }
        para.clear();
    };
    let flush_table = |table: &mut Vec<(String, Vec<Inline>)>, blocks: &mut Vec<Block>| {
        if !table.is_empty() {
            blocks.push(Block::Table(std::mem::take(table)));
        }
    };
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            flush_para(&mut para, &mut blocks);
            flush_table(&mut table, &mut blocks);
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            flush_para(&mut para, &mut blocks);
            flush_table(&mut table, &mut blocks);
            blocks.push(Block::Heading {
                level: 2,
                text: inlines(h).into_iter().map(|i| i.text).collect(),
            });
        } else if let Some(h) = line.strip_prefix("# ") {
            flush_para(&mut para, &mut blocks);
            flush_table(&mut table, &mut blocks);
            blocks.push(Block::Heading {
                level: 1,
                text: inlines(h).into_iter().map(|i| i.text).collect(),
            });
        } else if line.starts_with('|') {
            flush_para(&mut para, &mut blocks);
            let c = cells(line);
            let label: String = c
                .first()
                .map(|l| inlines(l).into_iter().map(|i| i.text).collect())
                .unwrap_or_default();
            let value = c.get(1).map(|v| inlines(v)).unwrap_or_default();
            table.push((label, value));
        } else if let Some(item) = line.strip_prefix("- ") {
            flush_para(&mut para, &mut blocks);
            flush_table(&mut table, &mut blocks);
            blocks.push(Block::Bullet(inlines(item)));
        } else {
            flush_table(&mut table, &mut blocks);
            if ends_with_unescaped_backslash(line) {
                para.push_str(&line[..line.len() - 1]);
                para.push('\n');
            } else {
                para.push_str(line);
                para.push(' ');
            }
        }
    }
    flush_para(&mut para, &mut blocks);
    flush_table(&mut table, &mut blocks);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_each_kind() {
        let src = "# Title\n\nOne line\nsame paragraph.\n\n| **Date** | 2 March |\n| Time | 10am |\n## Next\n- a bullet\nYours sincerely\\\nChild Maintenance Service\n";
        let b = parse(src);
        assert_eq!(b.len(), 6, "{b:?}");
        assert!(matches!(&b[0], Block::Heading { level: 1, text } if text == "Title"));
        assert!(matches!(&b[1], Block::Paragraph(i) if i[0].text == "One line same paragraph."));
        assert!(
            matches!(&b[2], Block::Table(rows) if rows.len() == 2 && rows[0].0 == "Date" && rows[1].1[0].text == "10am")
        );
        assert!(matches!(&b[3], Block::Heading { level: 2, .. }));
        assert!(matches!(&b[4], Block::Bullet(_)));
        assert!(
            matches!(&b[5], Block::Paragraph(i) if i[0].text == "Yours sincerely\nChild Maintenance Service")
        );
    }

    #[test]
    fn escaped_values_stay_literal() {
        let v = escape("# not a heading | **not bold** - \\");
        let b = parse(&format!("{v}\n"));
        let Block::Paragraph(i) = &b[0] else {
            panic!("{b:?}")
        };
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].text, "# not a heading | **not bold** - \\");
        assert!(!i[0].bold);
        let row = parse(&format!("| Where | {} |\n", escape("A | B")));
        assert!(matches!(&row[0], Block::Table(r) if r[0].1[0].text == "A | B"));
    }
}
