//! Batch inputs: folders of request files, JSON Lines files and CSV files,
//! read lazily in a stable order, one request at a time.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::request::tree::{Key, Node, Pos, Value};

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
    /// The input could not be read.
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
pub fn kind_of(path: &Path) -> Option<Kind> {
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
                        .lines()
                        .map_while(Result::ok)
                        .filter(|l| !l.trim().is_empty())
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

/// Reads the inputs lazily: requests come out one by one in input order.
pub struct Reader {
    files: std::vec::IntoIter<(PathBuf, Kind)>,
    current: Option<Source>,
    seq: u64,
}

enum Source {
    Lines {
        name: String,
        lines: std::io::Lines<BufReader<File>>,
        line: u32,
    },
    Csv {
        name: String,
        reader: csv::Reader<File>,
        headers: Vec<String>,
    },
}

impl Reader {
    /// A reader over `files`.
    pub fn new(files: Vec<(PathBuf, Kind)>) -> Reader {
        Reader {
            files: files.into_iter(),
            current: None,
            seq: 0,
        }
    }

    fn item(&mut self, origin: String, line: Option<u64>, payload: Payload) -> Item {
        let location = match line {
            Some(l) => format!("{origin}:{l}"),
            None => origin.clone(),
        };
        let seq = self.seq;
        self.seq += 1;
        Item {
            seq,
            origin,
            location,
            payload,
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
                Some(Source::Lines { name, lines, line }) => {
                    let name = name.clone();
                    match lines.next() {
                        None => self.current = None,
                        Some(Err(e)) => {
                            *line += 1;
                            let l = u64::from(*line);
                            self.current = None;
                            return Some(self.item(
                                name,
                                Some(l),
                                Payload::Unreadable(e.to_string()),
                            ));
                        }
                        Some(Ok(text)) => {
                            *line += 1;
                            if text.trim().is_empty() {
                                continue;
                            }
                            let offset = *line - 1;
                            let l = u64::from(*line);
                            return Some(self.item(
                                name,
                                Some(l),
                                Payload::Text {
                                    text,
                                    line_offset: offset,
                                },
                            ));
                        }
                    }
                }
                Some(Source::Csv {
                    name,
                    reader,
                    headers,
                }) => {
                    let name = name.clone();
                    let mut record = csv::StringRecord::new();
                    match reader.read_record(&mut record) {
                        Ok(false) => self.current = None,
                        Ok(true) => {
                            let line = record.position().map_or(0, |p| p.line()) as u32;
                            let node = super::csv_row::row_to_tree(headers, &record, line);
                            return Some(self.item(
                                name,
                                Some(u64::from(line)),
                                Payload::Tree(node),
                            ));
                        }
                        Err(e) => {
                            let line = e.position().map_or(0, |p| p.line());
                            self.current = None;
                            return Some(self.item(
                                name,
                                Some(line),
                                Payload::Unreadable(format!("bad CSV: {e}")),
                            ));
                        }
                    }
                }
                None => {
                    let (path, kind) = self.files.next()?;
                    let name = path.display().to_string();
                    match kind {
                        Kind::Request | Kind::Folder => {
                            let payload = match std::fs::read_to_string(&path) {
                                Ok(text) => Payload::Text {
                                    text,
                                    line_offset: 0,
                                },
                                Err(e) => Payload::Unreadable(format!("cannot read: {e}")),
                            };
                            return Some(self.item(name, None, payload));
                        }
                        Kind::JsonLines => match File::open(&path) {
                            Ok(f) => {
                                self.current = Some(Source::Lines {
                                    name,
                                    lines: BufReader::new(f).lines(),
                                    line: 0,
                                });
                            }
                            Err(e) => {
                                return Some(self.item(
                                    name,
                                    None,
                                    Payload::Unreadable(format!("cannot read: {e}")),
                                ));
                            }
                        },
                        Kind::Csv => {
                            let opened =
                                File::open(&path).map_err(|e| e.to_string()).and_then(|f| {
                                    let mut reader =
                                        csv::ReaderBuilder::new().flexible(false).from_reader(f);
                                    let headers = reader
                                        .headers()
                                        .map_err(|e| format!("bad CSV header: {e}"))?
                                        .iter()
                                        .map(|h| h.trim().to_owned())
                                        .collect();
                                    Ok((reader, headers))
                                });
                            match opened {
                                Ok((reader, headers)) => {
                                    self.current = Some(Source::Csv {
                                        name,
                                        reader,
                                        headers,
                                    })
                                }
                                Err(e) => {
                                    return Some(self.item(name, None, Payload::Unreadable(e)));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
