//! The outbox store, once per store (issue 12): the SQLite file and
//! PostgreSQL run the same tests: every `Tx` method read back, a failed
//! transaction leaving nothing, and concurrency (two connections, and two
//! processes, closing the same day never transmit a letter twice).
//!
//! PostgreSQL needs `LETTERKIT_TEST_PG` (a URL to a server where the user
//! may create databases; `scripts/start-test-postgres.sh` starts one, and
//! `.ci/run` always sets it). Without it the PostgreSQL tests say so and
//! pass; with `CI` set they fail instead.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use letterkit::Engine;
use letterkit::outbox::calendar::{Date, Timestamp};
use letterkit::outbox::store::{Filter, Idempotent, PgStore, SqliteStore, Store, StoreError, Tx};
use letterkit::outbox::{
    Actor, BrailleFiles, BrailleInfo, Closing, HistoryRow, LetterRecord, Outbox, Postage, State,
    SuppressReason, Suppression, SuppressionEvent,
};

use crate::common::{letterkit, root};

/// Where a store lives: a SQLite file or a PostgreSQL database.
#[derive(Clone, Debug)]
enum Place {
    Sqlite(std::path::PathBuf),
    Pg(String),
}

impl Place {
    fn open(&self) -> Box<dyn Store> {
        match self {
            Place::Sqlite(p) => Box::new(SqliteStore::open(p).expect("sqlite opens")),
            Place::Pg(u) => Box::new(PgStore::connect(u).expect("postgres connects")),
        }
    }

    fn location(&self) -> String {
        match self {
            Place::Sqlite(p) => p.display().to_string(),
            Place::Pg(u) => u.clone(),
        }
    }
}

/// A fresh SQLite file (kept alive by the returned folder).
fn sqlite() -> (tempfile::TempDir, Place) {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("o.sqlite");
    (dir, Place::Sqlite(p))
}

/// A fresh PostgreSQL database, or `None` (with a message) without
/// `LETTERKIT_TEST_PG`.
fn pg(test: &str) -> Option<Place> {
    let Ok(url) = std::env::var("LETTERKIT_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set LETTERKIT_TEST_PG (.ci/run starts PostgreSQL)"
        );
        eprintln!(
            "skipping the PostgreSQL half of {test}: set LETTERKIT_TEST_PG (bash scripts/start-test-postgres.sh starts a server)"
        );
        return None;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "lk_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin =
        postgres::Client::connect(&url, postgres::NoTls).expect("LETTERKIT_TEST_PG connects");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    // Same server, the new database (the URL ends in `/DATABASE`).
    let base = url
        .rfind('/')
        .filter(|i| *i > "postgres://".len())
        .map_or(url.as_str(), |i| &url[..i]);
    Some(Place::Pg(format!("{base}/{name}")))
}

fn ts(s: &str) -> Timestamp {
    Timestamp::from_str(s).expect("timestamp")
}

fn record(id: &str, reference: &str, day: &str, created: &str) -> LetterRecord {
    LetterRecord {
        id: id.into(),
        code: "CMSL5502".into(),
        reference: Some(reference.into()),
        catalog_digest: "c".repeat(64),
        version: "0.1.0".into(),
        request_sha256: format!("{id}-req"),
        pages: 2,
        sheets: 1,
        postage: Postage::Second,
        pdf_sha256: "a".repeat(64),
        pdf_bytes: 3,
        created_at: ts(created),
        transmission: Date::from_str(day).expect("date"),
        cancellable_until: ts(&format!("{day}T17:30:00Z")),
        state: State::Queued,
        state_at: ts(created),
        batch: Some("b1".into()),
        reissue_of: None,
        zip: None,
        purged_at: None,
        braille: None,
    }
}

/// Runs `f` in one committed transaction of `store`.
fn tx<T>(store: &mut dyn Store, f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>) -> T {
    let mut f = Some(f);
    let mut out = None;
    store
        .transaction(&mut |t| {
            let f = f.take().expect("runs once");
            out = Some(f(t)?);
            Ok(())
        })
        .expect("transaction commits");
    out.expect("a value")
}

