//! `letterkit man`: the manual page (roff), on standard output or one file per verb.

use std::path::PathBuf;

use super::{INPUT_FAILED, OK};

/// Print the manual page of letterkit as roff, or write one page per verb.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  letterkit man | man -l -
  letterkit man --out ~/.local/share/man/man1        (letterkit.1, letterkit-render.1, ...)")]
pub struct Args {
    /// Write letterkit.1 and one page per verb (letterkit-render.1, letterkit-pack-step.1, ...) into DIR.
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The page of `cmd` (a built command), as roff.
fn page(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    Ok(out)
}

/// `cmd` and every verb under it, each with its page's name (`letterkit-pack-step`).
fn pages(cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_owned();
    out.push((name, cmd.clone()));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        pages(sub, out);
    }
}

/// Runs the verb.
pub fn run(args: Args) -> i32 {
    let mut cmd = super::command();
    cmd.build();
    let Some(dir) = args.out else {
        return match page(&cmd) {
            Ok(roff) => super::print_stdout(&roff),
            Err(e) => {
                super::print_error_message(format!("cannot render the manual page: {e}"));
                INPUT_FAILED
            }
        };
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        super::print_error_message(format!("cannot create {}: {e}", dir.display()));
        return INPUT_FAILED;
    }
    let mut all = Vec::new();
    pages(&cmd, &mut all);
    for (name, cmd) in &all {
        let target = dir.join(format!("{name}.1"));
        let written = page(cmd).and_then(|roff| letterkit::files::write_atomic(&target, &roff));
        if let Err(e) = written {
            super::print_error_message(format!("cannot write {}: {e}", target.display()));
            return INPUT_FAILED;
        }
    }
    if !super::verbosity().is_quiet() {
        super::output::err(&format!(
            "wrote {} manual pages to {}",
            all.len(),
            dir.display()
        ));
    }
    OK
}
