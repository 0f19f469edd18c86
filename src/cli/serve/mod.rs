//! `letterkit serve`: the HTTP JSON service (issue 12).
//!
//! The async runtime lives here only: the library stays synchronous, and
//! every render and outbox call runs on tokio's blocking pool
//! (`spawn_blocking`). The clock is read here, at the edge: each request
//! that changes the outbox gets an [`Actor`] (the client's id, now).
//!
//! - [`auth`]: bearer tokens per client (hashed at rest), roles, rate limit.
//! - [`problem`]: RFC 9457 problem details with every diagnostic.
//! - [`api`]: the routes under `/v1`; [`packs`]: `/v1/packs`.
//! - [`openapi`]: `/openapi.json`, built at start-up from the catalog.
//! - [`web`]: the officers' web pages (`--officers FILE`, issue 14).
//! - this file: arguments, state, request ids and JSON-lines logs, metrics,
//!   idempotency keys, health, graceful shutdown.

pub mod api;
pub mod auth;
pub mod openapi;
pub mod packs;
pub mod problem;
pub mod web;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use letterkit::Engine;
use letterkit::outbox::calendar::Timestamp;
use letterkit::outbox::store::Idempotent;
use letterkit::outbox::{Actor, Outbox};
use sha2::{Digest, Sha256};

use super::output::{err, out};
use super::{CONFIG_ERROR, OK};
use auth::{Caller, Clients, RateLimiter, Role};
use problem::Problem;

/// Serve letters over HTTP: render, queue in the outbox, the catalog, OpenAPI.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit serve --new-token billing --roles render,queue >> tokens.txt   (prints the token once)\n  letterkit serve --tokens tokens.txt --outbox outbox.sqlite\n  letterkit serve --tokens tokens.txt --outbox postgres://letterkit@localhost/outbox --bind 0.0.0.0:8080\n  letterkit serve --insecure-local-dev      (no tokens; loopback only)"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    bind: String,
    /// The clients' token file: `CLIENT ROLES sha256:HASH` a line.
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// No tokens: every request is the client `local-dev` with every role. Loopback only.
    #[arg(long, conflicts_with = "tokens")]
    insecure_local_dev: bool,
    /// The outbox: a SQLite file, or postgres://... (default: LETTERKIT_OUTBOX, else outbox.sqlite).
    #[arg(long, value_name = "FILE|URL")]
    outbox: Option<String>,
    /// Requests a second each client may send (bursts of as many); 0 for no limit.
    #[arg(long, default_value_t = 50, value_name = "N")]
    rate_limit: u32,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    max_body: usize,
    /// Make a token for CLIENT, print it and its token-file line, and exit.
    #[arg(long, value_name = "CLIENT", conflicts_with_all = ["tokens", "insecure_local_dev", "new_officer"])]
    new_token: Option<String>,
    /// The roles of --new-token or --new-officer: render, queue, cancel, packs, admin (comma-separated).
    #[arg(long, value_name = "ROLES", default_value = "render")]
    roles: String,
    /// Serve the officers' web pages; the officers who may sign in: `ID ROLES $argon2id$...` a line.
    #[arg(long, value_name = "FILE")]
    officers: Option<PathBuf>,
    /// Add an officer: read a password from standard input, print the officers-file line, and exit.
    #[arg(long, value_name = "ID", conflicts_with_all = ["tokens", "insecure_local_dev", "officers"])]
    new_officer: Option<String>,
    /// Append the web pages' audit log (JSON lines) to FILE (default: standard error).
    #[arg(long, value_name = "FILE", requires = "officers")]
    audit_log: Option<PathBuf>,
    /// Always mark the session cookie Secure (it is when X-Forwarded-Proto says https).
    #[arg(long, requires = "officers")]
    secure_cookies: bool,
    /// Keep court packs in DIR (one NAME.zip a pack) and serve /v1/packs.
    #[arg(long, value_name = "DIR")]
    packs: Option<PathBuf>,
    #[command(flatten)]
    key: super::pack::KeyArgs,
    /// Take this instant as now for every request (tests and replays).
    #[arg(long, hide = true, value_name = "TIME")]
    now: Option<String>,
}

