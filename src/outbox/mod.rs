//! The outbox: a durable record of every letter made, from queueing to the
//! print provider and back (issue 10; procedures 002 and 004).
//!
//! - [`calendar`]: which end-of-day transmission a letter belongs to (cut-off
//!   17:30 Europe/London by default, working days less bank holidays).
//! - [`model`]: the letter record, its states and the moves between them.
//! - [`store`]: the [`store::Store`] trait and its SQLite file.
//! - [`close`]: the transmission's zips, manifests and day summary.
//! - [`import`]: the provider's despatched, rejected and returned files.
//! - [`reissue`]: the covering letter and the copy as one PDF.
//!
//! [`Outbox`] holds the verbs. Every change is one transaction with a history
//! row naming who (an officer id), when (an input: nothing here reads the
//! clock) and why. The store holds what is needed to print and reissue a
//! letter (its canonical request and PDF) until it is purged; messages name
//! letters by id and clients never by name, address, postcode or reference.

pub mod calendar;
pub mod close;
pub mod import;
pub mod model;
#[cfg(feature = "postgres")]
mod pg;
pub mod reissue;
pub mod store;

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::catalog::Supersedes;
use crate::request::Request;
use crate::request::canonical::CanonicalForm;
use crate::request::format::LetterFormat;
use crate::{Engine, MAX_LETTER_PAGES, RenderOptions, hex};
use calendar::{Calendar, Date, Region, Time, Timestamp};
pub use model::{
    BrailleFiles, BrailleInfo, Closing, HistoryRow, LetterRecord, Postage, State, SuppressReason,
    Suppression, SuppressionEvent,
};
use store::{Filter, SqliteStore, Store, StoreError, Tx};

/// The code of the covering letter a reissue puts first.
pub const COVERING_LETTER: &str = "reissue-covering-letter";

/// Default prefix of a transmission's file names.
pub const DEFAULT_PREFIX: &str = "cms";

/// Who acts and when: every change records both. `by` is an officer id (or
/// `letterkit`), never client data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Officer id.
    pub by: String,
    /// The instant of the change (whole seconds are kept).
    pub now: Timestamp,
}

impl Actor {
    /// An actor, with `now` cut to whole seconds.
    pub fn new(by: impl Into<String>, now: Timestamp) -> Actor {
        Actor {
            by: by.into(),
            now: Timestamp::from_second(now.as_second()).unwrap_or(now),
        }
    }
}

/// Why an officer id is not acceptable, if it is not: 1 to 64 letters,
/// digits, `.`, `_`, `-` or `@`.
///
/// # Errors
/// Why the name cannot be recorded as the officer (empty, too long, control
/// characters).
pub fn check_officer(by: &str) -> Result<(), String> {
    let ok = !by.is_empty()
        && by.len() <= 64
        && by
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err("an officer id is 1 to 64 letters, digits, `.`, `_`, `-` or `@` (a staff number, never a client's details)".into())
    }
}

/// What kind of refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RefusalKind {
    /// No such letter.
    NotFound,
    /// Already cancelled.
    AlreadyCancelled,
    /// Past the cut-off or transmitted.
    TooLate,
    /// The letter's state does not allow the move.
    IllegalMove,
    /// Contact with the client is suppressed.
    Suppressed,
    /// The id is taken by a different letter.
    IdTaken,
    /// The PDF or request has been purged.
    Purged,
    /// The mailpiece would have too many pages.
    TooManyPages,
    /// Braille files asked of a print letter.
    NotBraille,
}

/// One letter the outbox would not act on, and why (no client data).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// The letter's id (or the request's position for a letter not queued).
    pub id: String,
    /// What kind.
    pub kind: RefusalKind,
    /// The whole message.
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What went wrong in the outbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Letters were refused; nothing was changed.
    #[error("{}", .0.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<Refusal>),
    /// The operation does not apply (e.g. closing before the cut-off).
    #[error("{0}")]
    Invalid(String),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] crate::Error),
}

/// A letter rendered and ready to queue.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The outbox id: the request's, else `lk-` and 20 hex digits of the
    /// canonical request's SHA-256.
    pub id: String,
    /// Letter code.
    pub code: String,
    /// The client's reference.
    pub reference: String,
    /// The canonical request (JSON).
    pub request: String,
    /// Its SHA-256.
    pub request_sha256: String,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Its SHA-256, hex.
    pub pdf_sha256: String,
    /// Pages.
    pub pages: u32,
    /// Postage class.
    pub postage: Postage,
    /// The matter rule of its definition.
    pub supersedes: Option<Supersedes>,
    /// The batch queueing it.
    pub batch: Option<String>,
    /// The letter it reissues.
    pub reissue_of: Option<String>,
    /// The catalog's digest.
    pub catalog_digest: String,
    /// A braille letter's record of its braille and its BRF and PEF (the
    /// PDF is then its carrier page).
    pub braille: Option<(BrailleInfo, BrailleFiles)>,
}

impl BrailleInfo {
    /// What the outbox records of `files`, made in `format`.
    pub fn of(format: LetterFormat, files: &BrailleFiles) -> BrailleInfo {
        BrailleInfo {
            format: format_code(format),
            pages: u32::try_from(files.brf.iter().filter(|b| **b == 0x0c).count())
                .unwrap_or(u32::MAX),
            brf_sha256: hex(&Sha256::digest(&files.brf)),
            brf_bytes: files.brf.len() as u64,
            pef_sha256: hex(&Sha256::digest(&files.pef)),
            pef_bytes: files.pef.len() as u64,
        }
    }
}

/// Renders `request` for the outbox in the format it gets there
/// ([`effective_format`]: the request's when it names one other than
/// standard, else `recorded`, the client's recorded format from
/// [`Outbox::recorded_format`]). A braille letter is made through
/// `translator`: its carrier page is the PDF, its BRF and PEF go beside it.
/// `postage` overrides the definition's default class.
///
/// # Errors
/// [`OutboxError::Invalid`] when the format cannot be made for this request
/// (braille recorded for a letter in Welsh); [`OutboxError::Render`] when the
/// letter does not render or breaks a print rule.
pub fn prepare(
    engine: &Engine,
    request: &Request,
    recorded: Option<LetterFormat>,
    translator: &dyn crate::braille::Translator,
    postage: Option<Postage>,
    batch: Option<&str>,
) -> Result<Prepared, OutboxError> {
    let format = effective_format(request, recorded).map_err(OutboxError::Invalid)?;
    let mut request = request.clone();
    request.format = format;
    let canonical = CanonicalForm::of(&request);
    let options = RenderOptions::default().with_ident(canonical.ident());
    if format.is_braille() {
        let r = engine.render_braille(&request, translator, &options)?;
        let files = BrailleFiles {
            brf: r.brf,
            pef: r.pef,
        };
        let made = Made {
            pdf: r.carrier.pdf,
            pdf_sha256: r.carrier.sha256,
            pages: r.carrier.pages,
            canonical,
        };
        let mut p = prepared_from(engine, &request, made, postage, batch)?;
        p.braille = Some((BrailleInfo::of(format, &files), files));
        return Ok(p);
    }
    let rendered = engine.render(&request, &options)?;
    let made = Made {
        pdf: rendered.pdf,
        pdf_sha256: rendered.sha256,
        pages: rendered.pages,
        canonical,
    };
    Ok(prepared_from(engine, &request, made, postage, batch)?)
}

