//! Court packs: the documents of one enforcement or face-to-face action,
//! built stage by stage as the SSST procedure describes, kept in one zip
//! archive with a `manifest.json`.
//!
//! A [`Pack`] lives in memory. [`Pack::create`] starts one, [`Pack::apply`]
//! takes the next step of its stage machine ([`kinds`]), [`Pack::read`] and
//! [`Pack::write`] move it in and out of any `Read + Seek` / `Write + Seek`
//! (this module never touches the filesystem), [`Pack::verify`] checks every
//! entry against the manifest, and [`bundle::bundle`] joins the documents into
//! one court bundle PDF.
//!
//! Rules every step keeps:
//! - a step out of order, taken twice, or on a closed pack is refused with an
//!   error naming the pack's stage and what may come next;
//! - steps only add: a replaced document stays in the pack, marked superseded;
//! - a failed step changes nothing (work is done on a copy);
//! - dates come from the step, never the clock, and every zip entry carries
//!   its stage's date, so the same steps give the same bytes (AES-encrypted
//!   packs differ by their random salt);
//! - side steps (`court-fee`, `correct`, `cancel`, `rearrange`,
//!   `attendance`) are taken beside the procedure's path and move no stage;
//! - dates follow the procedure: a hearing after its referral, an issue date
//!   between them, an outcome on or after the hearing, a second PV check not
//!   after it (one earlier than 48 hours before is recorded with a warning);
//! - a document rendered again (a correction, a changed hearing date) is a
//!   new version with the date it first had; the old one stays, superseded;
//! - errors never carry names, addresses or free text from the data.
//!
//! Reading a pack is bounded ([`MAX_ENTRIES`], [`MAX_TOTAL_BYTES`], checked
//! before anything is read) and refuses duplicate entry names. With an
//! office key, [`Pack::write_signed`] signs the manifest (HMAC-SHA256, in the
//! [`SIGNATURE`] entry) and [`Pack::signature`] checks it, so that an edit to
//! the manifest is detected.
//!
//! # Example
//!
//! ```
//! use letterkit::Engine;
//! use letterkit::pack::{Pack, PackKind, Step};
//! use letterkit::request::{Date, tree};
//!
//! let engine = Engine::builtin()?;
//! let data = tree::parse(r#"
//! reference: "1234 5678 9012"
//! region: North East
//! paying-parent-name: Mr Sam Taylor
//! court: Newcastle Magistrates' Court
//! amount-owed: 2450.00
//! pv-checked-by: J Officer
//! pv-result: no-marking
//! "#, 0).map_err(|e| e.message)?;
//! let date = Date::parse("2026-03-02")?;
//! let step = Step { name: "create", date, data: Some(&data), origin: "referral.yaml", attachments: &[] };
//! let pack = Pack::create(&engine, PackKind::Commitment, &step)?;
//! assert_eq!(pack.manifest().entries.len(), 3);
//! assert_eq!(pack.next_steps(), ["hearing"]);
//! let mut zip = std::io::Cursor::new(Vec::new());
//! pack.write(&mut zip, None)?;
//! let again = Pack::read(std::io::Cursor::new(zip.into_inner()), None)?;
//! assert!(again.verify().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
pub mod attachment;
pub mod bundle;
pub mod data;
pub mod folder;
pub mod kinds;
pub mod procedure;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use archive::{MANIFEST, MAX_ENTRIES, MAX_TOTAL_BYTES, SIGNATURE, is_safe_entry_name};
pub use attachment::{Attachment, MAX_ATTACHMENT_BYTES, MediaType};
pub use kinds::{Attach, Closes, DocSpec, PackKind, Procedure, Procedures, StepSpec};

use crate::catalog::DocKind;
use crate::request::tree::{Node, Value as TreeValue};
use crate::request::{Date, RequestError};
use crate::{Engine, RenderOptions};

/// The manifest's format tag.
pub const FORMAT: &str = "letterkit-pack/1";

/// Where a pack stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Steps may still be taken.
    Open,
    /// Closed: the action is complete.
    Completed,
    /// Closed: the action was stopped (cancelled or rejected).
    Cancelled,
}

impl Status {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// Whether an entry is the one in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryStatus {
    /// In use.
    Current,
    /// Replaced by a later version; kept, never dropped.
    Superseded,
}

/// `manifest.json`: what the pack is and everything in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The letterkit that last wrote it.
    pub generator: String,
    /// Kind of pack.
    pub kind: PackKind,
    /// Case reference (SCIN), `1234 5678 9012`.
    pub reference: String,
    /// Region (where the court or visit is).
    pub region: String,
    /// Open or closed.
    pub status: Status,
    /// Every step taken, in order.
    pub stages: Vec<Stage>,
    /// Every entry, in pack order.
    pub entries: Vec<Entry>,
    /// How a closed pack was resolved, when the procedure names it
    /// (`Failed To Attend`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

/// The resolution of a face-to-face pack whose client failed to attend more
/// than twice (procedure, Work Routing for Face to Face, step 5).
pub const FAILED_TO_ATTEND: &str = "Failed To Attend";

/// One step taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Stage {
    /// Step name.
    pub step: String,
    /// Date of the step, `YYYY-MM-DD`.
    pub date: String,
    /// The data it added (as checked and normalised).
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Files it added.
    pub added: Vec<String>,
    /// Files it marked superseded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<String>,
    /// What the officer was warned of when the step was recorded (e.g. a
    /// second PV check made earlier than 48 hours before the hearing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One file in the pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Entry {
    /// Entry name in the zip, e.g. `01-CMEL7211-v1.pdf`.
    pub file: String,
    /// Document code (catalog code), or `attachment`.
    pub code: String,
    /// What it is.
    pub title: String,
    /// 1 for a first copy; a replacement has the next number.
    pub version: u32,
    /// The step that added it.
    pub stage: String,
    /// Current or superseded.
    pub status: EntryStatus,
    /// The file that replaced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// MIME type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// Pages (a rendered document's, a PDF attachment's; 1 for an image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    /// For attachments: the file's own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_name: Option<String>,
}

/// One step's input. Nothing is read from the clock or the filesystem.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// Step name (`create`, `hearing`, ...).
    pub name: &'a str,
    /// Date of the step (the stage date, the documents' date).
    pub date: Date,
    /// The step's data: a mapping of keys (see [`data::KEYS`]).
    pub data: Option<&'a Node>,
    /// Names the data in errors (e.g. its file name).
    pub origin: &'a str,
    /// Files to attach.
    pub attachments: &'a [Attachment],
}

