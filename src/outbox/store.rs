//! Where the outbox keeps its records: the [`Store`] trait and its SQLite
//! implementation.
//!
//! The trait is what a PostgreSQL store would implement too: every change
//! happens inside [`Store::transaction`], the SQL is portable (text ids,
//! ISO-8601 UTC times as text, integers, one blob), and history rows are only
//! ever inserted.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`, so a commit survives a
//! power cut, readers never wait for a writer, and several processes share
//! one file: a writer takes the lock at the start of its transaction
//! (`BEGIN IMMEDIATE`) and others wait for it (up to a minute) instead of
//! failing.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "postgres")]
pub use super::pg::PgStore;

/// Whether `location` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::calendar::{Date, Timestamp};
use super::model::{
    BrailleFiles, BrailleInfo, Closing, HistoryRow, LetterRecord, Postage, State, SuppressReason,
    Suppression, SuppressionEvent,
};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 4;

/// What went wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store file could not be opened or used.
    #[error("the outbox {path} cannot be used: {message}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The database's words.
        message: String,
    },
    /// The store was made by a newer letterkit.
    #[error(
        "the outbox {path} has schema version {found}, newer than this letterkit understands (version {SCHEMA_VERSION}); use the letterkit that made it, or a newer one"
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
    },
    /// A query failed.
    #[error("the outbox database failed: {0}")]
    Backend(String),
    /// A stored value could not be read back.
    #[error("the outbox holds a value it cannot read ({0}); the file may have been edited by hand")]
    Corrupt(String),
    /// The transaction was rolled back by its caller (internal).
    #[error("rolled back")]
    RolledBack,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Backend(e.to_string())
    }
}

/// What a list of letters is narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Letters of the transmission of this working day.
    pub day: Option<Date>,
    /// Letters in this state.
    pub state: Option<State>,
    /// Letters to the client with this reference key ([`super::model::reference_key`]).
    pub reference_key: Option<String>,
    /// Letters queued by this batch.
    pub batch: Option<String>,
    /// Letters whose state changed before this instant.
    pub state_before: Option<Timestamp>,
    /// Only letters whose PDF and request are still kept.
    pub unpurged: bool,
}

/// One transaction: everything the outbox reads and changes.
pub trait Tx {
    /// Adds a letter with its canonical request and PDF.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn insert_letter(
        &mut self,
        l: &LetterRecord,
        request: &str,
        pdf: &[u8],
    ) -> Result<(), StoreError>;
    /// The letter with this id.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn letter(&mut self, id: &str) -> Result<Option<LetterRecord>, StoreError>;
    /// Letters matching `filter`, by transmission, then id.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn letters(&mut self, filter: &Filter) -> Result<Vec<LetterRecord>, StoreError>;
    /// Moves a letter from `from` to `to` at `at`; false if it was not in `from`.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn move_state(
        &mut self,
        id: &str,
        from: State,
        to: State,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Records the zip a letter was transmitted in and its place there.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn set_zip(&mut self, id: &str, zip: &str, position: u32) -> Result<(), StoreError>;
    /// Adds a history row.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn add_history(&mut self, row: &HistoryRow) -> Result<(), StoreError>;
    /// A letter's history, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn history(&mut self, id: &str) -> Result<Vec<HistoryRow>, StoreError>;
    /// A letter's PDF, unless purged.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn pdf(&mut self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A letter's canonical request, unless purged.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn request(&mut self, id: &str) -> Result<Option<String>, StoreError>;
    /// Keeps a braille letter's BRF and PEF beside its PDF (after
    /// [`Tx::insert_letter`], in the same transaction).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn put_braille(&mut self, id: &str, files: &BrailleFiles) -> Result<(), StoreError>;
    /// A braille letter's BRF and PEF, unless purged (`None` for a print letter).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn braille(&mut self, id: &str) -> Result<Option<BrailleFiles>, StoreError>;
    /// Deletes a letter's PDF (and braille files), request and reference,
    /// keeping the rest.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn purge(&mut self, id: &str, at: Timestamp) -> Result<(), StoreError>;
    /// The suppression of the client with this reference key.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn suppression(&mut self, key: &str) -> Result<Option<Suppression>, StoreError>;
    /// Sets the suppression of a client.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn put_suppression(&mut self, key: &str, s: &Suppression) -> Result<(), StoreError>;
    /// Every suppression, active or ended, by reference.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn suppressions(&mut self) -> Result<Vec<Suppression>, StoreError>;
    /// Adds a suppression history row.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn add_suppression_event(&mut self, key: &str, e: &SuppressionEvent) -> Result<(), StoreError>;
    /// A client's suppression history, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn suppression_history(&mut self, key: &str) -> Result<Vec<SuppressionEvent>, StoreError>;
    /// The closing of a transmission day.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn closing(&mut self, day: Date) -> Result<Option<Closing>, StoreError>;
    /// Records a closing.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn add_closing(&mut self, c: &Closing) -> Result<(), StoreError>;
    /// The recorded format of a client's letters (`standard`,
    /// `large-print:SIZE`, `braille:GRADE:PROFILE`).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn client_format(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Records a client's format with a history row.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn set_client_format(
        &mut self,
        key: &str,
        format: &str,
        at: Timestamp,
        by: &str,
        reason: &str,
    ) -> Result<(), StoreError>;
    /// A client's format history, oldest first: (at, by, format, reason).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn client_format_history(
        &mut self,
        key: &str,
    ) -> Result<Vec<(Timestamp, String, String, String)>, StoreError>;
    /// A setting (`region`, `cutoff`).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Changes a setting.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    /// The response first given to a request with this idempotency key.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn idempotent(&mut self, key: &str) -> Result<Option<Idempotent>, StoreError>;
    /// Keeps the first response to a request with an idempotency key; false
    /// (and nothing changed) when the key is already taken.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    fn put_idempotent(&mut self, r: &Idempotent) -> Result<bool, StoreError>;
}

