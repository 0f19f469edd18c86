//! The two checked ways into a [`Request`] for a program: a request built
//! in code ([`RequestBuilder`]) and a request read by serde from data the
//! program was sent ([`UncheckedRequest`]). Both end in the same validation
//! as a request file, with every problem reported at once.

use serde_json::{Map, Value};

use super::format::LetterFormat;
use super::values::{Date, Money, Time};
use super::{Request, RequestError};
use crate::Engine;
use crate::catalog::Language;

/// A request as a program received it, not yet checked: any JSON (or YAML,
/// through a serde deserializer) deserialises into it, whatever its shape,
/// so nothing is refused before the engine has seen it; then
/// [`Engine::check`] validates it against the catalog, reporting every
/// problem at once with a JSON Pointer to each.
///
/// A `Deserialize` on [`Request`] itself is impossible: a deserializer
/// cannot see the catalog that says which fields a letter has. A service
/// deserialises into this type (on its own, or as a field of its own
/// message type) and checks it:
///
/// ```
/// use letterkit::{Engine, request::UncheckedRequest};
///
/// #[derive(serde::Deserialize)]
/// struct Job {
///     priority: u8,
///     request: UncheckedRequest,
/// }
///
/// let engine = Engine::builtin()?;
/// let job: Job = serde_json::from_str(r#"{"priority": 1, "request": {
///     "letter": "CMSL5503", "date": "2026-03-02", "reference": "1234 5678 9012",
///     "recipient": {"name": "Ms Priya Patel", "address": ["14 Church Lane", "Leeds"],
///                   "postcode": "LS6 1AB"},
///     "fields": {"meeting-date": "2026-03-16", "meeting-time": "10:30",
///                "meeting-location": "Crown House, Leeds"}}}"#)?;
/// let request = engine.check(&job.request, "job")?;
/// assert_eq!(request.letter(), "CMSL5503");
/// // Serialised, a checked request is its canonical form, which reads back
/// // to the same request.
/// let again: UncheckedRequest = serde_json::from_str(&serde_json::to_string(&request)?)?;
/// assert_eq!(engine.check(&again, "again")?, request);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UncheckedRequest(Value);

impl UncheckedRequest {
    /// The data, as received.
    pub fn new(value: Value) -> UncheckedRequest {
        UncheckedRequest(value)
    }

    /// The data.
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// The data, taken out.
    pub fn into_value(self) -> Value {
        self.0
    }
}

impl From<Value> for UncheckedRequest {
    fn from(value: Value) -> UncheckedRequest {
        UncheckedRequest(value)
    }
}

impl From<&Request> for UncheckedRequest {
    /// The request's canonical form.
    fn from(request: &Request) -> UncheckedRequest {
        UncheckedRequest(super::canonical::canonical_value(request))
    }
}

impl From<Date> for Value {
    fn from(d: Date) -> Value {
        Value::String(d.to_string())
    }
}

impl From<Time> for Value {
    fn from(t: Time) -> Value {
        Value::String(t.to_string())
    }
}

impl From<Money> for Value {
    fn from(m: Money) -> Value {
        Value::String(super::canonical::money_text(m))
    }
}

/// A request built in code, checked by [`RequestBuilder::build`] exactly as
/// a request file is: every problem at once, each with its [`super::Code`]
/// and JSON Pointer. Values are given as a request file would write them
/// (text, numbers, booleans, lists of lines; [`Date`], [`Time`] and
/// [`Money`] convert), so a wrong one is reported, never panicked on.
///
/// ```
/// use letterkit::{Engine, RenderOptions, request::RequestBuilder};
///
/// let engine = Engine::builtin()?;
/// let request = RequestBuilder::new("CMSL5503")
///     .date("2026-03-02")
///     .reference("1234 5678 9012")
///     .recipient("Ms Priya Patel", ["14 Church Lane", "Leeds"], "LS6 1AB")
///     .field("meeting-date", "2026-03-16")
///     .field("meeting-time", "10:30")
///     .field("meeting-location", "Crown House, Leeds")
///     .build(&engine)?;
/// let rendered = engine.render(&request, &RenderOptions::default())?;
/// assert_eq!(rendered.pages, 1);
///
/// // A mistake is reported, not rendered.
/// let err = RequestBuilder::new("CMSL5503")
///     .date("2026-03-02")
///     .reference("xyz")
///     .recipient("Ms Priya Patel", ["14 Church Lane", "Leeds"], "LS6 1AB")
///     .build(&engine)
///     .expect_err("a bad reference and missing fields");
/// assert_eq!(err.diagnostics[0].pointer, "/fields/meeting-date");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct RequestBuilder {
    origin: String,
    top: Map<String, Value>,
    recipient: Option<Value>,
    fields: Map<String, Value>,
    optional: Vec<Value>,
}

