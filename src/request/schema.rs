//! A JSON Schema (2020-12) for each letter's request, built from its
//! definition: the keys every request has, the letter's fields with their
//! types, choices and lengths, and its optional paragraphs.
//!
//! The schema says what a request may look like; the validator
//! ([`super::validate`]) still has the last word (postcodes, the envelope
//! window, a free-text field its choice needs, the Welsh paragraphs), and
//! its diagnostics point into the same tree by JSON Pointer.

use serde_json::{Map, Value, json};

use super::{DEFAULT_MAX_TEXT, MAX_ADDRESS_LINE, format};
use crate::catalog::{Catalog, DocKind, FieldType, Letter, Selects};

/// The `$schema` of every schema made here.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The `$id` of a letter's schema.
pub fn schema_id(code: &str) -> String {
    format!("urn:letterkit:request:{code}")
}

/// The JSON Schema of a request for `letter`.
pub fn letter_schema(catalog: &Catalog, letter: &Letter) -> Value {
    let mut properties = Map::new();
    let mut required = vec!["letter", "date", "reference"];
    properties.insert(
        "letter".into(),
        json!({"const": letter.code, "description": "the letter code"}),
    );
    properties.insert(
        "id".into(),
        json!({
            "type": "string",
            "description": "names the output file in batches, and the letter in the outbox",
            "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
            "maxLength": 120
        }),
    );
    properties.insert("date".into(), date_schema("the date printed on the letter"));
    properties.insert(
        "reference".into(),
        json!({
            "type": "string",
            "description": "the client's reference (SCIN): 12 digits, in groups separated by spaces",
            "pattern": "^[0-9 ]+$",
            "minLength": 12,
            "maxLength": 20,
            "examples": ["1234 5678 9012"]
        }),
    );
    if letter.kind == DocKind::Letter {
        required.push("recipient");
        let line = json!({"type": "string", "minLength": 1, "maxLength": MAX_ADDRESS_LINE});
        properties.insert(
            "recipient".into(),
            json!({
                "type": "object",
                "description": "name, address lines and postcode: 3 to 7 lines in all",
                "additionalProperties": false,
                "required": ["name", "address", "postcode"],
                "properties": {
                    "name": line,
                    "address": {"type": "array", "minItems": 1, "maxItems": 5, "items": line},
                    "postcode": {"type": "string", "minLength": 5, "maxLength": 10, "examples": ["LS1 4AB"]}
                }
            }),
        );
    }
    properties.insert(
        "language".into(),
        json!({"enum": ["en", "cy"], "default": "en"}),
    );
    properties.insert(
        "format".into(),
        json!({"enum": format::FORMAT_NAMES, "default": "standard"}),
    );
    properties.insert(
        "size".into(),
        json!({
            "description": "large print only: the size in points",
            "type": "integer",
            "minimum": format::MIN_LARGE_PRINT,
            "maximum": format::MAX_LARGE_PRINT
        }),
    );
    properties.insert(
        "grade".into(),
        json!({"description": "braille only", "enum": [1, 2]}),
    );
    properties.insert(
        "profile".into(),
        json!({"description": "braille only", "enum": format::PROFILE_NAMES}),
    );
    let mut fields = Map::new();
    let mut fields_required = Vec::new();
    let free_text: Vec<&str> = letter
        .fields
        .iter()
        .filter_map(|f| match &f.ty {
            FieldType::Choice(cs) => Some(cs),
            _ => None,
        })
        .flatten()
        .filter_map(|c| match &c.selects {
            Selects::FreeText(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    for f in &letter.fields {
        let max = f.max_length.unwrap_or(DEFAULT_MAX_TEXT);
        let text = json!({"type": "string", "minLength": 1, "maxLength": max});
        let mut s = match &f.ty {
            FieldType::Text => text,
            FieldType::Lines => json!({"type": "array", "items": text}),
            FieldType::Date => date_schema(""),
            FieldType::Time => json!({
                "type": "string",
                "pattern": "^[0-9]{1,2}:[0-9]{2}$",
                "examples": ["10:30"]
            }),
            FieldType::Money => json!({
                "type": ["string", "number"],
                "description": "an amount in pounds",
                "examples": ["125.50"]
            }),
            FieldType::Number => json!({"type": "integer"}),
            FieldType::Boolean => json!({"type": "boolean"}),
            FieldType::Choice(cs) => {
                let codes: Vec<&str> = cs.iter().map(|c| c.code.as_str()).collect();
                let one_of: Vec<Value> = cs
                    .iter()
                    .map(|c| {
                        let mut o = Map::new();
                        o.insert("const".into(), json!(c.code));
                        let words = c.label.clone().or_else(|| {
                            catalog
                                .wording(&c.selects, crate::catalog::Language::En)
                                .map(str::to_owned)
                        });
                        if let Some(w) = words {
                            o.insert("description".into(), json!(w));
                        }
                        Value::Object(o)
                    })
                    .collect();
                json!({"enum": codes, "x-choices": one_of})
            }
        };
        if let (Some(o), Some(label)) = (s.as_object_mut(), f.label.as_ref().or(f.help.as_ref())) {
            o.insert("description".into(), json!(label));
        }
        if f.required && !free_text.contains(&f.name.as_str()) {
            fields_required.push(f.name.clone());
        }
        fields.insert(f.name.clone(), s);
    }
    let mut fields_schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": fields,
    });
    if !fields_required.is_empty() {
        fields_schema["required"] = json!(fields_required);
        required.push("fields");
    }
    properties.insert("fields".into(), fields_schema);
    if !letter.optional_paragraphs.is_empty() {
        let ids: Vec<&str> = letter
            .optional_paragraphs
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        properties.insert(
            "optional".into(),
            json!({"type": "array", "uniqueItems": true, "items": {"enum": ids}}),
        );
    }
    let mut doc = json!({
        "$schema": DIALECT,
        "$id": schema_id(&letter.code),
        "title": format!("{} {}", letter.code, letter.title),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    });
    // `size` only with large print; `grade` and `profile` only with braille.
    let only =
        |format: &str| json!({"required": ["format"], "properties": {"format": {"const": format}}});
    doc["dependentSchemas"] = json!({
        "size": only("large-print"),
        "grade": only("braille"),
        "profile": only("braille"),
    });
    if let Some(d) = &letter.description {
        doc["description"] = json!(d);
    }
    doc
}

fn date_schema(description: &str) -> Value {
    let mut s = json!({
        "type": "string",
        "format": "date",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "examples": ["2025-03-14"]
    });
    if !description.is_empty() {
        s["description"] = json!(description);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_has_a_schema_naming_its_fields_and_choices() {
        let cat = Catalog::builtin().expect("built-in catalog");
        let l = cat.letter("CMSL5502").expect("CMSL5502");
        let s = letter_schema(&cat, l);
        assert_eq!(s["$schema"], DIALECT);
        assert_eq!(s["properties"]["letter"]["const"], "CMSL5502");
        assert_eq!(s["additionalProperties"], false);
        let reason = &s["properties"]["fields"]["properties"]["reason"]["enum"];
        assert!(
            reason
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == "payments")),
            "{reason}"
        );
        assert!(
            s["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|v| v == "recipient"))
        );
        assert_eq!(
            s["dependentSchemas"]["size"]["properties"]["format"]["const"],
            "large-print"
        );
    }
}
