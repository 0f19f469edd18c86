//! `letterkit show CODE`: a letter's request keys, fields, choices and wording,
//! in plain words (or `--json`).

use std::fmt::Write as _;
use std::path::PathBuf;

use letterkit::Catalog;
use letterkit::catalog::{Audience, DocKind, Field, FieldType, Language, Letter, Selects};
use serde::Serialize;

use super::INPUT_FAILED;
use super::output::{errln, print_out};

/// Show one letter: its request keys, fields, choices and wording.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit show CMSL5502\n  letterkit show CMSL5501 --json\n  letterkit new CMSL5502 > request.yaml      (a request to fill in)"
)]
pub struct Args {
    /// Letter code, e.g. CMSL5502.
    code: String,
    /// Print JSON (schema letterkit.show.v1).
    #[arg(long)]
    json: bool,
}

/// A key every request has (besides `fields`).
pub(super) struct CommonKey {
    /// The key.
    pub key: &'static str,
    /// Whether a request must give it.
    pub required: bool,
    /// What it takes.
    pub what: &'static str,
}

/// The keys of a request for `letter`, besides `fields`, in the order a
/// request is usually written.
pub(super) fn common_keys(letter: &Letter) -> Vec<CommonKey> {
    let mut keys = vec![
        CommonKey {
            key: "letter",
            required: true,
            what: "the letter code",
        },
        CommonKey {
            key: "id",
            required: false,
            what: "names the output file in batches: letters, digits, - _ .",
        },
        CommonKey {
            key: "date",
            required: true,
            what: "the date printed on the letter, YYYY-MM-DD",
        },
        CommonKey {
            key: "reference",
            required: true,
            what: "the client's reference (SCIN), 12 digits",
        },
    ];
    if letter.kind == DocKind::Letter {
        keys.push(CommonKey {
            key: "recipient",
            required: true,
            what: "name, address (a list of lines) and postcode: 3 to 7 lines in all",
        });
    }
    keys.push(CommonKey {
        key: "language",
        required: false,
        what: "en (the default) or cy",
    });
    keys.push(CommonKey {
        key: "format",
        required: false,
        what: "standard (the default), large-print or braille: see Formats",
    });
    if !letter.optional_paragraphs.is_empty() {
        keys.push(CommonKey {
            key: "optional",
            required: false,
            what: "a list of the optional paragraphs to add",
        });
    }
    keys
}

/// What a field of type `ty` takes, in words.
pub(super) fn type_words(f: &Field) -> String {
    let max = f
        .max_length
        .map(|n| format!(" of at most {n} characters"))
        .unwrap_or_default();
    match &f.ty {
        FieldType::Text => format!("text{max}"),
        FieldType::Lines => format!("a list of lines{max}"),
        FieldType::Date => "a date, YYYY-MM-DD".into(),
        FieldType::Time => "a time, HH:MM (24-hour)".into(),
        FieldType::Money => "an amount in pounds, e.g. 125.50".into(),
        FieldType::Number => "a whole number".into(),
        FieldType::Boolean => "true or false".into(),
        FieldType::Choice(_) => "one of the choices listed".into(),
    }
}

fn kind_words(letter: &Letter) -> String {
    let to = match letter.audience {
        Audience::Client => "a client (a receiving or paying parent)",
        Audience::Court => "a court",
        Audience::Internal => "CMS staff",
    };
    match letter.kind {
        DocKind::Letter => format!("Letter to {to}, posted in a window envelope."),
        DocKind::Form => format!("Form for {to} (no address window)."),
    }
}

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment), for did-you-mean: `CMSL5520` is one edit from `CMSL5502`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The letter `code`, or the message saying it is unknown (with the
/// closest code when one is near: another case, a typo or two).
pub(super) fn find_letter<'a>(cat: &'a Catalog, code: &str) -> Result<&'a Letter, String> {
    if let Some(l) = cat.letter(code) {
        return Ok(l);
    }
    let wanted = code.to_lowercase();
    let close = cat
        .letters()
        .map(|l| (edit_distance(&wanted, &l.code.to_lowercase()), &l.code))
        .filter(|(d, _)| *d <= 2)
        .min();
    Err(match close {
        Some((_, c)) => format!(
            "unknown letter `{code}`; did you mean `{c}`? (the catalog has: {})",
            cat.letter_codes()
        ),
        None => format!(
            "unknown letter `{code}`; the catalog has: {}",
            cat.letter_codes()
        ),
    })
}

