//! `letterkit pack ...`: court packs built stage by stage (see docs/packs.md).
//!
//! This is the only place packs meet the filesystem: files are read here,
//! and a pack is always written to an exclusive temporary file beside its
//! target and renamed over it, so a refused or interrupted step leaves the
//! previous pack as it was. A command that changes a pack holds an
//! operating-system lock on it (`.<pack>.lock`, which dies with the
//! process) and removes the temporary files a killed command left.

use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use letterkit::Engine;
use letterkit::files::{self, Lock};
use letterkit::pack::bundle::{BundleOptions, bundle};
use letterkit::pack::data::key_spec;
use letterkit::pack::{
    Attach, Attachment, EntryStatus, Pack, PackError, PackKind, Procedures, Signature, Step,
    escape_control as clean, is_safe_entry_name,
};

use letterkit::request::Date;
use letterkit::request::tree::{self, Key, Node, Pos, Value};

use super::output::{errln, outln};
use super::{CONFIG_ERROR, INPUT_FAILED, OK, print_error};

/// Court packs: create one, take its steps in order, show, verify, bundle.
#[derive(clap::Args)]
#[command(
    after_help = "Steps of each kind: `letterkit pack steps KIND`. Walk-through: docs/packs.md.\n\nExamples:\n  letterkit pack create commitment pack.zip --date 2026-03-02 --data referral.yaml\n  letterkit pack step pack.zip hearing --date 2026-03-09 --data hearing.yaml\n  letterkit pack step pack.zip issued --date 2026-03-20 --set issue-date=2026-03-19\n  letterkit pack show pack.zip\n  letterkit pack verify pack.zip\n  letterkit pack bundle pack.zip --out bundle.pdf"
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Create(CreateArgs),
    Step(StepArgs),
    Show(ShowArgs),
    Verify(VerifyArgs),
    Bundle(BundleArgs),
    Extract(ExtractArgs),
    Steps(StepsArgs),
}

/// Where the pack password comes from (never the command line itself).
#[derive(clap::Args, Default)]
struct PasswordArgs {
    /// Read the pack password from environment variable VAR (WinZip AES-256).
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    password_env: Option<String>,
    /// Read the pack password from the first line of FILE (WinZip AES-256).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

impl PasswordArgs {
    /// The password, if one was asked for; `Err` is a usage error message.
    fn password(&self) -> Result<Option<Vec<u8>>, String> {
        if let Some(var) = &self.password_env {
            return match std::env::var(var) {
                Ok(p) if !p.is_empty() => Ok(Some(p.into_bytes())),
                Ok(_) => Err(format!("environment variable {var} is empty")),
                Err(_) => Err(format!("environment variable {var} is not set")),
            };
        }
        if let Some(file) = &self.password_file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read password file {}: {e}", file.display()))?;
            let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
            if line.is_empty() {
                return Err(format!("password file {} is empty", file.display()));
            }
            return Ok(Some(line.as_bytes().to_vec()));
        }
        Ok(None)
    }
}

/// The environment variable holding the office key that signs manifests.
const KEY_ENV: &str = "LETTERKIT_PACK_KEY";
/// The environment variable naming a file that holds the office key.
const KEY_FILE_ENV: &str = "LETTERKIT_PACK_KEY_FILE";
/// The shortest office key accepted, in bytes.
const MIN_KEY_BYTES: usize = 16;

/// Where the office key that signs the manifest comes from (never the
/// command line itself).
#[derive(clap::Args, Default)]
pub(super) struct KeyArgs {
    /// Read the office key that signs the manifest from FILE (its first line);
    /// otherwise from $LETTERKIT_PACK_KEY or the file named by $LETTERKIT_PACK_KEY_FILE.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
}

impl KeyArgs {
    /// The office key, if one is configured; `Err` is a usage error message.
    pub(super) fn key(&self) -> Result<Option<Vec<u8>>, String> {
        let from_file = |file: &Path, how: &str| -> Result<Vec<u8>, String> {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read the key file {} ({how}): {e}", file.display()))?;
            Ok(text
                .lines()
                .next()
                .unwrap_or("")
                .trim_end_matches('\r')
                .as_bytes()
                .to_vec())
        };
        let (key, how) = if let Some(file) = &self.key_file {
            (from_file(file, "--key-file")?, "--key-file".to_owned())
        } else if let Some(v) = std::env::var_os(KEY_ENV) {
            (
                v.to_string_lossy().into_owned().into_bytes(),
                format!("${KEY_ENV}"),
            )
        } else if let Some(f) = std::env::var_os(KEY_FILE_ENV) {
            let how = format!("${KEY_FILE_ENV}");
            (from_file(Path::new(&f), &how)?, how)
        } else {
            return Ok(None);
        };
        if key.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the office key from {how} is {} long; it must be at least {MIN_KEY_BYTES} bytes",
                count(key.len(), "byte", "bytes")
            ));
        }
        Ok(Some(key))
    }
}

/// "1 stage", "2 stages".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The data of a step: a YAML/JSON file and KEY=VALUE settings.
#[derive(clap::Args)]
struct DataArgs {
    /// Date of the step, YYYY-MM-DD (the stage date and the documents' date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: String,
    /// The step's data: a YAML or JSON mapping of keys (see `letterkit pack steps KIND`);
    /// `-` reads it from standard input.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Set one key (repeatable); overrides the same key in --data.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Attach a supporting document: a PDF, PNG or JPEG, at most 20 MiB (repeatable).
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Show personal data (names, file names) in error messages.
    #[arg(long)]
    personal_data: bool,
}