/// The first response to a request sent with an `Idempotency-Key` (the
/// HTTP service keeps them so that a retried request gets the same answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotent {
    /// The client and its key (`client:key`).
    pub key: String,
    /// SHA-256 of the method, path and body the key was first used with.
    pub fingerprint: String,
    /// The HTTP status.
    pub status: u16,
    /// The response's content type.
    pub content_type: String,
    /// The response's body.
    pub body: Vec<u8>,
    /// When it was kept.
    pub created_at: Timestamp,
}

/// A place that keeps the outbox.
pub trait Store: Send {
    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back
    /// otherwise. Writers are serialised; readers see committed data only.
    ///
    /// # Errors
    /// The database's, or [`StoreError::RolledBack`] when `f` failed.
    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

/// Schema changes, in order: entry `n` takes the schema from version `n` to
/// `n + 1`. Never edit one that has shipped; add another.
pub(super) const MIGRATIONS: &[&str] = &[
    // 0 → 1
    "CREATE TABLE letters (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        reference TEXT,
        reference_key TEXT,
        catalog_digest TEXT NOT NULL,
        version TEXT NOT NULL,
        request_sha256 TEXT NOT NULL,
        request TEXT,
        pdf BLOB,
        pages INTEGER NOT NULL,
        sheets INTEGER NOT NULL,
        postage TEXT NOT NULL,
        pdf_sha256 TEXT NOT NULL,
        pdf_bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        transmission TEXT NOT NULL,
        cancellable_until TEXT NOT NULL,
        state TEXT NOT NULL,
        state_at TEXT NOT NULL,
        batch TEXT,
        reissue_of TEXT,
        zip_name TEXT,
        zip_position INTEGER,
        purged_at TEXT
    );
    CREATE INDEX letters_by_transmission ON letters (transmission, state);
    CREATE INDEX letters_by_reference ON letters (reference_key);
    CREATE INDEX letters_by_batch ON letters (batch);
    CREATE TABLE history (
        seq INTEGER PRIMARY KEY,
        letter TEXT NOT NULL,
        at TEXT NOT NULL,
        by_officer TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX history_by_letter ON history (letter, seq);
    CREATE TABLE suppressions (
        reference_key TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        reason TEXT NOT NULL,
        since TEXT NOT NULL,
        until TEXT,
        by_officer TEXT NOT NULL,
        active INTEGER NOT NULL
    );
    CREATE TABLE suppression_history (
        seq INTEGER PRIMARY KEY,
        reference_key TEXT NOT NULL,
        at TEXT NOT NULL,
        by_officer TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        until TEXT
    );
    CREATE TABLE closings (
        day TEXT PRIMARY KEY,
        closed_at TEXT NOT NULL,
        by_officer TEXT NOT NULL,
        letters INTEGER NOT NULL
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 1 → 2: the format each client's letters are made in (issue 11).
    "CREATE TABLE client_formats (
        reference_key TEXT PRIMARY KEY,
        format TEXT NOT NULL,
        since TEXT NOT NULL,
        by_officer TEXT NOT NULL
    );
    CREATE TABLE client_format_history (
        seq INTEGER PRIMARY KEY,
        reference_key TEXT NOT NULL,
        at TEXT NOT NULL,
        by_officer TEXT NOT NULL,
        format TEXT NOT NULL,
        reason TEXT NOT NULL
    );",
    // 2 → 3: the HTTP service's idempotency keys.
    "CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        body BLOB NOT NULL,
        created_at TEXT NOT NULL
    );",
    // 3 → 4: a braille letter's BRF and PEF beside its carrier page PDF
    // (issue 11); NULL for print letters and for every older row.
    "ALTER TABLE letters ADD COLUMN braille_format TEXT;
    ALTER TABLE letters ADD COLUMN braille_pages INTEGER;
    ALTER TABLE letters ADD COLUMN brf BLOB;
    ALTER TABLE letters ADD COLUMN brf_sha256 TEXT;
    ALTER TABLE letters ADD COLUMN brf_bytes INTEGER;
    ALTER TABLE letters ADD COLUMN pef BLOB;
    ALTER TABLE letters ADD COLUMN pef_sha256 TEXT;
    ALTER TABLE letters ADD COLUMN pef_bytes INTEGER;",
];

