//! The letter pages: the catalog, a form made from a letter's JSON Schema
//! (`Engine::schema`, built from its definition: choices as radios with
//! the wording each puts in the letter, optional paragraphs as checkboxes,
//! the address with its rules), a preview, then the PDF or the outbox.
//!
//! The form becomes a request as JSON and goes through
//! `Engine::request_from_value`, the validator of `letterkit render`: every
//! problem is shown at once in the error summary with the CLI's words, each
//! placed on its field by the diagnostic's JSON Pointer.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use letterkit::RenderOptions;
use letterkit::catalog::{DocKind, Language};
use letterkit::compose::{Block, Inline};
use letterkit::outbox::OutboxError;
use serde_json::{Map, Value, json};

use super::form::{ErrorLink, Field, Fields, Opt, Sent, in_form_order, place};
use super::session::{Draft, MAX_DRAFTS, random_hex};
use super::{AppState, Signed, audit, blocking, file_response, message, page};
use crate::cli::serve::auth::Role;
use crate::cli::serve::with_outbox;

/// Names the request in the library's messages.
const ORIGIN: &str = "request.json";

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/letters", get(catalog))
        .route("/letters/new/{code}", get(form_page).post(submit))
        .route("/letters/drafts/{id}", get(draft))
        .route("/letters/drafts/{id}/edit", get(edit))
        .route("/letters/drafts/{id}/pdf", get(draft_pdf))
        .route("/letters/drafts/{id}/download", get(draft_download))
        .route("/letters/drafts/{id}/queue", post(queue))
}

