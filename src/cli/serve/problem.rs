//! RFC 9457 problem details (`application/problem+json`): every error the
//! service answers, with each diagnostic of a request in `errors` (its
//! code, JSON Pointer and the CLI's message).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use letterkit::request::Diagnostic;
use serde::Serialize;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One entry of a problem's `errors`.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorItem {
    /// Stable code (`unknown-field`, `bad-date`, `too-late`, ...).
    pub code: String,
    /// JSON Pointer into the request body (`/fields/meeting-date`), or
    /// empty for the whole body.
    pub pointer: String,
    /// The message, as the CLI prints it after `file:line:column: path:`.
    pub message: String,
    /// The field path as the CLI prints it (`recipient.address[2]`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Line in the body (0 when not known).
    pub line: u32,
    /// Column in the body (0 when not known).
    pub column: u32,
    /// Allowed values, where known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// The closest allowed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The query parameter it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

impl From<&Diagnostic> for ErrorItem {
    fn from(d: &Diagnostic) -> ErrorItem {
        ErrorItem {
            code: d.code.as_str(),
            pointer: d.pointer.clone(),
            message: d.message.clone(),
            path: d.path.clone(),
            line: d.pos.line,
            column: d.pos.column,
            allowed: d.allowed.clone(),
            suggestion: d.suggestion.clone(),
            parameter: None,
        }
    }
}

impl ErrorItem {
    /// An entry about the whole body or a query parameter.
    pub fn plain(code: &str, message: impl Into<String>) -> ErrorItem {
        ErrorItem {
            code: code.to_owned(),
            pointer: String::new(),
            message: message.into(),
            path: String::new(),
            line: 0,
            column: 0,
            allowed: Vec::new(),
            suggestion: None,
            parameter: None,
        }
    }
}

/// A problem answer.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `urn:letterkit:problem:SLUG`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short and the same for every problem of the type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// This occurrence, in words (no personal data).
    pub detail: String,
    /// Every diagnostic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorItem>,
    #[serde(skip)]
    retry_after: Option<u64>,
    #[serde(skip)]
    allow_bearer: bool,
}

impl Problem {
    /// A problem of type `slug`.
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:letterkit:problem:{slug}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow_bearer: false,
        }
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: &str) -> Problem {
        let mut p = Problem::new(401, "unauthorized", "Unauthorized", detail);
        p.allow_bearer = true;
        p
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(404, "not-found", "Not Found", detail)
    }

    /// 400 about the request itself (a query parameter, a header).
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(400, "bad-request", "Bad Request", detail)
    }

    /// 500, saying no more than that (the log has the request id).
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(500, "internal", "Internal Server Error", detail)
    }

    /// 422 with every diagnostic of a request.
    pub fn invalid_request(diagnostics: &[Diagnostic]) -> Problem {
        let n = diagnostics.len();
        let mut p = Problem::new(
            422,
            "invalid-request",
            "The request is not valid",
            format!(
                "the request has {n} problem{}; each is in errors, with its JSON Pointer",
                if n == 1 { "" } else { "s" }
            ),
        );
        p.errors = diagnostics.iter().map(ErrorItem::from).collect();
        p
    }

    /// With these errors.
    pub fn with_errors(mut self, errors: Vec<ErrorItem>) -> Problem {
        self.errors = errors;
        self
    }

    /// With `Retry-After: secs`.
    pub fn retry_after(mut self, secs: u64) -> Problem {
        self.retry_after = Some(secs);
        self
    }

    /// The first error's code, else the type's slug (for metrics).
    pub fn code(&self) -> &str {
        self.errors.first().map_or_else(
            || {
                self.kind
                    .strip_prefix("urn:letterkit:problem:")
                    .unwrap_or(&self.kind)
            },
            |e| e.code.as_str(),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.allow_bearer {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"letterkit\""),
            );
        }
        if self.errors.is_empty() {
            r.extensions_mut()
                .insert(ProblemCodes(vec![self.code().to_owned()]));
        } else {
            r.extensions_mut().insert(ProblemCodes(
                self.errors.iter().map(|e| e.code.clone()).collect(),
            ));
        }
        r
    }
}

/// The codes of a problem answer, for the failures-by-code metric.
#[derive(Debug, Clone)]
pub struct ProblemCodes(pub Vec<String>);
