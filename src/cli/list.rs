//! `letterkit list`: the letters and forms in the catalog.

use std::fmt::Write as _;
use std::path::PathBuf;

use letterkit::catalog::{Audience, DocKind};
use serde::Serialize;

use super::output::print_out;

/// List the letters and forms in the catalog.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  letterkit list\n  letterkit list --json")]
pub struct Args {
    /// Print JSON (schema letterkit.list.v1).
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ListDoc<'a> {
    schema: &'static str,
    letters: Vec<LetterDoc<'a>>,
}

#[derive(Serialize)]
struct LetterDoc<'a> {
    code: &'a str,
    title: &'a str,
    kind: DocKind,
    audience: Audience,
    draft: bool,
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let letters: Vec<_> = engine.catalog().letters().collect();
    let mut out = String::new();
    if args.json {
        let doc = ListDoc {
            schema: "letterkit.list.v1",
            letters: letters
                .iter()
                .map(|l| LetterDoc {
                    code: &l.code,
                    title: &l.title,
                    kind: l.kind,
                    audience: l.audience,
                    draft: l.draft.is_some(),
                })
                .collect(),
        };
        out = serde_json::to_string(&doc).unwrap_or_default() + "\n";
    } else {
        for l in letters {
            let draft = if l.draft.is_some() {
                "  (draft wording)"
            } else {
                ""
            };
            let kind = match l.kind {
                DocKind::Letter => "letter",
                DocKind::Form => "form",
            };
            let _ = writeln!(out, "{:<40} {kind:<7} {}{draft}", l.code, l.title);
        }
    }
    print_out(&out)
}
