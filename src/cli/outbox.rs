//! `letterkit outbox`: queue letters, cancel until the cut-off, suppress
//! contact, review the day, close it into the print provider's zips,
//! reissue, record what the provider did, purge.
//!
//! The clock is read here, at the edge (or taken from `--now`); the library
//! never reads it.

use std::path::{Path, PathBuf};

use letterkit::Engine;
use letterkit::outbox::calendar::{Date, Region, Time, Timestamp};
use letterkit::outbox::store::Filter;
use letterkit::outbox::{
    self, Actor, LetterRecord, Outbox, OutboxError, Postage, Queued, State, SuppressReason, close,
    day_words, when,
};
use serde_json::{Value, json};

use super::output::{errln, outln};
use super::{CONFIG_ERROR, INPUT_FAILED, OK, print_error, print_error_message};

/// The default outbox file, in the current folder.
pub const DEFAULT_FILE: &str = "outbox.sqlite";

/// Where the outbox is and who acts when: shared by every outbox verb.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// The outbox: a SQLite file or postgres://... (default: $LETTERKIT_OUTBOX, else outbox.sqlite here).
    #[arg(long, global = true, value_name = "FILE")]
    outbox: Option<PathBuf>,
    /// The time to act at, e.g. 2026-03-02T16:05:00Z or 2026-03-02T16:05
    /// (Europe/London) (default: now). For tests and replays.
    #[arg(long, global = true, value_name = "TIME")]
    now: Option<String>,
    /// Officer id recorded in the history (default: $LETTERKIT_OFFICER, else
    /// $USER). Never a client's details.
    #[arg(long, global = true, value_name = "OFFICER")]
    by: Option<String>,
}

/// The outbox: every letter made, from queueing to the print provider.
#[derive(clap::Args)]
#[command(
    after_help = "A letter is queued for the end-of-day transmission (cut-off 17:30 Europe/London on working \
days; after it, or on a weekend or bank holiday, the next working day's). Until that cut-off it may be cancelled. \
`close` hands the day to the print provider as zips (braille letters, carrier page with BRF and PEF, in zips of their own).

States: queued -> transmitted -> despatched | rejected | returned; cancelled, suppressed and superseded are final.

