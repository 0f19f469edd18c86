//! Step data: the keys a pack step may give, their types, and checking a
//! step's data file against them.
//!
//! Data is read into the positioned tree of [`crate::request::tree`], so a
//! problem points at the line and column of the officer's data file. Checked
//! data is kept in the manifest as JSON (scalars as the text written), and
//! turned back into a tree when a document is rendered from it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::request::address::normalise_postcode;
use crate::request::tree::{Key, Node, Pos, Value as TreeValue};
use crate::request::{Date, Money, Time};

/// The type of a data key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// One line of text, at most this many characters.
    Text(usize),
    /// One to five lines of an address, each at most 45 characters.
    Lines,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A time of day, `HH:MM`.
    Time,
    /// An amount in pounds, e.g. `125.50`.
    Money,
    /// A UK postcode.
    Postcode,
    /// A case reference (SCIN): 12 digits.
    Scin,
    /// One of these codes.
    Choice(&'static [&'static str]),
}

impl KeyType {
    /// How the type is described to a user.
    pub fn describe(self) -> String {
        match self {
            KeyType::Text(n) => format!("text, at most {n} characters"),
            KeyType::Lines => "a list of 1 to 5 address lines".into(),
            KeyType::Date => "a date, YYYY-MM-DD".into(),
            KeyType::Time => "a time, HH:MM (24-hour)".into(),
            KeyType::Money => "an amount in pounds, e.g. 125.50".into(),
            KeyType::Postcode => "a UK postcode".into(),
            KeyType::Scin => "the case reference (SCIN), 12 digits".into(),
            KeyType::Choice(c) => format!("one of: {}", c.join(", ")),
        }
    }
}

/// A data key a step may give.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// Kebab-case name, as written in data files and as the field name of
    /// the documents that show it.
    pub name: &'static str,
    /// Its type.
    pub ty: KeyType,
    /// What it is.
    pub label: &'static str,
    /// Whether the value is personal data (names, addresses, free text that
    /// may hold them): hidden by `show` unless asked for.
    pub personal: bool,
}

/// Reasons for a face-to-face visit (the choice codes of CMSL5501 and CMSF5579).
pub const VISIT_REASONS: &[&str] = &[
    "complaint",
    "parentage",
    "under-16",
    "payments",
    "appeal",
    "information",
    "change",
    "enforcement-paying-parent",
    "enforcement-receiving-parent",
    "other",
];

const fn key(name: &'static str, ty: KeyType, label: &'static str, personal: bool) -> KeySpec {
    KeySpec {
        name,
        ty,
        label,
        personal,
    }
}