/// What a render made for the outbox: the PDF, its SHA-256 and pages, and
/// the request's canonical form (made once, with the render, on whichever
/// thread rendered).
struct Made {
    pdf: Vec<u8>,
    pdf_sha256: String,
    pages: usize,
    canonical: CanonicalForm,
}

fn prepared_from(
    engine: &Engine,
    request: &Request,
    made: Made,
    postage: Option<Postage>,
    batch: Option<&str>,
) -> Result<Prepared, crate::Error> {
    let letter =
        engine
            .catalog()
            .letter(&request.letter)
            .ok_or_else(|| crate::Error::UnknownLetter {
                code: request.letter.clone(),
                known: engine.catalog().letters().map(|l| l.code.clone()).collect(),
            })?;
    let Made {
        pdf,
        pdf_sha256,
        pages,
        canonical:
            CanonicalForm {
                json: canonical,
                sha256: request_sha256,
            },
    } = made;
    Ok(Prepared {
        id: request
            .id
            .clone()
            .unwrap_or_else(|| format!("lk-{}", &request_sha256[..20])),
        code: request.letter.clone(),
        reference: request.reference.clone(),
        request: canonical,
        request_sha256,
        pdf,
        pdf_sha256,
        pages: u32::try_from(pages).unwrap_or(u32::MAX),
        postage: postage.unwrap_or(letter.postage),
        supersedes: letter.supersedes.clone(),
        batch: batch.map(str::to_owned),
        reissue_of: None,
        catalog_digest: engine.catalog().digest().to_owned(),
        braille: None,
    })
}

/// A letter queued (or found already queued with the same request).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Queued {
    /// Its record.
    pub letter: LetterRecord,
    /// True when the same letter was already in the outbox (nothing added).
    pub already: bool,
    /// Ids of the queued letters it superseded.
    pub superseded: Vec<String>,
}

/// One client's letters in one transmission (same-day review).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReviewGroup {
    /// The letters, by id.
    pub letters: Vec<LetterRecord>,
}

/// What a close did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The closing (first run's time).
    pub closing: Closing,
    /// True when the day was closed before (nothing transmitted now).
    pub already: bool,
    /// Its zips.
    pub zips: Vec<close::ZipPlan>,
    /// File-name prefix.
    pub prefix: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Letters moved.
    pub changed: u64,
    /// Lines for letters already in that state (nothing to do).
    pub already: u64,
    /// Lines that could not be applied, with their line numbers.
    pub problems: Vec<String>,
}

/// The outbox settings kept in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Bank holidays of which region.
    pub region: Region,
    /// Cut-off, Europe/London.
    pub cutoff: Time,
}

/// A local time as people read it: `17:30 on Monday 2 March 2026`.
pub fn when(t: Timestamp) -> String {
    let z = calendar::london().to_datetime(t);
    format!(
        "{:02}:{:02} on {}",
        z.hour(),
        z.minute(),
        day_words(z.date())
    )
}

/// A date as people read it: `Monday 2 March 2026`.
pub fn day_words(d: Date) -> String {
    use crate::request::values::{MONTHS, WEEKDAYS};
    format!(
        "{} {} {} {}",
        WEEKDAYS[(d.weekday().to_monday_zero_offset() as usize) % 7],
        d.day(),
        MONTHS[(d.month() as usize).saturating_sub(1) % 12],
        d.year()
    )
}

fn history(
    letter: &str,
    actor: &Actor,
    from: Option<State>,
    to: State,
    reason: String,
) -> HistoryRow {
    HistoryRow {
        letter: letter.to_owned(),
        at: actor.now,
        by: actor.by.clone(),
        from,
        to,
        reason,
    }
}

fn refusal(id: &str, kind: RefusalKind, message: String) -> Refusal {
    Refusal {
        id: id.to_owned(),
        kind,
        message,
    }
}

/// "`what` of letter ID was purged at ...".
fn purged_refusal(l: &LetterRecord, what: &str) -> OutboxError {
    let id = &l.id;
    let verb = if what.ends_with('s') { "were" } else { "was" };
    OutboxError::Refused(vec![refusal(
        id,
        RefusalKind::Purged,
        format!(
            "{what} of letter {id} {verb} purged{}",
            l.purged_at
                .map(|t| format!(" at {}", when(t)))
                .unwrap_or_default()
        ),
    )])
}

fn not_found(id: &str) -> Refusal {
    refusal(
        id,
        RefusalKind::NotFound,
        format!("no letter `{id}` in the outbox"),
    )
}

/// The outbox over a store.
pub struct Outbox {
    store: Box<dyn Store>,
}

impl Outbox {
    /// An outbox over `store`.
    pub fn new(store: Box<dyn Store>) -> Outbox {
        Outbox { store }
    }

    /// The SQLite outbox at `path`, made on first use.
    ///
    /// # Errors
    /// When the file cannot be opened, is not an outbox, or is newer.
    pub fn open(path: &Path) -> Result<Outbox, OutboxError> {
        Ok(Outbox::new(Box::new(SqliteStore::open(path)?)))
    }

    /// The outbox at `location`: a PostgreSQL database when it starts
    /// `postgres://` or `postgresql://` ([`store::PgStore`]), else the
    /// SQLite file at that path.
    ///
    /// # Errors
    /// When the store cannot be opened, is not an outbox, or is newer.
    pub fn open_location(location: &str) -> Result<Outbox, OutboxError> {
        if store::is_postgres_url(location) {
            #[cfg(feature = "postgres")]
            return Ok(Outbox::new(Box::new(store::PgStore::connect(location)?)));
            #[cfg(not(feature = "postgres"))]
            return Err(OutboxError::Store(store::StoreError::Open {
                path: location.into(),
                message:
                    "this letterkit was built without PostgreSQL support (the `postgres` feature)"
                        .into(),
            }));
        } else {
            Outbox::open(Path::new(location))
        }
    }

    /// Runs `f` in one transaction; `commit: false` rolls back even on
    /// success (a dry run).
    fn run<T>(
        &mut self,
        commit: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        let mut f = Some(f);
        let mut result: Option<Result<T, OutboxError>> = None;
        let r = self.store.transaction(&mut |tx| {
            let Some(f) = f.take() else {
                return Err(StoreError::RolledBack);
            };
            let v = f(tx);
            let ok = v.is_ok();
            result = Some(v);
            if ok && commit {
                Ok(())
            } else {
                Err(StoreError::RolledBack)
            }
        });
        match (r, result) {
            (Ok(()), Some(Ok(v))) => Ok(v),
            (Err(StoreError::RolledBack), Some(Ok(v))) if !commit => Ok(v),
            (_, Some(Err(e))) => Err(e),
            (Err(e), _) => Err(e.into()),
            (Ok(()), None) => Err(StoreError::RolledBack.into()),
        }
    }