/// Everything a request handler shares.
pub struct AppState {
    /// The engine (catalog, fonts, templates).
    pub engine: Arc<Engine>,
    /// The outbox (one connection, used on the blocking pool).
    pub outbox: Arc<Mutex<Outbox>>,
    /// The clients.
    pub clients: Clients,
    /// `--insecure-local-dev`.
    pub insecure_local_dev: bool,
    /// Requests a second per client.
    pub rate_limit: u32,
    /// The per-client buckets.
    pub limiter: RateLimiter,
    /// `/openapi.json`.
    pub openapi: Bytes,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// A fixed now, for tests.
    pub now: Option<Timestamp>,
    /// Idempotency keys being answered now.
    pub in_flight: Mutex<HashSet<String>>,
    /// The packs folder (`--packs`).
    pub packs: Option<letterkit::pack::folder::PackFolder>,
    /// The officers' web pages (`--officers`).
    pub web: Option<web::Web>,
    /// One permit per core: letters are parsed and rendered this many at a
    /// time, the rest wait their turn in order (fair), which keeps the tail
    /// latency close to the queue's length times a render.
    pub render_slots: tokio::sync::Semaphore,
}

impl AppState {
    /// The actor of a request by `caller`: the clock is read here.
    pub fn actor(&self, caller: &Caller) -> Actor {
        Actor::new(caller.0.id.clone(), self.now.unwrap_or_else(Timestamp::now))
    }
}

/// Runs `f` on the blocking pool with the outbox.
///
/// # Errors
/// A 500 problem when the task panicked.
pub async fn with_outbox<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&mut Outbox) -> T + Send + 'static,
) -> Result<T, Problem> {
    let outbox = st.outbox.clone();
    tokio::task::spawn_blocking(move || {
        let mut o = outbox
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut o)
    })
    .await
    .map_err(|_| Problem::internal("the operation failed unexpectedly; see the log"))
}

/// Counters and latency histograms for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<MetricsInner>,
    /// Letters rendered (by `/v1/render` and `/v1/letters`).
    pub rendered: AtomicU64,
    in_flight: AtomicU64,
}

#[derive(Default)]
struct MetricsInner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, ([u64; BUCKETS.len()], u64, f64)>,
    failures: BTreeMap<String, u64>,
}

const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, secs: f64, codes: &[String]) {
        let mut m = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *m.requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        let l = m.latency.entry(route.to_owned()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                l.0[i] += 1;
            }
        }
        l.1 += 1;
        l.2 += secs;
        for c in codes {
            *m.failures.entry(c.clone()).or_default() += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let m = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut o = String::new();
        o.push_str("# HELP letterkit_http_requests_total HTTP requests answered.\n# TYPE letterkit_http_requests_total counter\n");
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                o,
                "letterkit_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        o.push_str("# HELP letterkit_http_request_duration_seconds Time to answer, by route.\n# TYPE letterkit_http_request_duration_seconds histogram\n");
        for (route, (b, count, sum)) in &m.latency {
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "letterkit_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {}",
                    b[i]
                );
            }
            let _ = writeln!(
                o,
                "letterkit_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                o,
                "letterkit_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                o,
                "letterkit_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        o.push_str("# HELP letterkit_letters_rendered_total Letters rendered.\n# TYPE letterkit_letters_rendered_total counter\n");
        let _ = writeln!(
            o,
            "letterkit_letters_rendered_total {}",
            self.rendered.load(Ordering::Relaxed)
        );
        o.push_str("# HELP letterkit_failures_total Problems answered, by code.\n# TYPE letterkit_failures_total counter\n");
        for (code, n) in &m.failures {
            let _ = writeln!(o, "letterkit_failures_total{{code=\"{code}\"}} {n}");
        }
        o.push_str("# HELP letterkit_http_in_flight Requests being answered.\n# TYPE letterkit_http_in_flight gauge\n");
        let _ = writeln!(
            o,
            "letterkit_http_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        o
    }
}

