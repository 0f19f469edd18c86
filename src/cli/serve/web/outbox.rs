//! The outbox pages: a transmission's letters by state, the cut-off and
//! how long is left (the clock is read here, at the edge), the same-day
//! review, and each letter's history with cancel (a reason is required),
//! suppress the client (a reason code is required), and reissue: each the
//! [`letterkit::outbox::Outbox`] verb the CLI and the JSON API call.
//!
//! No page shows or puts in a URL a client's reference, name or address:
//! a letter is named by its outbox id, and suppressing "this letter's
//! client" looks the reference up on the server.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use letterkit::outbox::calendar::{Calendar, Date, Timestamp};
use letterkit::outbox::model::{State as LState, SuppressReason};
use letterkit::outbox::store::Filter;
use letterkit::outbox::{LetterRecord, OutboxError, day_words, when};
use serde_json::{Value, json};

use super::form::{ErrorLink, Field, Opt, Sent, place};
use super::{AppState, DayQuery, Signed, audit, day_query, file_response, message, page};
use crate::cli::serve::auth::Role;
use crate::cli::serve::with_outbox;

/// The routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/outbox", get(list))
        .route("/outbox/letters/{id}", get(show))
        .route("/outbox/letters/{id}/pdf", get(pdf))
        .route(
            "/outbox/letters/{id}/{action}",
            get(action_form).post(action),
        )
}

fn may_read(s: &Signed) -> bool {
    s.officer.may(Role::Queue) || s.officer.may(Role::Cancel)
}

fn forbidden(st: &AppState, s: &Signed) -> Response {
    message(
        st,
        Some(s),
        StatusCode::FORBIDDEN,
        "You cannot use this page",
        "Your account has neither the `queue` nor the `cancel` role the outbox pages need. Ask whoever keeps the officers file to add one.",
    )
}

/// "2 hours 5 minutes left", or that the cut-off has passed.
pub fn time_left(now: Timestamp, cutoff: Timestamp) -> String {
    let secs = cutoff.as_second() - now.as_second();
    if secs <= 0 {
        return "the cut-off has passed".into();
    }
    let mins = (secs + 59) / 60;
    let (h, m) = (mins / 60, mins % 60);
    let part = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    match (h, m) {
        (0, m) => format!("{} left", part(m, "minute")),
        (h, 0) => format!("{} left", part(h, "hour")),
        (h, m) => format!("{} {} left", part(h, "hour"), part(m, "minute")),
    }
}

fn row(l: &LetterRecord) -> Value {
    json!({
        "id": l.id, "code": l.code, "state": l.state.as_str(), "pages": l.pages,
        "sheets": l.sheets, "postage": l.postage.as_str(), "queued": when(l.created_at),
        "cancellable_until": when(l.cancellable_until), "transmission": day_words(l.transmission),
        "reissue_of": l.reissue_of, "batch": l.batch,
        "can_cancel": l.state == LState::Queued,
        "can_reissue": matches!(l.state, LState::Transmitted | LState::Despatched | LState::Returned | LState::Rejected),
    })
}

fn outbox_failed(st: &AppState, s: &Signed, e: &OutboxError) -> Response {
    let text = match e {
        OutboxError::Refused(rs) => rs
            .iter()
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        OutboxError::Invalid(m) => m.clone(),
        _ => "The outbox could not be used; try again later.".to_owned(),
    };
    message(
        st,
        Some(s),
        StatusCode::CONFLICT,
        "The outbox refused",
        &text,
    )
}

