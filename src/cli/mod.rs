//! Command-line verbs. Clap types live here and convert into library options.
//!
//! The conventions every verb shares live here too: `-q`/`-v` ([`verbosity`]),
//! `--color` (error prefixes in colour on a terminal only), `--version` with
//! the commit and the catalog digest, and help whose examples are never
//! wrapped mid-command.

mod batch;
mod check;
mod completions;
mod diff;
mod list;
mod man;
mod new;
pub mod outbox;
pub mod output;
mod pack;
mod proof;
mod render;
mod schema;
#[cfg(feature = "serve")]
mod serve;
mod show;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
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
    after_help = "Examples:\n  letterkit render request.yaml --out letter.pdf\n  letterkit check\n  letterkit show CMSL5502\n  letterkit batch requests/ --out out/\n  letterkit completions bash > ~/.local/share/bash-completion/completions/letterkit\n  letterkit man --out ~/.local/share/man/man1"
)]
struct Cli {
    /// Use the catalog in DIR (catalog.yaml, letters/, paragraphs/) instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    catalog: Option<PathBuf>,
    /// Print only errors: no "wrote ...", progress, or summary when all went well.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more: which catalog is in use, and its digest.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Colour the error prefixes: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand)]
enum Verb {
    Render(render::Args),
    Check(check::Args),
    List(list::Args),
    Show(show::Args),
    Schema(schema::Args),
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    New(new::Args),
    Batch(batch::Args),
    Pack(pack::Args),
    Outbox(outbox::Args),
    Proof(proof::Args),
    Diff(diff::Args),
    Completions(completions::Args),
    Man(man::Args),
}

/// `--color WHEN`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
enum Color {
    // On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    // Even into a file or a pipe.
    Always,
    Never,
}

impl Color {
    fn anstream(self) -> anstream::ColorChoice {
        match self {
            Color::Auto => anstream::ColorChoice::Auto,
            Color::Always => anstream::ColorChoice::Always,
            Color::Never => anstream::ColorChoice::Never,
        }
    }

    fn clap(self) -> clap::ColorChoice {
        match self {
            Color::Auto => clap::ColorChoice::Auto,
            Color::Always => clap::ColorChoice::Always,
            Color::Never => clap::ColorChoice::Never,
        }
    }
}

/// How much a verb prints besides its errors (`-q`, `-v`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// The default: errors, "wrote ..." lines, progress and summaries.
    Normal,
    /// `-v`: also which catalog is in use and other detail.
    Verbose,
}

impl Verbosity {
    /// `-q` was given: print informational lines only when something failed.
    pub fn is_quiet(self) -> bool {
        self == Verbosity::Quiet
    }

    /// `-v` was given.
    pub fn is_verbose(self) -> bool {
        self == Verbosity::Verbose
    }
}

static VERBOSITY: OnceLock<Verbosity> = OnceLock::new();

/// The `-q`/`-v` of this run, readable from every verb.
pub fn verbosity() -> Verbosity {
    VERBOSITY.get().copied().unwrap_or(Verbosity::Normal)
}

/// Loads the engine from `--catalog` or the built-in catalog.
pub fn engine(catalog: Option<&PathBuf>) -> Result<Engine, letterkit::Error> {
    engine_with(catalog, false)
}

/// As [`engine`]; `check_builtin` runs the built-in catalog's template and
/// wording checks too (`letterkit check`; every other verb leaves them to
/// the test that runs them on the shipped files).
pub fn engine_with(
    catalog: Option<&PathBuf>,
    check_builtin: bool,
) -> Result<Engine, letterkit::Error> {
    let engine = match catalog {
        Some(dir) => Engine::from_dir(dir),
        None if check_builtin => Engine::new(letterkit::Catalog::builtin_checked()?),
        None => Engine::builtin(),
    }?;
    if verbosity().is_verbose() {
        let source = catalog.map_or_else(|| "built-in".to_owned(), |d| d.display().to_string());
        output::err(&format!(
            "catalog: {source}, sha256 {}",
            engine.catalog().digest()
        ));
    }
    Ok(engine)
}

const ERROR_STYLE: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();

/// Prints `error: MSG` to stderr, the prefix in colour when `--color` allows.
pub fn print_error_message(msg: impl std::fmt::Display) {
    use std::io::Write as _;
    // Best effort, like every line on standard error: a closed or full
    // stderr must not panic.
    let _ = writeln!(
        anstream::stderr(),
        "{ERROR_STYLE}error:{ERROR_STYLE:#} {msg}"
    );
}