/// Start a pack with its first step (`create`).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit pack create commitment pack.zip --date 2026-03-02 --data referral.yaml\n  letterkit pack create county-court cc.zip --date 2026-03-02 --data referral.yaml --attach sr.png --attach statement.pdf\n  PACK_PASSWORD=... letterkit pack create liability-order lo.zip --date 2026-03-02 --data lo.yaml --password-env PACK_PASSWORD"
)]
struct CreateArgs {
    /// Kind of pack: commitment, liability-order, county-court, face-to-face.
    #[arg(value_parser = parse_kind)]
    kind: PackKind,
    /// The pack file to create (a .zip); it must not exist yet.
    pack: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// Print what the step did as JSON (schema letterkit.pack-step.v1).
    #[arg(long)]
    json: bool,
}

/// Take the next step of a pack.
#[derive(clap::Args)]
#[command(
    after_help = "`letterkit pack show PACK` says which steps may come next.\n\nExamples:\n  letterkit pack step pack.zip hearing --date 2026-03-09 --data hearing.yaml\n  letterkit pack step pack.zip issued --date 2026-03-20 --set issue-date=2026-03-19\n  letterkit pack step pack.zip outcome --date 2026-04-15 --set outcome=\"Suspended committal order\" --attach outcome.pdf\n\nSide steps, at any open stage:\n  letterkit pack step pack.zip court-fee --date 2026-03-06 --set fee-amount=85.00 --set fee-paid-on=2026-03-06\n  letterkit pack step pack.zip correct --date 2026-03-07 --set document=CMEL7211 --set amount-owed=2540.00 --set correction-reason=\"Amount mistyped\"\n  letterkit pack step pack.zip cancel --date 2026-03-09 --set cancel-reason=\"Paid in full\"\n  letterkit pack step f2f.zip rearrange --date 2026-03-10 --set changed-by=client --set meeting-date=2026-03-23 --set meeting-time=14:00\n  letterkit pack step f2f.zip attendance --date 2026-03-23 --set attendance=failed-to-attend"
)]
struct StepArgs {
    /// The pack file (a .zip made by `letterkit pack create`).
    pack: PathBuf,
    /// The step to take, e.g. hearing, issued, second-pv-check, outcome.
    step: String,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// Print what the step did as JSON (schema letterkit.pack-step.v1).
    #[arg(long)]
    json: bool,
}

/// Show a pack: its stage, documents and what comes next.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit pack show pack.zip\n  letterkit pack show pack.zip --personal-data\n  letterkit pack show pack.zip --json"
)]
struct ShowArgs {
    /// The pack file.
    pack: PathBuf,
    /// Print the manifest as JSON (it holds the step data, personal data included).
    #[arg(long)]
    json: bool,
    /// Show personal data (the case reference, names, addresses, notes).
    #[arg(long)]
    personal_data: bool,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    key: KeyArgs,
}

/// Verify a pack: every entry matches its SHA-256, nothing missing or extra.
#[derive(clap::Args)]
#[command(
    after_help = "Exit code 0: the pack is good; 1: it fails (each problem is listed).\nWith an office key ($LETTERKIT_PACK_KEY, $LETTERKIT_PACK_KEY_FILE or --key-file) the manifest's signature is checked too.\n\nExamples:\n  letterkit pack verify pack.zip\n  letterkit pack verify lo.zip --password-file ~/.pack-password\n  letterkit pack verify pack.zip --key-file ~/.pack-key --json"
)]
struct VerifyArgs {
    /// The pack file.
    pack: PathBuf,
    /// Print the result as JSON (schema letterkit.pack-verify.v1).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    key: KeyArgs,
}

/// Export a pack as one court bundle PDF: index, page numbers, bookmarks.
#[derive(clap::Args)]
#[command(
    after_help = "By default a court bundle holds the documents meant for the court and the supporting documents; letters to clients and internal records (PV check records, the SSST referral form) are left out and listed on the index page. A face-to-face pack's export holds every document.\n\nExamples:\n  letterkit pack bundle pack.zip --out bundle.pdf\n  letterkit pack bundle pack.zip --out bundle.pdf --include pv-check-record --exclude CMEL9180\n  letterkit pack bundle pack.zip --out bundle.pdf --include-superseded --force"
)]
struct BundleArgs {
    /// The pack file.
    pack: PathBuf,
    /// The PDF to write (never the pack itself; an existing file only with --force).
    #[arg(long, short)]
    out: PathBuf,
    /// Also include superseded documents (marked as such in the index).
    #[arg(long)]
    include_superseded: bool,
    /// Add documents to the default choice: a document code (e.g. pv-check-record) or an entry file (repeatable).
    #[arg(long, value_name = "CODE|FILE")]
    include: Vec<String>,
    /// Leave documents out: a document code (e.g. CMEL9180, attachment) or an entry file (repeatable).
    #[arg(long, value_name = "CODE|FILE")]
    exclude: Vec<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    key: KeyArgs,
}

/// Extract a verified pack's files into a folder (nothing is written outside it).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit pack extract pack.zip --out pack-files/\n  letterkit pack extract pack.zip --out pack-files/ --force"
)]
struct ExtractArgs {
    /// The pack file.
    pack: PathBuf,
    /// The folder to write into (created if missing; a folder holding files only with --force).
    #[arg(long, short)]
    out: PathBuf,
    /// Write into a folder that holds files (files with the pack's names are replaced).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    key: KeyArgs,
}