/// One way a pack does not match its manifest or its stage machine
/// ([`Pack::verify`]). Its `Display` is the line `letterkit pack verify`
/// prints; names from the archive are shown with control characters escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyProblem {
    /// The manifest's format is not this version's.
    #[error("the manifest's format is `{}`, expected `{FORMAT}`", escape_control(.found))]
    Format {
        /// The format written.
        found: String,
    },
    /// An entry is listed twice.
    #[error("{} is listed twice in the manifest", escape_control(.file))]
    ListedTwice {
        /// The entry's file.
        file: String,
    },
    /// An entry's name could escape the pack's folder.
    #[error("the manifest lists an unsafe file name {file:?}")]
    UnsafeName {
        /// The entry's file.
        file: String,
    },
    /// An entry of the manifest is not in the archive.
    #[error("{file} is in the manifest but missing from the pack")]
    Missing {
        /// The entry's file.
        file: String,
    },
    /// A file's size is not the manifest's.
    #[error("{file} is {size} bytes; the manifest says {listed}")]
    Size {
        /// The entry's file.
        file: String,
        /// Its size in the archive.
        size: u64,
        /// The size the manifest gives.
        listed: u64,
    },
    /// A file's SHA-256 is not the manifest's.
    #[error("{file} does not match its SHA-256 in the manifest: it was changed")]
    Changed {
        /// The entry's file.
        file: String,
    },
    /// An entry names a stage the pack does not record.
    #[error("{file} was added by stage `{}`, which the pack does not record", escape_control(.stage))]
    UnrecordedStage {
        /// The entry's file.
        file: String,
        /// The stage it names.
        stage: String,
    },
    /// A superseded entry names no entry that replaced it.
    #[error("{file} is superseded but names no entry that replaced it")]
    NoReplacement {
        /// The entry's file.
        file: String,
    },
    /// A file in the archive is not in the manifest.
    #[error("{file} is in the pack but not in the manifest")]
    NotInManifest {
        /// The file.
        file: String,
    },
    /// A stage after one that closed the pack.
    #[error("stage `{step}` follows a stage that closed the pack")]
    AfterClose {
        /// The stage's step.
        step: String,
    },
    /// A stage the stage machine does not allow after the one before.
    #[error("stage `{}` cannot follow `{}` in a {kind} pack", escape_control(.step), escape_control(.after.as_deref().unwrap_or("(start)")))]
    OutOfOrder {
        /// The stage's step.
        step: String,
        /// The step before (none: the pack's start).
        after: Option<String>,
        /// The kind of pack.
        kind: PackKind,
    },
    /// A stage dated before the one before it.
    #[error("stage `{}` is dated before the stage before it", escape_control(.step))]
    DatedBefore {
        /// The stage's step.
        step: String,
    },
    /// The manifest's resolution is not the one its stages give.
    #[error("the manifest gives the resolution {:?}, but its stages give {:?}", .listed.as_deref().unwrap_or("none"), .actual.as_deref().unwrap_or("none"))]
    Resolution {
        /// The manifest's.
        listed: Option<String>,
        /// The stages'.
        actual: Option<String>,
    },
    /// The manifest records no stages.
    #[error("the manifest records no stages")]
    NoStages,
    /// The manifest's status is not the one its last stage gives.
    #[error("the manifest says the pack is {}, but its last stage makes it {}", .listed.name(), .actual.name())]
    Status {
        /// The manifest's.
        listed: Status,
        /// The last stage's.
        actual: Status,
    },
    /// The manifest's signature does not match (found by the caller, which
    /// holds the office key: see [`Pack::signature`]).
    #[error("{}", PackError::BadSignature)]
    BadSignature,
}

impl Serialize for VerifyProblem {
    /// As its text (what `pack verify --json` lists).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Everything that can go wrong with a pack. No variant carries personal
/// data (names, addresses, free text) from the step's data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The step is not one this kind of pack has.
    #[error("a {kind} pack has no step `{step}`{}; its steps are: {}", hint.as_ref().map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default(), .steps.join(", "))]
    UnknownStep {
        /// Kind.
        kind: PackKind,
        /// Step asked for.
        step: String,
        /// The kind's steps.
        steps: Vec<String>,
        /// The step closest to the one asked for.
        hint: Option<String>,
    },
    /// The step was already taken.
    #[error(
        "step `{step}` was already taken on {date}; the {kind} pack is at stage `{stage}`; next: {next}"
    )]
    AlreadyTaken {
        /// Kind.
        kind: PackKind,
        /// Step asked for.
        step: String,
        /// When it was taken.
        date: String,
        /// Current stage.
        stage: String,
        /// What may come next.
        next: String,
    },
    /// The step cannot follow the pack's current stage.
    #[error(
        "step `{step}` cannot be taken yet: the {kind} pack is at stage `{stage}`; next: {next}"
    )]
    OutOfOrder {
        /// Kind.
        kind: PackKind,
        /// Step asked for.
        step: String,
        /// Current stage.
        stage: String,
        /// What may come next.
        next: String,
    },
    /// The pack is closed.
    #[error(
        "the {kind} pack is closed ({status} at stage `{stage}` on {date}); no step can follow"
    )]
    Closed {
        /// Kind.
        kind: PackKind,
        /// Completed or cancelled.
        status: &'static str,
        /// The closing stage.
        stage: String,
        /// Its date.
        date: String,
    },
    /// The step is dated before the previous stage.
    #[error(
        "step `{step}` is dated {date}, before the previous stage `{stage}` ({previous}); stages are recorded in date order"
    )]
    DateOrder {
        /// Step asked for.
        step: String,
        /// Its date.
        date: String,
        /// Previous stage.
        stage: String,
        /// Its date.
        previous: String,
    },
    /// The step breaks a rule of the procedure (dates in the wrong order,
    /// attendance recorded twice for one meeting).
    #[error("step `{step}` is refused: {message}")]
    Rule {
        /// Step asked for.
        step: String,
        /// What is wrong, naming the dates involved.
        message: String,
    },
    /// The step's data is not valid.
    #[error("the data for step `{step}` has {} problem{}:\n  {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.join("\n  "))]
    Data {
        /// Step.
        step: String,
        /// Each problem, `origin:line:column: key: message`.
        problems: Vec<String>,
    },
    /// An attachment is refused.
    #[error("attachment {index} of {count} {reason}")]
    Attachment {
        /// 1-based position among the step's attachments.
        index: usize,
        /// How many were given.
        count: usize,
        /// Why.
        reason: String,
    },
    /// A document could not be rendered from the pack's data.
    #[error("{code} cannot be rendered from the pack's data:\n  {}", problems.join("\n  "))]
    Document {
        /// Document code.
        code: String,
        /// Each problem.
        problems: Vec<String>,
    },
    /// Rendering failed.
    #[error("{code} failed to render")]
    Render {
        /// Document code.
        code: String,
        /// Why.
        #[source]
        source: Box<crate::Error>,
    },
    /// The pack fails verification, so it will not be changed or used.
    #[error("the pack fails verification ({} problem{}):\n  {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Verify {
        /// Each problem.
        problems: Vec<VerifyProblem>,
    },
    /// An entry name could escape the pack's folder or is not one letterkit writes.
    #[error(
        "the archive has an unsafe entry name {name:?}: entries must be plain file names (no folders, `..` or absolute paths); it was not read"
    )]
    UnsafeEntryName {
        /// The name, as stored.
        name: String,
    },
    /// The archive is larger than a pack may be; nothing was read.
    #[error("the pack is too large to read: {reason}")]
    TooLarge {
        /// What is over the limit.
        reason: String,
    },
    /// The manifest does not match its signature.
    #[error(
        "{MANIFEST} does not match its signature: it was edited after the pack was written, or the office key is not the one that signed it"
    )]
    BadSignature,
    /// The archive is not a pack.
    #[error("not a letterkit pack: {reason}")]
    NotAPack {
        /// Why.
        reason: String,
    },
    /// The pack is encrypted and no password was given.
    #[error(
        "the pack is encrypted (WinZip AES-256); give its password with --password-env VAR or --password-file FILE"
    )]
    NeedsPassword,
    /// The password does not open the pack.
    #[error("the password does not open this pack")]
    WrongPassword,
    /// The zip library failed.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Building the court bundle failed.
    #[error("bundle: {0}")]
    Bundle(String),
}

/// A pack in memory: its manifest and the bytes of every entry.
#[derive(Debug, Clone)]
pub struct Pack {
    manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
    encrypted: bool,
    /// The manifest's bytes and signature as read (None: built in memory).
    read_as: Option<(Vec<u8>, Option<String>)>,
    /// The stage machines it follows (the catalog's `packs/*.yaml`).
    procedures: std::sync::Arc<Procedures>,
}

/// What the manifest's signature says (see [`Pack::signature`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// Signed, and the signature matches the office key.
    Valid,
    /// Signed, but it does not match: the manifest was edited, or the key
    /// is not the one that signed it.
    Invalid,
    /// Signed, but no key was given, so it cannot be checked.
    NotChecked,
    /// Not signed (written without an office key).
    Unsigned,
}