fn every_tx_method(place: &Place) {
    let mut s = place.open();
    let s = s.as_mut();
    let a = record("a1", "1234 5678 9012", "2026-03-02", "2026-03-02T09:00:00Z");
    let b = record("b2", "9999 8888 7777", "2026-03-03", "2026-03-02T18:00:00Z");
    tx(s, |t| {
        t.insert_letter(&a, "{\"a\":1}", b"%PDF-a")?;
        t.insert_letter(&b, "{\"b\":2}", b"%PDF-b")
    });
    // A second letter with the same id is refused by the store itself.
    let dup = s.transaction(&mut |t| t.insert_letter(&a, "{}", b""));
    assert!(dup.is_err(), "a duplicate id must be refused");

    let got = tx(s, |t| t.letter("a1")).expect("a1 is there");
    assert_eq!(got, a);
    assert!(tx(s, |t| t.letter("nope")).is_none());
    let ids = |f: Filter, s: &mut dyn Store| -> Vec<String> {
        tx(s, |t| t.letters(&f)).into_iter().map(|l| l.id).collect()
    };
    assert_eq!(ids(Filter::default(), s), ["a1", "b2"]);
    let day = Date::from_str("2026-03-03").expect("date");
    assert_eq!(
        ids(
            Filter {
                day: Some(day),
                ..Filter::default()
            },
            s
        ),
        ["b2"]
    );
    assert_eq!(
        ids(
            Filter {
                reference_key: Some(letterkit::outbox::model::reference_key("123456789012")),
                ..Filter::default()
            },
            s
        ),
        ["a1"]
    );
    assert_eq!(
        ids(
            Filter {
                batch: Some("b1".into()),
                state_before: Some(ts("2026-03-02T12:00:00Z")),
                ..Filter::default()
            },
            s
        ),
        ["a1"]
    );

    // Moves are conditional on the state.
    let at = ts("2026-03-02T17:31:00Z");
    assert!(tx(s, |t| t.move_state(
        "a1",
        State::Queued,
        State::Transmitted,
        at
    )));
    assert!(!tx(s, |t| t.move_state(
        "a1",
        State::Queued,
        State::Cancelled,
        at
    )));
    assert_eq!(
        ids(
            Filter {
                state: Some(State::Transmitted),
                ..Filter::default()
            },
            s
        ),
        ["a1"]
    );
    tx(s, |t| {
        t.set_zip("a1", "cms.2026-03-02.second.001.abcd.zip", 7)
    });
    let l = tx(s, |t| t.letter("a1")).expect("a1");
    assert_eq!(l.state, State::Transmitted);
    assert_eq!(l.state_at, at);
    assert_eq!(
        l.zip,
        Some(("cms.2026-03-02.second.001.abcd.zip".to_owned(), 7))
    );

    // History keeps its order.
    let h = |n: u32| HistoryRow {
        letter: "a1".into(),
        at: ts(&format!("2026-03-02T10:00:0{n}Z")),
        by: "AB1234".into(),
        from: (n > 0).then_some(State::Queued),
        to: if n == 0 {
            State::Queued
        } else {
            State::Transmitted
        },
        reason: format!("step {n}"),
    };
    tx(s, |t| {
        t.add_history(&h(0))?;
        t.add_history(&h(1))
    });
    assert_eq!(tx(s, |t| t.history("a1")), vec![h(0), h(1)]);
    assert!(tx(s, |t| t.history("b2")).is_empty());

    // PDF and request, then purge.
    assert_eq!(tx(s, |t| t.pdf("a1")).as_deref(), Some(&b"%PDF-a"[..]));
    assert_eq!(tx(s, |t| t.request("b2")).as_deref(), Some("{\"b\":2}"));
    let purged_at = ts("2026-06-01T00:00:00Z");
    tx(s, |t| t.purge("a1", purged_at));
    assert_eq!(tx(s, |t| t.pdf("a1")), None);
    assert_eq!(tx(s, |t| t.request("a1")), None);
    let l = tx(s, |t| t.letter("a1")).expect("a1 kept");
    assert_eq!((l.reference, l.purged_at), (None, Some(purged_at)));
    assert_eq!(
        ids(
            Filter {
                unpurged: true,
                ..Filter::default()
            },
            s
        ),
        ["b2"]
    );

    // Suppressions and their history.
    let sup = Suppression {
        reference: "9999 8888 7777".into(),
        reason: SuppressReason::from_str("safeguarding").expect("reason"),
        since: ts("2026-03-02T11:00:00Z"),
        until: Some(Date::from_str("2026-04-01").expect("date")),
        by: "AB1234".into(),
        active: true,
    };
    let key = letterkit::outbox::model::reference_key(&sup.reference);
    tx(s, |t| t.put_suppression(&key, &sup));
    assert_eq!(tx(s, |t| t.suppression(&key)), Some(sup.clone()));
    let ended = Suppression {
        active: false,
        ..sup.clone()
    };
    tx(s, |t| t.put_suppression(&key, &ended));
    assert_eq!(tx(s, |t| t.suppressions()), vec![ended]);
    let ev = |action: &str| SuppressionEvent {
        at: ts("2026-03-02T11:00:00Z"),
        by: "AB1234".into(),
        action: action.into(),
        reason: "safeguarding".into(),
        until: None,
    };
    tx(s, |t| {
        t.add_suppression_event(&key, &ev("suppress"))?;
        t.add_suppression_event(&key, &ev("unsuppress"))
    });
    assert_eq!(
        tx(s, |t| t.suppression_history(&key)),
        vec![ev("suppress"), ev("unsuppress")]
    );
    assert!(tx(s, |t| t.suppression("nobody")).is_none());

    // Closings and settings.
    let c = Closing {
        day: Date::from_str("2026-03-02").expect("date"),
        closed_at: ts("2026-03-02T17:31:00Z"),
        by: "AB1234".into(),
        letters: 1,
    };
    tx(s, |t| t.add_closing(&c));
    assert_eq!(tx(s, |t| t.closing(c.day)), Some(c.clone()));
    assert!(
        s.transaction(&mut |t| t.add_closing(&c)).is_err(),
        "a day closes once"
    );
    assert_eq!(tx(s, |t| t.setting("region")), None);
    tx(s, |t| t.set_setting("region", "scotland"));
    tx(s, |t| t.set_setting("region", "england-and-wales"));
    assert_eq!(
        tx(s, |t| t.setting("region")).as_deref(),
        Some("england-and-wales")
    );

    // Idempotency keys: the first answer stays.
    let first = Idempotent {
        key: "billing:k1".into(),
        fingerprint: "f1".into(),
        status: 201,
        content_type: "application/json".into(),
        body: b"{\"id\":\"a1\"}".to_vec(),
        created_at: ts("2026-03-02T09:00:00Z"),
    };
    assert!(tx(s, |t| t.put_idempotent(&first)));
    let second = Idempotent {
        fingerprint: "f2".into(),
        body: b"other".to_vec(),
        ..first.clone()
    };
    assert!(!tx(s, |t| t.put_idempotent(&second)));
    assert_eq!(tx(s, |t| t.idempotent("billing:k1")), Some(first));
    assert_eq!(tx(s, |t| t.idempotent("billing:k2")), None);

    // A client's recorded format, with its history.
    assert_eq!(tx(s, |t| t.client_format("123456789012")), None);
    let at = ts("2026-03-02T09:30:00Z");
    tx(s, |t| {
        t.set_client_format("123456789012", "large-print:20", at, "AB1", "asked")
    });
    let later = ts("2026-03-03T09:30:00Z");
    tx(s, |t| {
        t.set_client_format("123456789012", "braille:2:a4", later, "AB2", "blind")
    });
    assert_eq!(
        tx(s, |t| t.client_format("123456789012")).as_deref(),
        Some("braille:2:a4")
    );
    assert_eq!(
        tx(s, |t| t.client_format_history("123456789012")),
        vec![
            (
                at,
                "AB1".to_owned(),
                "large-print:20".to_owned(),
                "asked".to_owned()
            ),
            (
                later,
                "AB2".to_owned(),
                "braille:2:a4".to_owned(),
                "blind".to_owned()
            ),
        ]
    );
}