/// List the steps of each kind of pack and the data keys each step takes.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit pack steps\n  letterkit pack steps liability-order\n  letterkit pack steps face-to-face --json"
)]
struct StepsArgs {
    /// Only this kind.
    #[arg(value_parser = parse_kind)]
    kind: Option<PackKind>,
    /// Print the steps as JSON (schema letterkit.pack-steps.v1).
    #[arg(long)]
    json: bool,
}

/// `pack steps --json`.
#[derive(serde::Serialize)]
struct StepsJson<'a> {
    schema: &'static str,
    kinds: Vec<KindJson<'a>>,
}

#[derive(serde::Serialize)]
struct KindJson<'a> {
    kind: &'static str,
    title: &'static str,
    steps: Vec<StepSpecJson<'a>>,
}

#[derive(serde::Serialize)]
struct StepSpecJson<'a> {
    name: &'a str,
    summary: &'a str,
    after: &'a [String],
    closes: &'static str,
    keys: Vec<KeyJson<'a>>,
    attach: &'static str,
}

#[derive(serde::Serialize)]
struct KeyJson<'a> {
    key: &'a str,
    need: &'static str,
    label: &'static str,
    #[serde(rename = "type")]
    ty: String,
}

fn parse_kind(s: &str) -> Result<PackKind, String> {
    PackKind::parse(s).ok_or_else(|| {
        let kinds = PackKind::ALL.map(PackKind::name);
        let hint = letterkit::request::closest(s, &kinds)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        format!(
            "`{s}` is not a kind of pack{hint}; kinds: {}",
            kinds.join(", ")
        )
    })
}

/// `writeln!` into a String (writing to a String cannot fail).
macro_rules! pushln {
    ($o:expr) => {{ $o.push('\n'); }};
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

/// Prints `text`; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// A failure with its exit code (the message is already printed).
struct Fail(i32);

fn usage(msg: impl std::fmt::Display) -> Fail {
    super::print_error_message(msg);
    Fail(CONFIG_ERROR)
}

fn failed(msg: impl std::fmt::Display) -> Fail {
    super::print_error_message(msg);
    Fail(INPUT_FAILED)
}

fn pack_failed(e: &PackError) -> Fail {
    print_error(e);
    Fail(INPUT_FAILED)
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let result = match args.cmd {
        Cmd::Create(a) => create(a, catalog),
        Cmd::Step(a) => step(a, catalog),
        Cmd::Show(a) => show(a, catalog),
        Cmd::Verify(a) => verify(a, catalog),
        Cmd::Bundle(a) => export_bundle(a, catalog),
        Cmd::Extract(a) => extract(a, catalog),
        Cmd::Steps(a) => steps(a, catalog),
    };
    match result {
        Ok(()) => OK,
        Err(Fail(code)) => code,
    }
}

fn engine(catalog: Option<&PathBuf>) -> Result<Engine, Fail> {
    super::load(catalog).map_err(Fail)
}

/// The pack procedures of `--catalog` (its `packs/*.yaml`), or the shipped ones.
fn procedures(catalog: Option<&PathBuf>) -> Result<Arc<Procedures>, Fail> {
    match catalog {
        None => Ok(Procedures::builtin()),
        Some(_) => Ok(engine(catalog)?.catalog().procedures().clone()),
    }
}

/// Reads the step's data file (`-`: standard input) and `--set` pairs into
/// one mapping node. A `--set` value is placed at line 0, column N (the Nth
/// `--set`), so that its problems name the option, not the data file.
fn step_data(a: &DataArgs) -> Result<(Option<Node>, String), Fail> {
    let mut origin = "--set".to_owned();
    let mut entries: Vec<(Key, Node)> = Vec::new();
    if let Some(path) = &a.data {
        let text = if path.as_os_str() == "-" {
            origin = "(standard input)".to_owned();
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| {
                failed(format!(
                    "cannot read the step data from standard input: {e}"
                ))
            })?;
            s
        } else {
            origin = path.display().to_string();
            std::fs::read_to_string(path)
                .map_err(|e| failed(format!("cannot read {origin}: {e}")))?
        };
        let node = tree::parse(&text, 0).map_err(|e| {
            failed(format!(
                "{origin}:{}:{}: not valid YAML or JSON: {}",
                e.pos.line, e.pos.column, e.message
            ))
        })?;
        match node.value {
            Value::Map(m) => entries = m,
            Value::Null => {}
            other => {
                return Err(failed(format!(
                    "{origin}: the step data must be a mapping of keys to values, found {}",
                    other.kind()
                )));
            }
        }
    }
    for (i, s) in a.set.iter().enumerate() {
        let Some((k, v)) = s.split_once('=') else {
            return Err(usage(format!(
                "--set takes KEY=VALUE, got `{}`",
                s.split('=').next().unwrap_or("")
            )));
        };
        let pos = Pos {
            line: 0,
            column: u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        let node = Node {
            value: Value::Scalar {
                text: v.to_owned(),
                string: true,
            },
            pos,
        };
        entries.retain(|(key, _)| key.name != k);
        entries.push((
            Key {
                name: k.to_owned(),
                pos,
            },
            node,
        ));
    }
    if a.data.is_none() && a.set.is_empty() {
        return Ok((None, origin));
    }
    Ok((
        Some(Node {
            value: Value::Map(entries),
            pos: Pos { line: 1, column: 1 },
        }),
        origin,
    ))
}

fn attachments(a: &DataArgs) -> Result<Vec<Attachment>, Fail> {
    let mut out = Vec::new();
    for (i, p) in a.attach.iter().enumerate() {
        let meta = std::fs::metadata(p);
        let too_big = meta
            .as_ref()
            .is_ok_and(|m| m.len() > letterkit::pack::MAX_ATTACHMENT_BYTES as u64);
        if too_big {
            let who = if a.personal_data {
                format!(" ({})", p.display())
            } else {
                String::new()
            };
            return Err(failed(format!(
                "attachment {} of {}{who} is larger than {} MiB; an attachment may be at most that",
                i + 1,
                a.attach.len(),
                letterkit::pack::MAX_ATTACHMENT_BYTES / (1024 * 1024)
            )));
        }
        let bytes = std::fs::read(p).map_err(|e| {
            let who = if a.personal_data {
                format!(" ({})", p.display())
            } else {
                String::new()
            };
            failed(format!(
                "cannot read attachment {} of {}{who}: {}",
                i + 1,
                a.attach.len(),
                e.kind()
            ))
        })?;
        let name = p.file_name().map_or_else(
            || format!("attachment-{}", i + 1),
            |n| n.to_string_lossy().into_owned(),
        );
        out.push(Attachment { name, bytes });
    }
    Ok(out)
}

fn parse_date(s: &str) -> Result<Date, Fail> {
    Date::parse(s).map_err(|m| usage(format!("--date: {m}")))
}

fn read_pack(
    path: &Path,
    password: Option<&[u8]>,
    procedures: Arc<Procedures>,
) -> Result<Pack, Fail> {
    read_pack_or(path, password, procedures).map_err(|(msg, code)| {
        super::output::err(msg.trim_end());
        Fail(code)
    })
}

/// Reads a pack; `Err` holds the message to print (every line) and the exit code.
fn read_pack_or(
    path: &Path,
    password: Option<&[u8]>,
    procedures: Arc<Procedures>,
) -> Result<Pack, (String, i32)> {
    let bytes = std::fs::read(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "there is no such file".to_owned()
        } else {
            e.to_string()
        };
        (
            format!("error: cannot read pack {}: {why}\n", path.display()),
            INPUT_FAILED,
        )
    })?;
    Pack::read_with(Cursor::new(bytes), password, procedures)
        .map_err(|e| (error_text(&e), INPUT_FAILED))
}

