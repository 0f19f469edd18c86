//! Request: one letter's input, validated against its definition.
//!
//! A request is read into a positioned tree ([`tree`]), then checked against
//! the catalog: every problem in the document is collected, each with its
//! file, line, column, field path and what is allowed.

pub mod address;
mod builder;
pub mod canonical;
pub mod format;
pub mod json;
pub mod schema;
pub mod tree;
pub mod values;

use std::collections::BTreeMap;
use std::fmt;

use crate::catalog::{Catalog, DocKind, FieldType, Language, Letter, Selects};
use crate::fonts::{FontId, FontSet};
use crate::layout::{ADDRESS_WIDTH, address_size};
pub use builder::{RequestBuilder, UncheckedRequest};
pub use format::{BrailleProfile, Grade, LetterFormat};
pub use tree::{Format, Key, Node, Pos, Value as TreeValue, from_json};
pub use values::{Date, Money, Time};

/// A checked request: made only by validation ([`crate::Engine::parse_request`]
/// for text, [`crate::Engine::request_from_value`] for JSON data,
/// [`crate::Engine::check`] for an [`UncheckedRequest`], or a
/// [`RequestBuilder`]), so a `Request` is always one the catalog accepts.
/// Its parts are read through accessors.
///
/// Serialised (`Serialize`), a request is its canonical form
/// ([`Request::canonical_json`]). There is no `Deserialize`: a
/// deserializer cannot see the catalog, so read into an
/// [`UncheckedRequest`] and check that with the engine.
///
/// Outside this crate a request can be neither written field by field nor
/// changed (these do not compile):
///
/// ```compile_fail
/// fn as_welsh(r: &letterkit::Request) -> letterkit::Request {
///     letterkit::Request { language: letterkit::catalog::Language::Cy, ..r.clone() }
/// }
/// ```
///
/// ```compile_fail
/// fn make_welsh(r: &mut letterkit::Request) {
///     r.language = letterkit::catalog::Language::Cy;
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The caller's id (names outputs in batches).
    pub(crate) id: Option<String>,
    /// Letter code.
    pub(crate) letter: String,
    /// Date printed on the letter.
    pub(crate) date: Date,
    /// The client's reference (SCIN), as printed.
    pub(crate) reference: String,
    /// Who the letter goes to (letters only).
    pub(crate) recipient: Option<Recipient>,
    /// Language.
    pub(crate) language: Language,
    /// Field values by field name.
    pub(crate) fields: BTreeMap<String, FieldValue>,
    /// Optional paragraphs chosen, in the definition's order.
    pub(crate) optional: Vec<String>,
    /// Standard print, large print or braille (`format:`, `size:`,
    /// `grade:`, `profile:`).
    pub(crate) format: LetterFormat,
}

impl Request {
    /// The caller's id (names outputs in batches), if given.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The letter code.
    pub fn letter(&self) -> &str {
        &self.letter
    }

    /// The date printed on the letter.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The client's reference (SCIN), as printed (`1234 5678 9012`).
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// Who the letter goes to (letters only; a form has none).
    pub fn recipient(&self) -> Option<&Recipient> {
        self.recipient.as_ref()
    }

    /// The language the letter is written in.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Every field value given, by field name.
    pub fn fields(&self) -> &BTreeMap<String, FieldValue> {
        &self.fields
    }

    /// One field's value, if given.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields.get(name)
    }

    /// The optional paragraphs chosen, in the definition's order.
    pub fn optional(&self) -> &[String] {
        &self.optional
    }

    /// Standard print, large print or braille.
    pub fn format(&self) -> LetterFormat {
        self.format
    }

    /// The canonical form: strict JSON, keys in a fixed order, every value
    /// in the one spelling that reads back to the same request (what the
    /// outbox stores; `Serialize` writes the same).
    pub fn canonical_json(&self) -> String {
        canonical::canonical_json(self)
    }

    /// The same request in another format, checked as validation checks a
    /// request's `format:` (a large-print size in range, no Welsh braille).
    ///
    /// # Errors
    /// A [`RequestError`] (origin `format`) when the format is not allowed
    /// for this request.
    pub fn with_format(mut self, format: LetterFormat) -> Result<Request, RequestError> {
        let problem = match format {
            LetterFormat::LargePrint { size }
                if !(format::MIN_LARGE_PRINT..=format::MAX_LARGE_PRINT).contains(&size) =>
            {
                Some((
                    Code::BadSize,
                    "size",
                    format!(
                        "{size} is outside the range: large print is {} to {} points (a whole number; 16 is the usual size)",
                        format::MIN_LARGE_PRINT,
                        format::MAX_LARGE_PRINT
                    ),
                ))
            }
            LetterFormat::Braille { .. } if self.language == Language::Cy => Some((
                Code::BrailleWelsh,
                "format",
                "braille is produced in Unified English Braille only: Welsh braille is not supported yet; write `language: en`, or choose `standard` or `large-print`".to_owned(),
            )),
            _ => None,
        };
        if let Some((code, path, message)) = problem {
            return Err(RequestError {
                diagnostics: vec![Diagnostic::new(
                    code,
                    "format",
                    Pos::default(),
                    path,
                    message,
                )],
            });
        }
        self.format = format;
        Ok(self)
    }
}

impl serde::Serialize for Request {
    /// The canonical form ([`Request::canonical_json`]).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&canonical::canonical_value(self), serializer)
    }
}