/// The paragraph code (if any) and wording a selection puts in the letter.
pub(super) fn wording(cat: &Catalog, s: &Selects) -> (Option<String>, Option<String>) {
    match s {
        Selects::Paragraph(code) => (
            Some(code.clone()),
            cat.paragraph(code, Language::En).map(|p| p.text.clone()),
        ),
        Selects::Text(t) => (None, Some(t.clone())),
        Selects::FreeText(f) => (None, Some(format!("(the text of field `{f}`)"))),
        Selects::Value => (None, None),
    }
}

#[derive(Serialize)]
struct ShowDoc<'a> {
    schema: &'static str,
    code: &'a str,
    title: &'a str,
    kind: DocKind,
    audience: Audience,
    description: Option<&'a str>,
    source: Option<&'a str>,
    draft: Option<&'a str>,
    notes: &'a [String],
    common_keys: Vec<KeyDoc>,
    formats: Vec<FormatDoc>,
    fields: Vec<FieldDoc<'a>>,
    optional_paragraphs: Vec<OptionalDoc<'a>>,
    /// The request's JSON Schema (2020-12), as `letterkit schema CODE` prints it.
    json_schema: serde_json::Value,
}

#[derive(Serialize)]
struct FormatDoc {
    format: &'static str,
    description: &'static str,
    keys: Vec<FormatKeyDoc>,
}

#[derive(Serialize)]
struct FormatKeyDoc {
    key: &'static str,
    allowed: Vec<String>,
    default: String,
}

/// The formats a letter can be produced in, with their keys.
fn formats() -> Vec<FormatDoc> {
    use letterkit::request::format::{MAX_LARGE_PRINT, MIN_LARGE_PRINT, PROFILE_NAMES, described};
    described()
        .into_iter()
        .map(|(format, description)| FormatDoc {
            format,
            description,
            keys: match format {
                "large-print" => vec![FormatKeyDoc {
                    key: "size",
                    allowed: (MIN_LARGE_PRINT..=MAX_LARGE_PRINT)
                        .map(|n| n.to_string())
                        .collect(),
                    default: MIN_LARGE_PRINT.to_string(),
                }],
                "braille" => vec![
                    FormatKeyDoc {
                        key: "grade",
                        allowed: vec!["2".into(), "1".into()],
                        default: "2".into(),
                    },
                    FormatKeyDoc {
                        key: "profile",
                        allowed: PROFILE_NAMES.iter().map(|p| (*p).to_owned()).collect(),
                        default: "a4".into(),
                    },
                ],
                _ => Vec::new(),
            },
        })
        .collect()
}

#[derive(Serialize)]
struct KeyDoc {
    key: &'static str,
    required: bool,
    description: &'static str,
}

#[derive(Serialize)]
struct FieldDoc<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    ty: &'static str,
    required: bool,
    label: Option<&'a str>,
    help: Option<&'a str>,
    max_length: Option<usize>,
    draft: Option<&'a str>,
    choices: Vec<ChoiceDoc<'a>>,
}

#[derive(Serialize)]
struct ChoiceDoc<'a> {
    code: &'a str,
    label: Option<&'a str>,
    paragraph: Option<String>,
    wording: Option<String>,
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct OptionalDoc<'a> {
    id: &'a str,
    description: Option<&'a str>,
    paragraph: Option<String>,
    wording: Option<String>,
    draft: Option<&'a str>,
}

