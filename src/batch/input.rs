//! Batch inputs: folders of request files, JSON Lines files and CSV files,
//! read lazily in a stable order, one request at a time.
//!
//! Lines are counted here, byte by byte, so line numbers are right whatever
//! the line endings (Excel writes CR LF). A bad line or row is reported as an
//! [`Payload::Unreadable`] item and reading carries on with the next one:
//! nothing after a bad row is ever dropped.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::csv_row;
use crate::request::tree::{Key, Node, Pos, Value};

/// Longest line read from a JSON Lines or CSV file; a longer one is reported
/// and skipped (a request is a few hundred bytes).
pub const MAX_LINE: usize = 1 << 20;
/// Most physical lines one quoted CSV cell may span before its opening quote
/// is taken to be unbalanced.
pub const MAX_CSV_RECORD_LINES: usize = 20;

/// One request read from the inputs, numbered in input order.
#[derive(Debug)]
pub struct Item {
    /// Position in the whole input (0-based), stable for the same inputs.
    pub seq: u64,
    /// The file it came from (errors add line and column).
    pub origin: String,
    /// Where exactly: the file, `file:line` for JSON Lines and CSV rows.
    pub location: String,
    /// The request itself.
    pub payload: Payload,
    /// SHA-256 of what was read for this request (with the default letter
    /// code): a resumed run checks it against the one recorded.
    pub digest: [u8; 32],
    /// The failure repeats one already reported for an earlier item (the
    /// rows of a CSV file whose header is bad): report it briefly.
    pub repeated: bool,
}

/// The request as read.
#[derive(Debug)]
pub enum Payload {
    /// YAML or JSON text; line numbers in errors are shifted by `line_offset`.
    Text {
        /// The text.
        text: String,
        /// Added to line numbers (for one line of a JSON Lines file).
        line_offset: u32,
    },
    /// A tree built from a CSV row.
    Tree(Node),
    /// The input could not be read; the message says why (never quoting it).
    Unreadable(String),
}

/// What kind of input a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder, walked recursively in name order.
    Folder,
    /// One YAML or JSON request.
    Request,
    /// JSON Lines: one request a line.
    JsonLines,
    /// CSV: one request a row.
    Csv,
}

/// Classifies a path by type and extension.
pub(crate) fn kind_of(path: &Path) -> Option<Kind> {
    if path.is_dir() {
        return Some(Kind::Folder);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("yaml" | "yml" | "json") => Some(Kind::Request),
        Some("jsonl" | "ndjson") => Some(Kind::JsonLines),
        Some("csv") => Some(Kind::Csv),
        _ => None,
    }
}

/// Expands the inputs into a flat, ordered list of files, leaving out the
/// folder `exclude` (the output folder, when it lies inside an input).
///
/// # Errors
/// An input that is missing or of a kind a batch does not read (the message names it).
pub fn files(inputs: &[PathBuf], exclude: Option<&Path>) -> Result<Vec<(PathBuf, Kind)>, String> {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut out = Vec::new();
    for input in inputs {
        match kind_of(input) {
            Some(Kind::Folder) => {
                let walk = walkdir::WalkDir::new(input)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        exclude
                            .as_ref()
                            .is_none_or(|x| e.path().canonicalize().map_or(true, |p| &p != x))
                    });
                for entry in walk {
                    let entry = entry.map_err(|e| format!("{}: {e}", input.display()))?;
                    if let Some(k) = kind_of(entry.path()).filter(|_| entry.file_type().is_file()) {
                        out.push((entry.into_path(), k));
                    }
                }
            }
            Some(k) => {
                if !input.exists() {
                    return Err(format!("{}: no such file or folder", input.display()));
                }
                out.push((input.clone(), k));
            }
            None if !input.exists() => {
                return Err(format!("{}: no such file or folder", input.display()));
            }
            None => {
                return Err(format!(
                    "{}: not a request file (.yaml, .yml, .json), JSON Lines file (.jsonl) or CSV file (.csv)",
                    input.display()
                ));
            }
        }
    }
    Ok(out)
}