/// The addressee (read from a checked [`Request`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
#[non_exhaustive]
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
///
/// Its [`Display`](fmt::Display) is the CLI's line
/// (`origin:line:column: path: message`); as data (`Serialize`) it also has
/// a stable [`Code`] per kind of problem, the field as a JSON Pointer
/// (`/fields/meeting-date`, `/recipient/address/1`), and the allowed values
/// and suggestion where they are known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Where the request came from (file, or file and line for JSON Lines).
    pub origin: String,
    /// Position.
    #[serde(flatten)]
    pub pos: Pos,
    /// What kind of problem (stable: clients may branch on it).
    pub code: Code,
    /// Field path, e.g. `fields.meeting-date` or `recipient.address[2]`.
    pub path: String,
    /// The same field as a JSON Pointer (RFC 6901) into the request:
    /// `/fields/meeting-date`, `/recipient/address/1` (0-based); empty for
    /// the whole request.
    pub pointer: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// The allowed values, where the problem is a value or key outside a
    /// known set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// The allowed value closest to what was written ("did you mean").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with its pointer made from `path`.
    pub fn new(
        code: Code,
        origin: impl Into<String>,
        pos: Pos,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let path = path.into();
        Diagnostic {
            origin: origin.into(),
            pos,
            code,
            pointer: pointer(&path),
            path,
            message: message.into(),
            allowed: Vec::new(),
            suggestion: None,
        }
    }
}

/// The kind of a request problem, as a stable kebab-case code
/// (`unknown-field`, `missing-field`, `bad-date`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// The text is not valid YAML or JSON, or holds more than one request.
    Syntax,
    /// A key written twice in one mapping.
    DuplicateKey,
    /// A key the request format does not have.
    UnknownKey,
    /// A required key is missing (`letter`, `date`, `recipient.postcode`, ...).
    MissingKey,
    /// A value of the wrong kind (a list where text is expected, ...).
    WrongType,
    /// An empty value.
    Empty,
    /// A control character (tab, line break) in one-line text.
    ControlCharacter,
    /// An invisible or right-to-left character.
    MisleadingCharacter,
    /// A character the letter font cannot print.
    UnprintableCharacter,
    /// Text longer than allowed.
    TooLong,
    /// An id with characters a file name cannot have, or a reserved one.
    BadId,
    /// A letter code the catalog does not have.
    UnknownLetter,
    /// Not a valid date.
    BadDate,
    /// Not a valid time.
    BadTime,
    /// Not a valid amount of money.
    BadMoney,
    /// Not a whole number.
    BadNumber,
    /// Not true or false.
    BadBoolean,
    /// Not a valid reference (SCIN).
    BadReference,
    /// A language letters are not written in.
    UnknownLanguage,
    /// The letter cannot be written in Welsh yet.
    WelshUnavailable,
    /// A format other than standard, large-print or braille.
    UnknownFormat,
    /// A format key (`size`, `grade`, `profile`) given for another format.
    FormatMismatch,
    /// A large-print size out of range.
    BadSize,
    /// A braille grade other than 1 or 2.
    BadGrade,
    /// A braille page profile other than a4 or book.
    UnknownProfile,
    /// Braille asked for in Welsh.
    BrailleWelsh,
    /// A recipient given for a form.
    UnexpectedRecipient,
    /// Not a UK postcode.
    BadPostcode,
    /// Too few or too many address lines.
    AddressLines,
    /// "No fixed abode" given as an address.
    NoFixedAbode,
    /// An address line that cannot be printed as it is.
    BadAddressLine,
    /// An address line too wide for the envelope window.
    TooWide,
    /// A field the letter does not have.
    UnknownField,
    /// A required field is missing.
    MissingField,
    /// A field given that only applies with another choice.
    UnusedField,
    /// A choice the field does not offer.
    UnknownChoice,
    /// An optional paragraph the letter does not have.
    UnknownOptional,
    /// The request could not be completed (internal).
    Incomplete,
}

impl Code {
    /// The code as written in JSON (`unknown-field`).
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A field path (`recipient.address[2]`, `fields.meeting-date`) as a JSON
/// Pointer (`/recipient/address/1`, `/fields/meeting-date`): list positions
/// in paths count from 1, in pointers from 0.
pub fn pointer(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (
                n,
                rest.strip_suffix(']').and_then(|i| i.parse::<usize>().ok()),
            ),
            None => (part, None),
        };
        out.push('/');
        out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        if let Some(i) = index {
            out.push('/');
            out.push_str(&i.saturating_sub(1).to_string());
        }
    }
    out
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
#[non_exhaustive]
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
    "format",
    "size",
    "grade",
    "profile",
];
const RECIPIENT_KEYS: &[&str] = &["name", "address", "postcode"];
/// Longest text field unless the definition says otherwise.
pub const DEFAULT_MAX_TEXT: usize = 600;
/// Longest address line, characters.
pub const MAX_ADDRESS_LINE: usize = 45;

struct Checker<'a> {
    origin: &'a str,
    catalog: &'a Catalog,
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

