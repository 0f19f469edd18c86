//! The officers' web pages (issue 14): court packs, letters and the outbox
//! in a browser, served by `letterkit serve --officers FILE`.
//!
//! Server-rendered HTML (Tera templates compiled into the binary) with
//! GOV.UK Frontend's styles and components (`vendor/govuk-frontend`,
//! fonts-free); every page works without JavaScript. Each page calls the
//! same library functions as the CLI and the JSON API (`pack::folder` and
//! the pack's steps, `Engine::request_from_value` and `Engine::render`,
//! `outbox::Outbox`), so a step or a letter is checked exactly once, by
//! the library, and refused with the CLI's words.
//!
//! - [`officers`]: the officers file (argon2id password hashes, roles).
//! - [`session`]: the session cookie, CSRF tokens, letter drafts.
//! - [`form`]: form fields, the values sent, the error summary.
//! - [`packs`], [`letters`], [`outbox`]: the pages.
//! - this file: the state, sign-in and sign-out, the `Officer` extractor,
//!   CSRF checks, the audit log, security headers, page rendering, assets.

// A refusal is a whole page (an axum `Response`); boxing it would only add
// an allocation to every refused request.
#![allow(clippy::result_large_err)]

pub mod form;
pub mod letters;
pub mod officers;
pub mod outbox;
pub mod packs;
pub mod session;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use letterkit::outbox::Actor;
use letterkit::outbox::calendar::Timestamp;
use serde::Deserialize;

use super::AppState;
use super::auth::Role;
use officers::{Officer, Officers};
use session::Sessions;

/// The Content-Security-Policy of every page: scripts, styles and images
/// from this server only, nothing inline, no plugins, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the web pages share.
pub struct Web {
    /// The officers who may sign in.
    pub officers: Officers,
    /// The sessions.
    pub sessions: Mutex<Sessions>,
    /// The audit log.
    pub audit: Audit,
    /// `--secure-cookies`: always mark the cookie `Secure`.
    pub secure: bool,
    /// The packs folder, to list it.
    pub packs_dir: Option<PathBuf>,
    /// Wrong passwords by officer id: how many, since when.
    failures: Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
    tera: tera::Tera,
}

/// Wrong passwords for one officer id before sign-in is refused for
/// [`LOCKOUT`] (without checking the password).
pub const MAX_FAILURES: u32 = 5;

/// How long sign-in stays refused after [`MAX_FAILURES`] wrong passwords
/// (counted within this time too).
pub const LOCKOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The audit log: one JSON line per officer action, with the officer's id,
/// the action, what it was done to (a pack name, a letter code or outbox
/// id) and the outcome; never a name, an address, a reference or a form
/// value.
pub struct Audit {
    file: Option<Mutex<std::fs::File>>,
}

impl Audit {
    /// Appends to `path` (created when missing), or writes to standard
    /// error (beside the request log) when there is no path.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: Option<&PathBuf>) -> std::io::Result<Audit> {
        let file = match path {
            None => None,
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?,
            )),
        };
        Ok(Audit { file })
    }

    /// Records one action.
    pub fn record(&self, officer: &str, action: &str, target: Option<&str>, outcome: &str) {
        let line = serde_json::json!({
            "ts": Timestamp::now().to_string(),
            "officer": officer,
            "action": action,
            "target": target,
            "outcome": outcome,
        });
        match &self.file {
            Some(f) => {
                let mut f = f.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if writeln!(f, "{line}").and_then(|()| f.flush()).is_err() {
                    super::log(
                        "error",
                        "audit log write failed",
                        serde_json::json!({"action": action}),
                    );
                }
            }
            None => super::log("info", "audit", line),
        }
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("sign_in.html", include_str!("templates/sign_in.html")),
    ("message.html", include_str!("templates/message.html")),
    ("packs.html", include_str!("templates/packs.html")),
    ("pack_new.html", include_str!("templates/pack_new.html")),
    ("pack_form.html", include_str!("templates/pack_form.html")),
    ("pack.html", include_str!("templates/pack.html")),
    ("letters.html", include_str!("templates/letters.html")),
    (
        "letter_form.html",
        include_str!("templates/letter_form.html"),
    ),
    (
        "letter_draft.html",
        include_str!("templates/letter_draft.html"),
    ),
    ("outbox.html", include_str!("templates/outbox.html")),
    (
        "outbox_letter.html",
        include_str!("templates/outbox_letter.html"),
    ),
    (
        "outbox_action.html",
        include_str!("templates/outbox_action.html"),
    ),
];