    fn tx<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        self.run(true, f)
    }

    /// The response first given to a request with this idempotency key.
    ///
    /// # Errors
    /// The store's.
    pub fn idempotent(&mut self, key: &str) -> Result<Option<store::Idempotent>, OutboxError> {
        self.tx(|tx| Ok(tx.idempotent(key)?))
    }

    /// Keeps the first response to an idempotency key; returns the one kept
    /// (an earlier one when another request took the key first).
    ///
    /// # Errors
    /// The store's.
    pub fn remember(&mut self, r: &store::Idempotent) -> Result<store::Idempotent, OutboxError> {
        self.tx(|tx| {
            if tx.put_idempotent(r)? {
                return Ok(r.clone());
            }
            Ok(tx.idempotent(&r.key)?.unwrap_or_else(|| r.clone()))
        })
    }

    /// The settings (region, cut-off).
    ///
    /// # Errors
    /// The store's.
    pub fn settings(&mut self) -> Result<Settings, OutboxError> {
        self.tx(|tx| settings(tx))
    }

    /// Changes the region or the cut-off; letters already queued keep their
    /// transmission.
    ///
    /// # Errors
    /// The store's.
    pub fn configure(
        &mut self,
        region: Option<Region>,
        cutoff: Option<Time>,
        prefix: Option<&str>,
    ) -> Result<Settings, OutboxError> {
        if let Some(p) = prefix
            && (p.is_empty()
                || p.len() > 32
                || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(OutboxError::Invalid(format!(
                "prefix `{p}` must be 1 to 32 letters, digits or `-`"
            )));
        }
        self.tx(|tx| {
            if let Some(r) = region {
                tx.set_setting("region", r.as_str())?;
            }
            if let Some(c) = cutoff {
                tx.set_setting("cutoff", &format!("{:02}:{:02}", c.hour(), c.minute()))?;
            }
            if let Some(p) = prefix {
                tx.set_setting("prefix", p)?;
            }
            settings(tx)
        })
    }

    /// Queues rendered letters in one transaction. Each is queued, found
    /// already queued (same id and request: nothing added), or refused (a
    /// suppressed client, an id taken by another letter). `dry_run` reports
    /// the same without changing anything.
    ///
    /// # Errors
    /// The store's; a refusal is an `Err` in its own slot.
    pub fn queue(
        &mut self,
        letters: Vec<Prepared>,
        actor: &Actor,
        dry_run: bool,
    ) -> Result<Vec<Result<Queued, Refusal>>, OutboxError> {
        self.run(!dry_run, |tx| {
            let cal = calendar_of(tx)?;
            // One instant for the whole group: one transmission.
            let t = open_transmission(tx, &cal, actor.now)?;
            let mut out = Vec::with_capacity(letters.len());
            for p in letters {
                out.push(queue_one(tx, t, p, actor)?);
            }
            Ok(out)
        })
    }

    /// Cancels letters, all or nothing: if any cannot be cancelled, none is,
    /// and every refusal is returned.
    ///
    /// # Errors
    /// [`OutboxError::Refused`] with every refusal; the store's.
    pub fn cancel(
        &mut self,
        ids: &[String],
        reason: &str,
        actor: &Actor,
    ) -> Result<Vec<LetterRecord>, OutboxError> {
        let reason = reason.to_owned();
        self.tx(|tx| {
            let mut letters = Vec::new();
            let mut refused = Vec::new();
            for id in ids {
                match tx.letter(id)? {
                    None => refused.push(not_found(id)),
                    Some(l) => match cancellable(tx, &l, actor.now)? {
                        Ok(()) => letters.push(l),
                        Err(r) => refused.push(r),
                    },
                }
            }
            if !refused.is_empty() {
                return Err(OutboxError::Refused(refused));
            }
            cancel_all(tx, letters, &reason, actor)
        })
    }

    /// Cancels every letter of a batch still to go, all or nothing. Letters
    /// already cancelled, suppressed or superseded are left as they are.
    ///
    /// # Errors
    /// As [`Outbox::cancel`]; a batch with no letters is refused.
    pub fn cancel_batch(
        &mut self,
        batch: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<Vec<LetterRecord>, OutboxError> {
        let reason = reason.to_owned();
        self.tx(|tx| {
            let all = tx.letters(&Filter {
                batch: Some(batch.to_owned()),
                ..Filter::default()
            })?;
            if all.is_empty() {
                return Err(OutboxError::Refused(vec![refusal(
                    batch,
                    RefusalKind::NotFound,
                    format!("no letters of batch `{batch}` in the outbox"),
                )]));
            }
            let mut letters = Vec::new();
            let mut refused = Vec::new();
            for l in all {
                if matches!(
                    l.state,
                    State::Cancelled | State::Suppressed | State::Superseded
                ) {
                    continue;
                }
                match cancellable(tx, &l, actor.now)? {
                    Ok(()) => letters.push(l),
                    Err(r) => refused.push(r),
                }
            }
            if !refused.is_empty() {
                return Err(OutboxError::Refused(refused));
            }
            cancel_all(tx, letters, &reason, actor)
        })
    }

    /// Suppresses contact with a client: their queued letters become
    /// `suppressed`, and new letters for them are refused until
    /// [`Outbox::unsuppress`] (or after `until`). Returns the letters
    /// suppressed.
    ///
    /// # Errors
    /// The store's.
    pub fn suppress(
        &mut self,
        reference: &str,
        reason: SuppressReason,
        until: Option<Date>,
        actor: &Actor,
    ) -> Result<Vec<String>, OutboxError> {
        let key = model::reference_key(reference);
        if key.is_empty() {
            return Err(OutboxError::Invalid(
                "the reference has no letters or digits".into(),
            ));
        }
        self.tx(|tx| {
            tx.put_suppression(
                &key,
                &Suppression {
                    reference: reference.to_owned(),
                    reason,
                    since: actor.now,
                    until,
                    by: actor.by.clone(),
                    active: true,
                },
            )?;
            tx.add_suppression_event(
                &key,
                &SuppressionEvent {
                    at: actor.now,
                    by: actor.by.clone(),
                    action: "suppress".into(),
                    reason: reason.as_str().into(),
                    until,
                },
            )?;
            let queued = tx.letters(&Filter {
                reference_key: Some(key.clone()),
                state: Some(State::Queued),
                ..Filter::default()
            })?;
            let mut ids = Vec::new();
            for l in queued {
                if tx.move_state(&l.id, State::Queued, State::Suppressed, actor.now)? {
                    tx.add_history(&history(
                        &l.id,
                        actor,
                        Some(State::Queued),
                        State::Suppressed,
                        format!("contact with the client suppressed (reason {reason})"),
                    ))?;
                    ids.push(l.id);
                }
            }
            Ok(ids)
        })
    }

    /// Ends a client's suppression.
    ///
    /// # Errors
    /// [`OutboxError::Invalid`] when the client is not suppressed; the store's.
    pub fn unsuppress(
        &mut self,
        reference: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), OutboxError> {
        let key = model::reference_key(reference);
        self.tx(|tx| {
            let Some(mut s) = tx.suppression(&key)?.filter(|s| s.active) else {
                return Err(OutboxError::Invalid(
                    "contact with this client is not suppressed".into(),
                ));
            };
            s.active = false;
            tx.put_suppression(&key, &s)?;
            tx.add_suppression_event(
                &key,
                &SuppressionEvent {
                    at: actor.now,
                    by: actor.by.clone(),
                    action: "unsuppress".into(),
                    reason: reason.to_owned(),
                    until: None,
                },
            )?;
            Ok(())
        })
    }

    /// Every suppression with its history.
    ///
    /// # Errors
    /// The store's.
    pub fn suppressions(
        &mut self,
    ) -> Result<Vec<(Suppression, Vec<SuppressionEvent>)>, OutboxError> {
        self.tx(|tx| {
            let mut out = Vec::new();
            for s in tx.suppressions()? {
                let h = tx.suppression_history(&model::reference_key(&s.reference))?;
                out.push((s, h));
            }
            Ok(out)
        })
    }

    /// Letters matching `filter`.
    ///
    /// # Errors
    /// The store's.
    pub fn list(&mut self, filter: &Filter) -> Result<Vec<LetterRecord>, OutboxError> {
        self.tx(|tx| Ok(tx.letters(filter)?))
    }

    /// A letter and its history.
    ///
    /// # Errors
    /// [`OutboxError::Refused`] (not found); the store's.
    pub fn show(&mut self, id: &str) -> Result<(LetterRecord, Vec<HistoryRow>), OutboxError> {
        self.tx(|tx| {
            let l = tx
                .letter(id)?
                .ok_or_else(|| OutboxError::Refused(vec![not_found(id)]))?;
            let h = tx.history(id)?;
            Ok((l, h))
        })
    }

    /// A letter's PDF.
    ///
    /// # Errors
    /// Not found or purged; the store's.
    pub fn pdf(&mut self, id: &str) -> Result<Vec<u8>, OutboxError> {
        self.tx(|tx| {
            let l = tx
                .letter(id)?
                .ok_or_else(|| OutboxError::Refused(vec![not_found(id)]))?;
            tx.pdf(id)?.ok_or_else(|| purged_refusal(&l, "the PDF"))
        })
    }

    /// A braille letter's BRF and PEF (its PDF, [`Outbox::pdf`], is the
    /// carrier page).
    ///
    /// # Errors
    /// Not found, not a braille letter, or purged; the store's.
    pub fn braille(&mut self, id: &str) -> Result<BrailleFiles, OutboxError> {
        self.tx(|tx| {
            let l = tx
                .letter(id)?
                .ok_or_else(|| OutboxError::Refused(vec![not_found(id)]))?;
            if l.braille.is_none() {
                return Err(OutboxError::Refused(vec![refusal(
                    id,
                    RefusalKind::NotBraille,
                    format!("letter {id} is a print letter: it has no braille files"),
                )]));
            }
            tx.braille(id)?
                .ok_or_else(|| purged_refusal(&l, "the braille files"))
        })
    }

    /// The recorded format of the client a request is for (`None`: none
    /// recorded), to hand to [`prepare`].
    ///
    /// # Errors
    /// The store's.
    pub fn recorded_format(
        &mut self,
        request: &Request,
    ) -> Result<Option<LetterFormat>, OutboxError> {
        Ok(self
            .client_formats([request.reference.as_str()])?
            .into_values()
            .next())
    }

    /// Records the format a client's letters are made in (issue 11); a
    /// request naming a format other than standard still wins.
    ///
    /// # Errors
    /// The store's.
    pub fn set_client_format(
        &mut self,
        reference: &str,
        format: LetterFormat,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), OutboxError> {
        let key = model::reference_key(reference);
        if key.is_empty() {
            return Err(OutboxError::Invalid(
                "the reference has no letters or digits".into(),
            ));
        }
        self.tx(|tx| {
            Ok(tx.set_client_format(&key, &format_code(format), actor.now, &actor.by, reason)?)
        })
    }

    /// A client's recorded format and its history (at, by, format, reason).
    ///
    /// # Errors
    /// The store's.
    #[allow(clippy::type_complexity)]
    pub fn client_format(
        &mut self,
        reference: &str,
    ) -> Result<
        (
            Option<LetterFormat>,
            Vec<(Timestamp, String, String, String)>,
        ),
        OutboxError,
    > {
        let key = model::reference_key(reference);
        self.tx(|tx| {
            let f = tx.client_format(&key)?.and_then(|f| parse_format_code(&f));
            Ok((f, tx.client_format_history(&key)?))
        })
    }

    /// The recorded formats of the clients of `references`, by reference key.
    ///
    /// # Errors
    /// The store's.
    pub fn client_formats<'r>(
        &mut self,
        references: impl IntoIterator<Item = &'r str>,
    ) -> Result<std::collections::HashMap<String, LetterFormat>, OutboxError> {
        let keys: Vec<String> = references.into_iter().map(model::reference_key).collect();
        self.tx(|tx| {
            let mut out = std::collections::HashMap::new();
            for k in keys {
                if out.contains_key(&k) {
                    continue;
                }
                if let Some(f) = tx.client_format(&k)?.and_then(|f| parse_format_code(&f)) {
                    out.insert(k, f);
                }
            }
            Ok(out)
        })
    }

    /// Same-day review (procedure 004): the clients with more than one
    /// letter queued or transmitted in the transmission of `day`.
    ///
    /// # Errors
    /// The store's.
    pub fn review(&mut self, day: Date) -> Result<Vec<ReviewGroup>, OutboxError> {
        self.tx(|tx| {
            let letters = tx.letters(&Filter {
                day: Some(day),
                ..Filter::default()
            })?;
            let mut by_client: std::collections::BTreeMap<String, Vec<LetterRecord>> =
                std::collections::BTreeMap::new();
            for l in letters {
                if !matches!(l.state, State::Queued | State::Transmitted) {
                    continue;
                }
                if let Some(r) = &l.reference {
                    by_client
                        .entry(model::reference_key(r))
                        .or_default()
                        .push(l);
                }
            }
            let mut groups: Vec<ReviewGroup> = by_client
                .into_values()
                .filter(|v| v.len() > 1)
                .map(|letters| ReviewGroup { letters })
                .collect();
            groups.sort_by(|a, b| a.letters[0].id.cmp(&b.letters[0].id));
            Ok(groups)
        })
    }

    /// The end-of-day transmission of `day` (default: today, Europe/London,
    /// once its cut-off has passed): every queued letter of it becomes
    /// `transmitted`, assigned to a zip, in one transaction. Run again, it
    /// changes nothing and gives the same zips.
    ///
    /// # Errors
    /// [`OutboxError::Invalid`] before the cut-off or on a day without a
    /// transmission; the store's.
    pub fn close(&mut self, day: Option<Date>, actor: &Actor) -> Result<Closed, OutboxError> {
        self.tx(|tx| {
            let cal = calendar_of(tx)?;
            let prefix = tx.setting("prefix")?.unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
            let day = day.unwrap_or_else(|| calendar::london().to_datetime(actor.now).date());
            let t = cal.transmission_on(day).map_err(|e| {
                OutboxError::Invalid(format!("{e}; there is no transmission to close on that day"))
            })?;
            let assigned = |tx: &mut dyn Tx| -> Result<Vec<close::ZipPlan>, OutboxError> {
                let mut letters: Vec<LetterRecord> = tx
                    .letters(&Filter {
                        day: Some(day),
                        ..Filter::default()
                    })?
                    .into_iter()
                    .filter(|l| l.zip.is_some())
                    .collect();
                letters.sort_by(|a, b| a.zip.cmp(&b.zip));
                let mut zips: Vec<close::ZipPlan> = Vec::new();
                for l in letters {
                    let name = l.zip.as_ref().map(|z| z.0.clone()).unwrap_or_default();
                    match zips.last_mut() {
                        Some(z) if z.name == name => z.letters.push(l),
                        _ => zips.push(close::ZipPlan {
                            name,
                            class: close::ZipClass::of(&l),
                            letters: vec![l],
                        }),
                    }
                }
                // Classes first, second, economy, braille; each class's zips by number.
                zips.sort_by(|a, b| (a.class, &a.name).cmp(&(b.class, &b.name)));
                Ok(zips)
            };
            if let Some(closing) = tx.closing(day)? {
                let zips = assigned(tx)?;
                return Ok(Closed {
                    closing,
                    already: true,
                    zips,
                    prefix,
                });
            }
            if actor.now < t.cutoff {
                return Err(OutboxError::Invalid(format!(
                    "the transmission of {} can be closed from its cut-off at {}; letters may still be cancelled until then",
                    day_words(day),
                    when(t.cutoff)
                )));
            }
            let queued = tx.letters(&Filter {
                day: Some(day),
                state: Some(State::Queued),
                ..Filter::default()
            })?;
            let zips = close::plan(queued, &prefix, day);
            let mut count = 0u64;
            for z in &zips {
                for (k, l) in z.letters.iter().enumerate() {
                    if !tx.move_state(&l.id, State::Queued, State::Transmitted, actor.now)? {
                        return Err(StoreError::Corrupt(format!("letter {} changed during the close", l.id)).into());
                    }
                    tx.set_zip(&l.id, &z.name, k as u32 + 1)?;
                    tx.add_history(&history(
                        &l.id,
                        actor,
                        Some(State::Queued),
                        State::Transmitted,
                        format!("transmitted in {}", z.name),
                    ))?;
                    count += 1;
                }
            }
            let closing = Closing {
                day,
                closed_at: actor.now,
                by: actor.by.clone(),
                letters: count,
            };
            tx.add_closing(&closing)?;
            let zips = assigned(tx)?;
            Ok(Closed {
                closing,
                already: false,
                zips,
                prefix,
            })
        })
    }

    /// The bytes of one zip of a closed transmission.
    ///
    /// # Errors
    /// When a letter's PDF has been purged; the store's.
    pub fn zip_bytes(&mut self, z: &close::ZipPlan, day: Date) -> Result<Vec<u8>, OutboxError> {
        self.tx(|tx| {
            let mut entries = Vec::with_capacity(z.letters.len());
            let purged = |l: &LetterRecord| {
                OutboxError::Invalid(format!(
                    "the PDF of letter {} was purged, so {} cannot be made again",
                    l.id, z.name
                ))
            };
            for l in &z.letters {
                let pdf = tx.pdf(&l.id)?.ok_or_else(|| purged(l))?;
                entries.push((close::entry_name(l), pdf));
                if l.braille.is_some() {
                    let files = tx.braille(&l.id)?.ok_or_else(|| purged(l))?;
                    let (brf, pef) = close::braille_entry_names(l);
                    entries.push((brf, files.brf));
                    entries.push((pef, files.pef));
                }
            }
            close::build_zip(&entries, day).map_err(OutboxError::Invalid)
        })
    }

    /// Applies a provider file: each row moves its letter to `to`
    /// (despatched, rejected or returned). Rows for letters already there
    /// change nothing; unknown ids and impossible moves are reported by line.
    ///
    /// # Errors
    /// The store's.
    pub fn import(
        &mut self,
        to: State,
        rows: &[import::ImportRow],
        origin: &str,
        actor: &Actor,
    ) -> Result<ImportReport, OutboxError> {
        if !matches!(to, State::Despatched | State::Rejected | State::Returned) {
            return Err(OutboxError::Invalid(
                "a provider file records letters despatched, rejected or returned".into(),
            ));
        }
        self.tx(|tx| {
            let mut report = ImportReport::default();
            for r in rows {
                let Some(l) = tx.letter(&r.id)? else {
                    report.problems.push(format!(
                        "{origin}:{}: no letter `{}` in the outbox",
                        r.line, r.id
                    ));
                    continue;
                };
                if l.state == to {
                    report.already += 1;
                    continue;
                }
                if !l.state.may_become(to) {
                    report.problems.push(format!(
                        "{origin}:{}: letter {} is {}; {}",
                        r.line,
                        r.id,
                        l.state,
                        l.state.what_next()
                    ));
                    continue;
                }
                tx.move_state(&l.id, l.state, to, actor.now)?;
                let why = match &r.reason {
                    Some(reason) => format!("{to} on {} (provider: {reason})", r.date),
                    None => format!("{to} on {}", r.date),
                };
                tx.add_history(&history(&l.id, actor, Some(l.state), to, why))?;
                report.changed += 1;
            }
            Ok(report)
        })
    }

    /// Deletes the PDFs, requests and references of letters whose last
    /// change is more than `days` days before `actor.now`, and which are past
    /// queueing; ids, codes, states, hashes and history stay.
    ///
    /// # Errors
    /// The store's.
    pub fn purge(&mut self, days: u32, actor: &Actor) -> Result<Vec<String>, OutboxError> {
        let before = actor
            .now
            .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
            .map_err(|_| OutboxError::Invalid(format!("{days} days is too far back")))?;
        self.tx(|tx| {
            let old = tx.letters(&Filter {
                state_before: Some(before),
                unpurged: true,
                ..Filter::default()
            })?;
            let mut ids = Vec::new();
            for l in old {
                if l.state == State::Queued {
                    continue;
                }
                tx.purge(&l.id, actor.now)?;
                tx.add_history(&history(
                    &l.id,
                    actor,
                    Some(l.state),
                    l.state,
                    format!("PDF and request purged ({days} days after its last change)"),
                ))?;
                ids.push(l.id);
            }
            Ok(ids)
        })
    }

    /// Reissues a letter as an exact copy behind a covering letter dated
    /// `date`, queued as a new letter linked to the original. The copy is
    /// rendered again from the stored request; if that differs from the
    /// stored PDF's SHA-256 (the catalog has changed), the stored PDF is used.
    ///
    /// # Errors
    /// [`OutboxError::Refused`] when the original is unknown, not yet sent,
    /// purged, or the mailpiece would pass the page limit.
    pub fn reissue(
        &mut self,
        engine: &Engine,
        id: &str,
        date: Date,
        reason: &str,
        actor: &Actor,
    ) -> Result<(Queued, CopySource), OutboxError> {
        let (original, request, pdf, braille) = self.tx(|tx| {
            let l = tx
                .letter(id)?
                .ok_or_else(|| OutboxError::Refused(vec![not_found(id)]))?;
            let request = tx.request(id)?;
            let pdf = tx.pdf(id)?;
            let braille = tx.braille(id)?;
            Ok((l, request, pdf, braille))
        })?;
        if matches!(
            original.state,
            State::Queued | State::Cancelled | State::Suppressed | State::Superseded
        ) {
            return Err(OutboxError::Refused(vec![refusal(
                id,
                RefusalKind::IllegalMove,
                format!(
                    "letter {id} is {} and was never sent, so there is nothing to reissue",
                    original.state
                ),
            )]));
        }
        let purged = |what: &str| {
            OutboxError::Refused(vec![refusal(
                id,
                RefusalKind::Purged,
                format!(
                    "letter {id} cannot be reissued as an exact copy: {what}{}",
                    original
                        .purged_at
                        .map(|t| format!(" (purged at {})", when(t)))
                        .unwrap_or_default()
                ),
            )])
        };
        let Some(request_text) = request else {
            return Err(purged("its request and PDF were purged"));
        };
        let request = engine
            .parse_request_as(
                &request_text,
                &format!("outbox letter {id}"),
                crate::request::Format::Json,
            )
            .map_err(|e| {
                OutboxError::Invalid(format!(
                    "letter {id} cannot be rendered again with this catalog ({e})"
                ))
            });
        let rerendered = request
            .as_ref()
            .ok()
            .and_then(|r| engine.render(r, &RenderOptions::default()).ok())
            .filter(|r| r.sha256 == original.pdf_sha256);
        // A braille letter's exact copy is what was sent: its stored carrier
        // page, BRF and PEF, checked against their recorded SHA-256.
        let braille = match (&original.braille, braille, &pdf) {
            (None, _, _) => None,
            (Some(info), Some(files), Some(carrier)) => {
                let sha = |b: &[u8]| hex(&Sha256::digest(b));
                if sha(&files.brf) != info.brf_sha256
                    || sha(&files.pef) != info.pef_sha256
                    || sha(carrier) != original.pdf_sha256
                {
                    return Err(OutboxError::Invalid(format!(
                        "letter {id} cannot be reissued as an exact copy: its stored files do not match their recorded SHA-256"
                    )));
                }
                Some((info.clone(), files))
            }
            (Some(_), _, _) => return Err(purged("its braille files were purged")),
        };
        let (copy, source) = match (rerendered, pdf) {
            (_, Some(stored)) if braille.is_some() => (stored, CopySource::Braille),
            (Some(r), _) => (r.pdf, CopySource::Rendered),
            (None, Some(stored)) => (stored, CopySource::Stored),
            (None, None) => {
                return Err(purged(
                    "its PDF was purged and the catalog no longer renders the same bytes",
                ));
            }
        };
        let request = request?;
        let cover = cover_request(&request, date, engine)?;
        let canonical = CanonicalForm::of(&cover);
        let cover_pdf = engine.render(
            &cover,
            &RenderOptions::default().with_ident(canonical.ident()),
        )?;
        let total = cover_pdf.pages + original.pages as usize;
        if total > MAX_LETTER_PAGES {
            return Err(OutboxError::Refused(vec![refusal(
                id,
                RefusalKind::TooManyPages,
                format!(
                    "letter {id} cannot be reissued: the covering letter and the copy would have {total} pages; a posted letter may have at most {MAX_LETTER_PAGES}"
                ),
            )]));
        }
        // One document: the covering letter's title, language and date;
        // the file identity from the covering letter and the letter it copies.
        let options = crate::pdf::PdfOptions {
            title: cover_pdf.title.clone(),
            language: cover.language.tag().to_owned(),
            author: engine.catalog().settings.author.clone(),
            subject: format!("{COVERING_LETTER} and a copy of {}", original.code),
            created: crate::pdf::Timestamp {
                year: cover.date.year,
                month: cover.date.month,
                day: cover.date.day,
                ..Default::default()
            },
            ident: format!("reissue {id} {}", canonical.ident()),
        };
        let merged = reissue::concat(&[&cover_pdf.pdf, &copy], &options, engine.fonts())
            .map_err(OutboxError::Invalid)?;
        let sha = hex(&Sha256::digest(&merged));
        let made = Made {
            pdf: merged,
            pdf_sha256: sha,
            pages: total,
            canonical,
        };
        let mut p = prepared_from(engine, &cover, made, Some(original.postage), None)?;
        p.code = original.code.clone();
        p.reissue_of = Some(id.to_owned());
        p.braille = braille;
        // One reissue per original per instant: the id says which it copies.
        let ident = Sha256::digest(format!("{id}\n{}\n{}", actor.now, p.request_sha256).as_bytes());
        p.id = format!("lk-{}", &hex(&ident)[..20]);
        let reason = reason.to_owned();
        let queued = self.tx(|tx| {
            let cal = calendar_of(tx)?;
            let t = open_transmission(tx, &cal, actor.now)?;
            let r = queue_one(tx, t, p, actor)?;
            match r {
                Ok(mut q) => {
                    tx.add_history(&history(
                        id,
                        actor,
                        Some(original.state),
                        original.state,
                        format!("reissued as letter {}: {reason}", q.letter.id),
                    ))?;
                    q.letter = tx.letter(&q.letter.id)?.unwrap_or(q.letter);
                    Ok(q)
                }
                Err(r) => Err(OutboxError::Refused(vec![r])),
            }
        })?;
        Ok((queued, source))
    }
}

