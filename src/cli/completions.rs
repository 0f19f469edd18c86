//! `letterkit completions SHELL`: a shell completion script on standard output.

use clap_complete::Shell;

/// Print a completion script for SHELL (bash, zsh, fish, powershell, elvish).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  letterkit completions bash > ~/.local/share/bash-completion/completions/letterkit
  letterkit completions zsh > ~/.zfunc/_letterkit      (with fpath+=~/.zfunc in ~/.zshrc)
  letterkit completions fish > ~/.config/fish/completions/letterkit.fish
  letterkit completions powershell >> $PROFILE")]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Runs the verb.
pub fn run(args: Args) -> i32 {
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "letterkit", &mut out);
    super::print_stdout(&out)
}
