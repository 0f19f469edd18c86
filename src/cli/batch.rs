//! `letterkit batch`: many requests, all cores, streamed and resumable.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use letterkit::batch::{self, Options, Shard, Status};

use super::output::{errln, outln};
use super::{CONFIG_ERROR, INPUT_FAILED, OK, print_error};

/// Most worker threads `--jobs` takes.
const MAX_JOBS: usize = 256;
/// Problems of one failing request printed without `--all-problems`.
const PROBLEMS_SHOWN: usize = 5;

/// Render a batch of requests: folders, JSON Lines files and CSV files.
#[derive(clap::Args)]
#[command(after_help = "Inputs:
  FOLDER        every .yaml/.yml/.json request, .jsonl and .csv file below it, in name order
  FILE.jsonl    one JSON request a line
  FILE.csv      one letter a row; columns named by field path: id, letter, date, reference,
                recipient.name, recipient.address.1 .. .5, recipient.postcode, fields.<name>,
                optional (ids separated by ;). Give the letter code with --letter if no column has it.

Output: one PDF per request, named <id>.pdf (or pos-<position>.pdf without an id), written to a
temporary file and renamed; manifest.jsonl records input location, output file, letter code,
pages, bytes, SHA-256 and status, in input order.

Exit code: 0 all rendered, 1 some requests failed (each is reported and skipped), 2 usage.

Examples:
  letterkit batch requests/ --out out/
  letterkit batch tonight.jsonl extra.csv --letter CMSL5502 --out out/ --jobs 2
  letterkit batch tonight.jsonl --out out/ --resume          (after a crash: finish the job)
  letterkit batch tonight.jsonl --out out/part2 --shard 2/3   (this machine's third)")]
pub struct Args {
    /// Request folders, JSON Lines files (.jsonl) or CSV files (.csv).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// Worker threads, 1 to 256 (default: every core).
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_JOBS as i64))]
    jobs: Option<u16>,
    /// Letter code for requests that do not give one.
    #[arg(long, value_name = "CODE")]
    letter: Option<String>,
    /// Finish an interrupted run: skip the letters its manifest shows as done.
    #[arg(long)]
    resume: bool,
    /// Render only share K of N (by input position), e.g. 2/3.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Print every problem of a failing request, not just the first five
    /// (messages never quote names, addresses, postcodes or references).
    #[arg(long)]
    all_problems: bool,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Queue the letters in the outbox instead of writing PDF files (--out then
    /// holds the manifest): `--outbox` alone uses $LETTERKIT_OUTBOX, else
    /// outbox.sqlite here; `--outbox=FILE` names the file.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true)]
    outbox: Option<Option<PathBuf>>,
    /// With --outbox: the batch id the letters record (default: b- and the
    /// start time; a resumed run keeps its first id).
    #[arg(long, value_name = "BATCH-ID", requires = "outbox")]
    batch_id: Option<String>,
    /// With --outbox: postage class for every letter (default: each definition's).
    #[arg(long, value_name = "CLASS", requires = "outbox")]
    postage: Option<letterkit::outbox::Postage>,
    /// With --outbox: the time to queue at (default: now, read once per group of letters).
    #[arg(long, value_name = "TIME", requires = "outbox")]
    now: Option<String>,
    /// With --outbox: officer id for the history (default: $LETTERKIT_OFFICER, else $USER).
    #[arg(long, value_name = "OFFICER", requires = "outbox")]
    by: Option<String>,
}

/// The file in a `batch --outbox` output folder that keeps the batch id.
const BATCH_ID_FILE: &str = ".letterkit-outbox-batch";

/// What `batch --outbox` needs, checked before anything runs.
struct ToOutbox {
    outbox: letterkit::outbox::Outbox,
    batch: String,
    by: String,
    now: Option<letterkit::outbox::calendar::Timestamp>,
}

