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
    /// SHA-256 of the request as read (its text, or its CSV header and row,
    /// with the `--letter` code), hex: a resumed run checks it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_sha256: Option<String>,
    /// The outbox id it was queued under (`batch --outbox`: no file is written).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub queued: Option<String>,
    /// Outcome.
    pub status: Status,
    /// First line of the error: location, field path and rule. Names,
    /// addresses, postcodes and references are never repeated in it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// A braille letter's braille files beside its carrier page PDF
    /// (`output`): the BRF and the PEF.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub braille: Vec<OutputFile>,
}

/// A further output file of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// File name inside the output folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Writes one record as a JSON line.
pub(crate) fn write_line(w: &mut impl Write, r: &Record) -> io::Result<()> {
    serde_json::to_writer(&mut *w, r).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

/// A file that can be cut back to a length (a manifest after a failed write).
pub(crate) trait Truncate {
    /// Cuts the file to `len` bytes.
    ///
    /// # Errors
    /// When the file cannot be changed.
    fn truncate_to(&mut self, len: u64) -> io::Result<()>;
}

impl Truncate for std::fs::File {
    fn truncate_to(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

/// Appends records to a manifest one whole line at a time: a line that
/// cannot be written whole (a full disk) is cut off again, so the manifest
/// always holds whole lines only.
pub(crate) struct Appender<W: Write + Truncate> {
    file: W,
    len: u64,
    line: Vec<u8>,
}

impl Appender<std::fs::File> {
    /// Opens `path` for appending.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Appender::new(file, len))
    }
}

impl<W: Write + Truncate> Appender<W> {
    /// Appends to `file`, which holds `len` bytes of whole lines.
    pub fn new(file: W, len: u64) -> Self {
        Appender {
            file,
            len,
            line: Vec::with_capacity(512),
        }
    }

    /// Appends one record as a line and flushes it.
    ///
    /// # Errors
    /// When the line cannot be written whole; the file is cut back to its
    /// last whole line first.
    pub fn append(&mut self, r: &Record) -> io::Result<()> {
        self.line.clear();
        write_line(&mut self.line, r)?;
        match self
            .file
            .write_all(&self.line)
            .and_then(|()| self.file.flush())
        {
            Ok(()) => {
                self.len += self.line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.truncate_to(self.len);
                Err(e)
            }
        }
    }
}

/// Reads every whole, valid line of a manifest (a killed run may leave a
/// partial last line, which is dropped).
pub(crate) fn read_valid(path: &Path) -> Vec<Record> {
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
pub(crate) fn output_intact(out: &Path, r: &Record) -> bool {
    match (&r.output, r.bytes) {
        (Some(name), Some(bytes)) => {
            std::fs::metadata(out.join(name)).is_ok_and(|m| m.len() == bytes)
                && r.braille
                    .iter()
                    .all(|f| std::fs::metadata(out.join(&f.name)).is_ok_and(|m| m.len() == f.bytes))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file on a disk that fills up after `room` bytes.
    struct SmallDisk {
        data: Vec<u8>,
        room: usize,
    }

    impl Write for SmallDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let free = self.room.saturating_sub(self.data.len());
            if free == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = free.min(buf.len());
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Truncate for SmallDisk {
        fn truncate_to(&mut self, len: u64) -> io::Result<()> {
            self.data.truncate(len as usize);
            Ok(())
        }
    }

    fn record(seq: u64) -> Record {
        Record {
            seq,
            input: format!("in.jsonl:{}", seq + 1),
            output: Some(format!("r{seq}.pdf")),
            letter: Some("CMSL5502".into()),
            pages: Some(2),
            bytes: Some(30_000),
            sha256: Some("ab".repeat(32)),
            request_sha256: Some("cd".repeat(32)),
            queued: None,
            status: Status::Rendered,
            error: None,
            braille: Vec::new(),
        }
    }

    #[test]
    fn a_full_disk_never_leaves_half_a_line() {
        let mut a = Appender::new(
            SmallDisk {
                data: Vec::new(),
                room: 700,
            },
            0,
        );
        let mut written = 0;
        let mut error = None;
        for seq in 0..10 {
            match a.append(&record(seq)) {
                Ok(()) => written += 1,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let e = error.expect("the disk fills up");
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        let text = String::from_utf8(a.file.data).expect("utf-8");
        assert!(text.ends_with('\n'), "whole lines only: {text:?}");
        let parsed: Vec<Record> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line parses"))
            .collect();
        assert_eq!(parsed.len(), written);
        assert!((1..10).contains(&written), "{written}");
        assert_eq!(parsed[0], record(0));
    }
}