Examples:
  letterkit outbox add request.yaml --by AB1234
  letterkit batch tonight.jsonl --out run/ --outbox
  letterkit outbox list --day 2026-03-02 --state queued
  letterkit outbox cancel lk-3f2a9c01d4e5b6a7c8d9 --reason \"client phoned: meeting moved\" --by AB1234
  letterkit outbox suppress \"1234 5678 9012\" --reason client-death --by AB1234
  letterkit outbox review --day 2026-03-02
  letterkit outbox close --day 2026-03-02 --out transmission/
  letterkit outbox reissue lk-3f2a9c01d4e5b6a7c8d9 --reason \"client did not receive it\" --by AB1234
  letterkit outbox braille lk-3f2a9c01d4e5b6a7c8d9 --out emboss/
  letterkit outbox import despatched provider-2026-03-03.csv"
)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(clap::Subcommand)]
enum Verb {
    /// Render requests and queue them; prints each letter's id, transmission and cancellable-until.
    Add(AddArgs),
    /// List letters (no client data: ids, codes, states, days).
    List(ListArgs),
    /// One letter with its history.
    Show(IdArgs),
    /// Write a letter's PDF (a braille letter's: its carrier page).
    Pdf(PdfArgs),
    /// Write a braille letter's BRF and PEF (ID.brf, ID.pef) into a folder.
    Braille(BrailleArgs),
    /// Cancel queued letters before their cut-off (all or nothing).
    Cancel(CancelArgs),
    /// Suppress contact with a client: their queued letters are suppressed, new ones refused.
    Suppress(SuppressArgs),
    /// End a client's suppression.
    Unsuppress(UnsuppressArgs),
    /// List suppressions with their history.
    Suppressions(JsonArgs),
    /// Same-day review: clients with more than one letter in one transmission.
    Review(ReviewArgs),
    /// The end-of-day transmission: queued letters into the provider's zips.
    Close(CloseArgs),
    /// Reissue a sent letter as an exact copy behind a covering letter.
    Reissue(ReissueArgs),
    /// Record the provider's despatched, rejected or returned letters (CSV or JSON Lines).
    Import(ImportArgs),
    /// Delete the PDFs and requests of old letters, keeping their records.
    Purge(PurgeArgs),
    /// Show or change the cut-off, the bank-holiday region and the file prefix.
    Config(ConfigArgs),
    /// Show or record the format a client's letters are made in (large print, braille).
    Client(ClientArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Standard,
    LargePrint,
    Braille,
}

#[derive(clap::Args)]
#[command(
    after_help = "A recorded format applies when the client's letters are queued (add, batch --outbox); a request \
that names a format other than standard wins.

Examples:
  letterkit outbox client \"1234 5678 9012\" --format large-print --size 20 --reason \"client asked by phone\"
  letterkit outbox client \"1234 5678 9012\""
)]
struct ClientArgs {
    /// The client's reference.
    reference: String,
    /// Record this format (without it: show the recorded one and its history).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<FormatArg>,
    /// Large print: points, 16 to 28 (default 16).
    #[arg(long, value_name = "PT", requires = "format")]
    size: Option<u8>,
    /// Braille: grade 1 or 2 (default 2).
    #[arg(long, value_name = "N", requires = "format")]
    grade: Option<u8>,
    /// Braille: page profile a4 or book (default a4).
    #[arg(long, value_name = "PROFILE", requires = "format")]
    profile: Option<String>,
    /// Why (kept in the history).
    #[arg(long, value_name = "TEXT", requires = "format")]
    reason: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct AddArgs {
    /// Request files (YAML or JSON).
    #[arg(required = true, value_name = "REQUEST")]
    requests: Vec<PathBuf>,
    /// Postage class for these letters (default: each definition's).
    #[arg(long, value_name = "CLASS")]
    postage: Option<Postage>,
    /// Say what would be queued and superseded, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ListArgs {
    /// Letters of the transmission of this working day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    day: Option<Date>,
    /// Letters in this state.
    #[arg(long, value_name = "STATE")]
    state: Option<State>,
    /// Letters to the client with this reference.
    #[arg(long, value_name = "REFERENCE")]
    reference: Option<String>,
    /// Letters of this batch.
    #[arg(long, value_name = "BATCH-ID")]
    batch: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct IdArgs {
    /// The letter's id.
    id: String,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct JsonArgs {
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct PdfArgs {
    /// The letter's id.
    id: String,
    /// The file to write (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  letterkit outbox braille lk-3f2a9c01d4e5b6a7c8d9 --out emboss/")]
struct BrailleArgs {
    /// The letter's id.
    id: String,
    /// The folder to write ID.brf and ID.pef into (made if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// Replace the files if they exist.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct CancelArgs {
    /// Letter ids.
    #[arg(value_name = "ID", required_unless_present = "batch")]
    ids: Vec<String>,
    /// Cancel every letter of this batch still to go.
    #[arg(long, value_name = "BATCH-ID", conflicts_with = "ids")]
    batch: Option<String>,
    /// Why (kept in the history; no client details).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct SuppressArgs {
    /// The client's reference.
    reference: String,
    /// Why: client-death, child-death, safeguarding, address-unknown, client-request or other.
    #[arg(long, value_name = "CODE")]
    reason: SuppressReason,
    /// The last day the suppression applies (default: until unsuppressed).
    #[arg(long, value_name = "DATE")]
    until: Option<Date>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct UnsuppressArgs {
    /// The client's reference.
    reference: String,
    /// Why (kept in the history).
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

#[derive(clap::Args)]
struct ReviewArgs {
    /// The transmission's working day (default: today's open transmission).
    #[arg(long, value_name = "DATE")]
    day: Option<Date>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CloseArgs {
    /// The transmission's working day (default: today, once its cut-off has passed).
    #[arg(long, value_name = "DATE")]
    day: Option<Date>,
    /// Folder for the zips, their manifests and the day summary.
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ReissueArgs {
    /// The letter to reissue.
    id: String,
    /// Why (kept in the history of both letters).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportKind {
    Despatched,
    Rejected,
    Returned,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// What the file records.
    #[arg(value_enum)]
    kind: ImportKind,
    /// CSV with `id` and `date` columns (and optionally `reason`), or JSON Lines (.jsonl).
    file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct PurgeArgs {
    /// Purge letters whose last change is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    older_than: u32,
}

#[derive(clap::Args)]
struct ConfigArgs {
    /// Bank holidays of: england-and-wales, scotland or northern-ireland.
    #[arg(long, value_name = "REGION")]
    region: Option<Region>,
    /// Cut-off, HH:MM Europe/London.
    #[arg(long, value_name = "HH:MM")]
    cutoff: Option<String>,
    /// Prefix of the transmission's file names.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
}

/// A failure: its message is printed, then the exit code returned.
struct Fail(i32);

fn usage(msg: impl std::fmt::Display) -> Fail {
    print_error_message(msg);
    Fail(CONFIG_ERROR)
}

fn failed(e: &OutboxError) -> Fail {
    match e {
        OutboxError::Refused(list) => {
            for r in list {
                print_error_message(&r.message);
            }
            Fail(INPUT_FAILED)
        }
        OutboxError::Store(_) => {
            print_error(e);
            Fail(CONFIG_ERROR)
        }
        _ => {
            print_error(e);
            Fail(INPUT_FAILED)
        }
    }
}

impl Common {
    /// The outbox file: `--outbox`, else `$LETTERKIT_OUTBOX`, else
    /// `outbox.sqlite` in the current folder.
    pub fn path(&self) -> PathBuf {
        self.outbox
            .clone()
            .or_else(|| std::env::var_os("LETTERKIT_OUTBOX").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_FILE))
    }

    fn open(&self) -> Result<Outbox, Fail> {
        open_at(&self.path())
    }

    fn now(&self) -> Result<Timestamp, Fail> {
        match &self.now {
            Some(t) => parse_now(t).map_err(usage),
            None => Ok(Timestamp::now()),
        }
    }

    fn actor(&self) -> Result<Actor, Fail> {
        let by = self
            .by
            .clone()
            .or_else(|| std::env::var("LETTERKIT_OFFICER").ok())
            .or_else(|| std::env::var("USER").ok())
            .ok_or_else(|| usage("give the officer id with --by (or set LETTERKIT_OFFICER)"))?;
        outbox::check_officer(&by).map_err(|e| usage(format!("--by: {e}")))?;
        Ok(Actor::new(by, self.now()?))
    }
}

/// Opens (or makes) the outbox at `path`: a SQLite file, or a PostgreSQL
/// database when it is a `postgres://` URL.
fn open_at(path: &Path) -> Result<Outbox, Fail> {
    Outbox::open_location(&path.to_string_lossy()).map_err(|e| {
        print_error(&e);
        Fail(CONFIG_ERROR)
    })
}

/// `--now`: an instant (`2026-03-02T16:05:00Z`, `+01:00`), or a civil time
/// read in Europe/London (`2026-03-02T16:05`).
pub fn parse_now(t: &str) -> Result<Timestamp, String> {
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    t.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| {
            outbox::calendar::london()
                .to_ambiguous_timestamp(dt)
                .compatible()
                .ok()
        })
        .ok_or_else(|| {
            format!(
                "--now `{t}` is not a time: write 2026-03-02T16:05:00Z (UTC), 2026-03-02T17:05:00+01:00, or 2026-03-02T16:05 (Europe/London)"
            )
        })
}

fn check_reason(reason: &str) -> Result<(), Fail> {
    if reason.trim().is_empty() {
        return Err(usage("--reason: say why (the history keeps it)"));
    }
    if reason.chars().count() > 500 || reason.contains(['\n', '\r']) {
        return Err(usage("--reason: one line of at most 500 characters"));
    }
    Ok(())
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let r = match args.verb {
        Verb::Add(a) => add(&args.common, a, catalog),
        Verb::List(a) => list(&args.common, a),
        Verb::Show(a) => show(&args.common, a),
        Verb::Pdf(a) => pdf(&args.common, a),
        Verb::Braille(a) => braille(&args.common, a),
        Verb::Cancel(a) => cancel(&args.common, a),
        Verb::Suppress(a) => suppress(&args.common, a),
        Verb::Unsuppress(a) => unsuppress(&args.common, a),
        Verb::Suppressions(a) => suppressions(&args.common, a),
        Verb::Review(a) => review(&args.common, a),
        Verb::Close(a) => close_day(&args.common, a),
        Verb::Reissue(a) => reissue(&args.common, a, catalog),
        Verb::Import(a) => import(&args.common, a),
        Verb::Purge(a) => purge(&args.common, a),
        Verb::Config(a) => config(&args.common, a),
        Verb::Client(a) => client(&args.common, a),
    };
    match r {
        Ok(code) => code,
        Err(Fail(code)) => code,
    }
}

/// A letter as JSON; the reference only where asked for (`show`).
pub fn letter_json(l: &LetterRecord, with_reference: bool) -> Value {
    let mut v = json!({
        "id": l.id,
        "code": l.code,
        "state": l.state.as_str(),
        "state_at": l.state_at.to_string(),
        "transmission": l.transmission.to_string(),
        "cancellable_until": l.cancellable_until.to_string(),
        "created_at": l.created_at.to_string(),
        "pages": l.pages,
        "sheets": l.sheets,
        "postage": l.postage.as_str(),
        "pdf_sha256": l.pdf_sha256,
        "pdf_bytes": l.pdf_bytes,
        "request_sha256": l.request_sha256,
        "catalog_digest": l.catalog_digest,
        "version": l.version,
        "batch": l.batch,
        "reissue_of": l.reissue_of,
        "zip": l.zip.as_ref().map(|z| z.0.clone()),
        "purged_at": l.purged_at.map(|t| t.to_string()),
        "braille": l.braille.as_ref().map(|b| {
            let (brf, pef) = close::braille_entry_names(l);
            json!({
                "format": b.format,
                "braille_pages": b.pages,
                "brf": {"name": brf, "bytes": b.brf_bytes, "sha256": b.brf_sha256},
                "pef": {"name": pef, "bytes": b.pef_bytes, "sha256": b.pef_sha256},
            })
        }),
    });
    if with_reference {
        v["reference"] = json!(l.reference);
    }
    v
}

/// The line printed for a queued letter.
pub fn queued_line(q: &Queued) -> String {
    queued_line_as(q, false)
}

/// As [`queued_line`]; `dry_run` says what would happen.
fn queued_line_as(q: &Queued, dry_run: bool) -> String {
    let l = &q.letter;
    if q.already && l.state != State::Queued {
        // The same letter was queued before and has moved on since.
        return format!(
            "already in the outbox, nothing added: {} ({}) is {} (transmission of {})",
            l.id,
            l.code,
            l.state,
            day_words(l.transmission)
        );
    }
    let (verb, sup) = match (q.already, dry_run) {
        (true, _) => ("already queued:", "superseded"),
        (false, false) => ("queued", "superseded"),
        (false, true) => ("would queue", "would supersede"),
    };
    let mut s = format!(
        "{verb} {} ({}) for the transmission of {}; cancellable until {}",
        l.id,
        l.code,
        day_words(l.transmission),
        when(l.cancellable_until)
    );
    for old in &q.superseded {
        s.push_str(&format!("\n  {sup} {old} (same client, same matter)"));
    }
    s
}

/// A queued letter as JSON.
pub fn queued_json(q: &Queued) -> Value {
    json!({
        "id": q.letter.id,
        "code": q.letter.code,
        "state": q.letter.state.as_str(),
        "transmission": q.letter.transmission.to_string(),
        "cancellable_until": q.letter.cancellable_until.to_string(),
        "pages": q.letter.pages,
        "sha256": q.letter.pdf_sha256,
        "already": q.already,
        "superseded": q.superseded,
    })
}

fn add(c: &Common, a: AddArgs, catalog: Option<&PathBuf>) -> Result<i32, Fail> {
    let actor = c.actor()?;
    let engine = super::load(catalog).map_err(Fail)?;
    let mut prepared = Vec::new();
    let mut origins = Vec::new();
    let mut code = OK;
    let mut ob = c.open()?;
    let translator = letterkit::braille::Liblouis::default();
    for path in &a.requests {
        let origin = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                print_error_message(format!("{origin}: cannot read: {e}"));
                code = INPUT_FAILED;
                continue;
            }
        };
        let request = match engine.parse_request(&text, &origin) {
            Ok(r) => r,
            Err(e) => {
                print_error_message(&e);
                code = INPUT_FAILED;
                continue;
            }
        };
        let recorded = ob.recorded_format(&request).map_err(|e| failed(&e))?;
        match outbox::prepare(&engine, &request, recorded, &translator, a.postage, None) {
            Ok(p) => {
                prepared.push(p);
                origins.push(origin);
            }
            Err(e @ OutboxError::Store(_)) => return Err(failed(&e)),
            Err(e) => {
                print_error_message(format!("{origin}: {e}"));
                code = INPUT_FAILED;
            }
        }
    }
    let results = ob
        .queue(prepared, &actor, a.dry_run)
        .map_err(|e| failed(&e))?;
    let mut docs = Vec::new();
    for (origin, r) in origins.iter().zip(&results) {
        match r {
            Ok(q) => {
                if a.json {
                    docs.push(queued_json(q));
                } else {
                    outln!("{}", queued_line_as(q, a.dry_run));
                }
            }
            Err(refusal) => {
                code = INPUT_FAILED;
                print_error_message(format!("{origin}: {}", refusal.message));
                if a.json {
                    docs.push(json!({"id": refusal.id, "refused": refusal.kind, "message": refusal.message}));
                }
            }
        }
    }
    if a.json {
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-add.v1", "dry_run": a.dry_run, "letters": docs})
        );
    } else if a.dry_run {
        errln!("dry run: nothing was queued or superseded");
    }
    Ok(code)
}

fn list(c: &Common, a: ListArgs) -> Result<i32, Fail> {
    let mut ob = c.open()?;
    let letters = ob
        .list(&Filter {
            day: a.day,
            state: a.state,
            reference_key: a.reference.as_deref().map(outbox::model::reference_key),
            batch: a.batch.clone(),
            ..Filter::default()
        })
        .map_err(|e| failed(&e))?;
    if a.json {
        let v: Vec<Value> = letters.iter().map(|l| letter_json(l, false)).collect();
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-list.v1", "letters": v})
        );
        return Ok(OK);
    }
    if letters.is_empty() {
        errln!("no letters");
        return Ok(OK);
    }
    let mut text = format!(
        "{:<24} {:<24} {:<12} {:<11} {:>5}  cancellable until\n",
        "id", "code", "state", "day", "pages"
    );
    for l in &letters {
        text.push_str(&format!(
            "{:<24} {:<24} {:<12} {:<11} {:>5}  {}\n",
            l.id,
            l.code,
            l.state.as_str(),
            l.transmission.to_string(),
            l.pages,
            if l.state == State::Queued {
                when(l.cancellable_until)
            } else {
                "-".to_owned()
            }
        ));
    }
    Ok(super::output::print_out(&text))
}

fn show(c: &Common, a: IdArgs) -> Result<i32, Fail> {
    let mut ob = c.open()?;
    let (l, history) = ob.show(&a.id).map_err(|e| failed(&e))?;
    if a.json {
        let h: Vec<Value> = history
            .iter()
            .map(|h| {
                json!({"at": h.at.to_string(), "by": h.by, "from": h.from.map(State::as_str), "to": h.to.as_str(), "reason": h.reason})
            })
            .collect();
        let mut v = letter_json(&l, true);
        v["history"] = Value::Array(h);
        let mut doc = json!({"schema": "letterkit.outbox-letter.v1"});
        if let (Some(d), Some(m)) = (doc.as_object_mut(), v.as_object()) {
            d.extend(m.clone());
        }
        outln!("{doc}");
        return Ok(OK);
    }
    let mut text = format!(
        "letter {}\n  code: {}\n  state: {} (since {})\n  transmission: {}\n  cancellable until: {}\n  pages: {} ({} sheets), postage {}\n  pdf sha256: {}\n  catalog sha256: {}\n",
        l.id,
        l.code,
        l.state,
        when(l.state_at),
        day_words(l.transmission),
        when(l.cancellable_until),
        l.pages,
        l.sheets,
        l.postage,
        l.pdf_sha256,
        l.catalog_digest
    );
    if let Some(b) = &l.braille {
        let (brf, pef) = close::braille_entry_names(&l);
        text.push_str(&format!(
            "  braille: {} ({} braille pages; the PDF is the carrier page; `outbox braille` writes them)\n    {brf}: {} bytes, sha256 {}\n    {pef}: {} bytes, sha256 {}\n",
            b.format, b.pages, b.brf_bytes, b.brf_sha256, b.pef_bytes, b.pef_sha256
        ));
    }
    if let Some(b) = &l.batch {
        text.push_str(&format!("  batch: {b}\n"));
    }
    if let Some(o) = &l.reissue_of {
        text.push_str(&format!("  reissue of: {o}\n"));
    }
    if let Some((z, k)) = &l.zip {
        text.push_str(&format!("  zip: {z} (entry {k})\n"));
    }
    if let Some(p) = l.purged_at {
        text.push_str(&format!("  purged at: {}\n", when(p)));
    }
    text.push_str("history:\n");
    for h in &history {
        text.push_str(&format!(
            "  {}  {:<12} {} -> {}: {}\n",
            when(h.at),
            h.by,
            h.from.map_or("-", State::as_str),
            h.to,
            h.reason
        ));
    }
    Ok(super::output::print_out(&text))
}

fn pdf(c: &Common, a: PdfArgs) -> Result<i32, Fail> {
    let mut ob = c.open()?;
    let bytes = ob.pdf(&a.id).map_err(|e| failed(&e))?;
    if a.out.as_os_str() == "-" {
        return Ok(super::print_stdout(&bytes));
    }
    write_file(&a.out, &bytes, a.force)?;
    Ok(OK)
}

/// Writes `bytes` at `path`: a new file, or with `force` a replaced one.
fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<(), Fail> {
    let written = if force {
        letterkit::files::write_atomic(path, bytes)
    } else {
        letterkit::files::write_new(path, bytes)
    };
    match written {
        Ok(()) => {
            if !super::verbosity().is_quiet() {
                errln!("wrote {}", path.display());
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(usage(format!(
            "{} already exists; add --force to replace it",
            path.display()
        ))),
        Err(e) => Err(usage(format!("cannot write {}: {e}", path.display()))),
    }
}

fn braille(c: &Common, a: BrailleArgs) -> Result<i32, Fail> {
    let mut ob = c.open()?;
    let files = ob.braille(&a.id).map_err(|e| failed(&e))?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| usage(format!("cannot make {}: {e}", a.out.display())))?;
    let brf = a.out.join(format!("{}.brf", a.id));
    let pef = a.out.join(format!("{}.pef", a.id));
    if !a.force {
        for p in [&brf, &pef] {
            if p.exists() {
                return Err(usage(format!(
                    "{} already exists; add --force to replace it",
                    p.display()
                )));
            }
        }
    }
    write_file(&brf, &files.brf, a.force)?;
    write_file(&pef, &files.pef, a.force)?;
    Ok(OK)
}

fn cancel(c: &Common, a: CancelArgs) -> Result<i32, Fail> {
    check_reason(&a.reason)?;
    let actor = c.actor()?;
    let mut ob = c.open()?;
    let done = match &a.batch {
        Some(b) => ob.cancel_batch(b, &a.reason, &actor),
        None => ob.cancel(&a.ids, &a.reason, &actor),
    };
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            let f = failed(&e);
            if matches!(e, OutboxError::Refused(_)) {
                errln!("nothing was cancelled");
            }
            return Err(f);
        }
    };
    if a.json {
        let v: Vec<Value> = done.iter().map(|l| letter_json(l, false)).collect();
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-cancel.v1", "cancelled": v})
        );
    } else {
        for l in &done {
            outln!("cancelled {} ({})", l.id, l.code);
        }
    }
    Ok(OK)
}

fn suppress(c: &Common, a: SuppressArgs) -> Result<i32, Fail> {
    let actor = c.actor()?;
    let mut ob = c.open()?;
    let ids = ob
        .suppress(&a.reference, a.reason, a.until, &actor)
        .map_err(|e| failed(&e))?;
    if a.json {
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-suppress.v1", "reason": a.reason.as_str(), "until": a.until.map(|d| d.to_string()), "suppressed": ids})
        );
    } else {
        let until = a.until.map_or_else(
            || "until unsuppressed".to_owned(),
            |d| format!("until {}", day_words(d)),
        );
        outln!(
            "contact suppressed (reason {}) {until}; {} queued letter{} suppressed",
            a.reason,
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        );
        for id in &ids {
            outln!("  suppressed {id}");
        }
    }
    Ok(OK)
}

fn unsuppress(c: &Common, a: UnsuppressArgs) -> Result<i32, Fail> {
    check_reason(&a.reason)?;
    let actor = c.actor()?;
    let mut ob = c.open()?;
    ob.unsuppress(&a.reference, &a.reason, &actor)
        .map_err(|e| failed(&e))?;
    outln!("contact is no longer suppressed; new letters will be queued");
    Ok(OK)
}

fn suppressions(c: &Common, a: JsonArgs) -> Result<i32, Fail> {
    let mut ob = c.open()?;
    let all = ob.suppressions().map_err(|e| failed(&e))?;
    if a.json {
        let v: Vec<Value> = all
            .iter()
            .map(|(s, h)| {
                json!({
                    "reference": s.reference, "reason": s.reason.as_str(), "since": s.since.to_string(),
                    "until": s.until.map(|d| d.to_string()), "by": s.by, "active": s.active,
                    "history": h.iter().map(|e| json!({"at": e.at.to_string(), "by": e.by, "action": e.action, "reason": e.reason, "until": e.until.map(|d| d.to_string())})).collect::<Vec<_>>(),
                })
            })
            .collect();
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-suppressions.v1", "suppressions": v})
        );
        return Ok(OK);
    }
    if all.is_empty() {
        errln!("no suppressions");
        return Ok(OK);
    }
    let mut text = String::new();
    for (s, h) in &all {
        text.push_str(&format!(
            "{}  {} ({})\n",
            s.reference,
            if s.active { "suppressed" } else { "ended" },
            s.reason
        ));
        for e in h {
            text.push_str(&format!(
                "  {}  {:<12} {}: {}{}\n",
                when(e.at),
                e.by,
                e.action,
                e.reason,
                e.until.map(|d| format!(" (until {d})")).unwrap_or_default()
            ));
        }
    }
    Ok(super::output::print_out(&text))
}

