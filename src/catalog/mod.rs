//! Catalog: letter definitions (`letters/*.yaml`) and the paragraph library
//! (`paragraphs/<language>/*.yaml`), read raw and then checked into typed form.
//!
//! Every problem found in every file is collected and reported together, each
//! with its file, line and column. The shipped catalog is compiled into the
//! binary ([`Catalog::builtin`]); [`Catalog::from_dir`] loads another folder.

mod coverage;
pub(crate) mod raw;
mod terms;

pub(crate) use coverage::probe_request;
pub use coverage::{Coverage, FieldCoverage, LetterCoverage, MissingWelsh, Target};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_catalog.rs"));
}

/// A catalog file: where it came from and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the catalog root, e.g. `letters/CMSL5502.yaml`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// One problem in a catalog file.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file as an editor opens it: the `--catalog` folder as given joined
    /// with the file (`my-catalog/letters/CMSL5502.yaml`), the absolute path
    /// of the source file for the built-in catalog, or the path relative to
    /// the catalog root for [`Catalog::from_files`].
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What is wrong and what is allowed.
    pub message: String,
    /// The source lines around the problem, with a caret under the column
    /// (printed under the message; one string per line).
    pub snippet: Vec<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )?;
        } else {
            write!(f, "{}: {}", self.file, self.message)?;
        }
        for l in &self.snippet {
            write!(f, "\n{l}")?;
        }
        Ok(())
    }
}

impl Problem {
    /// A problem at `line:column` of `file` (0, 0 when the position is unknown).
    pub fn new(file: &str, line: u32, column: u32, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
            snippet: Vec::new(),
        }
    }
}

/// A rustc-style excerpt of line `line` of `text` with a caret under `column`.
pub(crate) fn snippet(text: &str, line: u32, column: u32) -> Vec<String> {
    let Some(src) = text.lines().nth((line as usize).saturating_sub(1)) else {
        return Vec::new();
    };
    let src = src.trim_end();
    let gutter = " ".repeat(line.to_string().len());
    // Keep tabs under tabs so the caret lines up however the terminal shows them.
    let pad: String = src
        .chars()
        .take((column as usize).saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    vec![
        format!("{gutter} |"),
        format!("{line} | {src}"),
        format!("{gutter} | {pad}^"),
    ]
}
/// Every problem found while loading or checking a catalog.
#[derive(Debug, Clone, thiserror::Error)]
pub struct CatalogError {
    /// The problems, sorted by file and position.
    pub problems: Vec<Problem>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "the catalog has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            for l in p.to_string().lines() {
                writeln!(f, "  {l}")?;
            }
        }
        Ok(())
    }
}

/// Letter or form: decides page-1 layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// Posted to a recipient in a window envelope: address block on page 1.
    Letter,
    /// A form or record: no address window.
    Form,
}

/// Who reads the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// A receiving or paying parent.
    Client,
    /// A court.
    Court,
    /// CMS staff only.
    Internal,
}

/// Language of a paragraph or letter. Paragraph codes end `_E` or `_W`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// English (`_E`).
    En,
    /// Welsh (`_W`).
    Cy,
}

impl Language {
    /// Parses `en` or `cy`.
    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "en" => Some(Language::En),
            "cy" => Some(Language::Cy),
            _ => None,
        }
    }
    /// The paragraph code suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Language::En => "_E",
            Language::Cy => "_W",
        }
    }
    /// BCP 47 tag for PDF metadata.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en-GB",
            Language::Cy => "cy-GB",
        }
    }
    /// Short code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Cy => "cy",
        }
    }
}

/// A checked letter or form definition.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Letter {
    /// Letter code, e.g. `CMSL5502`, or a descriptive id for forms with no official code.
    pub code: String,
    /// Title (the heading of a letter).
    pub title: String,
    /// What it is for.
    pub description: Option<String>,
    /// Letter or form.
    pub kind: DocKind,
    /// Who reads it.
    pub audience: Audience,
    /// Procedure file the definition is built from.
    pub source: Option<String>,
    /// Set when the wording is draft, to be replaced by approved text.
    pub draft: Option<String>,
    /// Maintainers' notes (e.g. wording changes and why).
    pub notes: Vec<String>,
    /// Fields, in declaration order.
    pub fields: Vec<Field>,
    /// Optional paragraphs a caseworker may add.
    pub optional_paragraphs: Vec<OptionalParagraph>,
    /// Default postage class when it is queued in the outbox.
    pub postage: Postage,
    /// The queued letters it replaces for the same client and matter.
    pub supersedes: Option<Supersedes>,
    /// Whether the definition has a `sample:` section (its proof values).
    #[serde(skip)]
    pub has_sample: bool,
    /// Tera body template.
    #[serde(skip)]
    pub template: String,
    /// Where the template's value starts in its file: 1-based (line, column).
    #[serde(skip)]
    pub template_at: (u32, u32),
    /// Catalog file it came from.
    pub file: String,
}

impl Letter {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Postage class of a posted letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Postage {
    /// First class.
    First,
    /// Second class (the default).
    #[default]
    Second,
    /// Economy (the provider's cheapest, slowest service).
    Economy,
}

impl Postage {
    /// Every class, in the order transmissions list them.
    pub const ALL: [Postage; 3] = [Postage::First, Postage::Second, Postage::Economy];

    /// The name in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Postage::First => "first",
            Postage::Second => "second",
            Postage::Economy => "economy",
        }
    }
}

impl std::fmt::Display for Postage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Postage {
    type Err = String;
    fn from_str(s: &str) -> Result<Postage, String> {
        Postage::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a postage class; the classes are: first, second, economy")
            })
    }
}