/// The outbox in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens `path`, making it (and its schema) on first use and migrating an
    /// older schema.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the file cannot be opened or is not an
    /// outbox, [`StoreError::Newer`] when a newer letterkit made it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(60))
            .map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let mut store = SqliteStore { conn };
        store.migrate(path)?;
        Ok(store)
    }

    /// An outbox in memory (tests).
    ///
    /// # Errors
    /// When SQLite cannot start.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()?;
        let mut store = SqliteStore { conn };
        store.migrate(Path::new(":memory:"))?;
        Ok(store)
    }

    fn migrate(&mut self, path: &Path) -> Result<(), StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(open_err)?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            [],
        )
        .map_err(open_err)?;
        let found: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(open_err)?;
        let found: u32 = match found {
            None => 0,
            Some(v) => v.parse().map_err(|_| StoreError::Open {
                path: path.to_path_buf(),
                message: format!("its schema version `{v}` is not a number"),
            })?,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: path.to_path_buf(),
                found,
            });
        }
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql).map_err(open_err)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![(n + 1).to_string()],
            )
            .map_err(open_err)?;
        }
        tx.commit().map_err(open_err)?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut t = SqliteTx { tx };
        f(&mut t)?;
        t.tx.commit()?;
        Ok(())
    }
}

struct SqliteTx<'c> {
    tx: rusqlite::Transaction<'c>,
}

pub(super) fn ts(t: Timestamp) -> String {
    t.to_string()
}

pub(super) fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} `{s}`")))
}

pub(super) fn parse_opt<T: FromStr>(
    what: &str,
    s: Option<String>,
) -> Result<Option<T>, StoreError> {
    s.map(|s| parse(what, &s)).transpose()
}

/// Column list matching [`letter_from_row`].
pub(super) const LETTER_COLUMNS: &str =
    "id, code, reference, catalog_digest, version, request_sha256,
    pages, sheets, postage, pdf_sha256, pdf_bytes, created_at, transmission, cancellable_until,
    state, state_at, batch, reissue_of, zip_name, zip_position, purged_at,
    braille_format, braille_pages, brf_sha256, brf_bytes, pef_sha256, pef_bytes";

