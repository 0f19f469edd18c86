//! `letterkit pack` (filled in by the packs work).

use std::path::PathBuf;

/// Court packs.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the verb.
pub fn run(_args: Args, _catalog: Option<&PathBuf>) -> i32 {
    super::CONFIG_ERROR
}
