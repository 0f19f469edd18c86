//! Batch: many requests rendered on all cores, streamed, resumable.
//!
//! Both batches run on one streaming core (a reader thread, N workers, the
//! results handed over in input order, at most a window of requests in
//! flight, cancellable): [`stream()`] for a program (requests or data to
//! check in, one [`Streamed`] result each out, a [`Cancel`] handle), and
//! [`run`] for files, which the CLI's `batch` uses.
//!
//! In [`run`] the reader reads the inputs lazily ([`input`]), the workers
//! parse, validate and render, and each PDF is written whole to a pending
//! file (`files::Pending`: unnamed on Linux) that the main thread
//! names in input order. The run manifest (`manifest.jsonl`, one JSON line per
//! request) is written in input order as the run goes, so memory stays flat
//! however many requests there are, and the output bytes are the same
//! whatever `jobs` is. A request that fails is reported with a typed
//! [`ItemError`] whose text is the CLI's.
//!
//! The output folder is locked for the run (an operating-system lock, see
//! [`crate::files::Lock`]); a file the run did not make is never replaced; a
//! full disk stops the run with whole manifest lines only.
//!
//! `resume` reads the manifest of an earlier (possibly killed) run and skips
//! every request already rendered whose file is present and whole, after
//! checking, before anything is rendered, that each of those requests is
//! still at its position with the same content (`request_sha256`). `shard`
//! takes a deterministic share of the input by position, so N machines
//! together cover every request exactly once.

pub mod csv_row;
pub mod input;
pub mod manifest;
pub mod output;
mod stream;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{BufWriter, Write};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::{Engine, RenderOptions, hex};
use input::{Item, Payload};
pub use manifest::{OutputFile, Record, Status};
pub use stream::{Cancel, IntoRequest, StreamOptions, StreamSummary, Streamed, stream};

/// Requests handed to a worker at a time.
const CHUNK: usize = 16;
/// The most files a run keeps open while their letters wait to be put in
/// place (see `files::Pending`): with more jobs than that allows (nine or
/// more) letters go through named temporary files instead. Under the usual
/// limit of 1,024 open files.
const MAX_OPEN_PENDING: usize = 768;

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

/// How to run a batch ([`Options::new`], then set what differs).
#[derive(Debug, Clone)]
#[non_exhaustive]
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

impl Options {
    /// A run into the folder `out`: one job per core, the whole input, no
    /// resume, no default letter.
    pub fn new(out: impl Into<PathBuf>) -> Options {
        Options {
            out: out.into(),
            jobs: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            shard: None,
            resume: false,
            default_letter: None,
        }
    }
}

/// What happened to one request, for progress and logging.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The manifest record.
    pub record: &'a Record,
    /// Why it failed: every problem, never quoting personal data (its
    /// `Display` is the full text the CLI prints).
    pub error: Option<&'a ItemError>,
    /// The failure repeats one reported for an earlier request (the rows of
    /// a CSV file whose header is bad): a short line is enough.
    pub repeated: bool,
}

/// Why one request of a batch failed. Its `Display` is the text the CLI
/// prints (the input's location first), never quoting personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ItemError {
    /// The request is not valid: every problem, each with its location.
    #[error(transparent)]
    Request(#[from] crate::RequestError),
    /// The input could not be read (a bad line or row, an unreadable file).
    #[error("{location}: {message}")]
    Unreadable {
        /// Where.
        location: String,
        /// Why (never quoting the input).
        message: String,
    },
    /// The request is valid but could not be rendered.
    #[error("{location}: {source}")]
    Render {
        /// Where.
        location: String,
        /// Why.
        #[source]
        source: crate::Error,
    },
    /// A braille letter cannot go to the outbox.
    #[error(
        "{location}: a braille letter cannot be queued in the outbox yet (its transmission carries print PDFs only); render it without --outbox"
    )]
    BrailleToOutbox {
        /// Where.
        location: String,
    },
    /// An output file could not be written.
    #[error("{location}: cannot write {file}: {source}")]
    Write {
        /// Where.
        location: String,
        /// The file in the output folder.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An earlier request of the run has the same id.
    #[error(
        "{location}: id: `{id}` is already used by the request at {first}; each request needs its own id"
    )]
    DuplicateId {
        /// Where.
        location: String,
        /// The id.
        id: String,
        /// The earlier request's location.
        first: String,
    },
    /// The output file exists and this run did not make it.
    #[error(
        "{location}: {file} already exists in the output folder and was not made by this run; letterkit does not replace it"
    )]
    Exists {
        /// Where.
        location: String,
        /// The file in the output folder.
        file: String,
    },
    /// Rendering this request hit a bug (the others are not affected).
    #[error("{location}: internal error while rendering this request (please report it)")]
    Internal {
        /// Where.
        location: String,
    },
    /// The sink (the outbox) refused the letter.
    #[error("{location}: {message}")]
    Refused {
        /// Where.
        location: String,
        /// Why (never quoting personal data).
        message: String,
    },
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
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

