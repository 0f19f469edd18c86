//! Request: one letter's input, validated against its definition.
//!
//! A request is read into a positioned tree ([`tree`]), then checked against
//! the catalog: every problem in the document is collected, each with its
//! file, line, column, field path and what is allowed.

pub mod address;
pub mod tree;
pub mod values;

use std::collections::BTreeMap;
use std::fmt;

use crate::catalog::{Catalog, DocKind, FieldType, Language, Letter, Selects};
use crate::fonts::{FontId, FontSet};
use crate::layout::{ADDRESS_WIDTH, address_size};
pub use tree::{Key, Node, Pos, Value as TreeValue};
pub use values::{Date, Money, Time};

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The caller's id (names outputs in batches).
    pub id: Option<String>,
    /// Letter code.
    pub letter: String,
    /// Date printed on the letter.
    pub date: Date,
    /// The client's reference (SCIN), as printed.
    pub reference: String,
    /// Who the letter goes to (letters only).
    pub recipient: Option<Recipient>,
    /// Language.
    pub language: Language,
    /// Field values by field name.
    pub fields: BTreeMap<String, FieldValue>,
    /// Optional paragraphs chosen, in the definition's order.
    pub optional: Vec<String>,
}

/// The addressee.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// Name line.
    pub name: String,
    /// Address lines (1 to 5).
    pub address: Vec<String>,
    /// Normalised UK postcode.
    pub postcode: String,
}

impl Recipient {
    /// Every line of the address block: name, lines, postcode.
    pub fn lines(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.address.len() + 2);
        v.push(self.name.clone());
        v.extend(self.address.iter().cloned());
        v.push(self.postcode.clone());
        v
    }
}

/// A checked field value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text.
    Text(String),
    /// Lines of text.
    Lines(Vec<String>),
    /// A date.
    Date(Date),
    /// A time.
    Time(Time),
    /// Money.
    Money(Money),
    /// A whole number.
    Number(i64),
    /// True or false.
    Bool(bool),
    /// A choice code.
    Choice(String),
}

/// One problem in a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Where the request came from (file, or file and line for JSON Lines).
    pub origin: String,
    /// Position.
    pub pos: Pos,
    /// Field path, e.g. `fields.meeting-date` or `recipient.address[2]`.
    pub path: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.origin, self.pos.line, self.pos.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in one request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct RequestError {
    /// The problems in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

const TOP_KEYS: &[&str] = &[
    "id",
    "letter",
    "date",
    "reference",
    "recipient",
    "language",
    "fields",
    "optional",
];
const RECIPIENT_KEYS: &[&str] = &["name", "address", "postcode"];
/// Longest text field unless the definition says otherwise.
pub const DEFAULT_MAX_TEXT: usize = 600;
/// Longest address line, characters.
pub const MAX_ADDRESS_LINE: usize = 45;

struct Checker<'a> {
    origin: &'a str,
    fonts: &'a FontSet,
    out: Vec<Diagnostic>,
}

/// The candidate in `allowed` closest to `got` (at most two edits, case
/// ignored), for a "did you mean" hint.
pub fn closest<'a>(got: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let got = got.to_lowercase();
    allowed
        .iter()
        .map(|a| (edit_distance(&got, &a.to_lowercase()), *a))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, a)| a)
}

/// Levenshtein distance, for did-you-mean suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// "unknown key `x`, expected one of `a`, `b` (did you mean `y`?)".
fn unknown(what: &str, got: &str, allowed: &[&str]) -> String {
    unknown_in(what, got, "", allowed)
}

/// Like [`unknown`], with words after the name (e.g. " for CMSL5502").
fn unknown_in(what: &str, got: &str, context: &str, allowed: &[&str]) -> String {
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let close = allowed
        .iter()
        .map(|a| (edit_distance(&got.to_lowercase(), &a.to_lowercase()), a))
        .filter(|(d, _)| *d <= 2)
        .min();
    match close {
        Some((_, a)) => {
            format!("unknown {what} `{got}`{context}, expected one of {list} (did you mean `{a}`?)")
        }
        None => format!("unknown {what} `{got}`{context}, expected one of {list}"),
    }
}

