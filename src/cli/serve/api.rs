//! The routes under `/v1`: render, the outbox's letters, the catalog.
//!
//! A request body is a letter request as JSON, exactly as a `.json` file
//! for `letterkit render`, read by the same strict parser and validator, so
//! a problem's `errors` have the CLI's messages with the body's line and
//! column and a JSON Pointer.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use letterkit::outbox::calendar::Date;
use letterkit::outbox::store::Filter;
use letterkit::outbox::{
    HistoryRow, LetterRecord, OutboxError, Postage, Queued, Refusal, RefusalKind, State as LState,
};
use letterkit::request::Format;
use letterkit::{RenderOptions, Request};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::{Caller, Role};
use super::problem::{ErrorItem, Problem};
use super::{AppState, idempotent, store_problem, with_outbox};

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/render", post(render))
        .route("/v1/letters", post(queue).get(list))
        .route("/v1/letters/{id}", get(show))
        .route("/v1/letters/{id}/pdf", get(pdf))
        .route("/v1/letters/{id}/brf", get(brf))
        .route("/v1/letters/{id}/pef", get(pef))
        .route("/v1/letters/{id}/cancel", post(cancel))
        .route("/v1/letters/{id}/reissue", post(reissue))
        .route("/v1/catalog", get(catalog))
        .route("/v1/catalog/{code}", get(catalog_letter))
}

pub(super) fn json_response(status: StatusCode, v: &impl Serialize) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

/// Refuses a body that says it is not JSON (no Content-Type is taken as JSON).
pub(super) fn check_json(headers: &HeaderMap) -> Result<(), Problem> {
    match headers.get(header::CONTENT_TYPE).map(|v| v.to_str()) {
        None => Ok(()),
        Some(Ok(t))
            if t.split(';').next().is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || m.ends_with("+json")
            }) =>
        {
            Ok(())
        }
        _ => Err(Problem::new(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            "the body must be JSON: send Content-Type: application/json",
        )),
    }
}

/// Parses and validates a letter request body on the blocking pool.
async fn parse_body(st: &Arc<AppState>, body: Bytes) -> Result<Request, Problem> {
    let engine = st.engine.clone();
    tokio::task::spawn_blocking(move || {
        let Ok(text) = std::str::from_utf8(&body) else {
            return Err(Problem::new(
                400,
                "bad-encoding",
                "Bad Request",
                "the body is not UTF-8 text",
            ));
        };
        engine
            .parse_request_as(text, "request.json", Format::Json)
            .map_err(|e| Problem::invalid_request(&e.diagnostics))
    })
    .await
    .map_err(|_| Problem::internal("the request could not be read; see the log"))?
}

fn render_problem(e: &letterkit::Error) -> Problem {
    match e {
        letterkit::Error::Print { message, .. } => Problem::new(
            422,
            "print-rule",
            "The letter breaks a print rule",
            message.clone(),
        )
        .with_errors(vec![ErrorItem::plain("too-many-pages", message.clone())]),
        letterkit::Error::Request(r) => Problem::invalid_request(&r.diagnostics),
        other => {
            super::log(
                "error",
                "render",
                serde_json::json!({"error": other.to_string()}),
            );
            Problem::internal("the letter could not be rendered; see the log")
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Serialize)]
struct RenderedDoc {
    schema: &'static str,
    code: String,
    pages: usize,
    bytes: usize,
    sha256: String,
    catalog_digest: String,
    pdf_base64: String,
}

/// A braille letter rendered: the carrier page PDF, the BRF and the PEF,
/// each in base64 with its SHA-256.
#[derive(Serialize)]
struct BrailleRenderedDoc {
    schema: &'static str,
    code: String,
    pages: usize,
    braille_pages: usize,
    catalog_digest: String,
    bytes: usize,
    sha256: String,
    pdf_base64: String,
    brf_bytes: usize,
    brf_sha256: String,
    brf_base64: String,
    pef_bytes: usize,
    pef_sha256: String,
    pef_base64: String,
}

/// What `POST /v1/render` made: a print letter, or a braille letter's three
/// files.
enum Made {
    Print(letterkit::Rendered),
    Braille(Box<letterkit::BrailleRendered>),
}

/// Whether the caller asks for a PDF only (`Accept` names
/// `application/pdf`, and neither JSON nor `*/*`).
fn wants_pdf_only(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            let types: Vec<String> = a
                .split(',')
                .map(|m| {
                    m.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .collect();
            types.iter().any(|m| m == "application/pdf")
                && !types
                    .iter()
                    .any(|m| m == "application/json" || m == "*/*" || m == "application/*")
        })
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.split(',').any(|m| {
                let m = m.split(';').next().unwrap_or("").trim();
                m.eq_ignore_ascii_case("application/json")
            }) && !a.contains("application/pdf")
        })
}

