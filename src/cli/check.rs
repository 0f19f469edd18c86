//! `letterkit check`: load and check the whole catalog, listing every problem.

use std::path::PathBuf;

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
                println!(
                    "{}",
                    serde_json::json!({"ok": true, "letters": letters, "paragraphs": paragraphs, "problems": []})
                );
            } else if !super::verbosity().is_quiet() {
                println!(
                    "catalog ok: {letters} letters, {paragraphs} paragraphs, every template compiles"
                );
                println!("catalog sha256 {}", c.digest());
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
                println!("{}", serde_json::json!({"ok": false, "problems": problems}));
            } else {
                eprint!("{e}");
            }
            CONFIG_ERROR
        }
        Err(e) => {
            super::print_error(&e);
            CONFIG_ERROR
        }
    }
}