/// Where the auth extractor leaves the client's id for the request log.
#[derive(Clone, Default)]
pub struct LogSlot(Arc<Mutex<Option<String>>>);

impl LogSlot {
    /// Records the client.
    pub fn set_client(&self, id: &str) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(id.to_owned());
    }

    fn client(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// The request id: from `X-Request-Id` when it is a plain token, else
/// made here.
fn request_id(headers: &HeaderMap) -> String {
    let given = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    match given {
        Some(v) => v.to_owned(),
        None => {
            let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
            format!("{:08x}-{n:x}", std::process::id())
        }
    }
}

/// One JSON line on standard error: never a body, a query or a path with
/// ids (the route's template is logged), so never personal data.
pub fn log(level: &str, msg: &str, fields: serde_json::Value) {
    let mut line = serde_json::json!({
        "ts": Timestamp::now().to_string(),
        "level": level,
        "msg": msg,
    });
    if let (Some(l), Some(f)) = (line.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            l.insert(k.clone(), v.clone());
        }
    }
    err(&line.to_string());
}

async fn observe(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(req.headers());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let slot = LogSlot::default();
    req.extensions_mut().insert(slot.clone());
    st.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let mut resp = as_problem(next.run(req).await);
    st.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let codes = resp
        .extensions()
        .get::<problem::ProblemCodes>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    st.metrics.record(&method, &route, status, secs, &codes);
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    log(
        if status >= 500 { "error" } else { "info" },
        "request",
        serde_json::json!({
            "request_id": id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": (secs * 1000.0 * 1000.0).round() / 1000.0,
            "client": slot.client(),
            "problems": codes,
        }),
    );
    resp
}

/// axum's own refusals (a body over the limit, a method a route does not
/// have, a path it cannot read) as problem+json like every other error.
fn as_problem(resp: Response) -> Response {
    let status = resp.status();
    // A problem already, or a web page (which says what went wrong itself).
    let is_problem = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(problem::PROBLEM_JSON.as_bytes())
            || v.as_bytes().starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return resp;
    }
    let (slug, detail) = match status.as_u16() {
        413 => (
            "body-too-large",
            "the body is larger than this service takes (--max-body)".to_owned(),
        ),
        405 => (
            "method-not-allowed",
            "this path does not take that method; /openapi.json lists the methods".to_owned(),
        ),
        n => (
            "bad-request",
            format!("the request could not be read (HTTP {n})"),
        ),
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let allow = resp.headers().get(header::ALLOW).cloned();
    let mut p = Problem::new(status.as_u16(), slug, title, detail).into_response();
    if let Some(a) = allow {
        p.headers_mut().insert(header::ALLOW, a);
    }
    p
}