/// Prints an error and every cause under it.
pub fn print_error(err: &(dyn std::error::Error + 'static)) {
    print_error_message(err);
    let mut source = err.source();
    while let Some(s) = source {
        output::err(&format!("  caused by: {s}"));
        source = s.source();
    }
}

/// The `--color` value on the command line, read before clap parses it so
/// that clap's own help and usage errors follow it too. The last one wins,
/// as in clap; anything after `--` is not an option.
fn color_arg(args: &[OsString]) -> Color {
    let mut color = Color::Auto;
    let mut iter = args.iter().skip(1);
    while let Some(a) = iter.next() {
        let Some(a) = a.to_str() else { continue };
        if a == "--" {
            break;
        }
        let value = match a.strip_prefix("--color") {
            Some("") => iter.next().and_then(|v| v.to_str()),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(c) = value.and_then(|v| Color::from_str(v, false).ok()) {
            color = c;
        }
    }
    color
}

/// `letterkit 0.1.0`, then the commit and the built-in catalog's digest.
fn long_version() -> String {
    format!(
        "{}\ncommit {}\ncatalog sha256 {}",
        env!("CARGO_PKG_VERSION"),
        env!("LETTERKIT_GIT_COMMIT"),
        letterkit::catalog::builtin_digest()
    )
}

const EXAMPLES_HEADING: &str = "Examples:\n";

/// Splits help text into its prose and its `Examples:` section (the lines
/// after the heading), if it has one.
fn split_examples(text: &str) -> (&str, Option<&str>) {
    let at = if text.starts_with(EXAMPLES_HEADING) {
        Some(0)
    } else {
        text.find(&format!("\n\n{EXAMPLES_HEADING}")).map(|i| i + 2)
    };
    match at {
        Some(i) => (
            text[..i].trim_end(),
            Some(&text[i + EXAMPLES_HEADING.len()..]),
        ),
        None => (text, None),
    }
}

/// Clap wraps `after_help` at the terminal width, which cuts an example
/// command in two. This moves each verb's `Examples:` section out of
/// `after_help` into literal text of its help template, which clap prints as
/// it is; the prose before it still wraps.
fn unwrapped_examples(cmd: clap::Command) -> clap::Command {
    let mut cmd = cmd;
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, unwrapped_examples);
    }
    let Some(after) = cmd.get_after_help().map(ToString::to_string) else {
        return cmd;
    };
    let (prose, Some(examples)) = split_examples(&after) else {
        return cmd;
    };
    let header = cmd.get_styles().get_header();
    // clap's default template, then the examples; `{` would start a tag.
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{{all-args}}{{after-help}}\n\n{header}Examples:{header:#}\n{}",
        examples.trim_end().replace('{', "{{")
    );
    let prose = prose.to_owned();
    let cmd = cmd.help_template(template);
    if prose.is_empty() {
        cmd.after_help(None::<&'static str>)
    } else {
        cmd.after_help(prose)
    }
}

/// The clap command of `letterkit`, as completions and man pages describe it.
pub fn command() -> clap::Command {
    // Once per process: a leaked string is clap's `&'static str`.
    let long: &'static str = Box::leak(long_version().into_boxed_str());
    Cli::command().long_version(long)
}

/// Parses the command line and runs the verb; returns the exit code.
pub fn run() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let color = color_arg(&args);
    color.anstream().write_global();
    // The digest is worked out only when asked for (it hashes the catalog).
    let cmd = if args.iter().skip(1).any(|a| a == "--version") {
        command()
    } else {
        Cli::command()
    };
    let cmd = unwrapped_examples(cmd).color(color.clap());
    let cli = match cmd
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
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
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let _ = VERBOSITY.set(verbosity);
    let catalog = cli.catalog.as_ref();
    match cli.verb {
        Verb::Render(a) => render::run(a, catalog),
        Verb::Check(a) => check::run(a, catalog),
        Verb::List(a) => list::run(a, catalog),
        Verb::Show(a) => show::run(a, catalog),
        Verb::Schema(a) => schema::run(a, catalog),
        #[cfg(feature = "serve")]
        Verb::Serve(a) => serve::run(a, catalog),
        Verb::New(a) => new::run(a, catalog),
        Verb::Batch(a) => batch::run(a, catalog),
        Verb::Pack(a) => pack::run(a, catalog),
        Verb::Outbox(a) => outbox::run(a, catalog),
        Verb::Proof(a) => proof::run(a, catalog),
        Verb::Diff(a) => diff::run(a, catalog),
        Verb::Completions(a) => completions::run(a),
        Verb::Man(a) => man::run(a),
    }
}

/// Writes `bytes` to standard output; a closed pipe (`| head`) is not an error.
pub fn print_stdout(bytes: &[u8]) -> i32 {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => OK,
        Err(e) => {
            print_error_message(format!("cannot write to standard output: {e}"));
            INPUT_FAILED
        }
    }
}

/// Loads the engine or prints why not; `Err` carries the exit code.
pub fn load(catalog: Option<&PathBuf>) -> Result<Engine, i32> {
    engine(catalog).map_err(|e| {
        print_error(&e);
        CONFIG_ERROR
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_color_flag_is_read_before_clap_parses() {
        assert_eq!(color_arg(&args(&["letterkit", "check"])), Color::Auto);
        assert_eq!(
            color_arg(&args(&["letterkit", "--color", "never", "check"])),
            Color::Never
        );
        assert_eq!(
            color_arg(&args(&["letterkit", "check", "--color=always"])),
            Color::Always
        );
        assert_eq!(
            color_arg(&args(&["letterkit", "render", "--", "--color=always"])),
            Color::Auto
        );
    }

    #[test]
    fn examples_split_from_prose() {
        assert_eq!(
            split_examples("Examples:\n  letterkit list\n"),
            ("", Some("  letterkit list\n"))
        );
        assert_eq!(
            split_examples("Some prose.\n\nExamples:\n  letterkit list"),
            ("Some prose.", Some("  letterkit list"))
        );
        assert_eq!(split_examples("Only prose."), ("Only prose.", None));
    }

    #[test]
    fn the_command_is_consistent() {
        command().debug_assert();
    }
}