/// Counts the requests in the inputs without holding them (for progress).
pub fn count(files: &[(PathBuf, Kind)]) -> u64 {
    let mut n = 0;
    for (path, kind) in files {
        match kind {
            Kind::Request => n += 1,
            Kind::JsonLines | Kind::Csv => {
                if let Ok(f) = File::open(path) {
                    let lines = BufReader::new(f)
                        .split(b'\n')
                        .map_while(Result::ok)
                        .filter(|l| !l.trim_ascii().is_empty())
                        .count() as u64;
                    n += if *kind == Kind::Csv {
                        lines.saturating_sub(1)
                    } else {
                        lines
                    };
                }
            }
            Kind::Folder => {}
        }
    }
    n
}

/// Physical lines of a file, numbered from 1, with the line ending (LF or
/// CR LF) and a leading byte-order mark removed. Lines can be pushed back.
struct Lines {
    reader: BufReader<File>,
    line: u32,
    back: VecDeque<(u32, Result<String, String>)>,
    done: bool,
}

impl Lines {
    fn new(file: File) -> Lines {
        Lines {
            reader: BufReader::new(file),
            line: 0,
            back: VecDeque::new(),
            done: false,
        }
    }

    /// The next line: its number and its text, or why it cannot be read.
    fn next(&mut self) -> Option<(u32, Result<String, String>)> {
        if let Some(l) = self.back.pop_front() {
            return Some(l);
        }
        if self.done {
            return None;
        }
        let mut buf = Vec::new();
        let read = (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf);
        match read {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(_) => {}
            Err(e) => {
                self.done = true;
                self.line += 1;
                return Some((self.line, Err(format!("cannot read the file: {e}"))));
            }
        }
        self.line += 1;
        if buf.len() > MAX_LINE {
            // Skip the rest of the over-long line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match (&mut self.reader)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut rest)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) if rest.ends_with(b"\n") => break,
                    Ok(_) => {}
                }
            }
            return Some((
                self.line,
                Err(format!(
                    "the line is longer than {} MiB; a request is far shorter",
                    MAX_LINE >> 20
                )),
            ));
        }
        if buf.ends_with(b"\n") {
            buf.pop();
            if buf.ends_with(b"\r") {
                buf.pop();
            }
        }
        if self.line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
            buf.drain(..3);
        }
        let text = String::from_utf8(buf).map_err(|e| {
            format!(
                "is not UTF-8 text (byte {} of the line); save the file as UTF-8 (in Excel: \"CSV UTF-8\")",
                e.utf8_error().valid_up_to() + 1
            )
        });
        Some((self.line, text))
    }

    fn push_back(&mut self, lines: impl IntoIterator<Item = (u32, Result<String, String>)>) {
        for l in lines.into_iter().collect::<Vec<_>>().into_iter().rev() {
            self.back.push_front(l);
        }
    }
}

/// One logical CSV record: its first line and its text (a quoted cell may
/// span lines), or why it cannot be read.
fn next_csv_record(lines: &mut Lines) -> Option<(u32, Result<String, String>)> {
    loop {
        let (start, first) = lines.next()?;
        let text = match first {
            Ok(t) => t,
            Err(e) => return Some((start, Err(e))),
        };
        if text.trim().is_empty() {
            continue;
        }
        let mut quotes = text.bytes().filter(|b| *b == b'"').count();
        if quotes % 2 == 0 {
            return Some((start, Ok(text)));
        }
        // A quoted cell goes on to the next line(s), or the quote is never closed.
        let mut record = text;
        let mut taken = Vec::new();
        while quotes % 2 == 1 && taken.len() < MAX_CSV_RECORD_LINES {
            match lines.next() {
                Some((n, Ok(t))) => {
                    quotes += t.bytes().filter(|b| *b == b'"').count();
                    taken.push((n, Ok(t)));
                }
                Some(bad) => {
                    taken.push(bad);
                    break;
                }
                None => break,
            }
        }
        if quotes % 2 == 0 && taken.iter().all(|(_, t)| t.is_ok()) {
            for (_, t) in taken {
                record.push('\n');
                record.push_str(&t.unwrap_or_default());
            }
            return Some((start, Ok(record)));
        }
        lines.push_back(taken);
        return Some((
            start,
            Err("has a quote `\"` that is never closed; a cell that holds a quote or a comma is written \"like this\", with a quote written twice inside it".into()),
        ));
    }
}