async fn render(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(p) = caller.require(Role::Render) {
        return p.into_response();
    }
    if let Err(p) = check_json(&headers) {
        return p.into_response();
    }
    let json = wants_json(&headers);
    let pdf_only = wants_pdf_only(&headers);
    let what = format!("POST /v1/render {}", if json { "json" } else { "pdf" });
    let st2 = st.clone();
    let b = body.clone();
    idempotent(&st, &caller, &headers, &what, &body, move || async move {
        let Ok(_slot) = st2.render_slots.acquire().await else {
            return Problem::internal("the server is stopping").into_response();
        };
        let req = match parse_body(&st2, b).await {
            Ok(r) => r,
            Err(p) => return p.into_response(),
        };
        let engine = st2.engine.clone();
        let r = tokio::task::spawn_blocking(move || {
            // A braille request is known by the engine's refusal to render
            // it without a translator: then its braille and carrier page.
            match engine.render(&req, &RenderOptions::default()) {
                Err(letterkit::Error::NeedsTranslator { .. }) => engine
                    .render_braille(
                        &req,
                        &letterkit::braille::Liblouis::default(),
                        &RenderOptions::default(),
                    )
                    .map(|b| (Made::Braille(Box::new(b)), req.letter().to_owned())),
                other => other.map(|r| (Made::Print(r), req.letter().to_owned())),
            }
        })
        .await;
        let (rendered, code) = match r {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return render_problem(&e).into_response(),
            Err(_) => return Problem::internal("the render failed; see the log").into_response(),
        };
        let rendered = match rendered {
            Made::Print(r) => r,
            Made::Braille(_) if pdf_only => {
                return Problem::new(
                    406,
                    "braille-needs-json",
                    "Not Acceptable",
                    "a braille letter is three files (the carrier page PDF, the BRF and the PEF): ask with Accept: application/json for all three in base64",
                )
                .into_response();
            }
            Made::Braille(b) => {
                st2.metrics.rendered.fetch_add(1, Ordering::Relaxed);
                return json_response(StatusCode::OK, &braille_doc(code, &b, &st2));
            }
        };
        st2.metrics.rendered.fetch_add(1, Ordering::Relaxed);
        let sha = hex(&Sha256::digest(&rendered.pdf));
        if json {
            json_response(
                StatusCode::OK,
                &RenderedDoc {
                    schema: "letterkit.render.v1",
                    code,
                    pages: rendered.pages,
                    bytes: rendered.pdf.len(),
                    sha256: sha,
                    catalog_digest: st2.engine.catalog().digest().to_owned(),
                    pdf_base64: base64::engine::general_purpose::STANDARD.encode(&rendered.pdf),
                },
            )
        } else {
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/pdf".to_owned()),
                    (
                        header::HeaderName::from_static("x-letterkit-pages"),
                        rendered.pages.to_string(),
                    ),
                    (header::HeaderName::from_static("x-letterkit-sha256"), sha),
                ],
                rendered.pdf,
            )
                .into_response()
        }
    })
    .await
}

fn braille_doc(code: String, b: &letterkit::BrailleRendered, st: &AppState) -> BrailleRenderedDoc {
    let b64 = |x: &[u8]| base64::engine::general_purpose::STANDARD.encode(x);
    BrailleRenderedDoc {
        schema: "letterkit.render-braille.v1",
        code,
        pages: b.carrier.pages,
        braille_pages: b.brf.iter().filter(|c| **c == 0x0c).count(),
        catalog_digest: st.engine.catalog().digest().to_owned(),
        bytes: b.carrier.pdf.len(),
        sha256: hex(&Sha256::digest(&b.carrier.pdf)),
        pdf_base64: b64(&b.carrier.pdf),
        brf_bytes: b.brf.len(),
        brf_sha256: hex(&Sha256::digest(&b.brf)),
        brf_base64: b64(&b.brf),
        pef_bytes: b.pef.len(),
        pef_sha256: hex(&Sha256::digest(&b.pef)),
        pef_base64: b64(&b.pef),
    }
}