/// An error and its causes, as `print_error` prints them.
fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut s = format!("error: {err}\n");
    let mut source = err.source();
    while let Some(c) = source {
        s.push_str(&format!("  caused by: {c}\n"));
        source = c.source();
    }
    s
}

fn write_pack(
    path: &Path,
    pack: &Pack,
    password: Option<&[u8]>,
    key: Option<&[u8]>,
) -> Result<(), Fail> {
    let mut result = Ok(());
    let io = files::write_atomic_with(path, |f| {
        pack.write_signed(&mut *f, password, key)
            .map(|_| kill_point(4))
            .map_err(|e| {
                let msg = e.to_string();
                result = Err(e);
                std::io::Error::other(msg)
            })
    });
    if let Err(e) = result {
        return Err(pack_failed(&e));
    }
    io.map_err(|e| failed(format!("cannot write {}: {e}", path.display())))
}

fn attachment_detail(e: &PackError, a: &DataArgs) {
    if let PackError::Attachment { index, .. } = e
        && a.personal_data
        && let Some(p) = a.attach.get(index.saturating_sub(1))
    {
        errln!("  the attachment: {}", p.display());
    }
}

/// `pack create/step --json` (fields in this order: `schema` first).
#[derive(serde::Serialize)]
struct StepJson<'a> {
    schema: &'static str,
    pack: String,
    kind: &'static str,
    step: &'a str,
    date: &'a str,
    added: &'a [String],
    superseded: &'a [String],
    entries: usize,
    status: &'static str,
    next: Vec<&'a str>,
    signed: bool,
}

/// `pack verify --json` (fields in this order: `schema` first).
#[derive(serde::Serialize)]
struct VerifyJson<'a> {
    schema: &'static str,
    pack: String,
    ok: bool,
    kind: Option<&'static str>,
    status: Option<&'static str>,
    stages: Option<usize>,
    entries: Option<usize>,
    encrypted: Option<bool>,
    signature: &'static str,
    problems: &'a [String],
}

fn report(pack: &Pack, path: &Path, step: &str, signed: bool, json: bool) {
    if super::verbosity().is_quiet() && !json {
        return;
    }
    let m = pack.manifest();
    let stage = pack.stage();
    let added = stage.map_or(0, |s| s.added.len());
    if json {
        let v = StepJson {
            schema: "letterkit.pack-step.v1",
            pack: path.display().to_string(),
            kind: m.kind.name(),
            step,
            date: stage.map_or("", |s| s.date.as_str()),
            added: stage.map_or(&[][..], |s| s.added.as_slice()),
            superseded: stage.map_or(&[][..], |s| s.superseded.as_slice()),
            entries: m.entries.len(),
            status: m.status.name(),
            next: pack.next_steps(),
            signed,
        };
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
        return;
    }
    outln!(
        "{}: {} pack, step `{step}` recorded; {} added ({} in the pack)",
        path.display(),
        m.kind,
        count(added, "file", "files"),
        m.entries.len()
    );
    if let Some(s) = pack.stage() {
        for old in &s.superseded {
            let by = m
                .entries
                .iter()
                .find(|e| &e.file == old)
                .and_then(|e| e.superseded_by.as_deref())
                .unwrap_or("?");
            outln!("superseded: {old} by {by}");
        }
        for w in &s.warnings {
            errln!("warning: {w}");
        }
    }
    let missed = m
        .stages
        .iter()
        .filter(|s| {
            s.step == "attendance"
                && s.data.get("attendance").and_then(|v| v.as_str()) == Some("failed-to-attend")
        })
        .count();
    if step == "attendance" && missed > 0 && m.status == letterkit::pack::Status::Open {
        outln!(
            "the client has failed to attend {missed} time{}; the pack closes as `{}` if they fail to attend more than twice",
            if missed == 1 { "" } else { "s" },
            letterkit::pack::FAILED_TO_ATTEND
        );
    }
    if pack.next_steps().is_empty() {
        match m.resolution.as_deref() {
            Some(r) => outln!("the pack is closed ({}: {r})", m.status.name()),
            None => outln!("the pack is closed ({})", m.status.name()),
        }
    } else {
        let side = pack.side_steps();
        let beside = if side.is_empty() {
            String::new()
        } else {
            format!(" (beside it: {})", side.join(", "))
        };
        outln!("next: {}{beside}", pack.next_steps().join(" or "));
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "pack".into(), |n| n.to_string_lossy().into_owned())
}