fn review(c: &Common, a: ReviewArgs) -> Result<i32, Fail> {
    let now = c.now()?;
    let mut ob = c.open()?;
    let day = match a.day {
        Some(d) => d,
        None => {
            let s = ob.settings().map_err(|e| failed(&e))?;
            outbox::calendar::Calendar::new(s.region, s.cutoff)
                .transmission_for(now)
                .day
        }
    };
    let groups = ob.review(day).map_err(|e| failed(&e))?;
    if a.json {
        let v: Vec<Value> = groups
            .iter()
            .map(|g| json!({"letters": g.letters.iter().map(|l| json!({"id": l.id, "code": l.code, "state": l.state.as_str()})).collect::<Vec<_>>()}))
            .collect();
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-review.v1", "transmission": day.to_string(), "groups": v})
        );
        return Ok(OK);
    }
    if groups.is_empty() {
        outln!(
            "no client has more than one letter in the transmission of {}",
            day_words(day)
        );
        return Ok(OK);
    }
    let mut text = format!(
        "{} client{} with more than one letter in the transmission of {} (procedure 004: consider cancelling some):\n",
        groups.len(),
        if groups.len() == 1 { "" } else { "s" },
        day_words(day)
    );
    for (k, g) in groups.iter().enumerate() {
        text.push_str(&format!("client {}:\n", k + 1));
        for l in &g.letters {
            text.push_str(&format!("  {:<24} {:<24} {}\n", l.id, l.code, l.state));
        }
    }
    Ok(super::output::print_out(&text))
}

