//! What changed between two catalogs: the wording of each paragraph and
//! letter, word by word, which letters and choices each paragraph change
//! reaches, the fields added and removed, and both catalogs' digests.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::{Catalog, FieldType, Letter, Selects};

/// One step of a word-level diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "op", content = "text")]
pub enum Word {
    /// Words in both.
    Same(String),
    /// Words only in the old wording.
    Removed(String),
    /// Words only in the new wording.
    Added(String),
}

/// The word-level diff of `old` and `new` (words split at white space; runs
/// of the same kind joined with single spaces).
pub fn words(old: &str, new: &str) -> Vec<Word> {
    let a: Vec<&str> = old.split_whitespace().collect();
    let b: Vec<&str> = new.split_whitespace().collect();
    // Longest common subsequence, by table (wording is short).
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let mut out: Vec<Word> = Vec::new();
    let mut push = |w: Word| {
        let joined = match (out.last_mut(), &w) {
            (Some(Word::Same(x)), Word::Same(y))
            | (Some(Word::Removed(x)), Word::Removed(y))
            | (Some(Word::Added(x)), Word::Added(y)) => {
                x.push(' ');
                x.push_str(y);
                true
            }
            _ => false,
        };
        if !joined {
            out.push(w);
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            push(Word::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || t[i + 1][j] >= t[i][j + 1]) {
            push(Word::Removed(a[i].to_owned()));
            i += 1;
        } else {
            push(Word::Added(b[j].to_owned()));
            j += 1;
        }
    }
    out
}

/// A word diff as one line: `[-old-]{+new+}`, long unchanged runs cut to
/// their first and last few words.
pub fn show_words(diff: &[Word]) -> String {
    let mut out = String::new();
    let last = diff.len().saturating_sub(1);
    for (i, w) in diff.iter().enumerate() {
        if !out.is_empty() {
            out.push(' ');
        }
        match w {
            Word::Same(t) => {
                let ws: Vec<&str> = t.split(' ').collect();
                let keep = 6;
                if ws.len() > 2 * keep + 1 {
                    let head = if i == 0 { &[][..] } else { &ws[..keep] };
                    let tail = if i == last {
                        &[][..]
                    } else {
                        &ws[ws.len() - keep..]
                    };
                    let mut parts = Vec::new();
                    if !head.is_empty() {
                        parts.push(head.join(" "));
                    }
                    parts.push("…".to_owned());
                    if !tail.is_empty() {
                        parts.push(tail.join(" "));
                    }
                    out.push_str(&parts.join(" "));
                } else {
                    out.push_str(t);
                }
            }
            Word::Removed(t) => {
                out.push_str("[-");
                out.push_str(t);
                out.push_str("-]");
            }
            Word::Added(t) => {
                out.push_str("{+");
                out.push_str(t);
                out.push_str("+}");
            }
        }
    }
    out
}

/// `added`, `removed` or `changed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in the new catalog.
    Added,
    /// Only in the old catalog.
    Removed,
    /// In both, different.
    Changed,
}

impl Change {
    /// The word.
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// Where a paragraph shows: a letter's choice or optional paragraph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reach {
    /// Letter code.
    pub letter: String,
    /// The choice field (`reason`), or None for an optional paragraph.
    pub field: Option<String>,
    /// The choice code (`payments`) or optional paragraph id.
    pub choice: String,
}

impl std::fmt::Display for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} {field} = {}", self.letter, self.choice),
            None => write!(f, "{} optional {}", self.letter, self.choice),
        }
    }
}

/// A paragraph of the library that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParagraphChange {
    /// Its code.
    pub code: String,
    /// Added, removed or changed.
    pub change: Change,
    /// The wording, word by word.
    pub words: Vec<Word>,
    /// Every letter choice and optional paragraph that shows it (in either
    /// catalog).
    pub reaches: Vec<Reach>,
}

