//! `letterkit pack ...`: court packs built stage by stage (see docs/packs.md).
//!
//! This is the only place packs meet the filesystem: files are read here,
//! and a pack is always written beside its target and renamed over it, so a
//! refused or interrupted step leaves the previous pack as it was.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use letterkit::Engine;
use letterkit::batch::output::write_atomic_with;
use letterkit::pack::bundle::{BundleOptions, bundle};
use letterkit::pack::data::key_spec;
use letterkit::pack::{
    Attach, Attachment, EntryStatus, Pack, PackError, PackKind, Step, is_safe_entry_name,
};
use letterkit::request::Date;
use letterkit::request::tree::{self, Key, Node, Pos, Value};

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

/// The data of a step: a YAML/JSON file and KEY=VALUE settings.
#[derive(clap::Args)]
struct DataArgs {
    /// Date of the step, YYYY-MM-DD (the stage date and the documents' date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: String,
    /// The step's data: a YAML or JSON mapping of keys (see `letterkit pack steps KIND`).
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
}

/// Take the next step of a pack.
#[derive(clap::Args)]
#[command(
    after_help = "`letterkit pack show PACK` says which steps may come next.\n\nExamples:\n  letterkit pack step pack.zip hearing --date 2026-03-09 --data hearing.yaml\n  letterkit pack step pack.zip issued --date 2026-03-20 --set issue-date=2026-03-19\n  letterkit pack step pack.zip outcome --date 2026-04-15 --set outcome=\"Suspended committal order\" --attach outcome.pdf"
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
    /// Show personal data (names, addresses, notes) in the stage data.
    #[arg(long)]
    personal_data: bool,
    #[command(flatten)]
    password: PasswordArgs,
}

/// Verify a pack: every entry matches its SHA-256, nothing missing or extra.
#[derive(clap::Args)]
#[command(
    after_help = "Exit code 0: the pack is good; 1: it fails (each problem is listed).\n\nExamples:\n  letterkit pack verify pack.zip\n  letterkit pack verify lo.zip --password-file ~/.pack-password"
)]
struct VerifyArgs {
    /// The pack file.
    pack: PathBuf,
    #[command(flatten)]
    password: PasswordArgs,
}

/// Export a pack as one court bundle PDF: index, page numbers, bookmarks.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit pack bundle pack.zip --out bundle.pdf\n  letterkit pack bundle pack.zip --out bundle.pdf --include-superseded"
)]
struct BundleArgs {
    /// The pack file.
    pack: PathBuf,
    /// The PDF to write.
    #[arg(long, short)]
    out: PathBuf,
    /// Also include superseded documents (marked as such in the index).
    #[arg(long)]
    include_superseded: bool,
    #[command(flatten)]
    password: PasswordArgs,
}

/// Extract a verified pack's files into a folder (nothing is written outside it).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  letterkit pack extract pack.zip --out pack-files/")]
struct ExtractArgs {
    /// The pack file.
    pack: PathBuf,
    /// The folder to write into (created if missing).
    #[arg(long, short)]
    out: PathBuf,
    #[command(flatten)]
    password: PasswordArgs,
}

/// List the steps of each kind of pack and the data keys each step takes.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  letterkit pack steps\n  letterkit pack steps liability-order")]
struct StepsArgs {
    /// Only this kind.
    #[arg(value_parser = parse_kind)]
    kind: Option<PackKind>,
}

fn parse_kind(s: &str) -> Result<PackKind, String> {
    PackKind::parse(s).ok_or_else(|| {
        format!(
            "`{s}` is not a kind of pack; kinds: {}",
            PackKind::ALL.map(PackKind::name).join(", ")
        )
    })
}

/// `writeln!` into a String (writing to a String cannot fail).
macro_rules! outln {
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
        Cmd::Show(a) => show(a),
        Cmd::Verify(a) => verify(a),
        Cmd::Bundle(a) => export_bundle(a, catalog),
        Cmd::Extract(a) => extract(a),
        Cmd::Steps(a) => {
            steps(a);
            Ok(())
        }
    };
    match result {
        Ok(()) => OK,
        Err(Fail(code)) => code,
    }
}

fn engine(catalog: Option<&PathBuf>) -> Result<Engine, Fail> {
    super::load(catalog).map_err(Fail)
}