/// Which queued letters a letter replaces (`supersedes:` in its definition).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Supersedes {
    /// Codes of the letters it replaces.
    pub letters: Vec<String>,
    /// Fields that must hold the same values in both for them to be about
    /// the same matter (e.g. the meeting's date and time).
    pub same_matter: Vec<String>,
}

/// A field a request fills in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Field {
    /// Kebab-case name as written in requests.
    pub name: String,
    /// Human label.
    pub label: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Whether a request must give it.
    pub required: bool,
    /// Longest allowed text, characters.
    pub max_length: Option<usize>,
    /// Help for whoever fills it in.
    pub help: Option<String>,
    /// Draft marker.
    pub draft: Option<String>,
}

impl Field {
    /// Name as a template variable (`meeting-date` → `meeting_date`).
    pub fn var(&self) -> String {
        self.name.replace('-', "_")
    }
}

/// Field types.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "choices")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text (e.g. an address) as a list.
    Lines,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A time of day, `HH:MM` (24-hour).
    Time,
    /// An amount of money in pounds, e.g. `125.50`.
    Money,
    /// A whole number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// One of a fixed list of codes, each selecting wording.
    Choice(Vec<Choice>),
}

impl FieldType {
    /// The type's name as written in YAML.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Lines => "lines",
            FieldType::Date => "date",
            FieldType::Time => "time",
            FieldType::Money => "money",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Choice(_) => "choice",
        }
    }
    /// The allowed type names.
    pub const NAMES: &'static str = "text, lines, date, time, money, number, boolean, choice";
}

/// One choice of a choice field.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Choice {
    /// Code a request gives, e.g. `payments`.
    pub code: String,
    /// What it selects.
    pub selects: Selects,
    /// Maintainers' note (e.g. a wording change).
    pub note: Option<String>,
    /// Human label.
    pub label: Option<String>,
}

/// What a choice or optional paragraph puts into the letter.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selects {
    /// Nothing but the code itself.
    Value,
    /// A library paragraph by code, e.g. `TM_25827_E`.
    Paragraph(String),
    /// Wording written in the definition (no official paragraph code exists).
    Text(String),
    /// The text of another (free-text) field.
    FreeText(String),
}

/// An optional paragraph.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OptionalParagraph {
    /// Id a request lists under `optional:`.
    pub id: String,
    /// What it adds.
    pub selects: Selects,
    /// Draft marker.
    pub draft: Option<String>,
    /// What it is for.
    pub description: Option<String>,
}

/// A standard paragraph from the library.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Paragraph {
    /// Code, e.g. `TM_25820_E`.
    pub code: String,
    /// Language (from the code's suffix and the file's `language:`).
    pub language: Language,
    /// Exact wording.
    pub text: String,
    /// When the procedure says to use it.
    pub when: Option<String>,
    /// Changes from the procedure's text, and why.
    pub note: Option<String>,
    /// Catalog file.
    pub file: String,
}

/// Settings shared by all letters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Settings {
    /// Sender block lines.
    pub sender: Vec<String>,
    /// PDF author.
    pub author: String,
    /// The body of a braille letter's print carrier page (`braille-carrier:`),
    /// when the catalog has one.
    pub braille_carrier: Option<Carrier>,
}

/// The body of a braille letter's print carrier page: the letter's own
/// page 1 (logo, sender zone, window address) with this heading and these
/// paragraphs instead of its body.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Carrier {
    /// Set when the wording is draft, to be replaced by approved text.
    pub draft: Option<String>,
    /// The heading.
    pub heading: String,
    /// The paragraphs, with `{reference}`, `{code}` and `{title}` in them.
    pub paragraphs: Vec<String>,
}

/// The placeholders a carrier page's wording may hold.
pub const CARRIER_PLACEHOLDERS: [&str; 3] = ["reference", "code", "title"];