/// A format as the outbox records it: `standard`, `large-print:SIZE` or
/// `braille:GRADE:PROFILE`.
pub fn format_code(f: LetterFormat) -> String {
    match f {
        LetterFormat::Standard => "standard".to_owned(),
        LetterFormat::LargePrint { size } => format!("large-print:{size}"),
        LetterFormat::Braille { grade, profile } => {
            format!("braille:{}:{}", grade.number(), profile.name())
        }
    }
}

/// Reads [`format_code`]'s text back.
pub fn parse_format_code(s: &str) -> Option<LetterFormat> {
    use crate::request::format::{BrailleProfile, Grade};
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        ["standard"] => Some(LetterFormat::Standard),
        ["large-print", size] => size
            .parse()
            .ok()
            .filter(|n| {
                (crate::request::format::MIN_LARGE_PRINT..=crate::request::format::MAX_LARGE_PRINT)
                    .contains(n)
            })
            .map(|size| LetterFormat::LargePrint { size }),
        ["braille", grade, profile] => {
            let grade = match *grade {
                "1" => Grade::One,
                "2" => Grade::Two,
                _ => return None,
            };
            Some(LetterFormat::Braille {
                grade,
                profile: BrailleProfile::parse(profile)?,
            })
        }
        _ => None,
    }
}