/// Takes the operating-system lock on `pack` (`.<name>.lock` beside it, held
/// until the command ends however it ends) and removes the temporary copies
/// a killed command left. Two officers stepping the same pack at once would
/// otherwise both read the old pack and the last rename would silently drop
/// the other's step.
fn lock_pack(pack: &Path) -> Result<Lock, Fail> {
    let dir = parent_of(pack);
    if !dir.is_dir() {
        return Err(failed(format!(
            "the folder {} does not exist; create it first, or give another path for the pack",
            dir.display()
        )));
    }
    let name = name_of(pack);
    let lock = Lock::try_new(&dir.join(format!(".{name}.lock")), pack).map_err(failed)?;
    tidy(dir, &name);
    Ok(lock)
}

/// Removes the temporary files of pack `name` in `dir` (the lock is held).
fn tidy(dir: &Path, name: &str) {
    let removed = files::remove_stale_temps(dir, Some(name));
    if removed > 0 {
        errln!(
            "note: removed {} that an interrupted command left beside {name}",
            count(removed, "temporary copy", "temporary copies")
        );
    }
}

/// For commands that only read a pack: removes a killed command's temporary
/// copies when no other command holds the pack (nothing is refused).
fn tidy_if_free(pack: &Path) {
    let dir = parent_of(pack);
    let name = name_of(pack);
    let prefix = format!(".{name}.");
    let any = std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&prefix) && files::is_temp_name(&n)
        })
    });
    if !any {
        return;
    }
    if let Ok(_lock) = Lock::try_new(&dir.join(format!(".{name}.lock")), pack) {
        tidy(dir, &name);
    }
}

const KEY_HOW: &str = "set LETTERKIT_PACK_KEY or LETTERKIT_PACK_KEY_FILE, or give --key-file FILE";

/// Checks the manifest's signature. An edit is refused; a pack that cannot
/// be checked is reported. `changing`: the command will write the pack.
fn check_signature(pack: &Pack, key: Option<&[u8]>, changing: bool) -> Result<Signature, Fail> {
    let s = pack.signature(key);
    match s {
        Signature::Valid => {}
        Signature::Invalid => return Err(pack_failed(&PackError::BadSignature)),
        Signature::NotChecked if changing => {
            return Err(usage(format!(
                "the pack is signed, but no office key is configured, so its manifest cannot be checked; {KEY_HOW}"
            )));
        }
        Signature::NotChecked => errln!(
            "warning: the pack is signed, but no office key is configured, so an edit to its manifest cannot be detected; {KEY_HOW}"
        ),
        Signature::Unsigned if changing && key.is_some() => errln!(
            "warning: the pack is unsigned, so an edit made to its manifest before now cannot be detected; it is signed from this step on"
        ),
        Signature::Unsigned => errln!(
            "warning: the pack is unsigned: an edit to its manifest cannot be detected; to sign packs, {KEY_HOW}"
        ),
    }
    Ok(s)
}

/// For the kill tests only: `LETTERKIT_TEST_KILL_AT=N[:SIGNAL]` makes a
/// step kill its own process (with `kill -SIGNAL`, default KILL) at point N:
/// 1 the lock taken, 2 the pack read, 3 the step applied, 4 the new pack
/// written to its temporary file, 5 the new pack renamed into place. Unset,
/// this does nothing.
fn kill_point(n: u32) {
    let Some(v) = std::env::var_os("LETTERKIT_TEST_KILL_AT") else {
        return;
    };
    let v = v.to_string_lossy();
    let (at, signal) = v.split_once(':').unwrap_or((&v, "KILL"));
    if at.parse() != Ok(n) {
        return;
    }
    let _ = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(std::process::id().to_string())
        .status();
    // The signal ends the process; if it could not be sent, end it anyway.
    std::process::abort();
}

fn create(a: CreateArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let key = a.key.key().map_err(usage)?;
    let _lock = lock_pack(&a.pack)?;
    if a.pack.exists() {
        return Err(failed(format!(
            "{} already exists; a pack is created once, then moved on with `letterkit pack step`",
            a.pack.display()
        )));
    }
    let engine = engine(catalog)?;
    let date = parse_date(&a.data.date)?;
    let (data, origin) = step_data(&a.data)?;
    let files = attachments(&a.data)?;
    let step = Step {
        name: "create",
        date,
        data: data.as_ref(),
        origin: &origin,
        attachments: &files,
    };
    let pack = Pack::create(&engine, a.kind, &step).map_err(|e| {
        attachment_detail(&e, &a.data);
        pack_failed(&e)
    })?;
    if key.is_none() {
        errln!(
            "warning: no office key is configured, so the pack is unsigned: an edit to its manifest cannot be detected; to sign packs, {KEY_HOW}"
        );
    }
    write_pack(&a.pack, &pack, password.as_deref(), key.as_deref())?;
    report(&pack, &a.pack, "create", key.is_some(), a.json);
    Ok(())
}

