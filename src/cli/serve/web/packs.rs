//! The court-pack pages: the packs of the `--packs` folder, a new pack of
//! any kind, the next step through a form made from that step's data keys
//! (`packs/<kind>.yaml`: `gives`, `needs`, `ensures`, `attach`), the
//! pack's stages, documents and verify result, its zip and court bundle.
//!
//! Every change goes through [`letterkit::pack::folder::PackFolder`] and the
//! pack's own steps, so it is checked and refused exactly as `letterkit pack
//! step` checks it; the refusal's words are shown next to the field they
//! are about.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use letterkit::pack::bundle::{BundleOptions, bundle};
use letterkit::pack::data::{KEYS, KeySpec, KeyType, key_spec};
use letterkit::pack::folder::{FolderError, PackFolder, is_pack_name};
use letterkit::pack::{
    Attach, Attachment, EntryStatus, MAX_ATTACHMENT_BYTES, Pack, PackError, PackKind, Signature,
    Step, StepSpec,
};
use letterkit::request::Date;
use serde::Deserialize;

use super::form::{ErrorLink, Field, Fields, Opt, Sent, in_form_order, place};
use super::{AppState, Signed, audit, blocking, file_response, message, page};
use crate::cli::serve::auth::Role;

/// Most attachments one step may carry (as over the JSON API).
pub const MAX_UPLOADS: usize = crate::cli::serve::packs::MAX_ATTACHMENTS;

/// The largest step form with its uploads, bytes.
pub const UPLOAD_LIMIT: usize = 3 * MAX_ATTACHMENT_BYTES + 1024 * 1024;