/// The format a letter is made in: the request's when it names one other
/// than standard, else the client's recorded format (with its size, or its
/// grade and profile).
///
/// # Errors
/// The refusal message when the client's letters are recorded as braille
/// and the request is in Welsh (Welsh braille is not supported; a request
/// asking for both is refused when it is read).
pub fn effective_format(
    request: &Request,
    recorded: Option<LetterFormat>,
) -> Result<LetterFormat, String> {
    let f = match (request.format, recorded) {
        (LetterFormat::Standard, Some(r)) => r,
        (f, _) => f,
    };
    if f.is_braille() && request.language == crate::catalog::Language::Cy {
        return Err("not queued: this client's letters are recorded as braille, and braille is produced in Unified English Braille only: Welsh braille is not supported yet; send the letter in English, or record another format with `outbox client`".to_owned());
    }
    Ok(f)
}

/// Where a reissue's copy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopySource {
    /// Rendered again from the stored request: the same bytes as the stored PDF.
    Rendered,
    /// The stored PDF (the catalog now renders the letter differently).
    Stored,
    /// A braille letter: its stored carrier page, BRF and PEF, exactly as
    /// sent (the covering letter is print, before the carrier page).
    Braille,
}

fn cover_request(original: &Request, date: Date, engine: &Engine) -> Result<Request, OutboxError> {
    let text = serde_json::json!({
        "letter": COVERING_LETTER,
        "date": date.to_string(),
        "reference": original.reference,
        "language": original.language.code(),
        "recipient": original.recipient.as_ref().map(|r| serde_json::json!({
            "name": r.name, "address": r.address, "postcode": r.postcode,
        })),
        "fields": { "original-date": original.date.to_string() },
    })
    .to_string();
    engine
        .parse_request_as(&text, "covering letter", crate::request::Format::Json)
        .map_err(|e| OutboxError::Invalid(format!("the covering letter cannot be made: {e}")))
}

