//! Catalog administration, above compose in the pipeline: what the people
//! who own the wording need to sign a change off.
//!
//! - [`samples`]: a letter's `sample:` section (its proof values) read from
//!   its file and checked as a request is, each problem at its line and column.
//! - [`variants`]: every variant a proof shows: one per combination of the
//!   choice fields' choices, one per optional paragraph, and the longest
//!   address.
//! - [`proof`]: variants into one proof PDF (cover page, each variant headed
//!   by its choices, paragraph codes in the margin).
//! - [`diff`]: what changed between two catalogs, word by word, and which
//!   letters, reasons and variants the change reaches.
//!
//! Pure: catalogs come in loaded, PDFs go out as bytes.

pub mod diff;
pub mod proof;

use crate::Engine;
use crate::catalog::{Catalog, DocKind, FieldType, Language, Letter, Problem, Selects};
use crate::request::tree::{self, Key, Node, Pos, Value};
use crate::request::{FieldValue, Request};

/// The date a sample without `date:` is written on.
pub const SAMPLE_DATE: &str = "2026-03-16";

/// A letter's sample requests.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The request with the shortest address (or the only one, for a form).
    pub shortest: Request,
    /// The request with the longest address (letters with a `sample:` only).
    pub longest: Option<Request>,
    /// Whether the values come from the definition's `sample:` (false:
    /// placeholders, because the definition declares none).
    pub declared: bool,
}

/// Most variants the choice fields of one letter may multiply into; beyond
/// it a proof shows each choice once, the other fields at their first.
pub const MAX_COMBINATIONS: usize = 64;

fn scalar(text: &str) -> Node {
    Node {
        value: Value::Scalar {
            text: text.to_owned(),
            string: true,
        },
        pos: Pos::default(),
    }
}

fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

fn entry(name: &str, node: Node) -> (Key, Node) {
    (
        Key {
            name: name.to_owned(),
            pos: node.pos,
        },
        node,
    )
}

