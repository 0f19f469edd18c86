//! The outbox in a PostgreSQL database, for several machines sharing one
//! outbox (issue 12): the same [`Store`]/[`Tx`] traits, the same tables and
//! the same portable SQL as the SQLite file (text ids, ISO-8601 UTC times
//! as text, `$n` for SQLite's `?n`), `BYTEA` for blobs and `BIGINT` for
//! integers.
//!
//! Writers are serialised as SQLite's `BEGIN IMMEDIATE` serialises them:
//! every transaction first takes one transaction-scoped advisory lock, so
//! two processes closing the same day run one after the other and the
//! second finds the day closed (nothing is transmitted twice). The lock
//! dies with the transaction, and with the connection if a process dies.

use postgres::{Client, NoTls, Row};

use super::calendar::{Date, Timestamp};
use super::model::{
    BrailleFiles, Closing, HistoryRow, LetterRecord, State, Suppression, SuppressionEvent,
    reference_key,
};
use super::store::{
    Filter, Idempotent, LETTER_COLUMNS, MIGRATIONS, RawLetter, SCHEMA_VERSION, Store, StoreError,
    Tx, braille_columns, letter_from_raw, parse, parse_opt, suppression_from_raw, ts,
};

/// The advisory lock every transaction takes (an arbitrary constant: "LK").
const LOCK: i64 = 0x4c4b_0001;

/// The outbox in a PostgreSQL database.
pub struct PgStore {
    client: Client,
    url: String,
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // The database's own words (`e.to_string()` is only "db error").
        let detail = e
            .as_db_error()
            .map(|d| d.message().to_owned())
            .unwrap_or_else(|| e.to_string());
        StoreError::Backend(detail)
    }
}