impl Web {
    /// The web pages' state.
    ///
    /// # Errors
    /// When a template does not compile (a build defect) or the audit log
    /// cannot be opened.
    pub fn new(
        officers: Officers,
        audit: Audit,
        secure: bool,
        packs_dir: Option<PathBuf>,
    ) -> Result<Web, String> {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(TEMPLATES.to_vec())
            .map_err(|e| format!("the web templates do not compile: {e:?}"))?;
        tera.autoescape_on(vec![".html"]);
        Ok(Web {
            officers,
            sessions: Mutex::new(Sessions::default()),
            audit,
            secure,
            packs_dir,
            failures: Mutex::new(std::collections::HashMap::new()),
            tera,
        })
    }

    /// The minutes left while `id` may not sign in, if it may not.
    fn locked(&self, id: &str) -> Option<u64> {
        let f = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (n, since) = f.get(id)?;
        let age = since.elapsed();
        (*n >= MAX_FAILURES && age < LOCKOUT).then(|| (LOCKOUT - age).as_secs().div_ceil(60))
    }

    /// Counts a wrong password for `id` (or forgets them after a right one).
    fn count_failure(&self, id: &str, failed: bool) {
        let mut f = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !failed {
            f.remove(id);
            return;
        }
        f.retain(|_, (_, since)| since.elapsed() < LOCKOUT);
        if f.len() >= 10_000 && !f.contains_key(id) {
            return; // bounded: under a flood of made-up ids, argon2's cost is the limit
        }
        let e = f
            .entry(id.to_owned())
            .or_insert((0, std::time::Instant::now()));
        e.0 += 1;
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// An officer signed in, with their session.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The officer.
    pub officer: Officer,
    /// The session id.
    pub sid: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// A message left for this page.
    pub flash: Option<String>,
    /// Whether the cookie should be `Secure`.
    pub secure: bool,
}

impl Signed {
    /// The actor of an outbox change: the officer, now (read here, at the edge).
    pub fn actor(&self, st: &AppState) -> Actor {
        Actor::new(
            self.officer.id.clone(),
            st.now.unwrap_or_else(Timestamp::now),
        )
    }

    /// Refuses (403 page) unless the officer has `role`.
    ///
    /// # Errors
    /// The 403 page.
    pub fn require(&self, st: &AppState, role: Role) -> Result<(), Response> {
        if self.officer.may(role) {
            return Ok(());
        }
        Err(message(
            st,
            Some(self),
            StatusCode::FORBIDDEN,
            "You cannot use this page",
            &format!(
                "Your account does not have the `{role}` role this page needs. Ask whoever keeps the officers file to add it."
            ),
        ))
    }

    /// Checks the CSRF token a form sent; refuses with 403 (and an audit
    /// line) when it is not the session's.
    ///
    /// # Errors
    /// The 403 page.
    pub fn check_csrf(&self, st: &AppState, sent: &str, action: &str) -> Result<(), Response> {
        if session::same_token(sent, &self.csrf) {
            return Ok(());
        }
        audit(st, &self.officer.id, action, None, "refused-csrf");
        Err(message(
            st,
            Some(self),
            StatusCode::FORBIDDEN,
            "The form could not be sent",
            "The form was not sent from this service's page, or it is out of date. Go back, reload the page and try again.",
        ))
    }

    /// Leaves a message for the next page.
    pub fn flash(&self, st: &AppState, m: String) {
        if let Some(w) = &st.web
            && let Some(s) = w.sessions().get(&self.sid)
        {
            s.flash = Some(m);
        }
    }

    /// Runs `f` on this officer's session.
    pub fn with_session<T>(
        &self,
        st: &AppState,
        f: impl FnOnce(&mut session::Session) -> T,
    ) -> Option<T> {
        let w = st.web.as_ref()?;
        let mut sessions = w.sessions();
        sessions.get(&self.sid).map(f)
    }
}

fn is_secure(w: &Web, headers: &HeaderMap) -> bool {
    w.secure
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &Arc<AppState>) -> Result<Signed, Response> {
        let Some(w) = &st.web else {
            return Err(StatusCode::NOT_FOUND.into_response());
        };
        let sid = parts
            .headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(session::from_cookie)
            .map(str::to_owned);
        let found = sid.as_ref().and_then(|sid| {
            let mut sessions = w.sessions();
            let s = sessions.get(sid)?;
            let officer = s.officer.clone()?;
            let flash = s.flash.take();
            Some((sid.clone(), officer, s.csrf.clone(), flash))
        });
        let signed = found.and_then(|(sid, id, csrf, flash)| {
            w.officers.get(&id).map(|o| Signed {
                officer: o.clone(),
                sid,
                csrf,
                flash,
                secure: is_secure(w, &parts.headers),
            })
        });
        match signed {
            Some(s) => {
                if let Some(slot) = parts.extensions.get::<super::LogSlot>() {
                    slot.set_client(&s.officer.id);
                }
                Ok(s)
            }
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                Err(Redirect::to("/sign-in").into_response())
            }
            None => Err(message(
                st,
                None,
                StatusCode::UNAUTHORIZED,
                "Sign in to continue",
                "You are not signed in, or your session has ended, so nothing was done. Sign in and try again.",
            )),
        }
    }
}