impl Carrier {
    /// `text` with its placeholders filled in: the letter's reference,
    /// code and title.
    pub fn fill(text: &str, reference: &str, code: &str, title: &str) -> String {
        let mut out = String::with_capacity(text.len() + 64);
        let mut rest = text;
        while let Some(at) = rest.find('{') {
            out.push_str(&rest[..at]);
            let after = &rest[at..];
            let value = [
                ("{reference}", reference),
                ("{code}", code),
                ("{title}", title),
            ]
            .into_iter()
            .find(|(p, _)| after.starts_with(p));
            match value {
                Some((p, v)) => {
                    out.push_str(v);
                    rest = &after[p.len()..];
                }
                None => {
                    out.push('{');
                    rest = &after[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod carrier_tests {
    use super::{Carrier, unknown_placeholder};

    #[test]
    fn placeholders_are_filled_once_and_unknown_ones_found() {
        assert_eq!(
            Carrier::fill(
                "{code}: {title} ({reference}) {other}",
                "{title}",
                "C1",
                "T"
            ),
            "C1: T ({title}) {other}"
        );
        assert_eq!(unknown_placeholder("Ref {reference}, {ref}"), Some("ref"));
        assert_eq!(unknown_placeholder("{code} {title} {reference}"), None);
    }
}

/// The first `{name}` in `text` that is not a carrier placeholder.
fn unknown_placeholder(text: &str) -> Option<&str> {
    text.split('{').skip(1).find_map(|rest| {
        let name = rest.split_once('}').map_or(rest, |(n, _)| n);
        (!CARRIER_PLACEHOLDERS.contains(&name)).then_some(name)
    })
}

/// Checks `braille-carrier:` (placeholders) and turns it into a [`Carrier`].
fn check_carrier(raw: raw::RawCarrier, problems: &mut Vec<Problem>) -> Carrier {
    for text in std::iter::once(&raw.heading).chain(&raw.paragraphs) {
        if let Some(name) = unknown_placeholder(&text.value) {
            problems.push(at(
                "catalog.yaml",
                text,
                format!(
                    "braille-carrier: unknown placeholder {{{name}}}; the carrier page fills in {}",
                    CARRIER_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                ),
            ));
        }
    }
    Carrier {
        draft: raw.draft,
        heading: raw.heading.value,
        paragraphs: raw.paragraphs.into_iter().map(|p| p.value).collect(),
    }
}

/// The catalog's letters by code. A catalog read from files reads and
/// checks every letter at load. The shipped one reads a letter's file when
/// the letter is first asked for (a batch of one letter reads one of the
/// thirteen files): its code is its file's name, and a test runs every
/// check on every shipped letter (`shipped_catalog_passes_every_check`).
#[derive(Debug, Clone, Default)]
struct Letters(BTreeMap<String, LetterSlot>);

#[derive(Debug, Clone)]
struct LetterSlot {
    /// The index of the letter's file in `Catalog::sources` (`None`: read
    /// at load).
    file: Option<usize>,
    /// The letter, once read (`None`: its file did not read; never for a
    /// shipped letter, see above).
    letter: std::sync::OnceLock<Option<Letter>>,
}

/// The checked catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Shared settings.
    pub settings: Settings,
    letters: Letters,
    paragraphs: BTreeMap<String, Paragraph>,
    /// Filled at load, except in the shipped catalog: there the shipped
    /// procedures are read at first use (a batch never needs them).
    procedures: std::sync::OnceLock<std::sync::Arc<crate::pack::Procedures>>,
    digest: String,
    /// The files it was loaded from (for positions in coverage warnings).
    sources: std::sync::Arc<Vec<SourceFile>>,
    /// Each file's path relative to the root → the path problems show.
    shown: BTreeMap<String, String>,
}

/// Whether `path` (relative, `/`-separated) is a file a catalog is made of:
/// `catalog.yaml`, or a file under `letters/` or `paragraphs/`.
fn is_catalog_file(path: &str) -> bool {
    path == "catalog.yaml" || path.starts_with("letters/") || path.starts_with("paragraphs/")
}

/// The catalog digest of a set of files: see [`Catalog::digest`].
///
/// `files` holds (path relative to the catalog root with `/` separators,
/// contents); files that are not part of a catalog are left out, and the
/// order they come in does not matter.
pub(crate) fn digest_of<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(&str, &[u8])> = files
        .into_iter()
        .filter(|(p, _)| is_catalog_file(p))
        .collect();
    files.sort_unstable();
    let mut h = Sha256::new();
    for (path, bytes) in files {
        h.update((path.len() as u64).to_be_bytes());
        h.update(path.as_bytes());
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of the catalog compiled into the binary (the same as
/// `Catalog::builtin()?.digest()`, without parsing anything).
pub fn builtin_digest() -> String {
    digest_of(embedded::FILES.iter().map(|(p, t)| (*p, t.as_bytes())))
}

fn at<T>(file: &str, s: &Spanned<T>, message: impl Into<String>) -> Problem {
    Problem::new(
        file,
        s.referenced.line() as u32,
        s.referenced.column() as u32,
        message,
    )
}

pub(crate) fn yaml_problem(file: &str, e: &serde_saphyr::Error) -> Problem {
    let (line, column) = e
        .location()
        .map_or((0, 0), |l| (l.line() as u32, l.column() as u32));
    let text = e.to_string();
    // serde-saphyr renders a source snippet after the first line; keep the message.
    let first = text.lines().next().unwrap_or("").trim();
    let message = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .split_once(": ")
        .filter(|(pos, _)| pos.starts_with("line "))
        .map_or(first, |(_, m)| m)
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    Problem::new(file, line, column, message)
}

/// Finds `needle` as a whole word (any case) in `text`, after the
/// `template:` key when there is one: 1-based (line, column).
pub(crate) fn locate(text: &str, needle: &str) -> Option<(u32, u32)> {
    let lower = text.to_lowercase();
    let needle = needle.to_lowercase();
    let start = lower.find("\ntemplate:").map_or(0, |i| i + 1);
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let at = lower[start..]
        .match_indices(&needle)
        .map(|(i, _)| start + i)
        .find(|&i| {
            !is_word(lower[..i].chars().next_back())
                && !is_word(lower[i + needle.len()..].chars().next())
        })?;
    let line = lower[..at].matches('\n').count() as u32 + 1;
    let line_start = lower[..at].rfind('\n').map_or(0, |i| i + 1);
    let column = lower[line_start..at].chars().count() as u32 + 1;
    Some((line, column))
}

/// Where line `line`, column `column` of a letter's template is in its
/// file `text`, the template's value starting at `at` (see
/// [`Letter::template_at`]). Exact for a literal block (`template: |`), whose
/// lines are the file's lines less their indentation; for any other style the
/// value's start, and `false`.
pub(crate) fn template_position(
    text: &str,
    at: (u32, u32),
    line: u32,
    column: u32,
) -> ((u32, u32), bool) {
    let lines: Vec<&str> = text.lines().collect();
    let nth = |l: u32| lines.get((l as usize).checked_sub(1)?).copied();
    let is_literal_header = |s: &str| {
        let s = s.split(" #").next().unwrap_or(s).trim();
        s.strip_prefix('|')
            .is_some_and(|rest| rest.chars().all(|c| matches!(c, '-' | '+' | '0'..='9')))
    };
    let value: String = nth(at.0)
        .map(|l| l.chars().skip((at.1 as usize).saturating_sub(1)).collect())
        .unwrap_or_default();
    // The span is the `|` itself, or (as serde-saphyr gives it) the first
    // content line, after a `key: |` line.
    let first = if is_literal_header(&value) {
        at.0 + 1
    } else if at.0 > 1
        && nth(at.0 - 1)
            .and_then(|l| l.rsplit_once(':'))
            .is_some_and(|(_, v)| is_literal_header(v))
    {
        at.0
    } else {
        return (at, false);
    };
    let indent = lines
        .iter()
        .skip(first as usize - 1)
        .find(|l| !l.trim().is_empty())
        .map_or(0, |l| l.chars().take_while(|c| *c == ' ').count() as u32);
    ((first + line - 1, indent + column), true)
}

/// Whether `code` looks like an official letter/form code (`CMSL5502`).
pub(crate) fn is_official_code(code: &str) -> bool {
    code.len() == 8
        && code.is_ascii()
        && code[..4].chars().all(|c| c.is_ascii_uppercase())
        && code[4..].chars().all(|c| c.is_ascii_digit())
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Variables every template may use besides its fields.
pub(crate) const BUILTIN_VARS: &[&str] = &[
    "title",
    "code",
    "letter_date",
    "reference",
    "recipient_name",
    "optional_paragraphs",
];

impl Catalog {
    /// The catalog shipped inside the binary.
    ///
    /// Problems name the absolute path of the source file the binary was
    /// built from, so that whoever edits the shipped catalog can jump to it.
    ///
    /// Its templates are not compiled and tried, nor its wording checked,
    /// here: the shipped files cannot change after the build, and the test
    /// `shipped_catalog_passes_every_check` runs those checks on them (they
    /// were half the instructions of a one-letter batch).
    ///
    /// # Errors
    /// [`CatalogError`] with every problem (only when the shipped catalog was built
    /// broken).
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::load(embedded_files(), &builtin_path, Checks::DoneAtBuild)
    }

    /// The shipped catalog with every check run, the template and wording
    /// checks too (what `letterkit check` runs).
    ///
    /// # Errors
    /// As [`Catalog::builtin`].
    pub fn builtin_checked() -> Result<Catalog, CatalogError> {
        Catalog::load(embedded_files(), &builtin_path, Checks::All)
    }
}

/// Whether loading a catalog runs the checks that read every definition as
/// a whole: its templates compiled and tried (`compose::check_templates`)
/// and its wording (`terms::check_terminology`). The definitions themselves
/// are always checked as they are read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Checks {
    /// Run them: a catalog read from files or a folder.
    All,
    /// The shipped catalog, on which a test runs them.
    DoneAtBuild,
}

/// Where a file of the shipped catalog was compiled from: an absolute path.
fn builtin_path(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

/// The files of the shipped catalog, as compiled into the binary.
pub fn embedded_files() -> Vec<SourceFile> {
    embedded::FILES
        .iter()
        .map(|(p, t)| SourceFile {
            path: (*p).to_owned(),
            text: (*t).to_owned(),
        })
        .collect()
}

impl Catalog {
    /// Loads `dir/catalog.yaml`, `dir/letters/**/*.yaml` and `dir/paragraphs/**/*.yaml`.
    ///
    /// # Errors
    /// [`CatalogError`] with every problem: a file that cannot be read, YAML that does
    /// not parse, a definition that does not check.
    pub fn from_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        if !dir.is_dir() {
            return Err(CatalogError {
                problems: vec![Problem::new(
                    &dir.display().to_string(),
                    0,
                    0,
                    "not a folder (a catalog folder holds catalog.yaml, letters/ and paragraphs/)",
                )],
            });
        }
        let mut paths: Vec<PathBuf> = Vec::new();
        for sub in ["catalog.yaml", "letters", "paragraphs", "packs"] {
            let base = dir.join(sub);
            if sub == "packs" && !base.exists() {
                continue;
            }
            for entry in walkdir::WalkDir::new(dir.join(sub)).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        if e.path().extension().is_some_and(|x| x == "yaml") {
                            paths.push(e.into_path());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => problems.push(Problem::new(
                        &dir.join(sub).display().to_string(),
                        0,
                        0,
                        e.to_string(),
                    )),
                }
            }
        }
        for p in paths {
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            match std::fs::read_to_string(&p) {
                Ok(text) => files.push(SourceFile { path: rel, text }),
                Err(e) => problems.push(Problem::new(
                    &p.display().to_string(),
                    0,
                    0,
                    format!("cannot read: {e}"),
                )),
            }
        }
        match Catalog::load(
            files,
            &|rel| dir.join(rel).display().to_string(),
            Checks::All,
        ) {
            Ok(c) if problems.is_empty() => Ok(c),
            Ok(_) => Err(CatalogError { problems }),
            Err(mut e) => {
                e.problems.extend(problems);
                e.problems.sort();
                Err(e)
            }
        }
    }

    /// Parses and checks catalog files, reporting every problem at once
    /// (problems name the files by their paths relative to the catalog root).
    ///
    /// # Errors
    /// [`CatalogError`] with every problem in every file, each at its file, line and
    /// column.
    pub fn from_files(files: Vec<SourceFile>) -> Result<Catalog, CatalogError> {
        Catalog::load(files, &|rel| rel.to_owned(), Checks::All)
    }

    /// Like [`Catalog::from_files`]; `shown` turns a path relative to the
    /// catalog root into the path printed in problems.
    fn load(
        files: Vec<SourceFile>,
        shown: &dyn Fn(&str) -> String,
        checks: Checks,
    ) -> Result<Catalog, CatalogError> {
        let digest = digest_of(files.iter().map(|f| (f.path.as_str(), f.text.as_bytes())));
        let mut problems = Vec::new();
        let mut settings = None;
        let mut raw_letters = Vec::new();
        let mut unread = Letters::default();
        let mut paragraphs: BTreeMap<String, Paragraph> = BTreeMap::new();

        for (i, f) in files.iter().enumerate() {
            if f.path == "catalog.yaml" {
                match serde_saphyr::from_str::<raw::RawSettings>(&f.text) {
                    Ok(s) => settings = Some(s),
                    Err(e) => problems.push(yaml_problem(&f.path, &e)),
                }
            } else if f.path.starts_with("letters/") && checks == Checks::DoneAtBuild {
                // Read when first asked for: see `Letters`.
                let code = Path::new(&f.path)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                unread.0.entry(code).or_insert(LetterSlot {
                    file: Some(i),
                    letter: std::sync::OnceLock::new(),
                });
            } else if f.path.starts_with("letters/") {
                match serde_saphyr::from_str::<raw::RawLetter>(&f.text) {
                    Ok(l) => raw_letters.push((f.path.clone(), l)),
                    Err(e) => problems.push(yaml_problem(&f.path, &e)),
                }
            } else if f.path.starts_with("paragraphs/") {
                match serde_saphyr::from_str::<raw::RawParagraphFile>(&f.text) {
                    Ok(pf) => {
                        check_paragraph_file(&f.path, pf, &mut paragraphs, &mut problems, shown)
                    }
                    Err(e) => problems.push(yaml_problem(&f.path, &e)),
                }
            }
        }

        let settings = match settings {
            Some(s) => Settings {
                sender: s.sender,
                author: s
                    .author
                    .unwrap_or_else(|| "Child Maintenance Service".into()),
                braille_carrier: s.braille_carrier.map(|c| check_carrier(c, &mut problems)),
            },
            None => {
                if !problems.iter().any(|p| p.file == "catalog.yaml") {
                    problems.push(Problem::new(
                        "catalog.yaml",
                        0,
                        0,
                        "missing: the catalog needs catalog.yaml with `sender:` lines",
                    ));
                }
                Settings {
                    sender: Vec::new(),
                    author: String::new(),
                    braille_carrier: None,
                }
            }
        };

        let mut letters = BTreeMap::new();
        for (file, raw) in raw_letters {
            if let Some(letter) = check_letter(&file, raw, &paragraphs, &mut problems) {
                if let Some(prev) = letters.get(&letter.code) {
                    let prev: &Letter = prev;
                    problems.push(Problem::new(
                        &file,
                        1,
                        1,
                        format!(
                            "letter code {} is also defined in {}",
                            letter.code,
                            shown(&prev.file)
                        ),
                    ));
                } else {
                    letters.insert(letter.code.clone(), letter);
                }
            }
        }
        check_supersedes(&letters, &files, &mut problems);
        if letters.is_empty() && unread.0.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                "letters/",
                0,
                0,
                "no letter definitions found",
            ));
        }

        // The shipped procedures are checked against the shipped letters
        // by `Catalog::builtin_checked` (a test runs it).
        let procedures = std::sync::OnceLock::new();
        if checks == Checks::All {
            let _ = procedures.set(match crate::pack::procedure::load(&files, Some(&letters)) {
                Ok(p) => std::sync::Arc::new(p),
                Err(mut more) => {
                    problems.append(&mut more);
                    crate::pack::Procedures::builtin()
                }
            });
        }
        let letters = if checks == Checks::DoneAtBuild {
            unread
        } else {
            Letters(
                letters
                    .into_iter()
                    .map(|(code, l)| {
                        let slot = LetterSlot {
                            file: None,
                            letter: std::sync::OnceLock::from(Some(l)),
                        };
                        (code, slot)
                    })
                    .collect(),
            )
        };
        let catalog = Catalog {
            settings,
            letters,
            paragraphs,
            procedures,
            digest,
            sources: std::sync::Arc::new(Vec::new()),
            shown: files
                .iter()
                .map(|f| (f.path.clone(), shown(&f.path)))
                .collect(),
        };
        let locate = |file: &str, needle: &str| -> (u32, u32) {
            files
                .iter()
                .find(|f| f.path == file)
                .and_then(|f| locate(&f.text, needle))
                .unwrap_or((0, 0))
        };
        if checks == Checks::All {
            if let Err(mut template_problems) =
                crate::compose::check_templates(&catalog, &locate, &files)
            {
                problems.append(&mut template_problems);
            }
            problems.extend(terms::check_terminology(&catalog, &locate));
        }
        if problems.is_empty() {
            let mut catalog = catalog;
            catalog.sources = std::sync::Arc::new(files);
            Ok(catalog)
        } else {
            for p in &mut problems {
                p.file = shown(&p.file);
            }
            problems.sort();
            problems.dedup();
            Err(CatalogError { problems })
        }
    }

    /// The catalog's digest: lowercase hex SHA-256 over its files, the same
    /// for the built-in catalog and for a `--catalog DIR` holding the same
    /// files. It names the exact wording a letter was made from, so it is
    /// stable across machines, builds and versions of letterkit:
    ///
    /// - the files are `catalog.yaml` and every file under `letters/` and
    ///   `paragraphs/` that the catalog is loaded from, each named by its
    ///   path relative to the catalog root with `/` separators
    ///   (`letters/CMSL5502.yaml`);
    /// - they are taken in ascending byte order of those paths;
    /// - for each file the hash reads the path's length in bytes as a
    ///   big-endian u64, the path's UTF-8 bytes, the contents' length in bytes
    ///   as a big-endian u64, then the contents, byte for byte (no newline
    ///   conversion).
    ///
    /// Any change to any byte, a renamed file, an added or a removed file
    /// changes the digest; nothing else does.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The text of catalog file `path` (relative to the catalog root), as
    /// loaded.
    pub fn source(&self, path: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.text.as_str())
    }

    /// Catalog file `path` as problems name it (absolute for the built-in
    /// catalog, under the `--catalog` folder otherwise).
    pub fn shown(&self, path: &str) -> String {
        self.shown
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.to_owned())
    }

