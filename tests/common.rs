//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built `letterkit` binary, ready to run in `dir`.
pub fn letterkit(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_letterkit"));
    c.current_dir(dir);
    c
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text of a PDF as `pdftotext` extracts it (reading order, normal spaces).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .arg(&p)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 text")
}

/// Collapses all runs of white space to one space (for phrase searches that
/// may cross line breaks).
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
