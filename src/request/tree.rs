//! A document tree with a position on every node, read from YAML or JSON (or
//! built from a CSV row), so validation can point at the exact spot.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A position in a source: 1-based line and column (0 when not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, serde::Serialize)]
pub struct Pos {
    /// Line.
    pub line: u32,
    /// Column.
    pub column: u32,
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub pos: Pos,
}

/// A value of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` or empty.
    Null,
    /// A scalar, kept as the text written (numbers and booleans too).
    Scalar {
        /// The text as written (quotes removed).
        text: String,
        /// Whether it was a quoted or plain string (not a number or boolean).
        string: bool,
    },
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in written order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// Where it was written.
    pub pos: Pos,
}

/// The tree of a JSON value a program already holds (no positions: every
/// node is at line 0, column 0; the JSON Pointer of a diagnostic says where).
/// Numbers and booleans keep their JSON text, as when read from a file.
pub fn from_json(v: &serde_json::Value) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Scalar {
            text: b.to_string(),
            string: false,
        },
        J::Number(n) => Value::Scalar {
            text: n.to_string(),
            string: false,
        },
        J::String(s) => Value::Scalar {
            text: s.clone(),
            string: true,
        },
        J::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
        J::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.clone(),
                            pos: Pos::default(),
                        },
                        from_json(v),
                    )
                })
                .collect(),
        ),
    };
    Node {
        value,
        pos: Pos::default(),
    }
}

impl Value {
    /// A short name of the value's kind, for errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Scalar { string: true, .. } => "text",
            Value::Scalar { .. } => "a number or true/false",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

enum Raw {
    Null,
    Scalar(String, bool),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any YAML or JSON value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Scalar(v.to_string(), false))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Scalar(v.to_string(), false))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw::Scalar(v.to_string(), false))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Scalar(v.to_string(), false))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Scalar(v.to_owned(), true))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Scalar(v, true))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Raw::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key::<Spanned<String>>()? {
                    let val = a.next_value()?;
                    v.push((k, val));
                }
                Ok(Raw::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn pos(l: &serde_saphyr::Location, line_offset: u32) -> Pos {
    Pos {
        line: l.line() as u32 + line_offset,
        column: l.column() as u32,
    }
}

fn convert(src: &str, s: Spanned<Raw>, line_offset: u32) -> Node {
    let p = pos(&s.referenced, line_offset);
    let value = match s.value {
        Raw::Null => Value::Null,
        Raw::Scalar(text, true) => Value::Scalar { text, string: true },
        Raw::Scalar(text, false) => {
            // Keep what was written (`010` stays `010`, `yes` stays `yes`).
            let span = s.referenced.span();
            let written = span
                .byte_offset()
                .zip(span.byte_len())
                .and_then(|(o, l)| src.get(o as usize..(o + l) as usize))
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map_or(text, str::to_owned);
            Value::Scalar {
                text: written,
                string: false,
            }
        }
        Raw::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| convert(src, i, line_offset))
                .collect(),
        ),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        Key {
                            pos: pos(&k.referenced, line_offset),
                            name: k.value,
                        },
                        convert(src, v, line_offset),
                    )
                })
                .collect(),
        ),
    };
    Node { value, pos: p }
}

/// A parse failure: position and message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ParseError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

/// The syntax a request is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (which also reads most JSON, loosely).
    Yaml,
    /// Strict JSON (serde_json): no trailing commas, single quotes or comments.
    Json,
}