impl Signature {
    /// The kebab-case name (`valid`, `invalid`, `not-checked`, `unsigned`).
    pub fn name(self) -> &'static str {
        match self {
            Signature::Valid => "valid",
            Signature::Invalid => "invalid",
            Signature::NotChecked => "not-checked",
            Signature::Unsigned => "unsigned",
        }
    }
}

type HmacSha256 = hmac::Hmac<Sha256>;

fn mac(key: &[u8], bytes: &[u8]) -> HmacSha256 {
    use hmac::{KeyInit, Mac};
    // HMAC takes a key of any length, so this never fails.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
    m.update(bytes);
    m
}

/// The signature of manifest bytes `json` with `key`: `hmac-sha256:<hex>`.
pub(crate) fn sign(key: &[u8], json: &[u8]) -> String {
    use hmac::Mac;
    let tag = mac(key, json).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("hmac-sha256:{hex}")
}

fn signature_matches(key: &[u8], json: &[u8], signature: &str) -> bool {
    use hmac::Mac;
    let Some(hex) = signature.strip_prefix("hmac-sha256:") else {
        return false;
    };
    if hex.len() != 64 || !hex.is_ascii() {
        return false;
    }
    let tag: Option<Vec<u8>> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    tag.is_some_and(|tag| mac(key, json).verify_slice(&tag).is_ok())
}