// What a message may quote.
//
// Messages go to terminals, logs and `manifest.jsonl`, and must never repeat
// a name, an address, a postcode or a reference. A caseworker can type any of
// those anywhere: a name as a key, a reference in a date field, an address in
// a choice field. So text from a request is quoted only when it is known not
// to be personal:
//
// - a key, choice code or optional paragraph id is quoted when it is one the
//   catalog defines (anywhere: `calculation` is a CMSL5502 reason, so it may
//   be named when given to CMSL5501), or a near miss of one that has the
//   shape of our identifiers: at most 32 characters of lower-case ASCII
//   letters, digits, `-` and `_`, starting with a letter
//   ([`tree::is_plain_identifier`]), at edit distance at most 2 and at most a
//   third of its length from an allowed value ([`near_miss`]). Names and
//   addresses have capitals and spaces, postcodes capitals, references are
//   digits: none has that shape, and a short lower-case word is not a near
//   miss unless it is mostly one of our words;
// - a letter code also when it has the shape of an official code (four
//   letters and four digits, `CMSL0152`);
// - a language code when it is two or three lower-case letters;
// - a date or time only once it has the shape YYYY-MM-DD or HH:MM
//   ([`values`]); a reference never, whatever its shape;
// - one character that is not allowed by its code point (U+202E), never the
//   text around it.
//
// Anything else is described (what is wrong, what is allowed), and the
// diagnostic's line and column say where it is.

/// The allowed value closest to `got` (case-insensitive edit distance at most
/// 2, and at most a third of `got`'s length), for "did you mean".
fn near_miss<'a>(got: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let lower = got.to_lowercase();
    let n = lower.chars().count();
    allowed
        .iter()
        .map(|a| (edit_distance(&lower, &a.to_lowercase()), *a))
        .filter(|(d, _)| *d <= 2 && d * 3 <= n)
        .min()
        .map(|(_, a)| a)
}

/// Whether `got` may be repeated in a message: it is one of the `known`
/// values, or an identifier-shaped near miss of an `allowed` one.
fn quotable(got: &str, allowed: &[&str], known: &[&str]) -> bool {
    known.contains(&got)
        || allowed.contains(&got)
        || (tree::is_plain_identifier(got) && near_miss(got, allowed).is_some())
}

/// "unknown key `x` for CMSL5502, expected one of `a`, `b` (did you mean
/// `y`?)", or without `x` when it may not be quoted ([`quotable`]).
/// `context` are words after the name (e.g. " for CMSL5502").
fn unknown_in(what: &str, got: &str, context: &str, allowed: &[&str], quote: bool) -> String {
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hint = near_miss(got, allowed)
        .map(|a| format!(" (did you mean `{a}`?)"))
        .unwrap_or_default();
    if quote {
        format!("unknown {what} `{got}`{context}, expected one of {list}{hint}")
    } else {
        format!(
            "unknown {what}{context} (not repeated here: it may be personal data), expected one of {list}{hint}"
        )
    }
}

/// Whether a letter code has the shape of an official one (`CMSL0152`).
fn official_code_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[..4].iter().all(u8::is_ascii_alphabetic)
        && b[4..].iter().all(u8::is_ascii_digit)
}

/// Why a reference (SCIN) is refused, without repeating it.
fn reference_problem(t: &str) -> String {
    const FORM: &str =
        "a reference (SCIN) is 12 digits, in groups separated by spaces only, e.g. 1234 5678 9012";
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let mut others: Vec<char> = t
        .chars()
        .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
        .collect();
    others.sort_unstable();
    others.dedup();
    if others.iter().any(|c| c.is_alphabetic()) {
        format!("contains letters; {FORM}")
    } else if !others.is_empty() && others.iter().all(|c| "-./_,:".contains(*c)) {
        let seps = others
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        if digits == 12 {
            format!("has {seps} between the digits; {FORM}")
        } else {
            format!("has {digits} digits and {seps} between them; {FORM}")
        }
    } else if others.is_empty() {
        format!("has {digits} digits; {FORM}")
    } else {
        format!("contains characters other than digits and spaces; {FORM}")
    }
}