    /// The pack procedures: the catalog's `packs/*.yaml`, or the shipped
    /// ones when it has none.
    pub fn procedures(&self) -> &std::sync::Arc<crate::pack::Procedures> {
        self.procedures
            .get_or_init(crate::pack::Procedures::builtin)
    }

    /// All letters, by code.
    pub fn letters(&self) -> impl Iterator<Item = &Letter> {
        self.letters.0.values().filter_map(|s| self.read(s))
    }

    /// The letter with `code`.
    pub fn letter(&self, code: &str) -> Option<&Letter> {
        self.read(self.letters.0.get(code)?)
    }

    /// Every letter code, comma-separated (for error messages).
    pub fn letter_codes(&self) -> String {
        self.codes().collect::<Vec<_>>().join(", ")
    }

    /// Every letter code, in order, without reading a letter.
    pub(crate) fn codes(&self) -> impl Iterator<Item = &str> {
        self.letters.0.keys().map(String::as_str)
    }

    /// Every letter, to change (the coverage probe's copy).
    fn letters_mut(&mut self) -> impl Iterator<Item = &mut Letter> {
        for slot in self.letters.0.values() {
            self.read(slot);
        }
        self.letters
            .0
            .values_mut()
            .filter_map(|s| s.letter.get_mut().and_then(Option::as_mut))
    }

