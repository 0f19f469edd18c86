//! `letterkit batch` (filled in by the batch work).

use std::path::PathBuf;

/// Render many requests.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the verb.
pub fn run(_args: Args, _catalog: Option<&PathBuf>) -> i32 {
    super::CONFIG_ERROR
}