/// Writes an audit line.
pub fn audit(st: &AppState, officer: &str, action: &str, target: Option<&str>, outcome: &str) {
    if let Some(w) = &st.web {
        w.audit.record(officer, action, target, outcome);
    }
}

/// The navigation entry of a page.
fn nav(active: &str, officer: Option<&Officer>) -> Vec<serde_json::Value> {
    let Some(o) = officer else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for (href, label, role) in [
        ("/packs", "Court packs", Role::Packs),
        ("/letters", "Letters", Role::Render),
        ("/outbox", "Outbox", Role::Queue),
    ] {
        if o.may(role) || (role == Role::Queue && o.may(Role::Cancel)) {
            items.push(serde_json::json!({"href": href, "label": label, "active": href == active}));
        }
    }
    items
}

/// Renders `template` as a whole page: `ctx` plus the officer, the CSRF
/// token, the navigation and the flash message.
pub fn page(
    st: &AppState,
    signed: Option<&Signed>,
    status: StatusCode,
    template: &str,
    active: &str,
    mut ctx: tera::Context,
) -> Response {
    let Some(w) = &st.web else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(s) = signed {
        ctx.insert("officer", &s.officer.id);
        ctx.insert("csrf", &s.csrf);
        if let Some(f) = &s.flash {
            ctx.insert("flash", f);
        }
    }
    ctx.insert("nav", &nav(active, signed.map(|s| &s.officer)));
    match w.tera.render(template, &ctx) {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            let mut m = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                m.push_str(&format!(": {s}"));
                source = s.source();
            }
            super::log(
                "error",
                "web page",
                serde_json::json!({"template": template, "error": m}),
            );
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The page could not be made; see the server's log.",
            )
                .into_response()
        }
    }
}

/// A page with a heading and one paragraph (refusals, errors).
pub fn message(
    st: &AppState,
    signed: Option<&Signed>,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("title", heading);
    ctx.insert("text", text);
    page(st, signed, status, "message.html", "", ctx)
}

/// Security headers on every web response (the policy on pages).
async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    // Pages only: a PDF shown in the browser is drawn by the browser's own
    // viewer, which a page's policy (no plugins) would block.
    let html = h
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages and documents hold personal data: never kept by a cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The routes of the web pages.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/assets/{file}", get(asset))
        .merge(packs::routes())
        .merge(letters::routes())
        .merge(outbox::routes())
        .layer(middleware::from_fn(headers))
}

const CSS: &str = include_str!("../../../../vendor/govuk-frontend/govuk-frontend.min.css");
const JS: &str = include_str!("../../../../vendor/govuk-frontend/govuk-frontend.min.js");
const LICENSE: &str = include_str!("../../../../vendor/govuk-frontend/LICENSE");
const INIT_JS: &str = include_str!("assets/init.js");
const OWN_CSS: &str = include_str!("assets/letterkit.css");

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "govuk-frontend.min.css" => (CSS, "text/css; charset=utf-8"),
        "letterkit.css" => (OWN_CSS, "text/css; charset=utf-8"),
        "govuk-frontend.min.js" => (JS, "text/javascript; charset=utf-8"),
        "init.js" => (INIT_JS, "text/javascript; charset=utf-8"),
        "govuk-frontend-LICENSE.txt" => (LICENSE, "text/plain; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn home(signed: Signed) -> Response {
    let to = if signed.officer.may(Role::Packs) {
        "/packs"
    } else if signed.officer.may(Role::Render) {
        "/letters"
    } else {
        "/outbox"
    };
    Redirect::to(to).into_response()
}

fn session_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The sign-in page: starts an anonymous session (so the form carries a
/// CSRF token) unless there is one.
async fn sign_in_page(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    sign_in_form(&st, &headers, None, "", StatusCode::OK)
}

fn sign_in_form(
    st: &AppState,
    headers: &HeaderMap,
    error: Option<&str>,
    id: &str,
    status: StatusCode,
) -> Response {
    let Some(w) = &st.web else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let existing = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session::from_cookie)
        .map(str::to_owned);
    let (sid, csrf, fresh) = {
        let mut sessions = w.sessions();
        match existing
            .as_ref()
            .and_then(|sid| sessions.get(sid).map(|s| (sid.clone(), s.csrf.clone())))
        {
            Some((sid, csrf)) => (sid, csrf, false),
            None => match sessions.start(None) {
                Ok(sid) => {
                    let csrf = sessions
                        .get(&sid)
                        .map(|s| s.csrf.clone())
                        .unwrap_or_default();
                    (sid, csrf, true)
                }
                Err(_) => {
                    return (StatusCode::INTERNAL_SERVER_ERROR, "no random source").into_response();
                }
            },
        }
    };
    let mut ctx = tera::Context::new();
    ctx.insert("title", "Sign in");
    ctx.insert("csrf", &csrf);
    ctx.insert("id", id);
    if let Some(e) = error {
        ctx.insert("error", e);
    }
    let mut resp = page(st, None, status, "sign_in.html", "", ctx);
    if fresh {
        session_cookie(&mut resp, &session::cookie(&sid, is_secure(w, headers)));
    }
    resp
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    password: String,
}

