//! `letterkit batch`: many requests, all cores, streamed and resumable.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use letterkit::batch::{self, Options, Shard, Status};

use super::{CONFIG_ERROR, INPUT_FAILED, OK, print_error};

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
    /// Worker threads (default: every core).
    #[arg(long, short, value_name = "N")]
    jobs: Option<usize>,
    /// Letter code for requests that do not give one.
    #[arg(long, value_name = "CODE")]
    letter: Option<String>,
    /// Finish an interrupted run: skip the letters its manifest shows as done.
    #[arg(long)]
    resume: bool,
    /// Render only share K of N (by input position), e.g. 2/3.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Print every problem of a failing request, not just the first (messages
    /// never quote names, addresses, postcodes or references).
    #[arg(long)]
    all_problems: bool,
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
        eprintln!(
            "error: --letter {code}: unknown letter; the catalog has: {}",
            engine.catalog().letter_codes()
        );
        return CONFIG_ERROR;
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if jobs == 0 {
        eprintln!("error: --jobs must be at least 1");
        return CONFIG_ERROR;
    }
    let options = Options {
        out: args.out.clone(),
        jobs,
        shard: args.shard,
        resume: args.resume,
        default_letter: args.letter.clone(),
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
    let result = batch::run(&engine, &args.inputs, &options, |ev| {
        done += 1;
        if ev.record.status == Status::Failed {
            failed += 1;
            let text = if args.all_problems {
                ev.error.unwrap_or_default().to_owned()
            } else {
                ev.record.error.clone().unwrap_or_default()
            };
            let msg = format!("failed: {text}");
            match &bar {
                Some(pb) => pb.println(msg),
                None => eprintln!("{msg}"),
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
            eprintln!("progress: {done} done, {failed} failed, {rate:.0} letters/s");
        }
    });
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    match result {
        Ok(s) => {
            let secs = start.elapsed().as_secs_f64();
            if !quiet || s.failed > 0 {
                let mut line = format!(
                    "rendered {}, failed {}, skipped {} (already done)",
                    s.rendered, s.failed, s.skipped
                );
                if let Some(sh) = args.shard {
                    line.push_str(&format!(
                        ", {} in other shards than {}/{}",
                        s.other_shards, sh.index, sh.count
                    ));
                }
                line.push_str(&format!(" in {secs:.1}s"));
                eprintln!("{line}");
            }
            if s.failed > 0 { INPUT_FAILED } else { OK }
        }
        Err(e @ batch::BatchError::Input(_)) | Err(e @ batch::BatchError::NotEmpty(_)) => {
            print_error(&e);
            CONFIG_ERROR
        }
        Err(e) => {
            print_error(&e);
            INPUT_FAILED
        }
    }
}