/// Names the step's data in the library's messages (stripped before they
/// are shown).
const ORIGIN: &str = "form";

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/packs", get(list))
        .route("/packs/new", get(new_kind))
        .route(
            "/packs/new/{kind}",
            get(create_form)
                .post(create)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/packs/{name}", get(show))
        .route(
            "/packs/{name}/steps/{step}",
            get(step_form)
                .post(step)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/packs/{name}/zip", get(zip))
        .route("/packs/{name}/bundle", get(court_bundle))
        .route("/packs/{name}/files/{file}", get(document))
}

fn folder(st: &AppState) -> Option<&PackFolder> {
    st.packs.as_ref()
}

fn no_folder(st: &AppState, s: &Signed) -> Response {
    message(
        st,
        Some(s),
        StatusCode::NOT_FOUND,
        "There is no packs folder",
        "This server keeps no court packs: start it with --packs FOLDER.",
    )
}

fn not_found(st: &AppState, s: &Signed) -> Response {
    message(
        st,
        Some(s),
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no pack, step or document at this address. Go to the list of packs.",
    )
}

/// Abbreviations that stay in capitals when a code is shown as words.
const ABBREVIATIONS: [&str; 8] = ["cms", "cpo", "nfa", "pv", "scin", "sr", "ssst", "ccs"];

/// A code as words: `no-marking` → `No marking`, `cms` → `CMS`.
pub fn words(code: &str) -> String {
    let s = code
        .split('-')
        .map(|w| {
            if ABBREVIATIONS.contains(&w) {
                w.to_uppercase()
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// The form field of data key `k`.
fn key_field(k: &KeySpec) -> Field {
    let mut f = match k.ty {
        KeyType::Text(n) if n > 120 => Field::new(k.name, "textarea", k.label),
        KeyType::Text(n) => {
            let mut f = Field::new(k.name, "text", k.label);
            f.width = Some(if n <= 30 {
                "govuk-input--width-20"
            } else {
                "govuk-input--width-30"
            });
            f
        }
        KeyType::Lines => Field::new(k.name, "textarea", k.label)
            .hint("One line of the address on each line: 1 to 5 lines, each at most 45 characters"),
        KeyType::Date => Field::new(k.name, "date", k.label).hint("For example, 14 4 2026"),
        KeyType::Time => {
            let mut f =
                Field::new(k.name, "text", k.label).hint("24-hour clock, for example 14:30");
            f.width = Some("govuk-input--width-5");
            f
        }
        KeyType::Money => {
            Field::new(k.name, "money", k.label).hint("In pounds, for example 125.50")
        }
        KeyType::Postcode => {
            let mut f = Field::new(k.name, "text", k.label);
            f.width = Some("govuk-input--width-10");
            f
        }
        KeyType::Scin => {
            let mut f =
                Field::new(k.name, "text", k.label).hint("12 digits, for example 1234 5678 9012");
            f.width = Some("govuk-input--width-20");
            f
        }
        KeyType::Choice(codes) => {
            let mut f = Field::new(k.name, "radios", k.label);
            f.options = codes
                .iter()
                .map(|c| Opt {
                    value: (*c).to_owned(),
                    label: words(c),
                    hint: None,
                    checked: false,
                })
                .collect();
            f
        }
    };
    if let KeyType::Text(n) = k.ty
        && f.hint.is_none()
    {
        f.hint = Some(format!("At most {n} characters"));
    }
    f
}

/// The form of step `spec` (on `pack`, None when creating): its fields and
/// the pointer (data key, or `step-date`, `pack-name`, `attachments`) each
/// error is placed by.
fn step_fields(spec: &StepSpec, pack: Option<&Pack>, creating: bool) -> Fields {
    let mut fields = Vec::new();
    let mut pointers = Vec::new();
    let mut push = |fields: &mut Vec<Field>, key: &str, f: Field| {
        pointers.push((key.to_owned(), fields.len()));
        fields.push(f);
    };
    if creating {
        let mut f = Field::new("pack-name", "text", "Name of the pack")
            .hint("Use the service request number, for example sr-1234567: lower-case letters, digits, - and _. Never a name or a reference.");
        f.width = Some("govuk-input--width-20");
        push(&mut fields, "pack-name", f);
    }
    push(
        &mut fields,
        "step-date",
        Field::new("step-date", "date", "Date of this step").hint(
            "The day the step is taken, for example 9 3 2026; the documents it adds carry this date",
        ),
    );
    if spec.corrects {
        let mut f = Field::new("document", "radios", "Document to correct");
        if let Some(p) = pack {
            f.options = p
                .manifest()
                .entries
                .iter()
                .filter(|e| e.code != "attachment" && e.status == EntryStatus::Current)
                .map(|e| Opt {
                    value: e.file.clone(),
                    label: e.file.clone(),
                    hint: Some(e.title.clone()),
                    checked: false,
                })
                .collect();
        }
        push(&mut fields, "document", f);
    }
    for k in &spec.gives {
        if spec.corrects && k == "document" {
            continue;
        }
        let Some(ks) = key_spec(k) else { continue };
        let mut f = key_field(ks);
        match spec.need(k) {
            "required" => {}
            "required-unless-given-earlier" => {
                f.optional = true;
                f.hint = Some(format!(
                    "{}. Needed unless an earlier step gave it",
                    f.hint.unwrap_or_default().trim_end_matches('.')
                ));
            }
            _ => f.optional = true,
        }
        push(&mut fields, k, f);
    }
    if spec.corrects
        && let Some(p) = pack
    {
        let known = p.data();
        for ks in KEYS {
            if spec.gives.iter().any(|g| g == ks.name) || !known.contains_key(ks.name) {
                continue;
            }
            let mut f = key_field(ks);
            f.optional = true;
            f.hint = Some(format!(
                "Only to correct it. {}",
                f.hint.unwrap_or_default()
            ));
            push(&mut fields, ks.name, f);
        }
    }
    if spec.attach != Attach::None {
        let mut f = Field::new("attachments", "file", "Supporting documents").hint(format!(
            "PDF, PNG or JPEG files, at most {} MB each; each is checked by its content",
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        ));
        f.optional = spec.attach == Attach::Optional;
        push(&mut fields, "attachments", f);
    }
    (fields, pointers)
}

/// The step's data as JSON, from the form: only what was filled in.
fn step_data(fields: &[Field], sent: &Sent) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for f in fields {
        let Some(ks) = key_spec(&f.id) else { continue };
        let v = match ks.ty {
            KeyType::Date => sent.date(&f.id).map(serde_json::Value::String),
            KeyType::Lines => {
                let lines = sent.lines(&f.id);
                (!lines.is_empty())
                    .then(|| serde_json::Value::Array(lines.into_iter().map(Into::into).collect()))
            }
            _ => {
                let v = sent.one(&f.id);
                (!v.is_empty()).then(|| serde_json::Value::String(v.to_owned()))
            }
        };
        if let Some(v) = v {
            m.insert(f.id.clone(), v);
        }
    }
    serde_json::Value::Object(m)
}

/// The library's refusal, placed on the fields it is about.
fn place_error(
    e: &FolderError,
    fields: &mut [Field],
    pointers: &[(String, usize)],
) -> Vec<ErrorLink> {
    let key_of = |p: &str| -> Option<String> {
        let end = p.find([':', ' '])?;
        let k = &p[..end];
        pointers.iter().any(|(x, _)| x == k).then(|| k.to_owned())
    };
    let mut out = Vec::new();
    let mut at = |pointer: &str, m: &str| {
        out.push(place(fields, pointers, pointer, m, "step-form"));
    };
    match e {
        FolderError::BadName | FolderError::Exists => at("pack-name", &e.to_string()),
        FolderError::Pack(PackError::Data { problems, .. }) => {
            for p in problems {
                let text = p.strip_prefix(&format!("{ORIGIN}: ")).unwrap_or(p);
                if text.contains("--attach") {
                    at("attachments", text);
                } else {
                    let k = key_of(text).unwrap_or_default();
                    at(&k, text);
                }
            }
        }
        FolderError::Pack(PackError::Attachment { .. }) => at("attachments", &e.to_string()),
        FolderError::Pack(PackError::Rule { .. } | PackError::DateOrder { .. }) => {
            at("step-date", &e.to_string());
        }
        other => {
            let mut m = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                m.push_str(&format!(": {s}"));
                source = s.source();
            }
            at("", &m);
        }
    }
    out
}

#[derive(Debug)]
struct Upload {
    name: String,
    bytes: Vec<u8>,
}

/// Reads a step form: its fields and its uploads, within the limits
/// (count, size), each upload's name checked (never a folder or `..`).
async fn read_multipart(mut mp: Multipart) -> Result<(Vec<(String, String)>, Vec<Upload>), String> {
    let mut pairs = Vec::new();
    let mut uploads = Vec::new();
    let mut n = 0usize;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(format!(
                    "the form could not be read ({}); the uploads together may be at most {} MB",
                    e.body_text(),
                    UPLOAD_LIMIT / (1024 * 1024)
                ));
            }
        };
        n += 1;
        if n > 300 {
            return Err("the form has too many fields".into());
        }
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            let mut field = field;
            let mut bytes = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(c)) => {
                        if bytes.len() + c.len() > MAX_ATTACHMENT_BYTES {
                            return Err(format!(
                                "attachment {} is larger than {} MiB; an attachment may be at most that",
                                uploads.len() + 1,
                                MAX_ATTACHMENT_BYTES / (1024 * 1024)
                            ));
                        }
                        bytes.extend_from_slice(&c);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(format!("the upload could not be read ({})", e.body_text()));
                    }
                }
            }
            if file_name.is_empty() && bytes.is_empty() {
                continue; // no file chosen
            }
            if uploads.len() == MAX_UPLOADS {
                return Err(format!(
                    "a step may carry at most {MAX_UPLOADS} attachments"
                ));
            }
            uploads.push(Upload {
                name: file_name,
                bytes,
            });
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| format!("the form could not be read ({})", e.body_text()))?;
            if text.len() > 64 * 1024 {
                return Err("a field of the form is too long".into());
            }
            pairs.push((name, text));
        }
    }
    Ok((pairs, uploads))
}

