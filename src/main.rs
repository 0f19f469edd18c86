//! The `letterkit` command: parse arguments, dispatch to a verb, print the
//! whole error chain, set the exit code (0 ok, 1 some input failed, 2 usage
//! or configuration error).

mod cli;

fn main() {
    std::process::exit(cli::run());
}