/// A braille letter's files as the service lists them.
#[derive(Serialize)]
struct BrailleDoc {
    format: String,
    braille_pages: u32,
    brf: FileDoc,
    pef: FileDoc,
}

#[derive(Serialize)]
struct FileDoc {
    href: String,
    bytes: u64,
    sha256: String,
}

/// A letter as the service shows it: no reference, name or address.
#[derive(Serialize)]
struct LetterDoc {
    schema: &'static str,
    id: String,
    code: String,
    state: String,
    transmission: String,
    cancellable_until: String,
    sha256: String,
    pages: u32,
    sheets: u32,
    postage: String,
    created_at: String,
    state_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reissue_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    superseded: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    braille: Option<BrailleDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<HistoryDoc>>,
}

#[derive(Serialize)]
struct HistoryDoc {
    at: String,
    by: String,
    from: Option<String>,
    to: String,
    reason: String,
}

fn letter_doc(l: &LetterRecord) -> LetterDoc {
    LetterDoc {
        schema: "letterkit.letter.v1",
        id: l.id.clone(),
        code: l.code.clone(),
        state: l.state.as_str().to_owned(),
        transmission: l.transmission.to_string(),
        cancellable_until: l.cancellable_until.to_string(),
        sha256: l.pdf_sha256.clone(),
        pages: l.pages,
        sheets: l.sheets,
        postage: l.postage.as_str().to_owned(),
        created_at: l.created_at.to_string(),
        state_at: l.state_at.to_string(),
        reissue_of: l.reissue_of.clone(),
        already: None,
        superseded: Vec::new(),
        braille: l.braille.as_ref().map(|b| BrailleDoc {
            format: b.format.clone(),
            braille_pages: b.pages,
            brf: FileDoc {
                href: format!("/v1/letters/{}/brf", l.id),
                bytes: b.brf_bytes,
                sha256: b.brf_sha256.clone(),
            },
            pef: FileDoc {
                href: format!("/v1/letters/{}/pef", l.id),
                bytes: b.pef_bytes,
                sha256: b.pef_sha256.clone(),
            },
        }),
        history: None,
    }
}

fn queued_doc(q: &Queued) -> LetterDoc {
    LetterDoc {
        already: Some(q.already),
        superseded: q.superseded.clone(),
        ..letter_doc(&q.letter)
    }
}

fn history_doc(h: &HistoryRow) -> HistoryDoc {
    HistoryDoc {
        at: h.at.to_string(),
        by: h.by.clone(),
        from: h.from.map(|s| s.as_str().to_owned()),
        to: h.to.as_str().to_owned(),
        reason: h.reason.clone(),
    }
}

fn kind_code(k: RefusalKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "refused".into())
}

