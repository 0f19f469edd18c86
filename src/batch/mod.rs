//! Batch: many requests rendered on all cores, streamed, resumable.
//!
//! A reader thread reads the inputs lazily ([`input`]), worker threads parse,
//! validate and render, and each PDF is written to a temporary file and
//! renamed. The run manifest (`manifest.jsonl`, one JSON line per request) is
//! written in input order as the run goes, so memory stays flat however many
//! requests there are, and the output bytes are the same whatever `jobs` is.
//!
//! `resume` reads the manifest of an earlier (possibly killed) run and skips
//! every request already rendered whose file is present and whole. `shard`
//! takes a deterministic share of the input by position, so N machines
//! together cover every request exactly once.

pub mod csv_row;
pub mod input;
pub mod manifest;
pub mod output;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::{Engine, RenderOptions};
use input::{Item, Payload};
pub use manifest::{Record, Status};

/// Requests handed to a worker at a time.
const CHUNK: usize = 16;

/// Name of the run manifest inside the output folder.
pub const MANIFEST: &str = "manifest.jsonl";

/// A deterministic share of the input: requests whose position `p` has
/// `p % count == index - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write K/N with 1 <= K <= N, e.g. 2/3");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether position `seq` belongs to this shard.
    pub fn takes(self, seq: u64) -> bool {
        seq % self.count == self.index - 1
    }
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct Options {
    /// Output folder.
    pub out: PathBuf,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Only this share of the input.
    pub shard: Option<Shard>,
    /// Skip what an earlier run with the same arguments already rendered.
    pub resume: bool,
    /// Letter code for requests that give none (CSV files without a `letter` column).
    pub default_letter: Option<String>,
}

/// What happened to one request, for progress and logging.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The manifest record.
    pub record: &'a Record,
    /// The full error text when it failed (may quote values from the request).
    pub error: Option<&'a str>,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// PDFs written by this run.
    pub rendered: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests an earlier run already rendered (with `resume`).
    pub skipped: u64,
    /// Requests that belong to other shards.
    pub other_shards: u64,
}

/// A batch that could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// An input path is missing or of an unknown kind.
    #[error("{0}")]
    Input(String),
    /// The output folder or manifest cannot be written.
    #[error("cannot write to {path}: {source}")]
    Output {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The output folder holds an earlier run and neither resume was asked nor is it empty.
    #[error(
        "{0} already holds a run manifest: add --resume to finish that run, or choose an empty folder"
    )]
    NotEmpty(PathBuf),
}

/// The output file name of a request: its id, or its input position.
/// Never derived from personal data.
pub fn output_name(id: Option<&str>, seq: u64) -> String {
    match id {
        Some(id) => format!("{id}.pdf"),
        None => format!("pos-{seq:08}.pdf"),
    }
}

enum Outcome {
    /// Rendered and written to a temporary file; the main thread renames it.
    Done(Record, PathBuf),
    Failed(Record, String),
}

fn failed(item: &Item, letter: Option<String>, error: String) -> Outcome {
    let summary = error.lines().next().unwrap_or("").to_owned();
    Outcome::Failed(
        Record {
            seq: item.seq,
            input: item.location.clone(),
            output: None,
            letter,
            pages: None,
            bytes: None,
            sha256: None,
            status: Status::Failed,
            error: Some(summary),
        },
        error,
    )
}

