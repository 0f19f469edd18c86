//! `letterkit new CODE`: a request skeleton (YAML) to fill in, with every key
//! and field, what each takes and an example, as comments.
//!
//! Each value to fill in is left empty after its key, and its comment ends
//! `e.g. VALUE`; written in, the examples make a request that renders.
//! Optional keys and fields are commented out.

use std::fmt::Write as _;
use std::path::PathBuf;

use letterkit::Catalog;
use letterkit::catalog::{Field, FieldType, Letter, Selects};

use super::INPUT_FAILED;
use super::output::{errln, print_out};
use super::show::{common_keys, find_letter, type_words, wording};

/// Print a request for one letter, ready to fill in.
#[derive(clap::Args)]
#[command(
    after_help = "Every key and field is listed with what it takes and an example; the values to fill in\nare empty, optional ones commented out.\n\nExamples:\n  letterkit new CMSL5502 > request.yaml\n  letterkit render request.yaml --out letter.pdf      (once it is filled in)"
)]
pub struct Args {
    /// Letter code, e.g. CMSL5502.
    code: String,
}

/// Column where comments start.
const COMMENT_AT: usize = 30;

/// `key:` (or `# key:` when optional) padded to the comment column, then `# comment`.
fn line(o: &mut String, indent: usize, key: &str, value: &str, on: bool, comment: &str) {
    let pad = " ".repeat(indent);
    let head = if on {
        format!("{pad}{key}:{value}")
    } else {
        format!("{pad}# {key}:{value}")
    };
    let width = COMMENT_AT.max(head.chars().count() + 1);
    let _ = writeln!(o, "{head:<width$}# {comment}");
}

/// An example value for a field, as YAML.
fn example(f: &Field) -> String {
    let max = f.max_length.unwrap_or(usize::MAX);
    // The longest of these that fits the field.
    let text = |t: &str| -> String {
        let t = [t, "Sample", "x"]
            .into_iter()
            .find(|c| c.chars().count() <= max)
            .unwrap_or("x");
        format!("\"{t}\"")
    };
    match &f.ty {
        FieldType::Text => text("Sample text"),
        FieldType::Lines => format!("[{}, {}]", text("First line"), text("Second line")),
        FieldType::Date => "2026-03-16".into(),
        FieldType::Time => "\"10:30\"".into(),
        FieldType::Money => "125.50".into(),
        FieldType::Number => "1".into(),
        FieldType::Boolean => "true".into(),
        FieldType::Choice(choices) => choices
            .iter()
            .find(|c| !matches!(c.selects, Selects::FreeText(_)))
            .or(choices.first())
            .map(|c| c.code.clone())
            .unwrap_or_default(),
    }
}

/// The skeleton request for `letter`.
fn skeleton(cat: &Catalog, letter: &Letter) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# A request for {}: {}", letter.code, letter.title);
    let _ = writeln!(
        o,
        "# Write each value after its key (the comment says what it takes, with an example);"
    );
    let _ = writeln!(
        o,
        "# optional keys are commented out. Then: letterkit render request.yaml --out {}.pdf",
        letter.code
    );
    for k in common_keys(letter) {
        let need = if k.required { "required" } else { "optional" };
        match k.key {
            "letter" => line(
                &mut o,
                0,
                "letter",
                &format!(" {}", letter.code),
                true,
                k.what,
            ),
            "id" => line(
                &mut o,
                0,
                "id",
                " req-000123",
                false,
                &format!("{need}: {}", k.what),
            ),
            "date" => line(
                &mut o,
                0,
                "date",
                "",
                true,
                &format!("{need}: {}, e.g. 2026-03-02", k.what),
            ),
            "reference" => line(
                &mut o,
                0,
                "reference",
                "",
                true,
                &format!("{need}: {}, e.g. \"1234 5678 9012\"", k.what),
            ),
            "language" => line(
                &mut o,
                0,
                "language",
                " en",
                false,
                &format!("{need}: {}", k.what),
            ),
            "recipient" => {
                line(
                    &mut o,
                    0,
                    "recipient",
                    "",
                    true,
                    &format!("{need}: {}", k.what),
                );
                line(
                    &mut o,
                    2,
                    "name",
                    "",
                    true,
                    "the name line, at most 45 characters, e.g. Ms A Sample",
                );
                line(
                    &mut o,
                    2,
                    "address",
                    "",
                    true,
                    "1 to 5 lines without the postcode, e.g. [\"1 Sample Street\", \"Leeds\"]",
                );
                line(
                    &mut o,
                    2,
                    "postcode",
                    "",
                    true,
                    "a UK postcode, e.g. LS1 1AA",
                );
            }
            "format" => {
                line(
                    &mut o,
                    0,
                    "format",
                    " standard",
                    false,
                    &format!("{need}: standard (the default), large-print or braille"),
                );
                line(
                    &mut o,
                    0,
                    "size",
                    " 16",
                    false,
                    "large-print only: 16 to 28 points (default 16)",
                );
                line(
                    &mut o,
                    0,
                    "grade",
                    " 2",
                    false,
                    "braille only: 2 (contracted, default) or 1",
                );
                line(
                    &mut o,
                    0,
                    "profile",
                    " a4",
                    false,
                    "braille only: a4 (30 cells x 28 lines, default) or book (40 x 28)",
                );
            }
            "optional" => {
                let ids: Vec<&str> = letter
                    .optional_paragraphs
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect();
                line(
                    &mut o,
                    0,
                    "optional",
                    &format!(" [{}]", ids.join(", ")),
                    false,
                    &format!("{need}: {}, any of:", k.what),
                );
                for p in &letter.optional_paragraphs {
                    let (code, words) = wording(cat, &p.selects);
                    let what = p.description.clone().or(words).unwrap_or_default();
                    let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
                    let _ = writeln!(o, "#   {}{code}: {what}", p.id);
                }
            }
            _ => {}
        }
    }
    if letter.fields.is_empty() {
        return o;
    }
    let _ = writeln!(o, "fields:");
    for f in &letter.fields {
        if let Some(label) = &f.label {
            let _ = writeln!(o, "  # {label}");
        }
        if let Some(help) = &f.help {
            let _ = writeln!(o, "  # {help}");
        }
        if let FieldType::Choice(choices) = &f.ty {
            let _ = writeln!(o, "  # Choices:");
            for c in choices {
                let (code, words) = wording(cat, &c.selects);
                let code = code.map(|c| format!(" ({c})")).unwrap_or_default();
                let _ = writeln!(
                    o,
                    "  #   {}{code}: {}",
                    c.code,
                    words.unwrap_or_else(|| "the code itself".into())
                );
            }
        }
        let need = if f.required { "required" } else { "optional" };
        line(
            &mut o,
            2,
            &f.name,
            "",
            f.required,
            &format!("{need}, {}, e.g. {}", type_words(f), example(f)),
        );
    }
    o
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let cat = engine.catalog();
    match find_letter(cat, &args.code) {
        Ok(letter) => print_out(&skeleton(cat, letter)),
        Err(m) => {
            errln!("error: {m}");
            INPUT_FAILED
        }
    }
}
