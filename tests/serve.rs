//! `letterkit serve` (issue 12), started on 127.0.0.1 port 0 and spoken to
//! over HTTP: render (PDF and JSON), problem+json with every diagnostic and
//! the CLI's texts, tokens and roles, the rate limit, idempotency keys, the
//! outbox's letters (queue, show, PDF, list, cancel, reissue), the catalog
//! and its schemas, OpenAPI, health, metrics, logs without personal data,
//! body limits, graceful shutdown, and a PostgreSQL outbox.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::common::{letterkit, pdf_text, root, sha256_hex, spawn_server, squash};

const RENDER_TOKEN: &str = "lkt_render_only_0123456789";
const QUEUE_TOKEN: &str = "lkt_queue_and_cancel_0123456789";
const ADMIN_TOKEN: &str = "lkt_admin_0123456789";

fn hash(t: &str) -> String {
    sha256_hex(t.as_bytes())
}

/// A running server; killed on drop.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    keep: Option<tempfile::TempDir>,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `letterkit serve ARGS` in a fresh folder with a token file of
/// three clients (render; queue and cancel; admin) and waits for its
/// "listening" line.
fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    start_in(Some(dir), &path, extra)
}

fn start_in(keep: Option<tempfile::TempDir>, dir: &Path, extra: &[&str]) -> Server {
    let tokens = dir.join("tokens.txt");
    std::fs::write(
        &tokens,
        format!(
            "# test clients\nbilling render sha256:{}\ncaseworks queue,cancel sha256:{}\nops admin sha256:{}\n",
            hash(RENDER_TOKEN),
            hash(QUEUE_TOKEN),
            hash(ADMIN_TOKEN)
        ),
    )
    .expect("write tokens");
    let mut cmd = letterkit(dir);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--tokens"])
        .arg(&tokens)
        .args(["--now", "2026-03-02T10:00:00Z"]);
    if !extra.contains(&"--outbox") {
        cmd.args(["--outbox", "outbox.sqlite"]);
    }
    cmd.args(extra).stdout(Stdio::null());
    let (child, base, log) = spawn_server(&mut cmd);
    Server {
        child,
        base,
        log,
        keep,
        dir: dir.to_path_buf(),
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

impl Server {
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let url = format!("{}{path}", self.base);
        let mut b = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut resp = match body {
            Some(body) => {
                let req = b
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .expect("request");
                agent().run(req)
            }
            None => agent().run(b.body(()).expect("request")),
        }
        .expect("the server answers");
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(50 * 1024 * 1024)
            .read_to_vec()
            .expect("body");
        Resp {
            status,
            headers,
            body,
        }
    }

    fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call("GET", path, token, &[], None)
    }

    fn post(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        self.call("POST", path, token, headers, Some(body))
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }
}

fn fixture(case: &str) -> Vec<u8> {
    std::fs::read(
        root()
            .join("fixtures/requests/valid")
            .join(case)
            .join("request.json"),
    )
    .expect("fixture")
}

/// The CMSL5501 JSON fixture.
fn request() -> Vec<u8> {
    fixture("cmsl5501-information")
}

fn assert_problem(r: &Resp, status: u16, kind: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let v = r.json();
    assert_eq!(v["type"], format!("urn:letterkit:problem:{kind}"), "{v}");
    assert_eq!(v["status"], status);
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(v["detail"].as_str().is_some_and(|t| !t.is_empty()));
    v
}

#[test]
fn render_answers_the_pdf_or_json_with_base64_and_its_sha256() {
    let s = start(&[]);
    let r = s.post("/v1/render", Some(RENDER_TOKEN), &[], &request());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r.body.starts_with(b"%PDF-"));
    let text = squash(&pdf_text(&r.body));
    assert!(text.contains("Ms Priya Patel"), "{text}");
    assert!(text.contains("CMSL5501"), "{text}");
    assert_eq!(
        r.header("x-letterkit-sha256"),
        Some(sha256_hex(&r.body).as_str())
    );
    assert_eq!(r.header("x-letterkit-pages"), Some("1"));
    // The same bytes as the CLI renders.
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(dir.path().join("request.json"), request()).expect("write");
    let o = letterkit(dir.path())
        .args(["render", "request.json", "--out", "x.pdf"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("x.pdf")).expect("pdf"),
        r.body
    );

    let j = s.post(
        "/v1/render",
        Some(RENDER_TOKEN),
        &[("accept", "application/json")],
        &request(),
    );
    assert_eq!(j.status, 200);
    assert_eq!(j.header("content-type"), Some("application/json"));
    let v = j.json();
    assert_eq!(v["schema"], "letterkit.render.v1");
    assert_eq!(v["code"], "CMSL5501");
    assert_eq!(v["pages"], 1);
    assert_eq!(v["sha256"], sha256_hex(&r.body));
    assert_eq!(v["bytes"], r.body.len());
    use base64::Engine as _;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(v["pdf_base64"].as_str().expect("base64"))
        .expect("decodes");
    assert_eq!(pdf, r.body);
}