/// Why an upload's file name is refused: a folder, `..`, or a control
/// character in it (browsers send the name alone). The name itself is
/// never repeated (it may hold personal data).
pub fn upload_name_problem(name: &str) -> Option<&'static str> {
    if name.contains(['/', '\\']) || name == ".." || name == "." {
        return Some("its file name has a folder or `..` in it; attach the file itself");
    }
    if name.chars().any(char::is_control) || name.chars().count() > 255 {
        return Some(
            "its file name has a control character in it or is longer than 255 characters",
        );
    }
    None
}

#[derive(Deserialize, Default)]
struct KindQuery {
    kind: Option<String>,
    /// The form was sent (with no kind chosen, `kind` is absent).
    sent: Option<String>,
}

async fn list(State(st): State<Arc<AppState>>, s: Signed) -> Response {
    if let Err(r) = s.require(&st, Role::Packs) {
        return r;
    }
    let (Some(f), Some(dir)) = (
        folder(&st).cloned(),
        st.web.as_ref().and_then(|w| w.packs_dir.clone()),
    ) else {
        return no_folder(&st, &s);
    };
    let rows = blocking(move || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter_map(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        n.strip_suffix(".zip")
                            .filter(|n| is_pack_name(n))
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .map(|name| match f.read(&name) {
                Ok((p, _)) => {
                    let data = p.data();
                    serde_json::json!({
                        "name": name,
                        "sr": data.get("sr-number").and_then(|v| v.as_str()).unwrap_or(""),
                        "kind": p.manifest().kind.title(),
                        "status": p.manifest().status.name(),
                        "stage": p.main_stage().map_or("", |s| s.step.as_str()),
                        "next": p.next_steps().join(", "),
                    })
                }
                Err(e) => serde_json::json!({"name": name, "problem": e.to_string()}),
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut ctx = tera::Context::new();
    ctx.insert("title", "Court packs");
    ctx.insert("packs", &rows);
    page(&st, Some(&s), StatusCode::OK, "packs.html", "/packs", ctx)
}

async fn new_kind(
    State(st): State<Arc<AppState>>,
    s: Signed,
    q: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(r) = s.require(&st, Role::Packs) {
        return r;
    }
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let mut f = Field::new("kind", "radios", "What kind of pack is it?");
    f.options = PackKind::ALL
        .iter()
        .map(|k| Opt {
            value: k.name().to_owned(),
            label: k.title().to_owned(),
            hint: st
                .engine
                .catalog()
                .procedures()
                .get(*k)
                .step("create")
                .map(|c| c.summary.clone()),
            checked: false,
        })
        .collect();
    let mut errors = Vec::new();
    match q.kind.as_deref() {
        Some(k) if PackKind::parse(k).is_some() => {
            return Redirect::to(&format!("/packs/new/{k}")).into_response();
        }
        Some(_) => {
            f.error = Some("Select the kind of pack".into());
            errors.push(ErrorLink {
                href: "#kind".into(),
                text: "Select the kind of pack".into(),
            });
        }
        None if q.sent.is_some() => {
            f.error = Some("Select the kind of pack".into());
            errors.push(ErrorLink {
                href: "#kind".into(),
                text: "Select the kind of pack".into(),
            });
        }
        None => {}
    }
    let mut ctx = tera::Context::new();
    ctx.insert("title", "Start a court pack");
    ctx.insert("field", &f);
    ctx.insert("errors", &errors);
    page(
        &st,
        Some(&s),
        StatusCode::OK,
        "pack_new.html",
        "/packs",
        ctx,
    )
}

/// Draws a step form.
#[allow(clippy::too_many_arguments)]
fn form_page(
    st: &AppState,
    s: &Signed,
    status: StatusCode,
    heading: &str,
    action: &str,
    spec: &StepSpec,
    fields: &[Field],
    errors: &[ErrorLink],
    back: &str,
) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("title", heading);
    ctx.insert("summary", &spec.summary);
    ctx.insert("action", action);
    ctx.insert("fields", fields);
    ctx.insert("errors", errors);
    ctx.insert("back", back);
    ctx.insert("attach", &(spec.attach != Attach::None));
    page(st, Some(s), status, "pack_form.html", "/packs", ctx)
}

/// The kind named in a `/packs/new/{kind}` address and its `create` step,
/// for an officer with the packs role; else the refusal or "not found" page.
fn create_spec(st: &AppState, s: &Signed, kind: &str) -> Result<(PackKind, StepSpec), Response> {
    s.require(st, Role::Packs)?;
    let kind = PackKind::parse(kind).ok_or_else(|| not_found(st, s))?;
    let spec = st
        .engine
        .catalog()
        .procedures()
        .get(kind)
        .step("create")
        .cloned()
        .ok_or_else(|| not_found(st, s))?;
    Ok((kind, spec))
}

async fn create_form(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(kind): Path<String>,
) -> Response {
    let (kind, spec) = match create_spec(&st, &s, &kind) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let (fields, _) = step_fields(&spec, None, true);
    form_page(
        &st,
        &s,
        StatusCode::OK,
        &format!("Start a {} pack", kind.title().to_lowercase()),
        &format!("/packs/new/{}", kind.name()),
        &spec,
        &fields,
        &[],
        "/packs/new",
    )
}

/// What a step form sent, checked: CSRF, uploads' names, the date.
struct Submitted {
    sent: Sent,
    uploads: Vec<Upload>,
}

async fn submitted(
    st: &AppState,
    s: &Signed,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    action: &str,
) -> Result<Result<Submitted, String>, Response> {
    let Ok(mp) = mp else {
        // Not a multipart form: refused like a wrong token.
        s.check_csrf(st, "", action)?;
        return Err(StatusCode::BAD_REQUEST.into_response());
    };
    match read_multipart(mp).await {
        Ok((pairs, uploads)) => {
            let sent = Sent::new(&pairs);
            s.check_csrf(st, sent.one("csrf"), action)?;
            Ok(Ok(Submitted { sent, uploads }))
        }
        Err(m) => {
            // The token may be unread; refuse without doing anything.
            Ok(Err(m))
        }
    }
}

/// Checks the uploads' names and makes attachments of them.
fn attachments(uploads: Vec<Upload>) -> Result<Vec<Attachment>, String> {
    let count = uploads.len();
    let mut out = Vec::with_capacity(count);
    for (i, u) in uploads.into_iter().enumerate() {
        if let Some(why) = upload_name_problem(&u.name) {
            return Err(format!("attachment {} of {count} is refused: {why}", i + 1));
        }
        out.push(Attachment {
            name: u.name,
            bytes: u.bytes,
        });
    }
    Ok(out)
}

enum Outcome {
    Done(Pack),
    Refused(FolderError),
    Form(&'static str, String),
}

async fn run_step(
    st: &Arc<AppState>,
    create: Option<(String, PackKind)>,
    name: String,
    step: String,
    fields: &[Field],
    sub: Submitted,
) -> Outcome {
    let date = match sub.sent.date("step-date") {
        None => return Outcome::Form("step-date", "Enter the date of this step".into()),
        Some(d) => match Date::parse(&d) {
            Ok(d) => d,
            Err(m) => return Outcome::Form("step-date", format!("date: {m}")),
        },
    };
    let files = match attachments(sub.uploads) {
        Ok(f) => f,
        Err(m) => return Outcome::Form("attachments", m),
    };
    let data = step_data(fields, &sub.sent);
    let st2 = st.clone();
    let r = blocking(move || {
        let Some(folder) = folder(&st2) else {
            return Err(FolderError::NotFound);
        };
        let node = letterkit::request::from_json(&data);
        let spec = Step {
            name: &step,
            date,
            data: Some(&node),
            origin: ORIGIN,
            attachments: &files,
        };
        match create {
            Some((pack_name, kind)) => folder.create(&pack_name, &st2.engine, kind, &spec),
            None => folder.step(&name, &st2.engine, &spec),
        }
    })
    .await;
    match r {
        Ok(Ok(p)) => Outcome::Done(p),
        Ok(Err(e)) => Outcome::Refused(e),
        Err(_) => Outcome::Form(
            "",
            "the step failed unexpectedly; see the server's log".into(),
        ),
    }
}

fn done_message(step: &str, p: &Pack) -> String {
    let added = p.stage().map_or(0, |s| s.added.len());
    let mut m = format!(
        "Step `{step}` recorded: {added} file{} added ({} in the pack)",
        if added == 1 { "" } else { "s" },
        p.manifest().entries.len()
    );
    if let Some(s) = p.stage() {
        for w in &s.warnings {
            m.push_str(&format!(". Warning: {w}"));
        }
    }
    m
}

async fn create(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(kind): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (kind, spec) = match create_spec(&st, &s, &kind) {
        Ok(found) => found,
        Err(r) => return r,
    };
    take_step(&st, &s, &spec, None, kind, mp).await
}

/// Takes step `spec` from its form: of a new pack of `kind` (the name is in
/// the form) when `pack` is None, else of the pack `(name, pack)`. Done:
/// back to the pack's page with what was added; refused: the form again,
/// each message beside its field.
async fn take_step(
    st: &Arc<AppState>,
    s: &Signed,
    spec: &StepSpec,
    pack: Option<(&str, &Pack)>,
    kind: PackKind,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let existing = pack.map(|(n, _)| n);
    let (mut fields, pointers) = step_fields(spec, pack.map(|(_, p)| p), pack.is_none());
    let action = match pack {
        None => "pack-create".to_owned(),
        Some(_) => format!("pack-step:{}", spec.name),
    };
    let sub = match submitted(st, s, mp, &action).await {
        Err(r) => return r,
        Ok(Err(m)) => {
            return refused_form(
                st,
                s,
                spec,
                fields,
                &pointers,
                "attachments",
                &m,
                kind,
                existing,
            );
        }
        Ok(Ok(sub)) => sub,
    };
    for f in &mut fields {
        f.fill(&sub.sent);
    }
    let name = existing.map_or_else(|| sub.sent.one("pack-name").to_owned(), str::to_owned);
    let create = pack.is_none().then(|| (name.clone(), kind));
    let outcome = run_step(st, create, name.clone(), spec.name.clone(), &fields, sub).await;
    let target = is_pack_name(&name).then_some(name.as_str());
    match outcome {
        Outcome::Done(p) => {
            audit(st, &s.officer.id, &action, target, "ok");
            s.flash(st, done_message(&spec.name, &p));
            Redirect::to(&format!("/packs/{name}")).into_response()
        }
        Outcome::Refused(e) => {
            audit(st, &s.officer.id, &action, target, "refused");
            let mut errors = place_error(&e, &mut fields, &pointers);
            in_form_order(&mut errors, &fields);
            step_refused(st, s, spec, &fields, &errors, Some(kind), existing)
        }
        Outcome::Form(at, m) => {
            audit(st, &s.officer.id, &action, target, "refused");
            refused_form(st, s, spec, fields, &pointers, at, &m, kind, existing)
        }
    }
}

fn step_refused(
    st: &AppState,
    s: &Signed,
    spec: &StepSpec,
    fields: &[Field],
    errors: &[ErrorLink],
    kind: Option<PackKind>,
    pack: Option<&str>,
) -> Response {
    let (heading, action, back) = match (kind, pack) {
        (_, Some(name)) => (
            format!("Step `{}` of pack {name}", spec.name),
            format!("/packs/{name}/steps/{}", spec.name),
            format!("/packs/{name}"),
        ),
        (Some(k), None) => (
            format!("Start a {} pack", k.title().to_lowercase()),
            format!("/packs/new/{}", k.name()),
            "/packs/new".to_owned(),
        ),
        (None, None) => (String::new(), String::new(), "/packs".to_owned()),
    };
    form_page(
        st,
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        &heading,
        &action,
        spec,
        fields,
        errors,
        &back,
    )
}

#[allow(clippy::too_many_arguments)]
fn refused_form(
    st: &AppState,
    s: &Signed,
    spec: &StepSpec,
    mut fields: Vec<Field>,
    pointers: &[(String, usize)],
    at: &str,
    m: &str,
    kind: PackKind,
    pack: Option<&str>,
) -> Response {
    let link = place(&mut fields, pointers, at, m, "step-form");
    step_refused(st, s, spec, &fields, &[link], Some(kind), pack)
}

/// Reads a pack on the blocking pool.
async fn read(st: &Arc<AppState>, name: String) -> Option<Result<(Pack, Signature), FolderError>> {
    let st2 = st.clone();
    blocking(move || folder(&st2).map(|f| f.read(&name)))
        .await
        .ok()
        .flatten()
}

/// The pack `name` for an officer with the packs role; else the page that
/// says why not.
async fn pack_for(
    st: &Arc<AppState>,
    s: &Signed,
    name: &str,
) -> Result<(Pack, Signature), Response> {
    s.require(st, Role::Packs)?;
    match read(st, name.to_owned()).await {
        Some(Ok(p)) => Ok(p),
        _ => Err(not_found(st, s)),
    }
}

async fn show(State(st): State<Arc<AppState>>, s: Signed, Path(name): Path<String>) -> Response {
    if let Err(r) = s.require(&st, Role::Packs) {
        return r;
    }
    if folder(&st).is_none() {
        return no_folder(&st, &s);
    }
    let (pack, signature) = match read(&st, name.clone()).await {
        Some(Ok(p)) => p,
        Some(Err(FolderError::NotFound | FolderError::BadName)) | None => {
            return not_found(&st, &s);
        }
        Some(Err(e)) => {
            return message(
                &st,
                Some(&s),
                StatusCode::UNPROCESSABLE_ENTITY,
                "The pack cannot be read",
                &e.to_string(),
            );
        }
    };
    audit(&st, &s.officer.id, "pack-view", Some(&name), "ok");
    let m = pack.manifest();
    let proc_ = pack.procedure();
    let step_link = |n: &str| {
        serde_json::json!({
            "name": n,
            "summary": proc_.step(n).map_or("", |x| x.summary.as_str()),
        })
    };
    let problems = crate::cli::serve::packs::verify_problems(&pack, signature);
    let stages = crate::cli::serve::packs::stages_json(m);
    let entries: Vec<serde_json::Value> = m
        .entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "file": e.file, "code": e.code, "title": e.title, "version": e.version,
                "stage": e.stage, "superseded": e.status == EntryStatus::Superseded,
                "superseded_by": e.superseded_by, "pages": e.pages,
                "kb": e.size.div_ceil(1024),
            })
        })
        .collect();
    let data = pack.data();
    let mut ctx = tera::Context::new();
    ctx.insert("title", &format!("Pack {name}"));
    ctx.insert("name", &name);
    ctx.insert(
        "sr",
        data.get("sr-number").and_then(|v| v.as_str()).unwrap_or(""),
    );
    ctx.insert("kind", m.kind.title());
    ctx.insert("status", m.status.name());
    ctx.insert("resolution", &m.resolution);
    ctx.insert("stage", &pack.main_stage().map(|x| x.step.clone()));
    ctx.insert(
        "next",
        &pack
            .next_steps()
            .into_iter()
            .map(step_link)
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "side",
        &pack
            .side_steps()
            .into_iter()
            .map(step_link)
            .collect::<Vec<_>>(),
    );
    ctx.insert("stages", &stages);
    ctx.insert("entries", &entries);
    ctx.insert("problems", &problems);
    ctx.insert("signature", signature.name());
    page(&st, Some(&s), StatusCode::OK, "pack.html", "/packs", ctx)
}

