//! `letterkit check`: load and check the whole catalog, listing every problem.

use std::path::PathBuf;

use super::output::outln;
use super::{CONFIG_ERROR, OK};

/// Check every letter definition, paragraph and template of the catalog.
#[derive(clap::Args)]
#[command(
    after_help = "Checks: every YAML file parses with known keys; codes and field types are valid; every\nreason maps to an existing paragraph; every template compiles and uses only declared fields;\nno letter uses PWC/NRP, \"parent with care\", \"non-resident parent\" or \"Child Support Agency\".\n\nExamples:\n  letterkit check\n  letterkit check --catalog ./my-catalog --json"
)]
pub struct Args {
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    match super::engine(catalog) {
        Ok(engine) => {
            let c = engine.catalog();
            let letters = c.letters().count();
            let paragraphs = c.paragraphs().count();
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({"ok": true, "letters": letters, "paragraphs": paragraphs, "problems": []})
                );
            } else {
                outln!(
                    "catalog ok: {letters} letters, {paragraphs} paragraphs, every template compiles"
                );
            }
            OK
        }
        Err(letterkit::Error::Catalog(e)) => {
            if args.json {
                let problems: Vec<_> = e
                    .problems
                    .iter()
                    .map(|p| serde_json::json!({"file": p.file, "line": p.line, "column": p.column, "message": p.message}))
                    .collect();
                outln!("{}", serde_json::json!({"ok": false, "problems": problems}));
            } else {
                super::output::err(e.to_string().trim_end());
            }
            CONFIG_ERROR
        }
        Err(e) => {
            super::print_error(&e);
            CONFIG_ERROR
        }
    }
}
