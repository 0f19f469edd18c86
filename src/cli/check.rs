//! `letterkit check`: load and check the whole catalog, listing every problem.

use std::path::PathBuf;

use serde::Serialize;

use super::CONFIG_ERROR;
use super::output::print_out;

/// Check every letter definition, paragraph and template of the catalog.
#[derive(clap::Args)]
#[command(
    after_help = "Checks: every YAML file parses with known keys; codes and field types are valid; every\nreason maps to an existing paragraph; every template compiles, uses only declared fields\nand does bounded work; no letter uses PWC/NRP, \"parent with care\", \"non-resident parent\"\nor \"Child Support Agency\"; every pack procedure (packs/*.yaml) is a sound stage\nmachine; every letter's `sample:` values are a valid request.\n\nWarnings (printed, exit code unchanged): a library paragraph no letter uses; a choice or\noptional paragraph the template never shows. With --language cy: every paragraph and letter\ntext with no Welsh counterpart.\n\nExamples:\n  letterkit check\n  letterkit check --language cy\n  letterkit check --catalog ./my-catalog --json"
)]
pub struct Args {
    /// Print the result as JSON (schema letterkit.check.v1), with the coverage.
    #[arg(long)]
    json: bool,
    /// Also list every paragraph and letter text with no counterpart in
    /// this language (`cy`: Welsh).
    #[arg(long, value_name = "LANG", value_parser = ["cy"])]
    language: Option<String>,
}

#[derive(Serialize)]
struct CheckDoc<'a> {
    schema: &'static str,
    ok: bool,
    letters: Option<usize>,
    paragraphs: Option<usize>,
    problems: Vec<ProblemDoc<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<ProblemDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<&'a letterkit::catalog::Coverage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    welsh: Option<WelshDoc<'a>>,
}

#[derive(Serialize)]
struct WelshDoc<'a> {
    ready: bool,
    missing: Vec<MissingDoc<'a>>,
}

#[derive(Serialize)]
struct MissingDoc<'a> {
    letter: &'a str,
    what: &'a str,
    code: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
}

fn problem_doc(p: &letterkit::catalog::Problem) -> ProblemDoc<'_> {
    ProblemDoc {
        file: &p.file,
        line: p.line,
        column: p.column,
        message: &p.message,
    }
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
    // The letters' `sample:` values (for proofs) are checked as requests
    // are, once the rest of the catalog loads; a problem is a catalog problem.
    let loaded = super::engine_with(catalog, true).and_then(|engine| {
        let problems = letterkit::admin::check_samples(&engine);
        if problems.is_empty() {
            Ok(engine)
        } else {
            Err(letterkit::Error::Catalog(letterkit::CatalogError {
                problems,
            }))
        }
    });
    match loaded {
        Ok(engine) => {
            let c = engine.catalog();
            let letters = c.letters().count();
            let paragraphs = c.paragraphs().count();
            let coverage = c.coverage();
            let welsh = args.language.is_some().then(|| c.missing_welsh());
            let out = if args.json {
                json(&CheckDoc {
                    schema: "letterkit.check.v1",
                    ok: true,
                    letters: Some(letters),
                    paragraphs: Some(paragraphs),
                    problems: Vec::new(),
                    warnings: coverage.warnings.iter().map(problem_doc).collect(),
                    coverage: Some(&coverage),
                    welsh: welsh.as_ref().map(|w| WelshDoc {
                        ready: w.is_empty(),
                        missing: w
                            .iter()
                            .map(|m| MissingDoc {
                                letter: &m.letter,
                                what: m.what,
                                code: &m.code,
                                file: &m.at.file,
                                line: m.at.line,
                                column: m.at.column,
                            })
                            .collect(),
                    }),
                })
            } else {
                // Warnings go to standard error whatever -q says.
                for w in &coverage.warnings {
                    super::output::err(&w.to_string());
                }
                let mut out = String::new();
                if let Some(missing) = &welsh {
                    if missing.is_empty() {
                        out.push_str(
                            "Welsh: every paragraph and letter text has a Welsh counterpart\n",
                        );
                    } else {
                        let letters: std::collections::BTreeSet<&str> =
                            missing.iter().map(|m| m.letter.as_str()).collect();
                        out.push_str(&format!(
                            "Welsh: {} letters cannot be written in Welsh yet; missing:\n",
                            letters.len()
                        ));
                        for m in missing {
                            out.push_str(&format!("  {}\n", m.at));
                        }
                    }
                }
                if !super::verbosity().is_quiet() {
                    let n = coverage.warnings.len();
                    let warned = if n == 0 {
                        String::new()
                    } else {
                        format!(", {n} warning{}", if n == 1 { "" } else { "s" })
                    };
                    out.push_str(&format!(
                        "catalog ok: {letters} letters, {paragraphs} paragraphs, every template compiles{warned}\ncatalog sha256 {}\n",
                        c.digest()
                    ));
                }
                out
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
                    problems: e.problems.iter().map(problem_doc).collect(),
                    warnings: Vec::new(),
                    coverage: None,
                    welsh: None,
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