async fn list(
    State(st): State<Arc<AppState>>,
    s: Signed,
    q: Result<Query<DayQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !may_read(&s) {
        return forbidden(&st, &s);
    }
    let now = st.now.unwrap_or_else(Timestamp::now);
    let asked = day_query(q).day.and_then(|d| d.parse::<Date>().ok());
    let r = with_outbox(&st, move |o| {
        let settings = o.settings()?;
        let cal = Calendar::new(settings.region, settings.cutoff);
        let current = cal.transmission_for(now);
        let day = asked.unwrap_or(current.day);
        let letters = o.list(&Filter {
            day: Some(day),
            ..Filter::default()
        })?;
        let review = o.review(day)?;
        Ok::<_, OutboxError>((settings, current, day, letters, review))
    })
    .await;
    let (settings, current, day, letters, review) = match r {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return outbox_failed(&st, &s, &e),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let groups: Vec<Value> = LState::ALL
        .iter()
        .filter_map(|state| {
            let rows: Vec<Value> = letters
                .iter()
                .filter(|l| l.state == *state)
                .map(row)
                .collect();
            (!rows.is_empty()).then(|| json!({"state": state.as_str(), "letters": rows}))
        })
        .collect();
    let review: Vec<Value> = review
        .iter()
        .map(|g| json!({"letters": g.letters.iter().map(row).collect::<Vec<_>>()}))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("title", "Outbox");
    ctx.insert("day", &day.to_string());
    ctx.insert("day_words", &day_words(day));
    ctx.insert("is_current", &(day == current.day));
    ctx.insert("current_day", &day_words(current.day));
    ctx.insert(
        "cutoff",
        &format!(
            "{:02}:{:02}",
            settings.cutoff.hour(),
            settings.cutoff.minute()
        ),
    );
    ctx.insert("cutoff_when", &when(current.cutoff));
    ctx.insert("left", &time_left(now, current.cutoff));
    ctx.insert("now", &when(now));
    ctx.insert("groups", &groups);
    ctx.insert("count", &letters.len());
    ctx.insert("review", &review);
    page(&st, Some(&s), StatusCode::OK, "outbox.html", "/outbox", ctx)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 120
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

async fn show(State(st): State<Arc<AppState>>, s: Signed, Path(id): Path<String>) -> Response {
    if !may_read(&s) {
        return forbidden(&st, &s);
    }
    if !valid_id(&id) {
        return not_found(&st, &s);
    }
    let r = with_outbox(&st, move |o| o.show(&id)).await;
    let (l, history) = match r {
        Ok(Ok(x)) => x,
        Ok(Err(OutboxError::Refused(_))) => return not_found(&st, &s),
        Ok(Err(e)) => return outbox_failed(&st, &s, &e),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let history: Vec<Value> = history
        .iter()
        .map(|h| {
            json!({"at": when(h.at), "by": h.by, "from": h.from.map(|x| x.as_str()), "to": h.to.as_str(), "reason": h.reason})
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("title", &format!("Letter {}", l.id));
    ctx.insert("letter", &row(&l));
    ctx.insert("history", &history);
    ctx.insert("purged", &l.purged_at.is_some());
    page(
        &st,
        Some(&s),
        StatusCode::OK,
        "outbox_letter.html",
        "/outbox",
        ctx,
    )
}

fn not_found(st: &AppState, s: &Signed) -> Response {
    message(
        st,
        Some(s),
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no letter with this id in the outbox.",
    )
}

async fn pdf(State(st): State<Arc<AppState>>, s: Signed, Path(id): Path<String>) -> Response {
    if !may_read(&s) {
        return forbidden(&st, &s);
    }
    if !valid_id(&id) {
        return not_found(&st, &s);
    }
    let i2 = id.clone();
    match with_outbox(&st, move |o| o.pdf(&i2)).await {
        Ok(Ok(bytes)) => {
            audit(&st, &s.officer.id, "outbox-pdf-view", Some(&id), "ok");
            file_response(bytes, "application/pdf", &format!("{id}.pdf"), true)
        }
        Ok(Err(OutboxError::Refused(_))) => not_found(&st, &s),
        Ok(Err(e)) => outbox_failed(&st, &s, &e),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// What each action asks for.
fn action_fields(action: &str) -> Option<(&'static str, &'static str, Role, Vec<Field>)> {
    match action {
        "cancel" => Some((
            "Cancel the letter",
            "Cancel the letter",
            Role::Cancel,
            vec![Field::new("reason", "textarea", "Why is the letter cancelled?").hint(
                "The letter's history keeps this. Do not write the client's name, address or reference.",
            )],
        )),
        "suppress" => {
            let mut f = Field::new("reason", "radios", "Why is contact with the client suppressed?")
                .hint("Every queued letter to this letter's client becomes suppressed, and new letters to them are refused until the suppression ends.");
            f.options = SuppressReason::ALL
                .iter()
                .map(|r| Opt {
                    value: r.as_str().to_owned(),
                    label: super::packs::words(r.as_str()),
                    hint: None,
                    checked: false,
                })
                .collect();
            let mut until = Field::new("until", "date", "Last day of the suppression")
                .hint("Leave it empty to suppress until it is ended by hand");
            until.optional = true;
            Some((
                "Suppress contact with this letter's client",
                "Suppress contact",
                Role::Cancel,
                vec![f, until],
            ))
        }
        "reissue" => Some((
            "Reissue the letter",
            "Reissue the letter",
            Role::Queue,
            vec![
                Field::new("date", "date", "Date of the covering letter")
                    .hint("For example, 9 3 2026"),
                Field::new("reason", "textarea", "Why is the letter reissued?").hint(
                    "The history keeps this. Do not write the client's name, address or reference.",
                ),
            ],
        )),
        _ => None,
    }
}

fn action_page(
    st: &AppState,
    s: &Signed,
    status: StatusCode,
    id: &str,
    action: &str,
    fields: &[Field],
    errors: &[ErrorLink],
) -> Response {
    let Some((title, button, _, _)) = action_fields(action) else {
        return not_found(st, s);
    };
    let mut ctx = tera::Context::new();
    ctx.insert("title", title);
    ctx.insert("button", button);
    ctx.insert("id", id);
    ctx.insert("action", action);
    ctx.insert("fields", fields);
    ctx.insert("errors", errors);
    page(st, Some(s), status, "outbox_action.html", "/outbox", ctx)
}

async fn action_form(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let Some((_, _, role, fields)) = action_fields(&action) else {
        return not_found(&st, &s);
    };
    if let Err(r) = s.require(&st, role) {
        return r;
    }
    if !valid_id(&id) {
        return not_found(&st, &s);
    }
    action_page(&st, &s, StatusCode::OK, &id, &action, &fields, &[])
}

/// A reason as the JSON API takes it: 1 to 500 characters on one line.
fn reason_problem(reason: &str) -> Option<&'static str> {
    let n = reason.trim().chars().count();
    if n == 0 {
        Some("Enter the reason: the history keeps it")
    } else if n > 500 || reason.chars().any(char::is_control) {
        Some("The reason must be at most 500 characters on one line")
    } else {
        None
    }
}

async fn action(
    State(st): State<Arc<AppState>>,
    s: Signed,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some((_, _, role, mut fields)) = action_fields(&action) else {
        return not_found(&st, &s);
    };
    if let Err(r) = s.require(&st, role) {
        return r;
    }
    let sent = Sent::new(&form.map(|Form(p)| p).unwrap_or_default());
    let audit_action = format!("outbox-{action}");
    if let Err(r) = s.check_csrf(&st, sent.one("csrf"), &audit_action) {
        return r;
    }
    if !valid_id(&id) {
        return not_found(&st, &s);
    }
    for f in &mut fields {
        f.fill(&sent);
    }
    let pointers: Vec<(String, usize)> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone(), i))
        .collect();
    let reason = sent.one("reason").to_owned();
    // Every problem with the answers at once, before anything is done.
    let code = reason.parse::<SuppressReason>().ok();
    let until = sent.date("until").map(|d| d.parse::<Date>());
    let date = sent.date("date").and_then(|d| d.parse::<Date>().ok());
    let mut problems: Vec<(&str, &str)> = Vec::new();
    if action == "reissue" && date.is_none() {
        problems.push((
            "date",
            "Enter the covering letter's date as a real date, for example 9 3 2026",
        ));
    }
    if action == "suppress" {
        if code.is_none() {
            problems.push(("reason", "Select why contact is suppressed"));
        }
        if matches!(until, Some(Err(_))) {
            problems.push((
                "until",
                "The last day must be a real date, for example 31 3 2026",
            ));
        }
    } else if let Some(m) = reason_problem(&reason) {
        problems.push(("reason", m));
    }
    let mut errors: Vec<ErrorLink> = problems
        .iter()
        .map(|(at, m)| place(&mut fields, &pointers, at, m, "action-form"))
        .collect();
    if !errors.is_empty() {
        return action_page(
            &st,
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            &id,
            &action,
            &fields,
            &errors,
        );
    }
    let actor = s.actor(&st);
    let done: Result<String, OutboxError> = match (action.as_str(), code, date) {
        ("suppress", Some(code), _) => {
            let until = until.and_then(Result::ok);
            let i2 = id.clone();
            match with_outbox(&st, move |o| {
                let (l, _) = o.show(&i2)?;
                let Some(reference) = l.reference else {
                    return Err(OutboxError::Invalid(
                        "the letter's details have been purged, so its client cannot be found".into(),
                    ));
                };
                o.suppress(&reference, code, until, &actor)
            })
            .await
            {
                Ok(r) => r.map(|ids| {
                    format!(
                        "Contact with the client of letter {id} suppressed (reason {code}); {} queued letter{} suppressed",
                        ids.len(),
                        if ids.len() == 1 { "" } else { "s" }
                    )
                }),
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        ("cancel", _, _) => {
            let ids = vec![id.clone()];
            match with_outbox(&st, move |o| o.cancel(&ids, reason.trim(), &actor)).await {
                Ok(r) => r.map(|_| format!("Letter {id} cancelled")),
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        (_, _, Some(date)) => {
            let engine = st.engine.clone();
            let i2 = id.clone();
            match with_outbox(&st, move |o| {
                o.reissue(&engine, &i2, date, reason.trim(), &actor)
            })
            .await
            {
                Ok(r) => r.map(|(q, _)| format!("Letter {id} reissued as {}", q.letter.id)),
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        _ => return not_found(&st, &s),
    };
    match done {
        Ok(m) => {
            audit(&st, &s.officer.id, &audit_action, Some(&id), "ok");
            s.flash(&st, m);
            Redirect::to("/outbox").into_response()
        }
        Err(e) => {
            audit(&st, &s.officer.id, &audit_action, Some(&id), "refused");
            let text = match &e {
                OutboxError::Refused(rs) => rs
                    .iter()
                    .map(|r| r.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                OutboxError::Invalid(m) => m.clone(),
                _ => return outbox_failed(&st, &s, &e),
            };
            errors.push(ErrorLink {
                href: "#action-form".into(),
                text,
            });
            action_page(
                &st,
                &s,
                StatusCode::CONFLICT,
                &id,
                &action,
                &fields,
                &errors,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_in_hours_and_minutes() {
        let t = |s: &str| s.parse::<Timestamp>().expect("time");
        assert_eq!(
            time_left(t("2026-03-02T15:25:00Z"), t("2026-03-02T17:30:00Z")),
            "2 hours 5 minutes left"
        );
        assert_eq!(
            time_left(t("2026-03-02T17:29:30Z"), t("2026-03-02T17:30:00Z")),
            "1 minute left"
        );
        assert_eq!(
            time_left(t("2026-03-02T17:30:00Z"), t("2026-03-02T17:30:00Z")),
            "the cut-off has passed"
        );
    }
}