fn to_outbox(args: &Args) -> Result<Option<ToOutbox>, String> {
    let Some(path) = &args.outbox else {
        return Ok(None);
    };
    let path = match path {
        Some(p) => p.clone(),
        None => std::env::var_os("LETTERKIT_OUTBOX")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(super::outbox::DEFAULT_FILE)),
    };
    let now = args
        .now
        .as_deref()
        .map(super::outbox::parse_now)
        .transpose()?;
    let by = args
        .by
        .clone()
        .or_else(|| std::env::var("LETTERKIT_OFFICER").ok())
        .or_else(|| std::env::var("USER").ok())
        .ok_or("give the officer id with --by (or set LETTERKIT_OFFICER)")?;
    letterkit::outbox::check_officer(&by).map_err(|e| format!("--by: {e}"))?;
    let kept = std::fs::read_to_string(args.out.join(BATCH_ID_FILE))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let batch = match (&args.batch_id, kept) {
        (Some(b), Some(k)) if args.resume && *b != k => {
            return Err(format!(
                "--batch-id {b}: the run being resumed queued its letters as batch {k}"
            ));
        }
        (Some(b), _) => b.clone(),
        (None, Some(k)) if args.resume => k,
        (None, _) => {
            let t = now.unwrap_or_else(letterkit::outbox::calendar::Timestamp::now);
            format!("b-{}", t.strftime("%Y%m%dT%H%M%SZ"))
        }
    };
    letterkit::outbox::check_officer(&batch)
        .map_err(|_| "--batch-id: 1 to 64 letters, digits, `.`, `_`, `-` or `@`".to_owned())?;
    let outbox = letterkit::outbox::Outbox::open_location(&path.to_string_lossy())
        .map_err(|e| e.to_string())?;
    Ok(Some(ToOutbox {
        outbox,
        batch,
        by,
        now,
    }))
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if let Some(code) = &args.letter
        && engine.catalog().letter(code).is_none()
    {
        errln!(
            "error: --letter {code}: unknown letter; the catalog has: {}",
            engine.catalog().letter_codes()
        );
        return CONFIG_ERROR;
    }
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        usize::from,
    );
    let mut options = Options::new(args.out.clone());
    options.jobs = jobs;
    options.shard = args.shard;
    options.resume = args.resume;
    options.default_letter = args.letter.clone();
    let mut queue = match to_outbox(&args) {
        Ok(q) => q,
        Err(e) => {
            super::print_error_message(e);
            return CONFIG_ERROR;
        }
    };
    let quiet = super::verbosity().is_quiet();
    let terminal = std::io::stderr().is_terminal() && !quiet;
    let bar = terminal.then(|| {
        let total = batch::input::files(&args.inputs, Some(&args.out))
            .map(|f| batch::input::count(&f))
            .unwrap_or(0);
        let total = match args.shard {
            Some(s) => total.div_ceil(s.count),
            None => total,
        };
        let pb = indicatif::ProgressBar::new(total);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} letters  {rate}  {eta} left  {msg}",
            )
            .map(|s| {
                s.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} letters/s", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let start = Instant::now();
    let mut last_line = Instant::now();
    let (mut done, mut failed) = (0u64, 0u64);
    // With --json the queued letters go into the summary document; with
    // --quiet there is no line per letter, as there is none per file.
    let queued_docs = std::cell::RefCell::new(Vec::new());
    let mut on_queued = |q: &letterkit::outbox::Queued| {
        if args.json {
            queued_docs.borrow_mut().push(super::outbox::queued_json(q));
        } else if !quiet {
            outln!("{}", super::outbox::queued_line(q));
        }
    };
    let mut clock = {
        let fixed = queue.as_ref().and_then(|q| q.now);
        move || fixed.unwrap_or_else(letterkit::outbox::calendar::Timestamp::now)
    };
    let translator = letterkit::braille::Liblouis::default();
    let mut sink = queue.as_mut().map(|q| letterkit::outbox::BatchSink {
        outbox: &mut q.outbox,
        engine: &engine,
        by: q.by.clone(),
        clock: &mut clock,
        batch: q.batch.clone(),
        postage: args.postage,
        translator: &translator,
        on_queued: &mut on_queued,
    });
    if let Some(s) = &sink {
        // Kept for --resume; an earlier run's file stays while its manifest
        // does (batch refuses that folder without --resume anyway).
        let id_file = args.out.join(BATCH_ID_FILE);
        let earlier_run =
            std::fs::metadata(args.out.join(batch::MANIFEST)).is_ok_and(|m| m.len() > 0);
        let keep = id_file.exists() && (args.resume || earlier_run);
        if let Err(e) = std::fs::create_dir_all(&args.out).and_then(|()| {
            if keep {
                Ok(())
            } else {
                letterkit::files::write_atomic(&id_file, format!("{}\n", s.batch).as_bytes())
            }
        }) {
            super::print_error_message(format!("cannot write to {}: {e}", args.out.display()));
            return CONFIG_ERROR;
        }
        if !quiet {
            errln!("queueing in the outbox as batch {}", s.batch);
        }
    }
    let batch_name = sink.as_ref().map(|s| s.batch.clone());
    let sink_ref: Option<&mut dyn batch::Sink> = sink.as_mut().map(|s| s as &mut dyn batch::Sink);
    let result = batch::run_into(&engine, &args.inputs, &options, sink_ref, |ev| {
        done += 1;
        if ev.record.status == Status::Failed {
            failed += 1;
            let msg = failure_text(ev, args.all_problems);
            match &bar {
                Some(pb) => pb.println(msg),
                None => errln!("{msg}"),
            }
        }
        if let Some(pb) = &bar {
            pb.inc(1);
            if failed > 0 {
                pb.set_message(format!("{failed} failed"));
            }
        } else if !quiet && last_line.elapsed() >= Duration::from_secs(5) {
            last_line = Instant::now();
            let rate = done as f64 / start.elapsed().as_secs_f64().max(1e-9);
            errln!("progress: {done} done, {failed} failed, {rate:.0} letters/s");
        }
    });
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let secs = start.elapsed().as_secs_f64();
    match result {
        Ok(s) => {
            report(
                &args,
                &s,
                None,
                secs,
                batch_name.as_deref(),
                &queued_docs.borrow(),
            );
            if s.failed > 0 { INPUT_FAILED } else { OK }
        }
        Err(e @ batch::BatchError::Stopped { .. }) => {
            if let batch::BatchError::Stopped { summary, cause } = &e {
                report(
                    &args,
                    summary,
                    Some(cause),
                    secs,
                    batch_name.as_deref(),
                    &queued_docs.borrow(),
                );
            }
            print_error(&e);
            INPUT_FAILED
        }
        Err(
            e @ (batch::BatchError::Input(_)
            | batch::BatchError::NotEmpty(_)
            | batch::BatchError::OutIsInput(_)
            | batch::BatchError::Busy(_)
            | batch::BatchError::ResumeMismatch { .. }),
        ) => {
            print_error(&e);
            CONFIG_ERROR
        }
        Err(e) => {
            print_error(&e);
            INPUT_FAILED
        }
    }
}