/// Every data key any step takes.
pub const KEYS: &[KeySpec] = &[
    key("reference", KeyType::Scin, "Case reference (SCIN)", false),
    key(
        "region",
        KeyType::Text(60),
        "Region (of the court, or of the visit)",
        false,
    ),
    key(
        "sr-number",
        KeyType::Text(30),
        "Service request number",
        false,
    ),
    key(
        "paying-parent-name",
        KeyType::Text(45),
        "Paying parent's name",
        true,
    ),
    key(
        "paying-parent-address",
        KeyType::Lines,
        "Paying parent's address lines",
        true,
    ),
    key(
        "paying-parent-postcode",
        KeyType::Postcode,
        "Paying parent's postcode",
        true,
    ),
    key("court", KeyType::Text(45), "Name of the court", false),
    key(
        "court-address",
        KeyType::Lines,
        "Address lines of the court",
        false,
    ),
    key(
        "court-postcode",
        KeyType::Postcode,
        "Postcode of the court",
        false,
    ),
    key("amount-owed", KeyType::Money, "Amount owed", false),
    key(
        "arrears-period",
        KeyType::Text(120),
        "Period the amount owed covers",
        false,
    ),
    key(
        "cpo-name",
        KeyType::Text(60),
        "Court presenting officer",
        false,
    ),
    key("hearing-date", KeyType::Date, "Hearing date", false),
    key("hearing-time", KeyType::Time, "Hearing time", false),
    key("costs", KeyType::Money, "Court costs", false),
    key(
        "issue-date",
        KeyType::Date,
        "Date the letter and summons were issued",
        false,
    ),
    key(
        "pv-checked-by",
        KeyType::Text(60),
        "Who made the PV check",
        false,
    ),
    key(
        "pv-result",
        KeyType::Choice(&["no-marking", "marking-recorded"]),
        "PV check result",
        false,
    ),
    key(
        "pv-details",
        KeyType::Text(300),
        "Details of a PV marking",
        true,
    ),
    key(
        "payments-since",
        KeyType::Money,
        "Payments received since referral",
        false,
    ),
    key(
        "contact-since",
        KeyType::Text(300),
        "Contact from the paying parent since referral",
        true,
    ),
    key(
        "referral-notes",
        KeyType::Text(600),
        "Notes for the court presenting officer",
        true,
    ),
    key("outcome", KeyType::Text(600), "Outcome", true),
    key(
        "cancel-reason",
        KeyType::Text(300),
        "Why the action stopped",
        true,
    ),
    key("client-name", KeyType::Text(45), "Client's name", true),
    key(
        "client-role",
        KeyType::Choice(&["receiving-parent", "paying-parent"]),
        "Client's role",
        false,
    ),
    key(
        "client-address",
        KeyType::Lines,
        "Client's address lines",
        true,
    ),
    key(
        "client-postcode",
        KeyType::Postcode,
        "Client's postcode",
        true,
    ),
    key(
        "reason",
        KeyType::Choice(VISIT_REASONS),
        "What the visit is about",
        false,
    ),
    key(
        "reason-text",
        KeyType::Text(300),
        "What the visit is about (reason `other`)",
        true,
    ),
    key(
        "visit-notes",
        KeyType::Text(600),
        "Notes for the face to face consultant",
        true,
    ),
    key(
        "rejection-reason",
        KeyType::Text(300),
        "Why VSAT rejected the referral",
        true,
    ),
    key(
        "meeting-date",
        KeyType::Date,
        "Date of the appointment",
        false,
    ),
    key(
        "meeting-time",
        KeyType::Time,
        "Time of the appointment",
        false,
    ),
    key(
        "meeting-location",
        KeyType::Text(200),
        "Where the appointment is",
        false,
    ),
    key(
        "visit-outcome",
        KeyType::Choice(&["completed", "failed-to-attend"]),
        "Outcome of the visit",
        false,
    ),
    key(
        "changed-by",
        KeyType::Choice(&["client", "cms"]),
        "Who asked for the meeting to change",
        false,
    ),
    key(
        "attendance",
        KeyType::Choice(&["attended", "failed-to-attend"]),
        "Whether the client attended the meeting",
        false,
    ),
    key(
        "fee-court",
        KeyType::Text(45),
        "Court the fee was paid to",
        false,
    ),
    key("fee-amount", KeyType::Money, "Court fee paid", false),
    key(
        "fee-paid-on",
        KeyType::Date,
        "Date the court fee was paid",
        false,
    ),
    key(
        "document",
        KeyType::Text(60),
        "The document to correct: its file name in the pack, or its code",
        false,
    ),
    key(
        "correction-reason",
        KeyType::Text(300),
        "Why the document is corrected",
        true,
    ),
];

/// The spec of key `name`.
pub fn key_spec(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.name == name)
}

/// Checked step data: each key's tree node (with its position in the data
/// file) and its JSON form for the manifest.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Key → node as written (positions point into the data file).
    pub nodes: BTreeMap<String, Node>,
    /// Key → value as stored in the manifest.
    pub values: serde_json::Map<String, Value>,
}

/// Checks `data` (a mapping, or nothing) against the keys `allowed`.
/// Problems are `origin:line:column: key: message`; values are never echoed
/// unless they are codes, dates, times or amounts (no personal data).
///
/// # Errors
/// Every problem in the step's data, each at its position.
pub fn check(
    data: Option<&Node>,
    origin: &str,
    allowed: &[&str],
    step: &str,
) -> Result<Checked, Vec<String>> {
    check_keys(data, origin, allowed, step, None)
}