/// A batch that could not run at all, or was stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The output folder holds an earlier run and resume was not asked.
    #[error(
        "{0} already holds a run manifest: add --resume to finish that run, or choose an empty folder"
    )]
    NotEmpty(PathBuf),
    /// The output folder is an input folder.
    #[error(
        "{0} is an input folder and the output folder: give --out a folder of its own (it may lie inside the input folder)"
    )]
    OutIsInput(PathBuf),
    /// Another run is writing to the output folder.
    #[error(transparent)]
    Busy(crate::files::LockError),
    /// `resume` over inputs that are not those of the run it resumes.
    #[error(
        "cannot resume the run in {out}: {differ} of the {done} requests it rendered are not in the inputs as they were (first: {first}); resume with the inputs of that run, or render these inputs into a new --out folder"
    )]
    ResumeMismatch {
        /// The output folder.
        out: PathBuf,
        /// Rendered requests that differ or are gone.
        differ: u64,
        /// Rendered requests of the earlier run.
        done: u64,
        /// The first difference, by location (no content).
        first: String,
    },
    /// The run stopped part-way (the disk is full, the manifest cannot be
    /// written): what was done is in the manifest and in `summary`.
    #[error(
        "the run stopped: {cause}; the manifest lists the {} done, the rest were not done: make room, then run again with --resume",
        letters(.summary.rendered)
    )]
    Stopped {
        /// What was done before it stopped.
        summary: Summary,
        /// Why.
        cause: String,
    },
}

/// "1 letter", "2 letters".
pub fn letters(n: u64) -> String {
    format!("{n} letter{}", if n == 1 { "" } else { "s" })
}

/// The output file name of a request: its id, or its input position.
/// Never derived from personal data.
pub fn output_name(id: Option<&str>, seq: u64) -> String {
    match id {
        Some(id) => format!("{id}.pdf"),
        None => format!("pos-{seq:08}.pdf"),
    }
}

/// Name of the lock file inside the output folder.
pub const LOCK: &str = ".letterkit-batch.lock";

/// A rendered letter handed to a [`Sink`] instead of being written to a file.
#[derive(Debug)]
pub struct Sunk {
    /// Position in the input.
    pub seq: u64,
    /// The validated request.
    pub request: crate::Request,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Its pages.
    pub pages: usize,
    /// SHA-256 of the PDF, hex.
    pub pdf_sha256: String,
    /// A braille letter's BRF and PEF (the PDF is then its carrier page).
    pub braille: Option<crate::outbox::BrailleFiles>,
    /// The request's canonical JSON and its SHA-256, made here on the worker
    /// (once, for the PDF's file ID too) so that the writing thread, which
    /// the sink runs on, does not.
    pub canonical: crate::request::canonical::CanonicalForm,
}

/// Where a batch's letters go instead of files (the outbox: `batch
/// --outbox`). Called on the writing thread, in input order, a group at a
/// time, so that one commit covers many letters; the manifest lines of a
/// group are written only once the sink has taken it, so a killed run never
/// records a letter the sink does not have.
pub trait Sink {
    /// Letters per [`Sink::accept`] call.
    fn group(&self) -> usize {
        256
    }
    /// Takes a group; returns for each letter, in order, `Ok(id)` (kept
    /// under that id) or `Err(message)` (refused: the request fails with
    /// the message, which must not quote personal data). `Err` for the whole
    /// call stops the run.
    ///
    /// # Errors
    /// When the sink cannot keep anything (its store failed).
    fn accept(&mut self, letters: Vec<Sunk>) -> Result<Vec<Result<String, String>>, String>;
}