async fn sign_in(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(w) = &st.web else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(Form(f)) = form else {
        return sign_in_form(
            &st,
            &headers,
            Some("Enter your officer id and password"),
            "",
            StatusCode::BAD_REQUEST,
        );
    };
    let sid = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session::from_cookie)
        .map(str::to_owned);
    let csrf_ok = sid.as_ref().is_some_and(|sid| {
        w.sessions()
            .get(sid)
            .is_some_and(|s| session::same_token(&f.csrf, &s.csrf))
    });
    // The id is logged only when it is an officer's (a password typed into
    // the id box must never reach the log).
    let who = if w.officers.knows(&f.officer) {
        f.officer.clone()
    } else {
        "unknown".to_owned()
    };
    if !csrf_ok {
        w.audit.record(&who, "sign-in", None, "refused-csrf");
        return message(
            &st,
            None,
            StatusCode::FORBIDDEN,
            "The form could not be sent",
            "The sign-in form was not sent from this service's page, or it is out of date. Go back, reload the page and try again.",
        );
    }
    if f.officer.trim().is_empty() || f.password.is_empty() {
        return sign_in_form(
            &st,
            &headers,
            Some("Enter your officer id and password"),
            f.officer.trim(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if let Some(minutes) = w.locked(f.officer.trim()) {
        w.audit.record(&who, "sign-in", None, "refused-locked");
        return sign_in_form(
            &st,
            &headers,
            Some(&format!(
                "There have been {MAX_FAILURES} wrong passwords for this officer id: try again in {minutes} minute{}",
                if minutes == 1 { "" } else { "s" }
            )),
            f.officer.trim(),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let officers = w.officers.clone();
    let (id, pw) = (f.officer.trim().to_owned(), f.password.clone());
    let found = tokio::task::spawn_blocking(move || officers.sign_in(&id, &pw))
        .await
        .ok()
        .flatten();
    w.count_failure(f.officer.trim(), found.is_none());
    let Some(officer) = found else {
        w.audit.record(&who, "sign-in", None, "refused");
        return sign_in_form(
            &st,
            &headers,
            Some("The officer id or the password is not right"),
            f.officer.trim(),
            StatusCode::UNAUTHORIZED,
        );
    };
    // A new session id at sign-in: an id planted before cannot be used.
    let new = {
        let mut sessions = w.sessions();
        if let Some(old) = &sid {
            sessions.end(old);
        }
        sessions.start(Some(officer.id.clone()))
    };
    let Ok(new) = new else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no random source").into_response();
    };
    w.audit.record(&officer.id, "sign-in", None, "ok");
    let mut resp = Redirect::to("/").into_response();
    session_cookie(&mut resp, &session::cookie(&new, is_secure(w, &headers)));
    resp
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(st): State<Arc<AppState>>,
    signed: Signed,
    form: Result<Form<CsrfOnly>, axum::extract::rejection::FormRejection>,
) -> Response {
    let sent = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if let Err(r) = signed.check_csrf(&st, &sent, "sign-out") {
        return r;
    }
    if let Some(w) = &st.web {
        w.sessions().end(&signed.sid);
    }
    audit(&st, &signed.officer.id, "sign-out", None, "ok");
    let mut resp = Redirect::to("/sign-in").into_response();
    session_cookie(&mut resp, &session::clear_cookie(signed.secure));
    resp
}

/// A `?day=` and similar small queries.
#[derive(Deserialize, Default)]
pub struct DayQuery {
    /// A date, `YYYY-MM-DD`.
    pub day: Option<String>,
}

/// Reads a small query, ignoring one that does not parse.
pub fn day_query(q: Result<Query<DayQuery>, axum::extract::rejection::QueryRejection>) -> DayQuery {
    q.map(|Query(q)| q).unwrap_or_default()
}

/// Runs `f` on the blocking pool; a panic becomes an error page.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StatusCode> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

/// A file as a download or shown in the browser (`inline`). `name` must
/// hold no personal data (codes and numbers only).
pub fn file_response(bytes: Vec<u8>, media_type: &str, name: &str, inline: bool) -> Response {
    let disposition = format!(
        "{}; filename=\"{}\"",
        if inline { "inline" } else { "attachment" },
        name.replace(['"', '\\', '\r', '\n'], "_")
    );
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