/// SQLite's DDL as PostgreSQL's: blobs as `BYTEA`, integers as `BIGINT`,
/// history sequence numbers from an identity column.
fn pg_ddl(sql: &str) -> String {
    sql.replace(
        "seq INTEGER PRIMARY KEY",
        "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    )
    .replace(" BLOB", " BYTEA")
    .replace(" INTEGER", " BIGINT")
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db` or with
    /// `?host=/run/postgresql` for a socket) and makes or migrates the
    /// schema.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the database cannot be reached or is not an
    /// outbox, [`StoreError::Newer`] when a newer letterkit made it.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        // Never repeat the URL: it may hold a password.
        let place = std::path::PathBuf::from("(PostgreSQL)");
        let open_err = |e: postgres::Error| StoreError::Open {
            path: place.clone(),
            message: StoreError::from(e).to_string(),
        };
        let client = Client::connect(url, NoTls).map_err(open_err)?;
        let mut store = PgStore {
            client,
            url: url.to_owned(),
        };
        store.migrate().map_err(|e| match e {
            StoreError::Backend(m) => StoreError::Open {
                path: place.clone(),
                message: m,
            },
            StoreError::Newer { found, .. } => StoreError::Newer {
                path: place.clone(),
                found,
            },
            other => other,
        })?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        )?;
        let found: Option<String> = tx
            .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])?
            .map(|r| r.get(0));
        let found: u32 = match found {
            None => 0,
            Some(v) => v.parse().map_err(|_| {
                StoreError::Backend(format!("its schema version `{v}` is not a number"))
            })?,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: std::path::PathBuf::new(),
                found,
            });
        }
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.batch_execute(&pg_ddl(sql))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&(n + 1).to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Store for PgStore {
    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // A connection the server closed (a restart, a failover, a killed
        // backend) is made again; the schema was checked when the store was
        // opened. A connection found dead while the transaction begins is
        // made again once and the transaction begun on the new one: nothing
        // had run yet, so nothing can happen twice. One that dies later
        // fails this call (the caller may retry it) and is made again by
        // the next.
        if self.client.is_closed() {
            self.client = Client::connect(&self.url, NoTls)?;
        }
        if begin(&mut self.client).is_err() {
            // An empty query fails only when the connection cannot be
            // used: a new one is made, and an error there is the caller's.
            self.client = Client::connect(&self.url, NoTls)?;
            begin(&mut self.client)?;
        }
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
        let mut t = PgTx { tx };
        f(&mut t)?;
        t.tx.commit()?;
        Ok(())
    }
}

/// Checks that `client` can talk to the server (an empty query), so a
/// dead connection is found before a transaction begins on it.
fn begin(client: &mut Client) -> Result<(), postgres::Error> {
    client.simple_query("").map(|_| ())
}

struct PgTx<'c> {
    tx: postgres::Transaction<'c>,
}

fn int(v: u32) -> i64 {
    i64::from(v)
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn raw_letter(r: &Row) -> RawLetter {
    RawLetter {
        id: r.get(0),
        code: r.get(1),
        reference: r.get(2),
        catalog_digest: r.get(3),
        version: r.get(4),
        request_sha256: r.get(5),
        pages: u32_of(r.get(6)),
        sheets: u32_of(r.get(7)),
        postage: r.get(8),
        pdf_sha256: r.get(9),
        pdf_bytes: r.get(10),
        created_at: r.get(11),
        transmission: r.get(12),
        cancellable_until: r.get(13),
        state: r.get(14),
        state_at: r.get(15),
        batch: r.get(16),
        reissue_of: r.get(17),
        zip_name: r.get(18),
        zip_position: r.get::<_, Option<i64>>(19).map(u32_of),
        purged_at: r.get(20),
        braille_format: r.get(21),
        braille_pages: r.get(22),
        brf_sha256: r.get(23),
        brf_bytes: r.get(24),
        pef_sha256: r.get(25),
        pef_bytes: r.get(26),
    }
}

fn suppression_row(r: &Row) -> [Option<String>; 6] {
    [
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        Some(r.get::<_, i64>(5).to_string()),
    ]
}

impl Tx for PgTx<'_> {
    fn insert_letter(
        &mut self,
        l: &LetterRecord,
        request: &str,
        pdf: &[u8],
    ) -> Result<(), StoreError> {
        let b = braille_columns(l);
        self.tx.execute(
            "INSERT INTO letters (id, code, reference, reference_key, catalog_digest, version,
                request_sha256, request, pdf, pages, sheets, postage, pdf_sha256, pdf_bytes,
                created_at, transmission, cancellable_until, state, state_at, batch, reissue_of,
                braille_format, braille_pages, brf_sha256, brf_bytes, pef_sha256, pef_bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
            &[
                &l.id,
                &l.code,
                &l.reference,
                &l.reference.as_deref().map(reference_key),
                &l.catalog_digest,
                &l.version,
                &l.request_sha256,
                &request,
                &pdf,
                &int(l.pages),
                &int(l.sheets),
                &l.postage.as_str(),
                &l.pdf_sha256,
                &i64::try_from(l.pdf_bytes).unwrap_or(i64::MAX),
                &ts(l.created_at),
                &l.transmission.to_string(),
                &ts(l.cancellable_until),
                &l.state.as_str(),
                &ts(l.state_at),
                &l.batch,
                &l.reissue_of,
                &b.0,
                &b.1,
                &b.2,
                &b.3,
                &b.4,
                &b.5,
            ],
        )?;
        Ok(())
    }

    fn letter(&mut self, id: &str) -> Result<Option<LetterRecord>, StoreError> {
        let row = self.tx.query_opt(
            &format!("SELECT {LETTER_COLUMNS} FROM letters WHERE id = $1"),
            &[&id],
        )?;
        row.map(|r| letter_from_raw(raw_letter(&r))).transpose()
    }

    fn letters(&mut self, f: &Filter) -> Result<Vec<LetterRecord>, StoreError> {
        let mut sql = format!("SELECT {LETTER_COLUMNS} FROM letters WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        let mut add = |cond: &str, v: String, sql: &mut String| {
            args.push(v);
            sql.push_str(&format!(" AND {cond} ${}", args.len()));
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
        // Byte order, as SQLite sorts text, whatever the database's locale.
        sql.push_str(" ORDER BY transmission COLLATE \"C\", id COLLATE \"C\"");
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| a as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.tx.query(&sql, &params)?;
        rows.iter()
            .map(|r| letter_from_raw(raw_letter(r)))
            .collect()
    }

    fn move_state(
        &mut self,
        id: &str,
        from: State,
        to: State,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = self.tx.execute(
            "UPDATE letters SET state = $1, state_at = $2 WHERE id = $3 AND state = $4",
            &[&to.as_str(), &ts(at), &id, &from.as_str()],
        )?;
        Ok(n == 1)
    }

    fn set_zip(&mut self, id: &str, zip: &str, position: u32) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE letters SET zip_name = $1, zip_position = $2 WHERE id = $3",
            &[&zip, &int(position), &id],
        )?;
        Ok(())
    }

    fn add_history(&mut self, h: &HistoryRow) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO history (letter, at, by_officer, from_state, to_state, reason)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &h.letter,
                &ts(h.at),
                &h.by,
                &h.from.map(State::as_str),
                &h.to.as_str(),
                &h.reason,
            ],
        )?;
        Ok(())
    }

    fn history(&mut self, id: &str) -> Result<Vec<HistoryRow>, StoreError> {
        let rows = self.tx.query(
            "SELECT letter, at, by_officer, from_state, to_state, reason FROM history
             WHERE letter = $1 ORDER BY seq",
            &[&id],
        )?;
        rows.iter()
            .map(|r| {
                Ok(HistoryRow {
                    letter: r.get(0),
                    at: parse("time", r.get::<_, &str>(1))?,
                    by: r.get(2),
                    from: parse_opt("state", r.get(3))?,
                    to: parse("state", r.get::<_, &str>(4))?,
                    reason: r.get(5),
                })
            })
            .collect()
    }

    fn pdf(&mut self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tx
            .query_opt("SELECT pdf FROM letters WHERE id = $1", &[&id])?
            .and_then(|r| r.get::<_, Option<Vec<u8>>>(0)))
    }

    fn request(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_opt("SELECT request FROM letters WHERE id = $1", &[&id])?
            .and_then(|r| r.get::<_, Option<String>>(0)))
    }

    fn put_braille(&mut self, id: &str, files: &BrailleFiles) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE letters SET brf = $1, pef = $2 WHERE id = $3",
            &[&files.brf, &files.pef, &id],
        )?;
        Ok(())
    }

    fn braille(&mut self, id: &str) -> Result<Option<BrailleFiles>, StoreError> {
        Ok(self
            .tx
            .query_opt("SELECT brf, pef FROM letters WHERE id = $1", &[&id])?
            .and_then(|r| {
                Some(BrailleFiles {
                    brf: r.get::<_, Option<Vec<u8>>>(0)?,
                    pef: r.get::<_, Option<Vec<u8>>>(1)?,
                })
            }))
    }

    fn purge(&mut self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE letters SET pdf = NULL, brf = NULL, pef = NULL, request = NULL,
                reference = NULL, reference_key = NULL, purged_at = $1 WHERE id = $2",
            &[&ts(at), &id],
        )?;
        Ok(())
    }

    fn suppression(&mut self, key: &str) -> Result<Option<Suppression>, StoreError> {
        let row = self.tx.query_opt(
            "SELECT reference, reason, since, until, by_officer, active FROM suppressions
             WHERE reference_key = $1",
            &[&key],
        )?;
        row.map(|r| suppression_from_raw(suppression_row(&r)))
            .transpose()
    }

    fn put_suppression(&mut self, key: &str, s: &Suppression) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO suppressions (reference_key, reference, reason, since, until, by_officer, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (reference_key) DO UPDATE SET reference = excluded.reference,
                reason = excluded.reason, since = excluded.since, until = excluded.until,
                by_officer = excluded.by_officer, active = excluded.active",
            &[
                &key,
                &s.reference,
                &s.reason.as_str(),
                &ts(s.since),
                &s.until.map(|d| d.to_string()),
                &s.by,
                &i64::from(s.active),
            ],
        )?;
        Ok(())
    }

    fn suppressions(&mut self) -> Result<Vec<Suppression>, StoreError> {
        let rows = self.tx.query(
            "SELECT reference, reason, since, until, by_officer, active FROM suppressions
             ORDER BY reference_key COLLATE \"C\"",
            &[],
        )?;
        rows.iter()
            .map(|r| suppression_from_raw(suppression_row(r)))
            .collect()
    }

    fn add_suppression_event(&mut self, key: &str, e: &SuppressionEvent) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO suppression_history (reference_key, at, by_officer, action, reason, until)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &key,
                &ts(e.at),
                &e.by,
                &e.action,
                &e.reason,
                &e.until.map(|d| d.to_string()),
            ],
        )?;
        Ok(())
    }

    fn suppression_history(&mut self, key: &str) -> Result<Vec<SuppressionEvent>, StoreError> {
        let rows = self.tx.query(
            "SELECT at, by_officer, action, reason, until FROM suppression_history
             WHERE reference_key = $1 ORDER BY seq",
            &[&key],
        )?;
        rows.iter()
            .map(|r| {
                Ok(SuppressionEvent {
                    at: parse("time", r.get::<_, &str>(0))?,
                    by: r.get(1),
                    action: r.get(2),
                    reason: r.get(3),
                    until: parse_opt("date", r.get(4))?,
                })
            })
            .collect()
    }

    fn closing(&mut self, day: Date) -> Result<Option<Closing>, StoreError> {
        let row = self.tx.query_opt(
            "SELECT closed_at, by_officer, letters FROM closings WHERE day = $1",
            &[&day.to_string()],
        )?;
        row.map(|r| {
            Ok(Closing {
                day,
                closed_at: parse("time", r.get::<_, &str>(0))?,
                by: r.get(1),
                letters: u64::try_from(r.get::<_, i64>(2)).unwrap_or(0),
            })
        })
        .transpose()
    }

    fn add_closing(&mut self, c: &Closing) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO closings (day, closed_at, by_officer, letters) VALUES ($1, $2, $3, $4)",
            &[
                &c.day.to_string(),
                &ts(c.closed_at),
                &c.by,
                &i64::try_from(c.letters).unwrap_or(i64::MAX),
            ],
        )?;
        Ok(())
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn client_format(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_opt(
                "SELECT format FROM client_formats WHERE reference_key = $1",
                &[&key],
            )?
            .map(|r| r.get(0)))
    }

    fn set_client_format(
        &mut self,
        key: &str,
        format: &str,
        at: Timestamp,
        by: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO client_formats (reference_key, format, since, by_officer)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (reference_key) DO UPDATE SET format = excluded.format,
                since = excluded.since, by_officer = excluded.by_officer",
            &[&key, &format, &ts(at), &by],
        )?;
        self.tx.execute(
            "INSERT INTO client_format_history (reference_key, at, by_officer, format, reason)
             VALUES ($1, $2, $3, $4, $5)",
            &[&key, &ts(at), &by, &format, &reason],
        )?;
        Ok(())
    }

    fn client_format_history(
        &mut self,
        key: &str,
    ) -> Result<Vec<(Timestamp, String, String, String)>, StoreError> {
        let rows = self.tx.query(
            "SELECT at, by_officer, format, reason FROM client_format_history
             WHERE reference_key = $1 ORDER BY seq",
            &[&key],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse("time", r.get::<_, &str>(0))?,
                    r.get(1),
                    r.get(2),
                    r.get(3),
                ))
            })
            .collect()
    }

    fn idempotent(&mut self, key: &str) -> Result<Option<Idempotent>, StoreError> {
        let row = self.tx.query_opt(
            "SELECT fingerprint, status, content_type, body, created_at FROM idempotency
             WHERE key = $1",
            &[&key],
        )?;
        row.map(|r| {
            Ok(Idempotent {
                key: key.to_owned(),
                fingerprint: r.get(0),
                status: u16::try_from(r.get::<_, i64>(1)).unwrap_or(500),
                content_type: r.get(2),
                body: r.get(3),
                created_at: parse("time", r.get::<_, &str>(4))?,
            })
        })
        .transpose()
    }

    fn put_idempotent(&mut self, r: &Idempotent) -> Result<bool, StoreError> {
        let n = self.tx.execute(
            "INSERT INTO idempotency (key, fingerprint, status, content_type, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
            &[
                &r.key,
                &r.fingerprint,
                &i64::from(r.status),
                &r.content_type,
                &r.body,
                &ts(r.created_at),
            ],
        )?;
        Ok(n == 1)
    }
}