    /// How many letters have been read (for tests).
    #[cfg(test)]
    pub(crate) fn letters_read(&self) -> usize {
        self.letters
            .0
            .values()
            .filter(|s| s.letter.get().is_some())
            .count()
    }

    /// A letter, read from its file when first asked for (see [`Letters`]).
    fn read<'a>(&'a self, slot: &'a LetterSlot) -> Option<&'a Letter> {
        slot.letter
            .get_or_init(|| {
                let f = self.sources.get(slot.file?)?;
                let raw = serde_saphyr::from_str::<raw::RawLetter>(&f.text).ok()?;
                let mut problems = Vec::new();
                let letter = check_letter(&f.path, raw, &self.paragraphs, &mut problems)?;
                problems.is_empty().then_some(letter)
            })
            .as_ref()
    }

    /// All paragraphs, by code.
    pub fn paragraphs(&self) -> impl Iterator<Item = &Paragraph> {
        self.paragraphs.values()
    }

    /// The paragraph `code` in `language`: `TM_25827_E` asked for in Welsh
    /// gives `TM_25827_W` when the library has it, else the English one.
    pub fn paragraph(&self, code: &str, language: Language) -> Option<&Paragraph> {
        let base = code
            .strip_suffix("_E")
            .or_else(|| code.strip_suffix("_W"))
            .unwrap_or(code);
        self.paragraphs
            .get(&format!("{base}{}", language.suffix()))
            .or_else(|| self.paragraphs.get(code))
    }

