//! Writing to standard output and standard error without ever panicking.
//!
//! `println!` and `eprintln!` panic when the stream is closed or the disk is
//! full. Here a closed pipe on standard output (`letterkit show X | head -1`)
//! is the reader saying "enough": the command ends quietly with exit 0, as
//! ripgrep does. Any other failure to write standard output (a full disk) is
//! an error with exit 1. Standard error is best effort: if it cannot be
//! written there is nowhere left to complain, so the command goes on.

use std::io::{self, Write};

/// Writes `text` to standard output and returns the exit code: a closed pipe
/// ends quietly ([`super::OK`]), any other failure (a full disk) is an error
/// ([`super::INPUT_FAILED`]) said on standard error.
pub fn print_out(text: &str) -> i32 {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => super::OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => super::OK,
        Err(e) => {
            err(&format!("error: cannot write to standard output: {e}"));
            super::INPUT_FAILED
        }
    }
}

/// Writes `text` to standard output. On a closed pipe the process ends with
/// exit 0; on any other error it says so on standard error and ends with
/// exit 1 (input/output failure).
pub fn out(text: &str) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        stdout_failed(&e);
    }
}

/// Writes bytes (a PDF) to standard output, like [`out`].
pub fn out_bytes(bytes: &[u8]) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        stdout_failed(&e);
    }
}

/// Ends the process after standard output failed.
pub fn stdout_failed(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(super::OK);
    }
    err(&format!("error: cannot write to standard output: {e}"));
    std::process::exit(super::INPUT_FAILED);
}

/// Writes one line to standard error, ignoring failure.
pub fn err(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_all(line.as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// `println!` that never panics (see [`out`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::out(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that never panics (see [`err`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::err(&format!($($arg)*))
    };
}

pub(crate) use {errln, outln};
