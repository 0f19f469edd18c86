//! The YAML shapes of catalog files, exactly as written (before checking).
#![allow(missing_docs)]

use serde::Deserialize;
use serde_saphyr::Spanned;

/// `catalog.yaml`: settings shared by every letter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Sender block lines (top right of page 1).
    pub sender: Vec<String>,
    /// Author written into PDF metadata.
    #[serde(default)]
    pub author: Option<String>,
    /// Notes for maintainers (read so they are allowed, never used).
    #[serde(default)]
    #[allow(dead_code)]
    pub note: Option<String>,
    /// The body of a braille letter's print carrier page.
    #[serde(default)]
    pub braille_carrier: Option<RawCarrier>,
}

/// `braille-carrier:` in `catalog.yaml`: the carrier page's heading and
/// paragraphs, with `{reference}`, `{code}` and `{title}` filled in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCarrier {
    /// Draft marker: the wording is ours, to be replaced.
    #[serde(default)]
    pub draft: Option<String>,
    /// The page's heading.
    pub heading: Spanned<String>,
    /// Its paragraphs, in order.
    pub paragraphs: Vec<Spanned<String>>,
}

/// One letter or form definition (`letters/CODE.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLetter {
    pub code: Spanned<String>,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub kind: Spanned<String>,
    pub audience: Spanned<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Whole-letter draft marker: the wording is ours, to be replaced.
    #[serde(default)]
    pub draft: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub fields: Vec<RawField>,
    #[serde(default)]
    pub optional_paragraphs: Vec<RawOptional>,
    /// Default postage class in the outbox: first, second or economy.
    #[serde(default)]
    pub postage: Option<Spanned<String>>,
    /// Queued letters this one replaces for the same client and matter.
    #[serde(default)]
    pub supersedes: Option<RawSupersedes>,
    /// Sample values for proofs (`letterkit proof`), checked like a request.
    #[serde(default)]
    pub sample: Option<RawSample>,
    pub template: Spanned<String>,
}

/// `supersedes:` of a letter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSupersedes {
    /// Codes of the letters replaced.
    pub letters: Vec<Spanned<String>>,
    /// Fields whose values must be equal for two letters to be about the same matter.
    pub same_matter: Vec<Spanned<String>>,
}

/// A letter's `sample:` section: the values its proofs are made with. Only
/// its shape is read here; the values are checked as a request would be
/// (`letterkit::admin::samples`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code)] // read so that only these keys are allowed; checked by admin
pub struct RawSample {
    #[serde(default)]
    pub date: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub reference: Option<serde::de::IgnoredAny>,
    /// The recipient with the shortest address (letters only).
    #[serde(default)]
    pub shortest_recipient: Option<serde::de::IgnoredAny>,
    /// The recipient with the longest address (letters only).
    #[serde(default)]
    pub longest_recipient: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub fields: Option<serde::de::IgnoredAny>,
}

/// A field of a letter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawField {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub max_length: Option<usize>,
    #[serde(default)]
    pub help: Option<String>,
    /// For `choice` fields: each code and what it selects, in order.
    #[serde(default)]
    pub choices: Option<Vec<RawChoice>>,
    /// Draft marker: wording not from the procedures, to be replaced.
    #[serde(default)]
    pub draft: Option<String>,
}

/// What one choice selects: a library paragraph, inline wording, or a free-text field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawChoice {
    pub code: Spanned<String>,
    #[serde(default)]
    pub paragraph: Option<Spanned<String>>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub free_text: Option<Spanned<String>>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

/// An optional paragraph a caseworker may select.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawOptional {
    pub id: Spanned<String>,
    #[serde(default)]
    pub paragraph: Option<Spanned<String>>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub draft: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A paragraph library file (`paragraphs/<lang>/*.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawParagraphFile {
    pub language: Spanned<String>,
    /// Where the wording comes from (read so it is allowed, never used).
    #[serde(default)]
    #[allow(dead_code)]
    pub source: Option<String>,
    pub paragraphs: Vec<RawParagraph>,
}

/// One standard paragraph.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawParagraph {
    pub code: Spanned<String>,
    pub text: Spanned<String>,
    /// What the procedure says the paragraph is for.
    #[serde(default)]
    pub when: Option<String>,
    /// Any change from the procedure's text, and why.
    #[serde(default)]
    pub note: Option<String>,
}