/// The sample requests of `letter`: its `sample:` checked as a request
/// (every problem at its line and column in the letter's file), or
/// placeholder values when it declares none.
///
/// # Errors
/// The problems of the letter's `sample:` (not a valid request, or variants that do not
/// render).
pub fn samples(engine: &Engine, letter: &Letter) -> Result<Samples, Vec<Problem>> {
    let catalog = engine.catalog();
    let file = catalog.shown(&letter.file);
    let placeholder = || {
        crate::catalog::probe_request(letter).ok_or_else(|| {
            vec![Problem::new(
                &file,
                0,
                0,
                format!(
                    "{} has no sample values and none can be made up",
                    letter.code
                ),
            )]
        })
    };
    if !letter.has_sample {
        return Ok(Samples {
            shortest: placeholder()?,
            longest: None,
            declared: false,
        });
    }
    let text = catalog.source(&letter.file).unwrap_or_default();
    let root = tree::parse(text, 0)
        .map_err(|e| vec![Problem::new(&file, e.pos.line, e.pos.column, e.message)])?;
    let Some(sample) = get(&root, "sample") else {
        return Ok(Samples {
            shortest: placeholder()?,
            longest: None,
            declared: false,
        });
    };
    let mut problems = Vec::new();
    let sample_pos = sample.pos;
    let request = |recipient: Option<&Node>| -> Node {
        let mut entries = vec![
            entry("letter", scalar(&letter.code)),
            entry(
                "date",
                get(sample, "date")
                    .cloned()
                    .unwrap_or_else(|| scalar(SAMPLE_DATE)),
            ),
            entry(
                "reference",
                get(sample, "reference")
                    .cloned()
                    .unwrap_or_else(|| scalar("1234 5678 9012")),
            ),
        ];
        if let Some(r) = recipient {
            entries.push(entry("recipient", r.clone()));
        }
        // Choice fields the proof varies need no sample value: the first
        // choice, or the one showing a free-text field the sample gives.
        let mut fields = match get(sample, "fields") {
            Some(Node {
                value: Value::Map(m),
                ..
            }) => m.clone(),
            _ => Vec::new(),
        };
        let given = |name: &str, fields: &[(Key, Node)]| fields.iter().any(|(k, _)| k.name == name);
        for f in &letter.fields {
            if let FieldType::Choice(choices) = &f.ty
                && !given(&f.name, &fields)
            {
                let pick = choices
                    .iter()
                    .find(|c| matches!(&c.selects, Selects::FreeText(t) if given(t, &fields)))
                    .or(choices.first());
                if let Some(c) = pick {
                    fields.push(entry(&f.name, scalar(&c.code)));
                }
            }
        }
        entries.push(entry(
            "fields",
            Node {
                value: Value::Map(fields),
                pos: get(sample, "fields").map_or(sample_pos, |f| f.pos),
            },
        ));
        Node {
            value: Value::Map(entries),
            pos: sample_pos,
        }
    };
    let check = |node: Node, problems: &mut Vec<Problem>| -> Option<Request> {
        match engine.validate(&node, &file) {
            Ok(r) => Some(r),
            Err(e) => {
                for d in e.diagnostics {
                    let path = if d.path.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", d.path)
                    };
                    problems.push(Problem::new(
                        &file,
                        d.pos.line,
                        d.pos.column,
                        format!("sample: {path}{}", d.message),
                    ));
                }
                None
            }
        }
    };
    let (shortest, longest) = if letter.kind == DocKind::Letter {
        let short = get(sample, "shortest-recipient");
        let long = get(sample, "longest-recipient");
        if short.is_none() || long.is_none() {
            problems.push(Problem::new(
                &file,
                sample_pos.line,
                sample_pos.column,
                format!(
                    "sample: {} is a letter, so its sample gives `shortest-recipient:` and `longest-recipient:` (name, address, postcode)",
                    letter.code
                ),
            ));
        }
        (
            check(request(short), &mut problems),
            long.and_then(|l| check(request(Some(l)), &mut problems)),
        )
    } else {
        (check(request(None), &mut problems), None)
    };
    // A free-text choice shows another field: the sample must give it.
    if let Some(s) = &shortest {
        for f in &letter.fields {
            if let FieldType::Choice(choices) = &f.ty {
                for c in choices {
                    if let Selects::FreeText(target) = &c.selects
                        && !s.fields.contains_key(target)
                    {
                        problems.push(Problem::new(
                            &file,
                            sample_pos.line,
                            sample_pos.column,
                            format!(
                                "sample: choice `{}` of `{}` shows the field `{target}`, so the sample gives it",
                                c.code, f.name
                            ),
                        ));
                    }
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    match shortest {
        Some(shortest) if problems.is_empty() => Ok(Samples {
            shortest,
            longest,
            declared: true,
        }),
        _ => Err(problems),
    }
}

/// Checks the `sample:` of every letter that has one.
pub fn check_samples(engine: &Engine) -> Vec<Problem> {
    let mut out = Vec::new();
    for l in engine.catalog().letters().filter(|l| l.has_sample) {
        if let Err(mut p) = samples(engine, l) {
            out.append(&mut p);
        }
    }
    out.sort();
    out
}

/// One variant of a letter in a proof.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Letter code.
    pub letter: String,
    /// (field, choice code) of each choice field.
    pub choices: Vec<(String, String)>,
    /// The optional paragraphs it adds.
    pub optional: Vec<String>,
    /// Whether it has the longest sample address.
    pub longest_address: bool,
    /// The request it is rendered from.
    pub request: Request,
}

impl Variant {
    /// What made it: `changed-by = client, reason = payments`, then the
    /// optional paragraphs and the address when they are not the default.
    pub fn title(&self) -> String {
        let mut parts: Vec<String> = self
            .choices
            .iter()
            .map(|(f, c)| format!("{f} = {c}"))
            .collect();
        for o in &self.optional {
            parts.push(format!("optional {o}"));
        }
        if self.longest_address {
            parts.push("longest address".into());
        } else if self.request.recipient.is_some() {
            parts.push("shortest address".into());
        }
        if parts.is_empty() {
            "the letter as defined".into()
        } else {
            parts.join(", ")
        }
    }

    /// What each selection puts into the letter: (margin label, wording):
    /// the paragraph code (`TM_25827_E`), the choice code for wording written
    /// in the definition, `free text`, or `optional: ID`.
    pub fn selections(&self, catalog: &Catalog, letter: &Letter) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (field, code) in &self.choices {
            let Some(f) = letter.field(field) else {
                continue;
            };
            let FieldType::Choice(choices) = &f.ty else {
                continue;
            };
            let Some(c) = choices.iter().find(|c| &c.code == code) else {
                continue;
            };
            let wording = match &c.selects {
                Selects::FreeText(t) => match self.request.fields.get(t) {
                    Some(FieldValue::Text(t)) => Some(t.clone()),
                    _ => None,
                },
                s => catalog.wording(s, Language::En).map(str::to_owned),
            };
            let label = match &c.selects {
                Selects::Paragraph(p) => p.clone(),
                // Inline wording: the choice's code (the band names its field).
                Selects::Text(_) => code.clone(),
                Selects::FreeText(_) => "free text".to_owned(),
                Selects::Value => continue,
            };
            if let Some(w) = wording {
                out.push((label, w));
            }
        }
        for o in &letter.optional_paragraphs {
            if self.optional.contains(&o.id)
                && let Some(w) = catalog.wording(&o.selects, Language::En)
            {
                let label = match &o.selects {
                    Selects::Paragraph(p) => p.clone(),
                    _ => format!("optional: {}", o.id),
                };
                out.push((label, w.to_owned()));
            }
        }
        out
    }
}

/// Every variant of `letter` a proof shows, from its samples: each
/// combination of its choice fields' choices (or, beyond
/// [`MAX_COMBINATIONS`], each choice once), then each optional paragraph,
/// then the longest address.
pub fn variants(letter: &Letter, samples: &Samples) -> Vec<Variant> {
    let fields: Vec<(&str, Vec<&str>)> = letter
        .fields
        .iter()
        .filter_map(|f| match &f.ty {
            FieldType::Choice(c) => {
                Some((f.name.as_str(), c.iter().map(|c| c.code.as_str()).collect()))
            }
            _ => None,
        })
        .collect();
    let product: usize = fields.iter().map(|(_, c)| c.len().max(1)).product();
    let base: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(f, c)| c.first().map(|c| ((*f).to_owned(), (*c).to_owned())))
        .collect();
    let mut combos: Vec<Vec<(String, String)>> = Vec::new();
    if product <= MAX_COMBINATIONS {
        combos.push(Vec::new());
        for (f, codes) in &fields {
            let mut next = Vec::new();
            for combo in &combos {
                for c in codes {
                    let mut v = combo.clone();
                    v.push(((*f).to_owned(), (*c).to_owned()));
                    next.push(v);
                }
            }
            combos = next;
        }
    } else {
        combos.push(base.clone());
        for (i, (_, codes)) in fields.iter().enumerate() {
            for c in codes.iter().skip(1) {
                let mut v = base.clone();
                v[i].1 = (*c).to_owned();
                combos.push(v);
            }
        }
    }
    let make = |choices: Vec<(String, String)>, optional: Vec<String>, longest: bool| {
        let from = if longest {
            samples.longest.as_ref().unwrap_or(&samples.shortest)
        } else {
            &samples.shortest
        };
        let mut request = from.clone();
        request.optional = optional.clone();
        for (f, c) in &choices {
            request
                .fields
                .insert(f.clone(), FieldValue::Choice(c.clone()));
        }
        Variant {
            letter: letter.code.clone(),
            choices,
            optional,
            longest_address: longest,
            request,
        }
    };
    let mut out: Vec<Variant> = combos
        .into_iter()
        .map(|c| make(c, Vec::new(), false))
        .collect();
    for o in &letter.optional_paragraphs {
        out.push(make(base.clone(), vec![o.id.clone()], false));
    }
    if samples.longest.is_some() {
        out.push(make(base, Vec::new(), true));
    }
    out
}