async fn step_form(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path((name, step)): Path<(String, String)>,
) -> Response {
    let (pack, _) = match pack_for(&st, &s, &name).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(spec) = pack.procedure().step(&step).cloned() else {
        return not_found(&st, &s);
    };
    let (fields, _) = step_fields(&spec, Some(&pack), false);
    form_page(
        &st,
        &s,
        StatusCode::OK,
        &format!("Step `{step}` of pack {name}"),
        &format!("/packs/{name}/steps/{step}"),
        &spec,
        &fields,
        &[],
        &format!("/packs/{name}"),
    )
}

async fn step(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path((name, step)): Path<(String, String)>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (pack, _) = match pack_for(&st, &s, &name).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(spec) = pack.procedure().step(&step).cloned() else {
        return not_found(&st, &s);
    };
    let kind = pack.manifest().kind;
    take_step(&st, &s, &spec, Some((&name, &pack)), kind, mp).await
}

async fn zip(State(st): State<Arc<AppState>>, s: Signed, Path(name): Path<String>) -> Response {
    if let Err(r) = s.require(&st, Role::Packs) {
        return r;
    }
    let st2 = st.clone();
    let n = name.clone();
    let r = blocking(move || folder(&st2).map(|f| f.bytes(&n))).await;
    match r {
        Ok(Some(Ok(bytes))) => {
            audit(&st, &s.officer.id, "pack-download", Some(&name), "ok");
            file_response(bytes, "application/zip", &format!("{name}.zip"), false)
        }
        _ => not_found(&st, &s),
    }
}