/// Outbox refusals as a problem: 404 when every one is "not found", else 409.
fn refused(refusals: &[Refusal]) -> Problem {
    let all_missing = refusals.iter().all(|r| r.kind == RefusalKind::NotFound);
    let errors = refusals
        .iter()
        .map(|r| ErrorItem::plain(&kind_code(r.kind), r.message.clone()))
        .collect();
    let detail = refusals
        .iter()
        .map(|r| r.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    if all_missing {
        Problem::not_found(detail).with_errors(errors)
    } else {
        Problem::new(409, "refused", "The outbox refused", detail).with_errors(errors)
    }
}

fn outbox_problem(e: &OutboxError) -> Problem {
    match e {
        OutboxError::Refused(r) => refused(r),
        OutboxError::Invalid(m) => Problem::new(409, "not-possible", "Not possible", m.clone())
            .with_errors(vec![ErrorItem::plain("not-possible", m.clone())]),
        OutboxError::Render(r) => render_problem(r),
        other => store_problem(other),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    postage: Option<String>,
}

async fn queue(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Response {
    if let Err(p) = caller.require(Role::Queue) {
        return p.into_response();
    }
    if let Err(p) = check_json(&headers) {
        return p.into_response();
    }
    let Ok(Query(q)) = query else {
        return query_problem("the only query parameter is postage (first, second or economy)");
    };
    let postage = match q.postage.as_deref().map(str::parse::<Postage>) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(m)) => return param_problem("postage", "bad-postage", m),
    };
    let what = format!(
        "POST /v1/letters {}",
        postage.map_or("default", |p| p.as_str())
    );
    let st2 = st.clone();
    let b = body.clone();
    let actor = st.actor(&caller);
    idempotent(&st, &caller, &headers, &what, &body, move || async move {
        let Ok(_slot) = st2.render_slots.acquire().await else {
            return Problem::internal("the server is stopping").into_response();
        };
        let req = match parse_body(&st2, b).await {
            Ok(r) => r,
            Err(p) => return p.into_response(),
        };
        // The client's recorded format applies unless the request names one.
        let req2 = req.clone();
        let recorded = match with_outbox(&st2, move |o| o.recorded_format(&req2)).await {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => return outbox_problem(&e).into_response(),
            Err(p) => return p.into_response(),
        };
        let engine = st2.engine.clone();
        let r = tokio::task::spawn_blocking(move || {
            let translator = letterkit::braille::Liblouis::default();
            letterkit::outbox::prepare(&engine, &req, recorded, &translator, postage, None)
        })
        .await;
        let prepared = match r {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return outbox_problem(&e).into_response(),
            Err(_) => return Problem::internal("the render failed; see the log").into_response(),
        };
        st2.metrics.rendered.fetch_add(1, Ordering::Relaxed);
        let r = with_outbox(&st2, move |o| o.queue(vec![prepared], &actor, false)).await;
        match r {
            Ok(Ok(mut v)) => match v.pop() {
                Some(Ok(q)) => {
                    let status = if q.already {
                        StatusCode::OK
                    } else {
                        StatusCode::CREATED
                    };
                    let mut resp = json_response(status, &queued_doc(&q));
                    if let Ok(loc) =
                        header::HeaderValue::from_str(&format!("/v1/letters/{}", q.letter.id))
                    {
                        resp.headers_mut().insert(header::LOCATION, loc);
                    }
                    resp
                }
                Some(Err(r)) => refused(&[r]).into_response(),
                None => Problem::internal("nothing was queued").into_response(),
            },
            Ok(Err(e)) => outbox_problem(&e).into_response(),
            Err(p) => p.into_response(),
        }
    })
    .await
}

fn query_problem(detail: &str) -> Response {
    Problem::bad_request(detail.to_owned())
        .with_errors(vec![ErrorItem::plain("bad-query", detail.to_owned())])
        .into_response()
}

fn param_problem(param: &str, code: &str, message: String) -> Response {
    Problem::bad_request(format!("the query parameter {param} is not valid"))
        .with_errors(vec![ErrorItem {
            parameter: Some(param.to_owned()),
            ..ErrorItem::plain(code, message)
        }])
        .into_response()
}

/// A letter id as the outbox makes them (the request's id rules).
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 120
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn no_such_letter() -> Response {
    Problem::not_found("no letter has this id").into_response()
}

async fn show(State(st): State<Arc<AppState>>, caller: Caller, Path(id): Path<String>) -> Response {
    if let Err(p) = caller.require_any(&[Role::Queue, Role::Cancel]) {
        return p.into_response();
    }
    if !valid_id(&id) {
        return no_such_letter();
    }
    match with_outbox(&st, move |o| o.show(&id)).await {
        Ok(Ok((l, h))) => {
            let mut d = letter_doc(&l);
            d.history = Some(h.iter().map(history_doc).collect());
            json_response(StatusCode::OK, &d)
        }
        Ok(Err(e)) => outbox_problem(&e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn pdf(State(st): State<Arc<AppState>>, caller: Caller, Path(id): Path<String>) -> Response {
    if let Err(p) = caller.require_any(&[Role::Queue, Role::Cancel]) {
        return p.into_response();
    }
    if !valid_id(&id) {
        return no_such_letter();
    }
    match with_outbox(&st, move |o| o.pdf(&id)).await {
        Ok(Ok(bytes)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/pdf")],
            bytes,
        )
            .into_response(),
        Ok(Err(e)) => outbox_problem(&e).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn brf(State(st): State<Arc<AppState>>, caller: Caller, Path(id): Path<String>) -> Response {
    braille_file(st, caller, id, false).await
}

async fn pef(State(st): State<Arc<AppState>>, caller: Caller, Path(id): Path<String>) -> Response {
    braille_file(st, caller, id, true).await
}

/// A braille letter's BRF (`text/plain`, Braille ASCII) or PEF
/// (`application/x-pef+xml`).
async fn braille_file(st: Arc<AppState>, caller: Caller, id: String, pef: bool) -> Response {
    if let Err(p) = caller.require_any(&[Role::Queue, Role::Cancel]) {
        return p.into_response();
    }
    if !valid_id(&id) {
        return no_such_letter();
    }
    match with_outbox(&st, move |o| o.braille(&id)).await {
        Ok(Ok(files)) => {
            let (kind, bytes) = if pef {
                (PEF_TYPE, files.pef)
            } else {
                (BRF_TYPE, files.brf)
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, kind)], bytes).into_response()
        }
        Ok(Err(e)) => outbox_problem(&e).into_response(),
        Err(p) => p.into_response(),
    }
}

/// The media type of a BRF: Braille ASCII is plain ASCII text.
pub(super) const BRF_TYPE: &str = "text/plain; charset=us-ascii";
/// The media type of a PEF (XML, DAISY's registered `application/x-pef+xml`).
pub(super) const PEF_TYPE: &str = "application/x-pef+xml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    day: Option<String>,
    state: Option<String>,
}

async fn list(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(p) = caller.require_any(&[Role::Queue, Role::Cancel]) {
        return p.into_response();
    }
    let Ok(Query(q)) = query else {
        return query_problem("the query parameters are day (YYYY-MM-DD) and state");
    };
    let day = match q.day.as_deref().map(str::parse::<Date>) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            return param_problem("day", "bad-date", "day must be a date, YYYY-MM-DD".into());
        }
    };
    let state = match q.state.as_deref().map(str::parse::<LState>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(m)) => return param_problem("state", "bad-state", m),
    };
    let filter = Filter {
        day,
        state,
        ..Filter::default()
    };
    match with_outbox(&st, move |o| o.list(&filter)).await {
        Ok(Ok(letters)) => json_response(
            StatusCode::OK,
            &serde_json::json!({
                "schema": "letterkit.letters.v1",
                "letters": letters.iter().map(letter_doc).collect::<Vec<_>>(),
            }),
        ),
        Ok(Err(e)) => outbox_problem(&e).into_response(),
        Err(p) => p.into_response(),
    }
}

