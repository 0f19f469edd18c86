//! `letterkit show CODE`: a letter's fields, reasons and wording.

use std::path::PathBuf;

use letterkit::catalog::{FieldType, Language, Selects};

use super::output::{errln, outln};
use super::{INPUT_FAILED, OK};

/// Show one letter: its fields, and each reason with its paragraph code and wording.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  letterkit show CMSL5502\n  letterkit show CMSL5501 --json")]
pub struct Args {
    /// Letter code, e.g. CMSL5502.
    code: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let cat = engine.catalog();
    let Some(letter) = cat.letter(&args.code) else {
        errln!(
            "error: unknown letter `{}`; the catalog has: {}",
            args.code,
            cat.letter_codes()
        );
        return INPUT_FAILED;
    };
    let wording = |s: &Selects| -> (Option<String>, Option<String>) {
        match s {
            Selects::Paragraph(code) => (
                Some(code.clone()),
                cat.paragraph(code, Language::En).map(|p| p.text.clone()),
            ),
            Selects::Text(t) => (None, Some(t.clone())),
            Selects::FreeText(f) => (None, Some(format!("(the text of field `{f}`)"))),
            Selects::Value => (None, None),
        }
    };
    if args.json {
        let fields: Vec<_> = letter
            .fields
            .iter()
            .map(|f| {
                let choices: Vec<_> = match &f.ty {
                    FieldType::Choice(cs) => cs
                        .iter()
                        .map(|c| {
                            let (code, text) = wording(&c.selects);
                            serde_json::json!({"code": c.code, "paragraph": code, "wording": text, "note": c.note})
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                serde_json::json!({
                    "name": f.name, "type": f.ty.name(), "required": f.required,
                    "label": f.label, "max-length": f.max_length, "draft": f.draft, "choices": choices,
                })
            })
            .collect();
        let optional: Vec<_> = letter
            .optional_paragraphs
            .iter()
            .map(|o| {
                let (code, text) = wording(&o.selects);
                serde_json::json!({"id": o.id, "paragraph": code, "wording": text, "draft": o.draft})
            })
            .collect();
        let v = serde_json::json!({
            "code": letter.code, "title": letter.title, "kind": letter.kind,
            "audience": letter.audience, "description": letter.description,
            "source": letter.source, "draft": letter.draft, "notes": letter.notes,
            "fields": fields, "optional-paragraphs": optional,
        });
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return OK;
    }
    outln!("{}  {}", letter.code, letter.title);
    if let Some(d) = &letter.description {
        outln!("{d}");
    }
    outln!(
        "kind: {:?}, audience: {:?}{}",
        letter.kind,
        letter.audience,
        letter
            .source
            .as_ref()
            .map(|s| format!(", source: {s}"))
            .unwrap_or_default()
    );
    if let Some(d) = &letter.draft {
        outln!("DRAFT WORDING: {d}");
    }
    outln!("\nfields:");
    for f in &letter.fields {
        outln!(
            "  {:<24} {:<8} {}{}",
            f.name,
            f.ty.name(),
            if f.required { "required" } else { "optional" },
            f.label
                .as_ref()
                .map(|l| format!("  {l}"))
                .unwrap_or_default()
        );
        if let FieldType::Choice(choices) = &f.ty {
            for c in choices {
                let (code, text) = wording(&c.selects);
                outln!(
                    "      {:<30} {:<12} {}",
                    c.code,
                    code.unwrap_or_else(|| "-".into()),
                    text.unwrap_or_default()
                );
            }
        }
    }
    if !letter.optional_paragraphs.is_empty() {
        outln!("\noptional paragraphs:");
        for o in &letter.optional_paragraphs {
            let (code, text) = wording(&o.selects);
            outln!(
                "  {:<24} {:<12} {}{}",
                o.id,
                code.unwrap_or_else(|| "-".into()),
                text.unwrap_or_default(),
                if o.draft.is_some() { "  (draft)" } else { "" }
            );
        }
    }
    OK
}