pub(super) struct RawLetter {
    pub(super) id: String,
    pub(super) code: String,
    pub(super) reference: Option<String>,
    pub(super) catalog_digest: String,
    pub(super) version: String,
    pub(super) request_sha256: String,
    pub(super) pages: u32,
    pub(super) sheets: u32,
    pub(super) postage: String,
    pub(super) pdf_sha256: String,
    pub(super) pdf_bytes: i64,
    pub(super) created_at: String,
    pub(super) transmission: String,
    pub(super) cancellable_until: String,
    pub(super) state: String,
    pub(super) state_at: String,
    pub(super) batch: Option<String>,
    pub(super) reissue_of: Option<String>,
    pub(super) zip_name: Option<String>,
    pub(super) zip_position: Option<u32>,
    pub(super) purged_at: Option<String>,
    pub(super) braille_format: Option<String>,
    pub(super) braille_pages: Option<i64>,
    pub(super) brf_sha256: Option<String>,
    pub(super) brf_bytes: Option<i64>,
    pub(super) pef_sha256: Option<String>,
    pub(super) pef_bytes: Option<i64>,
}

fn raw_letter(r: &Row<'_>) -> rusqlite::Result<RawLetter> {
    Ok(RawLetter {
        id: r.get(0)?,
        code: r.get(1)?,
        reference: r.get(2)?,
        catalog_digest: r.get(3)?,
        version: r.get(4)?,
        request_sha256: r.get(5)?,
        pages: r.get(6)?,
        sheets: r.get(7)?,
        postage: r.get(8)?,
        pdf_sha256: r.get(9)?,
        pdf_bytes: r.get(10)?,
        created_at: r.get(11)?,
        transmission: r.get(12)?,
        cancellable_until: r.get(13)?,
        state: r.get(14)?,
        state_at: r.get(15)?,
        batch: r.get(16)?,
        reissue_of: r.get(17)?,
        zip_name: r.get(18)?,
        zip_position: r.get(19)?,
        purged_at: r.get(20)?,
        braille_format: r.get(21)?,
        braille_pages: r.get(22)?,
        brf_sha256: r.get(23)?,
        brf_bytes: r.get(24)?,
        pef_sha256: r.get(25)?,
        pef_bytes: r.get(26)?,
    })
}

pub(super) fn letter_from_raw(r: RawLetter) -> Result<LetterRecord, StoreError> {
    Ok(LetterRecord {
        id: r.id,
        code: r.code,
        reference: r.reference,
        catalog_digest: r.catalog_digest,
        version: r.version,
        request_sha256: r.request_sha256,
        pages: r.pages,
        sheets: r.sheets,
        postage: parse::<Postage>("postage", &r.postage)?,
        pdf_sha256: r.pdf_sha256,
        pdf_bytes: u64::try_from(r.pdf_bytes).unwrap_or(0),
        created_at: parse("time", &r.created_at)?,
        transmission: parse("date", &r.transmission)?,
        cancellable_until: parse("time", &r.cancellable_until)?,
        state: parse::<State>("state", &r.state)?,
        state_at: parse("time", &r.state_at)?,
        batch: r.batch,
        reissue_of: r.reissue_of,
        zip: r.zip_name.zip(r.zip_position),
        purged_at: parse_opt("time", r.purged_at)?,
        braille: match (r.braille_format, r.brf_sha256, r.pef_sha256) {
            (Some(format), Some(brf_sha256), Some(pef_sha256)) => Some(BrailleInfo {
                format,
                pages: r
                    .braille_pages
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
                brf_sha256,
                brf_bytes: r.brf_bytes.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                pef_sha256,
                pef_bytes: r.pef_bytes.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            }),
            _ => None,
        },
    })
}

/// The braille columns of a record, as stored: format, pages, BRF SHA-256
/// and bytes, PEF SHA-256 and bytes (all `None` for a print letter).
#[allow(clippy::type_complexity)]
pub(super) fn braille_columns(
    l: &LetterRecord,
) -> (
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
) {
    match &l.braille {
        None => (None, None, None, None, None, None),
        Some(b) => (
            Some(b.format.clone()),
            Some(i64::from(b.pages)),
            Some(b.brf_sha256.clone()),
            Some(i64::try_from(b.brf_bytes).unwrap_or(i64::MAX)),
            Some(b.pef_sha256.clone()),
            Some(i64::try_from(b.pef_bytes).unwrap_or(i64::MAX)),
        ),
    }
}

