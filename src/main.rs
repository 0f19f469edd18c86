//! The `letterkit` command: parse arguments, dispatch to a verb, print the
//! whole error chain, set the exit code (0 ok, 1 some input failed, 2 usage
//! or configuration error).

mod cli;

/// mimalloc, not glibc's malloc: a letter makes many small, short-lived
/// allocations, and a batch is 13–20 % faster with it (the `mimalloc`
/// feature in Cargo.toml; bench/README.md, 2026-12-07).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::run());
}