/// One piece of a letter's own wording that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextChange {
    /// What it is: `title`, `template`, `choice reason = other`, `optional bring-someone`.
    pub what: String,
    /// The wording, word by word.
    pub words: Vec<Word>,
    /// The choice it belongs to, when it is a choice's or optional paragraph's.
    pub reach: Option<Reach>,
}

/// A letter that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterChange {
    /// Its code.
    pub code: String,
    /// Added, removed or changed.
    pub change: Change,
    /// Its own wording that changed.
    pub wording: Vec<TextChange>,
    /// Fields only in the new definition.
    pub fields_added: Vec<String>,
    /// Fields only in the old definition.
    pub fields_removed: Vec<String>,
    /// Choices (`reason = payments`) only in the new definition.
    pub choices_added: Vec<String>,
    /// Choices only in the old definition.
    pub choices_removed: Vec<String>,
    /// Choices and optional paragraphs that select another paragraph now
    /// (`reason = payments: TM_1_E → TM_2_E`).
    pub selects_changed: Vec<String>,
}

/// What changed between two catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old catalog's digest.
    pub old_digest: String,
    /// The new catalog's digest.
    pub new_digest: String,
    /// Library paragraphs that changed.
    pub paragraphs: Vec<ParagraphChange>,
    /// Letters that changed.
    pub letters: Vec<LetterChange>,
    /// Whether the shared settings (sender block, author, braille carrier
    /// page wording) changed.
    pub settings_changed: bool,
    /// The pack kinds whose procedure changed.
    pub procedures_changed: Vec<String>,
}

impl Diff {
    /// Whether anything changed (the digests differ).
    pub fn changed(&self) -> bool {
        self.old_digest != self.new_digest
    }

    /// Every (letter, choice) the changes reach, and the letters whose own
    /// wording changed as a whole (template, title: `field` None and
    /// `choice` empty).
    pub fn reaches(&self) -> Vec<Reach> {
        let mut out: BTreeSet<Reach> = BTreeSet::new();
        for p in &self.paragraphs {
            out.extend(p.reaches.iter().cloned());
        }
        for l in &self.letters {
            for w in &l.wording {
                out.insert(w.reach.clone().unwrap_or(Reach {
                    letter: l.code.clone(),
                    field: None,
                    choice: String::new(),
                }));
            }
            if l.change != Change::Changed
                || !l.fields_added.is_empty()
                || !l.fields_removed.is_empty()
                || !l.choices_added.is_empty()
                || !l.selects_changed.is_empty()
            {
                out.insert(Reach {
                    letter: l.code.clone(),
                    field: None,
                    choice: String::new(),
                });
            }
        }
        out.into_iter().collect()
    }
}

/// Where paragraph `code` (either language) shows in `catalog`.
fn reaches_of(catalog: &Catalog, code: &str) -> Vec<Reach> {
    let base = |c: &str| {
        c.strip_suffix("_E")
            .or_else(|| c.strip_suffix("_W"))
            .unwrap_or(c)
            .to_owned()
    };
    let want = base(code);
    let mut out = Vec::new();
    for l in catalog.letters() {
        for f in &l.fields {
            if let FieldType::Choice(choices) = &f.ty {
                for c in choices {
                    if matches!(&c.selects, Selects::Paragraph(p) if base(p) == want) {
                        out.push(Reach {
                            letter: l.code.clone(),
                            field: Some(f.name.clone()),
                            choice: c.code.clone(),
                        });
                    }
                }
            }
        }
        for o in &l.optional_paragraphs {
            if matches!(&o.selects, Selects::Paragraph(p) if base(p) == want) {
                out.push(Reach {
                    letter: l.code.clone(),
                    field: None,
                    choice: o.id.clone(),
                });
            }
        }
    }
    out
}

