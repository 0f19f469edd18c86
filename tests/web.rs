//! The officers' web pages of `letterkit serve --officers` (issue 14), over
//! HTTP without a browser: the session cookie's attributes, the
//! Content-Security-Policy, refusals without a session or with a wrong
//! CSRF token, an upload named with `..`, the audit log's lines (the
//! officer, the action, no personal data), and `--new-officer`.
//!
//! The browser tests (tests/e2e/, headless Chromium with axe-core) run from
//! here too: `browser_tests_pass` runs `node --test tests/e2e/` when its
//! `node_modules` are installed (`npm ci` in tests/e2e), and fails when
//! `CI` is set and they cannot run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::common::{letterkit, root, spawn_server};

const PASSWORD: &str = "correct horse battery staple";

/// The officers-file line `letterkit serve --new-officer` prints.
fn officer_line(dir: &Path, id: &str, roles: &str) -> String {
    let mut child = letterkit(dir)
        .args(["serve", "--new-officer", id, "--roles", roles])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("letterkit runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write the password");
    let out = child.wait_with_output().expect("it ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A running server with the web pages; killed on drop.
struct Web {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

impl Drop for Web {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Web {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::create_dir(d.join("packs")).expect("packs");
    let officers = officer_line(d, "j.officer", "packs,render,queue,cancel");
    std::fs::write(d.join("officers.txt"), &officers).expect("officers");
    let mut cmd = letterkit(d);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--officers",
        "officers.txt",
        "--packs",
        "packs",
        "--outbox",
        "outbox.sqlite",
        "--audit-log",
        "audit.jsonl",
        "--now",
        "2026-03-02T10:00:00Z",
    ])
    .args(extra)
    .stdout(Stdio::null());
    let (child, base, log) = spawn_server(&mut cmd);
    Web {
        child,
        base,
        log,
        dir,
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The session cookie it sets: `NAME=VALUE` and the attributes.
    fn cookie(&self) -> (String, String) {
        let c = self.header("set-cookie").expect("a Set-Cookie header");
        let (pair, attrs) = c.split_once(';').expect("attributes");
        (pair.to_owned(), attrs.trim().to_owned())
    }

    /// The CSRF token of the page's first form.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').expect("end")].to_owned()
    }
}

impl Web {
    fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Resp {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut resp = agent
            .run(b.body(body).expect("request"))
            .expect("the server answers");
        Resp {
            status: resp.status().as_u16(),
            headers: resp
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: resp
                .body_mut()
                .with_config()
                .limit(50 * 1024 * 1024)
                .read_to_string()
                .unwrap_or_default(),
        }
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let h: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        self.call("GET", path, &h, Vec::new())
    }

    fn post_form(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let mut h = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(c) = cookie {
            h.push(("cookie", c));
        }
        self.call("POST", path, &h, body.join("&").into_bytes())
    }

    /// Signs in; returns the session cookie (`letterkit_session=...`) and
    /// the session's CSRF token.
    fn sign_in(&self) -> (String, String) {
        let page = self.get("/sign-in", None);
        let (anon, _) = page.cookie();
        let r = self.post_form(
            "/sign-in",
            Some(&anon),
            &[
                ("csrf", &page.csrf()),
                ("officer", "j.officer"),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let (cookie, _) = r.cookie();
        assert_ne!(cookie, anon, "a new session id at sign-in");
        let letters = self.get("/letters/new/CMSL5502", Some(&cookie));
        assert_eq!(letters.status, 200);
        (cookie, letters.csrf())
    }

    fn audit(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl")).unwrap_or_default()
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn web_session_cookie_is_http_only_and_strict_and_secure_behind_tls() {
    let w = start(&[]);
    let r = w.get("/sign-in", None);
    assert_eq!(r.status, 200);
    let (pair, attrs) = r.cookie();
    assert!(
        pair.starts_with("letterkit_session=") && pair.len() == 18 + 64,
        "{pair}"
    );
    assert_eq!(attrs, "Path=/; HttpOnly; SameSite=Strict; Max-Age=43200");
    let tls = w.call(
        "GET",
        "/sign-in",
        &[("x-forwarded-proto", "https")],
        Vec::new(),
    );
    assert_eq!(
        tls.cookie().1,
        "Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"
    );
    drop(w);
    let w = start(&["--secure-cookies"]);
    assert!(w.get("/sign-in", None).cookie().1.ends_with("; Secure"));
}

#[test]
fn web_pages_carry_a_content_security_policy_without_inline_script() {
    let w = start(&[]);
    let (cookie, _) = w.sign_in();
    for path in [
        "/sign-in",
        "/packs",
        "/letters",
        "/letters/new/CMSL5502",
        "/outbox",
    ] {
        let r = w.get(path, Some(&cookie));
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-security-policy"),
            Some(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
            ),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        // No inline script or style: every <script> has a src, no style= or on...=.
        assert_eq!(
            r.body.matches("<script").count(),
            r.body
                .matches("<script type=\"module\" src=\"/assets/init.js\"></script>")
                .count(),
            "{path}"
        );
        assert!(
            !r.body.contains(" style=") && !r.body.contains(" onclick="),
            "{path}"
        );
    }
    let css = w.get("/assets/govuk-frontend.min.css", None);
    assert_eq!(css.status, 200);
    assert!(
        !css.body.contains("GDS Transport") && !css.body.contains("@font-face"),
        "the fonts-free build"
    );
    assert!(css.body.contains("font-family:arial,sans-serif"));
}

#[test]
fn web_without_a_session_pages_redirect_and_forms_are_refused() {
    let w = start(&[]);
    for path in ["/", "/packs", "/letters", "/outbox", "/packs/sr-1/zip"] {
        let r = w.get(path, None);
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), Some("/sign-in"), "{path}");
    }
    let forged = w.get("/packs", Some("letterkit_session=00112233"));
    assert_eq!(forged.status, 303, "an unknown session id is no session");
    let r = w.post_form("/letters/new/CMSL5502", None, &[("csrf", "x")]);
    assert_eq!(r.status, 401);
    assert!(
        r.body
            .contains("You are not signed in, or your session has ended, so nothing was done")
    );
    let r = w.post_form("/outbox/letters/lk-1/cancel", None, &[("reason", "x")]);
    assert_eq!(r.status, 401);
    // The JSON API is unchanged: a bearer token, not a cookie.
    let api = w.get("/v1/catalog", None);
    assert_eq!(api.status, 401);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}

#[test]
fn web_forms_with_a_wrong_csrf_token_are_refused() {
    let w = start(&[]);
    // The sign-in form: a token of no session, or of another session.
    let page = w.get("/sign-in", None);
    let (anon, _) = page.cookie();
    let r = w.post_form(
        "/sign-in",
        Some(&anon),
        &[
            ("csrf", "0000"),
            ("officer", "j.officer"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(r.header("set-cookie").is_none(), "no session made");
    let (cookie, csrf) = w.sign_in();
    let wrong = format!("{}0", &csrf[1..]);
    for (path, form) in [
        ("/letters/new/CMSL5502", vec![("csrf", wrong.as_str())]),
        ("/letters/new/CMSL5502", vec![]),
        ("/sign-out", vec![("csrf", wrong.as_str())]),
        (
            "/outbox/letters/lk-1/cancel",
            vec![("csrf", wrong.as_str()), ("reason", "x")],
        ),
    ] {
        let r = w.post_form(path, Some(&cookie), &form);
        assert_eq!(r.status, 403, "{path}");
        assert!(r.body.contains("The form could not be sent"), "{path}");
    }
    assert_eq!(
        w.get("/letters", Some(&cookie)).status,
        200,
        "a refused sign-out leaves the session"
    );
    // The right token works.
    let r = w.post_form("/sign-out", Some(&cookie), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert!(r.cookie().1.contains("Max-Age=0"));
    assert_eq!(w.get("/letters", Some(&cookie)).status, 303);
    let audit = w.audit();
    assert!(
        audit.contains(
            r#""officer":"unknown","action":"sign-in","target":null,"outcome":"refused-csrf""#
        ) || audit.contains(
            r#""officer":"j.officer","action":"sign-in","target":null,"outcome":"refused-csrf""#
        ),
        "{audit}"
    );
    assert!(audit.contains(r#""officer":"j.officer","action":"letter-preview","target":null,"outcome":"refused-csrf""#), "{audit}");
}

/// A multipart body of text fields and one file.
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----letterkit-test-boundary";
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.0, file.1
        )
        .as_bytes(),
    );
    b.extend_from_slice(file.2);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[test]
fn web_upload_named_with_dot_dot_or_of_a_wrong_type_is_refused() {
    let w = start(&[]);
    let (cookie, _) = w.sign_in();
    let form = w.get("/packs/new/county-court", Some(&cookie));
    let csrf = form.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("pack-name", "sr-5555555-cc"),
        ("step-date-day", "2"),
        ("step-date-month", "3"),
        ("step-date-year", "2026"),
        ("reference", "1234 5678 9012"),
        ("region", "Wales"),
        ("paying-parent-name", "Mr A Person"),
        ("court", "Cardiff County Court"),
        ("pv-checked-by", "J Officer"),
        ("pv-result", "no-marking"),
    ];
    for (name, why) in [
        (
            "../../etc/passwd.pdf",
            "its file name has a folder or `..` in it",
        ),
        (
            "..\\evidence.pdf",
            "its file name has a folder or `..` in it",
        ),
    ] {
        let (ct, body) = multipart(&fields, (name, "application/pdf", b"%PDF-1.4 not really"));
        let r = w.call(
            "POST",
            "/packs/new/county-court",
            &[("cookie", &cookie), ("content-type", &ct)],
            body,
        );
        assert_eq!(r.status, 422, "{name}");
        assert!(
            r.body.contains(&format!(
                "attachment 1 of 1 is refused: {why}; attach the file itself"
            )),
            "{name}: {}",
            r.body
        );
        assert!(
            !r.body.contains("passwd") && !r.body.contains("evidence"),
            "the name is not repeated"
        );
    }
    let (ct, body) = multipart(&fields, ("statement.pdf", "application/pdf", b"plain text"));
    let r = w.call(
        "POST",
        "/packs/new/county-court",
        &[("cookie", &cookie), ("content-type", &ct)],
        body,
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(
            "attachment 1 of 1 is not a PDF, PNG or JPEG file (checked by its content, not its name)"
        ),
        "{}",
        r.body
    );
    assert!(
        std::fs::read_dir(w.dir.path().join("packs"))
            .expect("packs")
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().ends_with(".zip")),
        "no pack was made"
    );
}

#[test]
fn web_audit_log_names_the_officer_and_the_action_and_no_personal_data() {
    let w = start(&[]);
    let (cookie, csrf) = w.sign_in();
    let form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("date-day", "2"),
        ("date-month", "3"),
        ("date-year", "2026"),
        ("reference", "1234 5678 9012"),
        ("recipient-name", "Ms Priya Patel"),
        ("recipient-address", "Flat 3\r\n14 Church Lane\r\nLeeds"),
        ("recipient-postcode", "LS6 1AB"),
        ("fields-changed-by", "client"),
        ("fields-meeting-date-day", "16"),
        ("fields-meeting-date-month", "3"),
        ("fields-meeting-date-year", "2026"),
        ("fields-meeting-time", "10:30"),
        ("fields-meeting-location", "Crown House, Leeds"),
        ("fields-reason", "payments"),
    ];
    let r = w.post_form("/letters/new/CMSL5502", Some(&cookie), &form);
    assert_eq!(r.status, 303, "{}", r.body);
    let draft = r.header("location").expect("the draft").to_owned();
    assert!(
        draft.starts_with("/letters/drafts/") && draft.len() == 16 + 32,
        "a random id in the URL, nothing else: {draft}"
    );
    let pdf = w.get(&format!("{draft}/pdf"), Some(&cookie));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert_eq!(
        pdf.header("content-disposition"),
        Some("inline; filename=\"CMSL5502.pdf\""),
        "shown in the browser, named by its code only"
    );
    assert_eq!(pdf.header("cache-control"), Some("no-store"));
    assert_eq!(pdf.header("x-content-type-options"), Some("nosniff"));
    assert!(
        pdf.header("content-security-policy").is_none(),
        "the browser's PDF viewer is not blocked by a page's policy"
    );
    let q = w.post_form(&format!("{draft}/queue"), Some(&cookie), &[("csrf", &csrf)]);
    assert_eq!(q.status, 303);
    let outbox = w.get("/outbox", Some(&cookie));
    let at = outbox.body.find("queued as lk-").expect("queued") + 10;
    let id = outbox.body[at..at + 23].to_owned();
    let c = w.post_form(
        &format!("/outbox/letters/{id}/cancel"),
        Some(&cookie),
        &[("csrf", &csrf), ("reason", "Priya asked by phone")],
    );
    assert_eq!(c.status, 303, "{}", c.body);
    let audit = w.audit();
    let lines: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let actions: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            assert!(l["ts"].as_str().is_some_and(|t| t.ends_with('Z')), "{l}");
            (
                l["officer"].as_str().unwrap_or("").to_owned(),
                l["action"].as_str().unwrap_or("").to_owned(),
                format!(
                    "{} {}",
                    l["target"].as_str().unwrap_or("-"),
                    l["outcome"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    let o = |a: &str, t: &str| ("j.officer".to_owned(), a.to_owned(), t.to_owned());
    assert_eq!(
        actions,
        vec![
            o("sign-in", "- ok"),
            o("letter-preview", "CMSL5502 ok"),
            o("letter-pdf-view", "CMSL5502 ok"),
            o("letter-queue", &format!("{id} ok")),
            o("outbox-cancel", &format!("{id} ok")),
        ]
    );
    let all = format!("{audit}\n{}", w.log());
    for secret in [
        "Priya",
        "Patel",
        "Church Lane",
        "LS6",
        "1234 5678 9012",
        "123456789012",
        "Crown House",
        PASSWORD,
    ] {
        assert!(!all.contains(secret), "{secret} in the logs:\n{all}");
    }
}

#[test]
fn web_new_officer_prints_a_line_and_refuses_a_short_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let line = officer_line(dir.path(), "k.officer", "packs,render");
    assert!(
        line.starts_with("k.officer packs,render $argon2id$v=19$"),
        "{line}"
    );
    assert!(!line.contains(PASSWORD));
    let out = letterkit(dir.path())
        .args(["serve", "--new-officer", "k.officer", "--roles", "packs"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --new-officer: the password (one line on standard input) must be at least 12 characters\n"
    );
    std::fs::write(
        dir.path().join("officers.txt"),
        "k.officer packs plain-password\n",
    )
    .expect("write");
    let out = letterkit(dir.path())
        .args([
            "serve",
            "--officers",
            "officers.txt",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: officers.txt:1: the password must be kept as an argon2 hash ($argon2id$...; letterkit serve --new-officer ID makes one), never as the password itself\n"
    );
}

/// The browser tests of tests/e2e (headless Chromium, axe-core).
#[test]
fn web_browser_tests_pass() {
    let e2e: PathBuf = root().join("tests/e2e");
    let ready = e2e.join("node_modules/playwright-core").is_dir()
        && e2e.join("node_modules/axe-core").is_dir()
        && Path::new("/usr/bin/chromium").exists();
    if !ready {
        let how = "the browser tests need node, /usr/bin/chromium (apt-get install chromium) and `npm ci` in tests/e2e";
        assert!(std::env::var_os("CI").is_none(), "CI is set, but {how}");
        eprintln!("skipped: {how}");
        return;
    }
    let out = std::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(&e2e)
        .current_dir(root())
        .env("LETTERKIT_BIN", env!("CARGO_BIN_EXE_letterkit"))
        .output()
        .expect("node runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the browser tests failed:\n{report}");
    assert!(
        report.contains("ℹ pass 7") && report.contains("ℹ fail 0"),
        "seven browser tests pass:\n{report}"
    );
}

#[test]
fn web_sign_in_is_refused_for_a_while_after_five_wrong_passwords() {
    let w = start(&[]);
    let page = w.get("/sign-in", None);
    let (anon, _) = page.cookie();
    let csrf = page.csrf();
    let try_password = |pw: &str| {
        w.post_form(
            "/sign-in",
            Some(&anon),
            &[("csrf", &csrf), ("officer", "j.officer"), ("password", pw)],
        )
    };
    for _ in 0..5 {
        let r = try_password("not the password");
        assert_eq!(r.status, 401);
        assert!(
            r.body
                .contains("The officer id or the password is not right")
        );
    }
    let r = try_password(PASSWORD);
    assert_eq!(r.status, 429, "the right password is not even checked now");
    assert!(
        r.body.contains(
            "There have been 5 wrong passwords for this officer id: try again in 15 minutes"
        ),
        "{}",
        r.body
    );
    assert!(r.header("set-cookie").is_none());
    let audit = w.audit();
    assert_eq!(
        audit
            .matches(r#""action":"sign-in","target":null,"outcome":"refused""#)
            .count(),
        5
    );
    assert!(audit.contains(
        r#""officer":"j.officer","action":"sign-in","target":null,"outcome":"refused-locked""#
    ));
}

#[test]
fn web_letter_form_makes_a_large_print_letter_and_places_a_wrong_size() {
    let w = start(&[]);
    let (cookie, csrf) = w.sign_in();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("date-day", "2"),
        ("date-month", "3"),
        ("date-year", "2026"),
        ("reference", "1234 5678 9012"),
        ("recipient-name", "Mr Sam Jones"),
        ("recipient-address", "4 Mill Lane\r\nOxford"),
        ("recipient-postcode", "OX1 2AB"),
        ("fields-meeting-date-day", "20"),
        ("fields-meeting-date-month", "3"),
        ("fields-meeting-date-year", "2026"),
        ("fields-meeting-time", "09:00"),
        ("fields-meeting-location", "Jobcentre Plus, Oxford"),
        ("format", "large-print"),
        ("size", "40"),
    ];
    let r = w.post_form("/letters/new/CMSL5503", Some(&cookie), &form);
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(
            "<a href=\"#size\">size: 40 is outside the range: large print is 16 to 28 points (a whole number; 16 is the usual size)</a>"
        ),
        "the CLI's words, linking to the size: {}",
        r.body
    );
    assert!(
        r.body.contains("id=\"size-error\""),
        "the message is beside the size"
    );
    form.pop();
    form.push(("size", "24"));
    let r = w.post_form("/letters/new/CMSL5503", Some(&cookie), &form);
    assert_eq!(r.status, 303, "{}", r.body);
    let draft = w.get(r.header("location").expect("draft"), Some(&cookie));
    let standard_pages = "The letter has 1 page";
    assert!(
        draft.body.contains("The letter has ") && !draft.body.contains(standard_pages),
        "large print at 24 pt takes more than one page: {}",
        &draft.body[draft.body.find("The letter has").unwrap_or(0)..][..40]
    );
}