fn step(a: StepArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let key = a.key.key().map_err(usage)?;
    if !a.pack.is_file() && parent_of(&a.pack).is_dir() {
        return Err(failed(format!(
            "cannot read pack {}: there is no such file",
            a.pack.display()
        )));
    }
    let _lock = lock_pack(&a.pack)?;
    kill_point(1);
    // `apply` takes the procedure from the engine's catalog.
    let mut pack = read_pack(&a.pack, password.as_deref(), Procedures::builtin())?;
    kill_point(2);
    if password.is_some() && !pack.is_encrypted() {
        return Err(usage(
            "the pack is not encrypted; encryption is chosen when a pack is created, so drop --password-env/--password-file",
        ));
    }
    check_signature(&pack, key.as_deref(), true)?;
    let engine = engine(catalog)?;
    let date = parse_date(&a.data.date)?;
    let (data, origin) = step_data(&a.data)?;
    let files = attachments(&a.data)?;
    let step = Step {
        name: &a.step,
        date,
        data: data.as_ref(),
        origin: &origin,
        attachments: &files,
    };
    pack.apply(&engine, &step).map_err(|e| {
        attachment_detail(&e, &a.data);
        pack_failed(&e)
    })?;
    kill_point(3);
    write_pack(&a.pack, &pack, password.as_deref(), key.as_deref())?;
    kill_point(5);
    report(&pack, &a.pack, &a.step, key.is_some(), a.json);
    Ok(())
}