fn settings(tx: &mut dyn Tx) -> Result<Settings, OutboxError> {
    let region = match tx.setting("region")? {
        Some(r) => r
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("region `{r}`")))?,
        None => Region::EnglandAndWales,
    };
    let cutoff = match tx.setting("cutoff")? {
        Some(c) => format!("{c}:00")
            .parse::<Time>()
            .map_err(|_| StoreError::Corrupt(format!("cut-off `{c}`")))?,
        None => calendar::DEFAULT_CUTOFF,
    };
    Ok(Settings { region, cutoff })
}

fn calendar_of(tx: &mut dyn Tx) -> Result<Calendar, OutboxError> {
    let s = settings(tx)?;
    Ok(Calendar::new(s.region, s.cutoff))
}

/// The transmission a letter made now joins: the calendar's, or the next
/// open one when that day is already closed.
fn open_transmission(
    tx: &mut dyn Tx,
    cal: &Calendar,
    now: Timestamp,
) -> Result<calendar::Transmission, OutboxError> {
    let mut t = cal
        .try_transmission_for(now)
        .map_err(|e| OutboxError::Invalid(e.to_string()))?;
    let mut guard = 0;
    while tx.closing(t.day)?.is_some() {
        guard += 1;
        if guard > 400 {
            return Err(OutboxError::Invalid(
                "no open transmission in the next year".into(),
            ));
        }
        t = cal
            .try_transmission_for(t.cutoff)
            .map_err(|e| OutboxError::Invalid(e.to_string()))?;
    }
    Ok(t)
}