/// Splits one CSV record into cells (RFC 4180: `"` quotes a cell, `""` is a
/// quote inside one).
pub(crate) fn split_csv(record: &str, delimiter: char) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_quotes = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cell.push(c);
            }
        } else if c == '"' {
            in_quotes = true;
        } else if c == delimiter {
            cells.push(std::mem::take(&mut cell));
        } else {
            cell.push(c);
        }
    }
    cells.push(cell);
    cells
}

/// Request keys a CSV column may name (besides `fields.<name>`,
/// `recipient.address.<n>` and `fields.<name>.<n>`).
const CSV_COLUMNS: &[&str] = &[
    "id",
    "letter",
    "date",
    "reference",
    "language",
    "recipient.name",
    "recipient.postcode",
    "recipient.address.1",
    "optional",
    "format",
    "size",
    "grade",
    "profile",
];

/// Whether a header cell may be quoted in a message: it looks like a column
/// name, not like data (a file without its header line has data there).
fn quotable(header: &str) -> bool {
    header.len() <= 40
        && header.starts_with(|c: char| c.is_ascii_lowercase())
        && header
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

fn known_column(h: &str) -> bool {
    if CSV_COLUMNS.contains(&h) {
        return true;
    }
    if let Some(n) = h.strip_prefix("recipient.address.") {
        return n.parse::<u32>().is_ok_and(|n| n >= 1);
    }
    if let Some(rest) = h.strip_prefix("fields.") {
        let name = match rest.rsplit_once('.') {
            Some((name, n)) if n.parse::<u32>().is_ok() => name,
            _ => rest,
        };
        return !name.is_empty() && !name.contains('.');
    }
    false
}

/// The problems of a CSV header line, in one message (or none).
fn check_header(headers: &[String]) -> Option<String> {
    let mut problems = Vec::new();
    if headers.len() == 1 {
        for (sep, name) in [(';', "semicolons"), ('\t', "tabs")] {
            if headers[0].contains(sep) {
                problems.push(format!(
                    "the columns are separated by {name}; letterkit reads comma-separated CSV (in Excel: save as \"CSV UTF-8 (Comma delimited)\")"
                ));
            }
        }
    }
    if problems.is_empty() {
        for (i, h) in headers.iter().enumerate() {
            let col = i + 1;
            if h.is_empty() {
                problems.push(format!("column {col} has no name"));
                continue;
            }
            if let Some(first) = headers[..i].iter().position(|x| x == h) {
                let name = if quotable(h) {
                    format!("`{h}`")
                } else {
                    "the same name".into()
                };
                problems.push(format!(
                    "columns {} and {col} both have {name}; each column must be named once",
                    first + 1
                ));
                continue;
            }
            if known_column(h) {
                continue;
            }
            if !quotable(h) {
                problems.push(format!(
                    "column {col} is not named like a request field; the first line must be the header (id, letter, date, reference, recipient.name, recipient.address.1, ..., recipient.postcode, fields.<name>, optional)"
                ));
                continue;
            }
            let close = crate::request::closest(h, CSV_COLUMNS)
                .map(|a| format!(" (did you mean `{a}`?)"))
                .unwrap_or_default();
            problems.push(format!(
                "column {col}: unknown column `{h}`{close}; columns are id, letter, date, reference, language, recipient.name, recipient.address.1 .. .5, recipient.postcode, fields.<name>, optional, format, size, grade, profile"
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Reads the inputs lazily: requests come out one by one in input order.
pub struct Reader {
    files: std::vec::IntoIter<(PathBuf, Kind)>,
    current: Option<Source>,
    seq: u64,
    default_letter: Option<String>,
}

enum Source {
    Lines {
        name: String,
        lines: Lines,
    },
    Csv {
        name: String,
        lines: Lines,
        headers: Vec<String>,
        /// The header line, part of every row's digest.
        header_text: String,
        /// What is wrong with the header: every row is reported, none read.
        bad_header: Option<(u32, String)>,
        /// Rows reported under a bad header so far.
        reported: u64,
    },
}

impl Reader {
    /// A reader over `files`; `default_letter` (the `--letter` code) is
    /// folded into every request's digest.
    pub fn new(files: Vec<(PathBuf, Kind)>, default_letter: Option<&str>) -> Reader {
        Reader {
            files: files.into_iter(),
            current: None,
            seq: 0,
            default_letter: default_letter.map(str::to_owned),
        }
    }

    fn item(
        &mut self,
        origin: String,
        line: Option<u32>,
        payload: Payload,
        parts: &[&[u8]],
    ) -> Item {
        let location = match line {
            Some(l) => format!("{origin}:{l}"),
            None => origin.clone(),
        };
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        h.update(self.default_letter.as_deref().unwrap_or("").as_bytes());
        let seq = self.seq;
        self.seq += 1;
        Item {
            seq,
            origin,
            location,
            payload,
            digest: h.finalize().into(),
            repeated: false,
        }
    }

    fn unreadable(&mut self, origin: String, line: Option<u32>, message: String) -> Item {
        let parts: [&[u8]; 1] = [message.as_bytes()];
        self.item(origin, line, Payload::Unreadable(message.clone()), &parts)
    }

    fn open(&mut self, path: PathBuf, kind: Kind) -> Option<Item> {
        let name = path.display().to_string();
        match kind {
            Kind::Request | Kind::Folder => {
                let item = match std::fs::read(&path) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => {
                            let digest_of = text.as_bytes().to_vec();
                            self.item(
                                name,
                                None,
                                Payload::Text {
                                    text,
                                    line_offset: 0,
                                },
                                &[&digest_of],
                            )
                        }
                        Err(_) => self.unreadable(
                            name,
                            None,
                            "is not UTF-8 text; save the file as UTF-8".into(),
                        ),
                    },
                    Err(e) => self.unreadable(name, None, format!("cannot read: {e}")),
                };
                Some(item)
            }
            Kind::JsonLines => match File::open(&path) {
                Ok(f) => {
                    self.current = Some(Source::Lines {
                        name,
                        lines: Lines::new(f),
                    });
                    None
                }
                Err(e) => Some(self.unreadable(name, None, format!("cannot read: {e}"))),
            },
            Kind::Csv => {
                let f = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        return Some(self.unreadable(name, None, format!("cannot read: {e}")));
                    }
                };
                let mut lines = Lines::new(f);
                let (line, header) = match next_csv_record(&mut lines) {
                    None => {
                        return Some(
                            self.unreadable(
                                name,
                                None,
                                "is empty: a CSV file needs a header line and one row per letter"
                                    .into(),
                            ),
                        );
                    }
                    Some((line, Err(e))) => (line, Err(e)),
                    Some((line, Ok(t))) => (line, Ok(t)),
                };
                let (headers, header_text, bad_header) = match header {
                    Ok(text) => {
                        let headers: Vec<String> = split_csv(&text, ',')
                            .into_iter()
                            .map(|h| h.trim().to_owned())
                            .collect();
                        let bad = check_header(&headers).map(|m| (line, m));
                        (headers, text, bad)
                    }
                    Err(e) => (Vec::new(), String::new(), Some((line, e))),
                };
                self.current = Some(Source::Csv {
                    name,
                    lines,
                    headers,
                    header_text,
                    bad_header,
                    reported: 0,
                });
                None
            }
        }
    }
}

/// Adds `letter: code` to a mapping that has none.
pub fn with_letter(mut node: Node, code: &str) -> Node {
    if let Value::Map(entries) = &mut node.value
        && !entries.iter().any(|(k, _)| k.name == "letter")
    {
        entries.push((
            Key {
                name: "letter".into(),
                pos: Pos::default(),
            },
            Node {
                value: Value::Scalar {
                    text: code.to_owned(),
                    string: true,
                },
                pos: Pos::default(),
            },
        ));
    }
    node
}

impl Iterator for Reader {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            match &mut self.current {
                Some(Source::Lines { name, lines }) => {
                    let Some((line, text)) = lines.next() else {
                        self.current = None;
                        continue;
                    };
                    let name = name.clone();
                    match text {
                        Err(e) => return Some(self.unreadable(name, Some(line), e)),
                        Ok(text) if text.trim().is_empty() => continue,
                        Ok(text) => {
                            let digest_of = text.as_bytes().to_vec();
                            return Some(self.item(
                                name,
                                Some(line),
                                Payload::Text {
                                    text,
                                    line_offset: line - 1,
                                },
                                &[&digest_of],
                            ));
                        }
                    }
                }
                Some(Source::Csv {
                    name,
                    lines,
                    headers,
                    header_text,
                    bad_header,
                    reported,
                }) => {
                    let record = next_csv_record(lines);
                    let name = name.clone();
                    if let Some((hline, problem)) = bad_header.clone() {
                        let first = *reported == 0;
                        let (line, message) = match record {
                            Some((line, _)) => {
                                *reported += 1;
                                let m = if first {
                                    format!(
                                        "not read: the header (line {hline}) has problems: {problem}"
                                    )
                                } else {
                                    format!("not read: the header (line {hline}) has problems")
                                };
                                (line, m)
                            }
                            None if first => {
                                // A header and no rows: still say what is wrong.
                                self.current = None;
                                let item = self.unreadable(
                                    name,
                                    Some(hline),
                                    format!("header: {problem}"),
                                );
                                return Some(item);
                            }
                            None => {
                                self.current = None;
                                continue;
                            }
                        };
                        let mut item = self.unreadable(name, Some(line), message);
                        item.repeated = !first;
                        return Some(item);
                    }
                    let Some((line, text)) = record else {
                        self.current = None;
                        continue;
                    };
                    let text = match text {
                        Ok(t) => t,
                        Err(e) => return Some(self.unreadable(name, Some(line), e)),
                    };
                    let cells = split_csv(&text, ',');
                    if cells.len() != headers.len() {
                        let (n, m) = (cells.len(), headers.len());
                        return Some(self.unreadable(
                            name,
                            Some(line),
                            format!(
                                "the row has {n} cell{}, the header has {m} column{}; a cell that holds a comma is written in quotes",
                                if n == 1 { "" } else { "s" },
                                if m == 1 { "" } else { "s" }
                            ),
                        ));
                    }
                    let node = csv_row::row_to_tree(headers, &cells, line);
                    let header_bytes = header_text.as_bytes().to_vec();
                    return Some(self.item(
                        name,
                        Some(line),
                        Payload::Tree(node),
                        &[&header_bytes, text.as_bytes()],
                    ));
                }
                None => {
                    let (path, kind) = self.files.next()?;
                    if let Some(item) = self.open(path, kind) {
                        return Some(item);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(name: &str, bytes: &[u8]) -> Vec<(String, Result<Node, String>)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        let kind = kind_of(&p).expect("kind");
        Reader::new(vec![(p, kind)], None)
            .map(|i| {
                let loc = i.location.rsplit('/').next().unwrap_or("").to_owned();
                let v = match i.payload {
                    Payload::Tree(n) => Ok(n),
                    Payload::Text { text, .. } => Ok(Node {
                        value: Value::Scalar { text, string: true },
                        pos: Pos::default(),
                    }),
                    Payload::Unreadable(e) => Err(e),
                };
                (loc, v)
            })
            .collect()
    }

    fn locations(items: &[(String, Result<Node, String>)]) -> Vec<(String, bool)> {
        items.iter().map(|(l, r)| (l.clone(), r.is_ok())).collect()
    }

    #[test]
    fn crlf_rows_keep_their_line_numbers() {
        let items = read_all("a.csv", b"id,letter\r\nr1,CMSL5502\r\nr2,CMSL5502\r\n");
        assert_eq!(
            locations(&items),
            [("a.csv:2".into(), true), ("a.csv:3".into(), true)]
        );
    }

    #[test]
    fn a_bad_row_is_reported_and_the_next_rows_are_read() {
        let csv = b"id,letter\nr1,CMSL5502\nr2,CMSL5502,extra\nr3,\"CMSL5502\nr4,CMSL5502\n\nr5,CMSL5502\n";
        let items = read_all("a.csv", csv);
        assert_eq!(
            locations(&items),
            [
                ("a.csv:2".into(), true),
                ("a.csv:3".into(), false),
                ("a.csv:4".into(), false),
                ("a.csv:5".into(), true),
                ("a.csv:7".into(), true),
            ]
        );
        assert_eq!(
            items[1].1.as_ref().expect_err("bad"),
            "the row has 3 cells, the header has 2 columns; a cell that holds a comma is written in quotes"
        );
        assert!(
            items[2]
                .1
                .as_ref()
                .expect_err("bad")
                .starts_with("has a quote `\"` that is never closed")
        );
    }

    #[test]
    fn a_quoted_cell_may_span_lines() {
        let items = read_all(
            "a.csv",
            b"id,fields.x\nr1,\"one\ntwo, \"\"three\"\"\"\nr2,b\n",
        );
        assert_eq!(
            locations(&items),
            [("a.csv:2".into(), true), ("a.csv:4".into(), true)]
        );
        assert_eq!(split_csv("a,\"b,\"\"c\"\"\",d", ','), ["a", "b,\"c\"", "d"]);
    }

    #[test]
    fn invalid_utf8_is_reported_by_line_and_reading_goes_on() {
        let items = read_all("a.jsonl", b"{\"a\": 1}\n{\"b\": \"caf\xe9\"}\n{\"c\": 3}\n");
        assert_eq!(
            locations(&items),
            [
                ("a.jsonl:1".into(), true),
                ("a.jsonl:2".into(), false),
                ("a.jsonl:3".into(), true),
            ]
        );
        assert_eq!(
            items[1].1.as_ref().expect_err("bad"),
            "is not UTF-8 text (byte 11 of the line); save the file as UTF-8 (in Excel: \"CSV UTF-8\")"
        );
    }

    #[test]
    fn a_bom_is_not_part_of_the_first_header() {
        let items = read_all("a.csv", b"\xEF\xBB\xBFid,letter\nr1,CMSL5502\n");
        assert_eq!(locations(&items), [("a.csv:2".into(), true)]);
    }

    #[test]
    fn header_problems_are_reported_once_with_did_you_mean() {
        let items = read_all(
            "a.csv",
            b"id,letter,recipient.nmae,id\nr1,CMSL5502,x,y\nr2,CMSL5502,x,y\n",
        );
        assert_eq!(
            locations(&items),
            [("a.csv:2".into(), false), ("a.csv:3".into(), false)]
        );
        assert_eq!(
            items[0].1.as_ref().expect_err("bad"),
            "not read: the header (line 1) has problems: column 3: unknown column `recipient.nmae` (did you mean `recipient.name`?); columns are id, letter, date, reference, language, recipient.name, recipient.address.1 .. .5, recipient.postcode, fields.<name>, optional, format, size, grade, profile; columns 1 and 4 both have `id`; each column must be named once"
        );
        assert_eq!(
            items[1].1.as_ref().expect_err("bad"),
            "not read: the header (line 1) has problems"
        );
        let semi = read_all("b.csv", b"id;letter\nr1;CMSL5502\n");
        assert!(
            semi[0]
                .1
                .as_ref()
                .expect_err("bad")
                .ends_with("the columns are separated by semicolons; letterkit reads comma-separated CSV (in Excel: save as \"CSV UTF-8 (Comma delimited)\")"),
            "{semi:?}"
        );
    }

    #[test]
    fn a_header_made_of_data_is_never_quoted() {
        let items = read_all("a.csv", b"Ms Priya Patel,LS6 1AB\nx,y\n");
        let e = items[0].1.as_ref().expect_err("bad");
        assert!(!e.contains("Priya") && !e.contains("LS6"), "{e}");
        assert!(
            e.contains("column 1 is not named like a request field"),
            "{e}"
        );
    }
}