/// For the kill tests only: `LETTERKIT_TEST_KILL_AT=N` kills the process
/// (SIGKILL) at close's N-th point: 1 once the store has committed, then
/// after each file is written. Unset, this does nothing.
fn kill_point(n: &mut u32) {
    *n += 1;
    let Some(v) = std::env::var_os("LETTERKIT_TEST_KILL_AT") else {
        return;
    };
    if v.to_string_lossy().parse() != Ok(*n) {
        return;
    }
    let _ = std::process::Command::new("kill")
        .arg("-KILL")
        .arg(std::process::id().to_string())
        .status();
    std::process::abort();
}

/// Writes `bytes` at `path` unless a file with exactly these bytes is there
/// already; a different file is never replaced. Returns whether it wrote.
fn put(path: &Path, bytes: &[u8]) -> Result<bool, Fail> {
    match std::fs::read(path) {
        Ok(old) if old == bytes => return Ok(false),
        Ok(_) => {
            return Err(usage(format!(
                "{} exists and differs from what this transmission holds; letterkit does not replace it: move it away and run close again",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(usage(format!("cannot read {}: {e}", path.display()))),
    }
    letterkit::files::write_new(path, bytes)
        .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
    Ok(true)
}

fn close_day(c: &Common, a: CloseArgs) -> Result<i32, Fail> {
    let actor = c.actor()?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| usage(format!("cannot make {}: {e}", a.out.display())))?;
    let _lock = letterkit::files::Lock::try_new(&a.out.join(".letterkit-outbox.lock"), &a.out)
        .map_err(|e| usage(e.to_string()))?;
    // Holding the lock, any temp file here is a killed close's.
    letterkit::files::remove_stale_temps(&a.out, None);
    let mut ob = c.open()?;
    let closed = ob.close(a.day, &actor).map_err(|e| failed(&e))?;
    let mut step = 0;
    kill_point(&mut step);
    let day = closed.closing.day;
    let mut written = 0;
    let mut files = Vec::new();
    for z in &closed.zips {
        let bytes = ob.zip_bytes(z, day).map_err(|e| failed(&e))?;
        if put(&a.out.join(&z.name), &bytes)? {
            written += 1;
        }
        kill_point(&mut step);
        if put(
            &a.out.join(z.manifest_name()),
            close::zip_manifest(z, day).as_bytes(),
        )? {
            written += 1;
        }
        kill_point(&mut step);
        files.push(json!({"zip": z.name, "manifest": z.manifest_name(), "postage": z.class.as_str(), "letters": z.letters.len()}));
    }
    let summary_name = close::summary_name(&closed.prefix, day);
    let summary = close::day_summary(&closed.closing, &closed.zips);
    if put(&a.out.join(&summary_name), summary.as_bytes())? {
        written += 1;
    }
    let letters: usize = closed.zips.iter().map(|z| z.letters.len()).sum();
    if a.json {
        outln!(
            "{}",
            json!({
                "schema": "letterkit.outbox-close.v1",
                "transmission": day.to_string(),
                "closed_at": closed.closing.closed_at.to_string(),
                "already_closed": closed.already,
                "letters": letters,
                "files_written": written,
                "zips": files,
                "summary": summary_name,
            })
        );
    } else if closed.already {
        outln!(
            "the transmission of {} was closed at {} by {}: nothing more transmitted; its {} zip{} ({} letter{}) {} in {} ({} file{} written again)",
            day_words(day),
            when(closed.closing.closed_at),
            closed.closing.by,
            closed.zips.len(),
            if closed.zips.len() == 1 { "" } else { "s" },
            letters,
            if letters == 1 { "" } else { "s" },
            if closed.zips.len() == 1 { "is" } else { "are" },
            a.out.display(),
            written,
            if written == 1 { "" } else { "s" }
        );
    } else {
        let per: Vec<String> = close::ZipClass::ALL
            .iter()
            .filter_map(|c| {
                let n: usize = closed
                    .zips
                    .iter()
                    .filter(|z| z.class == *c)
                    .map(|z| z.letters.len())
                    .sum();
                // Braille is named only on a day that has some.
                (n > 0 || *c != close::ZipClass::Braille).then(|| format!("{c} {n}"))
            })
            .collect();
        outln!(
            "closed the transmission of {}: {} letter{} transmitted ({}) in {} zip{}, in {}",
            day_words(day),
            letters,
            if letters == 1 { "" } else { "s" },
            per.join(", "),
            closed.zips.len(),
            if closed.zips.len() == 1 { "" } else { "s" },
            a.out.display()
        );
        for z in &closed.zips {
            let n = z.letters.len();
            outln!("  {} ({n} letter{})", z.name, if n == 1 { "" } else { "s" });
        }
        outln!("  {summary_name}");
    }
    Ok(OK)
}

fn reissue(c: &Common, a: ReissueArgs, catalog: Option<&PathBuf>) -> Result<i32, Fail> {
    check_reason(&a.reason)?;
    let actor = c.actor()?;
    let engine: Engine = super::load(catalog).map_err(Fail)?;
    let today = outbox::calendar::london().to_datetime(actor.now).date();
    let mut ob = c.open()?;
    let (q, source) = ob
        .reissue(&engine, &a.id, today, &a.reason, &actor)
        .map_err(|e| failed(&e))?;
    let how = match source {
        outbox::CopySource::Rendered => {
            "rendered again from the stored request: identical to the original"
        }
        outbox::CopySource::Stored => {
            "the stored PDF (the catalog has changed since, so a new render would differ)"
        }
        outbox::CopySource::Braille => {
            "a braille letter: its stored carrier page behind the covering letter, and its stored BRF and PEF unchanged"
        }
    };
    if a.json {
        let mut v = queued_json(&q);
        v["reissue_of"] = json!(a.id);
        v["copy"] = json!(source);
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-reissue.v1", "letter": v})
        );
    } else {
        outln!("{}", queued_line(&q));
        outln!(
            "  a covering letter dated {} and the copy of {} ({how}), {} pages in one mailpiece",
            day_words(today),
            a.id,
            q.letter.pages
        );
    }
    Ok(OK)
}

fn import(c: &Common, a: ImportArgs) -> Result<i32, Fail> {
    let actor = c.actor()?;
    let to = match a.kind {
        ImportKind::Despatched => State::Despatched,
        ImportKind::Rejected => State::Rejected,
        ImportKind::Returned => State::Returned,
    };
    let meta = std::fs::metadata(&a.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    if meta.len() > 256 * 1024 * 1024 {
        return Err(usage(format!(
            "{} is larger than 256 MiB",
            a.file.display()
        )));
    }
    let bytes = std::fs::read(&a.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(usage(format!(
            "{} is not UTF-8 text; save it as UTF-8 (in Excel: \"CSV UTF-8\")",
            a.file.display()
        )));
    };
    let json_lines = a
        .file
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    let origin = a.file.display().to_string();
    let (rows, problems) = outbox::import::parse(&text, json_lines);
    let mut ob = c.open()?;
    let mut report = ob
        .import(to, &rows, &origin, &actor)
        .map_err(|e| failed(&e))?;
    let mut all: Vec<String> = problems
        .iter()
        .map(|p| format!("{origin}:{}", p.message.trim_start_matches("line ")))
        .collect();
    all.append(&mut report.problems);
    for p in &all {
        print_error_message(p);
    }
    if a.json {
        outln!(
            "{}",
            json!({"schema": "letterkit.outbox-import.v1", "state": to.as_str(), "changed": report.changed, "already": report.already, "problems": all})
        );
    } else {
        outln!(
            "{} letter{} now {to}; {} already {to}; {} line{} not applied",
            report.changed,
            if report.changed == 1 { "" } else { "s" },
            report.already,
            all.len(),
            if all.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if all.is_empty() { OK } else { INPUT_FAILED })
}

fn purge(c: &Common, a: PurgeArgs) -> Result<i32, Fail> {
    let actor = c.actor()?;
    let mut ob = c.open()?;
    let ids = ob.purge(a.older_than, &actor).map_err(|e| failed(&e))?;
    outln!(
        "purged the PDFs and requests of {} letter{} (ids, codes, states, hashes and history kept)",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" }
    );
    Ok(OK)
}

fn client(c: &Common, a: ClientArgs) -> Result<i32, Fail> {
    use letterkit::request::format::{
        BrailleProfile, Grade, LetterFormat, MAX_LARGE_PRINT, MIN_LARGE_PRINT,
    };
    let mut ob = c.open()?;
    if let Some(f) = a.format {
        let format = match f {
            FormatArg::Standard => LetterFormat::Standard,
            FormatArg::LargePrint => {
                let size = a.size.unwrap_or(MIN_LARGE_PRINT);
                if !(MIN_LARGE_PRINT..=MAX_LARGE_PRINT).contains(&size) {
                    return Err(usage(format!(
                        "--size {size} is outside the range: large print is {MIN_LARGE_PRINT} to {MAX_LARGE_PRINT} points"
                    )));
                }
                LetterFormat::LargePrint { size }
            }
            FormatArg::Braille => LetterFormat::Braille {
                grade: match a.grade.unwrap_or(2) {
                    1 => Grade::One,
                    2 => Grade::Two,
                    g => return Err(usage(format!("--grade {g}: braille is grade 1 or 2"))),
                },
                profile: match a.profile.as_deref() {
                    None => BrailleProfile::A4,
                    Some(p) => BrailleProfile::parse(p).ok_or_else(|| {
                        usage(format!("--profile {p}: the profiles are a4 and book"))
                    })?,
                },
            },
        };
        let reason = a
            .reason
            .as_deref()
            .ok_or_else(|| usage("--reason: say why (the history keeps it)"))?;
        check_reason(reason)?;
        let actor = c.actor()?;
        ob.set_client_format(&a.reference, format, reason, &actor)
            .map_err(|e| failed(&e))?;
        if !a.json {
            outln!("this client's letters are now made in {format}");
            return Ok(OK);
        }
    }
    let (format, history) = ob.client_format(&a.reference).map_err(|e| failed(&e))?;
    if a.json {
        outln!(
            "{}",
            json!({
                "schema": "letterkit.outbox-client.v1",
                "format": format.map(outbox::format_code),
                "history": history.iter().map(|(at, by, f, reason)| json!({"at": at.to_string(), "by": by, "format": f, "reason": reason})).collect::<Vec<_>>(),
            })
        );
        return Ok(OK);
    }
    let mut text = format!(
        "format: {}\n",
        format.map_or_else(|| "none recorded (standard)".to_owned(), |f| f.to_string())
    );
    for (at, by, f, reason) in &history {
        text.push_str(&format!("  {}  {by:<12} {f}: {reason}\n", when(*at)));
    }
    Ok(super::output::print_out(&text))
}

fn config(c: &Common, a: ConfigArgs) -> Result<i32, Fail> {
    let cutoff = match &a.cutoff {
        None => None,
        Some(t) => Some(
            format!("{t}:00")
                .parse::<Time>()
                .ok()
                .filter(|_| t.len() == 5)
                .ok_or_else(|| usage(format!("--cutoff `{t}` is not a time HH:MM (24-hour)")))?,
        ),
    };
    let mut ob = c.open()?;
    let s = ob
        .configure(a.region, cutoff, a.prefix.as_deref())
        .map_err(|e| failed(&e))?;
    outln!(
        "cut-off {:02}:{:02} Europe/London; bank holidays of {}",
        s.cutoff.hour(),
        s.cutoff.minute(),
        s.region.title()
    );
    Ok(OK)
}
