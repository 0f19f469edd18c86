//! The court-pack routes under `/v1/packs` (the `packs` role): create a
//! pack, take a step with its data and attachments, show it, verify it,
//! download its zip and its court bundle. Packs live in the `--packs`
//! folder, one zip a pack, changed under the same lock as `letterkit pack
//! step` ([`letterkit::pack::folder`]); every step is the library's, so it
//! is checked exactly as the CLI checks it.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use letterkit::pack::bundle::{BundleOptions, bundle};
use letterkit::pack::folder::{FolderError, PackFolder};
use letterkit::pack::{Attachment, MAX_ATTACHMENT_BYTES, Pack, PackKind, Signature, Step};
use letterkit::request::Date;
use serde::Deserialize;

use super::AppState;
use super::api::{check_json, json_response, small_body};
use super::auth::{Caller, Role};
use super::problem::{ErrorItem, Problem};

/// Most attachments one step may carry.
pub const MAX_ATTACHMENTS: usize = 20;

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/packs", post(create))
        .route("/v1/packs/{name}", get(show))
        .route("/v1/packs/{name}/steps/{step}", post(step))
        .route("/v1/packs/{name}/verify", get(verify))
        .route("/v1/packs/{name}/zip", get(download))
        .route("/v1/packs/{name}/bundle", get(court_bundle))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentBody {
    name: String,
    content_base64: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    kind: String,
    date: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepBody {
    date: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
}

fn folder(st: &AppState) -> Result<&PackFolder, Problem> {
    st.packs
        .as_ref()
        .ok_or_else(|| Problem::not_found("this server keeps no packs: start it with --packs DIR"))
}

fn body_problem(pointer: &str, code: &str, message: String) -> Problem {
    Problem::new(
        422,
        "invalid-body",
        "The body is not valid",
        message.clone(),
    )
    .with_errors(vec![ErrorItem {
        pointer: pointer.into(),
        ..ErrorItem::plain(code, message)
    }])
}

fn folder_problem(e: &FolderError) -> Problem {
    let (status, slug) = match e {
        FolderError::BadName | FolderError::NotFound => (404, "not-found"),
        FolderError::Exists => (409, "pack-exists"),
        FolderError::Busy => (409, "pack-busy"),
        FolderError::NotChecked => (409, "pack-not-checked"),
        FolderError::Pack(_) => (422, "pack-refused"),
        FolderError::Io(_) => (503, "packs-unavailable"),
        _ => (500, "internal"),
    };
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    let title = match status {
        404 => "Not Found",
        409 => "Conflict",
        422 => "The step was refused",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    Problem::new(status, slug, title, e.to_string())
        .with_errors(vec![ErrorItem::plain(slug, message)])
}

/// The step's parts, checked: its date, data and attachments.
fn parts(
    date: &str,
    data: Option<&serde_json::Value>,
    attachments: &[AttachmentBody],
) -> Result<(Date, Option<letterkit::request::Node>, Vec<Attachment>), Problem> {
    let date = Date::parse(date).map_err(|m| body_problem("/date", "bad-date", m))?;
    let data = match data {
        None | Some(serde_json::Value::Null) => None,
        Some(v @ serde_json::Value::Object(_)) => Some(letterkit::request::from_json(v)),
        Some(_) => {
            return Err(body_problem(
                "/data",
                "wrong-type",
                "data must be an object of the step's keys (letterkit pack steps lists them)"
                    .into(),
            ));
        }
    };
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(body_problem(
            "/attachments",
            "too-many-attachments",
            format!("a step may carry at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    let mut files = Vec::with_capacity(attachments.len());
    for (i, a) in attachments.iter().enumerate() {
        let at = format!("/attachments/{i}/content_base64");
        // Checked before decoding: base64 is 4 characters for 3 bytes.
        if a.content_base64.len() / 4 * 3 > MAX_ATTACHMENT_BYTES + 3 {
            return Err(body_problem(
                &at,
                "attachment-too-large",
                format!(
                    "attachment {} is larger than {} MiB; an attachment may be at most that",
                    i + 1,
                    MAX_ATTACHMENT_BYTES / (1024 * 1024)
                ),
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(a.content_base64.trim())
            .map_err(|_| {
                body_problem(
                    &at,
                    "bad-base64",
                    format!("attachment {} is not base64", i + 1),
                )
            })?;
        files.push(Attachment {
            name: a.name.clone(),
            bytes,
        });
    }
    Ok((date, data, files))
}

fn step_doc(name: &str, step: &str, pack: &Pack, signed: bool) -> serde_json::Value {
    let m = pack.manifest();
    let stage = pack.stage();
    serde_json::json!({
        "schema": "letterkit.pack-step.v1",
        "pack": name,
        "kind": m.kind.name(),
        "step": step,
        "date": stage.map_or("", |s| s.date.as_str()),
        "added": stage.map_or(&[][..], |s| s.added.as_slice()),
        "superseded": stage.map_or(&[][..], |s| s.superseded.as_slice()),
        "warnings": stage.map_or(&[][..], |s| s.warnings.as_slice()),
        "entries": m.entries.len(),
        "status": m.status.name(),
        "next": pack.next_steps(),
        "signed": signed,
    })
}

async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(p) = caller.require(Role::Packs) {
        return p.into_response();
    }
    if let Err(p) = check_json(&headers) {
        return p.into_response();
    }
    let b = body.clone();
    let st2 = st.clone();
    super::idempotent(
        &st,
        &caller,
        &headers,
        "POST /v1/packs",
        &body,
        move || async move {
            let c: CreateBody = match small_body(&b, "name, kind, date, data and attachments") {
                Ok(c) => c,
                Err(p) => return p.into_response(),
            };
            let Some(kind) = PackKind::parse(&c.kind) else {
                let kinds = PackKind::ALL.map(PackKind::name);
                return body_problem(
                    "/kind",
                    "unknown-kind",
                    format!("not a kind of pack; kinds: {}", kinds.join(", ")),
                )
                .into_response();
            };
            let (date, data, files) = match parts(&c.date, c.data.as_ref(), &c.attachments) {
                Ok(p) => p,
                Err(p) => return p.into_response(),
            };
            let engine = st2.engine.clone();
            let st3 = st2.clone();
            let r = tokio::task::spawn_blocking(move || {
                let folder = folder(&st3)?;
                let step = Step {
                    name: "create",
                    date,
                    data: data.as_ref(),
                    origin: "data",
                    attachments: &files,
                };
                folder
                    .create(&c.name, &engine, kind, &step)
                    .map(|p| step_doc(&c.name, "create", &p, folder.signs()))
                    .map_err(|e| folder_problem(&e))
            })
            .await;
            match r {
                Ok(Ok(doc)) => json_response(StatusCode::CREATED, &doc),
                Ok(Err(p)) => p.into_response(),
                Err(_) => Problem::internal("the step failed; see the log").into_response(),
            }
        },
    )
    .await
}

async fn step(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path((name, step)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(p) = caller.require(Role::Packs) {
        return p.into_response();
    }
    if let Err(p) = check_json(&headers) {
        return p.into_response();
    }
    let what = format!("POST /v1/packs/{name}/steps/{step}");
    let b = body.clone();
    let st2 = st.clone();
    super::idempotent(&st, &caller, &headers, &what, &body, move || async move {
        let s: StepBody = match small_body(&b, "date, data and attachments") {
            Ok(s) => s,
            Err(p) => return p.into_response(),
        };
        let (date, data, files) = match parts(&s.date, s.data.as_ref(), &s.attachments) {
            Ok(p) => p,
            Err(p) => return p.into_response(),
        };
        let engine = st2.engine.clone();
        let st3 = st2.clone();
        let r = tokio::task::spawn_blocking(move || {
            let folder = folder(&st3)?;
            let spec = Step {
                name: &step,
                date,
                data: data.as_ref(),
                origin: "data",
                attachments: &files,
            };
            folder
                .step(&name, &engine, &spec)
                .map(|p| step_doc(&name, &step, &p, folder.signs()))
                .map_err(|e| folder_problem(&e))
        })
        .await;
        match r {
            Ok(Ok(doc)) => json_response(StatusCode::OK, &doc),
            Ok(Err(p)) => p.into_response(),
            Err(_) => Problem::internal("the step failed; see the log").into_response(),
        }
    })
    .await
}

/// A pack's stages as the API and the web pages show them: steps, dates,
/// files and warnings, never the step data (names, addresses).
pub fn stages_json(m: &letterkit::pack::Manifest) -> Vec<serde_json::Value> {
    m.stages
        .iter()
        .map(|s| {
            serde_json::json!({
                "step": s.step, "date": s.date, "added": s.added,
                "superseded": s.superseded, "warnings": s.warnings,
            })
        })
        .collect()
}

/// Every problem `pack verify` finds, a signature that does not match first.
pub fn verify_problems(pack: &Pack, signature: Signature) -> Vec<letterkit::pack::VerifyProblem> {
    let mut problems = pack.verify();
    if signature == Signature::Invalid {
        problems.insert(0, letterkit::pack::VerifyProblem::BadSignature);
    }
    problems
}

/// Reads a pack on the blocking pool.
async fn read(st: &Arc<AppState>, name: String) -> Result<(Pack, Signature), Problem> {
    let st2 = st.clone();
    tokio::task::spawn_blocking(move || folder(&st2)?.read(&name).map_err(|e| folder_problem(&e)))
        .await
        .map_err(|_| Problem::internal("the pack could not be read; see the log"))?
}

async fn show(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Response {
    if let Err(p) = caller.require(Role::Packs) {
        return p.into_response();
    }
    let (pack, signature) = match read(&st, name.clone()).await {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    let m = pack.manifest();
    // Stages and entries, never the step data (names, addresses).
    let stages = stages_json(m);
    let entries: Vec<serde_json::Value> = m
        .entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "file": e.file, "code": e.code, "title": e.title, "version": e.version,
                "stage": e.stage, "status": e.status, "superseded_by": e.superseded_by,
                "media_type": e.media_type, "size": e.size, "sha256": e.sha256,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "schema": "letterkit.pack.v1",
            "pack": name,
            "kind": m.kind.name(),
            "status": m.status.name(),
            "resolution": m.resolution,
            "stages": stages,
            "entries": entries,
            "next": pack.next_steps(),
            "beside": pack.side_steps(),
            "signature": signature.name(),
        }),
    )
}

async fn verify(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Response {
    if let Err(p) = caller.require(Role::Packs) {
        return p.into_response();
    }
    let (pack, signature) = match read(&st, name.clone()).await {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    let problems = verify_problems(&pack, signature);
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "schema": "letterkit.pack-verify.v1",
            "pack": name,
            "ok": problems.is_empty(),
            "kind": pack.manifest().kind.name(),
            "status": pack.manifest().status.name(),
            "entries": pack.manifest().entries.len(),
            "signature": signature.name(),
            "problems": problems,
        }),
    )
}

async fn download(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Response {
    if let Err(p) = caller.require(Role::Packs) {
        return p.into_response();
    }
    let st2 = st.clone();
    let r = tokio::task::spawn_blocking(move || {
        folder(&st2)?.bytes(&name).map_err(|e| folder_problem(&e))
    })
    .await;
    match r {
        Ok(Ok(bytes)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/zip")],
            bytes,
        )
            .into_response(),
        Ok(Err(p)) => p.into_response(),
        Err(_) => Problem::internal("the pack could not be read").into_response(),
    }
}

/// Most `include`/`exclude` parameters one bundle request takes.
const MAX_BUNDLE_CHOICES: usize = 64;

/// The bundle's choice from its query: `include` and `exclude` (each
/// repeatable, naming a document code or an entry file, as `letterkit pack
/// bundle --include/--exclude`) and `include_superseded` (`true`/`false`).
fn bundle_options(query: &[(String, String)]) -> Result<BundleOptions, Problem> {
    let mut o = BundleOptions::default();
    if query.len() > MAX_BUNDLE_CHOICES {
        return Err(Problem::bad_request(format!(
            "at most {MAX_BUNDLE_CHOICES} query parameters"
        )));
    }
    for (k, v) in query {
        let bad = |m: String| {
            Problem::bad_request(m.clone()).with_errors(vec![ErrorItem {
                parameter: Some(k.clone()),
                ..ErrorItem::plain("bad-parameter", m)
            }])
        };
        if v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
            return Err(bad(format!(
                "{k} names a document code or an entry file (1 to 200 characters)"
            )));
        }
        match k.as_str() {
            "include" => o.include.push(v.clone()),
            "exclude" => o.exclude.push(v.clone()),
            "include_superseded" => {
                o.include_superseded = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("include_superseded is true or false".into())),
                }
            }
            _ => {
                return Err(bad(
                    "the query parameters are include, exclude (document codes or entry files, repeatable) and include_superseded".into(),
                ));
            }
        }
    }
    Ok(o)
}

/// The `X-Letterkit-Conformance` header of a bundle: `pdf-ua-1, pdf-a-2a`,
/// or `none` with the kinds of problem and their count (never an entry
/// name or a font name: those may come from an upload).
fn conformance(not_conforming: &[String]) -> String {
    if not_conforming.is_empty() {
        return "pdf-ua-1, pdf-a-2a".to_owned();
    }
    let mut kinds: Vec<&str> = not_conforming
        .iter()
        .map(|why| {
            if why.contains("ToUnicode") {
                "font-without-unicode"
            } else if why.contains("not embedded") {
                "font-not-embedded"
            } else if why.contains("CMYK") {
                "cmyk-colour"
            } else {
                "attachment"
            }
        })
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    format!(
        "none; reason={}; problems={}",
        kinds.join(","),
        not_conforming.len()
    )
}

async fn court_bundle(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(p) = caller.require(Role::Packs) {
        return p.into_response();
    }
    let options = match query
        .map_err(|_| Problem::bad_request("the query string cannot be read".to_owned()))
        .and_then(|Query(q)| bundle_options(&q))
    {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    let (pack, signature) = match read(&st, name).await {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    if signature == Signature::Invalid {
        return folder_problem(&FolderError::Pack(letterkit::pack::PackError::BadSignature))
            .into_response();
    }
    let engine = st.engine.clone();
    let r = tokio::task::spawn_blocking(move || bundle(&pack, &engine, &options)).await;
    match r {
        Ok(Ok(b)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::HeaderName::from_static("x-letterkit-pages"),
                    b.pages.to_string(),
                ),
                (
                    header::HeaderName::from_static("x-letterkit-conformance"),
                    conformance(&b.not_conforming),
                ),
            ],
            b.pdf,
        )
            .into_response(),
        Ok(Err(e)) => folder_problem(&FolderError::Pack(e)).into_response(),
        Err(_) => Problem::internal("the bundle failed; see the log").into_response(),
    }
}