/// Reads a small JSON body of known keys, every problem as a problem.
pub(super) fn small_body<T: for<'de> Deserialize<'de>>(
    body: &[u8],
    keys: &str,
) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        let m = format!("the body must be a JSON object with {keys}: {e}");
        Problem::new(422, "invalid-body", "The body is not valid", m.clone()).with_errors(vec![
            ErrorItem {
                line: u32::try_from(e.line()).unwrap_or(0),
                column: u32::try_from(e.column()).unwrap_or(0),
                ..ErrorItem::plain("invalid-body", m)
            },
        ])
    })
}

fn reason_problem(reason: &str) -> Option<Problem> {
    let n = reason.trim().chars().count();
    if n == 0 || n > 500 || reason.chars().any(char::is_control) {
        let m = "reason must be 1 to 500 characters on one line".to_owned();
        return Some(
            Problem::new(422, "invalid-body", "The body is not valid", m.clone()).with_errors(
                vec![ErrorItem {
                    pointer: "/reason".into(),
                    ..ErrorItem::plain("bad-reason", m)
                }],
            ),
        );
    }
    None
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    reason: String,
}

async fn cancel(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(p) = caller.require(Role::Cancel) {
        return p.into_response();
    }
    if let Err(p) = check_json(&headers) {
        return p.into_response();
    }
    if !valid_id(&id) {
        return no_such_letter();
    }
    let what = format!("POST /v1/letters/{id}/cancel");
    let st2 = st.clone();
    let actor = st.actor(&caller);
    let b = body.clone();
    idempotent(&st, &caller, &headers, &what, &body, move || async move {
        let c: CancelBody = match small_body(&b, "reason (text)") {
            Ok(c) => c,
            Err(p) => return p.into_response(),
        };
        if let Some(p) = reason_problem(&c.reason) {
            return p.into_response();
        }
        let ids = vec![id];
        match with_outbox(&st2, move |o| o.cancel(&ids, c.reason.trim(), &actor)).await {
            Ok(Ok(v)) => match v.first() {
                Some(l) => json_response(StatusCode::OK, &letter_doc(l)),
                None => Problem::internal("nothing was cancelled").into_response(),
            },
            Ok(Err(e)) => outbox_problem(&e).into_response(),
            Err(p) => p.into_response(),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReissueBody {
    date: String,
    reason: String,
}

async fn reissue(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(p) = caller.require(Role::Queue) {
        return p.into_response();
    }
    if let Err(p) = check_json(&headers) {
        return p.into_response();
    }
    if !valid_id(&id) {
        return no_such_letter();
    }
    let what = format!("POST /v1/letters/{id}/reissue");
    let st2 = st.clone();
    let actor = st.actor(&caller);
    let b = body.clone();
    idempotent(&st, &caller, &headers, &what, &body, move || async move {
        let r: ReissueBody = match small_body(&b, "date (YYYY-MM-DD) and reason (text)") {
            Ok(r) => r,
            Err(p) => return p.into_response(),
        };
        let Ok(date) = r.date.parse::<Date>() else {
            let m = "date must be the covering letter's date, YYYY-MM-DD".to_owned();
            return Problem::new(422, "invalid-body", "The body is not valid", m.clone())
                .with_errors(vec![ErrorItem {
                    pointer: "/date".into(),
                    ..ErrorItem::plain("bad-date", m)
                }])
                .into_response();
        };
        if let Some(p) = reason_problem(&r.reason) {
            return p.into_response();
        }
        let engine = st2.engine.clone();
        let reason = r.reason.trim().to_owned();
        match with_outbox(&st2, move |o| {
            o.reissue(&engine, &id, date, &reason, &actor)
        })
        .await
        {
            Ok(Ok((q, source))) => {
                st2.metrics.rendered.fetch_add(1, Ordering::Relaxed);
                let mut v = serde_json::to_value(queued_doc(&q)).unwrap_or_default();
                v["copy_source"] = serde_json::to_value(source).unwrap_or_default();
                json_response(StatusCode::CREATED, &v)
            }
            Ok(Err(e)) => outbox_problem(&e).into_response(),
            Err(p) => p.into_response(),
        }
    })
    .await
}

async fn catalog(State(st): State<Arc<AppState>>, _caller: Caller) -> Response {
    let cat = st.engine.catalog();
    let letters: Vec<serde_json::Value> = cat
        .letters()
        .map(|l| {
            serde_json::json!({
                "code": l.code,
                "title": l.title,
                "kind": l.kind,
                "audience": l.audience,
                "description": l.description,
                "draft": l.draft.is_some(),
                "postage": l.postage,
                "href": format!("/v1/catalog/{}", l.code),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "schema": "letterkit.catalog.v1",
            "catalog_digest": cat.digest(),
            "letters": letters,
        }),
    )
}

async fn catalog_letter(
    State(st): State<Arc<AppState>>,
    _caller: Caller,
    Path(code): Path<String>,
) -> Response {
    let cat = st.engine.catalog();
    let Some(letter) = cat.letter(&code) else {
        return Problem::not_found(format!(
            "the catalog has no such letter; it has: {}",
            cat.letter_codes()
        ))
        .into_response();
    };
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "schema": "letterkit.catalog-letter.v1",
            "catalog_digest": cat.digest(),
            "letter": letter,
            "json_schema": letterkit::request::schema::letter_schema(cat, letter),
        }),
    )
}