/// The CLI's diagnostic lines for a JSON request (`request.json:L:C: path: message`).
fn cli_lines(body: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(dir.path().join("request.json"), body).expect("write");
    let o = letterkit(dir.path())
        .args(["render", "request.json", "--out", "x.pdf"])
        .output()
        .expect("runs");
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("request.json:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_invalid_request_is_problem_json_with_every_diagnostic_its_code_pointer_and_the_cli_text() {
    let s = start(&[]);
    let body = br#"{
  "letter": "CMSL5501",
  "date": "2026-02-30",
  "reference": "1234 5678 901",
  "recipient": {"name": "Ms Priya Patel", "address": ["Flat 3", "Leeds"], "postcode": "LS6 1AB"},
  "fields": {
    "meting-date": "2026-03-16",
    "meeting-time": "10:30",
    "meeting-location": "Jobcentre Plus, Leeds",
    "reason": "informaton"
  }
}"#;
    let r = s.post("/v1/render", Some(RENDER_TOKEN), &[], body);
    let v = assert_problem(&r, 422, "invalid-request");
    let errors = v["errors"].as_array().expect("errors");
    let got: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap_or("").to_owned(),
                e["pointer"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want = [
        ("bad-date", "/date"),
        ("bad-reference", "/reference"),
        ("missing-field", "/fields/meeting-date"),
        ("unknown-field", "/fields/meting-date"),
        ("unknown-choice", "/fields/reason"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
            .collect::<Vec<_>>()
    );
    // The same texts, lines and columns as the CLI's.
    let as_cli: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "request.json:{}:{}: {}: {}",
                e["line"],
                e["column"],
                e["path"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(as_cli, cli_lines(body));
    let unknown = &errors[3];
    assert_eq!(unknown["suggestion"], "meeting-date");
    assert!(
        unknown["allowed"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "meeting-location"))
    );
    assert_eq!(errors[4]["suggestion"], "information");
    // No personal data in the problem.
    assert!(!r.text().contains("Patel") && !r.text().contains("LS6"));

    // Not JSON at all: one syntax problem with its position.
    let r = s.post(
        "/v1/render",
        Some(RENDER_TOKEN),
        &[],
        b"{\"letter\": \"CMSL5501\",}",
    );
    let v = assert_problem(&r, 422, "invalid-request");
    assert_eq!(v["errors"][0]["code"], "syntax");
    assert_eq!(v["errors"][0]["line"], 1);
}

#[test]
fn tokens_and_roles_decide_who_may_do_what_with_401_and_403_problems() {
    let s = start(&[]);
    let r = s.post("/v1/render", None, &[], &request());
    let v = assert_problem(&r, 401, "unauthorized");
    assert_eq!(
        v["detail"],
        "this service needs a bearer token: send Authorization: Bearer TOKEN"
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"letterkit\"")
    );
    let r = s.post("/v1/render", Some("lkt_wrong"), &[], &request());
    assert_problem(&r, 401, "unauthorized");
    assert_problem(&s.get("/v1/catalog", None), 401, "unauthorized");
    // render may not queue; queue may not render; only admin reads metrics.
    let r = s.post("/v1/letters", Some(RENDER_TOKEN), &[], &request());
    let v = assert_problem(&r, 403, "forbidden");
    assert_eq!(
        v["detail"],
        "client billing does not have the role `queue` this operation needs"
    );
    assert_problem(
        &s.post("/v1/render", Some(QUEUE_TOKEN), &[], &request()),
        403,
        "forbidden",
    );
    assert_problem(&s.get("/metrics", Some(QUEUE_TOKEN)), 403, "forbidden");
    // Admin may do everything.
    assert_eq!(
        s.post("/v1/render", Some(ADMIN_TOKEN), &[], &request())
            .status,
        200
    );
    // The token file keeps no token.
    let file = std::fs::read_to_string(s.dir.join("tokens.txt")).expect("tokens");
    assert!(!file.contains(RENDER_TOKEN));
}

#[test]
fn a_client_past_its_rate_gets_429_with_retry_after() {
    let s = start(&["--rate-limit", "1"]);
    let answers: Vec<Resp> = (0..4)
        .map(|_| s.get("/v1/catalog", Some(RENDER_TOKEN)))
        .collect();
    assert_eq!(answers[0].status, 200);
    let limited = answers
        .iter()
        .find(|r| r.status == 429)
        .expect("a burst past 1 a second is limited");
    let v = assert_problem(limited, 429, "rate-limited");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("client billing has sent more than 1 requests a second"))
    );
    // Another client has its own bucket.
    assert_eq!(s.get("/v1/catalog", Some(QUEUE_TOKEN)).status, 200);
}

