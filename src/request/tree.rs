//! A document tree with a position on every node, read from YAML or JSON (or
//! built from a CSV row), so validation can point at the exact spot.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A position in a source: 1-based line and column (0 when not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
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
pub struct ParseError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

/// Parses YAML or JSON text into a positioned tree. `line_offset` is added to
/// every line (for one line of a JSON Lines file).
pub fn parse(src: &str, line_offset: u32) -> Result<Node, ParseError> {
    match serde_saphyr::from_str::<Spanned<Raw>>(src) {
        Ok(s) => Ok(convert(src, s, line_offset)),
        Err(e) => {
            let p = e
                .location()
                .map(|l| pos(&l, line_offset))
                .unwrap_or_default();
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("").trim();
            let message = first
                .strip_prefix("error: ")
                .unwrap_or(first)
                .split_once(": ")
                .filter(|(p, _)| p.starts_with("line "))
                .map_or(first, |(_, m)| m)
                .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
            Err(ParseError { pos: p, message })
        }
    }
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