/// The lines printed for a failed request: its problems (the first five
/// unless `all`), each on its own line.
fn failure_text(ev: &batch::Event<'_>, all: bool) -> String {
    let full = ev.error.map(ToString::to_string).unwrap_or_default();
    let lines: Vec<&str> = full.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return format!("failed: {}", ev.record.error.as_deref().unwrap_or_default());
    }
    let shown = if all || ev.repeated {
        lines.len()
    } else {
        lines.len().min(PROBLEMS_SHOWN)
    };
    let mut text = format!("failed: {}", lines[0]);
    for l in &lines[1..shown] {
        text.push_str("\n        ");
        text.push_str(l);
    }
    if shown < lines.len() {
        let more = lines.len() - shown;
        text.push_str(&format!(
            "\n        ... and {more} more problem{} (--all-problems shows them)",
            if more == 1 { "" } else { "s" }
        ));
    }
    text
}

/// The summary line (stderr) and, with `--json`, the summary document.
fn report(
    args: &Args,
    s: &batch::Summary,
    stopped: Option<&str>,
    secs: f64,
    queued_as: Option<&str>,
    queued: &[serde_json::Value],
) {
    if args.json {
        let mut doc = serde_json::json!({
            "schema": "letterkit.batch.v1",
            "rendered": s.rendered,
            "failed": s.failed,
            "skipped": s.skipped,
            "other_shards": s.other_shards,
            "manifest": args.out.join(batch::MANIFEST).display().to_string(),
        });
        if let Some(b) = queued_as {
            doc["outbox_batch"] = serde_json::Value::String(b.to_owned());
            doc["queued"] = serde_json::Value::Array(queued.to_vec());
        }
        if let Some(cause) = stopped {
            doc["stopped"] = serde_json::Value::String(cause.to_owned());
        }
        outln!("{doc}");
    }
    if !super::verbosity().is_quiet() || s.failed > 0 || stopped.is_some() {
        let mut line = match queued_as {
            Some(b) => format!(
                "queued {} in the outbox as batch {b}, failed {}, skipped {} (already done)",
                s.rendered, s.failed, s.skipped
            ),
            None => format!(
                "rendered {}, failed {}, skipped {} (already done)",
                s.rendered, s.failed, s.skipped
            ),
        };
        if let Some(sh) = args.shard {
            line.push_str(&format!(
                ", {} in other shards than {}/{}",
                s.other_shards, sh.index, sh.count
            ));
        }
        line.push_str(&format!(" in {secs:.1}s"));
        errln!("{line}");
    }
}