#[test]
fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let s = start(&[]);
    let key = [("idempotency-key", "3f2a-key-1")];
    let first = s.post("/v1/letters", Some(QUEUE_TOKEN), &key, &request());
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = s.post("/v1/letters", Some(QUEUE_TOKEN), &key, &request());
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let other = fixture("cmsl5502-under-16");
    let r = s.post("/v1/letters", Some(QUEUE_TOKEN), &key, &other);
    let v = assert_problem(&r, 422, "idempotency-key-reused");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("first used with another request"))
    );
    let list = s.get("/v1/letters", Some(QUEUE_TOKEN)).json();
    assert_eq!(list["letters"].as_array().map(Vec::len), Some(1));
    // Kept in the outbox: a restarted server replays it too.
    let mut s = s;
    let keep = s.keep.take();
    let dir = s.dir.clone();
    drop(s);
    let s2 = start_in(keep, &dir, &[]);
    let again = s2.post("/v1/letters", Some(QUEUE_TOKEN), &key, &request());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    // Keys are per client: the admin's same key is a new request.
    let r = s2.post("/v1/letters", Some(ADMIN_TOKEN), &key, &request());
    assert_eq!((r.status, r.header("idempotent-replayed")), (200, None));
    assert_eq!(r.json()["already"], true);
}

fn queue_and_follow(s: &Server) {
    let r = s.post(
        "/v1/letters?postage=first",
        Some(QUEUE_TOKEN),
        &[],
        &request(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["schema"], "letterkit.letter.v1");
    assert_eq!(v["state"], "queued");
    assert_eq!(v["transmission"], "2026-03-02");
    assert_eq!(v["cancellable_until"], "2026-03-02T17:30:00Z");
    assert_eq!(v["postage"], "first");
    assert_eq!(v["pages"], 1);
    assert!(
        !r.text().contains("1234 5678 9012"),
        "no reference: {}",
        r.text()
    );
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/letters/{id}").as_str())
    );

    let pdf = s.get(&format!("/v1/letters/{id}/pdf"), Some(QUEUE_TOKEN));
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert_eq!(sha256_hex(&pdf.body), v["sha256"].as_str().expect("sha"));

    let shown = s
        .get(&format!("/v1/letters/{id}"), Some(QUEUE_TOKEN))
        .json();
    assert_eq!(shown["history"][0]["to"], "queued");
    assert_eq!(shown["history"][0]["by"], "caseworks");

    let l = s
        .get("/v1/letters?day=2026-03-02&state=queued", Some(QUEUE_TOKEN))
        .json();
    assert_eq!(l["letters"][0]["id"], id.as_str());
    let none = s
        .get("/v1/letters?day=2026-03-03", Some(QUEUE_TOKEN))
        .json();
    assert_eq!(none["letters"], serde_json::json!([]));
    let bad = s.get("/v1/letters?state=lost", Some(QUEUE_TOKEN));
    let b = assert_problem(&bad, 400, "bad-request");
    assert_eq!(b["errors"][0]["parameter"], "state");

    let c = s.post(
        &format!("/v1/letters/{id}/cancel"),
        Some(QUEUE_TOKEN),
        &[],
        br#"{"reason": "sent in error"}"#,
    );
    assert_eq!(c.status, 200, "{}", c.text());
    assert_eq!(c.json()["state"], "cancelled");
    let again = s.post(
        &format!("/v1/letters/{id}/cancel"),
        Some(QUEUE_TOKEN),
        &[],
        br#"{"reason": "sent in error"}"#,
    );
    let v = assert_problem(&again, 409, "refused");
    assert_eq!(v["errors"][0]["code"], "already-cancelled");
    let missing = s.post(
        "/v1/letters/nope/cancel",
        Some(QUEUE_TOKEN),
        &[],
        br#"{"reason": "x"}"#,
    );
    let v = assert_problem(&missing, 404, "not-found");
    assert_eq!(v["errors"][0]["code"], "not-found");
    let no_reason = s.post(
        &format!("/v1/letters/{id}/cancel"),
        Some(QUEUE_TOKEN),
        &[],
        br#"{"reason": ""}"#,
    );
    let v = assert_problem(&no_reason, 422, "invalid-body");
    assert_eq!(v["errors"][0]["pointer"], "/reason");
    let never_sent = s.post(
        &format!("/v1/letters/{id}/reissue"),
        Some(QUEUE_TOKEN),
        &[],
        br#"{"date": "2026-03-10", "reason": "lost in the post"}"#,
    );
    let v = assert_problem(&never_sent, 409, "refused");
    assert_eq!(v["errors"][0]["code"], "illegal-move");
}