/// Why an id is refused although its characters are allowed: it would clash
/// with the batch's names or with a device name on Windows.
fn reserved_id(id: &str) -> Option<&'static str> {
    let lower = id.to_ascii_lowercase();
    if lower
        .strip_prefix("pos-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(
            "is reserved: `pos-` and digits is how a batch names a request with no id (pos-00000001.pdf); choose another id",
        );
    }
    let stem = lower.split('.').next().unwrap_or("");
    let device = matches!(stem, "con" | "prn" | "aux" | "nul")
        || ((stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0');
    device.then_some(
        "is a name Windows keeps for a device (CON, PRN, AUX, NUL, COM1 to COM9, LPT1 to LPT9, with or without an extension), so no file can have it; choose another id",
    )
}

/// A character the letter cannot show correctly although the font has it:
/// bidirectional controls and zero-width characters print invisibly and
/// change or hide the text around them, and right-to-left scripts would be
/// printed in reverse (the layout is left-to-right only).
fn misleading_char(c: char) -> Option<String> {
    let cp = c as u32;
    let name = match cp {
        0x061C => Some("ARABIC LETTER MARK"),
        0x200E => Some("LEFT-TO-RIGHT MARK"),
        0x200F => Some("RIGHT-TO-LEFT MARK"),
        0x202A => Some("LEFT-TO-RIGHT EMBEDDING"),
        0x202B => Some("RIGHT-TO-LEFT EMBEDDING"),
        0x202C => Some("POP DIRECTIONAL FORMATTING"),
        0x202D => Some("LEFT-TO-RIGHT OVERRIDE"),
        0x202E => Some("RIGHT-TO-LEFT OVERRIDE"),
        0x2066 => Some("LEFT-TO-RIGHT ISOLATE"),
        0x2067 => Some("RIGHT-TO-LEFT ISOLATE"),
        0x2068 => Some("FIRST STRONG ISOLATE"),
        0x2069 => Some("POP DIRECTIONAL ISOLATE"),
        _ => None,
    };
    if let Some(name) = name {
        return Some(format!(
            "contains U+{cp:04X} ({name}), an invisible control that changes the direction of the text around it; remove it"
        ));
    }
    let zero_width = match cp {
        0x200B => Some("ZERO WIDTH SPACE"),
        0x200C => Some("ZERO WIDTH NON-JOINER"),
        0x200D => Some("ZERO WIDTH JOINER"),
        0x2060 => Some("WORD JOINER"),
        0xFEFF => Some("ZERO WIDTH NO-BREAK SPACE"),
        _ => None,
    };
    if let Some(name) = zero_width {
        return Some(format!(
            "contains U+{cp:04X} ({name}), an invisible zero-width character; remove it"
        ));
    }
    let script = match cp {
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => Some("the Hebrew script"),
        0x0600..=0x06FF | 0x0750..=0x077F | 0x0870..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFE => {
            Some("the Arabic script")
        }
        0x0700..=0x074F | 0x0860..=0x086F => Some("the Syriac script"),
        0x0780..=0x07BF => Some("the Thaana script"),
        0x07C0..=0x085F | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF => Some("a right-to-left script"),
        _ => None,
    };
    script.map(|script| {
        format!(
            "contains U+{cp:04X}, a letter of {script}, which is written right to left: the letter can only print left-to-right text, so it would come out reversed; write it in the Latin alphabet"
        )
    })
}

impl Checker<'_> {
    /// Reports every key written a second time in one mapping (only the
    /// first is read). `known(key)`: whether the key may be quoted (one the
    /// catalog or the request format defines, so not personal data).
    fn duplicates(&mut self, entries: &[(Key, Node)], parent: &str, known: &dyn Fn(&str) -> bool) {
        for (i, (k, _)) in entries.iter().enumerate() {
            if !entries[..i].iter().any(|(e, _)| e.name == k.name) {
                continue;
            }
            if known(&k.name) {
                let path = if parent.is_empty() {
                    k.name.clone()
                } else {
                    format!("{parent}.{}", k.name)
                };
                self.err(
                    Code::DuplicateKey,
                    k.pos,
                    path,
                    "is written twice; keep one",
                );
            } else {
                self.err(Code::DuplicateKey,
                    k.pos,
                    parent,
                    "a key is written twice in this mapping (not repeated here: it may be personal data); keep one",
                );
            }
        }
    }

    fn err(&mut self, code: Code, pos: Pos, path: impl Into<String>, message: impl Into<String>) {
        self.out
            .push(Diagnostic::new(code, self.origin, pos, path, message));
    }

    /// Adds the allowed values (and the closest to `got`, if any) to the
    /// last diagnostic.
    fn allowed(&mut self, got: &str, allowed: &[&str]) {
        if let Some(d) = self.out.last_mut() {
            d.allowed = allowed.iter().map(|a| (*a).to_owned()).collect();
            d.suggestion = near_miss(got, allowed).map(str::to_owned);
        }
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
                self.err(
                    Code::Empty,
                    node.pos,
                    path,
                    format!("is empty; expected {expected}"),
                );
                return None;
            }
            other => {
                self.err(
                    Code::WrongType,
                    node.pos,
                    path,
                    format!("expected {expected}, found {}", other.kind()),
                );
                return None;
            }
        };
        if text.is_empty() {
            self.err(
                Code::Empty,
                node.pos,
                path,
                format!("is empty; expected {expected}"),
            );
            return None;
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            self.err(Code::ControlCharacter,
                node.pos,
                path,
                format!("contains a control character (U+{:04X}); write it on one line without tabs or line breaks", c as u32),
            );
            return None;
        }
        if let Some(m) = text.chars().find_map(misleading_char) {
            self.err(Code::MisleadingCharacter, node.pos, path, m);
            return None;
        }
        // An unprintable character and the length are both reported: a
        // program building a request learns everything in one go.
        let unprintable = self.fonts.unprintable(&text);
        if let Some(c) = unprintable {
            self.err(
                Code::UnprintableCharacter,
                node.pos,
                path,
                format!(
                    "contains U+{:04X}, a character the letter font cannot print",
                    c as u32
                ),
            );
        }
        let n = text.chars().count();
        if n > max {
            self.err(
                Code::TooLong,
                node.pos,
                path,
                format!("is {n} characters long; at most {max} are allowed"),
            );
            return None;
        }
        unprintable.is_none().then_some(text)
    }

    fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            TreeValue::Map(m) => Some(m),
            other => {
                let p = if path.is_empty() { "request" } else { path };
                self.err(
                    Code::WrongType,
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
        self.duplicates(entries, "recipient", &|k| RECIPIENT_KEYS.contains(&k));
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
                            Code::WrongType,
                            v.pos,
                            &path,
                            format!("expected a list of address lines, found {}", other.kind()),
                        );
                        ok = false;
                    }
                },
                "postcode" => {
                    // Room for a mistyped postcode, so that the message says
                    // what is wrong with it rather than only its length.
                    if let Some(t) = self.text(v, &path, 20) {
                        match address::normalise_postcode(&t) {
                            Ok(pc) => postcode = Some(pc),
                            Err(m) => self.err(Code::BadPostcode, v.pos, &path, m),
                        }
                    }
                }
                other => {
                    let quote = quotable(other, RECIPIENT_KEYS, &[]);
                    self.err(
                        Code::UnknownKey,
                        k.pos,
                        if quote { path.as_str() } else { "recipient" },
                        unknown_in("key", other, "", RECIPIENT_KEYS, quote),
                    );
                    self.allowed(other, RECIPIENT_KEYS);
                }
            }
        }
        for (key, missing) in [
            ("name", name.is_none()),
            ("address", lines.is_none()),
            ("postcode", postcode.is_none()),
        ] {
            if missing && !entries.iter().any(|(k, _)| k.name == key) {
                self.err(
                    Code::MissingKey,
                    node.pos,
                    format!("recipient.{key}"),
                    "is required",
                );
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
            self.err(Code::AddressLines,
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
                    Code::NoFixedAbode,
                    *p,
                    path,
                    "\"no fixed abode\" is not an address; a letter cannot be posted without one",
                );
                good = false;
            }
            if let Some(c) = t.chars().next().filter(|c| address::BAD_FIRST.contains(c)) {
                self.err(
                    Code::BadAddressLine,
                    *p,
                    path,
                    format!("an address line may not start with `{c}`"),
                );
                good = false;
            }
            if i < 2 && !t.chars().any(char::is_alphanumeric) {
                self.err(
                    Code::BadAddressLine,
                    *p,
                    path,
                    "the first two lines of an address need a letter or digit",
                );
                good = false;
            }
            let w = self.fonts.measure(FontId::Regular, size, t);
            if w > ADDRESS_WIDTH {
                self.err(Code::TooWide,
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

    /// `format:` and the keys that go with it: `size:` (large print),
    /// `grade:` and `profile:` (braille). A key that does not belong to the
    /// format is an error, so a `size:` never silently does nothing.
    fn format(
        &mut self,
        format: Option<&Node>,
        size: Option<(&Key, &Node)>,
        grade: Option<(&Key, &Node)>,
        profile: Option<(&Key, &Node)>,
    ) -> Option<LetterFormat> {
        let name = match format {
            None => "standard".to_owned(),
            Some(n) => {
                let t = self.text(n, "format", 40)?;
                if !format::FORMAT_NAMES.contains(&t.as_str()) {
                    let quote = quotable(&t, format::FORMAT_NAMES, &[]);
                    self.err(
                        Code::UnknownFormat,
                        n.pos,
                        "format",
                        unknown_in("format", &t, "", format::FORMAT_NAMES, quote),
                    );
                    self.allowed(&t, format::FORMAT_NAMES);
                    return None;
                }
                t
            }
        };
        let mut ok = true;
        let only = |c: &mut Self, key: Option<(&Key, &Node)>, what: &str, wanted: &str| {
            if let Some((k, _)) = key
                && name != wanted
            {
                c.err(Code::FormatMismatch,
                    k.pos,
                    k.name.as_str(),
                    format!("applies only to `format: {wanted}` ({what}); this request's format is `{name}`"),
                );
                return false;
            }
            true
        };
        ok &= only(self, size, "the large-print size in points", "large-print");
        ok &= only(self, grade, "the braille grade", "braille");
        ok &= only(self, profile, "the braille page profile", "braille");
        // A small whole number may be repeated; anything else is described.
        let small_number = |t: &str| t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit());
        let result = match name.as_str() {
            "large-print" => {
                let size = match size {
                    None => Some(format::MIN_LARGE_PRINT),
                    Some((_, n)) => self.text(n, "size", 20).and_then(|t| {
                        let range = format!(
                            "large print is {} to {} points",
                            format::MIN_LARGE_PRINT,
                            format::MAX_LARGE_PRINT
                        );
                        match t.parse::<u8>() {
                            Ok(v)
                                if (format::MIN_LARGE_PRINT..=format::MAX_LARGE_PRINT)
                                    .contains(&v) =>
                            {
                                Some(v)
                            }
                            _ if small_number(&t) => {
                                self.err(Code::BadSize,
                                    n.pos,
                                    "size",
                                    format!("{t} is outside the range: {range} (a whole number; 16 is the usual size)"),
                                );
                                None
                            }
                            _ => {
                                self.err(Code::BadSize,
                                    n.pos,
                                    "size",
                                    format!("is not a whole number of points: {range} (16 is the usual size)"),
                                );
                                None
                            }
                        }
                    }),
                };
                size.map(|size| LetterFormat::LargePrint { size })
            }
            "braille" => {
                let grade = match grade {
                    None => Some(Grade::Two),
                    Some((_, n)) => self.text(n, "grade", 20).and_then(|t| match t.as_str() {
                        "2" => Some(Grade::Two),
                        "1" => Some(Grade::One),
                        _ => {
                            let what = if small_number(&t) {
                                format!("{t} is not a braille grade")
                            } else {
                                "is not a braille grade".to_owned()
                            };
                            self.err(Code::BadGrade,
                                n.pos,
                                "grade",
                                format!("{what}; allowed: 2 (contracted, the default) or 1 (uncontracted)"),
                            );
                            None
                        }
                    }),
                };
                let profile = match profile {
                    None => Some(BrailleProfile::A4),
                    Some((_, n)) => self.text(n, "profile", 20).and_then(|t| {
                        BrailleProfile::parse(&t).or_else(|| {
                            let quote = quotable(&t, format::PROFILE_NAMES, &[]);
                            let mut m =
                                unknown_in("braille profile", &t, "", format::PROFILE_NAMES, quote);
                            m.push_str(": a4 is 30 cells x 28 lines, book 40 x 28");
                            self.err(Code::UnknownProfile, n.pos, "profile", m);
                            self.allowed(&t, format::PROFILE_NAMES);
                            None
                        })
                    }),
                };
                match (grade, profile) {
                    (Some(grade), Some(profile)) => Some(LetterFormat::Braille { grade, profile }),
                    _ => None,
                }
            }
            _ => Some(LetterFormat::Standard),
        };
        if ok { result } else { None }
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
                        Code::WrongType,
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
                    .map_err(|m| self.err(Code::BadDate, node.pos, &path, m))
                    .ok()
            }
            FieldType::Time => {
                let t = scalar(self)?;
                Time::parse(&t)
                    .map(FieldValue::Time)
                    .map_err(|m| self.err(Code::BadTime, node.pos, &path, m))
                    .ok()
            }
            FieldType::Money => {
                let t = scalar(self)?;
                Money::parse(&t)
                    .map(FieldValue::Money)
                    .map_err(|m| self.err(Code::BadMoney, node.pos, &path, m))
                    .ok()
            }
            FieldType::Number => {
                let t = scalar(self)?;
                t.parse::<i64>()
                    .map(FieldValue::Number)
                    .map_err(|_| {
                        self.err(Code::BadNumber, node.pos, &path, "is not a whole number")
                    })
                    .ok()
            }
            FieldType::Boolean => {
                let t = scalar(self)?;
                match t.as_str() {
                    "true" | "yes" => Some(FieldValue::Bool(true)),
                    "false" | "no" => Some(FieldValue::Bool(false)),
                    _ => {
                        self.err(Code::BadBoolean, node.pos, &path, "is not true or false");
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
                    let close = near_miss(&t, &allowed)
                        .map(|a| format!(" (did you mean `{a}`?)"))
                        .unwrap_or_default();
                    let known = all_choice_codes(self.catalog);
                    let what = if quotable(&t, &allowed, &known) {
                        format!("`{t}` is not offered by {}", letter.code)
                    } else {
                        format!("is not one of the choices {} offers", letter.code)
                    };
                    self.err(
                        Code::UnknownChoice,
                        node.pos,
                        &path,
                        format!("{what}; allowed: {}{close}", allowed.join(", ")),
                    );
                    self.allowed(&t, &allowed);
                    None
                }
            }
        }
    }
}