/// [`check`], with `takes` saying which keys the step takes in an unknown
/// key's message (instead of listing `allowed`).
pub(crate) fn check_keys(
    data: Option<&Node>,
    origin: &str,
    allowed: &[&str],
    step: &str,
    takes: Option<&str>,
) -> Result<Checked, Vec<String>> {
    let mut out = Checked::default();
    let mut problems = Vec::new();
    let Some(node) = data else {
        return Ok(out);
    };
    let entries: &[(Key, Node)] = match &node.value {
        TreeValue::Map(m) => m,
        TreeValue::Null => &[],
        other => {
            return Err(vec![format!(
                "{}: the step data must be a mapping of keys to values, found {}",
                at(origin, node.pos),
                other.kind()
            )]);
        }
    };
    for (k, v) in entries {
        let here = at_key(origin, k.pos, &k.name);
        if !allowed.contains(&k.name.as_str()) {
            let hint = if key_spec(&k.name).is_some() {
                format!("step `{step}` does not take `{}`", k.name)
            } else {
                let close = crate::request::closest(&k.name, allowed)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                format!("unknown key `{}`{close}", k.name)
            };
            let takes = takes.map_or_else(|| allowed.join(", "), str::to_owned);
            problems.push(format!("{here}: {hint}; step `{step}` takes: {takes}"));
            continue;
        }
        if matches!(v.value, TreeValue::Null) {
            continue;
        }
        let Some(spec) = key_spec(&k.name) else {
            continue;
        };
        match check_value(spec, v) {
            Ok((node, value)) => {
                out.nodes.insert(k.name.clone(), node);
                out.values.insert(k.name.clone(), value);
            }
            Err(m) => problems.push(format!(
                "{}: {}: {m}",
                at_key(origin, v.pos, &k.name),
                k.name
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Where key `key` was given: `origin:line:column`, or `--set KEY=…` for a
/// value from the command line (line 0, column N: the Nth `--set`).
fn at_key(origin: &str, pos: Pos, key: &str) -> String {
    if pos.line == 0 && pos.column > 0 {
        format!("--set {key}=…")
    } else {
        at(origin, pos)
    }
}

fn at(origin: &str, pos: Pos) -> String {
    if pos.line == 0 {
        origin.to_owned()
    } else {
        format!("{origin}:{}:{}", pos.line, pos.column)
    }
}

fn scalar(node: &Node) -> Result<String, String> {
    match &node.value {
        TreeValue::Scalar { text, .. } => {
            let t = text.trim();
            if t.is_empty() {
                Err("is empty".into())
            } else if t.chars().any(char::is_control) {
                Err("contains a control character; write it on one line".into())
            } else {
                Ok(t.to_owned())
            }
        }
        other => Err(format!("expected a single value, found {}", other.kind())),
    }
}

fn text_node(text: &str, pos: Pos) -> Node {
    Node {
        value: TreeValue::Scalar {
            text: text.to_owned(),
            string: true,
        },
        pos,
    }
}

/// Checks one value; returns the node to render with (normalised) and the
/// manifest value.
fn check_value(spec: &KeySpec, node: &Node) -> Result<(Node, Value), String> {
    let expect = || format!("expected {}", spec.ty.describe());
    match spec.ty {
        KeyType::Lines => {
            let TreeValue::Seq(items) = &node.value else {
                return Err(expect());
            };
            if items.is_empty() || items.len() > 5 {
                return Err(format!("has {} lines; {}", items.len(), expect()));
            }
            let mut lines = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let t = scalar(item).map_err(|m| format!("line {}: {m}", i + 1))?;
                if t.chars().count() > 45 {
                    return Err(format!("line {} is longer than 45 characters", i + 1));
                }
                lines.push(t);
            }
            let value = Value::Array(lines.iter().cloned().map(Value::String).collect());
            Ok((node.clone(), value))
        }
        ty => {
            let t = scalar(node)?;
            let norm = match ty {
                KeyType::Text(max) => {
                    let n = t.chars().count();
                    if n > max {
                        return Err(format!("is {n} characters long; at most {max} are allowed"));
                    }
                    t
                }
                KeyType::Date => Date::parse(&t)?.to_string(),
                KeyType::Time => Time::parse(&t)?.to_string(),
                KeyType::Money => {
                    Money::parse(&t)?;
                    t
                }
                KeyType::Postcode => {
                    normalise_postcode(&t).map_err(|_| "is not a UK postcode".to_owned())?
                }
                KeyType::Scin => {
                    let digits: String = t.chars().filter(|c| !c.is_whitespace()).collect();
                    if digits.len() != 12 || !digits.chars().all(|c| c.is_ascii_digit()) {
                        return Err(
                            "is not a reference (SCIN): expected 12 digits, e.g. 1234 5678 9012"
                                .into(),
                        );
                    }
                    format!("{} {} {}", &digits[..4], &digits[4..8], &digits[8..])
                }
                KeyType::Choice(codes) => {
                    if !codes.contains(&t.as_str()) {
                        return Err(format!("`{t}` is not allowed; {}", expect()));
                    }
                    t
                }
                KeyType::Lines => return Err(expect()),
            };
            Ok((text_node(&norm, node.pos), Value::String(norm)))
        }
    }
}

/// Turns a stored manifest value back into a tree node (no position).
pub(crate) fn value_node(v: &Value) -> Node {
    let value = match v {
        Value::Null => TreeValue::Null,
        Value::Bool(b) => TreeValue::Scalar {
            text: b.to_string(),
            string: false,
        },
        Value::Number(n) => TreeValue::Scalar {
            text: n.to_string(),
            string: false,
        },
        Value::String(s) => TreeValue::Scalar {
            text: s.clone(),
            string: true,
        },
        Value::Array(items) => TreeValue::Seq(items.iter().map(value_node).collect()),
        Value::Object(m) => TreeValue::Map(
            m.iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.clone(),
                            pos: Pos::default(),
                        },
                        value_node(v),
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

/// A mapping node from `(key, node)` pairs.
pub(crate) fn map_node(entries: Vec<(&str, Node)>) -> Node {
    Node {
        value: TreeValue::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.to_owned(),
                            pos: Pos::default(),
                        },
                        v,
                    )
                })
                .collect(),
        ),
        pos: Pos::default(),
    }
}

/// A text node without a position.
pub fn text(s: &str) -> Node {
    text_node(s, Pos::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tree::parse;

    #[test]
    fn checks_types_and_keys_without_echoing_text() {
        let n = parse(
            "reference: 123456789012\nhearing-date: 2026-02-30\npaying-parent-name: A Very Secret Name\nbogus: 1\npaying-parent-postcode: ZZ\n",
            0,
        )
        .expect("yaml");
        let allowed = [
            "reference",
            "hearing-date",
            "paying-parent-name",
            "paying-parent-postcode",
        ];
        let e = check(Some(&n), "d.yaml", &allowed, "create").expect_err("problems");
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("d.yaml:2:15: hearing-date: `2026-02-30` is not a date"),
            "{e:?}"
        );
        assert!(e[1].starts_with("d.yaml:4:1: unknown key `bogus`"), "{e:?}");
        assert_eq!(
            e[2],
            "d.yaml:5:25: paying-parent-postcode: is not a UK postcode"
        );
        assert!(!e.join(" ").contains("Secret"));
    }

    #[test]
    fn normalises_values() {
        let n = parse("reference: \"1234 5678 9012\"\nhearing-time: 9:05\ncourt-postcode: ls11ab\ncourt-address: [a, b]\n", 0)
            .expect("yaml");
        let ok = check(
            Some(&n),
            "d",
            &[
                "reference",
                "hearing-time",
                "court-postcode",
                "court-address",
            ],
            "x",
        )
        .expect("valid");
        assert_eq!(ok.values["reference"], "1234 5678 9012");
        assert_eq!(ok.values["hearing-time"], "09:05");
        assert_eq!(ok.values["court-postcode"], "LS1 1AB");
        assert_eq!(ok.values["court-address"], serde_json::json!(["a", "b"]));
    }
}