async fn court_bundle(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(name): Path<String>,
) -> Response {
    let (pack, signature) = match pack_for(&st, &s, &name).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if signature == Signature::Invalid {
        audit(
            &st,
            &s.officer.id,
            "bundle-download",
            Some(&name),
            "refused",
        );
        return message(
            &st,
            Some(&s),
            StatusCode::CONFLICT,
            "The pack fails verification",
            &PackError::BadSignature.to_string(),
        );
    }
    let engine = st.engine.clone();
    let r = blocking(move || bundle(&pack, &engine, &BundleOptions::default())).await;
    match r {
        Ok(Ok(b)) => {
            audit(&st, &s.officer.id, "bundle-download", Some(&name), "ok");
            file_response(
                b.pdf,
                "application/pdf",
                &format!("{name}-bundle.pdf"),
                false,
            )
        }
        Ok(Err(e)) => {
            audit(
                &st,
                &s.officer.id,
                "bundle-download",
                Some(&name),
                "refused",
            );
            message(
                &st,
                Some(&s),
                StatusCode::UNPROCESSABLE_ENTITY,
                "The court bundle cannot be made",
                &e.to_string(),
            )
        }
        Err(_) => message(
            &st,
            Some(&s),
            StatusCode::INTERNAL_SERVER_ERROR,
            "The court bundle cannot be made",
            "It failed unexpectedly; see the server's log.",
        ),
    }
}