/// Answers `f` once per idempotency key: a request with the same
/// `Idempotency-Key` (per client) and the same method, path and body gets
/// the first answer again (`Idempotent-Replayed: true`); with another body,
/// 422. Without the header, `f` runs every time.
pub async fn idempotent<F, Fut>(
    st: &Arc<AppState>,
    caller: &Caller,
    headers: &HeaderMap,
    what: &str,
    body: &[u8],
    f: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let Some(key) = headers.get("idempotency-key") else {
        return f().await;
    };
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()) => {
            k.to_owned()
        }
        _ => {
            return Problem::bad_request(
                "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is usual)",
            )
            .into_response();
        }
    };
    let mut h = Sha256::new();
    h.update(what.as_bytes());
    h.update(b"\n");
    h.update(body);
    let fingerprint: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let stored_key = format!("{}:{key}", caller.0.id);
    let k = stored_key.clone();
    let found = match with_outbox(st, move |o| o.idempotent(&k)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return store_problem(&e).into_response(),
        Err(p) => return p.into_response(),
    };
    if let Some(first) = found {
        return replay(first, &fingerprint);
    }
    {
        let mut busy = st
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !busy.insert(stored_key.clone()) {
            return Problem::new(
                409,
                "idempotency-key-in-use",
                "Conflict",
                "a request with this Idempotency-Key is still being answered; try again when it has finished",
            )
            .into_response();
        }
    }
    let resp = f().await;
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let status = parts.status.as_u16();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut out = Response::from_parts(parts, axum::body::Body::from(bytes.clone()));
    if status < 500 {
        let record = Idempotent {
            key: stored_key.clone(),
            fingerprint: fingerprint.clone(),
            status,
            content_type,
            body: bytes.to_vec(),
            created_at: st.now.unwrap_or_else(Timestamp::now),
        };
        match with_outbox(st, move |o| o.remember(&record)).await {
            Ok(Ok(kept)) if kept.fingerprint != fingerprint || kept.body != bytes.as_ref() => {
                // Another instance answered the same key first: its answer stands.
                out = replay(kept, &fingerprint);
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => out = store_problem(&e).into_response(),
            Err(p) => out = p.into_response(),
        }
    }
    st.in_flight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&stored_key);
    out
}

fn replay(first: Idempotent, fingerprint: &str) -> Response {
    if first.fingerprint != fingerprint {
        return Problem::new(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "this Idempotency-Key was first used with another request (a different method, path or body); use a new key for a new request",
        )
        .into_response();
    }
    let status = StatusCode::from_u16(first.status).unwrap_or(StatusCode::OK);
    let mut r = (status, first.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&first.content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

/// The problem for an outbox store failure (503: the store may come back).
pub fn store_problem(e: &letterkit::outbox::OutboxError) -> Problem {
    log(
        "error",
        "outbox",
        serde_json::json!({"error": e.to_string()}),
    );
    Problem::new(
        503,
        "outbox-unavailable",
        "Service Unavailable",
        "the outbox could not be used; try again later",
    )
    .retry_after(5)
}

async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    match with_outbox(&st, |o| o.settings().map(|_| ())).await {
        Ok(Ok(())) => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ready"}"#,
        )
            .into_response(),
        _ => Problem::new(
            503,
            "not-ready",
            "Service Unavailable",
            "the outbox cannot be reached",
        )
        .into_response(),
    }
}