fn queue_one(
    tx: &mut dyn Tx,
    t: calendar::Transmission,
    p: Prepared,
    actor: &Actor,
) -> Result<Result<Queued, Refusal>, OutboxError> {
    if let Some(existing) = tx.letter(&p.id)? {
        if existing.request_sha256 == p.request_sha256 && existing.reissue_of == p.reissue_of {
            return Ok(Ok(Queued {
                letter: existing,
                already: true,
                superseded: Vec::new(),
            }));
        }
        return Ok(Err(refusal(
            &p.id,
            RefusalKind::IdTaken,
            format!(
                "id `{}` is already used by another letter in the outbox; each letter needs its own id",
                p.id
            ),
        )));
    }
    let key = model::reference_key(&p.reference);
    let today = calendar::london().to_datetime(actor.now).date();
    if let Some(s) = tx.suppression(&key)?
        && s.blocks(today)
    {
        return Ok(Err(refusal(
            &p.id,
            RefusalKind::Suppressed,
            format!(
                "not queued: contact with this client is suppressed (reason {}) since {}",
                s.reason,
                day_words(calendar::london().to_datetime(s.since).date())
            ),
        )));
    }
    let mut superseded = Vec::new();
    if let Some(rule) = &p.supersedes {
        let new: serde_json::Value = serde_json::from_str(&p.request).unwrap_or_default();
        let candidates = tx.letters(&Filter {
            reference_key: Some(key.clone()),
            state: Some(State::Queued),
            ..Filter::default()
        })?;
        for c in candidates {
            if !rule.letters.contains(&c.code) || c.reissue_of.is_some() {
                continue;
            }
            let Some(text) = tx.request(&c.id)? else {
                continue;
            };
            let old: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let same = rule
                .same_matter
                .iter()
                .all(|f| old["fields"].get(f).is_some() && old["fields"][f] == new["fields"][f]);
            if same && tx.move_state(&c.id, State::Queued, State::Superseded, actor.now)? {
                tx.add_history(&history(
                    &c.id,
                    actor,
                    Some(State::Queued),
                    State::Superseded,
                    format!(
                        "superseded by letter {} ({}) about the same matter ({})",
                        p.id,
                        p.code,
                        rule.same_matter.join(", ")
                    ),
                ))?;
                superseded.push(c.id);
            }
        }
    }
    let record = LetterRecord {
        id: p.id.clone(),
        code: p.code.clone(),
        reference: Some(p.reference.clone()),
        catalog_digest: p.catalog_digest.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        request_sha256: p.request_sha256.clone(),
        pages: p.pages,
        sheets: model::sheets(p.pages),
        postage: p.postage,
        pdf_sha256: p.pdf_sha256.clone(),
        pdf_bytes: p.pdf.len() as u64,
        created_at: actor.now,
        transmission: t.day,
        cancellable_until: t.cutoff,
        state: State::Queued,
        state_at: actor.now,
        batch: p.batch.clone(),
        reissue_of: p.reissue_of.clone(),
        zip: None,
        purged_at: None,
        braille: p.braille.as_ref().map(|(info, _)| info.clone()),
    };
    tx.insert_letter(&record, &p.request, &p.pdf)?;
    if let Some((_, files)) = &p.braille {
        tx.put_braille(&p.id, files)?;
    }
    let why = match (&p.batch, &p.reissue_of) {
        (_, Some(o)) => format!("queued as the reissue of letter {o}"),
        (Some(b), None) => format!("queued by batch {b}"),
        (None, None) => "queued".to_owned(),
    };
    tx.add_history(&history(&p.id, actor, None, State::Queued, why))?;
    Ok(Ok(Queued {
        letter: record,
        already: false,
        superseded,
    }))
}