fn a_failed_transaction_leaves_nothing(place: &Place) {
    let mut s = place.open();
    let a = record("a1", "1234 5678 9012", "2026-03-02", "2026-03-02T09:00:00Z");
    let r = s.transaction(&mut |t| {
        t.insert_letter(&a, "{}", b"x")?;
        t.set_setting("prefix", "zz")?;
        Err(StoreError::RolledBack)
    });
    assert!(r.is_err());
    // A new connection sees nothing of it.
    let mut s = place.open();
    assert!(tx(s.as_mut(), |t| t.letter("a1")).is_none());
    assert!(tx(s.as_mut(), |t| t.setting("prefix")).is_none());
}

/// Queues `n` CMSL5502 letters for Monday 2 March 2026 (before the cut-off).
fn queue(place: &Place, n: usize) {
    let engine = Engine::builtin().expect("built-in catalog");
    let text = std::fs::read_to_string(
        root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml"),
    )
    .expect("fixture");
    let mut prepared = Vec::new();
    for i in 0..n {
        let req = engine
            .parse_request(
                &text.replacen("id: req-000123", &format!("id: letter-{i:03}"), 1),
                "request.yaml",
            )
            .expect("valid request");
        let translator = letterkit::braille::Liblouis::default();
        prepared.push(
            letterkit::outbox::prepare(&engine, &req, None, &translator, None, None)
                .expect("renders"),
        );
    }
    let mut o = Outbox::new(place.open());
    let actor = Actor::new("AB1234", ts("2026-03-02T10:00:00Z"));
    let q = o.queue(prepared, &actor, false).expect("queues");
    assert!(q.iter().all(|r| r.as_ref().is_ok_and(|q| !q.already)));
}