fn json(cat: &Catalog, letter: &Letter) -> String {
    let doc = ShowDoc {
        schema: "letterkit.show.v1",
        code: &letter.code,
        title: &letter.title,
        kind: letter.kind,
        audience: letter.audience,
        description: letter.description.as_deref(),
        source: letter.source.as_deref(),
        draft: letter.draft.as_deref(),
        notes: &letter.notes,
        common_keys: common_keys(letter)
            .into_iter()
            .map(|k| KeyDoc {
                key: k.key,
                required: k.required,
                description: k.what,
            })
            .collect(),
        formats: formats(),
        fields: letter
            .fields
            .iter()
            .map(|f| FieldDoc {
                name: &f.name,
                ty: f.ty.name(),
                required: f.required,
                label: f.label.as_deref(),
                help: f.help.as_deref(),
                max_length: f.max_length,
                draft: f.draft.as_deref(),
                choices: match &f.ty {
                    FieldType::Choice(cs) => cs
                        .iter()
                        .map(|c| {
                            let (paragraph, wording) = wording(cat, &c.selects);
                            ChoiceDoc {
                                code: &c.code,
                                label: c.label.as_deref(),
                                paragraph,
                                wording,
                                note: c.note.as_deref(),
                            }
                        })
                        .collect(),
                    _ => Vec::new(),
                },
            })
            .collect(),
        optional_paragraphs: letter
            .optional_paragraphs
            .iter()
            .map(|o| {
                let (paragraph, wording) = wording(cat, &o.selects);
                OptionalDoc {
                    id: &o.id,
                    description: o.description.as_deref(),
                    paragraph,
                    wording,
                    draft: o.draft.as_deref(),
                }
            })
            .collect(),
        json_schema: letterkit::request::schema::letter_schema(cat, letter),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn text(cat: &Catalog, letter: &Letter) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}: {}", letter.code, letter.title);
    let _ = writeln!(o, "{}", kind_words(letter));
    if let Some(d) = &letter.description {
        let _ = writeln!(o, "{d}");
    }
    if let Some(s) = &letter.source {
        let _ = writeln!(o, "Built from the procedure {s}.");
    }
    if let Some(d) = &letter.draft {
        let _ = writeln!(o, "Draft wording: {d}");
    }
    let _ = writeln!(o, "\nRequest keys");
    for k in common_keys(letter) {
        let what = if k.key == "letter" {
            format!("{}: {}", k.what, letter.code)
        } else {
            k.what.to_owned()
        };
        let need = if k.required { "required" } else { "optional" };
        let _ = writeln!(o, "  {:<22} {need:<9} {what}", k.key);
    }
    let formats = formats();
    if !formats.is_empty() {
        let _ = writeln!(o, "\nFormats (`format:`)");
        for f in &formats {
            let _ = writeln!(o, "  {:<22} {}", f.format, f.description);
        }
    }
    let _ = writeln!(o, "\nFields (under `fields:`)");
    if letter.fields.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for f in &letter.fields {
        let need = if f.required { "required" } else { "optional" };
        let label = f
            .label
            .as_deref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let _ = writeln!(o, "  {:<22} {need:<9} {label}{}", f.name, type_words(f));
        if let Some(h) = &f.help {
            let _ = writeln!(o, "  {:<22} {:<9} {h}", "", "");
        }
        if let Some(d) = &f.draft {
            let _ = writeln!(o, "  {:<22} {:<9} draft: {d}", "", "");
        }
        if let FieldType::Choice(choices) = &f.ty {
            let heading = if f.name == "reason" {
                "Reasons"
            } else {
                "Choices"
            };
            let _ = writeln!(o, "    {heading}:");
            for c in choices {
                let (code, words) = wording(cat, &c.selects);
                let _ = writeln!(
                    o,
                    "      {:<30} {:<11} {}",
                    c.code,
                    code.unwrap_or_else(|| "-".into()),
                    words.unwrap_or_else(|| "(the code itself)".into())
                );
            }
        }
    }
    if !letter.optional_paragraphs.is_empty() {
        let _ = writeln!(o, "\nOptional paragraphs (under `optional:`)");
        for p in &letter.optional_paragraphs {
            let (code, words) = wording(cat, &p.selects);
            let _ = writeln!(
                o,
                "  {:<22} {:<11} {}{}",
                p.id,
                code.unwrap_or_else(|| "-".into()),
                words.unwrap_or_default(),
                if p.draft.is_some() {
                    " (draft wording)"
                } else {
                    ""
                }
            );
        }
    }
    let _ = writeln!(o, "\nA request to fill in: letterkit new {}", letter.code);
    o
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let cat = engine.catalog();
    let letter = match find_letter(cat, &args.code) {
        Ok(l) => l,
        Err(m) => {
            errln!("error: {m}");
            return INPUT_FAILED;
        }
    };
    print_out(&if args.json {
        json(cat, letter)
    } else {
        text(cat, letter)
    })
}
