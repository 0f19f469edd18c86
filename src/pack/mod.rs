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
pub mod kinds;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use archive::{MANIFEST, MAX_ENTRIES, MAX_TOTAL_BYTES, SIGNATURE, is_safe_entry_name};
pub use attachment::{Attachment, MAX_ATTACHMENT_BYTES, MediaType};
pub use kinds::{Attach, Closes, DocSpec, PackKind, StepSpec};

use crate::catalog::DocKind;
use crate::request::tree::Node;
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
}

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

/// Everything that can go wrong with a pack. No variant carries personal
/// data (names, addresses, free text) from the step's data.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The step is not one this kind of pack has.
    #[error("a {kind} pack has no step `{step}`{}; its steps are: {steps}", hint.map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default())]
    UnknownStep {
        /// Kind.
        kind: PackKind,
        /// Step asked for.
        step: String,
        /// The kind's steps.
        steps: String,
        /// The step closest to the one asked for.
        hint: Option<&'static str>,
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
    #[error("the pack fails verification ({} problem{}):\n  {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.join("\n  "))]
    Verify {
        /// Each problem.
        problems: Vec<String>,
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
            },
            files: BTreeMap::new(),
            encrypted: false,
            read_as: None,
        };
        pack.apply(engine, step)?;
        Ok(pack)
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

    /// The steps that may be taken next (none once closed).
    pub fn next_steps(&self) -> Vec<&'static str> {
        if self.manifest.status != Status::Open {
            return Vec::new();
        }
        self.manifest
            .kind
            .next_after(self.stage().map(|s| s.step.as_str()))
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    /// Every key known so far (later stages override earlier ones).
    pub fn data(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut acc = serde_json::Map::new();
        for s in &self.manifest.stages {
            if let Some(spec) = self.manifest.kind.step(&s.step) {
                for k in spec.resets {
                    acc.remove(*k);
                }
            }
            for (k, v) in &s.data {
                acc.insert(k.clone(), v.clone());
            }
        }
        acc
    }

    fn check_order(&self, spec: &StepSpec, date: Date) -> Result<(), PackError> {
        let kind = self.manifest.kind;
        let stage = self.stage();
        let stage_name = stage.map_or("(new)".to_owned(), |s| s.step.clone());
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
        let next = list(&self.next_steps());
        if let Some(done) = self.manifest.stages.iter().find(|s| s.step == spec.name) {
            return Err(PackError::AlreadyTaken {
                kind,
                step: spec.name.into(),
                date: done.date.clone(),
                stage: stage_name,
                next,
            });
        }
        if !self.next_steps().contains(&spec.name) {
            return Err(PackError::OutOfOrder {
                kind,
                step: spec.name.into(),
                stage: stage_name,
                next,
            });
        }
        if let Some(s) = stage
            && date.to_string() < s.date
        {
            return Err(PackError::DateOrder {
                step: spec.name.into(),
                date: date.to_string(),
                stage: s.step.clone(),
                previous: s.date.clone(),
            });
        }
        Ok(())
    }

    /// Takes the next step. On any error the pack is unchanged.
    pub fn apply(&mut self, engine: &Engine, step: &Step<'_>) -> Result<(), PackError> {
        let kind = self.manifest.kind;
        if !self.manifest.stages.is_empty() {
            let problems = self.verify();
            if !problems.is_empty() {
                return Err(PackError::Verify { problems });
            }
        }
        let Some(spec) = kind.step(step.name) else {
            let names: Vec<&'static str> = kind.steps().iter().map(|s| s.name).collect();
            return Err(PackError::UnknownStep {
                kind,
                step: step.name.into(),
                steps: names.join(", "),
                hint: crate::request::closest(step.name, &names),
            });
        };
        self.check_order(spec, step.date)?;

        // The step's own data.
        let checked =
            data::check(step.data, step.origin, spec.gives, spec.name).map_err(|problems| {
                PackError::Data {
                    step: spec.name.into(),
                    problems,
                }
            })?;
        let mut acc = self.data();
        for k in spec.resets {
            acc.remove(*k);
        }
        for (k, v) in &checked.values {
            acc.insert(k.clone(), v.clone());
        }
        let mut problems = Vec::new();
        for k in spec.needs {
            if !checked.values.contains_key(*k) {
                problems.push(missing(step.origin, k, "this step needs it"));
            }
        }
        for k in spec.ensures {
            if !acc.contains_key(*k) {
                problems.push(missing(
                    step.origin,
                    k,
                    "no earlier step gave it, so this step needs it",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(PackError::Data {
                step: spec.name.into(),
                problems,
            });
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
                    step: spec.name.into(),
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
        for d in spec.documents {
            let tree = document_tree(engine, d, step, &reference, &acc, &checked);
            let request = engine
                .validate(&tree, step.origin)
                .map_err(|e| document_error(d, &e))?;
            let rendered = engine
                .render(&request, &RenderOptions::default())
                .map_err(|e| PackError::Render {
                    code: d.code.into(),
                    source: Box::new(e),
                })?;
            let mut version = 1;
            let file_name =
                |seq: usize, version: u32| format!("{seq:02}-{}-v{version}.pdf", d.code);
            let seq = entries.len() + 1;
            if d.replaces
                && let Some(old) = entries
                    .iter()
                    .rposition(|e| e.code == d.code && e.status == EntryStatus::Current)
            {
                version = entries[old].version + 1;
                entries[old].status = EntryStatus::Superseded;
                entries[old].superseded_by = Some(file_name(seq, version));
                superseded.push(entries[old].file.clone());
            }
            let file = file_name(seq, version);
            entries.push(Entry {
                file: file.clone(),
                code: d.code.into(),
                title: d.label.into(),
                version,
                stage: spec.name.into(),
                status: EntryStatus::Current,
                superseded_by: None,
                media_type: MediaType::Pdf.mime().into(),
                size: rendered.pdf.len() as u64,
                sha256: sha256_hex(&rendered.pdf),
                pages: Some(rendered.pages),
                original_name: None,
            });
            added.push(file.clone());
            files.push((file, rendered.pdf));
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
                stage: spec.name.into(),
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
            step: spec.name.into(),
            date: step.date.to_string(),
            data: checked.values,
            added,
            superseded,
        });
        self.manifest.status = match spec.closes {
            Closes::No => Status::Open,
            Closes::Completed => Status::Completed,
            Closes::Cancelled => Status::Cancelled,
        };
        self.files.extend(files);
        Ok(())
    }

    /// Checks the pack against its manifest: every entry present with its
    /// size and SHA-256, nothing extra, names safe, stages in an order the
    /// stage machine allows. Returns every problem (empty: the pack is good).
    pub fn verify(&self) -> Vec<String> {
        let m = &self.manifest;
        let mut problems = Vec::new();
        if m.format != FORMAT {
            problems.push(format!(
                "the manifest's format is `{}`, expected `{FORMAT}`",
                escape_control(&m.format)
            ));
        }
        let mut seen = BTreeMap::new();
        for e in &m.entries {
            if seen.insert(e.file.as_str(), ()).is_some() {
                problems.push(format!(
                    "{} is listed twice in the manifest",
                    escape_control(&e.file)
                ));
            }
            if !is_safe_entry_name(&e.file) || e.file == MANIFEST {
                problems.push(format!(
                    "the manifest lists an unsafe file name {:?}",
                    e.file
                ));
                continue;
            }
            match self.files.get(&e.file) {
                None => problems.push(format!(
                    "{} is in the manifest but missing from the pack",
                    e.file
                )),
                Some(bytes) => {
                    if bytes.len() as u64 != e.size {
                        problems.push(format!(
                            "{} is {} bytes; the manifest says {}",
                            e.file,
                            bytes.len(),
                            e.size
                        ));
                    }
                    if sha256_hex(bytes) != e.sha256 {
                        problems.push(format!(
                            "{} does not match its SHA-256 in the manifest: it was changed",
                            e.file
                        ));
                    }
                }
            }
            if !m.stages.iter().any(|s| s.step == e.stage) {
                problems.push(format!(
                    "{} was added by stage `{}`, which the pack does not record",
                    e.file,
                    escape_control(&e.stage)
                ));
            }
            if e.status == EntryStatus::Superseded
                && !e
                    .superseded_by
                    .as_ref()
                    .is_some_and(|by| m.entries.iter().any(|x| &x.file == by))
            {
                problems.push(format!(
                    "{} is superseded but names no entry that replaced it",
                    e.file
                ));
            }
        }
        for f in self.files.keys() {
            if !seen.contains_key(f.as_str()) {
                problems.push(format!("{f} is in the pack but not in the manifest"));
            }
        }
        let mut last: Option<&str> = None;
        let mut last_date = "";
        for s in &m.stages {
            let ok = m
                .kind
                .next_after(last)
                .iter()
                .any(|spec| spec.name == s.step);
            if !ok {
                problems.push(format!(
                    "stage `{}` cannot follow `{}` in a {} pack",
                    escape_control(&s.step),
                    escape_control(last.unwrap_or("(start)")),
                    m.kind
                ));
            }
            if s.date.as_str() < last_date {
                problems.push(format!(
                    "stage `{}` is dated before the stage before it",
                    escape_control(&s.step)
                ));
            }
            last = Some(&s.step);
            last_date = &s.date;
        }
        let closes = last
            .and_then(|l| m.kind.step(l))
            .map_or(Closes::No, |s| s.closes);
        let want = match closes {
            Closes::No => Status::Open,
            Closes::Completed => Status::Completed,
            Closes::Cancelled => Status::Cancelled,
        };
        if m.stages.is_empty() {
            problems.push("the manifest records no stages".into());
        } else if m.status != want {
            problems.push(format!(
                "the manifest says the pack is {}, but its last stage makes it {}",
                m.status.name(),
                want.name()
            ));
        }
        problems
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
    step: &Step<'_>,
    reference: &str,
    acc: &serde_json::Map<String, serde_json::Value>,
    checked: &data::Checked,
) -> Node {
    let node_for = |k: &str| -> Option<Node> {
        checked
            .nodes
            .get(k)
            .cloned()
            .or_else(|| acc.get(k).map(data::value_node))
    };
    let mut top = vec![
        ("letter", data::text(d.code)),
        ("date", data::text(&step.date.to_string())),
        ("reference", data::text(reference)),
    ];
    let letter = engine.catalog().letter(d.code);
    if letter.is_some_and(|l| l.kind == DocKind::Letter)
        && let Some([name, address, postcode]) = d.recipient
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

fn document_error(d: &DocSpec, e: &RequestError) -> PackError {
    let problems = e
        .diagnostics
        .iter()
        .map(|diag| {
            let path = diag.path.strip_prefix("fields.").unwrap_or(&diag.path);
            let path = match (d.recipient, path.split_once('.')) {
                (Some(keys), Some(("recipient", rest))) => {
                    let (head, tail) = rest.split_once('[').map_or((rest, ""), |(h, t)| (h, t));
                    let key = match head {
                        "name" => keys[0],
                        "address" => keys[1],
                        _ => keys[2],
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
        code: d.code.into(),
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
}