fn show(a: ShowArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let key = a.key.key().map_err(usage)?;
    tidy_if_free(&a.pack);
    let pack = read_pack(&a.pack, password.as_deref(), procedures(catalog)?)?;
    let m = pack.manifest();
    let mut o = String::new();
    if a.json {
        pushln!(o, "{}", serde_json::to_string_pretty(m).unwrap_or_default());
        print_out(&o);
        return Ok(());
    }
    let signature = check_signature(&pack, key.as_deref(), false)?;
    let reference = if a.personal_data {
        clean(&m.reference)
    } else {
        "(reference: add --personal-data to show)".to_owned()
    };
    pushln!(o, "{} pack {reference}", m.kind.title());
    pushln!(o, "region: {}", clean(&m.region));
    pushln!(
        o,
        "status: {}{}{}",
        m.status.name(),
        m.resolution
            .as_deref()
            .map_or(String::new(), |r| format!(" ({})", clean(r))),
        if pack.is_encrypted() {
            " (encrypted, WinZip AES-256)"
        } else {
            ""
        }
    );
    pushln!(
        o,
        "signature: {}",
        match signature {
            Signature::Valid => "valid (signed with the office key)",
            Signature::Invalid => "INVALID",
            Signature::NotChecked => "signed, not checked (no office key configured)",
            Signature::Unsigned => "unsigned",
        }
    );
    if let Some(s) = pack.main_stage() {
        pushln!(o, "stage: {} ({})", clean(&s.step), clean(&s.date));
    }
    match (pack.next_steps().as_slice(), pack.side_steps().as_slice()) {
        ([], []) => pushln!(o, "next: nothing, the pack is closed"),
        (next, side) => {
            for n in next {
                let summary = pack.procedure().step(n).map_or("", |s| s.summary.as_str());
                pushln!(o, "next: {n}: {summary}");
            }
            if !side.is_empty() {
                pushln!(o, "beside it: {}", side.join(", "));
            }
        }
    }
    let fees: Vec<&letterkit::pack::Stage> =
        m.stages.iter().filter(|s| s.step == "court-fee").collect();
    if !fees.is_empty() {
        pushln!(o, "\ncourt fees:");
        let mut pence: i64 = 0;
        for s in &fees {
            let get = |k: &str| s.data.get(k).and_then(|v| v.as_str()).unwrap_or("?");
            let amount = get("fee-amount");
            pence += letterkit::request::Money::parse(amount).map_or(0, |m| m.0);
            pushln!(
                o,
                "  {}  {:<45}  {}",
                clean(get("fee-paid-on")),
                clean(get("fee-court")),
                clean(&money(amount))
            );
        }
        pushln!(
            o,
            "  {} fee{} paid, {} in total",
            fees.len(),
            if fees.len() == 1 { "" } else { "s" },
            letterkit::request::Money(pence).display()
        );
    }
    pushln!(o, "\nstages:");
    for s in &m.stages {
        pushln!(o, "  {}  {}", clean(&s.date), clean(&s.step));
        for w in &s.warnings {
            pushln!(o, "      warning: {}", clean(w));
        }
        for (k, v) in &s.data {
            // The reference identifies the case: shown only when asked, like the heading's.
            let personal = k == "reference" || key_spec(k).is_none_or(|k| k.personal);
            let shown = if personal && !a.personal_data {
                "(personal data: add --personal-data to show)".to_owned()
            } else {
                match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(items) => items
                        .iter()
                        .filter_map(|i| i.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                }
            };
            pushln!(o, "      {}: {}", clean(k), clean(&shown));
        }
    }
    pushln!(o, "\ndocuments:");
    let rows: Vec<[String; 4]> = m
        .entries
        .iter()
        .map(|e| {
            let status = match e.status {
                EntryStatus::Current => String::new(),
                EntryStatus::Superseded => format!(
                    "  SUPERSEDED by {}",
                    clean(e.superseded_by.as_deref().unwrap_or("?"))
                ),
            };
            let pages = e.pages.map_or(String::new(), |p| count(p, "page", "pages"));
            [
                clean(&e.file),
                clean(&e.title),
                format!("v{}  {pages}", e.version),
                format!("{}{status}", clean(&e.stage)),
            ]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for r in &rows {
        pushln!(o, "  {:<w0$}  {:<w1$}  {:<w2$}  {}", r[0], r[1], r[2], r[3]);
    }
    let problems = pack.verify();
    if problems.is_empty() {
        pushln!(o, "\nverify: ok");
    } else {
        pushln!(
            o,
            "\nverify: FAILS ({}; run `letterkit pack verify`)",
            count(problems.len(), "problem", "problems")
        );
    }
    print_out(&o);
    Ok(())
}

fn verify(a: VerifyArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let key = a.key.key().map_err(usage)?;
    tidy_if_free(&a.pack);
    let json_out = |ok: bool, pack: Option<&Pack>, signature: &'static str, problems: &[String]| {
        let m = pack.map(Pack::manifest);
        let v = VerifyJson {
            schema: "letterkit.pack-verify.v1",
            pack: a.pack.display().to_string(),
            ok,
            kind: m.map(|m| m.kind.name()),
            status: m.map(|m| m.status.name()),
            stages: m.map(|m| m.stages.len()),
            entries: m.map(|m| m.entries.len()),
            encrypted: pack.map(Pack::is_encrypted),
            signature,
            problems,
        };
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
    };
    let pack = match read_pack_or(&a.pack, password.as_deref(), procedures(catalog)?) {
        Ok(p) => p,
        Err((msg, code)) => {
            super::output::err(msg.trim_end());
            if a.json {
                let first = msg
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                json_out(false, None, "not-checked", &[first.to_owned()]);
            }
            return Err(Fail(code));
        }
    };
    let mut problems = pack.verify();
    let signature = pack.signature(key.as_deref());
    if signature == Signature::Invalid {
        problems.insert(0, letterkit::pack::VerifyProblem::BadSignature);
    } else {
        check_signature(&pack, key.as_deref(), false)?;
    }
    if a.json {
        let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
        json_out(problems.is_empty(), Some(&pack), signature.name(), &texts);
    }
    if problems.is_empty() {
        let m = pack.manifest();
        if !a.json {
            let signed = match signature {
                Signature::Valid => "; manifest signature valid",
                Signature::NotChecked => "; manifest signature not checked (no office key)",
                _ => "; unsigned",
            };
            outln!(
                "{}: ok: {} match the manifest's SHA-256, nothing missing or extra; {}, status {}{signed}",
                a.pack.display(),
                count(m.entries.len(), "entry", "entries"),
                count(m.stages.len(), "stage", "stages"),
                m.status.name()
            );
        }
        Ok(())
    } else {
        Err(pack_failed(&PackError::Verify { problems }))
    }
}

fn export_bundle(a: BundleArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let key = a.key.key().map_err(usage)?;
    if files::same_file(&a.out, &a.pack) {
        return Err(usage(format!(
            "--out {} is the pack itself; give another file name for the bundle",
            a.out.display()
        )));
    }
    if a.out.exists() && !a.force {
        return Err(usage(format!(
            "{} already exists; add --force to replace it, or give another --out",
            a.out.display()
        )));
    }
    if !parent_of(&a.out).is_dir() {
        return Err(failed(format!(
            "the folder {} does not exist; create it first, or give another --out",
            parent_of(&a.out).display()
        )));
    }
    tidy_if_free(&a.pack);
    let pack = read_pack(&a.pack, password.as_deref(), procedures(catalog)?)?;
    check_signature(&pack, key.as_deref(), false)?;
    let engine = engine(catalog)?;
    let mut options = BundleOptions::default();
    options.include_superseded = a.include_superseded;
    options.include = a.include.clone();
    options.exclude = a.exclude.clone();
    let b = bundle(&pack, &engine, &options).map_err(|e| pack_failed(&e))?;
    // The lock guards the output while it is written, and lets this command
    // remove the temporary copy a killed bundle left (it holds personal data).
    let out_name = name_of(&a.out);
    let _lock = Lock::try_new(&parent_of(&a.out).join(format!(".{out_name}.lock")), &a.out)
        .map_err(failed)?;
    tidy(parent_of(&a.out), &out_name);
    let written = if a.force {
        files::write_atomic(&a.out, &b.pdf)
    } else {
        files::write_new(&a.out, &b.pdf)
    };
    written.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            usage(format!(
                "{} already exists; add --force to replace it, or give another --out",
                a.out.display()
            ))
        } else {
            failed(format!("cannot write {}: {e}", a.out.display()))
        }
    })?;
    for why in &b.not_conforming {
        errln!(
            "warning: the {} is not tagged PDF/UA-1 and PDF/A-2a, and does not claim to be: {why}",
            b.what
        );
    }
    let left = if b.left_out.is_empty() {
        String::new()
    } else {
        format!(
            "; {} left out (listed on the index page)",
            count(b.left_out.len(), "document", "documents")
        )
    };
    if super::verbosity().is_quiet() {
        return Ok(());
    }
    outln!(
        "{}: {} of {}, {}{left}",
        a.out.display(),
        b.what,
        count(b.index.len(), "document", "documents"),
        count(b.pages, "page", "pages")
    );
    Ok(())
}