async fn metrics(State(st): State<Arc<AppState>>, caller: Caller) -> Response {
    if let Err(p) = caller.require(Role::Admin) {
        return p.into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

async fn openapi_json(State(st): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        st.openapi.clone(),
    )
        .into_response()
}

async fn fallback() -> Problem {
    Problem::not_found("there is nothing at this path; /openapi.json lists the paths")
}

/// The whole service: routes, body limit, request ids and logs.
pub fn router(state: Arc<AppState>, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .merge(api::routes())
        .merge(packs::routes())
        .merge(if state.web.is_some() {
            web::routes()
        } else {
            Router::new()
        })
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

fn random_token() -> std::io::Result<String> {
    use std::io::Read as _;
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(format!(
        "lkt_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

fn new_token(client: &str, roles: &str) -> i32 {
    if let Err(m) = letterkit::outbox::check_officer(client) {
        err(&format!(
            "error: --new-token: the client id {}",
            m.replace("an officer id is", "is")
        ));
        return CONFIG_ERROR;
    }
    let line = format!("{client} {roles} sha256:{}", "0".repeat(64));
    if let Err(e) = Clients::parse(&line, "--roles") {
        for m in e {
            err(&format!("error: {}", m.replace("--roles:1: ", "--roles: ")));
        }
        return CONFIG_ERROR;
    }
    let token = match random_token() {
        Ok(t) => t,
        Err(e) => {
            err(&format!("error: cannot read random bytes: {e}"));
            return CONFIG_ERROR;
        }
    };
    err(&format!(
        "the token for {client} (shown once; the file keeps only its hash):\n{token}"
    ));
    out(&format!(
        "{client} {roles} sha256:{}\n",
        auth::token_hash(&token)
    ));
    OK
}

fn new_officer(id: &str, roles: &str) -> i32 {
    let line = format!(
        "{id} {roles} $argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    );
    if let Err(e) = web::officers::Officers::parse(&line, "--new-officer") {
        for m in e {
            err(&format!(
                "error: {}",
                m.replace("--new-officer:1: ", "--new-officer: ")
            ));
        }
        return CONFIG_ERROR;
    }
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        err(&format!(
            "error: cannot read the password from standard input: {e}"
        ));
        return CONFIG_ERROR;
    }
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < web::officers::MIN_PASSWORD {
        err(&format!(
            "error: --new-officer: the password (one line on standard input) must be at least {} characters",
            web::officers::MIN_PASSWORD
        ));
        return CONFIG_ERROR;
    }
    match web::officers::hash_password(password) {
        Ok(h) => {
            out(&format!("{id} {roles} {h}\n"));
            OK
        }
        Err(m) => {
            err(&format!("error: {m}"));
            CONFIG_ERROR
        }
    }
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    if let Some(client) = &args.new_token {
        return new_token(client, &args.roles);
    }
    if let Some(id) = &args.new_officer {
        return new_officer(id, &args.roles);
    }
    let addr: SocketAddr = match args.bind.parse() {
        Ok(a) => a,
        Err(_) => {
            err(&format!(
                "error: --bind `{}` is not an address and port, e.g. 127.0.0.1:8080",
                args.bind
            ));
            return CONFIG_ERROR;
        }
    };
    let clients = match (&args.tokens, args.insecure_local_dev) {
        (Some(path), _) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    err(&format!("error: cannot read {}: {e}", path.display()));
                    return CONFIG_ERROR;
                }
            };
            match Clients::parse(&text, &path.display().to_string()) {
                Ok(c) if c.len() > 0 => c,
                Ok(_) => {
                    err(&format!(
                        "error: {} lists no client; add one with letterkit serve --new-token CLIENT --roles ROLES >> {}",
                        path.display(),
                        path.display()
                    ));
                    return CONFIG_ERROR;
                }
                Err(errors) => {
                    for e in errors {
                        err(&format!("error: {e}"));
                    }
                    return CONFIG_ERROR;
                }
            }
        }
        (None, true) => {
            if !addr.ip().is_loopback() {
                err(&format!(
                    "error: --insecure-local-dev serves without tokens, so it listens on loopback only; {} is not a loopback address (use 127.0.0.1 or ::1)",
                    addr.ip()
                ));
                return CONFIG_ERROR;
            }
            Clients::default()
        }
        (None, false) if args.officers.is_some() => Clients::default(),
        (None, false) => {
            err(
                "error: serve needs --tokens FILE (clients and the hashes of their tokens; letterkit serve --new-token CLIENT makes a line), or --insecure-local-dev to try it on this machine without tokens",
            );
            return CONFIG_ERROR;
        }
    };
    let now = match args.now.as_deref().map(super::outbox::parse_now) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(m)) => {
            err(&format!("error: {m}"));
            return CONFIG_ERROR;
        }
    };
    let packs = match &args.packs {
        None => None,
        Some(dir) if !dir.is_dir() => {
            err(&format!(
                "error: --packs {} is not a folder; create it first",
                dir.display()
            ));
            return CONFIG_ERROR;
        }
        Some(dir) => match args.key.key() {
            Ok(key) => Some(letterkit::pack::folder::PackFolder::new(dir, key)),
            Err(m) => {
                err(&format!("error: {m}"));
                return CONFIG_ERROR;
            }
        },
    };
    let web = match &args.officers {
        None => None,
        Some(path) => match web_state(path, &args) {
            Ok(w) => Some(w),
            Err(errors) => {
                for e in errors {
                    err(&format!("error: {e}"));
                }
                return CONFIG_ERROR;
            }
        },
    };
    let engine = match super::load(catalog) {
        Ok(e) => Arc::new(e),
        Err(code) => return code,
    };
    let location = args
        .outbox
        .clone()
        .or_else(|| std::env::var("LETTERKIT_OUTBOX").ok())
        .unwrap_or_else(|| "outbox.sqlite".to_owned());
    let outbox = match Outbox::open_location(&location) {
        Ok(o) => o,
        Err(e) => {
            super::print_error(&e);
            return CONFIG_ERROR;
        }
    };
    let openapi =
        Bytes::from(serde_json::to_vec_pretty(&openapi::spec(&engine)).unwrap_or_default());
    let state = Arc::new(AppState {
        engine,
        outbox: Arc::new(Mutex::new(outbox)),
        clients,
        insecure_local_dev: args.insecure_local_dev,
        rate_limit: args.rate_limit,
        limiter: RateLimiter::new(args.rate_limit),
        openapi,
        metrics: Metrics::default(),
        now,
        in_flight: Mutex::new(HashSet::new()),
        packs,
        web,
        render_slots: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, usize::from),
        ),
    });
    // Renders run on the blocking pool: a few threads per core keep the
    // cores busy without a thread (and its font caches) per connection.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads((cores * 2).max(4))
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            err(&format!("error: cannot start the async runtime: {e}"));
            return CONFIG_ERROR;
        }
    };
    runtime.block_on(serve(state, addr, args.max_body))
}