    /// The wording a selection puts into a letter (None for [`Selects::Value`]
    /// and [`Selects::FreeText`], which the request supplies).
    pub fn wording<'a>(&'a self, selects: &'a Selects, language: Language) -> Option<&'a str> {
        match selects {
            Selects::Paragraph(code) => self.paragraph(code, language).map(|p| p.text.as_str()),
            Selects::Text(t) => Some(t),
            Selects::Value | Selects::FreeText(_) => None,
        }
    }
}

fn check_paragraph_file(
    file: &str,
    pf: raw::RawParagraphFile,
    out: &mut BTreeMap<String, Paragraph>,
    problems: &mut Vec<Problem>,
    shown: &dyn Fn(&str) -> String,
) {
    let Some(language) = Language::parse(&pf.language.value) else {
        problems.push(at(
            file,
            &pf.language,
            format!("language `{}` is not one of: en, cy", pf.language.value),
        ));
        return;
    };
    for p in pf.paragraphs {
        let code = &p.code.value;
        let valid_shape = code.starts_with("TM_")
            && code.len() > 5
            && (code.ends_with("_E") || code.ends_with("_W"))
            && code[3..code.len() - 2].chars().all(|c| c.is_ascii_digit());
        if !valid_shape {
            problems.push(at(
                file,
                &p.code,
                format!(
                    "paragraph code `{code}` is not of the form TM_<digits>_E or TM_<digits>_W"
                ),
            ));
            continue;
        }
        if !code.ends_with(language.suffix()) {
            problems.push(at(
                file,
                &p.code,
                format!(
                    "paragraph `{code}` is in the `{}` paragraph file, so its code must end in {}",
                    language.code(),
                    language.suffix()
                ),
            ));
            continue;
        }
        if p.text.value.trim().is_empty() {
            problems.push(at(file, &p.text, format!("paragraph `{code}` has no text")));
        }
        if let Some(prev) = out.get(code) {
            problems.push(at(
                file,
                &p.code,
                format!(
                    "paragraph `{code}` is also defined in {}",
                    shown(&prev.file)
                ),
            ));
            continue;
        }
        out.insert(
            code.clone(),
            Paragraph {
                code: code.clone(),
                language,
                text: p.text.value.trim().to_owned(),
                when: p.when,
                note: p.note,
                file: file.to_owned(),
            },
        );
    }
}

/// What a choice or optional paragraph says it selects, as written.
struct RawSelects {
    paragraph: Option<Spanned<String>>,
    text: Option<String>,
    free_text: Option<Spanned<String>>,
}