impl Format {
    /// The format an origin's extension names: `.json`, `.jsonl` and
    /// `.ndjson` (any case) are JSON, anything else (`.yaml`, `.yml`, `-`
    /// for standard input) is YAML.
    pub fn from_origin(origin: &str) -> Format {
        let ext = origin
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "json" | "jsonl" | "ndjson" => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// Parses text in `format` into a positioned tree. `line_offset` is added to
/// every line (for one line of a JSON Lines file). A key written twice in a
/// mapping is kept twice (the caller decides what to say about it).
///
/// # Errors
/// [`ParseError`] at the position of the first syntax error.
pub fn parse_as(src: &str, line_offset: u32, format: Format) -> Result<Node, ParseError> {
    match format {
        Format::Json => super::json::parse(src, line_offset),
        Format::Yaml => parse_yaml(src, line_offset),
    }
}

/// Parses YAML (or JSON read as YAML) into a positioned tree, refusing a key
/// written twice in one mapping. `line_offset` is added to every line.
///
/// # Errors
/// [`ParseError`] at the position of the first syntax error.
pub fn parse(src: &str, line_offset: u32) -> Result<Node, ParseError> {
    let node = parse_yaml(src, line_offset)?;
    match first_duplicate(&node) {
        Some(k) => Err(ParseError {
            pos: k.pos,
            message: if is_plain_identifier(&k.name) {
                format!("duplicate mapping key: {}", k.name)
            } else {
                "duplicate mapping key".to_owned()
            },
        }),
        None => Ok(node),
    }
}

/// A short lower-case identifier (`meeting-date`, `reason_2`): the shape of
/// the keys and codes letterkit defines, never of a name, an address, a
/// postcode or a reference (those have capitals, spaces or are all digits).
pub(crate) fn is_plain_identifier(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The first key written a second time in the same mapping, anywhere.
pub(crate) fn first_duplicate(node: &Node) -> Option<&Key> {
    match &node.value {
        Value::Map(entries) => {
            for (i, (k, _)) in entries.iter().enumerate() {
                if entries[..i].iter().any(|(e, _)| e.name == k.name) {
                    return Some(k);
                }
            }
            entries.iter().find_map(|(_, v)| first_duplicate(v))
        }
        Value::Seq(items) => items.iter().find_map(first_duplicate),
        _ => None,
    }
}

fn parse_yaml(src: &str, line_offset: u32) -> Result<Node, ParseError> {
    let mut options = serde_saphyr::Options::default();
    // Duplicates reach the visitor; the request checker reports them with
    // its own rule for what may be quoted.
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    // A snippet would repeat the request's text (personal data) in messages.
    options.with_snippet = false;
    match serde_saphyr::from_str_with_options::<Spanned<Raw>>(src, options) {
        Ok(s) => Ok(convert(src, s, line_offset)),
        Err(e) => {
            let mut p = e
                .location()
                .map(|l| pos(&l, line_offset))
                .unwrap_or_default();
            let message = match &e {
                serde_saphyr::Error::MultipleDocuments { .. } => {
                    // At the `---` that starts the second document, rather
                    // than at its first content line.
                    let start = second_document(src, line_offset);
                    if start.line != 0 {
                        p = start;
                    }
                    "a request file holds one request, but this one has several YAML documents (separated by `---`): put each request in its own file".to_owned()
                }
                // These could repeat what the request says (a key, a tag,
                // a value): describe instead. Our visitor accepts any value,
                // so most of them never arise.
                serde_saphyr::Error::SerdeInvalidType { .. }
                | serde_saphyr::Error::SerdeInvalidValue { .. }
                | serde_saphyr::Error::SerdeUnknownVariant { .. }
                | serde_saphyr::Error::SerdeUnknownField { .. }
                | serde_saphyr::Error::SerdeMissingField { .. }
                | serde_saphyr::Error::DuplicateMappingKey { .. }
                | serde_saphyr::Error::QuotingRequired { .. }
                | serde_saphyr::Error::NonFiniteFloat { .. }
                | serde_saphyr::Error::TaggedStructFieldName { .. }
                | serde_saphyr::Error::Message { .. } => {
                    "a key or value here cannot be read".to_owned()
                }
                serde_saphyr::Error::UnsupportedTag { .. } => {
                    "a `!` tag is not supported in a request".to_owned()
                }
                _ => {
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or("").trim();
                    let m = first
                        .strip_prefix("error: ")
                        .unwrap_or(first)
                        .split_once(": ")
                        .filter(|(p, _)| p.starts_with("line "))
                        .map_or(first, |(_, m)| m);
                    // The position is given separately.
                    match m.rfind(" at line ") {
                        Some(i) if m[i..].contains(", column ") => m[..i].to_owned(),
                        _ => m.to_owned(),
                    }
                }
            };
            Err(ParseError { pos: p, message })
        }
    }
}

/// Where a second YAML document starts: the first `---` line after some
/// content (line 0 when not found).
fn second_document(src: &str, line_offset: u32) -> Pos {
    let mut content = false;
    for (i, line) in src.lines().enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            if content {
                return Pos {
                    line: i as u32 + 1 + line_offset,
                    column: 1,
                };
            }
        } else if !t.trim_start().is_empty() && !t.trim_start().starts_with('#') {
            content = true;
        }
    }
    Pos::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_written_scalars() {
        let n = parse("a: 010\nb:\n  - x\n  - yes\n", 0).expect("parses");
        let Value::Map(entries) = n.value else {
            panic!("map")
        };
        assert_eq!(entries[0].0.name, "a");
        assert_eq!(
            entries[0].1.value,
            Value::Scalar {
                text: "010".into(),
                string: false
            }
        );
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("seq")
        };
        assert_eq!(items[1].pos, Pos { line: 4, column: 5 });
        assert_eq!(
            items[1].value,
            Value::Scalar {
                text: "yes".into(),
                string: false
            }
        );
    }

    #[test]
    fn json_and_errors() {
        let n = parse("{\"a\": [1, 2]}", 9).expect("parses");
        assert_eq!(n.pos.line, 10);
        let e = parse("a: [1,\n", 0).expect_err("unclosed");
        assert_eq!(e.pos.line, 1);
        assert!(e.message.contains("unclosed"), "{}", e.message);
        assert!(
            parse("a: 1\na: 2\n", 0).is_err(),
            "duplicate keys are refused"
        );
    }
}
