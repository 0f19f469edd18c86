//! The run manifest: one JSON line per request, in input order.

use std::io::{self, BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The PDF was written.
    Rendered,
    /// The request was refused or could not be rendered.
    Failed,
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the input (0-based).
    pub seq: u64,
    /// Where the request came from: file, or file and line.
    pub input: String,
    /// Output file name inside the output folder.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub output: Option<String>,
    /// Letter code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub letter: Option<String>,
    /// Pages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pages: Option<u32>,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bytes: Option<u64>,
    /// SHA-256 of the PDF, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
    /// Outcome.
    pub status: Status,
    /// First line of the error: location, field path and rule. Names,
    /// addresses, postcodes and references are never repeated in it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// Writes one record as a JSON line.
pub fn write_line(w: &mut impl Write, r: &Record) -> io::Result<()> {
    serde_json::to_writer(&mut *w, r).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

/// Reads every whole, valid line of a manifest (a killed run may leave a
/// partial last line, which is dropped).
pub fn read_valid(path: &Path) -> Vec<Record> {
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Record>(&l).ok())
        .collect()
}

/// Whether the output a record names is present with the recorded size.
pub fn output_intact(out: &Path, r: &Record) -> bool {
    match (&r.output, r.bytes) {
        (Some(name), Some(bytes)) => {
            std::fs::metadata(out.join(name)).is_ok_and(|m| m.len() == bytes)
        }
        _ => false,
    }
}
