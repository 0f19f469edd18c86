//! `letterkit list`: the letters and forms in the catalog.

use std::path::PathBuf;

use super::OK;
use super::output::outln;

/// List the letters and forms in the catalog.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  letterkit list\n  letterkit list --json")]
pub struct Args {
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
    let letters: Vec<_> = engine.catalog().letters().collect();
    if args.json {
        let v: Vec<_> = letters
            .iter()
            .map(|l| {
                serde_json::json!({
                    "code": l.code, "title": l.title, "kind": l.kind,
                    "audience": l.audience, "draft": l.draft.is_some(),
                })
            })
            .collect();
        outln!("{}", serde_json::Value::Array(v));
    } else {
        for l in letters {
            let draft = if l.draft.is_some() {
                "  (draft wording)"
            } else {
                ""
            };
            outln!(
                "{:<40} {:<7} {}{draft}",
                l.code,
                format!("{:?}", l.kind).to_lowercase(),
                l.title
            );
        }
    }
    OK
}
