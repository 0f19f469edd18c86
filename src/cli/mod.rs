//! Command-line verbs. Clap types live here and convert into library options.

mod batch;
mod check;
mod list;
mod new;
pub mod output;
mod pack;
mod render;
mod show;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use letterkit::Engine;

/// Exit code: everything worked.
pub const OK: i32 = 0;
/// Exit code: some input (a request, a pack step) failed.
pub const INPUT_FAILED: i32 = 1;
/// Exit code: usage or configuration (catalog) error.
pub const CONFIG_ERROR: i32 = 2;

#[derive(Parser)]
#[command(
    name = "letterkit",
    version,
    about = "Letters, forms and court packs of the Child Maintenance Service, as print-ready PDF",
    after_help = "Examples:\n  letterkit render request.yaml --out letter.pdf\n  letterkit check\n  letterkit show CMSL5502\n  letterkit batch requests/ --out out/"
)]
struct Cli {
    /// Use the catalog in DIR (catalog.yaml, letters/, paragraphs/) instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand)]
enum Verb {
    Render(render::Args),
    Check(check::Args),
    List(list::Args),
    Show(show::Args),
    New(new::Args),
    Batch(batch::Args),
    Pack(pack::Args),
}

/// Loads the engine from `--catalog` or the built-in catalog.
pub fn engine(catalog: Option<&PathBuf>) -> Result<Engine, letterkit::Error> {
    match catalog {
        Some(dir) => Engine::from_dir(dir),
        None => Engine::builtin(),
    }
}

/// Prints an error and every cause under it.
pub fn print_error(err: &(dyn std::error::Error + 'static)) {
    output::err(&format!("error: {err}"));
    let mut source = err.source();
    while let Some(s) = source {
        output::err(&format!("  caused by: {s}"));
        source = s.source();
    }
}

/// Parses the command line and runs the verb; returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { CONFIG_ERROR } else { OK };
            // --help and --version go to standard output: a closed pipe or
            // a full disk must not panic there either.
            let text = e.render().to_string();
            if e.use_stderr() {
                output::err(text.trim_end());
            } else {
                output::out(&text);
            }
            return code;
        }
    };
    let catalog = cli.catalog.as_ref();
    match cli.verb {
        Verb::Render(a) => render::run(a, catalog),
        Verb::Check(a) => check::run(a, catalog),
        Verb::List(a) => list::run(a, catalog),
        Verb::Show(a) => show::run(a, catalog),
        Verb::New(a) => new::run(a, catalog),
        Verb::Batch(a) => batch::run(a, catalog),
        Verb::Pack(a) => pack::run(a, catalog),
    }
}

/// Loads the engine or prints why not; `Err` carries the exit code.
pub fn load(catalog: Option<&PathBuf>) -> Result<Engine, i32> {
    engine(catalog).map_err(|e| {
        print_error(&e);
        CONFIG_ERROR
    })
}
