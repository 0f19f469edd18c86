//! Form fields as the templates draw them (GOV.UK Frontend's text inputs,
//! date inputs, radios, checkboxes, textareas and file uploads), the values
//! a form sent, and the error summary that links to each field.

use std::collections::BTreeMap;

use serde::Serialize;

/// One choice of a radios or checkboxes field.
#[derive(Debug, Clone, Serialize)]
pub struct Opt {
    /// The value sent.
    pub value: String,
    /// Its label.
    pub label: String,
    /// What it means (e.g. the paragraph it puts in the letter).
    pub hint: Option<String>,
    /// Whether it is selected.
    pub checked: bool,
}

/// One field of a form.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Field {
    /// Its id and name (a date's parts add `-day`, `-month`, `-year`).
    pub id: String,
    /// `text`, `textarea`, `date`, `time`, `money`, `radios`, `checkboxes`
    /// or `file`.
    pub kind: &'static str,
    /// The label or legend.
    pub label: String,
    /// The hint under it.
    pub hint: Option<String>,
    /// `(optional)` after the label.
    pub optional: bool,
    /// The value (text fields).
    pub value: String,
    /// A date's day, month and year.
    pub day: String,
    /// See `day`.
    pub month: String,
    /// See `day`.
    pub year: String,
    /// Radios and checkboxes.
    pub options: Vec<Opt>,
    /// The error shown above the field.
    pub error: Option<String>,
    /// A GOV.UK width class (`govuk-input--width-10`).
    pub width: Option<&'static str>,
    /// The autocomplete token.
    pub autocomplete: Option<&'static str>,
    /// Extra: `numeric` for inputmode.
    pub numeric: bool,
}

impl Field {
    /// A field of `kind`.
    pub fn new(id: &str, kind: &'static str, label: impl Into<String>) -> Field {
        Field {
            id: id.to_owned(),
            kind,
            label: label.into(),
            ..Field::default()
        }
    }

    /// With a hint.
    #[must_use]
    pub fn hint(mut self, h: impl Into<String>) -> Field {
        self.hint = Some(h.into());
        self
    }

    /// The element id an error about this field links to.
    pub fn anchor(&self) -> String {
        match self.kind {
            "date" => format!("{}-day", self.id),
            _ => self.id.clone(),
        }
    }

    /// Fills the field's value(s) from a sent form.
    pub fn fill(&mut self, sent: &Sent) {
        match self.kind {
            "date" => {
                self.day = sent.one(&format!("{}-day", self.id)).to_owned();
                self.month = sent.one(&format!("{}-month", self.id)).to_owned();
                self.year = sent.one(&format!("{}-year", self.id)).to_owned();
            }
            "radios" => {
                let v = sent.one(&self.id);
                for o in &mut self.options {
                    o.checked = o.value == v;
                }
            }
            "checkboxes" => {
                let vs = sent.all(&self.id);
                for o in &mut self.options {
                    o.checked = vs.contains(&o.value.as_str());
                }
            }
            "file" => {}
            _ => self.value = sent.one(&self.id).to_owned(),
        }
    }

    /// Adds an error (several are joined).
    pub fn add_error(&mut self, m: &str) {
        self.error = Some(match self.error.take() {
            Some(e) => format!("{e}; {m}"),
            None => m.to_owned(),
        });
    }
}

/// The fields a form sent (a name may come more than once: checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Sent {
    values: BTreeMap<String, Vec<String>>,
}

impl Sent {
    /// From name/value pairs, in order.
    pub fn new(pairs: &[(String, String)]) -> Sent {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            values.entry(k.clone()).or_default().push(v.clone());
        }
        Sent { values }
    }

    /// The first value of `name`, trimmed ("" when absent).
    pub fn one(&self, name: &str) -> &str {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map_or("", |s| s.trim())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .get(name)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// A date from `name-day`, `name-month`, `name-year` as `YYYY-MM-DD`
    /// (the library checks it); None when all three are empty.
    pub fn date(&self, name: &str) -> Option<String> {
        let d = self.one(&format!("{name}-day"));
        let m = self.one(&format!("{name}-month"));
        let y = self.one(&format!("{name}-year"));
        if d.is_empty() && m.is_empty() && y.is_empty() {
            return None;
        }
        Some(format!("{y:0>4}-{m:0>2}-{d:0>2}"))
    }

    /// Lines of a textarea, trimmed, blank ones left out.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.one(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A form's fields, and for each the pointer its errors are placed by
/// (see [`place`]).
pub type Fields = (Vec<Field>, Vec<(String, usize)>);

/// One entry of the error summary.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorLink {
    /// `#id` of the field.
    pub href: String,
    /// The message.
    pub text: String,
}

/// Puts `message` on the field whose pointer is the longest prefix of
/// `pointer` (at a `/` boundary), and returns the summary link; without a
/// matching field the link goes to `fallback`.
pub fn place(
    fields: &mut [Field],
    pointers: &[(String, usize)],
    pointer: &str,
    message: &str,
    fallback: &str,
) -> ErrorLink {
    let best = pointers
        .iter()
        .filter(|(p, _)| {
            pointer == p
                || (pointer.starts_with(p.as_str())
                    && pointer.as_bytes().get(p.len()) == Some(&b'/'))
        })
        .max_by_key(|(p, _)| p.len());
    match best {
        Some((_, i)) => {
            fields[*i].add_error(message);
            ErrorLink {
                href: format!("#{}", fields[*i].anchor()),
                text: message.to_owned(),
            }
        }
        None => ErrorLink {
            href: format!("#{fallback}"),
            text: message.to_owned(),
        },
    }
}

/// Orders the summary as the form is ordered (GOV.UK's rule), links to
/// no field last.
pub fn in_form_order(errors: &mut [ErrorLink], fields: &[Field]) {
    let at = |e: &ErrorLink| {
        fields
            .iter()
            .position(|f| format!("#{}", f.anchor()) == e.href)
            .unwrap_or(usize::MAX)
    };
    errors.sort_by_key(at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_put_together_and_errors_placed_on_their_field() {
        let sent = Sent::new(&[
            ("d-day".into(), "9".into()),
            ("d-month".into(), "3".into()),
            ("d-year".into(), "2026".into()),
            ("e-day".into(), " ".into()),
        ]);
        assert_eq!(sent.date("d").as_deref(), Some("2026-03-09"));
        assert_eq!(sent.date("e"), None);
        let mut fields = vec![
            Field::new("date", "date", "Date"),
            Field::new("recipient-address", "textarea", "Address"),
        ];
        let pointers = vec![
            ("/date".to_owned(), 0),
            ("/recipient/address".to_owned(), 1),
        ];
        let l = place(
            &mut fields,
            &pointers,
            "/recipient/address/2",
            "too long",
            "top",
        );
        assert_eq!(l.href, "#recipient-address");
        assert_eq!(fields[1].error.as_deref(), Some("too long"));
        let l = place(&mut fields, &pointers, "/date", "not a date", "top");
        assert_eq!(l.href, "#date-day");
        let l = place(&mut fields, &pointers, "/dates", "x", "top");
        assert_eq!(l.href, "#top");
    }
}