/// `s` with control characters, bidirectional overrides and zero-width
/// marks escaped (`\u{1b}`), so that text from a crafted manifest cannot
/// drive a terminal when it is printed.
pub fn escape_control(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        let hidden = c.is_control()
            || matches!(
                c,
                '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
            );
        if hidden {
            o.extend(c.escape_unicode());
        } else {
            o.push(c);
        }
    }
    o
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn list(steps: &[&str]) -> String {
    if steps.is_empty() {
        "nothing (the pack is closed)".into()
    } else {
        steps
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

impl Pack {
    /// Starts a pack of `kind` with its first step (`create`).
    ///
    /// # Errors
    /// [`PackError`]: the step is not the kind's first, its data or attachments do not
    /// check, or a document does not render.
    pub fn create(engine: &Engine, kind: PackKind, step: &Step<'_>) -> Result<Pack, PackError> {
        let mut pack = Pack {
            manifest: Manifest {
                format: FORMAT.into(),
                generator: concat!("letterkit ", env!("CARGO_PKG_VERSION")).into(),
                kind,
                reference: String::new(),
                region: String::new(),
                status: Status::Open,
                stages: Vec::new(),
                entries: Vec::new(),
                resolution: None,
            },
            files: BTreeMap::new(),
            encrypted: false,
            read_as: None,
            procedures: engine.catalog().procedures().clone(),
        };
        pack.apply(engine, step)?;
        Ok(pack)
    }

    /// The stage machine the pack follows.
    pub fn procedure(&self) -> &Procedure {
        self.procedures.get(self.manifest.kind)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The bytes of entry `file`.
    pub fn file(&self, file: &str) -> Option<&[u8]> {
        self.files.get(file).map(Vec::as_slice)
    }

    /// Whether the pack was read from an encrypted archive.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Checks the manifest's signature as read against the office `key`
    /// (see [`Pack::write_signed`]). A pack built in memory is unsigned.
    pub fn signature(&self, key: Option<&[u8]>) -> Signature {
        match (&self.read_as, key) {
            (None | Some((_, None)), _) => Signature::Unsigned,
            (Some((_, Some(_))), None) => Signature::NotChecked,
            (Some((json, Some(sig))), Some(key)) => {
                if signature_matches(key, json, sig) {
                    Signature::Valid
                } else {
                    Signature::Invalid
                }
            }
        }
    }

    /// The last step taken.
    pub fn stage(&self) -> Option<&Stage> {
        self.manifest.stages.last()
    }

    /// The last step of the procedure's path taken (side steps such as
    /// `court-fee` or `correct` do not move the pack's stage).
    pub fn main_stage(&self) -> Option<&Stage> {
        let kind = self.procedure();
        self.manifest
            .stages
            .iter()
            .rev()
            .find(|s| kind.step(&s.step).is_none_or(|spec| !spec.side))
    }

    fn allowed_now(&self) -> Vec<&StepSpec> {
        if self.manifest.status != Status::Open {
            return Vec::new();
        }
        self.procedure()
            .next_after(self.main_stage().map(|s| s.step.as_str()))
    }

    /// The steps of the procedure's path that may be taken next (none once
    /// closed).
    pub fn next_steps(&self) -> Vec<&str> {
        self.allowed_now()
            .into_iter()
            .filter(|s| !s.side)
            .map(|s| s.name.as_str())
            .collect()
    }

    /// The side steps that may be taken now, beside the path (`court-fee`,
    /// `correct`, `cancel`, `rearrange`, `attendance`).
    pub fn side_steps(&self) -> Vec<&str> {
        self.allowed_now()
            .into_iter()
            .filter(|s| s.side)
            .map(|s| s.name.as_str())
            .collect()
    }

    /// Every key known so far (later stages override earlier ones).
    pub fn data(&self) -> serde_json::Map<String, serde_json::Value> {
        self.data_upto(self.manifest.stages.len())
    }

    /// The keys known after the first `n` stages.
    fn data_upto(&self, n: usize) -> serde_json::Map<String, serde_json::Value> {
        let mut acc = serde_json::Map::new();
        for s in self.manifest.stages.iter().take(n) {
            if let Some(spec) = self.procedure().step(&s.step) {
                for k in &spec.resets {
                    acc.remove(k);
                }
            }
            let corrects = self
                .procedure()
                .step(&s.step)
                .is_some_and(|spec| spec.corrects);
            let target = s.data.get("document").and_then(|v| v.as_str());
            for (k, v) in &s.data {
                if corrects
                    && kinds::OWN_KEYS.contains(&k.as_str())
                    && !target.is_some_and(|t| self.corrects_latest(t, k, n))
                {
                    continue;
                }
                acc.insert(k.clone(), v.clone());
            }
        }
        acc
    }

    /// Whether a correction of `key` on document `file` corrects the value
    /// in use: `file`'s own step is the latest of the first `n` stages to
    /// give `key` (a correction of an earlier meeting's letter changes that
    /// letter only).
    fn corrects_latest(&self, file: &str, key: &str, n: usize) -> bool {
        let Some(i) = self.manifest.entries.iter().position(|e| e.file == file) else {
            return false;
        };
        let Some((_, origin)) = self.origin(i) else {
            return false;
        };
        let kind = self.procedure();
        let latest = self.manifest.stages[..n.min(self.manifest.stages.len())]
            .iter()
            .rposition(|s| {
                s.data.contains_key(key) && kind.step(&s.step).is_some_and(|spec| !spec.corrects)
            });
        latest == Some(origin)
    }

    fn check_order(&self, spec: &StepSpec, date: Date) -> Result<(), PackError> {
        let kind = self.manifest.kind;
        let stage = self.stage();
        let stage_name = self
            .main_stage()
            .map_or("(new)".to_owned(), |s| s.step.clone());
        if self.manifest.status != Status::Open {
            let last = stage.map_or((String::new(), String::new()), |s| {
                (s.step.clone(), s.date.clone())
            });
            return Err(PackError::Closed {
                kind,
                status: self.manifest.status.name(),
                stage: last.0,
                date: last.1,
            });
        }
        let mut next = list(&self.next_steps());
        let side = self.side_steps();
        if !side.is_empty() {
            next.push_str("; beside it: ");
            next.push_str(&list(&side));
        }
        if let Some(done) = self
            .manifest
            .stages
            .iter()
            .find(|s| s.step == spec.name && !spec.side)
        {
            return Err(PackError::AlreadyTaken {
                kind,
                step: spec.name.clone(),
                date: done.date.clone(),
                stage: stage_name,
                next,
            });
        }
        if !self.allowed_now().iter().any(|s| s.name == spec.name) {
            return Err(PackError::OutOfOrder {
                kind,
                step: spec.name.clone(),
                stage: stage_name,
                next,
            });
        }
        if let Some(s) = stage
            && date.to_string() < s.date
        {
            return Err(PackError::DateOrder {
                step: spec.name.clone(),
                date: date.to_string(),
                stage: s.step.clone(),
                previous: s.date.clone(),
            });
        }
        Ok(())
    }

    /// Takes the next step. On any error the pack is unchanged.
    ///
    /// # Errors
    /// [`PackError`]: the pack fails verification, the step is unknown or out of order,
    /// its data or attachments do not check, or a document does not render.
    pub fn apply(&mut self, engine: &Engine, step: &Step<'_>) -> Result<(), PackError> {
        let kind = self.manifest.kind;
        // The engine's catalog says what the procedure is now.
        let procedures = engine.catalog().procedures().clone();
        let previous = std::mem::replace(&mut self.procedures, procedures.clone());
        let result = self.apply_with(engine, step, procedures.get(kind));
        if result.is_err() {
            self.procedures = previous;
        }
        result
    }

    fn apply_with(
        &mut self,
        engine: &Engine,
        step: &Step<'_>,
        procedure: &Procedure,
    ) -> Result<(), PackError> {
        let kind = self.manifest.kind;
        if !self.manifest.stages.is_empty() {
            let problems = self.verify();
            if !problems.is_empty() {
                return Err(PackError::Verify { problems });
            }
        }
        let Some(spec) = procedure.step(step.name) else {
            let names: Vec<&str> = procedure.steps().iter().map(|s| s.name.as_str()).collect();
            return Err(PackError::UnknownStep {
                kind,
                step: step.name.into(),
                steps: names.iter().map(|n| (*n).to_owned()).collect(),
                hint: crate::request::closest(step.name, &names).map(str::to_owned),
            });
        };
        self.check_order(spec, step.date)?;
        let data_error = |problems| PackError::Data {
            step: spec.name.clone(),
            problems,
        };

        // The step's own data. A correction takes any key; which ones the
        // named document shows is checked once it is found.
        let all_keys: Vec<&str> = data::KEYS.iter().map(|k| k.name).collect();
        let gives = spec.gives();
        let allowed = if spec.corrects {
            all_keys.as_slice()
        } else {
            gives.as_slice()
        };
        let mut checked = data::check_keys(
            step.data,
            step.origin,
            allowed,
            &spec.name,
            spec.corrects
                .then_some("document, correction-reason and the keys the document shows"),
        )
        .map_err(data_error)?;
        let before = self.data();
        let mut acc = before.clone();
        for k in &spec.resets {
            acc.remove(k);
        }
        if spec.name == "court-fee"
            && !checked.values.contains_key("fee-court")
            && let Some(court) = acc.get("court").cloned()
        {
            checked.values.insert("fee-court".into(), court);
        }
        for (k, v) in &checked.values {
            acc.insert(k.clone(), v.clone());
        }
        let mut problems = Vec::new();
        for k in &spec.needs {
            if !checked.values.contains_key(k) {
                problems.push(missing(step.origin, k, "this step needs it"));
            }
        }
        for k in &spec.ensures {
            if !acc.contains_key(k) {
                problems.push(missing(
                    step.origin,
                    k,
                    "no earlier step gave it, so this step needs it",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(data_error(problems));
        }

        // A correction: find the document and check the keys it shows.
        let mut warnings = Vec::new();
        let mut rerender: Vec<usize> = Vec::new();
        if spec.corrects {
            let (target, problems) = self.correction_target(engine, step, &checked, &before);
            if !problems.is_empty() {
                return Err(data_error(problems));
            }
            if let Some(i) = target {
                let file = self.manifest.entries[i].file.clone();
                let n = self.manifest.stages.len();
                for k in kinds::OWN_KEYS {
                    if checked.values.contains_key(*k) && !self.corrects_latest(&file, k, n) {
                        match before.get(*k) {
                            Some(v) => acc.insert((*k).to_owned(), v.clone()),
                            None => acc.remove(*k),
                        };
                    }
                }
                checked
                    .values
                    .insert("document".into(), serde_json::Value::String(file.clone()));
                acc.insert("document".into(), serde_json::Value::String(file.clone()));
                let corrected: Vec<&str> = checked
                    .values
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !matches!(*k, "document" | "correction-reason"))
                    .filter(|k| !kinds::OWN_KEYS.contains(k))
                    .collect();
                let others = self.current_showing(engine, &corrected, |j| j == i);
                if !others.is_empty() {
                    warnings.push(format!(
                        "{} also show{} a corrected value ({}); correct {} too if {} wrong",
                        others.join(", "),
                        if others.len() == 1 { "s" } else { "" },
                        corrected.join(", "),
                        if others.len() == 1 { "it" } else { "them" },
                        if others.len() == 1 {
                            "it is"
                        } else {
                            "they are"
                        },
                    ));
                }
                rerender.push(i);
            }
        }

        // Rules across the pack's data: addresses, dates, attendance.
        let referral = self
            .manifest
            .stages
            .first()
            .map_or_else(|| step.date.to_string(), |s| s.date.clone());
        let (problems, rule, mut more) = self.rules(spec, step, &checked, &acc, &referral);
        if !problems.is_empty() {
            return Err(data_error(problems));
        }
        if let Some(message) = rule {
            return Err(PackError::Rule {
                step: spec.name.clone(),
                message,
            });
        }
        warnings.append(&mut more);

        // Documents of earlier stages this step changes a key of.
        for code in &spec.rerenders {
            let Some(i) = self
                .manifest
                .entries
                .iter()
                .rposition(|e| e.code == *code && e.status == EntryStatus::Current)
            else {
                continue;
            };
            let Some((d, _)) = self.origin(i) else {
                continue;
            };
            let changed = shown_keys(engine, d).iter().any(|k| {
                before
                    .get(*k)
                    .is_some_and(|old| checked.values.get(*k).is_some_and(|new| new != old))
            });
            if changed {
                rerender.push(i);
            }
        }
        if !spec.rerenders.is_empty() && !rerender.is_empty() {
            let changed: Vec<&str> = checked
                .values
                .iter()
                .filter(|(k, v)| before.get(k.as_str()).is_some_and(|old| old != *v))
                .map(|(k, _)| k.as_str())
                .collect();
            let others = self.current_showing(engine, &changed, |j| rerender.contains(&j));
            if !others.is_empty() {
                warnings.push(format!(
                    "{} also show{} a changed value ({}) and {} not rendered again; correct {} with step `correct` if needed",
                    others.join(", "),
                    if others.len() == 1 { "s" } else { "" },
                    changed.join(", "),
                    if others.len() == 1 { "is" } else { "are" },
                    if others.len() == 1 { "it" } else { "them" },
                ));
            }
        }

        // Attachments.
        let count = step.attachments.len();
        match spec.attach {
            Attach::None if count > 0 => {
                return Err(PackError::Attachment {
                    index: 1,
                    count,
                    reason: format!("is refused: step `{}` takes no attachments", spec.name),
                });
            }
            Attach::Required if count == 0 => {
                return Err(PackError::Data {
                    step: spec.name.clone(),
                    problems: vec![format!(
                        "step `{}` needs at least one supporting document (--attach FILE: a PDF, PNG or JPEG)",
                        spec.name
                    )],
                });
            }
            _ => {}
        }
        let mut media = Vec::with_capacity(count);
        for (i, a) in step.attachments.iter().enumerate() {
            let m = attachment::inspect(&a.bytes).map_err(|reason| PackError::Attachment {
                index: i + 1,
                count,
                reason,
            })?;
            media.push(m);
        }

        // Documents.
        let reference = acc
            .get("reference")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let mut entries = self.manifest.entries.clone();
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut added = Vec::new();
        let mut superseded = Vec::new();
        let file_name =
            |seq: usize, code: &str, version: u32| format!("{seq:02}-{code}-v{version}.pdf");
        for d in &spec.documents {
            let tree = document_tree(engine, d, step.date, &reference, &acc, &checked);
            let (pdf, pages) = render_doc(engine, d, &tree, step.origin)?;
            let mut version = 1;
            let seq = entries.len() + 1;
            if d.replaces
                && let Some(old) = entries
                    .iter()
                    .rposition(|e| e.code == d.code && e.status == EntryStatus::Current)
            {
                version = entries[old].version + 1;
                entries[old].status = EntryStatus::Superseded;
                entries[old].superseded_by = Some(file_name(seq, &d.code, version));
                superseded.push(entries[old].file.clone());
            }
            let file = file_name(seq, &d.code, version);
            entries.push(rendered_entry(
                &file, &d.code, &d.label, version, &spec.name, &pdf, pages,
            ));
            added.push(file.clone());
            files.push((file, pdf));
        }
        // Earlier documents rendered again: each with its own step's
        // settings and date, the pack's data as it is now, and the values of
        // its own PV check.
        for i in rerender {
            let Some((d, origin_stage)) = self.origin(i) else {
                continue;
            };
            let data = self.rerender_data(i, origin_stage, &acc, spec.corrects.then_some(&checked));
            let date = Date::parse(&self.manifest.stages[origin_stage].date)
                .map_err(|reason| PackError::NotAPack { reason })?;
            let tree = document_tree(engine, d, date, &reference, &data, &checked);
            let (pdf, pages) = render_doc(engine, d, &tree, step.origin)?;
            let seq = entries.len() + 1;
            let version = entries[i].version + 1;
            let file = file_name(seq, &d.code, version);
            let title = entries[i].title.clone();
            entries[i].status = EntryStatus::Superseded;
            entries[i].superseded_by = Some(file.clone());
            superseded.push(entries[i].file.clone());
            entries.push(rendered_entry(
                &file, &d.code, &title, version, &spec.name, &pdf, pages,
            ));
            added.push(file.clone());
            files.push((file, pdf));
        }
        let mut n_attached = entries.iter().filter(|e| e.code == "attachment").count();
        for (a, (m, pages)) in step.attachments.iter().zip(media) {
            n_attached += 1;
            let file = format!(
                "{:02}-attachment-{n_attached}.{}",
                entries.len() + 1,
                m.extension()
            );
            entries.push(Entry {
                file: file.clone(),
                code: "attachment".into(),
                title: format!("Supporting document {n_attached}"),
                version: 1,
                stage: spec.name.clone(),
                status: EntryStatus::Current,
                superseded_by: None,
                media_type: m.mime().into(),
                size: a.bytes.len() as u64,
                sha256: sha256_hex(&a.bytes),
                pages: Some(pages),
                original_name: Some(a.name.clone()),
            });
            added.push(file.clone());
            files.push((file, a.bytes.clone()));
        }

        // Commit: nothing above changed `self`.
        if self.manifest.stages.is_empty() {
            self.manifest.reference = reference;
            self.manifest.region = acc
                .get("region")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
        }
        self.manifest.entries = entries;
        self.manifest.stages.push(Stage {
            step: spec.name.clone(),
            date: step.date.to_string(),
            data: checked.values,
            added,
            superseded,
            warnings,
        });
        let (status, resolution) = status_after(procedure, &self.manifest.stages);
        self.manifest.status = status;
        self.manifest.resolution = resolution.map(str::to_owned);
        self.files.extend(files);
        Ok(())
    }

    /// The step spec, document spec and stage that first rendered entry `i`
    /// (following superseded versions back through corrections).
    /// The current documents (but those `skip` names, by index) that show
    /// one of `keys`: a changed value may be wrong in them too.
    fn current_showing(
        &self,
        engine: &Engine,
        keys: &[&str],
        skip: impl Fn(usize) -> bool,
    ) -> Vec<&str> {
        self.manifest
            .entries
            .iter()
            .enumerate()
            .filter(|(j, e)| e.status == EntryStatus::Current && !skip(*j))
            .filter(|(j, _)| {
                self.origin(*j)
                    .is_some_and(|(d, _)| shown_keys(engine, d).iter().any(|k| keys.contains(k)))
            })
            .map(|(_, e)| e.file.as_str())
            .collect()
    }

    fn origin(&self, i: usize) -> Option<(&DocSpec, usize)> {
        let kind = self.procedure();
        let entries = &self.manifest.entries;
        let mut e = entries.get(i)?;
        for _ in 0..=entries.len() {
            if let Some(d) = kind
                .step(&e.stage)
                .and_then(|s| s.documents.iter().find(|d| d.code == e.code))
            {
                let stage = self
                    .manifest
                    .stages
                    .iter()
                    .position(|s| s.added.contains(&e.file))?;
                return Some((d, stage));
            }
            e = entries
                .iter()
                .find(|x| x.superseded_by.as_deref() == Some(e.file.as_str()))?;
        }
        None
    }

    /// The data entry `i` is rendered again with: the pack's data `acc`, but
    /// the values of its own PV check or meeting ([`kinds::OWN_KEYS`]), with
    /// the corrections made to it.
    fn rerender_data(
        &self,
        i: usize,
        origin_stage: usize,
        acc: &serde_json::Map<String, serde_json::Value>,
        correction: Option<&data::Checked>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut out = acc.clone();
        let own = self.data_upto(origin_stage + 1);
        for k in kinds::OWN_KEYS {
            out.remove(*k);
            if let Some(v) = own.get(*k) {
                out.insert((*k).to_owned(), v.clone());
            }
        }
        let lineage = self.lineage(i);
        let kind = self.procedure();
        for s in &self.manifest.stages[origin_stage + 1..] {
            let corrects = kind.step(&s.step).is_some_and(|spec| spec.corrects);
            let target = s.data.get("document").and_then(|v| v.as_str());
            if corrects && target.is_some_and(|t| lineage.iter().any(|f| f == t)) {
                for k in kinds::OWN_KEYS {
                    if let Some(v) = s.data.get(*k) {
                        out.insert((*k).to_owned(), v.clone());
                    }
                }
            }
        }
        if let Some(c) = correction {
            for k in kinds::OWN_KEYS {
                if let Some(v) = c.values.get(*k) {
                    out.insert((*k).to_owned(), v.clone());
                }
            }
        }
        out
    }

    /// Every version of entry `i`'s document, oldest first.
    fn lineage(&self, i: usize) -> Vec<String> {
        let entries = &self.manifest.entries;
        let mut out = Vec::new();
        let Some(mut e) = entries.get(i) else {
            return out;
        };
        out.push(e.file.clone());
        while let Some(prev) = entries
            .iter()
            .find(|x| x.superseded_by.as_deref() == Some(e.file.as_str()))
        {
            if out.contains(&prev.file) {
                break;
            }
            out.push(prev.file.clone());
            e = prev;
        }
        out.reverse();
        out
    }

    /// Finds the document a `correct` step names and checks the keys given
    /// are ones it shows and change something.
    fn correction_target(
        &self,
        engine: &Engine,
        step: &Step<'_>,
        checked: &data::Checked,
        before: &serde_json::Map<String, serde_json::Value>,
    ) -> (Option<usize>, Vec<String>) {
        let node_at = |k: &str| {
            checked
                .nodes
                .get(k)
                .map_or_else(|| step.origin.to_owned(), |n| position(step.origin, n))
        };
        let Some(name) = checked.values.get("document").and_then(|v| v.as_str()) else {
            return (None, Vec::new());
        };
        let entries = &self.manifest.entries;
        let rendered: Vec<&str> = entries
            .iter()
            .filter(|e| e.status == EntryStatus::Current && e.code != "attachment")
            .map(|e| e.file.as_str())
            .collect();
        let found = match entries.iter().position(|e| e.file == name) {
            Some(i) => Ok(i),
            None => {
                let same: Vec<usize> = entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.code == name && e.status == EntryStatus::Current)
                    .map(|(i, _)| i)
                    .collect();
                match same.as_slice() {
                    [i] => Ok(*i),
                    [] => Err(format!(
                        "{}: document: the pack has no document {}; its documents: {}",
                        node_at("document"),
                        // Only a code or file name is echoed, never free text.
                        if name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
                        {
                            format!("`{name}`")
                        } else {
                            "by that name".to_owned()
                        },
                        rendered.join(", ")
                    )),
                    many => Err(format!(
                        "{}: document: the pack has {} current `{name}` documents ({}); name one by its file name",
                        node_at("document"),
                        many.len(),
                        many.iter()
                            .map(|i| entries[*i].file.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
        };
        let i = match found {
            Ok(i) => i,
            Err(p) => return (None, vec![p]),
        };
        let e = &entries[i];
        if e.code == "attachment" {
            return (
                None,
                vec![format!(
                    "{}: document: {} is an attachment, kept byte for byte; attach the right file with a later step instead",
                    node_at("document"),
                    e.file
                )],
            );
        }
        if let Some(by) = &e.superseded_by {
            return (
                None,
                vec![format!(
                    "{}: document: {} is superseded by {by}; correct {by}",
                    node_at("document"),
                    e.file
                )],
            );
        }
        let Some((d, origin_stage)) = self.origin(i) else {
            return (
                None,
                vec![format!(
                    "{}: document: {} cannot be rendered again",
                    node_at("document"),
                    e.file
                )],
            );
        };
        let shown = shown_keys(engine, d);
        let mut problems = Vec::new();
        let corrected: Vec<&String> = checked
            .values
            .keys()
            .filter(|k| !matches!(k.as_str(), "document" | "correction-reason"))
            .collect();
        for k in &corrected {
            if !shown.contains(&k.as_str()) {
                problems.push(format!(
                    "{}: {k}: {} does not show `{k}`; it shows: {}",
                    node_at(k),
                    e.file,
                    shown.join(", ")
                ));
            }
        }
        if corrected.is_empty() {
            problems.push(format!(
                "{}: give at least one corrected value; {} shows: {}",
                step.origin,
                e.file,
                shown.join(", ")
            ));
        } else if problems.is_empty() {
            let now = self.rerender_data(i, origin_stage, before, None);
            if corrected
                .iter()
                .all(|k| now.get(k.as_str()) == checked.values.get(k.as_str()))
            {
                problems.push(format!(
                    "{}: nothing to correct: {} already shows the value{} given",
                    step.origin,
                    e.file,
                    if corrected.len() == 1 { "" } else { "s" }
                ));
            }
        }
        (Some(i), problems)
    }

    /// The procedure's rules across the pack's data once this step's values
    /// are in: a postcode needs its address, dates in the order the
    /// procedure takes them, one attendance per meeting. Returns positioned
    /// data problems, a refusal of the step itself, and warnings.
    fn rules(
        &self,
        spec: &StepSpec,
        step: &Step<'_>,
        checked: &data::Checked,
        acc: &serde_json::Map<String, serde_json::Value>,
        referral: &str,
    ) -> (Vec<String>, Option<String>, Vec<String>) {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let at = |k: &str| {
            checked
                .nodes
                .get(k)
                .map_or_else(|| step.origin.to_owned(), |n| position(step.origin, n))
        };
        let get = |k: &str| acc.get(k).and_then(|v| v.as_str());
        let given = |k: &str| checked.values.get(k).and_then(|v| v.as_str());
        for (address, postcode) in [
            ("paying-parent-address", "paying-parent-postcode"),
            ("court-address", "court-postcode"),
            ("client-address", "client-postcode"),
        ] {
            if acc.contains_key(postcode) && !acc.contains_key(address) {
                problems.push(format!(
                    "{}: {postcode}: a postcode is given without {address}; give the address lines too",
                    at(postcode)
                ));
            }
        }
        let hearing = get("hearing-date");
        if let Some(h) = given("hearing-date") {
            if h < referral {
                problems.push(format!(
                    "{}: hearing-date: the hearing ({h}) is before the referral ({referral})",
                    at("hearing-date")
                ));
            }
            if let Some(i) = get("issue-date")
                && given("issue-date").is_none()
                && h < i
            {
                problems.push(format!(
                    "{}: hearing-date: the hearing ({h}) is before the date of issue ({i})",
                    at("hearing-date")
                ));
            }
        }
        if let Some(i) = given("issue-date") {
            if i < referral {
                problems.push(format!(
                    "{}: issue-date: the date of issue ({i}) is before the referral ({referral})",
                    at("issue-date")
                ));
            }
            if let Some(h) = hearing
                && i > h
            {
                problems.push(format!(
                    "{}: issue-date: the date of issue ({i}) is after the hearing ({h})",
                    at("issue-date")
                ));
            }
        }
        if let Some(f) = given("fee-paid-on") {
            if f < referral {
                problems.push(format!(
                    "{}: fee-paid-on: the fee was paid ({f}) before the referral ({referral})",
                    at("fee-paid-on")
                ));
            }
            let today = step.date.to_string();
            if f > today.as_str() {
                problems.push(format!(
                    "{}: fee-paid-on: the fee was paid ({f}) after this step's date ({today}); record a fee once it is paid",
                    at("fee-paid-on")
                ));
            }
        }
        let date = step.date.to_string();
        let mut rule = None;
        let kind = self.manifest.kind;
        match (spec.name.as_str(), kind) {
            ("outcome", PackKind::FaceToFace) => {
                if given("visit-outcome") == Some("failed-to-attend") {
                    problems.push(format!(
                        "{}: visit-outcome: a missed meeting is recorded with step `attendance` (--set attendance=failed-to-attend), once for each meeting; the pack closes as `{FAILED_TO_ATTEND}` when the client fails to attend more than twice",
                        at("visit-outcome")
                    ));
                }
                if let Some(m) = get("meeting-date")
                    && date.as_str() < m
                {
                    rule = Some(format!(
                        "it is dated {date}, before the meeting ({m}); record the outcome on or after the meeting date"
                    ));
                }
            }
            ("outcome", _) => {
                if let Some(h) = hearing
                    && date.as_str() < h
                {
                    rule = Some(format!(
                        "it is dated {date}, before the hearing ({h}); record the outcome on or after the hearing date"
                    ));
                }
            }
            ("second-pv-check", _) => {
                if let Some(h) = hearing {
                    if date.as_str() > h {
                        rule = Some(format!(
                            "it is dated {date}, after the hearing ({h}); the second PV check is made 48 hours before the hearing"
                        ));
                    } else if let Ok(hd) = Date::parse(h) {
                        let days = hd.days() - step.date.days();
                        if days > 2 {
                            warnings.push(format!(
                                "the second PV check is dated {date}, {days} days before the hearing ({h}): earlier than the 48 hours before the hearing that the procedure asks for"
                            ));
                        }
                    }
                }
            }
            ("attendance", _) => {
                let meeting = get("meeting-date").unwrap_or_default();
                let since = self
                    .manifest
                    .stages
                    .iter()
                    .rposition(|s| s.step == "appointment" || s.step == "rearrange")
                    .map_or(0, |i| i + 1);
                if let Some(done) = self.manifest.stages[since..]
                    .iter()
                    .find(|s| s.step == "attendance")
                {
                    rule = Some(format!(
                        "attendance at the meeting on {meeting} was already recorded on {}; rearrange the meeting (step `rearrange`) before recording attendance again",
                        done.date
                    ));
                } else if date.as_str() < meeting {
                    rule = Some(format!(
                        "it is dated {date}, before the meeting ({meeting}); record attendance on or after the meeting date"
                    ));
                }
            }
            _ => {}
        }
        (problems, rule, warnings)
    }

    /// Checks the pack against its manifest: every entry present with its
    /// size and SHA-256, nothing extra, names safe, stages in an order the
    /// stage machine allows. Returns every problem (empty: the pack is good).
    pub fn verify(&self) -> Vec<VerifyProblem> {
        let m = &self.manifest;
        let mut problems = Vec::new();
        if m.format != FORMAT {
            problems.push(VerifyProblem::Format {
                found: m.format.clone(),
            });
        }
        let mut seen = BTreeMap::new();
        for e in &m.entries {
            if seen.insert(e.file.as_str(), ()).is_some() {
                problems.push(VerifyProblem::ListedTwice {
                    file: e.file.clone(),
                });
            }
            if !is_safe_entry_name(&e.file) || e.file == MANIFEST {
                problems.push(VerifyProblem::UnsafeName {
                    file: e.file.clone(),
                });
                continue;
            }
            match self.files.get(&e.file) {
                None => problems.push(VerifyProblem::Missing {
                    file: e.file.clone(),
                }),
                Some(bytes) => {
                    if bytes.len() as u64 != e.size {
                        problems.push(VerifyProblem::Size {
                            file: e.file.clone(),
                            size: bytes.len() as u64,
                            listed: e.size,
                        });
                    }
                    if sha256_hex(bytes) != e.sha256 {
                        problems.push(VerifyProblem::Changed {
                            file: e.file.clone(),
                        });
                    }
                }
            }
            if !m.stages.iter().any(|s| s.step == e.stage) {
                problems.push(VerifyProblem::UnrecordedStage {
                    file: e.file.clone(),
                    stage: e.stage.clone(),
                });
            }
            if e.status == EntryStatus::Superseded
                && !e
                    .superseded_by
                    .as_ref()
                    .is_some_and(|by| m.entries.iter().any(|x| &x.file == by))
            {
                problems.push(VerifyProblem::NoReplacement {
                    file: e.file.clone(),
                });
            }
        }
        for f in self.files.keys() {
            if !seen.contains_key(f.as_str()) {
                problems.push(VerifyProblem::NotInManifest { file: f.clone() });
            }
        }
        let mut last: Option<&str> = None;
        let mut last_date = "";
        let mut closed = false;
        for s in &m.stages {
            if closed {
                problems.push(VerifyProblem::AfterClose {
                    step: s.step.clone(),
                });
            }
            let ok = self
                .procedure()
                .next_after(last)
                .iter()
                .any(|spec| spec.name == s.step);
            if !ok {
                problems.push(VerifyProblem::OutOfOrder {
                    step: s.step.clone(),
                    after: last.map(str::to_owned),
                    kind: m.kind,
                });
            }
            if s.date.as_str() < last_date {
                problems.push(VerifyProblem::DatedBefore {
                    step: s.step.clone(),
                });
            }
            let spec = self.procedure().step(&s.step);
            if !spec.is_some_and(|spec| spec.side) {
                last = Some(&s.step);
            }
            closed = spec.is_some_and(|spec| spec.closes != Closes::No);
            last_date = &s.date;
        }
        let (want, resolution) = status_after(self.procedure(), &m.stages);
        if m.resolution.as_deref() != resolution {
            problems.push(VerifyProblem::Resolution {
                listed: m.resolution.clone(),
                actual: resolution.map(str::to_owned),
            });
        }
        if m.stages.is_empty() {
            problems.push(VerifyProblem::NoStages);
        } else if m.status != want {
            problems.push(VerifyProblem::Status {
                listed: m.status,
                actual: want,
            });
        }
        problems
    }
}

/// The status (and resolution) a pack's stages give it: its last stage's
/// `closes`; a face-to-face client who fails to attend more than twice
/// closes the pack as [`FAILED_TO_ATTEND`].
fn status_after(procedure: &Procedure, stages: &[Stage]) -> (Status, Option<&'static str>) {
    let kind = procedure.kind;
    let Some(last) = stages.last() else {
        return (Status::Open, None);
    };
    let missed = |s: &Stage| {
        s.step == "attendance"
            && s.data.get("attendance").and_then(|v| v.as_str()) == Some("failed-to-attend")
    };
    if kind == PackKind::FaceToFace
        && missed(last)
        && stages.iter().filter(|s| missed(s)).count() > 2
    {
        return (Status::Completed, Some(FAILED_TO_ATTEND));
    }
    let status = match procedure.step(&last.step).map_or(Closes::No, |s| s.closes) {
        Closes::No => Status::Open,
        Closes::Completed => Status::Completed,
        Closes::Cancelled => Status::Cancelled,
    };
    (status, None)
}

/// `origin:line:column` of a node (just `origin` when it has no position).
fn position(origin: &str, n: &Node) -> String {
    if n.pos.line == 0 {
        origin.to_owned()
    } else {
        format!("{origin}:{}:{}", n.pos.line, n.pos.column)
    }
}

/// The data keys document `d` shows: its definition's fields not fixed by
/// the step, and, for a letter, its recipient's keys.
fn shown_keys<'a>(engine: &Engine, d: &'a DocSpec) -> Vec<&'a str> {
    let Some(letter) = engine.catalog().letter(&d.code) else {
        return Vec::new();
    };
    let mut keys: Vec<&'a str> = Vec::new();
    if letter.kind == DocKind::Letter
        && let Some(r) = &d.recipient
    {
        keys.extend(r.iter().map(String::as_str));
    }
    for f in &letter.fields {
        if d.fixed.iter().any(|(k, _)| *k == f.name) {
            continue;
        }
        if let Some(spec) = data::key_spec(&f.name)
            && !keys.contains(&spec.name)
        {
            keys.push(spec.name);
        }
    }
    keys
}

fn render_doc(
    engine: &Engine,
    d: &DocSpec,
    tree: &Node,
    origin: &str,
) -> Result<(Vec<u8>, usize), PackError> {
    let request = engine
        .validate(tree, origin)
        .map_err(|e| document_error(d, &e))?;
    let rendered = engine
        .render(&request, &RenderOptions::default())
        .map_err(|e| PackError::Render {
            code: d.code.clone(),
            source: Box::new(e),
        })?;
    Ok((rendered.pdf, rendered.pages))
}

fn rendered_entry(
    file: &str,
    code: &str,
    title: &str,
    version: u32,
    stage: &str,
    pdf: &[u8],
    pages: usize,
) -> Entry {
    Entry {
        file: file.to_owned(),
        code: code.to_owned(),
        title: title.to_owned(),
        version,
        stage: stage.to_owned(),
        status: EntryStatus::Current,
        superseded_by: None,
        media_type: MediaType::Pdf.mime().into(),
        size: pdf.len() as u64,
        sha256: sha256_hex(pdf),
        pages: Some(pages),
        original_name: None,
    }
}

fn missing(origin: &str, key: &str, why: &str) -> String {
    let label = data::key_spec(key).map_or("", |k| k.label);
    format!("{origin}: {key} ({label}) is required: {why}")
}

/// Builds the request tree for document `d`: its fields from the pack's data
/// (nodes from this step keep their positions in the data file).
fn document_tree(
    engine: &Engine,
    d: &DocSpec,
    date: Date,
    reference: &str,
    acc: &serde_json::Map<String, serde_json::Value>,
    checked: &data::Checked,
) -> Node {
    let raw = |k: &str| -> Option<Node> {
        // This step's node (with its position) only when it is the value
        // in use: a re-rendered document may be given other values.
        checked
            .nodes
            .get(k)
            .filter(|_| checked.values.get(k) == acc.get(k))
            .cloned()
            .or_else(|| acc.get(k).map(data::value_node))
    };
    // An address whose first line names its addressee (the court's name as
    // the first line of `court-address`) would print the name twice.
    let node_for = |k: &str| -> Option<Node> {
        let n = raw(k)?;
        let name_key = match k {
            "court-address" => "court",
            "paying-parent-address" => "paying-parent-name",
            "client-address" => "client-name",
            _ => return Some(n),
        };
        let name = acc
            .get(name_key)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if let TreeValue::Seq(items) = &n.value
            && items.len() > 1
            && let TreeValue::Scalar { text, .. } = &items[0].value
            && same_name(text, name)
        {
            return Some(Node {
                value: TreeValue::Seq(items[1..].to_vec()),
                pos: n.pos,
            });
        }
        Some(n)
    };
    let mut top = vec![
        ("letter", data::text(&d.code)),
        ("date", data::text(&date.to_string())),
        ("reference", data::text(reference)),
    ];
    let letter = engine.catalog().letter(&d.code);
    if letter.is_some_and(|l| l.kind == DocKind::Letter)
        && let Some([name, address, postcode]) = &d.recipient
    {
        let mut r = Vec::new();
        for (field, key) in [("name", name), ("address", address), ("postcode", postcode)] {
            if let Some(n) = node_for(key) {
                r.push((field, n));
            }
        }
        top.push(("recipient", data::map_node(r)));
    }
    let mut fields = Vec::new();
    if let Some(l) = letter {
        for f in &l.fields {
            if let Some((_, v)) = d.fixed.iter().find(|(k, _)| *k == f.name) {
                fields.push((f.name.as_str(), data::text(v)));
            } else if let Some(n) = node_for(&f.name) {
                fields.push((f.name.as_str(), n));
            }
        }
    }
    top.push(("fields", data::map_node(fields)));
    data::map_node(top)
}

/// Whether an address line is the addressee's name (ignoring case, spaces
/// and punctuation).
fn same_name(line: &str, name: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let n = norm(name);
    !n.is_empty() && norm(line) == n
}

fn document_error(d: &DocSpec, e: &RequestError) -> PackError {
    let problems = e
        .diagnostics
        .iter()
        .map(|diag| {
            let path = diag.path.strip_prefix("fields.").unwrap_or(&diag.path);
            let path = match (&d.recipient, path.split_once('.')) {
                (Some(keys), Some(("recipient", rest))) => {
                    let (head, tail) = rest.split_once('[').map_or((rest, ""), |(h, t)| (h, t));
                    let key = match head {
                        "name" => &keys[0],
                        "address" => &keys[1],
                        _ => &keys[2],
                    };
                    if tail.is_empty() {
                        key.to_owned()
                    } else {
                        format!("{key}[{tail}")
                    }
                }
                _ => path.to_owned(),
            };
            if diag.pos.line > 0 {
                format!(
                    "{}:{}:{}: {path}: {}",
                    diag.origin, diag.pos.line, diag.pos.column, diag.message
                )
            } else {
                format!("{path}: {}", diag.message)
            }
        })
        .collect();
    PackError::Document {
        code: d.code.clone(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_matches_only_its_bytes_and_key() {
        let key = b"office-key-0123456789";
        let sig = sign(key, b"{\"a\": 1}");
        assert!(
            sig.starts_with("hmac-sha256:") && sig.len() == 12 + 64,
            "{sig}"
        );
        assert!(signature_matches(key, b"{\"a\": 1}", &sig));
        assert!(!signature_matches(key, b"{\"a\": 2}", &sig));
        assert!(!signature_matches(
            b"another-key-000000",
            b"{\"a\": 1}",
            &sig
        ));
        assert!(!signature_matches(key, b"{\"a\": 1}", "hmac-sha256:zz"));
        assert!(!signature_matches(
            key,
            b"{\"a\": 1}",
            &sig.replace("hmac-sha256", "md5")
        ));
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
    fn stage(step: &str, data: serde_json::Value) -> Stage {
        Stage {
            step: step.into(),
            date: "2026-03-02".into(),
            data: data.as_object().cloned().unwrap_or_default(),
            added: Vec::new(),
            superseded: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn the_third_missed_meeting_closes_a_face_to_face_pack() {
        let missed = || {
            stage(
                "attendance",
                serde_json::json!({"attendance": "failed-to-attend"}),
            )
        };
        let attended = stage("attendance", serde_json::json!({"attendance": "attended"}));
        let mut stages = vec![
            stage("create", serde_json::json!({})),
            stage("appointment", serde_json::json!({})),
        ];
        stages.push(missed());
        stages.push(missed());
        assert_eq!(
            status_after(Procedures::builtin().get(PackKind::FaceToFace), &stages),
            (Status::Open, None)
        );
        stages.push(attended);
        assert_eq!(
            status_after(Procedures::builtin().get(PackKind::FaceToFace), &stages),
            (Status::Open, None)
        );
        stages.push(missed());
        assert_eq!(
            status_after(Procedures::builtin().get(PackKind::FaceToFace), &stages),
            (Status::Completed, Some(FAILED_TO_ATTEND))
        );
        stages.push(stage("cancel", serde_json::json!({})));
        assert_eq!(
            status_after(Procedures::builtin().get(PackKind::FaceToFace), &stages),
            (Status::Cancelled, None)
        );
    }

    #[test]
    fn verify_places_side_steps_and_checks_the_resolution() {
        let pack = |stages: Vec<Stage>, status, resolution: Option<&str>| Pack {
            manifest: Manifest {
                format: FORMAT.into(),
                generator: "test".into(),
                kind: PackKind::LiabilityOrder,
                reference: String::new(),
                region: String::new(),
                status,
                stages,
                entries: Vec::new(),
                resolution: resolution.map(str::to_owned),
            },
            files: BTreeMap::new(),
            encrypted: false,
            read_as: None,
            procedures: Procedures::builtin(),
        };
        let s = |step: &str| stage(step, serde_json::json!({}));
        let good = pack(
            vec![
                s("create"),
                s("court-fee"),
                s("court-fee"),
                s("cover-letter"),
                s("cancel"),
            ],
            Status::Cancelled,
            None,
        );
        assert_eq!(good.verify(), Vec::new());
        assert_eq!(
            good.main_stage().map(|s| s.step.as_str()),
            Some("cover-letter")
        );
        let after_close = pack(
            vec![s("create"), s("cancel"), s("court-fee")],
            Status::Cancelled,
            Some(FAILED_TO_ATTEND),
        );
        assert_eq!(
            after_close
                .verify()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "stage `court-fee` follows a stage that closed the pack",
                "the manifest gives the resolution \"Failed To Attend\", but its stages give \"none\"",
                "the manifest says the pack is cancelled, but its last stage makes it open",
            ]
        );
    }

    #[test]
    fn an_address_line_naming_the_addressee_is_the_same_name() {
        assert!(same_name(
            "Newcastle Magistrates' Court",
            "newcastle magistrates court"
        ));
        assert!(same_name(
            " NEWCASTLE MAGISTRATES’ COURT ",
            "Newcastle Magistrates' Court"
        ));
        assert!(!same_name("The Law Courts", "Newcastle Magistrates' Court"));
        assert!(!same_name("", ""));
    }
}