impl Checker<'_> {
    fn err(&mut self, pos: Pos, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(Diagnostic {
            origin: self.origin.to_owned(),
            pos,
            path: path.into(),
            message: message.into(),
        });
    }

    /// A printable single line of text.
    fn text(&mut self, node: &Node, path: &str, max: usize) -> Option<String> {
        self.text_as(node, path, max, "text")
    }

    /// Like [`Checker::text`], naming what is expected (e.g. "a date, YYYY-MM-DD").
    fn text_as(&mut self, node: &Node, path: &str, max: usize, expected: &str) -> Option<String> {
        let text = match &node.value {
            TreeValue::Scalar { text, .. } => text.trim().to_owned(),
            TreeValue::Null => {
                self.err(node.pos, path, format!("is empty; expected {expected}"));
                return None;
            }
            other => {
                self.err(
                    node.pos,
                    path,
                    format!("expected {expected}, found {}", other.kind()),
                );
                return None;
            }
        };
        if text.is_empty() {
            self.err(node.pos, path, format!("is empty; expected {expected}"));
            return None;
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            self.err(
                node.pos,
                path,
                format!("contains a control character (U+{:04X}); write it on one line without tabs or line breaks", c as u32),
            );
            return None;
        }
        if let Some(c) = self.fonts.unprintable(&text) {
            self.err(
                node.pos,
                path,
                format!(
                    "contains `{c}` (U+{:04X}), which the letter font cannot print",
                    c as u32
                ),
            );
            return None;
        }
        let n = text.chars().count();
        if n > max {
            self.err(
                node.pos,
                path,
                format!("is {n} characters long; at most {max} are allowed"),
            );
            return None;
        }
        Some(text)
    }

    fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            TreeValue::Map(m) => Some(m),
            other => {
                let p = if path.is_empty() { "request" } else { path };
                self.err(
                    node.pos,
                    path,
                    format!(
                        "{p} must be a mapping of keys to values, found {}",
                        other.kind()
                    ),
                );
                None
            }
        }
    }

    fn recipient(&mut self, node: &Node) -> Option<Recipient> {
        let entries = self.map(node, "recipient")?;
        let mut name = None;
        let mut lines: Option<Vec<(Pos, String)>> = None;
        let mut address_pos = node.pos;
        let mut postcode = None;
        let mut ok = true;
        for (k, v) in entries {
            let path = format!("recipient.{}", k.name);
            match k.name.as_str() {
                "name" => name = self.text(v, &path, MAX_ADDRESS_LINE).map(|t| (v.pos, t)),
                "address" => match &v.value {
                    TreeValue::Seq(items) => {
                        address_pos = v.pos;
                        let mut got = Vec::new();
                        for (i, item) in items.iter().enumerate() {
                            let p = format!("recipient.address[{}]", i + 1);
                            match self.text(item, &p, MAX_ADDRESS_LINE) {
                                Some(t) => got.push((item.pos, t)),
                                None => ok = false,
                            }
                        }
                        lines = Some(got);
                    }
                    other => {
                        self.err(
                            v.pos,
                            &path,
                            format!("expected a list of address lines, found {}", other.kind()),
                        );
                        ok = false;
                    }
                },
                "postcode" => {
                    if let Some(t) = self.text(v, &path, 10) {
                        match address::normalise_postcode(&t) {
                            Ok(pc) => postcode = Some(pc),
                            Err(m) => self.err(v.pos, &path, m),
                        }
                    }
                }
                other => self.err(k.pos, &path, unknown("key", other, RECIPIENT_KEYS)),
            }
        }
        for (key, missing) in [
            ("name", name.is_none()),
            ("address", lines.is_none()),
            ("postcode", postcode.is_none()),
        ] {
            if missing && !entries.iter().any(|(k, _)| k.name == key) {
                self.err(node.pos, format!("recipient.{key}"), "is required");
            }
        }
        let (name_pos, name) = name?;
        let lines = lines?;
        let postcode = postcode?;
        if !ok {
            return None;
        }
        let total = lines.len() + 2;
        if !(3..=7).contains(&total) {
            self.err(
                address_pos,
                "recipient.address",
                format!(
                    "the address block has {total} lines (name, {} address line{}, postcode); it must have 3 to 7, so give 1 to 5 address lines",
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" }
                ),
            );
            return None;
        }
        let (size, _) = address_size(total);
        let mut all = vec![("recipient.name".to_owned(), name_pos, name.clone())];
        all.extend(
            lines
                .iter()
                .enumerate()
                .map(|(i, (p, t))| (format!("recipient.address[{}]", i + 1), *p, t.clone())),
        );
        let mut good = true;
        for (i, (path, p, t)) in all.iter().enumerate() {
            if address::is_no_fixed_abode(t) {
                self.err(
                    *p,
                    path,
                    "\"no fixed abode\" is not an address; a letter cannot be posted without one",
                );
                good = false;
            }
            if let Some(c) = t.chars().next().filter(|c| address::BAD_FIRST.contains(c)) {
                self.err(
                    *p,
                    path,
                    format!("an address line may not start with `{c}`"),
                );
                good = false;
            }
            if i < 2 && !t.chars().any(char::is_alphanumeric) {
                self.err(
                    *p,
                    path,
                    "the first two lines of an address need a letter or digit",
                );
                good = false;
            }
            let w = self.fonts.measure(FontId::Regular, size, t);
            if w > ADDRESS_WIDTH {
                self.err(
                    *p,
                    path,
                    format!(
                        "is too wide for the envelope window ({:.0} mm at {size} pt, at most {:.0} mm); shorten it or split it over two lines",
                        w / crate::layout::MM,
                        ADDRESS_WIDTH / crate::layout::MM
                    ),
                );
                good = false;
            }
        }
        good.then(|| Recipient {
            name,
            address: lines.into_iter().map(|(_, t)| t).collect(),
            postcode,
        })
    }

    fn field(&mut self, letter: &Letter, name: &str, node: &Node) -> Option<FieldValue> {
        let path = format!("fields.{name}");
        let def = letter.field(name)?;
        let max = def.max_length.unwrap_or(DEFAULT_MAX_TEXT);
        let expected = match &def.ty {
            FieldType::Date => "a date, YYYY-MM-DD".to_owned(),
            FieldType::Time => "a time, HH:MM".to_owned(),
            FieldType::Money => "an amount in pounds, e.g. 125.50".to_owned(),
            FieldType::Number => "a whole number".to_owned(),
            FieldType::Boolean => "true or false".to_owned(),
            FieldType::Choice(choices) => format!(
                "one of {}",
                choices
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            FieldType::Text | FieldType::Lines => "text".to_owned(),
        };
        let scalar = |c: &mut Self| -> Option<String> { c.text_as(node, &path, max, &expected) };
        match &def.ty {
            FieldType::Text => scalar(self).map(FieldValue::Text),
            FieldType::Lines => match &node.value {
                TreeValue::Seq(items) => {
                    let mut out = Vec::new();
                    let mut ok = true;
                    for (i, item) in items.iter().enumerate() {
                        match self.text(item, &format!("{path}[{}]", i + 1), max) {
                            Some(t) => out.push(t),
                            None => ok = false,
                        }
                    }
                    ok.then_some(FieldValue::Lines(out))
                }
                other => {
                    self.err(
                        node.pos,
                        &path,
                        format!("expected a list of lines, found {}", other.kind()),
                    );
                    None
                }
            },
            FieldType::Date => {
                let t = scalar(self)?;
                Date::parse(&t)
                    .map(FieldValue::Date)
                    .map_err(|m| self.err(node.pos, &path, m))
                    .ok()
            }
            FieldType::Time => {
                let t = scalar(self)?;
                Time::parse(&t)
                    .map(FieldValue::Time)
                    .map_err(|m| self.err(node.pos, &path, m))
                    .ok()
            }
            FieldType::Money => {
                let t = scalar(self)?;
                Money::parse(&t)
                    .map(FieldValue::Money)
                    .map_err(|m| self.err(node.pos, &path, m))
                    .ok()
            }
            FieldType::Number => {
                let t = scalar(self)?;
                t.parse::<i64>()
                    .map(FieldValue::Number)
                    .map_err(|_| self.err(node.pos, &path, format!("`{t}` is not a whole number")))
                    .ok()
            }
            FieldType::Boolean => {
                let t = scalar(self)?;
                match t.as_str() {
                    "true" | "yes" => Some(FieldValue::Bool(true)),
                    "false" | "no" => Some(FieldValue::Bool(false)),
                    _ => {
                        self.err(node.pos, &path, format!("`{t}` is not true or false"));
                        None
                    }
                }
            }
            FieldType::Choice(choices) => {
                let t = scalar(self)?;
                if choices.iter().any(|c| c.code == t) {
                    Some(FieldValue::Choice(t))
                } else {
                    let allowed: Vec<&str> = choices.iter().map(|c| c.code.as_str()).collect();
                    let close = allowed
                        .iter()
                        .map(|a| (edit_distance(&t.to_lowercase(), a), *a))
                        .filter(|(d, _)| *d <= 2)
                        .min()
                        .map(|(_, a)| format!(" (did you mean `{a}`?)"))
                        .unwrap_or_default();
                    self.err(
                        node.pos,
                        &path,
                        format!(
                            "`{t}` is not offered by {}; allowed: {}{close}",
                            letter.code,
                            allowed.join(", ")
                        ),
                    );
                    None
                }
            }
        }
    }
}