async fn document(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path((name, file)): Path<(String, String)>,
) -> Response {
    let (pack, _) = match pack_for(&st, &s, &name).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(entry) = pack.manifest().entries.iter().find(|e| e.file == file) else {
        return not_found(&st, &s);
    };
    let Some(bytes) = pack.file(&entry.file) else {
        return not_found(&st, &s);
    };
    audit(
        &st,
        &s.officer.id,
        "document-preview",
        Some(&format!("{name}/{file}")),
        "ok",
    );
    file_response(bytes.to_vec(), &entry.media_type, &entry.file, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words_with_abbreviations_in_capitals() {
        assert_eq!(words("no-marking"), "No marking");
        assert_eq!(words("cms"), "CMS");
        assert_eq!(words("ssst-referral-form"), "SSST referral form");
        assert_eq!(
            words("enforcement-paying-parent"),
            "Enforcement paying parent"
        );
        assert_eq!(words(""), "");
    }

    #[test]
    fn upload_names_with_a_folder_or_dot_dot_are_refused() {
        for bad in ["../x.pdf", "..\\x.pdf", "a/b.pdf", "..", "x\u{0}.pdf"] {
            assert!(upload_name_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["outcome.pdf", "scan 2.png", "a.b.jpg"] {
            assert!(upload_name_problem(good).is_none(), "{good:?}");
        }
    }

    #[test]
    fn every_step_of_every_kind_has_a_form_with_a_field_per_key() {
        let p = letterkit::pack::Procedures::builtin();
        for proc_ in p.iter() {
            for spec in proc_.steps() {
                let (fields, pointers) = step_fields(spec, None, spec.name == "create");
                for k in &spec.gives {
                    if spec.corrects && k == "document" {
                        continue;
                    }
                    assert!(
                        pointers.iter().any(|(p, i)| p == k && fields[*i].id == *k),
                        "{} {}: {k}",
                        proc_.kind,
                        spec.name
                    );
                }
            }
        }
    }
}