/// The writer's step for one outcome (see `run_into`).
type Emit<'a> = dyn FnMut(Outcome, &mut Summary, &mut Option<String>, &mut Option<Record>) + 'a;

enum Outcome {
    /// Rendered and written to pending files (the PDF first, then a
    /// braille letter's BRF and PEF, each with its name); the main thread
    /// puts them in place.
    Done(Record, Vec<(String, crate::files::Pending)>),
    /// Rendered, for the sink.
    Sunk(Record, Box<Sunk>),
    /// Taken by the sink.
    Queued(Record),
    /// The request failed: its record, the whole error, and whether it
    /// repeats an earlier failure.
    Failed(Record, ItemError, bool),
    /// The output could not be written because the disk is full.
    DiskFull(String),
}

/// An outcome once the main thread has put its file in place.
enum Committed {
    Rendered(Record),
    Failed(Record, ItemError, bool),
    DiskFull(String),
}

fn failed(item: &Item, letter: Option<String>, error: ItemError) -> Outcome {
    let summary = error.to_string().lines().next().unwrap_or("").to_owned();
    Outcome::Failed(
        Record {
            seq: item.seq,
            input: item.location.clone(),
            output: None,
            letter,
            pages: None,
            bytes: None,
            sha256: None,
            request_sha256: None,
            queued: None,
            status: Status::Failed,
            error: Some(summary),
            braille: Vec::new(),
        },
        error,
        item.repeated,
    )
}

fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

fn render_item(
    engine: &Engine,
    item: &Item,
    out: &Path,
    default_letter: Option<&str>,
    to_sink: bool,
    unnamed: bool,
) -> Outcome {
    let tree = match &item.payload {
        Payload::Text { text, line_offset } => {
            match crate::request::parse_tree(text, &item.origin, *line_offset) {
                Ok(t) => t,
                Err(e) => return failed(item, None, e.into()),
            }
        }
        Payload::Tree(node) => node.clone(),
        Payload::Unreadable(e) => {
            return failed(
                item,
                None,
                ItemError::Unreadable {
                    location: item.location.clone(),
                    message: e.clone(),
                },
            );
        }
    };
    let tree = match default_letter {
        Some(code) => input::with_letter(tree, code),
        None => tree,
    };
    let request = match engine.validate(&tree, &item.origin) {
        Ok(r) => r,
        Err(e) => return failed(item, None, e.into()),
    };
    let render_failed = |letter, source| {
        failed(
            item,
            letter,
            ItemError::Render {
                location: item.location.clone(),
                source,
            },
        )
    };
    let letter = Some(request.letter.clone());
    if to_sink {
        let canonical = crate::request::canonical::CanonicalForm::of(&request);
        let options = RenderOptions::default().with_ident(canonical.ident());
        // A braille letter goes with its carrier page as the PDF.
        let made = if request.format().is_braille() {
            let translator = crate::braille::Liblouis::default();
            engine
                .render_braille(&request, &translator, &options)
                .map(|r| {
                    let files = crate::outbox::BrailleFiles {
                        brf: r.brf,
                        pef: r.pef,
                    };
                    (r.carrier, Some(files))
                })
        } else {
            engine.render(&request, &options).map(|r| (r, None))
        };
        let (rendered, braille) = match made {
            Ok(r) => r,
            Err(e) => return render_failed(letter, e),
        };
        return Outcome::Sunk(
            Record {
                seq: item.seq,
                input: item.location.clone(),
                output: None,
                letter,
                pages: Some(rendered.pages as u32),
                bytes: Some(rendered.pdf.len() as u64),
                sha256: None,
                request_sha256: Some(hex(&item.digest)),
                queued: None,
                status: Status::Rendered,
                error: None,
                braille: Vec::new(),
            },
            Box::new(Sunk {
                seq: item.seq,
                request,
                pdf_sha256: rendered.sha256,
                pdf: rendered.pdf,
                pages: rendered.pages,
                braille,
                canonical,
            }),
        );
    }
    let name = output_name(request.id.as_deref(), item.seq);
    // The PDF, then for braille the BRF and the PEF (named from the same stem).
    let (pages, pdf_sha256, files) = if request.format.is_braille() {
        let translator = crate::braille::Liblouis::default();
        match engine.render_braille(&request, &translator, &RenderOptions::default()) {
            Ok(r) => {
                let stem = name.trim_end_matches(".pdf");
                (
                    r.carrier.pages,
                    r.carrier.sha256,
                    vec![
                        (name.clone(), r.carrier.pdf),
                        (format!("{stem}.brf"), r.brf),
                        (format!("{stem}.pef"), r.pef),
                    ],
                )
            }
            Err(e) => return render_failed(letter, e),
        }
    } else {
        match engine.render(&request, &RenderOptions::default()) {
            Ok(r) => (r.pages, r.sha256, vec![(name.clone(), r.pdf)]),
            Err(e) => return render_failed(letter, e),
        }
    };
    let mut temps = Vec::with_capacity(files.len());
    for (file, bytes) in &files {
        let written = crate::files::Pending::write(&out.join(file), bytes, unnamed);
        match written {
            Ok(t) => temps.push((file.clone(), t)),
            Err(source) => {
                let e = ItemError::Write {
                    location: item.location.clone(),
                    file: file.clone(),
                    source,
                };
                if let ItemError::Write { source, .. } = &e
                    && is_disk_full(source)
                {
                    return Outcome::DiskFull(e.to_string());
                }
                return failed(item, letter, e);
            }
        }
    }
    let pdf = &files[0].1;
    Outcome::Done(
        Record {
            seq: item.seq,
            input: item.location.clone(),
            output: Some(name),
            letter,
            pages: Some(pages as u32),
            bytes: Some(pdf.len() as u64),
            sha256: Some(pdf_sha256),
            request_sha256: Some(hex(&item.digest)),
            queued: None,
            status: Status::Rendered,
            error: None,
            braille: files[1..]
                .iter()
                .map(|(file, bytes)| OutputFile {
                    name: file.clone(),
                    bytes: bytes.len() as u64,
                    sha256: hex(&Sha256::digest(bytes)),
                })
                .collect(),
        },
        temps,
    )
}