async fn catalog(State(st): State<Arc<AppState>>, s: Signed) -> Response {
    if let Err(r) = s.require(&st, Role::Render) {
        return r;
    }
    let rows: Vec<Value> = st
        .engine
        .catalog()
        .letters()
        .map(|l| {
            json!({
                "code": l.code, "title": l.title, "letter": l.kind == DocKind::Letter,
                "description": l.description, "draft": l.draft.is_some(),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("title", "Letters and forms");
    ctx.insert("letters", &rows);
    page(
        &st,
        Some(&s),
        StatusCode::OK,
        "letters.html",
        "/letters",
        ctx,
    )
}

/// What a schema property becomes on the form.
fn property_field(id: &str, name: &str, p: &Value, required: bool) -> Field {
    let label = p["description"].as_str().unwrap_or(name).to_owned();
    let mut f = if let Some(choices) = p["x-choices"].as_array() {
        let mut f = Field::new(id, "radios", label);
        f.options = choices
            .iter()
            .filter_map(|c| {
                let code = c["const"].as_str()?;
                Some(Opt {
                    value: code.to_owned(),
                    label: super::packs::words(code),
                    hint: c["description"].as_str().map(str::to_owned),
                    checked: false,
                })
            })
            .collect();
        f
    } else if p["format"] == "date" {
        Field::new(id, "date", label).hint("For example, 16 3 2026")
    } else if p["type"] == "array" {
        Field::new(id, "textarea", label).hint("One item on each line")
    } else if p["type"] == "boolean" {
        let mut f = Field::new(id, "radios", label);
        f.options = [("true", "Yes"), ("false", "No")]
            .iter()
            .map(|(v, l)| Opt {
                value: (*v).to_owned(),
                label: (*l).to_owned(),
                hint: None,
                checked: false,
            })
            .collect();
        f
    } else if p["type"].as_array().is_some_and(|t| t.len() == 2) {
        Field::new(id, "money", label).hint("In pounds, for example 125.50")
    } else if p["pattern"].as_str().is_some_and(|x| x.contains(':')) {
        let mut f = Field::new(id, "text", label).hint("24-hour clock, for example 10:30");
        f.width = Some("govuk-input--width-5");
        f
    } else if p["type"] == "integer" {
        let mut f = Field::new(id, "text", label);
        f.numeric = true;
        f.width = Some("govuk-input--width-5");
        f
    } else {
        let max = p["maxLength"].as_u64().unwrap_or(0);
        let mut f = Field::new(id, if max > 120 { "textarea" } else { "text" }, label);
        if max > 0 {
            f.hint = Some(format!("At most {max} characters"));
        }
        f
    };
    f.optional = !required;
    f
}

/// The letter's form from its schema, and the JSON Pointer of each field.
fn letter_fields(st: &AppState, code: &str) -> Option<Fields> {
    let schema = st.engine.schema(code)?;
    let letter = st.engine.catalog().letter(code)?;
    let props = &schema["properties"];
    let mut fields = Vec::new();
    let mut pointers = Vec::new();
    let mut push = |fields: &mut Vec<Field>, ptr: &str, f: Field| {
        pointers.push((ptr.to_owned(), fields.len()));
        fields.push(f);
    };
    push(
        &mut fields,
        "/date",
        Field::new("date", "date", "Date of the letter")
            .hint("Printed on the letter, for example 2 3 2026"),
    );
    let mut r = Field::new("reference", "text", "The client's reference (SCIN)")
        .hint("12 digits, for example 1234 5678 9012");
    r.width = Some("govuk-input--width-20");
    push(&mut fields, "/reference", r);
    if props.get("recipient").is_some() {
        let mut n = Field::new("recipient-name", "text", "Name")
            .hint("As it goes in the envelope window, for example Ms Priya Patel");
        n.autocomplete = Some("off");
        n.width = Some("govuk-input--width-30");
        push(&mut fields, "/recipient/name", n);
        let max = props["recipient"]["properties"]["address"]["items"]["maxLength"]
            .as_u64()
            .unwrap_or(45);
        let mut a = Field::new("recipient-address", "textarea", "Address").hint(format!(
            "One line on each line, without the postcode: 1 to 5 lines, each at most {max} characters. With the name and the postcode the address is 3 to 7 lines in all (the envelope window's rule)."
        ));
        a.autocomplete = Some("off");
        push(&mut fields, "/recipient/address", a);
        let mut p = Field::new("recipient-postcode", "text", "Postcode")
            .hint("A UK postcode, on its own line of the address");
        p.autocomplete = Some("off");
        p.width = Some("govuk-input--width-10");
        push(&mut fields, "/recipient/postcode", p);
    }
    let required: Vec<&str> = props["fields"]["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(fs) = props["fields"]["properties"].as_object() {
        for (name, p) in fs {
            let id = format!("fields-{name}");
            push(
                &mut fields,
                &format!("/fields/{name}"),
                property_field(&id, name, p, required.contains(&name.as_str())),
            );
        }
    }
    if !letter.optional_paragraphs.is_empty() {
        let mut f = Field::new("optional", "checkboxes", "Optional paragraphs to add")
            .hint("Select each one the letter should include");
        f.optional = true;
        f.options = letter
            .optional_paragraphs
            .iter()
            .map(|o| Opt {
                value: o.id.clone(),
                label: o.description.clone().unwrap_or_else(|| o.id.clone()),
                hint: st
                    .engine
                    .catalog()
                    .wording(&o.selects, Language::En)
                    .map(str::to_owned),
                checked: false,
            })
            .collect();
        push(&mut fields, "/optional", f);
    }
    if letter.kind == DocKind::Letter {
        // Braille is three files and not served over HTTP (docs/serve.md).
        let mut f = Field::new("format", "radios", "Format");
        f.options = [
            ("standard", "Standard print"),
            ("large-print", "Large print"),
        ]
        .iter()
        .map(|(v, l)| Opt {
            value: (*v).to_owned(),
            label: (*l).to_owned(),
            hint: None,
            checked: *v == "standard",
        })
        .collect();
        push(&mut fields, "/format", f);
        let min = props["size"]["minimum"].as_u64().unwrap_or(16);
        let max = props["size"]["maximum"].as_u64().unwrap_or(28);
        let mut size = Field::new("size", "text", "Large print size, in points").hint(format!(
            "Large print only: {min} to {max}; {min} when left empty"
        ));
        size.optional = true;
        size.numeric = true;
        size.width = Some("govuk-input--width-3");
        push(&mut fields, "/size", size);
    }
    Some((fields, pointers))
}

/// The request as JSON, from the form: only what was filled in, so that a
/// missing value is reported as missing by the validator.
fn request_value(code: &str, fields: &[Field], sent: &Sent) -> Value {
    let mut req = Map::new();
    req.insert("letter".into(), json!(code));
    if let Some(d) = sent.date("date") {
        req.insert("date".into(), json!(d));
    }
    let reference = sent.one("reference");
    if !reference.is_empty() {
        req.insert("reference".into(), json!(reference));
    }
    if fields.iter().any(|f| f.id == "recipient-name") {
        let mut r = Map::new();
        let name = sent.one("recipient-name");
        if !name.is_empty() {
            r.insert("name".into(), json!(name));
        }
        let lines = sent.lines("recipient-address");
        if !lines.is_empty() {
            r.insert("address".into(), json!(lines));
        }
        let pc = sent.one("recipient-postcode");
        if !pc.is_empty() {
            r.insert("postcode".into(), json!(pc));
        }
        if !r.is_empty() {
            req.insert("recipient".into(), Value::Object(r));
        }
    }
    let mut fs = Map::new();
    for f in fields {
        let Some(name) = f.id.strip_prefix("fields-") else {
            continue;
        };
        let v = match f.kind {
            "date" => sent.date(&f.id).map(Value::String),
            "textarea" if f.hint.as_deref() == Some("One item on each line") => {
                let l = sent.lines(&f.id);
                (!l.is_empty()).then(|| json!(l))
            }
            "radios" if f.options.first().is_some_and(|o| o.value == "true") => {
                match sent.one(&f.id) {
                    "true" => Some(json!(true)),
                    "false" => Some(json!(false)),
                    _ => None,
                }
            }
            _ if f.numeric => {
                let v = sent.one(&f.id);
                match v.parse::<i64>() {
                    Ok(n) => Some(json!(n)),
                    Err(_) => (!v.is_empty()).then(|| json!(v)),
                }
            }
            _ => {
                let v = sent.one(&f.id);
                (!v.is_empty()).then(|| json!(v))
            }
        };
        if let Some(v) = v {
            fs.insert(name.to_owned(), v);
        }
    }
    if !fs.is_empty() {
        req.insert("fields".into(), Value::Object(fs));
    }
    let format = sent.one("format");
    if !format.is_empty() && format != "standard" {
        req.insert("format".into(), json!(format));
    }
    let size = sent.one("size");
    if !size.is_empty() {
        req.insert(
            "size".into(),
            size.parse::<u64>()
                .map_or_else(|_| json!(size), |n| json!(n)),
        );
    }
    let optional = sent.all("optional");
    if !optional.is_empty() {
        req.insert("optional".into(), json!(optional));
    }
    Value::Object(req)
}

fn letter_title(st: &AppState, code: &str) -> String {
    st.engine
        .catalog()
        .letter(code)
        .map_or_else(String::new, |l| l.title.clone())
}

fn show_form(
    st: &AppState,
    s: &Signed,
    status: StatusCode,
    code: &str,
    fields: &[Field],
    errors: &[ErrorLink],
) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("title", &format!("{code}: {}", letter_title(st, code)));
    ctx.insert("code", code);
    ctx.insert("fields", fields);
    ctx.insert("errors", errors);
    let letter = st.engine.catalog().letter(code);
    ctx.insert("description", &letter.and_then(|l| l.description.clone()));
    ctx.insert("draft_wording", &letter.and_then(|l| l.draft.clone()));
    page(st, Some(s), status, "letter_form.html", "/letters", ctx)
}

fn no_letter(st: &AppState, s: &Signed) -> Response {
    message(
        st,
        Some(s),
        StatusCode::NOT_FOUND,
        "Page not found",
        "The catalog has no letter or form with this code, or the draft has gone (drafts are kept until you sign out). Go to the list of letters.",
    )
}

async fn form_page(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(code): Path<String>,
) -> Response {
    if let Err(r) = s.require(&st, Role::Render) {
        return r;
    }
    let Some((fields, _)) = letter_fields(&st, &code) else {
        return no_letter(&st, &s);
    };
    show_form(&st, &s, StatusCode::OK, &code, &fields, &[])
}

async fn submit(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(code): Path<String>,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Err(r) = s.require(&st, Role::Render) {
        return r;
    }
    let pairs = form.map(|Form(p)| p).unwrap_or_default();
    let sent = Sent::new(&pairs);
    if let Err(r) = s.check_csrf(&st, sent.one("csrf"), "letter-preview") {
        return r;
    }
    let Some((mut fields, pointers)) = letter_fields(&st, &code) else {
        return no_letter(&st, &s);
    };
    for f in &mut fields {
        f.fill(&sent);
    }
    let value = request_value(&code, &fields, &sent);
    let engine = st.engine.clone();
    let v2 = value.clone();
    let r = blocking(move || {
        let req = engine.request_from_value(&v2, ORIGIN).map_err(Err)?;
        let composed = engine.compose(&req).map_err(Ok)?;
        let rendered = engine.render(&req, &RenderOptions::default()).map_err(Ok)?;
        Ok::<_, Result<letterkit::Error, letterkit::RequestError>>((composed, rendered))
    })
    .await;
    let (composed, rendered) = match r {
        Ok(Ok(x)) => x,
        Ok(Err(Err(e))) => {
            audit(&st, &s.officer.id, "letter-preview", Some(&code), "refused");
            let mut errors: Vec<ErrorLink> = e
                .diagnostics
                .iter()
                .map(|d| {
                    // The CLI's line without the file's position: `path: message`.
                    let text = if d.path.is_empty() {
                        d.message.clone()
                    } else {
                        format!("{}: {}", d.path, d.message)
                    };
                    place(&mut fields, &pointers, &d.pointer, &text, "letter-form")
                })
                .collect();
            in_form_order(&mut errors, &fields);
            return show_form(
                &st,
                &s,
                StatusCode::UNPROCESSABLE_ENTITY,
                &code,
                &fields,
                &errors,
            );
        }
        Ok(Err(Ok(e))) => {
            audit(&st, &s.officer.id, "letter-preview", Some(&code), "refused");
            let link = place(&mut fields, &pointers, "", &e.to_string(), "letter-form");
            return show_form(
                &st,
                &s,
                StatusCode::UNPROCESSABLE_ENTITY,
                &code,
                &fields,
                &[link],
            );
        }
        Err(_) => {
            return message(
                &st,
                Some(&s),
                StatusCode::INTERNAL_SERVER_ERROR,
                "The letter could not be made",
                "It failed unexpectedly; see the server's log.",
            );
        }
    };
    let Ok(id) = random_hex(16) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let preview = preview_json(&composed);
    let d = Draft {
        id: id.clone(),
        code: code.clone(),
        form: pairs.into_iter().filter(|(k, _)| k != "csrf").collect(),
        request: value,
        pdf: rendered.pdf,
        pages: rendered.pages,
        queued: None,
        preview,
    };
    s.with_session(&st, |sess| {
        sess.drafts.push(d);
        if sess.drafts.len() > MAX_DRAFTS {
            sess.drafts.remove(0);
        }
    });
    audit(&st, &s.officer.id, "letter-preview", Some(&code), "ok");
    Redirect::to(&format!("/letters/drafts/{id}")).into_response()
}

fn inlines(v: &[Inline]) -> Vec<Value> {
    v.iter()
        .map(|i| json!({"text": i.text, "bold": i.bold}))
        .collect()
}

/// The composed letter as data for the HTML preview.
fn preview_json(c: &letterkit::compose::Composed) -> Value {
    let blocks: Vec<Value> = c
        .blocks
        .iter()
        .map(|b| match b {
            Block::Heading { level, text } => json!({"kind": "heading", "level": level, "text": text}),
            Block::Paragraph(i) => json!({"kind": "paragraph", "inlines": inlines(i)}),
            Block::Bullet(i) => json!({"kind": "bullet", "inlines": inlines(i)}),
            Block::Table(rows) => json!({
                "kind": "table",
                "rows": rows.iter().map(|(l, v)| json!({"label": l, "inlines": inlines(v)})).collect::<Vec<_>>(),
            }),
        })
        .collect();
    json!({
        "address": c.address,
        "meta": c.meta.iter().map(|(l, v)| json!({"label": l, "value": v})).collect::<Vec<_>>(),
        "blocks": blocks,
    })
}

fn find_draft(st: &AppState, s: &Signed, id: &str) -> Option<Draft> {
    s.with_session(st, |sess| sess.drafts.iter().find(|d| d.id == id).cloned())
        .flatten()
}

async fn draft(State(st): State<Arc<AppState>>, s: Signed, Path(id): Path<String>) -> Response {
    if let Err(r) = s.require(&st, Role::Render) {
        return r;
    }
    let Some(d) = find_draft(&st, &s, &id) else {
        return no_letter(&st, &s);
    };
    let letter = st.engine.catalog().letter(&d.code);
    let mut ctx = tera::Context::new();
    ctx.insert(
        "title",
        &format!(
            "Check the letter: {} {}",
            d.code,
            letter_title(&st, &d.code)
        ),
    );
    ctx.insert("id", &d.id);
    ctx.insert("code", &d.code);
    ctx.insert("pages", &d.pages);
    ctx.insert("kb", &d.pdf.len().div_ceil(1024));
    ctx.insert("preview", &d.preview);
    ctx.insert("queued", &d.queued);
    let mut postage = Field::new("postage", "radios", "Postage");
    postage.hint = Some("The letter's usual class is selected".into());
    let usual = letter.map(|l| l.postage).unwrap_or_default();
    postage.options = letterkit::outbox::Postage::ALL
        .iter()
        .map(|p| Opt {
            value: p.as_str().to_owned(),
            label: super::packs::words(p.as_str()) + " class",
            hint: None,
            checked: *p == usual,
        })
        .collect();
    ctx.insert("postage", &postage);
    ctx.insert(
        "can_queue",
        &(letter.is_some_and(|l| l.kind == DocKind::Letter) && s.officer.may(Role::Queue)),
    );
    page(
        &st,
        Some(&s),
        StatusCode::OK,
        "letter_draft.html",
        "/letters",
        ctx,
    )
}

async fn edit(State(st): State<Arc<AppState>>, s: Signed, Path(id): Path<String>) -> Response {
    if let Err(r) = s.require(&st, Role::Render) {
        return r;
    }
    let Some(d) = find_draft(&st, &s, &id) else {
        return no_letter(&st, &s);
    };
    let Some((mut fields, _)) = letter_fields(&st, &d.code) else {
        return no_letter(&st, &s);
    };
    let sent = Sent::new(&d.form);
    for f in &mut fields {
        f.fill(&sent);
    }
    show_form(&st, &s, StatusCode::OK, &d.code, &fields, &[])
}

async fn draft_pdf(State(st): State<Arc<AppState>>, s: Signed, Path(id): Path<String>) -> Response {
    pdf(st, s, id, true).await
}

async fn draft_download(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
) -> Response {
    pdf(st, s, id, false).await
}

async fn pdf(st: Arc<AppState>, s: Signed, id: String, inline: bool) -> Response {
    if let Err(r) = s.require(&st, Role::Render) {
        return r;
    }
    let Some(d) = find_draft(&st, &s, &id) else {
        return no_letter(&st, &s);
    };
    audit(
        &st,
        &s.officer.id,
        if inline {
            "letter-pdf-view"
        } else {
            "letter-download"
        },
        Some(&d.code),
        "ok",
    );
    file_response(d.pdf, "application/pdf", &format!("{}.pdf", d.code), inline)
}

async fn queue(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Err(r) = s.require(&st, Role::Queue) {
        return r;
    }
    let sent = Sent::new(&form.map(|Form(p)| p).unwrap_or_default());
    if let Err(r) = s.check_csrf(&st, sent.one("csrf"), "letter-queue") {
        return r;
    }
    let Some(d) = find_draft(&st, &s, &id) else {
        return no_letter(&st, &s);
    };
    // The class chosen (the letter's usual one when none or an unknown one is sent).
    let postage = sent
        .one("postage")
        .parse::<letterkit::outbox::Postage>()
        .ok();
    let engine = st.engine.clone();
    let value = d.request.clone();
    // Read under the outbox's lock so the client's recorded format (large
    // print, braille) applies as it does for `outbox add` and /v1/letters.
    let prepared = with_outbox(&st, move |o| {
        let req = engine
            .request_from_value(&value, ORIGIN)
            .map_err(|e| e.to_string())?;
        let recorded = o.recorded_format(&req).map_err(|e| e.to_string())?;
        let translator = letterkit::braille::Liblouis::default();
        letterkit::outbox::prepare(&engine, &req, recorded, &translator, postage, None)
            .map_err(|e| e.to_string())
    })
    .await;
    let prepared = match prepared {
        Ok(Ok(p)) => p,
        Ok(Err(m)) => {
            audit(&st, &s.officer.id, "letter-queue", Some(&d.code), "refused");
            return message(
                &st,
                Some(&s),
                StatusCode::UNPROCESSABLE_ENTITY,
                "The letter could not be queued",
                &m,
            );
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let actor = s.actor(&st);
    let r = with_outbox(&st, move |o| o.queue(vec![prepared], &actor, false)).await;
    let refusal = |m: String| {
        audit(&st, &s.officer.id, "letter-queue", Some(&d.code), "refused");
        message(
            &st,
            Some(&s),
            StatusCode::CONFLICT,
            "The outbox refused the letter",
            &m,
        )
    };
    match r {
        Ok(Ok(mut v)) => match v.pop() {
            Some(Ok(q)) => {
                let lid = q.letter.id.clone();
                s.with_session(&st, |sess| {
                    if let Some(x) = sess.drafts.iter_mut().find(|x| x.id == d.id) {
                        x.queued = Some(lid.clone());
                    }
                });
                audit(&st, &s.officer.id, "letter-queue", Some(&lid), "ok");
                let m = if q.already {
                    format!(
                        "{} was already in the outbox as {lid}; nothing was added",
                        d.code
                    )
                } else {
                    format!(
                        "{} queued as {lid} for the transmission of {}; it may be cancelled until {}",
                        d.code,
                        letterkit::outbox::day_words(q.letter.transmission),
                        letterkit::outbox::when(q.letter.cancellable_until)
                    )
                };
                s.flash(&st, m);
                Redirect::to("/outbox").into_response()
            }
            Some(Err(r)) => refusal(r.message),
            None => refusal("nothing was queued".into()),
        },
        Ok(Err(OutboxError::Refused(rs))) => refusal(
            rs.iter()
                .map(|r| r.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Ok(Err(e)) => refusal(e.to_string()),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