/// Checks a parsed request against the catalog.
///
/// # Errors
/// Every problem in the request, each with its position and JSON Pointer.
pub fn validate(
    root: &Node,
    origin: &str,
    catalog: &Catalog,
    fonts: &FontSet,
) -> Result<Request, RequestError> {
    let mut c = Checker {
        origin,
        catalog,
        fonts,
        out: Vec::new(),
    };
    let Some(entries) = c.map(root, "") else {
        return Err(RequestError { diagnostics: c.out });
    };
    let get = |k: &str| entries.iter().find(|(key, _)| key.name == k);
    c.duplicates(entries, "", &|k| TOP_KEYS.contains(&k));
    for (k, _) in entries {
        if !TOP_KEYS.contains(&k.name.as_str()) {
            let quote = quotable(&k.name, TOP_KEYS, &[]);
            c.err(
                Code::UnknownKey,
                k.pos,
                if quote { k.name.as_str() } else { "" },
                unknown_in("key", &k.name, "", TOP_KEYS, quote),
            );
            c.allowed(&k.name, TOP_KEYS);
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
        c.err(Code::BadId,
            n.pos,
            "id",
            "may contain only letters, digits, `-`, `_` and `.`, and must start with a letter or digit (it names output files)",
        );
    } else if let Some(why) = id.as_deref().and_then(reserved_id)
        && let Some((_, n)) = get("id")
    {
        c.err(Code::BadId, n.pos, "id", why);
    }
    let letter = match get("letter") {
        None => {
            c.err(
                Code::MissingKey,
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
                    let quote = quotable(&code, &codes, &[]) || official_code_shape(&code);
                    c.err(
                        Code::UnknownLetter,
                        n.pos,
                        "letter",
                        unknown_in("letter code", &code, "", &codes, quote),
                    );
                    c.allowed(&code, &codes);
                    None
                }
            }),
    };
    let date = match get("date") {
        None => {
            c.err(
                Code::MissingKey,
                root.pos,
                "date",
                "is required: the date printed on the letter, YYYY-MM-DD",
            );
            None
        }
        Some((_, n)) => c
            .text_as(n, "date", 40, "a date, YYYY-MM-DD")
            .and_then(|t| {
                Date::parse(&t)
                    .map_err(|m| c.err(Code::BadDate, n.pos, "date", m))
                    .ok()
            }),
    };
    let reference = match get("reference") {
        None => {
            c.err(
                Code::MissingKey,
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
                    Code::BadReference,
                    n.pos,
                    "reference",
                    reference_problem(&t),
                );
                None
            }
        }),
    };
    let language = match get("language") {
        None => Some(Language::En),
        Some((_, n)) => c.text(n, "language", 5).and_then(|t| {
            Language::parse(&t).or_else(|| {
                let code_shape =
                    (2..=3).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase());
                let what = if code_shape {
                    format!("`{t}` is not a language we write letters in")
                } else {
                    "is not a language code".to_owned()
                };
                c.err(
                    Code::UnknownLanguage,
                    n.pos,
                    "language",
                    format!("{what}; allowed: en (English), cy (Welsh)"),
                );
                c.allowed(&t, &["en", "cy"]);
                None
            })
        }),
    };
    let format = c.format(
        get("format").map(|(_, n)| n),
        get("size").map(|(k, n)| (k, n)),
        get("grade").map(|(k, n)| (k, n)),
        get("profile").map(|(k, n)| (k, n)),
    );
    if let (Some(Language::Cy), Some(LetterFormat::Braille { .. }), Some((_, n))) =
        (language, format, get("format"))
    {
        c.err(Code::BrailleWelsh,
            n.pos,
            "format",
            "braille is produced in Unified English Braille only: Welsh braille is not supported yet; write `language: en`, or choose `standard` or `large-print`",
        );
    }
    let recipient = match (get("recipient"), letter.map(|l| l.kind)) {
        (Some((_, n)), Some(DocKind::Letter) | None) => c.recipient(n),
        (Some((k, _)), Some(DocKind::Form)) => {
            c.err(
                Code::UnexpectedRecipient,
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
                Code::MissingKey,
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
        // Every letter's field names, only when a message needs them (they
        // are every letter of the catalog, read for it).
        let known_fields = std::cell::OnceCell::new();
        let known_fields = || known_fields.get_or_init(|| all_field_names(catalog));
        c.duplicates(given, "fields", &|k| known_fields().contains(&k));
        for (k, v) in given {
            if letter.field(&k.name).is_none() {
                let quote = quotable(&k.name, &allowed, known_fields());
                let path = if quote {
                    format!("fields.{}", k.name)
                } else {
                    "fields".to_owned()
                };
                let msg = match (allowed.is_empty(), quote) {
                    (true, true) => {
                        format!("unknown field `{}`: {} has no fields", k.name, letter.code)
                    }
                    (true, false) => format!(
                        "unknown field (not repeated here: it may be personal data): {} has no fields",
                        letter.code
                    ),
                    (false, _) => unknown_in(
                        "field",
                        &k.name,
                        &format!(" for {}", letter.code),
                        &allowed,
                        quote,
                    ),
                };
                c.err(Code::UnknownField, k.pos, path, msg);
                c.allowed(&k.name, &allowed);
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
                        c.err(Code::MissingField, pos, format!("fields.{}", f.name), format!("is required when {owner} is `{code}`: write what the meeting is about"));
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
                    c.err(Code::UnusedField, pos, format!("fields.{}", f.name), format!("is only used when {owner} is `{code}`; remove it or set {owner} to `{code}`"));
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
                c.err(
                    Code::MissingField,
                    fields_pos,
                    format!("fields.{}", f.name),
                    hint,
                );
                if let FieldType::Choice(ch) = &f.ty {
                    let codes: Vec<&str> = ch.iter().map(|c| c.code.as_str()).collect();
                    c.allowed("", &codes);
                }
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
                                    Code::UnknownOptional,
                                    item.pos,
                                    &p,
                                    format!("{} has no optional paragraphs", letter.code),
                                );
                            } else {
                                let quote = quotable(&t, &ids, &all_optional_ids(catalog));
                                c.err(
                                    Code::UnknownOptional,
                                    item.pos,
                                    &p,
                                    unknown_in("optional paragraph", &t, "", &ids, quote),
                                );
                                c.allowed(&t, &ids);
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
                    Code::WrongType,
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

    if let (Some(Language::Cy), Some(letter), Some((_, n))) = (language, letter, get("language")) {
        let missing = missing_welsh(catalog, letter, &fields, &optional);
        let paragraphs = if missing.is_empty() {
            String::new()
        } else {
            format!(
                "the paragraph library lacks the Welsh paragraphs {}, and ",
                missing.join(", ")
            )
        };
        c.err(Code::WelshUnavailable,
            n.pos,
            "language",
            format!(
                "{} cannot be written in Welsh yet: {paragraphs}the letter's own wording (its template) is in English only; write `en`",
                letter.code
            ),
        );
    }

    if !c.out.is_empty() {
        c.out
            .sort_by(|a, b| a.pos.cmp(&b.pos).then_with(|| a.path.cmp(&b.path)));
        return Err(RequestError { diagnostics: c.out });
    }
    match (letter, date, reference, language, format) {
        (Some(letter), Some(date), Some(reference), Some(language), Some(format)) => Ok(Request {
            id,
            letter: letter.code.clone(),
            date,
            reference,
            recipient,
            language,
            fields,
            optional,
            format,
        }),
        _ => Err(RequestError {
            diagnostics: vec![Diagnostic::new(
                Code::Incomplete,
                origin,
                root.pos,
                "",
                "the request is incomplete",
            )],
        }),
    }
}

/// Every field name any letter of the catalog defines.
fn all_field_names(catalog: &Catalog) -> Vec<&str> {
    catalog
        .letters()
        .flat_map(|l| l.fields.iter().map(|f| f.name.as_str()))
        .collect()
}

/// Every choice code any field of any letter offers.
fn all_choice_codes(catalog: &Catalog) -> Vec<&str> {
    let mut v = Vec::new();
    for l in catalog.letters() {
        for f in &l.fields {
            if let FieldType::Choice(choices) = &f.ty {
                v.extend(choices.iter().map(|c| c.code.as_str()));
            }
        }
    }
    v
}

/// Every optional paragraph id any letter offers.
fn all_optional_ids(catalog: &Catalog) -> Vec<&str> {
    catalog
        .letters()
        .flat_map(|l| l.optional_paragraphs.iter().map(|o| o.id.as_str()))
        .collect()
}

/// The Welsh paragraph codes (`TM_25820_W`) a request in Welsh would need
/// and the library does not have, in letter order.
fn missing_welsh(
    catalog: &Catalog,
    letter: &Letter,
    fields: &BTreeMap<String, FieldValue>,
    optional: &[String],
) -> Vec<String> {
    let mut selected: Vec<&Selects> = Vec::new();
    for f in &letter.fields {
        if let (FieldType::Choice(choices), Some(FieldValue::Choice(code))) =
            (&f.ty, fields.get(&f.name))
            && let Some(ch) = choices.iter().find(|c| &c.code == code)
        {
            selected.push(&ch.selects);
        }
    }
    for o in &letter.optional_paragraphs {
        if optional.contains(&o.id) {
            selected.push(&o.selects);
        }
    }
    let mut missing = Vec::new();
    for s in selected {
        if let Selects::Paragraph(code) = s
            && catalog
                .paragraph(code, Language::Cy)
                .is_none_or(|p| p.language != Language::Cy)
        {
            let base = code.strip_suffix("_E").unwrap_or(code);
            let welsh = format!("{base}_W");
            if !missing.contains(&welsh) {
                missing.push(welsh);
            }
        }
    }
    missing
}

/// Parses a request's text into a positioned tree, as JSON when `origin`
/// ends `.json`, `.jsonl` or `.ndjson` and as YAML otherwise
/// ([`Format::from_origin`]); a request error when it cannot be read.
///
/// # Errors
/// A [`RequestError`] with the syntax error (code `syntax`).
pub fn parse_tree(text: &str, origin: &str, line_offset: u32) -> Result<Node, RequestError> {
    parse_tree_as(text, origin, line_offset, Format::from_origin(origin))
}

/// Parses a request's text in `format` into a positioned tree. `origin`
/// names the source in errors; `line_offset` shifts line numbers (one line
/// of a JSON Lines file has `line_offset` = its line number - 1).
///
/// # Errors
/// As [`parse_tree`].
pub fn parse_tree_as(
    text: &str,
    origin: &str,
    line_offset: u32,
    format: Format,
) -> Result<Node, RequestError> {
    let what = match format {
        Format::Yaml => "not valid YAML",
        Format::Json => "not valid JSON",
    };
    tree::parse_as(text, line_offset, format).map_err(|e| RequestError {
        diagnostics: vec![Diagnostic::new(
            Code::Syntax,
            origin,
            e.pos,
            "",
            if e.message.starts_with("a request file holds one request") {
                e.message
            } else {
                format!("{what}: {}", e.message)
            },
        )],
    })
}

/// Parses a request (JSON or YAML by `origin`'s extension, as
/// [`parse_tree`]) and validates it. `origin` names the source in errors;
/// `line_offset` shifts line numbers (JSON Lines).
///
/// # Errors
/// Every problem in the request: its syntax, or its checks against the letter.
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

/// Like [`parse_request`], in a given format whatever `origin` says.
///
/// # Errors
/// As [`parse_request`].
pub fn parse_request_as(
    text: &str,
    origin: &str,
    line_offset: u32,
    format: Format,
    catalog: &Catalog,
    fonts: &FontSet,
) -> Result<Request, RequestError> {
    let root = parse_tree_as(text, origin, line_offset, format)?;
    validate(&root, origin, catalog, fonts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_json_pointers() {
        for (path, want) in [
            ("", ""),
            ("date", "/date"),
            ("fields.meeting-date", "/fields/meeting-date"),
            ("recipient.address[1]", "/recipient/address/0"),
            ("recipient.address[3]", "/recipient/address/2"),
            ("optional[2]", "/optional/1"),
            ("fields.a~b/c", "/fields/a~0b~1c"),
        ] {
            assert_eq!(pointer(path), want, "{path}");
        }
    }

    #[test]
    fn a_request_from_json_data_goes_through_the_same_checks_with_pointers() {
        let engine = crate::Engine::builtin().expect("built-in catalog");
        let v = serde_json::json!({
            "letter": "CMSL5501",
            "date": "2026-03-02",
            "reference": "1234 5678 9012",
            "recipient": {"name": "Ms A Person", "address": ["1 Road", "Town"], "postcode": "LS6 1AB"},
            "fields": {"meeting-date": "2026-03-16", "meeting-time": "10:30",
                       "meeting-location": "Jobcentre Plus, Leeds", "reason": "informaton",
                       "colour": "red"}
        });
        let e = engine
            .request_from_value(&v, "service")
            .expect_err("two problems");
        let got: Vec<(String, &str, Option<&str>)> = e
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.pointer.as_str(), d.suggestion.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("unknown-field".to_owned(), "/fields", None),
                (
                    "unknown-choice".to_owned(),
                    "/fields/reason",
                    Some("information")
                ),
            ]
        );
        // As data: the serialised form has the code, pointer and allowed values.
        let j = serde_json::to_value(&e.diagnostics[1]).expect("serialises");
        assert_eq!(j["code"], "unknown-choice");
        assert_eq!(j["pointer"], "/fields/reason");
        assert_eq!(j["line"], 0);
        assert!(j["allowed"].as_array().is_some_and(|a| a.len() > 5));
        // The fixed request renders.
        let mut v = v;
        v["fields"]["reason"] = "information".into();
        v["fields"].as_object_mut().expect("map").remove("colour");
        let r = engine.request_from_value(&v, "service").expect("valid");
        assert_eq!(r.letter, "CMSL5501");
        assert_eq!(
            Some(r),
            engine
                .parse_request_as(&v.to_string(), "x.json", Format::Json)
                .ok(),
            "the same request as from text"
        );
    }
}