/// The web pages' state from `--officers` and its flags.
fn web_state(path: &PathBuf, args: &Args) -> Result<web::Web, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("cannot read {}: {e}", path.display())])?;
    let officers = web::officers::Officers::parse(&text, &path.display().to_string())?;
    if officers.len() == 0 {
        return Err(vec![format!(
            "{} lists no officer; add one with letterkit serve --new-officer ID --roles ROLES >> {}",
            path.display(),
            path.display()
        )]);
    }
    let audit = web::Audit::open(args.audit_log.as_ref()).map_err(|e| {
        vec![format!(
            "cannot open the audit log {}: {e}",
            args.audit_log
                .as_ref()
                .map_or_else(String::new, |p| p.display().to_string())
        )]
    })?;
    web::Web::new(officers, audit, args.secure_cookies, args.packs.clone()).map_err(|e| vec![e])
}

async fn serve(state: Arc<AppState>, addr: SocketAddr, max_body: usize) -> i32 {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            err(&format!("error: cannot listen on {addr}: {e}"));
            return CONFIG_ERROR;
        }
    };
    let local = listener.local_addr().map_or(addr, |a| a);
    log(
        "info",
        "listening",
        serde_json::json!({
            "address": format!("http://{local}"),
            "clients": state.clients.len(),
            "officers": state.web.as_ref().map(|w| w.officers.len()),
            "insecure_local_dev": state.insecure_local_dev,
        }),
    );
    let app = router(state, max_body);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await;
    match result {
        Ok(()) => {
            log("info", "stopped", serde_json::json!({}));
            OK
        }
        Err(e) => {
            err(&format!("error: the server failed: {e}"));
            1
        }
    }
}

/// SIGTERM or Ctrl-C: stop taking connections, finish the requests in
/// flight, then return.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    log(
        "info",
        "shutting down",
        serde_json::json!({"reason": "signal; finishing the requests in flight"}),
    );
    // Give a moment for the log line; the server drains connections itself.
    tokio::time::sleep(Duration::from_millis(10)).await;
}