/// Reads the step's data file and `--set` pairs into one mapping node.
fn step_data(a: &DataArgs) -> Result<(Option<Node>, String), Fail> {
    let mut origin = "--set".to_owned();
    let mut entries: Vec<(Key, Node)> = Vec::new();
    if let Some(path) = &a.data {
        origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| failed(format!("cannot read {origin}: {e}")))?;
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
    for s in &a.set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(usage(format!(
                "--set takes KEY=VALUE, got `{}`",
                s.split('=').next().unwrap_or("")
            )));
        };
        let node = Node {
            value: Value::Scalar {
                text: v.to_owned(),
                string: true,
            },
            pos: Pos::default(),
        };
        entries.retain(|(key, _)| key.name != k);
        entries.push((
            Key {
                name: k.to_owned(),
                pos: Pos::default(),
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

fn read_pack(path: &Path, password: Option<&[u8]>) -> Result<Pack, Fail> {
    let bytes = std::fs::read(path)
        .map_err(|e| failed(format!("cannot read pack {}: {e}", path.display())))?;
    Pack::read(Cursor::new(bytes), password).map_err(|e| pack_failed(&e))
}

fn write_pack(path: &Path, pack: &Pack, password: Option<&[u8]>) -> Result<(), Fail> {
    let mut result = Ok(());
    let io = write_atomic_with(path, |f| {
        pack.write(&mut *f, password).map(|_| ()).map_err(|e| {
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
        eprintln!("  the attachment: {}", p.display());
    }
}

fn report(pack: &Pack, path: &Path, step: &str) {
    if super::verbosity().is_quiet() {
        return;
    }
    let m = pack.manifest();
    let added = pack.stage().map_or(0, |s| s.added.len());
    println!(
        "{}: {} pack, step `{step}` recorded; {added} file{} added ({} in the pack)",
        path.display(),
        m.kind,
        if added == 1 { "" } else { "s" },
        m.entries.len()
    );
    match pack.next_steps().as_slice() {
        [] => println!("the pack is closed ({})", m.status.name()),
        next => println!("next: {}", next.join(" or ")),
    }
}

/// An exclusive claim on a pack for one command: `.<name>.lock` beside it,
/// created with `create_new` and removed when dropped. Two officers stepping
/// the same pack at once would otherwise both read the old pack and the last
/// rename would silently drop the other's step.
struct PackLock(PathBuf);

impl PackLock {
    fn take(pack: &Path) -> Result<PackLock, Fail> {
        let name = pack
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "pack".into());
        let lock = pack.with_file_name(format!(".{name}.lock"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(mut f) => {
                let _ = std::io::Write::write_all(
                    &mut f,
                    format!("{}\n", std::process::id()).as_bytes(),
                );
                Ok(PackLock(lock))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(failed(format!(
                "another `letterkit pack` command is changing {} (lock file {}); wait for it to finish, or delete the lock file if no other command is running",
                pack.display(),
                lock.display()
            ))),
            Err(e) => Err(failed(format!("cannot lock {}: {e}", pack.display()))),
        }
    }
}

impl Drop for PackLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn create(a: CreateArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let _lock = PackLock::take(&a.pack)?;
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
    write_pack(&a.pack, &pack, password.as_deref())?;
    report(&pack, &a.pack, "create");
    Ok(())
}

fn step(a: StepArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let _lock = PackLock::take(&a.pack)?;
    let mut pack = read_pack(&a.pack, password.as_deref())?;
    if password.is_some() && !pack.is_encrypted() {
        return Err(usage(
            "the pack is not encrypted; encryption is chosen when a pack is created, so drop --password-env/--password-file",
        ));
    }
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
    write_pack(&a.pack, &pack, password.as_deref())?;
    report(&pack, &a.pack, &a.step);
    Ok(())
}

fn show(a: ShowArgs) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let pack = read_pack(&a.pack, password.as_deref())?;
    let m = pack.manifest();
    let mut o = String::new();
    if a.json {
        outln!(o, "{}", serde_json::to_string_pretty(m).unwrap_or_default());
        print_out(&o);
        return Ok(());
    }
    outln!(o, "{} pack {}", m.kind.title(), m.reference);
    outln!(o, "region: {}", m.region);
    outln!(
        o,
        "status: {}{}",
        m.status.name(),
        if pack.is_encrypted() {
            " (encrypted, WinZip AES-256)"
        } else {
            ""
        }
    );
    if let Some(s) = pack.stage() {
        outln!(o, "stage: {} ({})", s.step, s.date);
    }
    match pack.next_steps().as_slice() {
        [] => outln!(o, "next: nothing, the pack is closed"),
        next => {
            for n in next {
                let summary = m.kind.step(n).map_or("", |s| s.summary);
                outln!(o, "next: {n}: {summary}");
            }
        }
    }
    outln!(o, "\nstages:");
    for s in &m.stages {
        outln!(o, "  {}  {}", s.date, s.step);
        for (k, v) in &s.data {
            let personal = key_spec(k).is_some_and(|k| k.personal);
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
            outln!(o, "      {k}: {shown}");
        }
    }
    outln!(o, "\ndocuments:");
    for e in &m.entries {
        let status = match e.status {
            EntryStatus::Current => String::new(),
            EntryStatus::Superseded => format!(
                "  SUPERSEDED by {}",
                e.superseded_by.as_deref().unwrap_or("?")
            ),
        };
        outln!(
            o,
            "  {:<44} {:<38} v{}  {}{status}",
            e.file,
            e.title,
            e.version,
            e.stage
        );
    }
    let problems = pack.verify();
    if problems.is_empty() {
        outln!(o, "\nverify: ok");
    } else {
        outln!(
            o,
            "\nverify: FAILS ({} problems; run `letterkit pack verify`)",
            problems.len()
        );
    }
    print_out(&o);
    Ok(())
}

fn verify(a: VerifyArgs) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let pack = read_pack(&a.pack, password.as_deref())?;
    let problems = pack.verify();
    if problems.is_empty() && super::verbosity().is_quiet() {
        Ok(())
    } else if problems.is_empty() {
        let m = pack.manifest();
        println!(
            "{}: ok: {} entries match the manifest's SHA-256, nothing missing or extra; {} stages, status {}",
            a.pack.display(),
            m.entries.len(),
            m.stages.len(),
            m.status.name()
        );
        Ok(())
    } else {
        Err(pack_failed(&PackError::Verify { problems }))
    }
}

fn export_bundle(a: BundleArgs, catalog: Option<&PathBuf>) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let pack = read_pack(&a.pack, password.as_deref())?;
    let engine = engine(catalog)?;
    let b = bundle(
        &pack,
        &engine,
        &BundleOptions {
            include_superseded: a.include_superseded,
        },
    )
    .map_err(|e| pack_failed(&e))?;
    write_atomic_with(&a.out, |f| std::io::Write::write_all(f, &b.pdf))
        .map_err(|e| failed(format!("cannot write {}: {e}", a.out.display())))?;
    if super::verbosity().is_quiet() {
        return Ok(());
    }
    println!(
        "{}: court bundle of {} documents, {} pages",
        a.out.display(),
        b.index.len(),
        b.pages
    );
    Ok(())
}

fn extract(a: ExtractArgs) -> Result<(), Fail> {
    let password = a.password.password().map_err(usage)?;
    let pack = read_pack(&a.pack, password.as_deref())?;
    let problems = pack.verify();
    if !problems.is_empty() {
        return Err(pack_failed(&PackError::Verify { problems }));
    }
    std::fs::create_dir_all(&a.out)
        .map_err(|e| failed(format!("cannot create {}: {e}", a.out.display())))?;
    let m = pack.manifest();
    let mut json = serde_json::to_vec_pretty(m).unwrap_or_default();
    json.push(b'\n');
    let mut files: Vec<(&str, &[u8])> = vec![(letterkit::pack::MANIFEST, &json)];
    for e in &m.entries {
        if let Some(b) = pack.file(&e.file) {
            files.push((&e.file, b));
        }
    }
    for (name, bytes) in files {
        // Names were checked when the pack was read; check again before joining.
        if !is_safe_entry_name(name) {
            return Err(failed(format!("refusing unsafe entry name {name:?}")));
        }
        let target = a.out.join(name);
        write_atomic_with(&target, |f| std::io::Write::write_all(f, bytes))
            .map_err(|e| failed(format!("cannot write {}: {e}", target.display())))?;
    }
    if super::verbosity().is_quiet() {
        return Ok(());
    }
    println!(
        "{}: {} files extracted",
        a.out.display(),
        m.entries.len() + 1
    );
    Ok(())
}

fn steps(a: StepsArgs) {
    let kinds: Vec<PackKind> = match a.kind {
        Some(k) => vec![k],
        None => PackKind::ALL.to_vec(),
    };
    let mut o = String::new();
    for kind in kinds {
        outln!(o, "{} ({})", kind.title(), kind.name());
        for s in kind.steps() {
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
            outln!(o, "  {}  [{after}{close}]", s.name);
            outln!(o, "      {}", s.summary);
            for k in s.gives {
                let need = if s.needs.contains(k) {
                    "required"
                } else if s.ensures.contains(k) {
                    "required unless given earlier"
                } else {
                    "optional"
                };
                let spec = key_spec(k);
                outln!(
                    o,
                    "      {k:<24} {need:<29} {}: {}",
                    spec.map_or("", |s| s.label),
                    spec.map_or(String::new(), |s| s.ty.describe())
                );
            }
            match s.attach {
                Attach::None => {}
                Attach::Optional => outln!(
                    o,
                    "      --attach FILE            optional                      PDF, PNG or JPEG"
                ),
                Attach::Required => outln!(
                    o,
                    "      --attach FILE            at least one                  PDF, PNG or JPEG"
                ),
            }
        }
        outln!(o,);
    }
    print_out(&o);
}