/// Whether a letter may be cancelled now, with the exact refusal if not.
fn cancellable(
    tx: &mut dyn Tx,
    l: &LetterRecord,
    now: Timestamp,
) -> Result<Result<(), Refusal>, OutboxError> {
    let id = &l.id;
    Ok(match l.state {
        State::Queued if now < l.cancellable_until => Ok(()),
        State::Queued => Err(refusal(
            id,
            RefusalKind::TooLate,
            format!(
                "too late to cancel letter {id}: the cut-off for its transmission was {}",
                when(l.cancellable_until)
            ),
        )),
        State::Cancelled => {
            let h = tx.history(id)?;
            let by = h
                .iter()
                .rev()
                .find(|r| r.to == State::Cancelled)
                .map(|r| format!(" by {}", r.by))
                .unwrap_or_default();
            Err(refusal(
                id,
                RefusalKind::AlreadyCancelled,
                format!(
                    "letter {id} is already cancelled (at {}{by})",
                    when(l.state_at)
                ),
            ))
        }
        State::Transmitted | State::Despatched | State::Rejected | State::Returned => {
            let h = tx.history(id)?;
            let at = h
                .iter()
                .find(|r| r.to == State::Transmitted)
                .map_or(l.state_at, |r| r.at);
            let now_state = if l.state == State::Transmitted {
                String::new()
            } else {
                format!(" and is now {}", l.state)
            };
            Err(refusal(
                id,
                RefusalKind::TooLate,
                format!(
                    "too late to cancel letter {id}: it was transmitted at {}{now_state}",
                    when(at)
                ),
            ))
        }
        State::Suppressed | State::Superseded => Err(refusal(
            id,
            RefusalKind::IllegalMove,
            format!("letter {id} is {}; {}", l.state, l.state.what_next()),
        )),
    })
}

fn cancel_all(
    tx: &mut dyn Tx,
    letters: Vec<LetterRecord>,
    reason: &str,
    actor: &Actor,
) -> Result<Vec<LetterRecord>, OutboxError> {
    let mut out = Vec::new();
    for l in letters {
        if !tx.move_state(&l.id, State::Queued, State::Cancelled, actor.now)? {
            return Err(
                StoreError::Corrupt(format!("letter {} changed during the cancel", l.id)).into(),
            );
        }
        tx.add_history(&history(
            &l.id,
            actor,
            Some(State::Queued),
            State::Cancelled,
            reason.to_owned(),
        ))?;
        if let Some(l) = tx.letter(&l.id)? {
            out.push(l);
        }
    }
    Ok(out)
}

/// `batch --outbox`: a batch's letters queued in the outbox a group at a
/// time, one transaction per group (see [`crate::batch::Sink`]).
pub struct BatchSink<'a> {
    /// The outbox.
    pub outbox: &'a mut Outbox,
    /// The engine that rendered the letters (for their definitions).
    pub engine: &'a Engine,
    /// The officer running the batch.
    pub by: String,
    /// The clock, read once per group.
    pub clock: &'a mut dyn FnMut() -> Timestamp,
    /// The batch id every letter records.
    pub batch: String,
    /// Postage for every letter, instead of each definition's default.
    pub postage: Option<Postage>,
    /// Makes the braille of a letter whose client's recorded format is
    /// braille (a request asking for braille comes rendered).
    pub translator: &'a dyn crate::braille::Translator,
    /// Called for each letter queued, in input order.
    pub on_queued: &'a mut dyn FnMut(&Queued),
}

impl crate::batch::Sink for BatchSink<'_> {
    fn accept(
        &mut self,
        letters: Vec<crate::batch::Sunk>,
    ) -> Result<Vec<Result<String, String>>, String> {
        let actor = Actor::new(self.by.clone(), (self.clock)());
        let recorded = self
            .outbox
            .client_formats(letters.iter().map(|s| s.request.reference.as_str()))
            .map_err(|e| e.to_string())?;
        let mut slots: Vec<Result<usize, String>> = Vec::with_capacity(letters.len());
        let mut ready = Vec::with_capacity(letters.len());
        for s in letters {
            let recorded = recorded
                .get(&model::reference_key(&s.request.reference))
                .copied();
            let wanted = effective_format(&s.request, recorded);
            let made = match wanted {
                Err(e) => Err(e),
                Ok(f) if f == s.request.format => prepared_from(
                    self.engine,
                    &s.request,
                    Made {
                        pdf: s.pdf,
                        pdf_sha256: s.pdf_sha256,
                        pages: s.pages,
                        canonical: s.canonical,
                    },
                    self.postage,
                    Some(&self.batch),
                )
                .map(|mut p| {
                    p.braille = s.braille.map(|files| (BrailleInfo::of(f, &files), files));
                    p
                })
                .map_err(|e| e.to_string()),
                // The client's recorded format: made again in it.
                Ok(_) => prepare(
                    self.engine,
                    &s.request,
                    recorded,
                    self.translator,
                    self.postage,
                    Some(&self.batch),
                )
                .map_err(|e| e.to_string()),
            };
            match made {
                Ok(p) => {
                    slots.push(Ok(ready.len()));
                    ready.push(p);
                }
                Err(e) => slots.push(Err(e)),
            }
        }
        let answers = self
            .outbox
            .queue(ready, &actor, false)
            .map_err(|e| e.to_string())?;
        let mut answers: Vec<Option<Result<Queued, Refusal>>> =
            answers.into_iter().map(Some).collect();
        Ok(slots
            .into_iter()
            .map(|slot| match slot {
                Err(e) => Err(e),
                Ok(k) => match answers.get_mut(k).and_then(Option::take) {
                    Some(Ok(q)) => {
                        (self.on_queued)(&q);
                        Ok(q.letter.id)
                    }
                    Some(Err(r)) => Err(r.message),
                    None => Err("the outbox gave no answer for this letter".into()),
                },
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::format::{BrailleProfile, Grade};

    const REQUEST: &str = "letter: CMSL5503\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Leeds\n";

    #[test]
    fn the_recorded_format_applies_unless_the_request_names_one_and_welsh_braille_is_refused() {
        let engine = Engine::builtin().expect("catalog");
        let braille = LetterFormat::Braille {
            grade: Grade::One,
            profile: BrailleProfile::Book,
        };
        let large = LetterFormat::LargePrint { size: 20 };
        let plain = engine.parse_request(REQUEST, "r.yaml").expect("valid");
        assert_eq!(effective_format(&plain, Some(braille)), Ok(braille));
        assert_eq!(effective_format(&plain, None), Ok(LetterFormat::Standard));
        let lp = engine
            .parse_request(
                &format!("format: large-print\nsize: 20\n{REQUEST}"),
                "r.yaml",
            )
            .expect("valid");
        assert_eq!(
            effective_format(&lp, Some(braille)),
            Ok(large),
            "the request wins"
        );
        // No letter has Welsh wording yet, so a Welsh request is made here.
        let mut welsh = plain.clone();
        welsh.language = crate::catalog::Language::Cy;
        assert_eq!(effective_format(&welsh, Some(large)), Ok(large));
        assert_eq!(
            effective_format(&welsh, Some(braille)),
            Err("not queued: this client's letters are recorded as braille, and braille is produced in Unified English Braille only: Welsh braille is not supported yet; send the letter in English, or record another format with `outbox client`".to_owned())
        );
    }
}