fn transmitted(place: &Place) -> Vec<String> {
    let mut o = Outbox::new(place.open());
    o.list(&Filter {
        state: Some(State::Transmitted),
        ..Filter::default()
    })
    .expect("lists")
    .into_iter()
    .map(|l| l.id)
    .collect()
}

fn two_connections_closing_the_same_day_transmit_each_letter_once(place: &Place) {
    queue(place, 12);
    let day = Date::from_str("2026-03-02").expect("date");
    let results: Vec<(bool, u64, usize)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..2)
            .map(|k| {
                let place = place.clone();
                sc.spawn(move || {
                    let mut o = Outbox::new(place.open());
                    let actor = Actor::new(format!("closer{k}"), ts("2026-03-02T17:45:00Z"));
                    let c = o.close(Some(day), &actor).expect("close");
                    let in_zips: usize = c.zips.iter().map(|z| z.letters.len()).sum();
                    (c.already, c.closing.letters, in_zips)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let firsts: Vec<_> = results.iter().filter(|r| !r.0).collect();
    assert_eq!(firsts.len(), 1, "exactly one close transmits: {results:?}");
    assert!(
        results.iter().all(|r| r.1 == 12 && r.2 == 12),
        "{results:?}"
    );
    assert_eq!(transmitted(place).len(), 12);
    let mut o = Outbox::new(place.open());
    for id in transmitted(place) {
        let (_, h) = o.show(&id).expect("show");
        let sent = h.iter().filter(|r| r.to == State::Transmitted).count();
        assert_eq!(sent, 1, "letter {id} transmitted {sent} times");
    }
}

fn two_processes_closing_the_same_day_transmit_each_letter_once(place: &Place) {
    queue(place, 8);
    let dir = tempfile::tempdir().expect("temp dir");
    let loc = place.location();
    let spawn = |k: u32| {
        let out = dir.path().join(format!("out{k}"));
        letterkit(dir.path())
            .args(["outbox", "close", "--day", "2026-03-02", "--out"])
            .arg(&out)
            .args([
                "--outbox",
                &loc,
                "--by",
                &format!("closer{k}"),
                "--now",
                "2026-03-02T17:45:00Z",
                "--json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("letterkit runs")
    };
    let children = [spawn(1), spawn(2)];
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("waits"))
        .collect();
    for o in &outs {
        assert!(
            o.status.success(),
            "close failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let sent = transmitted(place);
    assert_eq!(sent.len(), 8, "{sent:?}");
    let mut o = Outbox::new(place.open());
    for id in &sent {
        let (_, h) = o.show(id).expect("show");
        assert_eq!(
            h.iter().filter(|r| r.to == State::Transmitted).count(),
            1,
            "letter {id}"
        );
    }
    // Both wrote the same zips (the second finds the day closed).
    let names = |k: u32| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.path().join(format!("out{k}")))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    assert!(!names(1).is_empty());
    assert_eq!(names(1), names(2));
}

/// A braille letter's record and files, kept beside its PDF.
fn braille_letter() -> (LetterRecord, BrailleFiles) {
    let files = BrailleFiles {
        brf: b",braille page\r\n\x0c".to_vec(),
        pef: b"<pef version=\"2008-1\"/>".to_vec(),
    };
    let mut r = record(
        "br1",
        "1234 5678 9012",
        "2026-03-02",
        "2026-03-02T09:30:00Z",
    );
    r.braille = Some(BrailleInfo {
        format: "braille:1:book".into(),
        pages: 1,
        brf_sha256: crate::common::sha256_hex(&files.brf),
        brf_bytes: files.brf.len() as u64,
        pef_sha256: crate::common::sha256_hex(&files.pef),
        pef_bytes: files.pef.len() as u64,
    });
    (r, files)
}

fn braille_files_read_back_and_are_purged(place: &Place) {
    let mut s = place.open();
    let s = s.as_mut();
    let (r, files) = braille_letter();
    let print = record("p1", "1234 5678 9012", "2026-03-02", "2026-03-02T09:00:00Z");
    tx(s, |t| {
        t.insert_letter(&r, "{}", b"%PDF-carrier")?;
        t.put_braille("br1", &files)?;
        t.insert_letter(&print, "{}", b"%PDF-print")
    });
    let (got, kept, pdf, none) = tx(s, |t| {
        Ok((
            t.letter("br1")?,
            t.braille("br1")?,
            t.pdf("br1")?,
            t.braille("p1")?,
        ))
    });
    assert_eq!(
        got.as_ref(),
        Some(&r),
        "the record with its braille columns"
    );
    assert_eq!(kept.as_ref(), Some(&files), "the BRF and PEF bytes");
    assert_eq!(
        pdf.as_deref(),
        Some(&b"%PDF-carrier"[..]),
        "the carrier page"
    );
    assert_eq!(none, None, "a print letter has no braille files");
    let print_back = tx(s, |t| t.letter("p1")).expect("p1");
    assert_eq!(print_back.braille, None);
    tx(s, |t| t.purge("br1", ts("2026-03-20T09:00:00Z")));
    let (after, kept) = tx(s, |t| Ok((t.letter("br1")?, t.braille("br1")?)));
    assert_eq!(kept, None, "purge deletes the BRF and PEF");
    let after = after.expect("record kept");
    assert_eq!(after.braille, r.braille, "their hashes and sizes stay");
    assert_eq!(after.reference, None);
}

/// An outbox of schema 3 (before braille): made by this build, then the
/// braille columns dropped and the version set back, as a v3 file is.
fn a_version_3_outbox_migrates_keeping_its_letters(place: &Place) {
    let a = record("a1", "1234 5678 9012", "2026-03-02", "2026-03-02T09:00:00Z");
    {
        let mut s = place.open();
        tx(s.as_mut(), |t| t.insert_letter(&a, "{\"a\":1}", b"%PDF-a"));
    }
    let drop = "ALTER TABLE letters DROP COLUMN braille_format;
        ALTER TABLE letters DROP COLUMN braille_pages;
        ALTER TABLE letters DROP COLUMN brf;
        ALTER TABLE letters DROP COLUMN brf_sha256;
        ALTER TABLE letters DROP COLUMN brf_bytes;
        ALTER TABLE letters DROP COLUMN pef;
        ALTER TABLE letters DROP COLUMN pef_sha256;
        ALTER TABLE letters DROP COLUMN pef_bytes;
        UPDATE meta SET value = '3' WHERE key = 'schema_version';";
    let version = || -> String {
        match place {
            Place::Sqlite(p) => rusqlite::Connection::open(p)
                .expect("open")
                .query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .expect("version"),
            Place::Pg(u) => postgres::Client::connect(u, postgres::NoTls)
                .expect("connects")
                .query_one("SELECT value FROM meta WHERE key = 'schema_version'", &[])
                .expect("version")
                .get(0),
        }
    };
    match place {
        Place::Sqlite(p) => rusqlite::Connection::open(p)
            .expect("open")
            .execute_batch(drop)
            .expect("back to 3"),
        Place::Pg(u) => postgres::Client::connect(u, postgres::NoTls)
            .expect("connects")
            .batch_execute(drop)
            .expect("back to 3"),
    }
    assert_eq!(version(), "3");
    let mut s = place.open();
    assert_eq!(version(), "4", "migrated on opening");
    let s = s.as_mut();
    let (got, pdf, request) = tx(s, |t| Ok((t.letter("a1")?, t.pdf("a1")?, t.request("a1")?)));
    assert_eq!(got.as_ref(), Some(&a), "the v3 letter is kept");
    assert_eq!(pdf.as_deref(), Some(&b"%PDF-a"[..]));
    assert_eq!(request.as_deref(), Some("{\"a\":1}"));
    let (r, files) = braille_letter();
    tx(s, |t| {
        t.insert_letter(&r, "{}", b"%PDF-carrier")?;
        t.put_braille("br1", &files)
    });
    assert_eq!(tx(s, |t| t.braille("br1")), Some(files));
}

/// Every store test, for SQLite and then PostgreSQL.
fn both(test: &str, f: fn(&Place)) {
    let (_dir, place) = sqlite();
    f(&place);
    if let Some(place) = pg(test) {
        f(&place);
    }
}

#[test]
fn every_tx_method_reads_back_what_it_wrote_in_both_stores() {
    both("every_tx_method", every_tx_method);
}

#[test]
fn braille_files_read_back_and_are_purged_in_both_stores() {
    both("braille_files", braille_files_read_back_and_are_purged);
}

#[test]
fn a_version_3_outbox_migrates_keeping_its_letters_in_both_stores() {
    both(
        "a_version_3_outbox",
        a_version_3_outbox_migrates_keeping_its_letters,
    );
}

#[test]
fn a_failed_transaction_leaves_nothing_in_both_stores() {
    both("a_failed_transaction", a_failed_transaction_leaves_nothing);
}

#[test]
fn two_connections_closing_one_day_transmit_each_letter_once_in_both_stores() {
    both(
        "two_connections_closing",
        two_connections_closing_the_same_day_transmit_each_letter_once,
    );
}

#[test]
fn two_processes_closing_one_day_transmit_each_letter_once_in_both_stores() {
    both(
        "two_processes_closing",
        two_processes_closing_the_same_day_transmit_each_letter_once,
    );
}

#[test]
fn a_postgres_outbox_from_a_newer_letterkit_is_refused() {
    let Some(Place::Pg(url)) = pg("a_postgres_outbox_from_a_newer_letterkit") else {
        return;
    };
    drop(PgStore::connect(&url).expect("made"));
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    c.batch_execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
        .expect("update");
    let e = PgStore::connect(&url).err().expect("refused");
    assert_eq!(
        e.to_string(),
        "the outbox (PostgreSQL) has schema version 9, newer than this letterkit understands (version 4); use the letterkit that made it, or a newer one"
    );
}

#[test]
fn a_postgres_store_connects_again_after_the_server_drops_it() {
    let Some(Place::Pg(url)) = pg("a_postgres_store_connects_again") else {
        return;
    };
    let mut s = PgStore::connect(&url).expect("connects");
    tx(&mut s, |t| t.set_setting("prefix", "cms"));
    let db = url.rsplit('/').next().expect("database").to_owned();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("admin");
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db],
        )
        .expect("terminate");
    assert_eq!(killed.len(), 1, "the store's connection was dropped");
    // pg_terminate_backend only signals: wait until the backend is gone, so
    // the store's next call meets a dead connection (not a dying one).
    for _ in 0..200 {
        let left = admin
            .query(
                "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&db],
            )
            .expect("activity");
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The next transaction finds the connection dead as it begins, connects
    // again and sees the data: the caller never sees the drop.
    let mut seen = None;
    s.transaction(&mut |t| {
        seen = t.setting("prefix")?;
        Ok(())
    })
    .expect("connected again");
    assert_eq!(seen.as_deref(), Some("cms"));
    // And it keeps working.
    tx(&mut s, |t| t.set_setting("prefix", "lk"));
    let mut again = None;
    s.transaction(&mut |t| {
        again = t.setting("prefix")?;
        Ok(())
    })
    .expect("still connected");
    assert_eq!(again.as_deref(), Some("lk"));
}