#[test]
fn letters_are_queued_shown_listed_cancelled_and_refused_with_exact_codes() {
    let s = start(&[]);
    queue_and_follow(&s);
}

#[test]
fn the_catalog_openapi_health_and_metrics_describe_the_service() {
    let s = start(&[]);
    let c = s.get("/v1/catalog", Some(RENDER_TOKEN)).json();
    assert_eq!(c["schema"], "letterkit.catalog.v1");
    let codes: Vec<&str> = c["letters"]
        .as_array()
        .expect("letters")
        .iter()
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"CMSL5501") && codes.contains(&"CMSL5502"),
        "{codes:?}"
    );
    let one = s.get("/v1/catalog/CMSL5502", Some(RENDER_TOKEN)).json();
    assert_eq!(
        one["json_schema"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        one["json_schema"]["properties"]["letter"]["const"],
        "CMSL5502"
    );
    // The same schema as `letterkit schema` and `show --json`.
    let dir = tempfile::tempdir().expect("temp");
    let cli: Value = serde_json::from_slice(
        &letterkit(dir.path())
            .args(["schema", "CMSL5502"])
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("json");
    assert_eq!(cli, one["json_schema"]);
    let show: Value = serde_json::from_slice(
        &letterkit(dir.path())
            .args(["show", "CMSL5502", "--json"])
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("json");
    assert_eq!(show["json_schema"], cli);
    assert_eq!(show["schema"], "letterkit.show.v1");
    assert_problem(
        &s.get("/v1/catalog/CMSL9999", Some(RENDER_TOKEN)),
        404,
        "not-found",
    );

    let o = s.get("/openapi.json", None).json();
    assert_eq!(o["openapi"], "3.1.0");
    for code in &codes {
        assert!(o["components"]["schemas"][code].is_object(), "{code}");
    }
    assert!(o["paths"]["/v1/render"]["post"].is_object());
    assert!(o["paths"]["/v1/letters/{id}/cancel"]["post"].is_object());

    assert_eq!(s.get("/healthz", None).json()["status"], "ok");
    assert_eq!(s.get("/readyz", None).json()["status"], "ready");
    assert_eq!(
        s.post("/v1/render", Some(RENDER_TOKEN), &[], &request())
            .status,
        200
    );
    let _ = s.post("/v1/render", Some(RENDER_TOKEN), &[], b"{}");
    let m = s.get("/metrics", Some(ADMIN_TOKEN));
    assert_eq!(m.header("content-type"), Some("text/plain; version=0.0.4"));
    let m = m.text();
    assert!(m.contains("letterkit_letters_rendered_total 1\n"), "{m}");
    assert!(
        m.contains(
            "letterkit_http_requests_total{route=\"/v1/render\",method=\"POST\",status=\"200\"} 1\n"
        ),
        "{m}"
    );
    assert!(
        m.contains("letterkit_failures_total{code=\"missing-key\"} 3\n"),
        "{m}"
    );
    assert!(
        m.contains("letterkit_http_request_duration_seconds_count{route=\"/v1/render\"} 2\n"),
        "{m}"
    );
}

#[test]
fn logs_are_json_lines_with_request_ids_and_no_personal_data() {
    let s = start(&[]);
    let r = s.post(
        "/v1/render",
        Some(RENDER_TOKEN),
        &[("x-request-id", "trace-42")],
        &request(),
    );
    assert_eq!(r.header("x-request-id"), Some("trace-42"));
    let bad = br#"{"letter": "CMSL5501", "date": "2026-03-02", "reference": "1234 5678 9012", "recipient": {"name": "Ms Priya Patel", "address": ["Flat 3"], "postcode": "NOT A CODE"}}"#;
    let _ = s.post("/v1/letters", Some(QUEUE_TOKEN), &[], bad);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = s.log();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let req = lines
        .iter()
        .find(|l| l["request_id"] == "trace-42")
        .expect("the request's line");
    assert_eq!(req["route"], "/v1/render");
    assert_eq!(req["status"], 200);
    assert_eq!(req["client"], "billing");
    for word in [
        "Patel",
        "Priya",
        "Flat 3",
        "LS6",
        "NOT A CODE",
        "1234 5678 9012",
        "Jobcentre",
    ] {
        assert!(!log.contains(word), "the log repeats {word}: {log}");
    }
}

#[test]
fn bodies_past_the_limit_are_refused_and_insecure_mode_is_loopback_only() {
    let s = start(&["--max-body", "300"]);
    let r = s.post("/v1/render", Some(RENDER_TOKEN), &[], &request());
    let v = assert_problem(&r, 413, "body-too-large");
    assert_eq!(
        v["detail"],
        "the body is larger than this service takes (--max-body)"
    );
    let r = s.call("DELETE", "/v1/render", Some(RENDER_TOKEN), &[], None);
    assert_problem(&r, 405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("POST"));
    let dir = tempfile::tempdir().expect("temp");
    let o = letterkit(dir.path())
        .args(["serve", "--insecure-local-dev", "--bind", "0.0.0.0:0"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: --insecure-local-dev serves without tokens, so it listens on loopback only; 0.0.0.0 is not a loopback address (use 127.0.0.1 or ::1)\n"
    );
    let o = letterkit(dir.path())
        .args(["serve"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: serve needs --tokens FILE"));
}

#[test]
fn a_new_token_is_printed_once_and_its_file_line_keeps_only_the_hash() {
    let dir = tempfile::tempdir().expect("temp");
    let o = letterkit(dir.path())
        .args(["serve", "--new-token", "billing", "--roles", "render,queue"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let token = err.lines().nth(1).expect("the token").trim().to_owned();
    assert!(token.starts_with("lkt_") && token.len() == 68, "{token}");
    let line = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        line,
        format!("billing render,queue sha256:{}\n", hash(&token))
    );
    let o = letterkit(dir.path())
        .args(["serve", "--new-token", "billing", "--roles", "print"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "error: --roles: unknown role; the roles are render, queue, cancel, packs, admin\n"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_finishes_the_requests_in_flight_and_stops_cleanly() {
    let mut s = start(&[]);
    let base = s.base.clone();
    // A request in flight while the signal arrives.
    let h = std::thread::spawn(move || {
        let req = ureq::http::Request::builder()
            .method("POST")
            .uri(format!("{base}/v1/render"))
            .header("authorization", format!("Bearer {RENDER_TOKEN}"))
            .header("content-type", "application/json")
            .body(request())
            .expect("request");
        agent().run(req).map(|r| r.status().as_u16())
    });
    std::thread::sleep(std::time::Duration::from_millis(20));
    let pid = s.child.id().to_string();
    let k = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(k.success());
    let status = s.child.wait().expect("waits");
    assert_eq!(status.code(), Some(0), "exit 0 after SIGTERM");
    let answered = h.join().expect("thread");
    if let Ok(code) = answered {
        assert_eq!(code, 200);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = s.log();
    assert!(log.contains("\"msg\":\"shutting down\""), "{log}");
    assert!(log.contains("\"msg\":\"stopped\""), "{log}");
}

#[test]
fn two_servers_share_a_postgres_outbox() {
    let Ok(url) = std::env::var("LETTERKIT_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set LETTERKIT_TEST_PG"
        );
        eprintln!("skipping two_servers_share_a_postgres_outbox: set LETTERKIT_TEST_PG");
        return;
    };
    let name = format!("lk_serve_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin.batch_execute(&sql).expect("database");
    }
    let base = url.rfind('/').map_or(url.as_str(), |i| &url[..i]);
    let db = format!("{base}/{name}");
    let a = start(&["--outbox", &db]);
    let b = start(&["--outbox", &db]);
    queue_and_follow(&a);
    // What one instance queued and cancelled, the other sees.
    let l = b
        .get("/v1/letters?state=cancelled", Some(QUEUE_TOKEN))
        .json();
    assert_eq!(l["letters"].as_array().map(Vec::len), Some(1), "{l}");
    // An idempotency key used on one instance replays on the other.
    let key = [("idempotency-key", "pg-shared-1")];
    let first = a.post(
        "/v1/letters",
        Some(QUEUE_TOKEN),
        &key,
        &fixture("cmsl5502-under-16"),
    );
    assert_eq!(first.status, 201, "{}", first.text());
    let again = b.post(
        "/v1/letters",
        Some(QUEUE_TOKEN),
        &key,
        &fixture("cmsl5502-under-16"),
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
}

fn referral() -> Value {
    serde_json::json!({
        "reference": "1234 5678 9012",
        "region": "North East",
        "sr-number": "SR-1-2345678",
        "paying-parent-name": "Mr Sam Taylor",
        "paying-parent-address": ["22 Grey Street", "Newcastle upon Tyne"],
        "paying-parent-postcode": "NE1 6AE",
        "court": "Newcastle Magistrates' Court",
        "amount-owed": "2450.00",
        "pv-checked-by": "J Officer",
        "pv-result": "no-marking",
        "referral-notes": "Liability order made on 12 January 2026; no payments since."
    })
}

#[test]
fn a_commitment_pack_is_created_stepped_shown_verified_downloaded_and_bundled_over_http() {
    let dir = tempfile::tempdir().expect("temp");
    let packs = dir.path().join("packs");
    std::fs::create_dir(&packs).expect("packs folder");
    let packs_arg = packs.display().to_string();
    let s = start_in(None, dir.path(), &["--packs", &packs_arg]);
    const PACKS_TOKEN: &str = ADMIN_TOKEN;
    let body = serde_json::json!({
        "name": "sr-1-2345678", "kind": "commitment", "date": "2026-03-02", "data": referral()
    });
    // Only the packs role (or admin) may.
    assert_problem(
        &s.post(
            "/v1/packs",
            Some(QUEUE_TOKEN),
            &[],
            body.to_string().as_bytes(),
        ),
        403,
        "forbidden",
    );
    let r = s.post(
        "/v1/packs",
        Some(PACKS_TOKEN),
        &[],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["schema"], "letterkit.pack-step.v1");
    assert_eq!(
        v["added"],
        serde_json::json!([
            "01-CMEL7211-v1.pdf",
            "02-pv-check-record-v1.pdf",
            "03-ssst-referral-form-v1.pdf"
        ])
    );
    assert_eq!(v["next"], serde_json::json!(["hearing"]));
    assert!(packs.join("sr-1-2345678.zip").is_file());
    // Created once.
    let again = s.post(
        "/v1/packs",
        Some(PACKS_TOKEN),
        &[],
        body.to_string().as_bytes(),
    );
    assert_problem(&again, 409, "pack-exists");

    let hearing = serde_json::json!({"date": "2026-03-09", "data": {
        "cpo-name": "Alex Morgan", "hearing-date": "2026-04-14", "hearing-time": "10:00",
        "court-address": ["The Law Courts", "Quayside", "Newcastle upon Tyne"],
        "court-postcode": "NE1 3LA"
    }});
    let r = s.post(
        "/v1/packs/sr-1-2345678/steps/hearing",
        Some(PACKS_TOKEN),
        &[],
        hearing.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["superseded"],
        serde_json::json!(["01-CMEL7211-v1.pdf"])
    );

    // A refused step: the library's message, as the CLI prints it.
    let r = s.post(
        "/v1/packs/sr-1-2345678/steps/hearin",
        Some(PACKS_TOKEN),
        &[],
        br#"{"date": "2026-03-10"}"#,
    );
    let v = assert_problem(&r, 422, "pack-refused");
    let msg = v["errors"][0]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(
        msg.starts_with("a commitment pack has no step `hearin` (did you mean `hearing`?)"),
        "{msg}"
    );
    let cli = letterkit(dir.path())
        .args(["pack", "step"])
        .arg(packs.join("sr-1-2345678.zip"))
        .args(["hearin", "--date", "2026-03-10"])
        .output()
        .expect("runs");
    // The CLI says the same after its unsigned-pack warning.
    assert_eq!(
        String::from_utf8_lossy(&cli.stderr).lines().last(),
        Some(format!("error: {msg}").as_str())
    );

    let shown = s.get("/v1/packs/sr-1-2345678", Some(PACKS_TOKEN));
    let v = shown.json();
    assert_eq!(v["stages"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["next"], serde_json::json!(["paying-parent-letter"]));
    assert!(
        !shown.text().contains("Sam Taylor"),
        "no step data: {}",
        shown.text()
    );
    let ver = s
        .get("/v1/packs/sr-1-2345678/verify", Some(PACKS_TOKEN))
        .json();
    assert_eq!(ver["ok"], true, "{ver}");
    assert_eq!(ver["signature"], "unsigned");

    let zip = s.get("/v1/packs/sr-1-2345678/zip", Some(PACKS_TOKEN));
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert_eq!(
        zip.body,
        std::fs::read(packs.join("sr-1-2345678.zip")).expect("pack")
    );
    // The CLI verifies what the server wrote.
    let out = letterkit(dir.path())
        .args(["pack", "verify"])
        .arg(packs.join("sr-1-2345678.zip"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let b = s.get("/v1/packs/sr-1-2345678/bundle", Some(PACKS_TOKEN));
    assert_eq!(b.header("content-type"), Some("application/pdf"));
    assert_eq!(
        b.header("x-letterkit-conformance"),
        Some("pdf-ua-1, pdf-a-2a")
    );
    let text = squash(&pdf_text(&b.body));
    assert!(text.contains("Newcastle Magistrates"), "{text}");
    // include/exclude choose as the CLI's flags do: the same bytes.
    let cli_bundle = |args: &[&str]| {
        let out = letterkit(dir.path())
            .args(["pack", "bundle"])
            .arg(packs.join("sr-1-2345678.zip"))
            .args(["--out", "cli-bundle.pdf", "--force"])
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code(),
            std::fs::read(dir.path().join("cli-bundle.pdf")).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let chosen = s.get(
        "/v1/packs/sr-1-2345678/bundle?include=pv-check-record&exclude=CMEL7211",
        Some(PACKS_TOKEN),
    );
    assert_eq!(chosen.status, 200, "{}", chosen.text());
    let (code, cli, _) = cli_bundle(&["--include", "pv-check-record", "--exclude", "CMEL7211"]);
    assert_eq!(code, Some(0));
    assert_eq!(chosen.body, cli, "the same bundle as the CLI's");
    assert_ne!(chosen.body, b.body, "the choice changed it");
    let text = squash(&pdf_text(&chosen.body));
    assert!(text.contains("PV check"), "{text}");
    let refused = s.get(
        "/v1/packs/sr-1-2345678/bundle?exclude=no-such-document",
        Some(PACKS_TOKEN),
    );
    let v = assert_problem(&refused, 422, "pack-refused");
    let (code, _, stderr) = cli_bundle(&["--exclude", "no-such-document"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some(format!("error: {}", v["detail"].as_str().expect("detail")).as_str()),
        "the CLI's refusal"
    );
    let v = assert_problem(
        &s.get(
            "/v1/packs/sr-1-2345678/bundle?colour=red",
            Some(PACKS_TOKEN),
        ),
        400,
        "bad-request",
    );
    assert_eq!(v["errors"][0]["parameter"], "colour");
    assert_problem(
        &s.get("/v1/packs/nope/verify", Some(PACKS_TOKEN)),
        404,
        "not-found",
    );
    assert_problem(
        &s.get("/v1/packs/..%2Fx/zip", Some(PACKS_TOKEN)),
        404,
        "not-found",
    );
}

#[test]
fn a_pack_step_takes_attachments_in_base64_checked_as_the_cli_checks_them() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().expect("temp");
    let packs = dir.path().join("packs");
    std::fs::create_dir(&packs).expect("packs folder");
    let packs_arg = packs.display().to_string();
    let s = start_in(None, dir.path(), &["--packs", &packs_arg]);
    let yaml = std::fs::read_to_string(root().join("fixtures/packs/county-court/create.yaml"))
        .expect("fixture");
    let data: Value = serde_saphyr::from_str(&yaml).expect("yaml");
    let make = |attachments: Value| {
        serde_json::json!({"name": "cc-1", "kind": "county-court", "date": "2026-03-02",
                           "data": data, "attachments": attachments})
        .to_string()
    };
    let r = s.post(
        "/v1/packs",
        Some(ADMIN_TOKEN),
        &[],
        make(serde_json::json!([])).as_bytes(),
    );
    let v = assert_problem(&r, 422, "pack-refused");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("needs at least one supporting document")),
        "{v}"
    );
    let bad = serde_json::json!([{"name": "x.pdf", "content_base64": "not base64!"}]);
    let v = assert_problem(
        &s.post("/v1/packs", Some(ADMIN_TOKEN), &[], make(bad).as_bytes()),
        422,
        "invalid-body",
    );
    assert_eq!(v["errors"][0]["pointer"], "/attachments/0/content_base64");
    let pdf = std::fs::read(root().join("fixtures/packs/attachments/statement.pdf")).expect("pdf");
    let good = serde_json::json!([{"name": "statement.pdf",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(&pdf)}]);
    let r = s.post("/v1/packs", Some(ADMIN_TOKEN), &[], make(good).as_bytes());
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(
        r.json()["added"].as_array().is_some_and(|a| a
            .iter()
            .any(|f| f.as_str().is_some_and(|f| f.ends_with("attachment-1.pdf")))),
        "{}",
        r.text()
    );
    // Kept byte for byte.
    let shown = s.get("/v1/packs/cc-1", Some(ADMIN_TOKEN)).json();
    let entry = shown["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["code"] == "attachment"))
        .expect("the attachment");
    assert_eq!(entry["sha256"], sha256_hex(&pdf));
    let b = s.get("/v1/packs/cc-1/bundle", Some(ADMIN_TOKEN));
    assert_eq!(b.status, 200, "{}", b.text());
    assert_eq!(
        b.header("x-letterkit-conformance"),
        Some("pdf-ua-1, pdf-a-2a")
    );
    // An attachment whose font is not embedded keeps the bundle from
    // conforming: the header says so, naming the kind, never the file.
    let times = crate::tagged_merge::untagged_pdf(Some("Times-Roman"));
    let body = make(serde_json::json!([{"name": "Priya Patel statement.pdf",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(&times)}]))
    .replace("\"cc-1\"", "\"cc-2\"");
    let r = s.post("/v1/packs", Some(ADMIN_TOKEN), &[], body.as_bytes());
    assert_eq!(r.status, 201, "{}", r.text());
    let b = s.get("/v1/packs/cc-2/bundle", Some(ADMIN_TOKEN));
    assert_eq!(b.status, 200, "{}", b.text());
    assert_eq!(
        b.header("x-letterkit-conformance"),
        Some("none; reason=font-not-embedded; problems=1")
    );
}

/// The CMSL5501 fixture as a braille request.
fn braille_request() -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&request()).expect("json");
    v["format"] = Value::from("braille");
    v.to_string().into_bytes()
}

#[test]
fn a_braille_letter_is_rendered_as_json_and_queued_with_its_brf_and_pef() {
    use base64::Engine as _;
    let s = start(&[]);
    // What the CLI makes of the same request.
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(dir.path().join("request.json"), braille_request()).expect("write");
    let o = letterkit(dir.path())
        .args(["render", "request.json", "--out", "x"])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |f: &str| std::fs::read(dir.path().join(f)).expect(f);
    let (pdf, brf, pef) = (read("x.pdf"), read("x.brf"), read("x.pef"));

    let r = s.post("/v1/render", Some(RENDER_TOKEN), &[], &braille_request());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["schema"], "letterkit.render-braille.v1");
    assert_eq!(v["code"], "CMSL5501");
    assert_eq!(v["pages"], 1);
    let decode = |k: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(v[k].as_str().expect("base64"))
            .expect("decodes")
    };
    assert_eq!(decode("pdf_base64"), pdf, "the carrier page");
    assert_eq!(decode("brf_base64"), brf);
    assert_eq!(decode("pef_base64"), pef);
    assert_eq!(v["sha256"], sha256_hex(&pdf));
    assert_eq!(v["brf_sha256"], sha256_hex(&brf));
    assert_eq!(v["pef_sha256"], sha256_hex(&pef));
    assert_eq!(v["brf_bytes"], brf.len());
    assert_eq!(
        v["braille_pages"],
        brf.iter().filter(|c| **c == 0x0c).count()
    );
    // A PDF alone would lose the braille: 406, saying how to ask.
    let r = s.post(
        "/v1/render",
        Some(RENDER_TOKEN),
        &[("accept", "application/pdf")],
        &braille_request(),
    );
    let p = assert_problem(&r, 406, "braille-needs-json");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Accept: application/json")),
        "{p}"
    );

    // Queued: the carrier page as the PDF, the BRF and PEF beside it.
    let r = s.post("/v1/letters", Some(QUEUE_TOKEN), &[], &braille_request());
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(v["braille"]["format"], "braille:2:a4");
    assert_eq!(v["braille"]["brf"]["href"], format!("/v1/letters/{id}/brf"));
    assert_eq!(v["braille"]["brf"]["sha256"], sha256_hex(&brf));
    assert_eq!(v["braille"]["pef"]["sha256"], sha256_hex(&pef));
    let shown = s
        .get(&format!("/v1/letters/{id}"), Some(QUEUE_TOKEN))
        .json();
    assert_eq!(shown["braille"], v["braille"]);
    let got = s.get(&format!("/v1/letters/{id}/pdf"), Some(QUEUE_TOKEN));
    assert_eq!(got.body, pdf);
    let got = s.get(&format!("/v1/letters/{id}/brf"), Some(QUEUE_TOKEN));
    assert_eq!(got.status, 200);
    assert_eq!(
        got.header("content-type"),
        Some("text/plain; charset=us-ascii")
    );
    assert_eq!(got.body, brf);
    let got = s.get(&format!("/v1/letters/{id}/pef"), Some(QUEUE_TOKEN));
    assert_eq!(got.header("content-type"), Some("application/x-pef+xml"));
    assert_eq!(got.body, pef);
    // A print letter has none.
    let print = s.post("/v1/letters", Some(QUEUE_TOKEN), &[], &request());
    assert_eq!(print.status, 201, "{}", print.text());
    let pid = print.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(print.json()["braille"], Value::Null);
    let v = assert_problem(
        &s.get(&format!("/v1/letters/{pid}/brf"), Some(QUEUE_TOKEN)),
        409,
        "refused",
    );
    assert_eq!(v["errors"][0]["code"], "not-braille");
    assert_problem(
        &s.get("/v1/letters/nope/pef", Some(QUEUE_TOKEN)),
        404,
        "not-found",
    );
    // The render role cannot read the outbox.
    assert_problem(
        &s.get(&format!("/v1/letters/{id}/brf"), Some(RENDER_TOKEN)),
        403,
        "forbidden",
    );
    // A client recorded as braille gets braille from a standard request.
    let mut v: Value = serde_json::from_slice(&request()).expect("json");
    let reference = v["reference"].as_str().expect("reference").to_owned();
    let o = letterkit(&s.dir)
        .args([
            "outbox", "client", &reference, "--format", "braille", "--grade", "1",
        ])
        .args([
            "--profile",
            "book",
            "--reason",
            "client is blind",
            "--by",
            "AB1",
        ])
        .args(["--outbox", "outbox.sqlite"])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    v["id"] = Value::from("recorded-1");
    let r = s.post(
        "/v1/letters",
        Some(QUEUE_TOKEN),
        &[],
        v.to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["braille"]["format"], "braille:1:book");
}