/// Each choice of a letter: (`field = code`, what it selects).
fn choices_of(l: &Letter) -> Vec<(String, String, String, &Selects)> {
    let mut out = Vec::new();
    for f in &l.fields {
        if let FieldType::Choice(choices) = &f.ty {
            for c in choices {
                out.push((
                    format!("{} = {}", f.name, c.code),
                    f.name.clone(),
                    c.code.clone(),
                    &c.selects,
                ));
            }
        }
    }
    out
}

fn selects_name(s: &Selects) -> String {
    match s {
        Selects::Paragraph(p) => p.clone(),
        Selects::Text(_) => "its own text".into(),
        Selects::FreeText(f) => format!("the field {f}"),
        Selects::Value => "its code".into(),
    }
}

fn text_of(s: &Selects) -> Option<&str> {
    match s {
        Selects::Text(t) => Some(t),
        _ => None,
    }
}

fn letter_change(old: Option<&Letter>, new: Option<&Letter>) -> Option<LetterChange> {
    let (code, change) = match (old, new) {
        (None, Some(n)) => (n.code.clone(), Change::Added),
        (Some(o), None) => (o.code.clone(), Change::Removed),
        (Some(o), Some(_)) => (o.code.clone(), Change::Changed),
        (None, None) => return None,
    };
    let mut wording = Vec::new();
    let mut text = |what: String, a: &str, b: &str, reach: Option<Reach>| {
        if a.split_whitespace().ne(b.split_whitespace()) {
            wording.push(TextChange {
                what,
                words: words(a, b),
                reach,
            });
        }
    };
    let empty = String::new();
    text(
        "title".into(),
        old.map_or(&empty, |l| &l.title),
        new.map_or(&empty, |l| &l.title),
        None,
    );
    text(
        "template".into(),
        old.map_or(&empty, |l| &l.template),
        new.map_or(&empty, |l| &l.template),
        None,
    );
    let oc = old.map(choices_of).unwrap_or_default();
    let nc = new.map(choices_of).unwrap_or_default();
    let mut selects_changed = Vec::new();
    for (label, field, choice, s) in &nc {
        let before = oc.iter().find(|(l, ..)| l == label).map(|(.., s)| *s);
        let reach = Some(Reach {
            letter: code.clone(),
            field: Some(field.clone()),
            choice: choice.clone(),
        });
        if let Some(b) = before {
            if selects_name(b) != selects_name(s) {
                selects_changed.push(format!(
                    "{label}: {} → {}",
                    selects_name(b),
                    selects_name(s)
                ));
            }
            if let (Some(x), Some(y)) = (text_of(b), text_of(s)) {
                text(format!("choice {label}"), x, y, reach);
            }
        }
    }
    let oo: Vec<(&str, &Selects)> = old
        .map(|l| {
            l.optional_paragraphs
                .iter()
                .map(|o| (o.id.as_str(), &o.selects))
                .collect()
        })
        .unwrap_or_default();
    if let Some(n) = new {
        for o in &n.optional_paragraphs {
            if let Some((_, b)) = oo.iter().find(|(id, _)| *id == o.id) {
                let reach = Some(Reach {
                    letter: code.clone(),
                    field: None,
                    choice: o.id.clone(),
                });
                if selects_name(b) != selects_name(&o.selects) {
                    selects_changed.push(format!(
                        "optional {}: {} → {}",
                        o.id,
                        selects_name(b),
                        selects_name(&o.selects)
                    ));
                }
                if let (Some(x), Some(y)) = (text_of(b), text_of(&o.selects)) {
                    text(format!("optional {}", o.id), x, y, reach);
                }
            }
        }
    }
    let names = |l: Option<&Letter>| -> Vec<String> {
        l.map(|l| l.fields.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default()
    };
    let (of, nf) = (names(old), names(new));
    let fields_added: Vec<String> = nf.iter().filter(|f| !of.contains(f)).cloned().collect();
    let fields_removed: Vec<String> = of.iter().filter(|f| !nf.contains(f)).cloned().collect();
    let labels = |c: &[(String, String, String, &Selects)]| -> Vec<String> {
        c.iter().map(|(l, ..)| l.clone()).collect()
    };
    let (ol, nl) = (labels(&oc), labels(&nc));
    let choices_added: Vec<String> = nl.iter().filter(|c| !ol.contains(c)).cloned().collect();
    let choices_removed: Vec<String> = ol.iter().filter(|c| !nl.contains(c)).cloned().collect();
    let c = LetterChange {
        code,
        change,
        wording,
        fields_added,
        fields_removed,
        choices_added,
        choices_removed,
        selects_changed,
    };
    let nothing = c.change == Change::Changed
        && c.wording.is_empty()
        && c.fields_added.is_empty()
        && c.fields_removed.is_empty()
        && c.choices_added.is_empty()
        && c.choices_removed.is_empty()
        && c.selects_changed.is_empty();
    (!nothing).then_some(c)
}

/// What changed from `old` to `new`.
pub fn diff(old: &Catalog, new: &Catalog) -> Diff {
    let mut paragraphs = Vec::new();
    let codes: BTreeSet<&str> = old
        .paragraphs()
        .chain(new.paragraphs())
        .map(|p| p.code.as_str())
        .collect();
    let find = |c: &Catalog, code: &str| c.paragraphs().find(|p| p.code == code).cloned();
    for code in codes {
        let (a, b) = (find(old, code), find(new, code));
        let change = match (&a, &b) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(x), Some(y)) if x.text.split_whitespace().ne(y.text.split_whitespace()) => {
                Change::Changed
            }
            _ => continue,
        };
        let mut reaches: BTreeSet<Reach> = reaches_of(new, code).into_iter().collect();
        reaches.extend(reaches_of(old, code));
        paragraphs.push(ParagraphChange {
            code: code.to_owned(),
            change,
            words: words(
                a.as_ref().map_or("", |p| p.text.as_str()),
                b.as_ref().map_or("", |p| p.text.as_str()),
            ),
            reaches: reaches.into_iter().collect(),
        });
    }
    let letter_codes: BTreeSet<&str> = old
        .letters()
        .chain(new.letters())
        .map(|l| l.code.as_str())
        .collect();
    let letters = letter_codes
        .into_iter()
        .filter_map(|c| letter_change(old.letter(c), new.letter(c)))
        .collect();
    let procedures_changed = crate::pack::PackKind::ALL
        .iter()
        .filter(|k| old.procedures().get(**k) != new.procedures().get(**k))
        .map(|k| k.name().to_owned())
        .collect();
    Diff {
        old_digest: old.digest().to_owned(),
        new_digest: new.digest().to_owned(),
        paragraphs,
        letters,
        settings_changed: old.settings.sender != new.settings.sender
            || old.settings.author != new.settings.author
            || carrier_words(&old.settings) != carrier_words(&new.settings),
        procedures_changed,
    }
}

/// The braille carrier page's wording, for comparing two catalogs.
fn carrier_words(s: &crate::catalog::Settings) -> Option<(&str, &[String])> {
    s.braille_carrier
        .as_ref()
        .map(|c| (c.heading.as_str(), c.paragraphs.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_mark_what_went_and_came() {
        assert_eq!(
            words(
                "Payments made in your case",
                "Payments received in your case"
            ),
            [
                Word::Same("Payments".into()),
                Word::Removed("made".into()),
                Word::Added("received".into()),
                Word::Same("in your case".into()),
            ]
        );
        assert_eq!(show_words(&words("a b c", "a x c")), "a [-b-] {+x+} c");
        assert_eq!(
            words("same  words", "same words"),
            [Word::Same("same words".into())]
        );
    }

    #[test]
    fn long_unchanged_runs_are_cut() {
        let old =
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen end";
        let new = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen finish";
        assert_eq!(
            show_words(&words(old, new)),
            "… nine ten eleven twelve thirteen fourteen [-end-] {+finish+}"
        );
    }
}
