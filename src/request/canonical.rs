//! The canonical form of a request: strict JSON with keys in a fixed order
//! and every value in the one spelling the parser reads back to the same
//! [`Request`]. The outbox stores it (to render a letter again), and its
//! SHA-256 identifies the request whatever syntax it came in.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::format::LetterFormat;
use super::{FieldValue, Request};
use crate::hex;

/// The request as canonical JSON text (one line, no trailing newline).
pub fn canonical_json(r: &Request) -> String {
    canonical_value(r).to_string()
}

/// The request's canonical form as a JSON value (keys in the canonical
/// order: `serde_json` keeps insertion order here).
pub fn canonical_value(r: &Request) -> Value {
    let mut top = Map::new();
    if let Some(id) = &r.id {
        top.insert("id".into(), json!(id));
    }
    top.insert("letter".into(), json!(r.letter));
    top.insert("date".into(), json!(r.date.to_string()));
    top.insert("reference".into(), json!(r.reference));
    top.insert("language".into(), json!(r.language.code()));
    insert_format(&mut top, r.format);
    if let Some(rec) = &r.recipient {
        top.insert(
            "recipient".into(),
            json!({"name": rec.name, "address": rec.address, "postcode": rec.postcode}),
        );
    }
    let mut fields = Map::new();
    for (name, v) in &r.fields {
        fields.insert(name.clone(), field_value(v));
    }
    top.insert("fields".into(), Value::Object(fields));
    top.insert("optional".into(), json!(r.optional));
    Value::Object(top)
}

fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) | FieldValue::Choice(s) => json!(s),
        FieldValue::Lines(l) => json!(l),
        FieldValue::Date(d) => json!(d.to_string()),
        FieldValue::Time(t) => json!(t.to_string()),
        FieldValue::Money(m) => json!(money_text(*m)),
        FieldValue::Number(n) => json!(n),
        FieldValue::Bool(b) => json!(b),
    }
}

/// The keys of a format (`format`, and `size` or `grade` and `profile`);
/// none for standard print.
pub(crate) fn insert_format(top: &mut Map<String, Value>, format: LetterFormat) {
    match format {
        LetterFormat::Standard => {}
        LetterFormat::LargePrint { size } => {
            top.insert("format".into(), json!("large-print"));
            top.insert("size".into(), json!(size));
        }
        LetterFormat::Braille { grade, profile } => {
            top.insert("format".into(), json!("braille"));
            top.insert("grade".into(), json!(grade.number()));
            top.insert("profile".into(), json!(profile.name()));
        }
    }
}

/// An amount as the parser reads it back: `-12.05`.
pub(crate) fn money_text(m: super::Money) -> String {
    let sign = if m.0 < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", m.0.abs() / 100, m.0.abs() % 100)
}

/// SHA-256 of the canonical request, hex.
pub fn canonical_sha256(r: &Request) -> String {
    CanonicalForm::of(r).sha256
}

/// A request's canonical JSON and its SHA-256, made together (the JSON is
/// built once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalForm {
    /// [`canonical_json`].
    pub json: String,
    /// [`canonical_sha256`]: SHA-256 of `json`, hex.
    pub sha256: String,
}

impl CanonicalForm {
    /// The canonical form of `r`.
    pub fn of(r: &Request) -> CanonicalForm {
        let json = canonical_json(r);
        let sha256 = hex(&Sha256::digest(json.as_bytes()));
        CanonicalForm { json, sha256 }
    }

    /// The request's identity as [`crate::request_ident`] gives it (the
    /// PDF's file ID).
    pub fn ident(&self) -> String {
        self.sha256[..32].to_owned()
    }
}