fn render_item(engine: &Engine, item: &Item, out: &Path, default_letter: Option<&str>) -> Outcome {
    let tree = match &item.payload {
        Payload::Text { text, line_offset } => {
            match crate::request::parse_tree(text, &item.origin, *line_offset) {
                Ok(t) => t,
                Err(e) => return failed(item, None, e.to_string()),
            }
        }
        Payload::Tree(node) => node.clone(),
        Payload::Unreadable(e) => return failed(item, None, format!("{}: {e}", item.location)),
    };
    let tree = match default_letter {
        Some(code) => input::with_letter(tree, code),
        None => tree,
    };
    let request = match engine.validate(&tree, &item.origin) {
        Ok(r) => r,
        Err(e) => return failed(item, None, e.to_string()),
    };
    let letter = Some(request.letter.clone());
    let rendered = match engine.render(&request, &RenderOptions::default()) {
        Ok(r) => r,
        Err(e) => return failed(item, letter, format!("{}: {e}", item.location)),
    };
    let name = output_name(request.id.as_deref(), item.seq);
    let temp = output::temp_path_for(&out.join(&name), item.seq);
    if let Err(e) = std::fs::write(&temp, &rendered.pdf) {
        let _ = std::fs::remove_file(&temp);
        return failed(
            item,
            letter,
            format!("{}: cannot write {name}: {e}", item.location),
        );
    }
    let sha: String = Sha256::digest(&rendered.pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Outcome::Done(
        Record {
            seq: item.seq,
            input: item.location.clone(),
            output: Some(name),
            letter,
            pages: Some(rendered.pages as u32),
            bytes: Some(rendered.pdf.len() as u64),
            sha256: Some(sha),
            status: Status::Rendered,
            error: None,
        },
        temp,
    )
}

/// Puts a rendered letter in place (in input order, on the main thread):
/// refuses an output name an earlier request already took.
fn commit(outcome: Outcome, out: &Path, taken: &mut HashMap<String, String>) -> Outcome {
    let Outcome::Done(record, temp) = outcome else {
        return outcome;
    };
    let name = record.output.clone().unwrap_or_default();
    let refuse = |message: String| {
        let _ = fs::remove_file(&temp);
        Outcome::Failed(
            Record {
                output: None,
                pages: None,
                bytes: None,
                sha256: None,
                status: Status::Failed,
                error: Some(message.clone()),
                ..record.clone()
            },
            message,
        )
    };
    if let Some(first) = taken.get(&name) {
        let id = name.trim_end_matches(".pdf");
        return refuse(format!(
            "{}: id: `{id}` is already used by the request at {first}; each request needs its own id",
            record.input
        ));
    }
    if let Err(e) = fs::rename(&temp, out.join(&name)) {
        return refuse(format!("{}: cannot write {name}: {e}", record.input));
    }
    taken.insert(name, record.input.clone());
    Outcome::Done(record, temp)
}

/// Replaces the manifest with `records`, atomically.
fn rewrite_manifest(path: &Path, records: &[Record]) -> Result<(), BatchError> {
    output::write_atomic_with(path, |f| {
        let mut w = BufWriter::new(f);
        for r in records {
            manifest::write_line(&mut w, r)?;
        }
        w.flush()
    })
    .map_err(|source| BatchError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs a batch over `inputs`, calling `on_event` for every request in
/// input order. Returns the totals.
pub fn run(
    engine: &Engine,
    inputs: &[PathBuf],
    options: &Options,
    mut on_event: impl FnMut(&Event<'_>),
) -> Result<Summary, BatchError> {
    // Check the inputs before anything is created.
    for i in inputs {
        if !i.exists() {
            return Err(BatchError::Input(format!(
                "{}: no such file or folder",
                i.display()
            )));
        }
        if input::kind_of(i).is_none() {
            return Err(BatchError::Input(format!(
                "{}: not a request file (.yaml, .yml, .json), JSON Lines file (.jsonl) or CSV file (.csv)",
                i.display()
            )));
        }
    }
    let out = &options.out;
    fs::create_dir_all(out).map_err(|source| BatchError::Output {
        path: out.clone(),
        source,
    })?;
    let files = input::files(inputs, Some(out)).map_err(BatchError::Input)?;
    let manifest_path = out.join(MANIFEST);
    let mut done: HashSet<u64> = HashSet::new();
    let mut previous: Vec<Record> = Vec::new();
    let mut taken: HashMap<String, String> = HashMap::new();
    if manifest_path.exists() {
        if !options.resume {
            return Err(BatchError::NotEmpty(out.clone()));
        }
        previous = manifest::read_valid(&manifest_path);
        for r in &previous {
            if r.status == Status::Rendered && manifest::output_intact(out, r) {
                done.insert(r.seq);
            }
        }
        // Records of failures are written again if they fail again.
        previous.retain(|r| done.contains(&r.seq));
        for r in &previous {
            if let Some(name) = &r.output {
                taken.insert(name.clone(), r.input.clone());
            }
        }
    }
    let resumed = !previous.is_empty();
    output::remove_stale_temps(out);
    // Rewrite the manifest with the whole records only (a killed run may
    // have left half a line), then append.
    rewrite_manifest(&manifest_path, &previous)?;
    let manifest_file = fs::OpenOptions::new()
        .append(true)
        .open(&manifest_path)
        .map_err(|source| BatchError::Output {
            path: manifest_path.clone(),
            source,
        })?;
    let mut manifest_out = BufWriter::new(manifest_file);

    let jobs = options.jobs.max(1);
    // Work moves between threads in chunks: one hand-off per CHUNK letters
    // instead of one per letter (each hand-off can cost a thread wake-up).
    let (job_tx, job_rx) = mpsc::sync_channel::<Vec<(u64, Item)>>(jobs * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (res_tx, res_rx) = mpsc::sync_channel::<Vec<(u64, Outcome)>>(jobs * 2);
    let mut summary = Summary::default();
    let mut write_error: Option<BatchError> = None;

    std::thread::scope(|scope| {
        // Reader: decides which positions to render and feeds the workers.
        let shard = options.shard;
        let default_letter = options.default_letter.as_deref();
        let done_ref = &done;
        let reader = scope.spawn(move || {
            let mut skipped = 0u64;
            let mut other = 0u64;
            let mut dispatched = 0u64;
            let mut chunk = Vec::with_capacity(CHUNK);
            for item in input::Reader::new(files) {
                if shard.is_some_and(|s| !s.takes(item.seq)) {
                    other += 1;
                    continue;
                }
                if done_ref.contains(&item.seq) {
                    skipped += 1;
                    continue;
                }
                chunk.push((dispatched, item));
                dispatched += 1;
                if chunk.len() == CHUNK
                    && job_tx
                        .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                        .is_err()
                {
                    return (skipped, other);
                }
            }
            if !chunk.is_empty() {
                let _ = job_tx.send(chunk);
            }
            (skipped, other)
        });
        for _ in 0..jobs {
            let rx = Arc::clone(&job_rx);
            let tx = res_tx.clone();
            scope.spawn(move || {
                loop {
                    let next = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => break,
                    };
                    let Ok(chunk) = next else { break };
                    let outcomes = chunk
                        .into_iter()
                        .map(|(k, item)| (k, render_item(engine, &item, out, default_letter)))
                        .collect();
                    if tx.send(outcomes).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);

        // Writer (this thread): manifest lines in input order.
        let mut pending: BTreeMap<u64, Outcome> = BTreeMap::new();
        let mut emit = |outcome: Outcome, summary: &mut Summary| {
            let outcome = commit(outcome, out, &mut taken);
            let (record, error) = match &outcome {
                Outcome::Done(r, _) => (r, None),
                Outcome::Failed(r, e) => (r, Some(e.as_str())),
            };
            match record.status {
                Status::Rendered => summary.rendered += 1,
                _ => summary.failed += 1,
            }
            // Flushed line by line: after a kill, every letter in place is
            // in the manifest but the one being committed.
            if write_error.is_none()
                && let Err(source) = manifest::write_line(&mut manifest_out, record)
                    .and_then(|()| manifest_out.flush())
            {
                write_error = Some(BatchError::Output {
                    path: manifest_path.clone(),
                    source,
                });
            }
            on_event(&Event { record, error });
        };
        // Outcomes arrive out of order; emit them in dispatch order (every
        // dispatched job returns exactly one outcome).
        let mut next = 0u64;
        for outcomes in res_rx.iter() {
            pending.extend(outcomes);
            while let Some(o) = pending.remove(&next) {
                emit(o, &mut summary);
                next += 1;
            }
        }
        while let Some((_, o)) = pending.pop_first() {
            emit(o, &mut summary);
        }
        if let Ok((skipped, other)) = reader.join() {
            summary.skipped = skipped;
            summary.other_shards = other;
        }
    });
    if let Err(source) = manifest_out.flush() {
        return Err(BatchError::Output {
            path: manifest_path,
            source,
        });
    }
    if let Some(e) = write_error {
        return Err(e);
    }
    drop(manifest_out);
    if resumed {
        // A resumed run appended after the earlier records; put the whole
        // manifest back in input order.
        let mut records = manifest::read_valid(&manifest_path);
        records.sort_by_key(|r| r.seq);
        rewrite_manifest(&manifest_path, &records)?;
    }
    Ok(summary)
}
