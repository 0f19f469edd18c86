//! The outbox (issue 10): queueing, the cut-off across the clock changes,
//! cancel and its exact refusals, suppression, supersede and same-day review,
//! the end-of-day close (zips checked by `unzip -t` and Python's zipfile,
//! idempotent, kill-safe), reissue as an exact copy, provider imports, purge,
//! a second process cancelling while a batch queues, and the schema guard.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{letterkit, pdf_text, root, sha256_hex, squash};

/// A scratch folder with an outbox in it.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn store(&self) -> PathBuf {
        self.path().join("o.sqlite")
    }

    /// `letterkit batch ARGS --outbox=STORE --by AB1234 --now
    /// 2026-03-02T10:00:00Z`.
    fn batch_into(&self, store: &Path, args: &[&str]) -> Output {
        letterkit(self.path())
            .arg("batch")
            .args(args)
            .arg(format!("--outbox={}", store.display()))
            .args(["--by", "AB1234", "--now", "2026-03-02T10:00:00Z"])
            .output()
            .expect("batch runs")
    }

    /// `letterkit outbox ARGS --outbox o.sqlite --by AB1234 --now NOW`.
    fn ob(&self, now: &str, args: &[&str]) -> Output {
        self.ob_env(now, args, &[])
    }

    fn ob_env(&self, now: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = letterkit(self.path());
        c.arg("outbox").args(args).args([
            "--outbox",
            self.store().to_str().expect("utf-8 path"),
            "--by",
            "AB1234",
            "--now",
            now,
        ]);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("letterkit runs")
    }

    /// A request file: the CMSL5502 fixture with `changes` applied (id,
    /// reference, letter, meeting date ...).
    fn request(&self, name: &str, id: Option<&str>, reference: &str, meeting: &str) -> PathBuf {
        let mut text = format!(
            "letter: CMSL5502\ndate: 2026-03-02\nreference: \"{reference}\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"Flat 3\", \"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  changed-by: client\n  meeting-date: {meeting}\n  meeting-time: \"10:30\"\n  meeting-location: Jobcentre Plus, Crown House, Leeds LS2 7UZ\n  reason: payments\n"
        );
        if let Some(id) = id {
            text = format!("id: {id}\n{text}");
        }
        self.write(name, &text)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn add(&self, now: &str, files: &[&Path], extra: &[&str]) -> Value {
        let mut args = vec!["add"];
        args.extend(files.iter().map(|p| p.to_str().expect("utf-8")));
        args.extend(extra);
        args.push("--json");
        let out = self.ob(now, &args);
        json(&out)
    }

    fn list(&self) -> Vec<Value> {
        let out = self.ob("2026-03-02T12:00:00Z", &["list", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out)["letters"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn states(&self) -> BTreeMap<String, String> {
        self.list()
            .iter()
            .map(|l| {
                (
                    l["id"].as_str().unwrap_or("").to_owned(),
                    l["state"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn cancel_before_the_cut_off_and_every_refusal_after_it_has_its_exact_message() {
    let env = Env::new();
    let a = env.request("a.yaml", Some("letter-a"), "1234 5678 9012", "2026-03-16");
    let b = env.request("b.yaml", Some("letter-b"), "1234 5678 9013", "2026-03-16");
    let c = env.request("c.yaml", Some("letter-c"), "1234 5678 9014", "2026-03-16");
    let added = env.add("2026-03-02T16:00:00Z", &[&a, &b, &c], &[]);
    let first = &added["letters"][0];
    assert_eq!(first["id"], "letter-a");
    assert_eq!(first["transmission"], "2026-03-02");
    assert_eq!(first["cancellable_until"], "2026-03-02T17:30:00Z");

    // All or nothing: a good id with an unknown one cancels neither.
    let out = env.ob(
        "2026-03-02T17:00:00Z",
        &["cancel", "letter-a", "no-such", "--reason", "client phoned"],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        "error: no letter `no-such` in the outbox\nnothing was cancelled\n"
    );
    assert_eq!(env.states()["letter-a"], "queued");

    // The last second before the cut-off is in time.
    let out = env.ob(
        "2026-03-02T17:29:59Z",
        &["cancel", "letter-a", "--reason", "client phoned"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "cancelled letter-a (CMSL5502)\n");
    let out = env.ob(
        "2026-03-02T17:29:59Z",
        &["cancel", "letter-a", "--reason", "again"],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        "error: letter letter-a is already cancelled (at 17:29 on Monday 2 March 2026 by AB1234)\nnothing was cancelled\n"
    );
    // At the cut-off it is too late, transmitted or not.
    let out = env.ob(
        "2026-03-02T17:30:00Z",
        &["cancel", "letter-b", "--reason", "client phoned"],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        "error: too late to cancel letter letter-b: the cut-off for its transmission was 17:30 on Monday 2 March 2026\nnothing was cancelled\n"
    );
    let out = env.ob("2026-03-02T17:35:00Z", &["close", "--out", "tx"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env.ob(
        "2026-03-02T17:40:00Z",
        &["cancel", "letter-c", "--reason", "client phoned"],
    );
    assert_eq!(
        stderr(&out),
        "error: too late to cancel letter letter-c: it was transmitted at 17:35 on Monday 2 March 2026\nnothing was cancelled\n"
    );
    let states = env.states();
    assert_eq!(states["letter-a"], "cancelled");
    assert_eq!(states["letter-b"], "transmitted");
    // Queueing the cancelled letter's request again adds nothing.
    let again = env.ob("2026-03-02T17:41:00Z", &["add", a.to_str().expect("utf-8")]);
    assert_eq!(
        stdout(&again),
        "already in the outbox, nothing added: letter-a (CMSL5502) is cancelled (transmission of Monday 2 March 2026)\n"
    );
    assert_eq!(env.states()["letter-a"], "cancelled");

    // The history keeps who and why; `list` never shows the reason.
    let show = json(&env.ob("2026-03-02T18:00:00Z", &["show", "letter-a", "--json"]));
    let h: Vec<(String, String, String)> = show["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|r| {
            (
                r["to"].as_str().unwrap_or("").to_owned(),
                r["by"].as_str().unwrap_or("").to_owned(),
                r["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        h,
        vec![
            ("queued".into(), "AB1234".into(), "queued".into()),
            ("cancelled".into(), "AB1234".into(), "client phoned".into()),
        ]
    );
    let list = stdout(&env.ob("2026-03-02T18:00:00Z", &["list"]));
    assert!(
        !list.contains("client phoned") && !list.contains("1234"),
        "{list}"
    );
}

#[test]
fn letters_after_the_cut_off_or_on_days_off_join_the_next_transmission_across_both_clock_changes() {
    let env = Env::new();
    // (created, transmission day, cancellable until as an instant)
    let cases = [
        // Friday 27 March 2026, GMT: 17:29 London is before the cut-off.
        ("2026-03-27T17:29:00Z", "2026-03-27", "2026-03-27T17:30:00Z"),
        // Friday 17:30: Monday 30 March, after the change to BST (16:30 UTC).
        ("2026-03-27T17:30:00Z", "2026-03-30", "2026-03-30T16:30:00Z"),
        // Sunday 29 March (the change itself): Monday.
        ("2026-03-29T01:30:00Z", "2026-03-30", "2026-03-30T16:30:00Z"),
        // Friday 23 October 2026, BST: 17:29:59 London.
        ("2026-10-23T16:29:59Z", "2026-10-23", "2026-10-23T16:30:00Z"),
        // 17:30 London: Monday 26 October, back on GMT.
        ("2026-10-23T16:30:00Z", "2026-10-26", "2026-10-26T17:30:00Z"),
        // Thursday before Easter after the cut-off: Good Friday and Easter
        // Monday are bank holidays in England and Wales.
        ("2026-04-02T17:00:00Z", "2026-04-07", "2026-04-07T16:30:00Z"),
    ];
    for (k, (now, day, until)) in cases.iter().enumerate() {
        let f = env.request(
            &format!("r{k}.yaml"),
            Some(&format!("case-{k}")),
            &format!("1000 0000 000{k}"),
            "2026-11-16",
        );
        let added = env.add(now, &[&f], &[]);
        let l = &added["letters"][0];
        assert_eq!(
            (l["transmission"].as_str(), l["cancellable_until"].as_str()),
            (Some(*day), Some(*until)),
            "created {now}"
        );
    }
    // Scotland keeps Easter Monday as a working day.
    let out = env.ob("2026-01-01T12:00:00Z", &["config", "--region", "scotland"]);
    assert_eq!(
        stdout(&out),
        "cut-off 17:30 Europe/London; bank holidays of Scotland\n"
    );
    let f = env.request("s.yaml", Some("case-scot"), "1000 0000 0099", "2026-11-16");
    let l = env.add("2026-04-02T17:00:00Z", &[&f], &[]);
    assert_eq!(l["letters"][0]["transmission"], "2026-04-06");
}

#[test]
fn every_illegal_move_is_refused_naming_the_state_and_what_may_follow() {
    let env = Env::new();
    let a = env.request("a.yaml", Some("m-1"), "2000 0000 0001", "2026-03-16");
    let b = env.request("b.yaml", Some("m-2"), "2000 0000 0002", "2026-03-16");
    env.add("2026-03-02T10:00:00Z", &[&a, &b], &[]);
    env.ob(
        "2026-03-02T10:05:00Z",
        &["cancel", "m-2", "--reason", "wrong letter"],
    );
    let file = env.write(
        "despatched.csv",
        "id,date\nm-1,2026-03-03\nm-2,2026-03-03\nm-9,2026-03-03\n",
    );
    let out = env.ob(
        "2026-03-04T09:00:00Z",
        &["import", "despatched", file.to_str().expect("utf-8")],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        format!(
            "error: {f}:2: letter m-1 is queued; it may become transmitted, cancelled, suppressed or superseded\n\
             error: {f}:3: letter m-2 is cancelled; nothing more can happen to it\n\
             error: {f}:4: no letter `m-9` in the outbox\n",
            f = file.display()
        )
    );
    assert_eq!(
        stdout(&out),
        "0 letters now despatched; 0 already despatched; 3 lines not applied\n"
    );
    // After the close the same file applies once; again, it changes nothing.
    env.ob("2026-03-02T17:30:00Z", &["close", "--out", "tx"]);
    let file = env.write("d.jsonl", "{\"id\":\"m-1\",\"date\":\"2026-03-03\"}\n");
    let args = ["import", "despatched", file.to_str().expect("utf-8")];
    let out = env.ob("2026-03-04T09:00:00Z", &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "1 letter now despatched; 0 already despatched; 0 lines not applied\n"
    );
    let out = env.ob("2026-03-04T09:01:00Z", &args);
    assert_eq!(
        stdout(&out),
        "0 letters now despatched; 1 already despatched; 0 lines not applied\n"
    );
    let file = env.write("r.csv", "id,date,reason\nm-1,2026-03-05,\n");
    env.ob(
        "2026-03-06T09:00:00Z",
        &["import", "returned", file.to_str().expect("utf-8")],
    );
    let file = env.write("x.csv", "id,date\nm-1,2026-03-07\n");
    let out = env.ob(
        "2026-03-08T09:00:00Z",
        &["import", "rejected", file.to_str().expect("utf-8")],
    );
    assert!(
        stderr(&out).ends_with(":2: letter m-1 is returned; nothing more can happen to it\n"),
        "{}",
        stderr(&out)
    );
    let history: Vec<String> =
        json(&env.ob("2026-03-08T09:00:00Z", &["show", "m-1", "--json"]))["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|r| r["to"].as_str().unwrap_or("").to_owned())
            .collect();
    assert_eq!(history, ["queued", "transmitted", "despatched", "returned"]);
}

#[test]
fn suppression_refuses_a_clients_next_letters_and_batch_until_unsuppressed() {
    let env = Env::new();
    let before = env.request("before.yaml", Some("s-1"), "3000 0000 0001", "2026-03-16");
    env.add("2026-03-02T09:00:00Z", &[&before], &[]);
    // A death notification: suppress contact, with a reason code.
    let out = env.ob(
        "2026-03-02T09:30:00Z",
        &["suppress", "300000000001", "--reason", "client-death"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "contact suppressed (reason client-death) until unsuppressed; 1 queued letter suppressed\n  suppressed s-1\n"
    );
    let out = env.ob(
        "2026-03-02T09:30:00Z",
        &["suppress", "3000", "--reason", "deceased"],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`deceased` is not a suppression reason code; the codes are: client-death, child-death, safeguarding, address-unknown, client-request, other"),
        "{}",
        stderr(&out)
    );
    // A later batch: the suppressed client's letters are refused, the others queued.
    let line = |id: &str, reference: &str| {
        format!(
            "{{\"id\":\"{id}\",\"letter\":\"CMSL5503\",\"date\":\"2026-03-02\",\"reference\":\"{reference}\",\"recipient\":{{\"name\":\"Mr Sam Jones\",\"address\":[\"4 Mill Lane\",\"Oxford\"],\"postcode\":\"OX1 2AB\"}},\"fields\":{{\"meeting-date\":\"2026-05-01\",\"meeting-time\":\"09:00\",\"meeting-location\":\"Jobcentre Plus, Oxford\"}}}}\n"
        )
    };
    let jsonl = env.write(
        "night.jsonl",
        &[
            line("n-1", "3000 0000 0001"),
            line("n-2", "3000 0000 0002"),
            line("n-3", "3000 0000 0001"),
        ]
        .concat(),
    );
    assert!(jsonl.exists());
    let out = env.batch_into(&env.store(), &["night.jsonl", "--out", "run"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("failed: night.jsonl:1: not queued: contact with this client is suppressed (reason client-death) since Monday 2 March 2026"),
        "{err}"
    );
    assert!(err.contains("failed: night.jsonl:3: not queued"), "{err}");
    for personal in ["3000", "Sam Jones", "Mill Lane", "OX1"] {
        assert!(!err.contains(personal), "{personal} in: {err}");
        let manifest =
            std::fs::read_to_string(env.path().join("run/manifest.jsonl")).expect("manifest");
        assert!(!manifest.contains(personal), "{personal} in the manifest");
    }
    assert!(
        err.contains("queued 1 in the outbox as batch b-20260302T100000Z, failed 2"),
        "{err}"
    );
    let states = env.states();
    assert_eq!(states.get("n-2").map(String::as_str), Some("queued"));
    assert!(!states.contains_key("n-1") && !states.contains_key("n-3"));
    assert_eq!(states["s-1"], "suppressed");

    // Unsuppressed, the client's letters are queued again; the history stays.
    let out = env.ob(
        "2026-03-03T09:00:00Z",
        &[
            "unsuppress",
            "3000 0000 0001",
            "--reason",
            "notification was wrong",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let again = env.request("after.yaml", Some("s-2"), "3000 0000 0001", "2026-03-16");
    let added = env.add("2026-03-03T09:05:00Z", &[&again], &[]);
    assert_eq!(added["letters"][0]["state"], "queued");
    let s = json(&env.ob("2026-03-03T10:00:00Z", &["suppressions", "--json"]));
    let s = &s["suppressions"][0];
    assert_eq!(s["active"], false);
    let actions: Vec<&str> = s["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["suppress", "unsuppress"]);
}

#[test]
fn a_cancellation_supersedes_the_queued_letters_about_that_meeting_and_review_finds_same_day_pairs()
{
    let env = Env::new();
    let change = env.request("c.yaml", Some("meet-1"), "4000 0000 0001", "2026-03-16");
    let other = env.request("o.yaml", Some("meet-2"), "4000 0000 0001", "2026-04-20");
    let lone = env.request("l.yaml", Some("lone"), "4000 0000 0002", "2026-03-16");
    env.add("2026-03-02T09:00:00Z", &[&change, &other, &lone], &[]);
    let review = stdout(&env.ob("2026-03-02T09:10:00Z", &["review", "--day", "2026-03-02"]));
    assert_eq!(
        review,
        "1 client with more than one letter in the transmission of Monday 2 March 2026 (procedure 004: consider cancelling some):\n\
         client 1:\n  meet-1                   CMSL5502                 queued\n  meet-2                   CMSL5502                 queued\n"
    );
    let cancel = env.write(
        "x.yaml",
        "id: cancel-1\nletter: CMSL5503\ndate: 2026-03-02\nreference: \"4000 0000 0001\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Jobcentre Plus, Leeds\n",
    );
    let out = env.ob(
        "2026-03-02T09:20:00Z",
        &["add", cancel.to_str().expect("utf-8"), "--dry-run"],
    );
    assert_eq!(
        stdout(&out),
        "would queue cancel-1 (CMSL5503) for the transmission of Monday 2 March 2026; cancellable until 17:30 on Monday 2 March 2026\n  would supersede meet-1 (same client, same matter)\n"
    );
    assert!(
        !env.states().contains_key("cancel-1"),
        "a dry run changes nothing"
    );
    assert_eq!(env.states()["meet-1"], "queued");
    let added = env.add("2026-03-02T09:21:00Z", &[&cancel], &[]);
    assert_eq!(
        added["letters"][0]["superseded"],
        serde_json::json!(["meet-1"])
    );
    let states = env.states();
    assert_eq!(states["meet-1"], "superseded");
    assert_eq!(
        states["meet-2"], "queued",
        "another meeting is another matter"
    );
    assert_eq!(states["lone"], "queued", "another client");
    let show = json(&env.ob("2026-03-02T09:30:00Z", &["show", "meet-1", "--json"]));
    assert_eq!(
        show["history"][1]["reason"],
        "superseded by letter cancel-1 (CMSL5503) about the same matter (meeting-date, meeting-time)"
    );
}

/// Queues `n` letters in three postage classes for 2 March (ids `z-NNN`).
fn queue_many(env: &Env, n: usize) {
    let mut files = Vec::new();
    for k in 0..n {
        files.push(env.request(
            &format!("z{k}.yaml"),
            Some(&format!("z-{k:03}")),
            &format!("5000 0000 {k:04}"),
            "2026-03-16",
        ));
    }
    for (class, chunk) in ["first", "second", "economy"]
        .iter()
        .zip(files.chunks(n.div_ceil(3)))
    {
        let refs: Vec<&Path> = chunk.iter().map(PathBuf::as_path).collect();
        let added = env.add("2026-03-02T12:00:00Z", &refs, &["--postage", class]);
        assert_eq!(
            added["letters"].as_array().map(Vec::len),
            Some(chunk.len()),
            "{added}"
        );
    }
}

/// Every file in `dir` by name with its SHA-256 (no lock or temp files).
fn files_in(dir: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if name == ".letterkit-outbox.lock" {
            continue;
        }
        m.insert(name, sha256_hex(&std::fs::read(e.path()).expect("read")));
    }
    m
}

/// Opens every zip with Python's zipfile and `unzip -t`, and checks each
/// entry against its manifest (name, SHA-256; a braille letter's BRF and
/// PEF too) and the day summary. Returns the letters.
fn check_transmission(dir: &Path) -> usize {
    let script = r#"
import hashlib, json, pathlib, sys, zipfile
d = pathlib.Path(sys.argv[1])
total = 0
seen = set()
for z in sorted(d.glob("*.zip")):
    m = json.loads(z.with_suffix(".json").read_text())
    assert m["zip"] == z.name, (m["zip"], z.name)
    with zipfile.ZipFile(z) as f:
        assert f.testzip() is None
        infos = f.infolist()
        expected = []
        for l in m["letters"]:
            expected.append((l["entry"], l["sha256"]))
            if m["postage"] == "braille":
                b = l["braille"]
                expected += [(b["brf"]["entry"], b["brf"]["sha256"]), (b["pef"]["entry"], b["pef"]["sha256"])]
            else:
                assert "braille" not in l
                assert l["postage"] == m["postage"]
            assert l["id"] not in seen, l["id"]
            seen.add(l["id"])
        assert [i.filename for i in infos] == [e for e, _ in expected]
        for i, (_, sha) in zip(infos, expected):
            assert i.compress_type == zipfile.ZIP_STORED
            assert hashlib.sha256(f.read(i)).hexdigest() == sha
    assert len(m["letters"]) <= 500
    total += len(m["letters"])
s = json.loads(next(d.glob("*.summary.json")).read_text())
assert s["letters"] == total, (s["letters"], total)
print(total)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for z in std::fs::read_dir(dir).expect("dir") {
        let p = z.expect("entry").path();
        if p.extension().is_some_and(|e| e == "zip") {
            let t = Command::new("unzip")
                .arg("-tq")
                .arg(&p)
                .output()
                .expect("unzip runs");
            assert!(
                t.status.success(),
                "unzip -t {}: {}",
                p.display(),
                stdout(&t)
            );
        }
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("count")
}

#[test]
fn close_writes_zips_that_match_their_manifests_and_a_second_close_changes_nothing() {
    let env = Env::new();
    queue_many(&env, 9);
    let early = env.ob("2026-03-02T17:29:59Z", &["close", "--out", "tx"]);
    assert_eq!(code(&early), 1);
    assert_eq!(
        stderr(&early),
        "error: the transmission of Monday 2 March 2026 can be closed from its cut-off at 17:30 on Monday 2 March 2026; letters may still be cancelled until then\n"
    );
    let out = env.ob("2026-03-02T17:30:00Z", &["close", "--out", "tx", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["letters"], 9);
    assert_eq!(doc["already_closed"], false);
    let dir = env.path().join("tx");
    assert_eq!(check_transmission(&dir), 9);
    let names: Vec<String> = files_in(&dir).into_keys().collect();
    assert_eq!(names.len(), 7, "{names:?}");
    for (name, class) in names
        .iter()
        .filter(|n| n.ends_with(".zip"))
        .zip(["economy", "first", "second"])
    {
        assert!(
            name.starts_with(&format!("cms.2026-03-02.{class}.001.")),
            "{name}"
        );
    }
    let summary =
        std::fs::read_to_string(dir.join("cms.2026-03-02.summary.json")).expect("summary");
    for personal in ["5000", "Priya", "Church", "LS6"] {
        assert!(!summary.contains(personal));
        for (n, _) in files_in(&dir) {
            if n.ends_with(".json") {
                let t = std::fs::read_to_string(dir.join(&n)).expect("json");
                assert!(!t.contains(personal), "{personal} in {n}");
            }
        }
    }
    let before = files_in(&dir);
    let again = env.ob("2026-03-02T18:00:00Z", &["close", "--out", "tx"]);
    assert_eq!(
        stdout(&again),
        "the transmission of Monday 2 March 2026 was closed at 17:30 on Monday 2 March 2026 by AB1234: nothing more transmitted; its 3 zips (9 letters) are in tx (0 files written again)\n"
    );
    assert_eq!(files_in(&dir), before);
    // A letter made after the close belongs to the next transmission, even
    // if it is made before the cut-off.
    let late = env.request("late.yaml", Some("late"), "5000 0000 9999", "2026-03-16");
    let added = env.add("2026-03-02T17:31:00Z", &[&late], &[]);
    assert_eq!(added["letters"][0]["transmission"], "2026-03-03");
    // Into another folder, the same bytes.
    env.ob(
        "2026-03-02T18:05:00Z",
        &["close", "--day", "2026-03-02", "--out", "tx2"],
    );
    assert_eq!(files_in(&env.path().join("tx2")), before);
}

#[test]
fn close_killed_at_every_point_and_at_random_moments_loses_and_duplicates_nothing() {
    let template = Env::new();
    queue_many(&template, 12);
    // The reference: one uninterrupted close of a copy.
    let copy = |to: &Env| {
        std::fs::copy(template.store(), to.store()).expect("copy store");
    };
    let reference = Env::new();
    copy(&reference);
    let out = reference.ob("2026-03-02T17:45:00Z", &["close", "--out", "tx"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let expected = files_in(&reference.path().join("tx"));
    assert_eq!(expected.len(), 7);
    // 1: the store committed; 2..=7: after each zip and each manifest.
    for point in 1..=7 {
        let env = Env::new();
        copy(&env);
        let killed = env.ob_env(
            "2026-03-02T17:45:00Z",
            &["close", "--out", "tx"],
            &[("LETTERKIT_TEST_KILL_AT", &point.to_string())],
        );
        assert!(
            killed.status.code().is_none(),
            "point {point}: killed by a signal"
        );
        let out = env.ob("2026-03-02T17:45:00Z", &["close", "--out", "tx"]);
        assert_eq!(code(&out), 0, "point {point}: {}", stderr(&out));
        let dir = env.path().join("tx");
        assert_eq!(files_in(&dir), expected, "point {point}");
        assert_eq!(check_transmission(&dir), 12);
        let states = env.states();
        assert!(states.values().all(|s| s == "transmitted"), "{states:?}");
    }
    // Random moments: SIGKILL after 0-40 ms, then run it again.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..6 {
        let env = Env::new();
        copy(&env);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = letterkit(env.path())
            .args(["outbox", "close", "--out", "tx", "--by", "AB1234"])
            .args(["--now", "2026-03-02T17:45:00Z", "--outbox"])
            .arg(env.store())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(seed % 40));
        let _ = child.kill();
        let _ = child.wait();
        // Killed before the store committed, the close happens now: the
        // same instant gives the same bytes.
        let out = env.ob("2026-03-02T17:45:00Z", &["close", "--out", "tx"]);
        assert_eq!(code(&out), 0, "round {round}: {}", stderr(&out));
        assert_eq!(files_in(&env.path().join("tx")), expected, "round {round}");
    }
}

#[test]
fn a_second_process_cancels_while_a_batch_is_queueing() {
    let env = Env::new();
    let mut text = String::new();
    for k in 0..1500 {
        text.push_str(&format!(
            "{{\"id\":\"q-{k:04}\",\"letter\":\"CMSL5503\",\"date\":\"2026-03-02\",\"reference\":\"6000 0000 {k:04}\",\"recipient\":{{\"name\":\"Mr Sam Jones\",\"address\":[\"4 Mill Lane\",\"Oxford\"],\"postcode\":\"OX1 2AB\"}},\"fields\":{{\"meeting-date\":\"2026-05-01\",\"meeting-time\":\"09:00\",\"meeting-location\":\"Jobcentre Plus, Oxford\"}}}}\n"
        ));
    }
    let jsonl = env.write("night.jsonl", &text);
    let mut batch = letterkit(env.path())
        .args([
            "batch",
            jsonl.to_str().expect("utf-8"),
            "--out",
            "run",
            "--jobs",
            "1",
        ])
        .arg(format!("--outbox={}", env.store().display()))
        .args(["--by", "AB1234", "--now", "2026-03-02T10:00:00Z"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("batch runs");
    // Wait for the first group to be queued.
    let start = Instant::now();
    loop {
        if env.store().exists() {
            let out = env.ob("2026-03-02T10:01:00Z", &["show", "q-0000", "--json"]);
            if out.status.success() {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the batch never queued"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = env.ob(
        "2026-03-02T10:01:00Z",
        &["cancel", "q-0000", "--reason", "client phoned"],
    );
    let still_running = batch.try_wait().expect("try_wait").is_none();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(still_running, "the cancel ran while the batch was queueing");
    let status = batch.wait().expect("batch ends");
    assert!(status.success());
    let states = env.states();
    assert_eq!(states.len(), 1500);
    assert_eq!(states["q-0000"], "cancelled");
    assert_eq!(states.values().filter(|s| *s == "queued").count(), 1499);
    // Cancelling the whole batch is all or nothing, and skips the cancelled one.
    let out = env.ob(
        "2026-03-02T10:05:00Z",
        &[
            "cancel",
            "--batch",
            "b-20260302T100000Z",
            "--reason",
            "wrong run",
            "--json",
        ],
    );
    assert_eq!(json(&out)["cancelled"].as_array().map(Vec::len), Some(1499));
}

#[test]
fn a_batch_resumed_after_a_kill_queues_every_letter_once() {
    let env = Env::new();
    let mut text = String::new();
    for k in 0..40 {
        text.push_str(&format!(
            "{{\"letter\":\"CMSL5503\",\"date\":\"2026-03-02\",\"reference\":\"7000 0000 {k:04}\",\"recipient\":{{\"name\":\"Mr Sam Jones\",\"address\":[\"4 Mill Lane\",\"Oxford\"],\"postcode\":\"OX1 2AB\"}},\"fields\":{{\"meeting-date\":\"2026-05-01\",\"meeting-time\":\"09:00\",\"meeting-location\":\"Jobcentre Plus, Oxford\"}}}}\n"
        ));
    }
    let jsonl = env.write("night.jsonl", &text);
    let run = |extra: &[&str]| {
        let mut args = vec![jsonl.to_str().expect("utf-8"), "--out", "run"];
        args.extend_from_slice(extra);
        env.batch_into(&env.store(), &args)
    };
    let out = run(&["--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["outbox_batch"], "b-20260302T100000Z");
    assert_eq!(doc["queued"].as_array().map(Vec::len), Some(40));
    assert_eq!(doc["queued"][0]["transmission"], "2026-03-02");
    assert_eq!(
        doc["queued"][0]["cancellable_until"],
        "2026-03-02T17:30:00Z"
    );
    // As if killed after the store committed and before the last manifest lines.
    let manifest = env.path().join("run/manifest.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&manifest)
        .expect("manifest")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 40);
    std::fs::write(&manifest, lines[..25].join("\n") + "\n").expect("cut");
    let out = run(&["--resume"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("queued 15 in the outbox as batch b-20260302T100000Z, failed 0, skipped 25"),
        "{}",
        stderr(&out)
    );
    let letters = env.list();
    assert_eq!(letters.len(), 40, "every letter once");
    assert!(letters.iter().all(|l| l["batch"] == "b-20260302T100000Z"));
    let ids: std::collections::BTreeSet<&str> =
        letters.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(ids.len(), 40);
    assert!(
        ids.iter().all(|i| i.starts_with("lk-") && i.len() == 23),
        "{ids:?}"
    );
}

#[test]
fn reissue_is_an_exact_copy_behind_a_covering_letter_and_uses_the_stored_pdf_after_a_wording_change()
 {
    let env = Env::new();
    let f = env.request("a.yaml", Some("orig-1"), "8000 0000 0001", "2026-03-16");
    env.add("2026-03-02T10:00:00Z", &[&f], &[]);
    let queued = env.ob(
        "2026-03-02T10:01:00Z",
        &["reissue", "orig-1", "--reason", "not received"],
    );
    assert_eq!(
        stderr(&queued),
        "error: letter orig-1 is queued and was never sent, so there is nothing to reissue\n"
    );
    env.ob("2026-03-02T17:30:00Z", &["close", "--out", "tx"]);
    let original = {
        let out = env.ob("2026-03-03T09:00:00Z", &["pdf", "orig-1", "--out", "-"]);
        assert!(out.status.success());
        out.stdout
    };
    let out = env.ob(
        "2026-03-05T10:00:00Z",
        &[
            "reissue",
            "orig-1",
            "--reason",
            "client did not receive it",
            "--json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let new_id = doc["letter"]["id"].as_str().expect("id").to_owned();
    assert_eq!(doc["letter"]["copy"], "rendered");
    assert_eq!(doc["letter"]["transmission"], "2026-03-05");
    assert_eq!(doc["letter"]["pages"], 3);
    let pdf = env
        .ob("2026-03-05T10:01:00Z", &["pdf", &new_id, "--out", "-"])
        .stdout;
    let text = squash(&pdf_text(&pdf));
    let cover_at = text
        .find("A copy of a letter we sent you")
        .expect("cover title");
    let copy_at = text
        .find("Your face to face meeting details have changed")
        .expect("copy title");
    assert!(cover_at < copy_at, "the covering letter comes first");
    assert!(
        text.contains("copy of the letter we sent you dated Monday 2 March 2026"),
        "{text}"
    );
    assert!(
        text.contains("5 March 2026"),
        "the covering letter is dated today"
    );
    assert!(
        text.ends_with(&squash(&pdf_text(&original))),
        "the copy is the original, word for word"
    );
    let show = json(&env.ob("2026-03-05T10:02:00Z", &["show", &new_id, "--json"]));
    assert_eq!(show["reissue_of"], "orig-1");
    let orig = json(&env.ob("2026-03-05T10:02:00Z", &["show", "orig-1", "--json"]));
    assert!(orig["history"].as_array().expect("history").last().expect("row")["reason"]
        .as_str()
        .is_some_and(|r| r == format!("reissued as letter {new_id}: client did not receive it")));

    // The wording has changed since: the stored PDF is the copy.
    let cat = env.path().join("catalog");
    copy_dir(&root(), &cat);
    let para = cat.join("paragraphs/en/face-to-face.yaml");
    let t = std::fs::read_to_string(&para).expect("paragraphs");
    let changed = t.replacen("text: ", "text: Changed wording. ", 1);
    assert_ne!(t, changed);
    std::fs::write(&para, changed).expect("write");
    let mut c = letterkit(env.path());
    c.args([
        "--catalog",
        cat.to_str().expect("utf-8"),
        "outbox",
        "reissue",
        "orig-1",
    ])
    .args(["--reason", "lost again", "--json", "--by", "AB1234"])
    .args(["--now", "2026-03-06T10:00:00Z", "--outbox"])
    .arg(env.store());
    let out = c.output().expect("runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["letter"]["copy"], "stored");
    let pdf = env
        .ob(
            "2026-03-06T10:01:00Z",
            &[
                "pdf",
                doc["letter"]["id"].as_str().expect("id"),
                "--out",
                "-",
            ],
        )
        .stdout;
    let text = squash(&pdf_text(&pdf));
    assert!(
        !text.contains("Changed wording"),
        "the copy keeps the original words"
    );
    assert!(text.ends_with(&squash(&pdf_text(&original))));

    // Purged: no exact copy can be made, and the record stays.
    let out = env.ob("2026-03-20T10:00:00Z", &["purge"]);
    assert_eq!(
        stdout(&out),
        "purged the PDFs and requests of 1 letter (ids, codes, states, hashes and history kept)\n"
    );
    let out = env.ob(
        "2026-03-20T10:05:00Z",
        &["reissue", "orig-1", "--reason", "again"],
    );
    assert_eq!(
        stderr(&out),
        "error: letter orig-1 cannot be reissued as an exact copy: its request and PDF were purged (purged at 10:00 on Friday 20 March 2026)\n"
    );
    let orig = json(&env.ob("2026-03-20T10:06:00Z", &["show", "orig-1", "--json"]));
    assert_eq!(orig["reference"], Value::Null);
    assert_eq!(orig["state"], "transmitted");
    assert_eq!(orig["pdf_sha256"].as_str().map(str::len), Some(64));
    let out = env.ob("2026-03-20T10:06:00Z", &["pdf", "orig-1", "--out", "x.pdf"]);
    assert_eq!(
        stderr(&out),
        "error: the PDF of letter orig-1 was purged at 10:00 on Friday 20 March 2026\n"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for sub in ["catalog.yaml", "letters", "paragraphs"] {
        let src = from.join(sub);
        if src.is_file() {
            std::fs::create_dir_all(to).expect("mkdir");
            std::fs::copy(&src, to.join(sub)).expect("copy");
            continue;
        }
        for e in walkdir::WalkDir::new(&src) {
            let e = e.expect("walk");
            let rel = e.path().strip_prefix(from).expect("inside");
            let dest = to.join(rel);
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&dest).expect("mkdir");
            } else {
                std::fs::copy(e.path(), &dest).expect("copy");
            }
        }
    }
}

#[test]
fn an_outbox_from_a_newer_letterkit_is_refused_with_a_clear_message() {
    let env = Env::new();
    env.ob("2026-03-02T10:00:00Z", &["list"]);
    let c = rusqlite::Connection::open(env.store()).expect("open");
    c.execute(
        "UPDATE meta SET value = '7' WHERE key = 'schema_version'",
        [],
    )
    .expect("bump");
    drop(c);
    let out = env.ob("2026-03-02T10:00:00Z", &["list"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out),
        format!(
            "error: the outbox {} has schema version 7, newer than this letterkit understands (version 4); use the letterkit that made it, or a newer one\n",
            env.store().display()
        )
    );
}

#[test]
fn the_canonical_request_reads_back_to_the_same_request() {
    let engine = crate::common::engine();
    let mut n = 0;
    for dir in crate::common::case_dirs("requests/valid") {
        let file = crate::common::request_file(&dir);
        let text = std::fs::read_to_string(&file).expect("read");
        let r = engine
            .parse_request(&text, &file.display().to_string())
            .expect("valid fixture");
        let canonical = letterkit::request::canonical::canonical_json(&r);
        // Made together, the JSON and its hash are those made apart.
        let form = letterkit::request::canonical::CanonicalForm::of(&r);
        assert_eq!(form.json, canonical, "{}", dir.display());
        assert_eq!(
            form.sha256,
            letterkit::request::canonical::canonical_sha256(&r)
        );
        assert_eq!(form.ident(), letterkit::request_ident(&r));
        let back = engine
            .parse_request_as(
                &canonical,
                "canonical.json",
                letterkit::request::Format::Json,
            )
            .unwrap_or_else(|e| panic!("{}: {e}\n{canonical}", dir.display()));
        assert_eq!(back, r, "{}", dir.display());
        assert_eq!(
            letterkit::request::canonical::canonical_json(&back),
            canonical
        );
        n += 1;
    }
    assert!(n >= 20, "{n} fixtures");
    let base = std::fs::read_to_string(
        root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml"),
    )
    .expect("fixture");
    for extra in [
        "format: large-print\nsize: 24\n",
        "format: braille\ngrade: 1\nprofile: book\n",
    ] {
        let r = engine
            .parse_request(&format!("{base}{extra}"), "r.yaml")
            .expect("valid with a format");
        let canonical = letterkit::request::canonical::canonical_json(&r);
        let back = engine
            .parse_request_as(
                &canonical,
                "canonical.json",
                letterkit::request::Format::Json,
            )
            .unwrap_or_else(|e| panic!("{e}\n{canonical}"));
        assert_eq!(back, r, "{canonical}");
        assert_ne!(
            r.format(),
            letterkit::request::format::LetterFormat::Standard
        );
    }
}

#[test]
fn a_clients_recorded_format_applies_when_their_letters_are_queued() {
    let env = Env::new();
    let out = env.ob(
        "2026-03-02T09:00:00Z",
        &[
            "client",
            "9000 0000 0001",
            "--format",
            "large-print",
            "--size",
            "20",
            "--reason",
            "asked by phone",
        ],
    );
    assert_eq!(
        stdout(&out),
        "this client's letters are now made in large-print 20 pt\n"
    );
    let lp = env.request("lp.yaml", Some("lp-1"), "900000000001", "2026-03-16");
    let std_ = env.request("st.yaml", Some("st-1"), "9000 0000 0002", "2026-03-16");
    env.add("2026-03-02T10:00:00Z", &[&lp, &std_], &[]);
    let letters: BTreeMap<String, u64> = env
        .list()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap_or("").to_owned(),
                l["pages"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(letters["st-1"], 2);
    assert_eq!(letters["lp-1"], 4, "CMSL5502 at 20 pt");
    let pdf = env
        .ob("2026-03-02T10:01:00Z", &["pdf", "lp-1", "--out", "-"])
        .stdout;
    let doc = lopdf::Document::load_mem(&pdf).expect("pdf");
    assert_eq!(doc.get_pages().len(), 4);
    // The same through a batch; then braille, with its grade and profile.
    env.ob(
        "2026-03-02T10:02:00Z",
        &[
            "client",
            "9000 0000 0002",
            "--format",
            "braille",
            "--grade",
            "1",
            "--profile",
            "book",
            "--reason",
            "client is blind",
        ],
    );
    let text = std::fs::read_to_string(&std_)
        .expect("request")
        .replace("id: st-1", "id: st-2");
    env.write("st2.yaml", &text);
    let out = letterkit(env.path())
        .args(["batch", "st2.yaml", "--out", "run"])
        .arg(format!("--outbox={}", env.store().display()))
        .args(["--by", "AB1234", "--now", "2026-03-02T10:03:00Z"])
        .output()
        .expect("batch");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let st2 = json(&env.ob("2026-03-02T10:04:00Z", &["show", "st-2", "--json"]));
    assert_eq!(st2["braille"]["format"], "braille:1:book", "{st2}");
    assert_eq!(st2["pages"], 1, "the carrier page");
    // The BRF is the one `render` makes for the request in that format.
    let rendered = render_braille(&env, &text, "format: braille\ngrade: 1\nprofile: book\n");
    let brf = env
        .ob("2026-03-02T10:04:00Z", &["braille", "st-2", "--out", "st2"])
        .status;
    assert!(brf.success());
    assert_eq!(
        std::fs::read(env.path().join("st2/st-2.brf")).expect("brf"),
        rendered.brf
    );
    // Through add too; a request naming a format wins over the record.
    let add3 = env.write("st3.yaml", &text.replace("id: st-2", "id: st-3"));
    let named = env.write(
        "st4.yaml",
        &format!(
            "format: large-print\n{}",
            text.replace("id: st-2", "id: st-4")
        ),
    );
    env.add("2026-03-02T10:05:00Z", &[&add3, &named], &[]);
    let st3 = json(&env.ob("2026-03-02T10:06:00Z", &["show", "st-3", "--json"]));
    // The PEF names its request (its identifier), so st-3's is its own.
    let rendered3 = render_braille(
        &env,
        &text.replace("id: st-2", "id: st-3"),
        "format: braille\ngrade: 1\nprofile: book\n",
    );
    assert_eq!(rendered3.brf, rendered.brf);
    assert_eq!(st3["braille"]["brf"]["sha256"], sha256_hex(&rendered.brf));
    assert_eq!(st3["braille"]["pef"]["sha256"], sha256_hex(&rendered3.pef));
    let st4 = json(&env.ob("2026-03-02T10:06:00Z", &["show", "st-4", "--json"]));
    assert_eq!(st4["braille"], Value::Null, "{st4}");
    assert_eq!(st4["pages"], 3, "large print at 16 pt");
    let shown = json(&env.ob(
        "2026-03-02T10:07:00Z",
        &["client", "9000 0000 0002", "--json"],
    ));
    assert_eq!(shown["format"], "braille:1:book");
    assert_eq!(shown["history"][0]["reason"], "client is blind");
}

/// A braille letter as `letterkit render` makes it: carrier page, BRF, PEF.
struct RenderedBraille {
    pdf: Vec<u8>,
    brf: Vec<u8>,
    pef: Vec<u8>,
}

/// Renders `request` (YAML) with `format` (braille keys) put first, in a
/// folder of its own.
fn render_braille(env: &Env, request: &str, format: &str) -> RenderedBraille {
    let dir = tempfile::tempdir_in(env.path()).expect("temp dir");
    std::fs::write(dir.path().join("b.yaml"), format!("{format}{request}")).expect("write");
    let out = letterkit(dir.path())
        .args(["render", "b.yaml", "--out", "x"])
        .output()
        .expect("render");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let read = |f: &str| std::fs::read(dir.path().join(f)).expect(f);
    RenderedBraille {
        pdf: read("x.pdf"),
        brf: read("x.brf"),
        pef: read("x.pef"),
    }
}

/// The bytes of each entry of a zip, in order.
fn zip_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).expect("zip")).expect("a zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).expect("entry");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).expect("read");
            let name = f.name().expect("entry name").into_owned();
            (name, bytes)
        })
        .collect()
}

/// A print letter and a braille letter of the CMSL5502 fixture, queued.
fn queue_print_and_braille(env: &Env) -> RenderedBraille {
    let print = env.request("p.yaml", Some("pr-1"), "5000 0000 0001", "2026-03-16");
    let text = std::fs::read_to_string(env.request(
        "b0.yaml",
        Some("br-1"),
        "5000 0000 0002",
        "2026-03-16",
    ))
    .expect("request");
    let braille = env.write("b.yaml", &format!("format: braille\n{text}"));
    let added = env.add("2026-03-02T12:00:00Z", &[&print, &braille], &[]);
    assert_eq!(added["letters"][1]["id"], "br-1", "{added}");
    render_braille(env, &text, "format: braille\n")
}

#[test]
fn a_braille_letter_is_queued_with_its_brf_and_pef_and_closed_into_a_braille_zip() {
    let env = Env::new();
    let rendered = queue_print_and_braille(&env);
    // What the outbox keeps is what `render` makes.
    let pdf = env.ob("2026-03-02T12:01:00Z", &["pdf", "br-1", "--out", "-"]);
    assert_eq!(
        pdf.stdout, rendered.pdf,
        "outbox pdf gives the carrier page"
    );
    let text = pdf_text(&rendered.pdf);
    assert!(
        squash(&text).contains("This letter is in braille"),
        "{text}"
    );
    let got = env.ob("2026-03-02T12:01:00Z", &["braille", "br-1", "--out", "emb"]);
    assert_eq!(code(&got), 0, "{}", stderr(&got));
    assert_eq!(
        std::fs::read(env.path().join("emb/br-1.brf")).expect("brf"),
        rendered.brf
    );
    assert_eq!(
        std::fs::read(env.path().join("emb/br-1.pef")).expect("pef"),
        rendered.pef
    );
    let again = env.ob("2026-03-02T12:01:00Z", &["braille", "br-1", "--out", "emb"]);
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("emb/br-1.brf already exists; add --force to replace it"),
        "{}",
        stderr(&again)
    );
    let print = env.ob("2026-03-02T12:01:00Z", &["braille", "pr-1", "--out", "emb"]);
    assert_eq!(code(&print), 1);
    assert_eq!(
        stderr(&print),
        "error: letter pr-1 is a print letter: it has no braille files\n"
    );
    let shown = json(&env.ob("2026-03-02T12:01:00Z", &["show", "br-1", "--json"]));
    let b = &shown["braille"];
    assert_eq!(b["format"], "braille:2:a4");
    assert_eq!(b["brf"]["name"], "br-1.brf");
    assert_eq!(b["brf"]["sha256"], sha256_hex(&rendered.brf));
    assert_eq!(b["pef"]["bytes"], rendered.pef.len());
    let pages = rendered.brf.iter().filter(|c| **c == 0x0c).count();
    assert_eq!(b["braille_pages"], pages);
    assert_eq!(shown["pdf_sha256"], sha256_hex(&rendered.pdf));
    let text = stdout(&env.ob("2026-03-02T12:01:00Z", &["show", "br-1"]));
    assert!(
        text.contains(&format!(
            "  braille: braille:2:a4 ({pages} braille pages; the PDF is the carrier page; `outbox braille` writes them)\n    br-1.brf: {} bytes, sha256 {}\n",
            rendered.brf.len(),
            sha256_hex(&rendered.brf)
        )),
        "{text}"
    );

    // The close: the print letter in its class, the braille one in its own.
    let out = env.ob("2026-03-02T17:45:00Z", &["close", "--out", "tx"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("2 letters transmitted (first 0, second 1, economy 0, braille 1) in 2 zips"),
        "{}",
        stdout(&out)
    );
    let dir = env.path().join("tx");
    assert_eq!(check_transmission(&dir), 2);
    let files = files_in(&dir);
    let zip = files
        .keys()
        .find(|n| n.starts_with("cms.2026-03-02.braille.001.") && n.ends_with(".zip"))
        .expect("a braille zip")
        .clone();
    let entries = zip_entries(&dir.join(&zip));
    assert_eq!(
        entries,
        vec![
            ("br-1.pdf".to_owned(), rendered.pdf.clone()),
            ("br-1.brf".to_owned(), rendered.brf.clone()),
            ("br-1.pef".to_owned(), rendered.pef.clone()),
        ]
    );
    // Named from its entries, like every zip.
    let hash = sha256_hex(b"br-1.pdf\nbr-1.brf\nbr-1.pef");
    assert_eq!(
        zip,
        format!("cms.2026-03-02.braille.001.{}.zip", &hash[..12])
    );
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.join(zip.replace(".zip", ".json"))).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["postage"], "braille");
    let row = &manifest["letters"][0];
    assert_eq!(row["entry"], "br-1.pdf");
    assert_eq!(row["postage"], "second", "the letter keeps its postage");
    assert_eq!(row["braille"]["brf"]["entry"], "br-1.brf");
    assert_eq!(row["braille"]["brf"]["sha256"], sha256_hex(&rendered.brf));
    assert_eq!(row["braille"]["pef"]["sha256"], sha256_hex(&rendered.pef));
    let summary: Value = serde_json::from_slice(
        &std::fs::read(dir.join("cms.2026-03-02.summary.json")).expect("summary"),
    )
    .expect("json");
    let class = &summary["classes"][3];
    assert_eq!(class["postage"], "braille");
    assert_eq!(class["letters"], 1);
    assert_eq!(class["zips"][0], zip.as_str());
    assert_eq!(class["braille"][0]["id"], "br-1");
    assert_eq!(
        class["braille"][0]["pef"]["sha256"],
        sha256_hex(&rendered.pef)
    );
    assert_eq!(summary["classes"][1]["letters"], 1, "the print letter");
    for name in files.keys() {
        if name.ends_with(".json") {
            let t = std::fs::read_to_string(dir.join(name)).expect("json");
            for personal in ["5000", "Priya", "Church", "LS6"] {
                assert!(!t.contains(personal), "{personal} in {name}");
            }
        }
    }
    // A second close changes nothing.
    let again = env.ob("2026-03-02T18:00:00Z", &["close", "--out", "tx"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(files_in(&dir), files);

    // Killed at every point of the close, run again: the same files.
    let template = Env::new();
    queue_print_and_braille(&template);
    for point in 1..=5 {
        let env = Env::new();
        std::fs::copy(template.store(), env.store()).expect("copy store");
        let killed = env.ob_env(
            "2026-03-02T17:45:00Z",
            &["close", "--out", "tx"],
            &[("LETTERKIT_TEST_KILL_AT", &point.to_string())],
        );
        assert!(killed.status.code().is_none(), "point {point}: killed");
        let out = env.ob("2026-03-02T17:45:00Z", &["close", "--out", "tx"]);
        assert_eq!(code(&out), 0, "point {point}: {}", stderr(&out));
        assert_eq!(files_in(&env.path().join("tx")), files, "point {point}");
    }

    // Purge deletes the BRF and PEF with the PDF.
    let out = env.ob("2026-03-20T12:00:00Z", &["purge", "--older-than", "7"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let gone = env.ob(
        "2026-03-20T12:01:00Z",
        &["braille", "br-1", "--out", "late"],
    );
    assert_eq!(code(&gone), 1);
    assert_eq!(
        stderr(&gone),
        "error: the braille files of letter br-1 were purged at 12:00 on Friday 20 March 2026\n"
    );
    let c = rusqlite::Connection::open(env.store()).expect("open");
    let (brf, pef, sha): (Option<Vec<u8>>, Option<Vec<u8>>, Option<String>) = c
        .query_row(
            "SELECT brf, pef, brf_sha256 FROM letters WHERE id = 'br-1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("row");
    assert_eq!((brf, pef), (None, None));
    assert_eq!(sha, Some(sha256_hex(&rendered.brf)), "the hash stays");
}

#[test]
fn a_braille_letter_is_reissued_with_its_stored_brf_and_pef_behind_a_print_covering_letter() {
    let env = Env::new();
    let rendered = queue_print_and_braille(&env);
    let out = env.ob("2026-03-02T17:45:00Z", &["close", "--out", "tx"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let despatched = env.write("d.csv", "id,date\nbr-1,2026-03-03\n");
    let out = env.ob(
        "2026-03-03T09:00:00Z",
        &["import", "despatched", despatched.to_str().expect("utf-8")],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env.ob(
        "2026-03-10T10:00:00Z",
        &[
            "reissue",
            "br-1",
            "--reason",
            "client did not receive it",
            "--json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["letter"]["copy"], "braille");
    let id = doc["letter"]["id"].as_str().expect("id").to_owned();
    let shown = json(&env.ob("2026-03-10T10:01:00Z", &["show", &id, "--json"]));
    assert_eq!(shown["reissue_of"], "br-1");
    assert_eq!(shown["braille"]["brf"]["sha256"], sha256_hex(&rendered.brf));
    assert_eq!(shown["braille"]["pef"]["sha256"], sha256_hex(&rendered.pef));
    let got = env.ob("2026-03-10T10:01:00Z", &["braille", &id, "--out", "re"]);
    assert_eq!(code(&got), 0, "{}", stderr(&got));
    let dir = env.path().join("re");
    assert_eq!(
        std::fs::read(dir.join(format!("{id}.brf"))).expect("brf"),
        rendered.brf,
        "the exact braille that was sent"
    );
    assert_eq!(
        std::fs::read(dir.join(format!("{id}.pef"))).expect("pef"),
        rendered.pef
    );
    // The print part: the covering letter, then the original carrier page.
    let pdf = env
        .ob("2026-03-10T10:01:00Z", &["pdf", &id, "--out", "-"])
        .stdout;
    let doc = lopdf::Document::load_mem(&pdf).expect("pdf");
    let pages = doc.get_pages().len();
    assert_eq!(shown["pages"], pages);
    let text = squash(&pdf_text(&pdf));
    let carrier = squash(&pdf_text(&rendered.pdf));
    assert!(text.ends_with(&carrier), "{text}\n---\n{carrier}");
    assert!(
        text.contains("10 March 2026"),
        "the covering letter's date: {text}"
    );
    // It goes into the next transmission's braille zip.
    let out = env.ob("2026-03-10T17:45:00Z", &["close", "--out", "tx2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(check_transmission(&env.path().join("tx2")), 1);
}

/// A zip of one letter says "1 letter", and so does a second close of it.
#[test]
fn close_counts_one_letter_in_the_singular() {
    let env = Env::new();
    let f = env.request("one.yaml", Some("one-1"), "1000 0000 0001", "2026-03-16");
    env.add("2026-03-02T10:00:00Z", &[&f], &[]);
    let out = env.ob("2026-03-02T17:30:00Z", &["close", "--out", "tx"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("closed the transmission of Monday 2 March 2026: 1 letter transmitted (first 0, second 1, economy 0) in 1 zip, in tx\n"),
        "{text}"
    );
    assert!(text.contains(".zip (1 letter)\n"), "{text}");
    let again = env.ob("2026-03-02T18:00:00Z", &["close", "--out", "tx"]);
    assert!(
        stdout(&again).contains("its 1 zip (1 letter) is in tx (0 files written again)\n"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn batch_into_the_outbox_prints_a_line_per_letter_unless_quiet() {
    let env = Env::new();
    let a = env.request("a.yaml", Some("qa-1"), "1000 0000 0001", "2026-03-16");
    let b = env.request("b.yaml", Some("qa-2"), "1000 0000 0002", "2026-03-16");
    let loud = env.batch_into(
        &env.store(),
        &[
            a.to_str().expect("utf-8"),
            b.to_str().expect("utf-8"),
            "--out",
            "run-1",
        ],
    );
    assert_eq!(code(&loud), 0, "{}", stderr(&loud));
    assert_eq!(
        stdout(&loud),
        "queued qa-1 (CMSL5502) for the transmission of Monday 2 March 2026; cancellable until 17:30 on Monday 2 March 2026\n\
         queued qa-2 (CMSL5502) for the transmission of Monday 2 March 2026; cancellable until 17:30 on Monday 2 March 2026\n"
    );
    let c = env.request("c.yaml", Some("qa-3"), "1000 0000 0003", "2026-03-16");
    let quiet = env.batch_into(
        &env.store(),
        &[c.to_str().expect("utf-8"), "--out", "run-2", "--quiet"],
    );
    assert_eq!(code(&quiet), 0, "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), "", "--quiet prints no line per letter");
    assert_eq!(
        stderr(&quiet),
        "",
        "--quiet prints no summary when all went well"
    );
    assert_eq!(env.states().get("qa-3").map(String::as_str), Some("queued"));
}

#[test]
fn a_letter_queued_by_batch_is_the_letter_outbox_add_queues() {
    use sha2::{Digest, Sha256};
    let env = Env::new();
    let f = env.request("same.yaml", Some("same-1"), "1000 0000 0009", "2026-03-16");
    let other = env.path().join("other.sqlite");
    // The same request, once through a batch (rendered on a worker thread)
    // and once through `outbox add`, each into an outbox of its own.
    let out = env.batch_into(
        &other,
        &[f.to_str().expect("utf-8"), "--out", "run", "--jobs", "2"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    env.add("2026-03-02T10:00:00Z", &[&f], &[]);
    let show = |store: &Path| {
        let out = letterkit(env.path())
            .args(["outbox", "show", "same-1", "--json", "--outbox"])
            .arg(store)
            .output()
            .expect("show runs");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        json(&out)
    };
    let (batched, added) = (show(&other), show(&env.store()));
    for key in ["pdf_sha256", "pdf_bytes", "request_sha256", "pages"] {
        assert_eq!(batched[key], added[key], "{key}");
    }
    // The stored request hash is that of the request's canonical form.
    let engine = crate::common::engine();
    let text = std::fs::read_to_string(&f).expect("request");
    let r = engine.parse_request(&text, "same.yaml").expect("valid");
    let canonical = letterkit::request::canonical::canonical_json(&r);
    let want = Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(batched["request_sha256"], want.as_str());
}