/// Renders one item, turning a panic into a failure of that request, so
/// that no bug can lose the letters around it.
fn render_guarded(
    engine: &Engine,
    item: &Item,
    out: &Path,
    default_letter: Option<&str>,
    to_sink: bool,
    unnamed: bool,
) -> Outcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        render_item(engine, item, out, default_letter, to_sink, unnamed)
    }))
    .unwrap_or_else(|_| {
        failed(
            item,
            None,
            ItemError::Internal {
                location: item.location.clone(),
            },
        )
    })
}

/// Puts a rendered letter in place (in input order, on the main thread):
/// refuses an output name an earlier request already took, and a file this
/// run did not make (unless `replace`, for a resumed run's own leftovers).
fn commit(
    outcome: Outcome,
    out: &Path,
    taken: &mut HashMap<String, String>,
    replace: bool,
) -> Committed {
    let (record, temps) = match outcome {
        Outcome::Done(record, temps) => (record, temps),
        // Taken by the sink before commit; never here.
        Outcome::Sunk(record, _) | Outcome::Queued(record) => {
            return Committed::Rendered(record);
        }
        Outcome::Failed(r, e, repeated) => return Committed::Failed(r, e, repeated),
        Outcome::DiskFull(e) => return Committed::DiskFull(e),
    };
    let name = record.output.clone().unwrap_or_default();
    let refuse = |e: ItemError| {
        let message = e.to_string();
        let r = Record {
            output: None,
            pages: None,
            bytes: None,
            sha256: None,
            request_sha256: None,
            queued: None,
            status: Status::Failed,
            error: Some(message),
            braille: Vec::new(),
            ..record.clone()
        };
        Committed::Failed(r, e, false)
    };
    if let Some(first) = taken.get(&name) {
        let id = name.trim_end_matches(".pdf");
        return refuse(ItemError::DuplicateId {
            location: record.input.clone(),
            id: id.to_owned(),
            first: first.clone(),
        });
    }
    // The braille files first, the PDF last: a letter counts as written
    // once its PDF is in place, and a refused one leaves nothing behind.
    let mut placed: Vec<std::path::PathBuf> = Vec::new();
    let count = temps.len();
    for (file, temp) in temps.into_iter().rev() {
        let target = out.join(&file);
        let result = temp.persist(&target, replace);
        let failure = match result {
            Ok(()) => {
                placed.push(target);
                continue;
            }
            Err(e) if is_disk_full(&e) => {
                Committed::DiskFull(format!("{}: cannot write {file}: {e}", record.input))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => refuse(ItemError::Exists {
                location: record.input.clone(),
                file,
            }),
            Err(source) => refuse(ItemError::Write {
                location: record.input.clone(),
                file,
                source,
            }),
        };
        for p in &placed {
            let _ = std::fs::remove_file(p);
        }
        return failure;
    }
    debug_assert_eq!(placed.len(), count);
    taken.insert(name, record.input.clone());
    Committed::Rendered(record)
}

/// Replaces the manifest with `records`, atomically.
fn rewrite_manifest(path: &Path, records: &[Record]) -> Result<(), BatchError> {
    crate::files::write_atomic_with(path, |f| {
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

/// Checks, before anything is rendered, that every request the earlier run
/// rendered is still at its position with the same content.
fn check_resume(
    files: &[(PathBuf, input::Kind)],
    default_letter: Option<&str>,
    done: &HashMap<u64, (String, String)>,
    out: &Path,
) -> Result<(), BatchError> {
    let mut seen = 0u64;
    let mut differ = 0u64;
    let mut first: Option<String> = None;
    for item in input::Reader::new(files.to_vec(), default_letter) {
        let Some((location, digest)) = done.get(&item.seq) else {
            continue;
        };
        seen += 1;
        if *location != item.location || *digest != hex(&item.digest) {
            differ += 1;
            first.get_or_insert_with(|| {
                if *location == item.location {
                    format!("the request at {location} has changed")
                } else {
                    format!(
                        "position {} was {location} and is now {}",
                        item.seq, item.location
                    )
                }
            });
        }
    }
    let gone = done.len() as u64 - seen;
    if gone > 0 {
        first.get_or_insert_with(|| {
            format!("{gone} of them are no longer in the inputs (the inputs are shorter)")
        });
    }
    if differ + gone > 0 {
        return Err(BatchError::ResumeMismatch {
            out: out.to_path_buf(),
            differ: differ + gone,
            done: done.len() as u64,
            first: first.unwrap_or_default(),
        });
    }
    Ok(())
}

/// Runs a batch over `inputs`, calling `on_event` for every request in
/// input order. Returns the totals.
///
/// # Errors
/// [`BatchError`]: bad inputs or output folder (nothing was rendered), or
/// [`BatchError::Stopped`] when the run could not go on (what was done is in
/// the manifest). A panic in `on_event` is passed on to the caller after the
/// workers have stopped; it never leaves them blocked.
pub fn run(
    engine: &Engine,
    inputs: &[PathBuf],
    options: &Options,
    on_event: impl FnMut(&Event<'_>),
) -> Result<Summary, BatchError> {
    run_into(engine, inputs, options, None, on_event)
}

/// As [`run`], with the letters going to `sink` (when given) instead of
/// files: the output folder then holds the manifest only, each rendered
/// record naming the id the sink kept it under (`queued`).
///
/// # Errors
/// As [`run`]; a failing sink stops the run ([`BatchError::Stopped`]).
pub fn run_into(
    engine: &Engine,
    inputs: &[PathBuf],
    options: &Options,
    mut sink: Option<&mut dyn Sink>,
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
    if let Some(i) = inputs
        .iter()
        .find(|i| i.is_dir() && crate::files::same_file(i, out))
    {
        return Err(BatchError::OutIsInput(i.clone()));
    }
    fs::create_dir_all(out).map_err(|source| BatchError::Output {
        path: out.clone(),
        source,
    })?;
    let _lock = crate::files::Lock::try_new(&out.join(LOCK), out).map_err(BatchError::Busy)?;
    // Holding the lock, every temp file in the folder is a dead run's.
    crate::files::remove_stale_temps(out, None);
    let files = input::files(inputs, Some(out)).map_err(BatchError::Input)?;
    let manifest_path = out.join(MANIFEST);
    let default_letter = options.default_letter.as_deref();
    let mut previous: Vec<Record> = Vec::new();
    let mut taken: HashMap<String, String> = HashMap::new();
    if manifest_path.exists() {
        previous = manifest::read_valid(&manifest_path);
        if !options.resume && !previous.is_empty() {
            return Err(BatchError::NotEmpty(out.clone()));
        }
        // Done: rendered, its file whole, and its request known by digest.
        previous.retain(|r| {
            r.status == Status::Rendered
                && r.request_sha256.is_some()
                && (r.queued.is_some() || manifest::output_intact(out, r))
        });
        let done: HashMap<u64, (String, String)> = previous
            .iter()
            .map(|r| {
                (
                    r.seq,
                    (
                        r.input.clone(),
                        r.request_sha256.clone().unwrap_or_default(),
                    ),
                )
            })
            .collect();
        check_resume(&files, default_letter, &done, out)?;
        for r in &previous {
            if let Some(name) = &r.output {
                taken.insert(name.clone(), r.input.clone());
            }
        }
    }
    let done: HashSet<u64> = previous.iter().map(|r| r.seq).collect();
    let resumed = !previous.is_empty();
    // A resumed run may replace what the killed run left in its own folder.
    let replace = options.resume && manifest_path.exists();
    // Rewrite the manifest with the whole records only (a killed run may
    // have left half a line), then append.
    rewrite_manifest(&manifest_path, &previous)?;
    let mut manifest_out =
        manifest::Appender::open(&manifest_path).map_err(|source| BatchError::Output {
            path: manifest_path.clone(),
            source,
        })?;

    let jobs = options.jobs.max(1);
    let to_sink = sink.is_some();
    let group_size = sink.as_ref().map_or(1, |s| s.group().max(1));
    let stop = AtomicBool::new(false);
    let mut summary = Summary::default();
    let mut stopped: Option<String> = None;
    let mut retry: Option<Record> = None;
    let skipped = AtomicU64::new(0);
    let other_shards = AtomicU64::new(0);
    let shard = options.shard;
    // The requests this run renders: this shard's, not done before.
    let items = input::Reader::new(files.clone(), default_letter).filter(|item| {
        if shard.is_some_and(|s| !s.takes(item.seq)) {
            other_shards.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        if done.contains(&item.seq) {
            skipped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    });

    // Writer (this thread): manifest lines in input order.
    let stop_ref = &stop;
    let mut emit = |outcome: Outcome,
                    summary: &mut Summary,
                    stopped: &mut Option<String>,
                    retry: &mut Option<Record>| {
        if stopped.is_some() {
            return; // not done: said in the error, absent from the manifest
        }
        let (record, error, repeated) = match commit(outcome, out, &mut taken, replace) {
            Committed::Rendered(r) => (r, None, false),
            Committed::Failed(r, e, repeated) => (r, Some(e), repeated),
            Committed::DiskFull(e) => {
                *stopped = Some(e);
                stop_ref.store(true, Ordering::Relaxed);
                return;
            }
        };
        // Flushed line by line: after a kill, every letter in place is
        // in the manifest but the one being committed. A line that
        // cannot be written whole is taken back, so the manifest stays
        // parseable, and the run stops.
        if let Err(e) = manifest_out.append(&record) {
            *stopped = Some(format!("cannot write {}: {e}", manifest_path.display()));
            stop_ref.store(true, Ordering::Relaxed);
            // Tried once more when the read-ahead letters' temp files
            // are gone (on a full disk they may hold the room it needs).
            *retry = Some(record);
            return;
        }
        match record.status {
            Status::Rendered => summary.rendered += 1,
            Status::Failed => summary.failed += 1,
        }
        on_event(&Event {
            record: &record,
            error: error.as_ref(),
            repeated,
        });
    };
    // With a sink, outcomes wait in `group` (in order) until it holds
    // `group_size` letters; the sink takes them in one call, then their
    // manifest lines are written.
    let mut group: Vec<Outcome> = Vec::new();
    let mut in_group = 0usize;
    let mut flush = |group: &mut Vec<Outcome>,
                     summary: &mut Summary,
                     stopped: &mut Option<String>,
                     retry: &mut Option<Record>,
                     emit: &mut Emit<'_>| {
        let outcomes = std::mem::take(group);
        let Some(sink) = sink.as_mut() else {
            for o in outcomes {
                emit(o, summary, stopped, retry);
            }
            return;
        };
        if stopped.is_some() {
            return;
        }
        let mut letters = Vec::new();
        let mut records = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            match o {
                Outcome::Sunk(mut record, letter) => {
                    record.sha256 = Some(letter.pdf_sha256.clone());
                    letters.push(*letter);
                    records.push(Ok(record));
                }
                other => records.push(Err(other)),
            }
        }
        // An empty group (all taken at an idle moment, or a run of an exact
        // number of groups) is not handed over: no transaction for nothing.
        let answers = if letters.is_empty() {
            Vec::new()
        } else {
            match sink.accept(letters) {
                Ok(a) => a,
                Err(e) => {
                    *stopped = Some(e);
                    stop_ref.store(true, Ordering::Relaxed);
                    return;
                }
            }
        };
        let mut answers = answers.into_iter();
        for r in records {
            match r {
                Ok(mut record) => match answers.next() {
                    Some(Ok(id)) => {
                        record.queued = Some(id);
                        emit(Outcome::Queued(record), summary, stopped, retry);
                    }
                    Some(Err(message)) => {
                        let e = ItemError::Refused {
                            location: record.input.clone(),
                            message,
                        };
                        let record = Record {
                            pages: None,
                            bytes: None,
                            sha256: None,
                            request_sha256: None,
                            status: Status::Failed,
                            error: Some(e.to_string()),
                            ..record
                        };
                        emit(Outcome::Failed(record, e, false), summary, stopped, retry);
                    }
                    None => {
                        *stopped = Some("the outbox did not answer for every letter".into());
                        stop_ref.store(true, Ordering::Relaxed);
                        return;
                    }
                },
                Err(o) => emit(o, summary, stopped, retry),
            }
        }
    };
    // The streaming core renders on `jobs` threads and hands the outcomes
    // over in input order; a full disk or a failing sink stops it. With a
    // sink, room for two more groups: the workers go on rendering while the
    // writer hands a group to the sink.
    let window = jobs * CHUNK * 2 + if to_sink { 2 * group_size } else { 0 };
    // Unnamed files stay open until their letter is put in place: at most
    // the window's letters, three files each for braille.
    let unnamed =
        !to_sink && window * 3 <= MAX_OPEN_PENDING && crate::files::unnamed_files_work(out);
    stream::ordered_steps(
        items,
        jobs,
        CHUNK,
        window,
        &stop,
        |item| render_guarded(engine, &item, out, default_letter, to_sink, unnamed),
        |step| {
            let hand_over = match step {
                stream::Step::Item(o) if !to_sink => {
                    emit(o, &mut summary, &mut stopped, &mut retry);
                    return;
                }
                stream::Step::Item(o) => {
                    if matches!(o, Outcome::Sunk(..)) {
                        in_group += 1;
                    }
                    group.push(o);
                    in_group >= group_size
                }
                // Nothing to take until a worker finishes a chunk: a group
                // of at least a chunk goes to the sink now instead of
                // waiting to be full, so the sink works while the workers
                // render (and less is left for it after the last letter).
                // When the sink is the slower side, results are always
                // waiting and groups grow to `group_size`.
                stream::Step::Idle => in_group >= CHUNK.min(group_size),
            };
            if hand_over {
                in_group = 0;
                flush(
                    &mut group,
                    &mut summary,
                    &mut stopped,
                    &mut retry,
                    &mut emit,
                );
            }
        },
    );
    flush(
        &mut group,
        &mut summary,
        &mut stopped,
        &mut retry,
        &mut emit,
    );
    summary.skipped = skipped.into_inner();
    summary.other_shards = other_shards.into_inner();
    if let Some(record) = retry.take() {
        // Every other temp file is gone now: one more try for this line.
        match manifest_out.append(&record) {
            Ok(()) => summary.rendered += 1,
            Err(_) => {
                if let Some(name) = &record.output {
                    let _ = fs::remove_file(out.join(name));
                }
            }
        }
    }
    drop(manifest_out);
    if let Some(cause) = stopped {
        return Err(BatchError::Stopped { summary, cause });
    }
    if resumed {
        // A resumed run appended after the earlier records; put the whole
        // manifest back in input order.
        let mut records = manifest::read_valid(&manifest_path);
        records.sort_by_key(|r| r.seq);
        rewrite_manifest(&manifest_path, &records)?;
    }
    Ok(summary)
}
