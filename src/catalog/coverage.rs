//! Coverage of a checked catalog: which paragraphs each letter's choices and
//! optional paragraphs reach, which library paragraphs no letter uses, which
//! choices and optional paragraphs the template never shows, and which
//! wording has no Welsh counterpart.
//!
//! Reachability is tried, not guessed: the catalog is copied with every
//! wording replaced by a unique marker, each letter is composed once per
//! choice (the other fields at their first choice) and once per optional
//! paragraph, and a choice whose marker is not in the composed text is
//! unreachable (a template that never prints `{{ reason }}`, or prints it
//! only under a condition no choice meets).

use std::collections::BTreeSet;

use super::{Catalog, FieldType, Language, Letter, Problem, Selects};
use crate::request::{Date, FieldValue, Money, Recipient, Request, Time};

/// What one choice or optional paragraph selects, as coverage reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The choice code or optional paragraph id.
    pub code: String,
    /// The library paragraph it selects (None: inline text, free text or the
    /// code itself).
    pub paragraph: Option<String>,
    /// `paragraph`, `text` (inline wording), `free-text` or `value`.
    pub selects: &'static str,
    /// Whether the template shows it.
    pub reachable: bool,
}

/// One choice field of a letter and where each choice leads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldCoverage {
    /// The field name (`reason`).
    pub field: String,
    /// Each choice, in order.
    pub choices: Vec<Target>,
}

/// One letter's coverage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LetterCoverage {
    /// Letter code.
    pub letter: String,
    /// Its choice fields.
    pub fields: Vec<FieldCoverage>,
    /// Its optional paragraphs.
    pub optional_paragraphs: Vec<Target>,
}

/// A catalog's coverage (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    /// Per letter, in code order.
    pub letters: Vec<LetterCoverage>,
    /// Library paragraphs no letter selects (a `_W` paragraph counts as used
    /// when its `_E` is).
    pub unused_paragraphs: Vec<String>,
    /// The warnings `check` prints: unused paragraphs and unreachable
    /// choices and optional paragraphs, each at its place in its file.
    #[serde(skip)]
    pub warnings: Vec<Problem>,
}

/// Something a letter in Welsh would need and the catalog lacks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingWelsh {
    /// Letter code.
    pub letter: String,
    /// `paragraph` (a library paragraph with no `_W`), `text` (inline
    /// wording of a choice or optional paragraph) or `template` (the
    /// letter's own wording).
    pub what: &'static str,
    /// The `_W` code wanted, or the choice/optional id of inline text, or
    /// the letter code for its template.
    pub code: String,
    /// Where the English wording is.
    #[serde(skip)]
    pub at: Problem,
}

fn base(code: &str) -> &str {
    code.strip_suffix("_E")
        .or_else(|| code.strip_suffix("_W"))
        .unwrap_or(code)
}

fn marker(n: usize) -> String {
    format!("zqcover{n}zq")
}

/// A request for `letter` good enough to compose: every field filled, the
/// first choice of each choice field, no optional paragraph.
pub(crate) fn probe_request(letter: &Letter) -> Option<Request> {
    let date = Date::parse("2026-03-16").ok()?;
    let mut fields = std::collections::BTreeMap::new();
    for f in &letter.fields {
        let v = match &f.ty {
            FieldType::Text => FieldValue::Text("Sample".into()),
            FieldType::Lines => FieldValue::Lines(vec!["Sample".into()]),
            FieldType::Date => FieldValue::Date(date),
            FieldType::Time => FieldValue::Time(Time::parse("10:30").ok()?),
            FieldType::Money => FieldValue::Money(Money(12_345)),
            FieldType::Number => FieldValue::Number(2),
            FieldType::Boolean => FieldValue::Bool(true),
            FieldType::Choice(choices) => FieldValue::Choice(choices.first()?.code.clone()),
        };
        fields.insert(f.name.clone(), v);
    }
    Some(Request {
        id: None,
        letter: letter.code.clone(),
        date,
        reference: "1234 5678 9012".into(),
        recipient: (letter.kind == super::DocKind::Letter).then(|| Recipient {
            name: "Sample Name".into(),
            address: vec!["1 Sample Street".into(), "Sampletown".into()],
            postcode: "LS1 1AA".into(),
        }),
        language: Language::En,
        format: crate::request::format::LetterFormat::Standard,
        fields,
        optional: Vec::new(),
    })
}

