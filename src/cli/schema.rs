//! `letterkit schema CODE`: the JSON Schema (2020-12) of a request for one
//! letter, built from its definition (the same one `show --json` and
//! `serve`'s `/openapi.json` carry).

use std::path::PathBuf;

use super::INPUT_FAILED;
use super::output::{errln, print_out};

/// Print the JSON Schema (2020-12) of a letter's request.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit schema CMSL5502 > cmsl5502.schema.json\n  letterkit show CMSL5502 --json      (the schema is its json_schema key)"
)]
pub struct Args {
    /// Letter code, e.g. CMSL5502.
    code: String,
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let letter = match super::show::find_letter(engine.catalog(), &args.code) {
        Ok(l) => l,
        Err(m) => {
            errln!("error: {m}");
            return INPUT_FAILED;
        }
    };
    let schema = letterkit::request::schema::letter_schema(engine.catalog(), letter);
    print_out(&(serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"))
}