fn suppression_from_row(r: &Row<'_>) -> rusqlite::Result<[Option<String>; 6]> {
    Ok([
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get::<_, i64>(5).map(|a| Some(a.to_string()))?,
    ])
}

pub(super) fn suppression_from_raw(v: [Option<String>; 6]) -> Result<Suppression, StoreError> {
    let [reference, reason, since, until, by, active] = v;
    Ok(Suppression {
        reference: reference.unwrap_or_default(),
        reason: parse::<SuppressReason>("reason code", &reason.unwrap_or_default())?,
        since: parse("time", &since.unwrap_or_default())?,
        until: parse_opt("date", until)?,
        by: by.unwrap_or_default(),
        active: active.as_deref() == Some("1"),
    })
}

impl Tx for SqliteTx<'_> {
    fn insert_letter(
        &mut self,
        l: &LetterRecord,
        request: &str,
        pdf: &[u8],
    ) -> Result<(), StoreError> {
        let b = braille_columns(l);
        self.tx
            .prepare_cached(
                "INSERT INTO letters (id, code, reference, reference_key, catalog_digest, version,
                request_sha256, request, pdf, pages, sheets, postage, pdf_sha256, pdf_bytes,
                created_at, transmission, cancellable_until, state, state_at, batch, reissue_of,
                braille_format, braille_pages, brf_sha256, brf_bytes, pef_sha256, pef_bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
            )?
            .execute(params![
                l.id,
                l.code,
                l.reference,
                l.reference.as_deref().map(super::model::reference_key),
                l.catalog_digest,
                l.version,
                l.request_sha256,
                request,
                pdf,
                l.pages,
                l.sheets,
                l.postage.as_str(),
                l.pdf_sha256,
                i64::try_from(l.pdf_bytes).unwrap_or(i64::MAX),
                ts(l.created_at),
                l.transmission.to_string(),
                ts(l.cancellable_until),
                l.state.as_str(),
                ts(l.state_at),
                l.batch,
                l.reissue_of,
                b.0,
                b.1,
                b.2,
                b.3,
                b.4,
                b.5,
            ])?;
        Ok(())
    }

    fn letter(&mut self, id: &str) -> Result<Option<LetterRecord>, StoreError> {
        let raw = self
            .tx
            .prepare_cached(&format!(
                "SELECT {LETTER_COLUMNS} FROM letters WHERE id = ?1"
            ))?
            .query_row(params![id], raw_letter)
            .optional()?;
        raw.map(letter_from_raw).transpose()
    }

    fn letters(&mut self, f: &Filter) -> Result<Vec<LetterRecord>, StoreError> {
        let mut sql = format!("SELECT {LETTER_COLUMNS} FROM letters WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        let mut add = |cond: &str, v: String, sql: &mut String| {
            args.push(v);
            sql.push_str(&format!(" AND {cond} ?{}", args.len()));
        };
        if let Some(d) = f.day {
            add("transmission =", d.to_string(), &mut sql);
        }
        if let Some(s) = f.state {
            add("state =", s.as_str().to_owned(), &mut sql);
        }
        if let Some(k) = &f.reference_key {
            add("reference_key =", k.clone(), &mut sql);
        }
        if let Some(b) = &f.batch {
            add("batch =", b.clone(), &mut sql);
        }
        if let Some(t) = f.state_before {
            add("state_at <", ts(t), &mut sql);
        }
        if f.unpurged {
            sql.push_str(" AND purged_at IS NULL");
        }
        sql.push_str(" ORDER BY transmission, id");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), raw_letter)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(letter_from_raw(r?)?);
        }
        Ok(out)
    }

    fn move_state(
        &mut self,
        id: &str,
        from: State,
        to: State,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE letters SET state = ?1, state_at = ?2 WHERE id = ?3 AND state = ?4",
            )?
            .execute(params![to.as_str(), ts(at), id, from.as_str()])?;
        Ok(n == 1)
    }

    fn set_zip(&mut self, id: &str, zip: &str, position: u32) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE letters SET zip_name = ?1, zip_position = ?2 WHERE id = ?3")?
            .execute(params![zip, position, id])?;
        Ok(())
    }

    fn add_history(&mut self, h: &HistoryRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO history (letter, at, by_officer, from_state, to_state, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                h.letter,
                ts(h.at),
                h.by,
                h.from.map(State::as_str),
                h.to.as_str(),
                h.reason
            ])?;
        Ok(())
    }

    fn history(&mut self, id: &str) -> Result<Vec<HistoryRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT letter, at, by_officer, from_state, to_state, reason FROM history
             WHERE letter = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (letter, at, by, from, to, reason) = r?;
            out.push(HistoryRow {
                letter,
                at: parse("time", &at)?,
                by,
                from: parse_opt("state", from)?,
                to: parse("state", &to)?,
                reason,
            });
        }
        Ok(out)
    }

    fn pdf(&mut self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT pdf FROM letters WHERE id = ?1")?
            .query_row(params![id], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
            .flatten())
    }

    fn request(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT request FROM letters WHERE id = ?1")?
            .query_row(params![id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    fn put_braille(&mut self, id: &str, files: &BrailleFiles) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE letters SET brf = ?1, pef = ?2 WHERE id = ?3")?
            .execute(params![files.brf, files.pef, id])?;
        Ok(())
    }

    fn braille(&mut self, id: &str) -> Result<Option<BrailleFiles>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT brf, pef FROM letters WHERE id = ?1")?
            .query_row(params![id], |r| {
                Ok((
                    r.get::<_, Option<Vec<u8>>>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                ))
            })
            .optional()?
            .and_then(|(brf, pef)| {
                Some(BrailleFiles {
                    brf: brf?,
                    pef: pef?,
                })
            }))
    }

    fn purge(&mut self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE letters SET pdf = NULL, brf = NULL, pef = NULL, request = NULL,
                reference = NULL, reference_key = NULL, purged_at = ?1 WHERE id = ?2",
            )?
            .execute(params![ts(at), id])?;
        Ok(())
    }

    fn suppression(&mut self, key: &str) -> Result<Option<Suppression>, StoreError> {
        let raw = self
            .tx
            .prepare_cached(
                "SELECT reference, reason, since, until, by_officer, active FROM suppressions
                 WHERE reference_key = ?1",
            )?
            .query_row(params![key], suppression_from_row)
            .optional()?;
        raw.map(suppression_from_raw).transpose()
    }

    fn put_suppression(&mut self, key: &str, s: &Suppression) -> Result<(), StoreError> {
        self.tx.prepare_cached("INSERT INTO suppressions (reference_key, reference, reason, since, until, by_officer, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (reference_key) DO UPDATE SET reference = excluded.reference,
                reason = excluded.reason, since = excluded.since, until = excluded.until,
                by_officer = excluded.by_officer, active = excluded.active")?.execute(params![
                key,
                s.reference,
                s.reason.as_str(),
                ts(s.since),
                s.until.map(|d| d.to_string()),
                s.by,
                i64::from(s.active)
            ])?;
        Ok(())
    }

    fn suppressions(&mut self) -> Result<Vec<Suppression>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT reference, reason, since, until, by_officer, active FROM suppressions
             ORDER BY reference_key",
        )?;
        let rows = stmt.query_map([], suppression_from_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(suppression_from_raw(r?)?);
        }
        Ok(out)
    }

    fn add_suppression_event(&mut self, key: &str, e: &SuppressionEvent) -> Result<(), StoreError> {
        self.tx.prepare_cached("INSERT INTO suppression_history (reference_key, at, by_officer, action, reason, until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![
                key,
                ts(e.at),
                e.by,
                e.action,
                e.reason,
                e.until.map(|d| d.to_string())
            ])?;
        Ok(())
    }

    fn suppression_history(&mut self, key: &str) -> Result<Vec<SuppressionEvent>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT at, by_officer, action, reason, until FROM suppression_history
             WHERE reference_key = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (at, by, action, reason, until) = r?;
            out.push(SuppressionEvent {
                at: parse("time", &at)?,
                by,
                action,
                reason,
                until: parse_opt("date", until)?,
            });
        }
        Ok(out)
    }

    fn closing(&mut self, day: Date) -> Result<Option<Closing>, StoreError> {
        let raw = self
            .tx
            .prepare_cached("SELECT closed_at, by_officer, letters FROM closings WHERE day = ?1")?
            .query_row(params![day.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()?;
        raw.map(|(at, by, n)| {
            Ok(Closing {
                day,
                closed_at: parse("time", &at)?,
                by,
                letters: u64::try_from(n).unwrap_or(0),
            })
        })
        .transpose()
    }

    fn add_closing(&mut self, c: &Closing) -> Result<(), StoreError> {
        self.tx.prepare_cached("INSERT INTO closings (day, closed_at, by_officer, letters) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
                c.day.to_string(),
                ts(c.closed_at),
                c.by,
                i64::try_from(c.letters).unwrap_or(i64::MAX)
            ])?;
        Ok(())
    }

    fn client_format(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT format FROM client_formats WHERE reference_key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    fn set_client_format(
        &mut self,
        key: &str,
        format: &str,
        at: Timestamp,
        by: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO client_formats (reference_key, format, since, by_officer)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (reference_key) DO UPDATE SET format = excluded.format,
                since = excluded.since, by_officer = excluded.by_officer",
            )?
            .execute(params![key, format, ts(at), by])?;
        self.tx
            .prepare_cached(
                "INSERT INTO client_format_history (reference_key, at, by_officer, format, reason)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![key, ts(at), by, format, reason])?;
        Ok(())
    }

    fn client_format_history(
        &mut self,
        key: &str,
    ) -> Result<Vec<(Timestamp, String, String, String)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT at, by_officer, format, reason FROM client_format_history
             WHERE reference_key = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (at, by, f, reason) = r?;
            out.push((parse("time", &at)?, by, f, reason));
        }
        Ok(out)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }

    fn idempotent(&mut self, key: &str) -> Result<Option<Idempotent>, StoreError> {
        let raw = self
            .tx
            .query_row(
                "SELECT fingerprint, status, content_type, body, created_at FROM idempotency
                 WHERE key = ?1",
                params![key],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u16>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        raw.map(|(fingerprint, status, content_type, body, at)| {
            Ok(Idempotent {
                key: key.to_owned(),
                fingerprint,
                status,
                content_type,
                body,
                created_at: parse("time", &at)?,
            })
        })
        .transpose()
    }

    fn put_idempotent(&mut self, r: &Idempotent) -> Result<bool, StoreError> {
        let n = self.tx.execute(
            "INSERT INTO idempotency (key, fingerprint, status, content_type, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
            params![
                r.key,
                r.fingerprint,
                r.status,
                r.content_type,
                r.body,
                ts(r.created_at)
            ],
        )?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema version a SQLite outbox file records.
    fn version_of(path: &Path) -> String {
        Connection::open(path)
            .expect("open")
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .expect("version")
    }

    #[test]
    fn a_newer_schema_is_refused_and_an_older_one_migrated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("o.sqlite");
        drop(SqliteStore::open(&path).expect("made"));
        {
            let c = Connection::open(&path).expect("open");
            let v: String = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .expect("version");
            assert_eq!(v, SCHEMA_VERSION.to_string());
            c.execute(
                "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
                [],
            )
            .expect("bump");
        }
        let e = SqliteStore::open(&path).err().expect("refused");
        assert!(matches!(e, StoreError::Newer { found: 99, .. }), "{e}");
        assert!(
            e.to_string().contains(&format!(
                "has schema version 99, newer than this letterkit understands (version {SCHEMA_VERSION})"
            )),
            "{e}"
        );
    }

    #[test]
    fn a_version_1_outbox_is_migrated_and_keeps_its_letters() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v1.sqlite");
        {
            let c = Connection::open(&path).expect("open");
            c.execute_batch(MIGRATIONS[0]).expect("v1 schema");
            c.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('schema_version', '1');
                 INSERT INTO settings VALUES ('cutoff', '16:00');",
            )
            .expect("v1 rows");
        }
        let mut s = SqliteStore::open(&path).expect("migrated");
        let mut seen = (None, None);
        s.transaction(&mut |tx| {
            seen = (tx.setting("cutoff")?, tx.client_format("X")?);
            tx.set_client_format(
                "X",
                "large-print:20",
                "2026-03-02T10:00:00Z".parse().expect("t"),
                "AB1",
                "asked",
            )?;
            Ok(())
        })
        .expect("v2 tables");
        assert_eq!(seen, (Some("16:00".to_owned()), None));
        let v = version_of(&path);
        assert_eq!(v, SCHEMA_VERSION.to_string());
    }

    #[test]
    fn a_version_1_outbox_gains_the_idempotency_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("o.sqlite");
        {
            // An outbox as the first release made it: schema 1 only.
            let c = Connection::open(&path).expect("open");
            c.execute_batch(MIGRATIONS[0]).expect("schema 1");
            c.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('schema_version', '1');
                 INSERT INTO settings VALUES ('region', 'scotland');",
            )
            .expect("meta");
        }
        let mut s = SqliteStore::open(&path).expect("migrated");
        let r = Idempotent {
            key: "c:k".into(),
            fingerprint: "f".into(),
            status: 201,
            content_type: "application/json".into(),
            body: b"{}".to_vec(),
            created_at: Timestamp::UNIX_EPOCH,
        };
        let mut got = None;
        let mut region = None;
        s.transaction(&mut |tx| {
            tx.put_idempotent(&r)?;
            got = tx.idempotent("c:k")?;
            region = tx.setting("region")?;
            Ok(())
        })
        .expect("works");
        assert_eq!(got, Some(r));
        assert_eq!(region.as_deref(), Some("scotland"), "data kept");
        let v = version_of(&path);
        assert_eq!(v, SCHEMA_VERSION.to_string());
    }

    #[test]
    fn a_version_3_outbox_is_migrated_and_keeps_its_letters() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v3.sqlite");
        {
            // An outbox as schema 3 made it, with one letter.
            let c = Connection::open(&path).expect("open");
            for m in &MIGRATIONS[..3] {
                c.execute_batch(m).expect("schema");
            }
            c.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('schema_version', '3');
                 INSERT INTO letters (id, code, reference, reference_key, catalog_digest, version,
                    request_sha256, request, pdf, pages, sheets, postage, pdf_sha256, pdf_bytes,
                    created_at, transmission, cancellable_until, state, state_at)
                 VALUES ('old-1', 'CMSL5502', '1234', '1234', 'c', '0.1.0', 'r', '{}', x'25504446',
                    2, 1, 'second', 'p', 4, '2026-03-02T09:00:00Z', '2026-03-02',
                    '2026-03-02T17:30:00Z', 'queued', '2026-03-02T09:00:00Z');",
            )
            .expect("v3 rows");
        }
        let mut s = SqliteStore::open(&path).expect("migrated");
        let mut seen = None;
        s.transaction(&mut |tx| {
            seen = Some((tx.letter("old-1")?, tx.pdf("old-1")?, tx.braille("old-1")?));
            Ok(())
        })
        .expect("reads");
        let (letter, pdf, braille) = seen.expect("read");
        let letter = letter.expect("the v3 letter is kept");
        assert_eq!(letter.code, "CMSL5502");
        assert_eq!(letter.pages, 2);
        assert_eq!(letter.braille, None);
        assert_eq!(pdf.as_deref(), Some(&b"%PDF"[..]));
        assert_eq!(braille, None);
        let v = version_of(&path);
        assert_eq!(v, "4");
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let mut s = SqliteStore::in_memory().expect("store");
        let r = s.transaction(&mut |tx| {
            tx.set_setting("cutoff", "16:00")?;
            Err(StoreError::RolledBack)
        });
        assert!(matches!(r, Err(StoreError::RolledBack)));
        let mut seen = None;
        s.transaction(&mut |tx| {
            seen = tx.setting("cutoff")?;
            Ok(())
        })
        .expect("read");
        assert_eq!(seen, None);
    }
}
