//! `letterkit check`: load and check the whole catalog, listing every problem.

use std::path::PathBuf;

use serde::Serialize;

use super::CONFIG_ERROR;
use super::output::print_out;

/// Check every letter definition, paragraph and template of the catalog.
#[derive(clap::Args)]
#[command(
    after_help = "Checks: every YAML file parses with known keys; codes and field types are valid; every\nreason maps to an existing paragraph; every template compiles, uses only declared fields\nand does bounded work; no letter uses PWC/NRP, \"parent with care\", \"non-resident parent\"\nor \"Child Support Agency\".\n\nExamples:\n  letterkit check\n  letterkit check --catalog ./my-catalog --json"
)]
pub struct Args {
    /// Print the result as JSON (schema letterkit.check.v1).
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CheckDoc<'a> {
    schema: &'static str,
    ok: bool,
    letters: Option<usize>,
    paragraphs: Option<usize>,
    problems: Vec<ProblemDoc<'a>>,
}

#[derive(Serialize)]
struct ProblemDoc<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

fn json(doc: &CheckDoc<'_>) -> String {
    serde_json::to_string(doc).unwrap_or_default() + "\n"
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    match super::engine(catalog) {
        Ok(engine) => {
            let c = engine.catalog();
            let letters = c.letters().count();
            let paragraphs = c.paragraphs().count();
            let out = if args.json {
                json(&CheckDoc {
                    schema: "letterkit.check.v1",
                    ok: true,
                    letters: Some(letters),
                    paragraphs: Some(paragraphs),
                    problems: Vec::new(),
                })
            } else if super::verbosity().is_quiet() {
                String::new()
            } else {
                format!(
                    "catalog ok: {letters} letters, {paragraphs} paragraphs, every template compiles\ncatalog sha256 {}\n",
                    c.digest()
                )
            };
            print_out(&out)
        }
        Err(letterkit::Error::Catalog(e)) => {
            if args.json {
                let doc = CheckDoc {
                    schema: "letterkit.check.v1",
                    ok: false,
                    letters: None,
                    paragraphs: None,
                    problems: e
                        .problems
                        .iter()
                        .map(|p| ProblemDoc {
                            file: &p.file,
                            line: p.line,
                            column: p.column,
                            message: &p.message,
                        })
                        .collect(),
                };
                print_out(&json(&doc));
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