fn check_selects(
    file: &str,
    what: &str,
    raw: RawSelects,
    paragraphs: &BTreeMap<String, Paragraph>,
    problems: &mut Vec<Problem>,
    anchor: &Spanned<String>,
) -> Selects {
    let RawSelects {
        paragraph,
        text,
        free_text,
    } = raw;
    let given = paragraph.is_some() as u8 + text.is_some() as u8 + free_text.is_some() as u8;
    if given > 1 {
        problems.push(at(
            file,
            anchor,
            format!("{what} may select only one of `paragraph`, `text`, `free-text`"),
        ));
    }
    if let Some(p) = paragraph {
        if !paragraphs.contains_key(&p.value) {
            let known: Vec<&str> = paragraphs.keys().map(String::as_str).collect();
            problems.push(at(
                file,
                &p,
                format!(
                    "{what} selects paragraph `{}`, which is not in the paragraph library (known: {})",
                    p.value,
                    known.join(", ")
                ),
            ));
        }
        Selects::Paragraph(p.value)
    } else if let Some(t) = text {
        Selects::Text(t.trim().to_owned())
    } else if let Some(f) = free_text {
        Selects::FreeText(f.value)
    } else {
        Selects::Value
    }
}

/// Every letter a `supersedes:` names exists and has the same-matter fields.
fn check_supersedes(
    letters: &BTreeMap<String, Letter>,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for l in letters.values() {
        let Some(s) = &l.supersedes else { continue };
        let pos = files
            .iter()
            .find(|f| f.path == l.file)
            .and_then(|f| locate(&f.text, "supersedes:"))
            .unwrap_or((0, 0));
        for code in &s.letters {
            match letters.get(code) {
                None => problems.push(Problem::new(
                    &l.file,
                    pos.0,
                    pos.1,
                    format!(
                        "supersedes: letter `{code}` is not in the catalog; the catalog has: {}",
                        letters.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                )),
                Some(other) => {
                    for f in &s.same_matter {
                        if other.field(f).is_none() {
                            problems.push(Problem::new(
                                &l.file,
                                pos.0,
                                pos.1,
                                format!("supersedes: {code} has no field `{f}` to compare"),
                            ));
                        }
                    }
                }
            }
        }
    }
}

fn check_letter(
    file: &str,
    raw: raw::RawLetter,
    paragraphs: &BTreeMap<String, Paragraph>,
    problems: &mut Vec<Problem>,
) -> Option<Letter> {
    let code = raw.code.value.clone();
    if !is_official_code(&code) && !is_kebab(&code) {
        problems.push(at(
            file,
            &raw.code,
            format!("code `{code}` is neither an official code (like CMSL5502) nor a kebab-case id for a form without one"),
        ));
    }
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if stem != code {
        problems.push(at(
            file,
            &raw.code,
            format!("code `{code}` does not match the file name `{stem}.yaml`"),
        ));
    }
    let kind = match raw.kind.value.as_str() {
        "letter" => DocKind::Letter,
        "form" => DocKind::Form,
        other => {
            problems.push(at(
                file,
                &raw.kind,
                format!("kind `{other}` is not one of: letter, form"),
            ));
            DocKind::Form
        }
    };
    let audience = match raw.audience.value.as_str() {
        "client" => Audience::Client,
        "court" => Audience::Court,
        "internal" => Audience::Internal,
        other => {
            problems.push(at(
                file,
                &raw.audience,
                format!("audience `{other}` is not one of: client, court, internal"),
            ));
            Audience::Internal
        }
    };

    let mut fields = Vec::new();
    let mut seen = BTreeSet::new();
    for f in raw.fields {
        let name = f.name.value.clone();
        if !is_kebab(&name) {
            problems.push(at(
                file,
                &f.name,
                format!("field name `{name}` must be kebab-case (a-z, 0-9, -)"),
            ));
        }
        if !seen.insert(name.clone()) {
            problems.push(at(
                file,
                &f.name,
                format!("field `{name}` is declared twice"),
            ));
        }
        let ty = match f.ty.value.as_str() {
            "text" => FieldType::Text,
            "lines" => FieldType::Lines,
            "date" => FieldType::Date,
            "time" => FieldType::Time,
            "money" => FieldType::Money,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "choice" => {
                let mut choices = Vec::new();
                let mut codes = BTreeSet::new();
                for c in f.choices.unwrap_or_default() {
                    if !codes.insert(c.code.value.clone()) {
                        problems.push(at(
                            file,
                            &c.code,
                            format!("choice `{}` is listed twice", c.code.value),
                        ));
                    }
                    let what = format!("choice `{}` of field `{name}`", c.code.value);
                    let selects = check_selects(
                        file,
                        &what,
                        RawSelects {
                            paragraph: c.paragraph,
                            text: c.text,
                            free_text: c.free_text,
                        },
                        paragraphs,
                        problems,
                        &c.code,
                    );
                    choices.push(Choice {
                        code: c.code.value,
                        selects,
                        note: c.note,
                        label: c.label,
                    });
                }
                if choices.is_empty() {
                    problems.push(at(
                        file,
                        &f.ty,
                        format!("choice field `{name}` needs a `choices:` list"),
                    ));
                }
                FieldType::Choice(choices)
            }
            other => {
                problems.push(at(
                    file,
                    &f.ty,
                    format!(
                        "field `{name}` has type `{other}`, expected one of: {}",
                        FieldType::NAMES
                    ),
                ));
                FieldType::Text
            }
        };
        fields.push(Field {
            name,
            label: f.label,
            ty,
            required: f.required.unwrap_or(true),
            max_length: f.max_length,
            help: f.help,
            draft: f.draft,
        });
    }
    // Free-text selections must name a text field of this letter.
    for f in &fields {
        if let FieldType::Choice(choices) = &f.ty {
            for c in choices {
                if let Selects::FreeText(target) = &c.selects {
                    let ok = fields
                        .iter()
                        .any(|t| &t.name == target && matches!(t.ty, FieldType::Text));
                    if !ok {
                        problems.push(Problem::new(
                            file,
                            0,
                            0,
                            format!(
                                "choice `{}` of field `{}` takes its text from `{target}`, which is not a text field of this letter",
                                c.code, f.name
                            ),
                        ));
                    }
                }
            }
        }
    }

    let postage = match &raw.postage {
        None => Postage::default(),
        Some(p) => p.value.parse().unwrap_or_else(|e: String| {
            problems.push(at(file, p, format!("postage: {e}")));
            Postage::default()
        }),
    };
    let supersedes = raw.supersedes.map(|s| {
        for f in &s.same_matter {
            if !fields.iter().any(|x: &Field| x.name == f.value) {
                problems.push(at(
                    file,
                    f,
                    format!(
                        "supersedes: same-matter field `{}` is not a field of {code}",
                        f.value
                    ),
                ));
            }
        }
        if s.letters.is_empty() {
            problems.push(at(file, &raw.code, "supersedes: `letters` is empty"));
        }
        Supersedes {
            letters: s.letters.into_iter().map(|l| l.value).collect(),
            same_matter: s.same_matter.into_iter().map(|f| f.value).collect(),
        }
    });

    let mut optional = Vec::new();
    for o in raw.optional_paragraphs {
        let what = format!("optional paragraph `{}`", o.id.value);
        let selects = check_selects(
            file,
            &what,
            RawSelects {
                paragraph: o.paragraph,
                text: o.text,
                free_text: None,
            },
            paragraphs,
            problems,
            &o.id,
        );
        if matches!(selects, Selects::Value) {
            problems.push(at(
                file,
                &o.id,
                format!("{what} needs `paragraph` or `text`"),
            ));
        }
        optional.push(OptionalParagraph {
            id: o.id.value,
            selects,
            draft: o.draft,
            description: o.description,
        });
    }

    Some(Letter {
        code,
        title: raw.title,
        description: raw.description,
        kind,
        audience,
        source: raw.source,
        draft: raw.draft,
        notes: raw.notes,
        fields,
        optional_paragraphs: optional,
        postage,
        supersedes,
        has_sample: raw.sample.is_some(),
        template_at: (
            raw.template.referenced.line() as u32,
            raw.template.referenced.column() as u32,
        ),
        template: raw.template.value,
        file: file.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Catalog::builtin` leaves the template and wording checks to this test.
    #[test]
    fn shipped_catalog_passes_every_check() {
        let checked = Catalog::builtin_checked().unwrap_or_else(|e| panic!("{e}"));
        let builtin = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(checked.digest(), builtin.digest());
        // The shipped letters are read when first asked for, one by one,
        // and are then the letters every check passed.
        assert_eq!(builtin.letters_read(), 0, "no letter read at load");
        assert_eq!(builtin.letter_codes(), checked.letter_codes());
        let cmsl5502 = |c: &Catalog| serde_json::to_value(c.letter("CMSL5502")).expect("json");
        assert_eq!(cmsl5502(&builtin), cmsl5502(&checked));
        assert!(builtin.letter("CMSL5502").is_some());
        assert_eq!(builtin.letters_read(), 1, "only the letter asked for");
        let all =
            |c: &Catalog| serde_json::to_value(c.letters().collect::<Vec<_>>()).expect("json");
        assert_eq!(all(&builtin), all(&checked));
        assert_eq!(builtin.letters_read(), checked.letters().count());
        let codes = |c: &Catalog| c.letters().map(|l| l.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(&checked), codes(&builtin));
        assert!(codes(&checked).contains(&"CMSL5502".to_owned()));
        assert_eq!(codes(&checked).len(), 13, "every shipped letter");
        // The shipped pack procedures are read at first use (a batch never
        // needs them), and are the ones checked against the letters.
        assert!(builtin.procedures.get().is_none(), "read at load");
        assert!(checked.procedures.get().is_some(), "checked at load");
        assert_eq!(builtin.procedures(), checked.procedures());
    }

    /// A problem in the built-in catalog names the absolute path of the file
    /// it was built from, so that an editor opens it from any folder.
    #[test]
    fn builtin_problems_name_the_absolute_source_file() {
        let mut files = embedded_files();
        let f = files
            .iter_mut()
            .find(|f| f.path == "letters/CMSL5503.yaml")
            .expect("shipped");
        f.text = f.text.replacen("kind: letter", "kind: leter", 1);
        // As `Catalog::builtin_checked` (`letterkit check`) reads it: the
        // shipped catalog reads its letters when first asked for.
        let err = Catalog::load(files, &builtin_path, Checks::All).expect_err("a bad kind");
        let want = Path::new(env!("CARGO_MANIFEST_DIR")).join("letters/CMSL5503.yaml");
        assert!(want.is_absolute() && want.is_file());
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].file, want.display().to_string());
        assert_eq!(
            err.problems[0].message,
            "kind `leter` is not one of: letter, form"
        );
    }

    #[test]
    fn template_lines_map_to_file_lines() {
        let text = "code: X\ntemplate: |\n  # Title\n\n  {{ x | }}\n";
        // serde-saphyr puts a literal block's span on its first content line.
        assert_eq!(template_position(text, (3, 3), 3, 8), ((5, 10), true));
        // A span on the `|` itself.
        assert_eq!(template_position(text, (2, 11), 3, 8), ((5, 10), true));
        // A quoted template: the value's start, not exact.
        let quoted = "template: \"{{ x | }}\"\n";
        assert_eq!(template_position(quoted, (1, 11), 1, 8), ((1, 11), false));
    }
}