/// Checks a parsed request against the catalog.
pub fn validate(
    root: &Node,
    origin: &str,
    catalog: &Catalog,
    fonts: &FontSet,
) -> Result<Request, RequestError> {
    let mut c = Checker {
        origin,
        fonts,
        out: Vec::new(),
    };
    let Some(entries) = c.map(root, "") else {
        return Err(RequestError { diagnostics: c.out });
    };
    let get = |k: &str| entries.iter().find(|(key, _)| key.name == k);
    for (k, _) in entries {
        if !TOP_KEYS.contains(&k.name.as_str()) {
            c.err(k.pos, &k.name, unknown("key", &k.name, TOP_KEYS));
        }
    }

    let id = get("id").and_then(|(_, n)| c.text(n, "id", 120));
    if let Some(id) = &id
        && (!id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
            || !id.starts_with(|ch: char| ch.is_ascii_alphanumeric()))
        && let Some((_, n)) = get("id")
    {
        c.err(
            n.pos,
            "id",
            "may contain only letters, digits, `-`, `_` and `.`, and must start with a letter or digit (it names output files)",
        );
    }
    let letter = match get("letter") {
        None => {
            c.err(
                root.pos,
                "letter",
                "is required: the letter code, e.g. CMSL5502",
            );
            None
        }
        Some((_, n)) => c
            .text(n, "letter", 40)
            .and_then(|code| match catalog.letter(&code) {
                Some(l) => Some(l),
                None => {
                    let codes: Vec<&str> = catalog.letters().map(|l| l.code.as_str()).collect();
                    c.err(n.pos, "letter", unknown("letter code", &code, &codes));
                    None
                }
            }),
    };
    let date = match get("date") {
        None => {
            c.err(
                root.pos,
                "date",
                "is required: the date printed on the letter, YYYY-MM-DD",
            );
            None
        }
        Some((_, n)) => c
            .text_as(n, "date", 10, "a date, YYYY-MM-DD")
            .and_then(|t| Date::parse(&t).map_err(|m| c.err(n.pos, "date", m)).ok()),
    };
    let reference = match get("reference") {
        None => {
            c.err(
                root.pos,
                "reference",
                "is required: the client's reference (SCIN), 12 digits",
            );
            None
        }
        Some((_, n)) => c.text(n, "reference", 20).and_then(|t| {
            let digits: String = t.chars().filter(|ch| !ch.is_whitespace()).collect();
            if digits.len() == 12 && digits.chars().all(|ch| ch.is_ascii_digit()) {
                Some(format!(
                    "{} {} {}",
                    &digits[..4],
                    &digits[4..8],
                    &digits[8..]
                ))
            } else {
                c.err(
                    n.pos,
                    "reference",
                    format!(
                        "`{t}` is not a reference (SCIN): expected 12 digits, e.g. 1234 5678 9012"
                    ),
                );
                None
            }
        }),
    };
    let language = match get("language") {
        None => Some(Language::En),
        Some((_, n)) => c.text(n, "language", 5).and_then(|t| {
            Language::parse(&t).or_else(|| {
                c.err(
                    n.pos,
                    "language",
                    format!("`{t}` is not a language; allowed: en, cy"),
                );
                None
            })
        }),
    };
    let recipient = match (get("recipient"), letter.map(|l| l.kind)) {
        (Some((_, n)), Some(DocKind::Letter) | None) => c.recipient(n),
        (Some((k, _)), Some(DocKind::Form)) => {
            c.err(
                k.pos,
                "recipient",
                format!(
                    "{} is a form, not a posted letter: it has no recipient",
                    letter.map_or("", |l| &l.code)
                ),
            );
            None
        }
        (None, Some(DocKind::Letter)) => {
            c.err(
                root.pos,
                "recipient",
                "is required: name, address lines and postcode",
            );
            None
        }
        (None, _) => None,
    };

    let mut fields = BTreeMap::new();
    let mut optional = Vec::new();
    if let Some(letter) = letter {
        let allowed: Vec<&str> = letter.fields.iter().map(|f| f.name.as_str()).collect();
        let given: &[(Key, Node)] = match get("fields") {
            Some((_, n)) => c.map(n, "fields").unwrap_or(&[]),
            None => &[],
        };
        for (k, v) in given {
            if letter.field(&k.name).is_none() {
                let msg = if allowed.is_empty() {
                    format!("unknown field `{}`: {} has no fields", k.name, letter.code)
                } else {
                    unknown_in("field", &k.name, &format!(" for {}", letter.code), &allowed)
                };
                c.err(k.pos, format!("fields.{}", k.name), msg);
                continue;
            }
            if matches!(v.value, TreeValue::Null) {
                continue; // an empty value is the same as leaving it out
            }
            if let Some(val) = c.field(letter, &k.name, v) {
                fields.insert(k.name.clone(), val);
            }
        }
        let fields_pos = get("fields").map_or(root.pos, |(k, _)| k.pos);
        let given_names: Vec<&str> = given
            .iter()
            .filter(|(_, v)| !matches!(v.value, TreeValue::Null))
            .map(|(k, _)| k.name.as_str())
            .collect();
        // Free-text fields a choice needs, and free text given without its choice.
        let mut needed_free: BTreeMap<&str, &str> = BTreeMap::new();
        let mut offered_free: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for f in &letter.fields {
            if let FieldType::Choice(choices) = &f.ty {
                for ch in choices {
                    if let Selects::FreeText(target) = &ch.selects {
                        offered_free.insert(target, (&f.name, &ch.code));
                        if fields.get(&f.name) == Some(&FieldValue::Choice(ch.code.clone())) {
                            needed_free.insert(target, &ch.code);
                        }
                    }
                }
            }
        }
        for f in &letter.fields {
            let is_free = offered_free.contains_key(f.name.as_str());
            let present = given_names.contains(&f.name.as_str());
            if is_free {
                if let Some(code) = needed_free.get(f.name.as_str()) {
                    if !present {
                        let owner = offered_free.get(f.name.as_str()).map_or("", |o| o.0);
                        let pos = given
                            .iter()
                            .find(|(k, _)| k.name == owner)
                            .map_or(fields_pos, |(_, v)| v.pos);
                        c.err(pos, format!("fields.{}", f.name), format!("is required when {owner} is `{code}`: write what the meeting is about"));
                    }
                } else if present {
                    let (owner, code) = offered_free
                        .get(f.name.as_str())
                        .copied()
                        .unwrap_or_default();
                    let pos = given
                        .iter()
                        .find(|(k, _)| k.name == f.name)
                        .map_or(fields_pos, |(k, _)| k.pos);
                    c.err(pos, format!("fields.{}", f.name), format!("is only used when {owner} is `{code}`; remove it or set {owner} to `{code}`"));
                }
            } else if f.required && !present {
                let hint = match &f.ty {
                    FieldType::Choice(ch) => format!(
                        "is required ({}): one of {}",
                        f.ty.name(),
                        ch.iter()
                            .map(|c| c.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    FieldType::Date => "is required: a date, YYYY-MM-DD".to_owned(),
                    FieldType::Time => "is required: a time, HH:MM".to_owned(),
                    other => format!("is required ({})", other.name()),
                };
                c.err(fields_pos, format!("fields.{}", f.name), hint);
            }
        }
        if let Some((_, n)) = get("optional") {
            let ids: Vec<&str> = letter
                .optional_paragraphs
                .iter()
                .map(|o| o.id.as_str())
                .collect();
            match &n.value {
                TreeValue::Seq(items) => {
                    let mut chosen = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        let p = format!("optional[{}]", i + 1);
                        if let Some(t) = c.text(item, &p, 80) {
                            if ids.contains(&t.as_str()) {
                                chosen.push(t);
                            } else if ids.is_empty() {
                                c.err(
                                    item.pos,
                                    &p,
                                    format!("{} has no optional paragraphs", letter.code),
                                );
                            } else {
                                c.err(item.pos, &p, unknown("optional paragraph", &t, &ids));
                            }
                        }
                    }
                    optional = ids
                        .iter()
                        .filter(|id| chosen.iter().any(|c| c == *id))
                        .map(|s| (*s).to_owned())
                        .collect();
                }
                TreeValue::Null => {}
                other => c.err(
                    n.pos,
                    "optional",
                    format!(
                        "expected a list of optional paragraph ids, found {}",
                        other.kind()
                    ),
                ),
            }
        }
    }

    if !c.out.is_empty() {
        c.out
            .sort_by(|a, b| a.pos.cmp(&b.pos).then_with(|| a.path.cmp(&b.path)));
        return Err(RequestError { diagnostics: c.out });
    }
    match (letter, date, reference, language) {
        (Some(letter), Some(date), Some(reference), Some(language)) => Ok(Request {
            id,
            letter: letter.code.clone(),
            date,
            reference,
            recipient,
            language,
            fields,
            optional,
        }),
        _ => Err(RequestError {
            diagnostics: vec![Diagnostic {
                origin: origin.to_owned(),
                pos: root.pos,
                path: String::new(),
                message: "the request is incomplete".into(),
            }],
        }),
    }
}

/// Parses YAML or JSON text into a positioned tree, as a request error when
/// it is not valid YAML or JSON.
pub fn parse_tree(text: &str, origin: &str, line_offset: u32) -> Result<Node, RequestError> {
    tree::parse(text, line_offset).map_err(|e| RequestError {
        diagnostics: vec![Diagnostic {
            origin: origin.to_owned(),
            pos: e.pos,
            path: String::new(),
            message: format!("not valid YAML or JSON: {}", e.message),
        }],
    })
}

/// Parses YAML or JSON text and validates it. `origin` names the source in
/// errors; `line_offset` shifts line numbers (JSON Lines).
pub fn parse_request(
    text: &str,
    origin: &str,
    line_offset: u32,
    catalog: &Catalog,
    fonts: &FontSet,
) -> Result<Request, RequestError> {
    let root = parse_tree(text, origin, line_offset)?;
    validate(&root, origin, catalog, fonts)
}