impl RequestBuilder {
    /// A request for the letter `code`; diagnostics name it `request`
    /// (see [`RequestBuilder::origin`]).
    pub fn new(code: impl Into<String>) -> RequestBuilder {
        let mut top = Map::new();
        top.insert("letter".into(), Value::String(code.into()));
        RequestBuilder {
            origin: "request".into(),
            top,
            recipient: None,
            fields: Map::new(),
            optional: Vec::new(),
        }
    }

    /// What diagnostics name the request by (their `origin`).
    pub fn origin(mut self, origin: impl Into<String>) -> RequestBuilder {
        self.origin = origin.into();
        self
    }

    /// The caller's id (names output files in batches).
    pub fn id(self, id: impl Into<String>) -> RequestBuilder {
        self.key("id", Value::String(id.into()))
    }

    /// The date printed on the letter: a [`Date`] or `YYYY-MM-DD` text.
    pub fn date(self, date: impl Into<Value>) -> RequestBuilder {
        self.key("date", date.into())
    }

    /// The client's reference (SCIN), 12 digits.
    pub fn reference(self, reference: impl Into<String>) -> RequestBuilder {
        self.key("reference", Value::String(reference.into()))
    }

    /// The language (English unless given).
    pub fn language(self, language: Language) -> RequestBuilder {
        self.key("language", Value::String(language.code().into()))
    }

    /// Standard print (the default), large print or braille.
    pub fn format(mut self, format: LetterFormat) -> RequestBuilder {
        for k in ["format", "size", "grade", "profile"] {
            self.top.remove(k);
        }
        super::canonical::insert_format(&mut self.top, format);
        self
    }

    /// Who the letter goes to: name, address lines, postcode.
    pub fn recipient<L: Into<String>>(
        mut self,
        name: impl Into<String>,
        address: impl IntoIterator<Item = L>,
        postcode: impl Into<String>,
    ) -> RequestBuilder {
        let address: Vec<Value> = address
            .into_iter()
            .map(|l| Value::String(l.into()))
            .collect();
        self.recipient = Some(serde_json::json!({
            "name": name.into(),
            "address": address,
            "postcode": postcode.into(),
        }));
        self
    }

    /// A field's value, as a request file would write it: text, a number, a
    /// boolean, a list of lines (`Vec<&str>`), a [`Date`], [`Time`] or
    /// [`Money`]. Given twice, the second value counts.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> RequestBuilder {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// Chooses an optional paragraph by its id.
    pub fn optional(mut self, id: impl Into<String>) -> RequestBuilder {
        self.optional.push(Value::String(id.into()));
        self
    }

    /// Any top-level key, as written in a request file (`letter`, `date`,
    /// ...); a key requests do not have is reported when built.
    pub fn key(mut self, name: impl Into<String>, value: impl Into<Value>) -> RequestBuilder {
        self.top.insert(name.into(), value.into());
        self
    }

    /// The request as data, not yet checked (what [`RequestBuilder::build`]
    /// checks).
    pub fn to_unchecked(&self) -> UncheckedRequest {
        let mut top = self.top.clone();
        if let Some(r) = &self.recipient {
            top.insert("recipient".into(), r.clone());
        }
        if !self.fields.is_empty() {
            top.insert("fields".into(), Value::Object(self.fields.clone()));
        }
        if !self.optional.is_empty() {
            top.insert("optional".into(), Value::Array(self.optional.clone()));
        }
        UncheckedRequest(Value::Object(top))
    }

    /// Checks the request against `engine`'s catalog, as
    /// [`Engine::parse_request`] checks a file.
    ///
    /// # Errors
    /// Every problem in the request, each with a stable code and a JSON
    /// Pointer (no line and column: there is no source text).
    pub fn build(&self, engine: &Engine) -> Result<Request, RequestError> {
        engine.check(&self.to_unchecked(), &self.origin)
    }
}