fn extract(a: ExtractArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let key = a.key.key().map_err(usage)?;
    // A killed extract's temporary files do not count: they are removed below.
    let holds_files = std::fs::read_dir(&a.out).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| !files::is_temp_name(&e.file_name().to_string_lossy()))
    });
    if holds_files && !a.force {
        return Err(usage(format!(
            "{} is not empty; add --force to write into it (files with the pack's names are replaced), or give an empty or new folder",
            a.out.display()
        )));
    }
    tidy_if_free(&a.pack);
    let pack = read_pack(&a.pack, password.as_deref(), procedures(catalog)?)?;
    let problems = pack.verify();
    if !problems.is_empty() {
        return Err(pack_failed(&PackError::Verify { problems }));
    }
    check_signature(&pack, key.as_deref(), false)?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| failed(format!("cannot create {}: {e}", a.out.display())))?;
    let out_name = name_of(&a.out);
    let _lock = Lock::try_new(&parent_of(&a.out).join(format!(".{out_name}.lock")), &a.out)
        .map_err(failed)?;
    let removed = files::remove_stale_temps(&a.out, None);
    if removed > 0 {
        errln!(
            "note: removed {} that an interrupted command left in {}",
            count(removed, "temporary file", "temporary files"),
            a.out.display()
        );
    }
    let m = pack.manifest();
    let mut json = serde_json::to_vec_pretty(m).unwrap_or_default();
    json.push(b'\n');
    let mut out: Vec<(&str, &[u8])> = vec![(letterkit::pack::MANIFEST, &json)];
    for e in &m.entries {
        if let Some(b) = pack.file(&e.file) {
            out.push((&e.file, b));
        }
    }
    for (name, bytes) in &out {
        // Names were checked when the pack was read; check again before joining.
        if !is_safe_entry_name(name) {
            return Err(failed(format!("refusing unsafe entry name {name:?}")));
        }
        let target = a.out.join(name);
        files::write_atomic(&target, bytes)
            .map_err(|e| failed(format!("cannot write {}: {e}", target.display())))?;
    }
    if super::verbosity().is_quiet() {
        return Ok(());
    }
    outln!(
        "{}: {} extracted",
        a.out.display(),
        count(out.len(), "file", "files")
    );
    Ok(())
}

/// An amount as the documents print it (`£85.00`).
fn money(amount: &str) -> String {
    letterkit::request::Money::parse(amount).map_or_else(|_| amount.to_owned(), |m| m.display())
}

fn steps(a: StepsArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let procedures = procedures(catalog)?;
    let kinds: Vec<PackKind> = match a.kind {
        Some(k) => vec![k],
        None => PackKind::ALL.to_vec(),
    };
    if a.json {
        let v = StepsJson {
            schema: "letterkit.pack-steps.v1",
            kinds: kinds
                .iter()
                .map(|kind| KindJson {
                    kind: kind.name(),
                    title: kind.title(),
                    steps: procedures
                        .get(*kind)
                        .steps()
                        .iter()
                        .map(|s| StepSpecJson {
                            name: &s.name,
                            summary: &s.summary,
                            after: &s.after,
                            closes: s.closes.name(),
                            keys: s
                                .gives
                                .iter()
                                .map(|k| KeyJson {
                                    key: k,
                                    need: s.need(k),
                                    label: key_spec(k).map_or("", |s| s.label),
                                    ty: key_spec(k).map_or(String::new(), |s| s.ty.describe()),
                                })
                                .collect(),
                            attach: s.attach.name(),
                        })
                        .collect(),
                })
                .collect(),
        };
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
        return Ok(());
    }
    let mut o = String::new();
    for kind in kinds {
        pushln!(o, "{} ({})", kind.title(), kind.name());
        for s in procedures.get(kind).steps() {
            let after = if s.after.is_empty() {
                "first step (`letterkit pack create`)".to_owned()
            } else {
                format!("after {}", s.after.join(" or "))
            };
            let close = match s.closes {
                letterkit::pack::Closes::No => "",
                letterkit::pack::Closes::Completed => "; closes the pack",
                letterkit::pack::Closes::Cancelled => "; closes the pack as cancelled",
            };
            let side = if s.side { "; beside the path" } else { "" };
            pushln!(o, "  {}  [{after}{side}{close}]", s.name);
            pushln!(o, "      {}", s.summary);
            for k in &s.gives {
                let need = match s.need(k) {
                    "required-unless-given-earlier" => "required unless given earlier",
                    need => need,
                };
                let spec = key_spec(k);
                pushln!(
                    o,
                    "      {k:<24} {need:<29} {}: {}",
                    spec.map_or("", |s| s.label),
                    spec.map_or(String::new(), |s| s.ty.describe())
                );
            }
            if s.corrects {
                pushln!(
                    o,
                    "      KEY                      at least one                  the corrected value of a key the document shows"
                );
            }
            match s.attach {
                Attach::None => {}
                Attach::Optional => pushln!(
                    o,
                    "      --attach FILE            optional                      PDF, PNG or JPEG"
                ),
                Attach::Required => pushln!(
                    o,
                    "      --attach FILE            at least one                  PDF, PNG or JPEG"
                ),
            }
        }
        pushln!(o,);
    }
    print_out(&o);
    Ok(())
}