/// The plain text of composed blocks.
fn text_of(blocks: &[crate::compose::Block]) -> String {
    use crate::compose::Block;
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading { text, .. } => out.push_str(text),
            Block::Paragraph(inl) | Block::Bullet(inl) => {
                for i in inl {
                    out.push_str(&i.text);
                }
            }
            Block::Table(rows) => {
                for (l, v) in rows {
                    out.push_str(l);
                    for i in v {
                        out.push_str(&i.text);
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

impl Catalog {
    /// Where `needle` (a whole word) first appears in `file` after `after`
    /// (a word that must come first, e.g. the field's name): its shown file
    /// name, line and column.
    fn position(&self, file: &str, after: &[&str], needle: &str) -> Problem {
        let text = self
            .sources
            .iter()
            .find(|f| f.path == file)
            .map_or("", |f| f.text.as_str());
        let mut from = 0;
        for a in after {
            if let Some(i) = find_word(&text[from..], a) {
                from += i + a.len();
            }
        }
        let at = find_word(&text[from..], needle).map_or(0, |i| from + i);
        let (line, column) = if text.is_empty() {
            (0, 0)
        } else {
            let line = text[..at].matches('\n').count() as u32 + 1;
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            (line, text[start..at].chars().count() as u32 + 1)
        };
        let shown = self
            .shown
            .get(file)
            .cloned()
            .unwrap_or_else(|| file.to_owned());
        Problem::new(&shown, line, column, "")
    }

    /// The catalog's coverage: see [`Coverage`].
    pub fn coverage(&self) -> Coverage {
        // A copy whose every wording is a marker, so that what reaches the
        // composed text can be told apart.
        let mut probe = self.clone();
        let mut markers: Vec<String> = Vec::new();
        let mut mark = || {
            markers.push(marker(markers.len()));
            markers.last().cloned().unwrap_or_default()
        };
        for p in probe.paragraphs.values_mut() {
            p.text = mark();
        }
        for l in probe.letters_mut() {
            for f in &mut l.fields {
                if let FieldType::Choice(choices) = &mut f.ty {
                    for c in choices {
                        if let Selects::Text(t) = &mut c.selects {
                            *t = mark();
                        }
                    }
                }
            }
            for o in &mut l.optional_paragraphs {
                if let Selects::Text(t) = &mut o.selects {
                    *t = mark();
                }
            }
        }
        let composer = crate::compose::Composer::new(&probe);
        let shows = |letter: &Letter, req: &Request, what: &str| -> bool {
            match composer.compose(&probe, letter, req) {
                Ok(c) => text_of(&c.blocks).contains(what),
                // A template that fails for the probe is not judged here.
                Err(_) => true,
            }
        };
        let wording = |letter: &Letter, s: &Selects| -> Option<String> {
            probe
                .wording(s, Language::En)
                .map(str::to_owned)
                .or_else(|| {
                    matches!(s, Selects::FreeText(_)).then(|| format!("zqfree{}zq", letter.code))
                })
        };

        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut letters = Vec::new();
        let mut warnings = Vec::new();
        for l in probe.letters() {
            let base_req = probe_request(l);
            let mut fields = Vec::new();
            for f in &l.fields {
                let FieldType::Choice(choices) = &f.ty else {
                    continue;
                };
                let mut out = Vec::new();
                for c in choices {
                    let (paragraph, selects) = match &c.selects {
                        Selects::Paragraph(p) => (Some(p.clone()), "paragraph"),
                        Selects::Text(_) => (None, "text"),
                        Selects::FreeText(_) => (None, "free-text"),
                        Selects::Value => (None, "value"),
                    };
                    if let Some(p) = &paragraph {
                        used.insert(base(p).to_owned());
                    }
                    let reachable = match (&base_req, wording(l, &c.selects)) {
                        (Some(req), Some(w)) => {
                            let mut req = req.clone();
                            req.fields
                                .insert(f.name.clone(), FieldValue::Choice(c.code.clone()));
                            if let Selects::FreeText(target) = &c.selects {
                                req.fields
                                    .insert(target.clone(), FieldValue::Text(w.clone()));
                            }
                            shows(l, &req, &w)
                        }
                        _ => true,
                    };
                    if !reachable {
                        let mut p = self.position(&l.file, &["fields", &f.name], &c.code);
                        p.message = format!(
                            "warning: choice `{}` of field `{}` never shows in {}: the template does not print `{{{{ {} }}}}` for it",
                            c.code,
                            f.name,
                            l.code,
                            f.var()
                        );
                        warnings.push(p);
                    }
                    out.push(Target {
                        code: c.code.clone(),
                        paragraph,
                        selects,
                        reachable,
                    });
                }
                fields.push(FieldCoverage {
                    field: f.name.clone(),
                    choices: out,
                });
            }
            let mut optional = Vec::new();
            for o in &l.optional_paragraphs {
                let (paragraph, selects) = match &o.selects {
                    Selects::Paragraph(p) => (Some(p.clone()), "paragraph"),
                    _ => (None, "text"),
                };
                if let Some(p) = &paragraph {
                    used.insert(base(p).to_owned());
                }
                let reachable = match (&base_req, wording(l, &o.selects)) {
                    (Some(req), Some(w)) => {
                        let mut req = req.clone();
                        req.optional = vec![o.id.clone()];
                        shows(l, &req, &w)
                    }
                    _ => true,
                };
                if !reachable {
                    let mut p = self.position(&l.file, &["optional-paragraphs"], &o.id);
                    p.message = format!(
                        "warning: optional paragraph `{}` never shows in {}: the template does not print `optional_paragraphs`",
                        o.id, l.code
                    );
                    warnings.push(p);
                }
                optional.push(Target {
                    code: o.id.clone(),
                    paragraph,
                    selects,
                    reachable,
                });
            }
            letters.push(LetterCoverage {
                letter: l.code.clone(),
                fields,
                optional_paragraphs: optional,
            });
        }
        let unused_paragraphs: Vec<String> = self
            .paragraphs
            .values()
            .filter(|p| !used.contains(base(&p.code)))
            .map(|p| p.code.clone())
            .collect();
        for code in &unused_paragraphs {
            if let Some(p) = self.paragraphs.get(code) {
                let mut at = self.position(&p.file, &[], code);
                at.message = format!(
                    "warning: paragraph `{code}` is not used by any letter (no choice or optional paragraph selects it)"
                );
                warnings.push(at);
            }
        }
        warnings.sort();
        Coverage {
            letters,
            unused_paragraphs,
            warnings,
        }
    }

    /// Every paragraph and letter text a letter in Welsh would need and the
    /// catalog lacks, by letter: library paragraphs without their `_W`,
    /// inline wording (which has no Welsh form) and the template itself
    /// (letters have one template, in English).
    pub fn missing_welsh(&self) -> Vec<MissingWelsh> {
        let mut out = Vec::new();
        for l in self.letters() {
            let mut seen = BTreeSet::new();
            let mut selects: Vec<([&str; 2], &str, &Selects)> = Vec::new();
            for f in &l.fields {
                if let FieldType::Choice(choices) = &f.ty {
                    for c in choices {
                        selects.push((["fields", f.name.as_str()], c.code.as_str(), &c.selects));
                    }
                }
            }
            for o in &l.optional_paragraphs {
                selects.push((["optional-paragraphs", "id"], o.id.as_str(), &o.selects));
            }
            for (after, id, s) in selects {
                match s {
                    Selects::Paragraph(code) => {
                        let welsh = format!("{}_W", base(code));
                        if !self.paragraphs.contains_key(&welsh) && seen.insert(welsh.clone()) {
                            let mut at = self.position(
                                self.paragraphs.get(code).map_or(&l.file, |p| &p.file),
                                &[],
                                code,
                            );
                            at.message = format!(
                                "{}: paragraph {code} has no Welsh counterpart {welsh}",
                                l.code
                            );
                            out.push(MissingWelsh {
                                letter: l.code.clone(),
                                what: "paragraph",
                                code: welsh,
                                at,
                            });
                        }
                    }
                    Selects::Text(_) => {
                        let mut at = self.position(&l.file, &after, id);
                        at.message = format!(
                            "{}: the wording of `{id}` is written in the letter, in English only",
                            l.code
                        );
                        out.push(MissingWelsh {
                            letter: l.code.clone(),
                            what: "text",
                            code: id.to_owned(),
                            at,
                        });
                    }
                    Selects::FreeText(_) | Selects::Value => {}
                }
            }
            let mut at = self.position(&l.file, &[], "template");
            at.message = format!(
                "{}: the letter's own wording (its template) is in English only",
                l.code
            );
            out.push(MissingWelsh {
                letter: l.code.clone(),
                what: "template",
                code: l.code.clone(),
                at,
            });
        }
        out
    }
}

/// The byte offset of `word` in `text` as a whole word (letters, digits,
/// `_` and `-` around it end a word).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        !is_word(text[..i].chars().next_back()) && !is_word(text[i + word.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_uses_every_paragraph_and_shows_every_choice() {
        let c = Catalog::builtin().expect("the shipped catalog");
        let cov = c.coverage();
        assert_eq!(cov.unused_paragraphs, Vec::<String>::new());
        assert_eq!(cov.warnings, Vec::<Problem>::new());
        let l = cov
            .letters
            .iter()
            .find(|l| l.letter == "CMSL5502")
            .expect("CMSL5502");
        let reason = l
            .fields
            .iter()
            .find(|f| f.field == "reason")
            .expect("reason");
        assert_eq!(reason.choices.len(), 11);
        let payments = reason
            .choices
            .iter()
            .find(|c| c.code == "payments")
            .expect("payments");
        assert_eq!(payments.paragraph.as_deref(), Some("TM_25827_E"));
        assert!(payments.reachable);
    }

    #[test]
    fn find_word_skips_longer_words() {
        assert_eq!(find_word("payments-since payments", "payments"), Some(15));
        assert_eq!(find_word("xpayments", "payments"), None);
    }
}
