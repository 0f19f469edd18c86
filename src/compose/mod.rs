//! Compose: a checked request + its definition → document blocks.
//!
//! Choice codes become their paragraphs' wording, Tera fills the letter's
//! template, and the template's output (a small block markup, see
//! [`markup`]) is parsed into headings, paragraphs, tables and bullets.
//! Every value is escaped on its way into the template, so no value can turn
//! into markup.

mod check;
pub(crate) mod filters;
pub mod markup;

use std::io::Write;

pub use crate::catalog::DocKind;
use crate::catalog::{Catalog, FieldType, Language, Letter, Selects};
use crate::request::{FieldValue, Request};
pub(crate) use check::check_templates;

/// A run of inline text.
#[derive(Debug, Clone, PartialEq)]
pub struct Inline {
    /// The text (`\n` forces a line break).
    pub text: String,
    /// Bold or regular.
    pub bold: bool,
}

/// A block of a document body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading: level 1 is the letter's title, 2 a sub-heading.
    Heading {
        /// 1 or 2.
        level: u8,
        /// Text.
        text: String,
    },
    /// A paragraph.
    Paragraph(Vec<Inline>),
    /// A bullet point.
    Bullet(Vec<Inline>),
    /// A two-column table: bold label, value.
    Table(Vec<(String, Vec<Inline>)>),
}

/// A composed document: everything layout needs.
#[derive(Debug, Clone)]
pub struct Composed {
    /// Letter or form.
    pub kind: DocKind,
    /// Letter code (footer).
    pub code: String,
    /// Title (PDF metadata).
    pub title: String,
    /// Language.
    pub language: Language,
    /// Sender block lines.
    pub sender: Vec<String>,
    /// Label/value pairs under the sender block (date, reference).
    pub meta: Vec<(String, String)>,
    /// Address block lines (empty for forms).
    pub address: Vec<String>,
    /// Body.
    pub blocks: Vec<Block>,
}

/// Most bytes a template may write for one document: far more than any
/// letter (a full 10-page letter is about 40 KB of text), so that a template
/// that loops too much stops here instead of taking seconds and gigabytes.
pub const MAX_BODY_BYTES: usize = 1 << 20; // 1 MiB, as the messages say

/// A template failed to render.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComposeError {
    /// Tera stopped with an error.
    #[error("template of {code} failed to render")]
    Template {
        /// Letter code.
        code: String,
        /// What the template engine said (with its own chain of causes).
        #[source]
        source: TemplateError,
    },
    /// The template wrote more than [`MAX_BODY_BYTES`].
    #[error(
        "template of {code} stopped after 1 MiB of text, far more than any letter needs: it loops too much"
    )]
    TooLong {
        /// Letter code.
        code: String,
    },
}

/// What the template engine said when a template failed, as text: each
/// cause in its chain is a [`std::error::Error::source`] of the one before,
/// so an error chain prints as the engine's own would. (The engine's error
/// type is not part of this crate's interface.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    message: String,
    cause: Option<Box<TemplateError>>,
}

impl TemplateError {
    fn of(e: &(dyn std::error::Error + 'static)) -> TemplateError {
        TemplateError {
            message: e.to_string(),
            cause: e.source().map(|c| Box::new(TemplateError::of(c))),
        }
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// Collects a template's output, refusing to grow past `limit` bytes.
struct Bounded {
    out: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("template output is too long"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders template `name`, stopping once it has written `limit` bytes.
fn render_bounded(
    tera: &tera::Tera,
    name: &str,
    ctx: &tera::Context,
    limit: usize,
) -> Result<String, ComposeError> {
    let mut out = Bounded {
        out: Vec::with_capacity(16 * 1024),
        limit,
        over: false,
    };
    let result = tera.render_to(name, ctx, &mut out);
    if out.over {
        return Err(ComposeError::TooLong {
            code: name.to_owned(),
        });
    }
    result.map_err(|e| ComposeError::Template {
        code: name.to_owned(),
        source: TemplateError::of(&e),
    })?;
    String::from_utf8(out.out).map_err(|e| ComposeError::Template {
        code: name.to_owned(),
        source: TemplateError::of(&e),
    })
}

fn new_tera() -> tera::Tera {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![""]);
    tera.set_escape_fn(markup::escape);
    filters::register(&mut tera);
    tera
}

/// Compiles each letter's template once, when it is first used: a batch of
/// one letter compiles one template, not the catalog's every template (all
/// of them were checked to compile: by `check_templates` when a catalog
/// loads from files, by a test for the shipped one). Shared by the
/// batch's threads; a template is compiled by whichever thread needs it
/// first, the others wait for it.
pub(crate) struct Composer {
    compiled:
        std::collections::HashMap<String, std::sync::OnceLock<Result<tera::Tera, TemplateError>>>,
}

impl Composer {
    /// A composer for the letters of `catalog`; nothing is compiled yet.
    pub fn new(catalog: &Catalog) -> Composer {
        Composer {
            compiled: catalog
                .codes()
                .map(|code| (code.to_owned(), std::sync::OnceLock::new()))
                .collect(),
        }
    }

    /// How many templates have been compiled (for tests).
    #[cfg(test)]
    fn compiled(&self) -> usize {
        self.compiled.values().filter(|s| s.get().is_some()).count()
    }

    /// A composer holding one letter's template, compiled already.
    pub(crate) fn with_compiled(code: &str, tera: tera::Tera) -> Composer {
        let slot = std::sync::OnceLock::new();
        let _ = slot.set(Ok(tera));
        Composer {
            compiled: [(code.to_owned(), slot)].into(),
        }
    }

    fn compile(letter: &Letter) -> Result<tera::Tera, TemplateError> {
        let mut tera = new_tera();
        tera.add_raw_template(&letter.code, &letter.template)
            .map_err(|e| TemplateError::of(&e))?;
        Ok(tera)
    }

    /// Composes one request.
    pub fn compose(
        &self,
        catalog: &Catalog,
        letter: &Letter,
        request: &Request,
    ) -> Result<Composed, ComposeError> {
        let fresh;
        let tera = match self.compiled.get(&letter.code) {
            Some(slot) => slot.get_or_init(|| Composer::compile(letter)),
            // A letter from outside the catalog this composer was made for.
            None => {
                fresh = Composer::compile(letter);
                &fresh
            }
        };
        let tera = tera.as_ref().map_err(|e| ComposeError::Template {
            code: letter.code.clone(),
            source: e.clone(),
        })?;
        let ctx = context(catalog, letter, request);
        let out = render_bounded(tera, &letter.code, &ctx, MAX_BODY_BYTES)?;
        Ok(Composed {
            kind: letter.kind,
            code: letter.code.clone(),
            title: letter.title.clone(),
            language: request.language,
            sender: catalog.settings.sender.clone(),
            meta: vec![
                ("Date".into(), request.date.long()),
                ("Our reference".into(), request.reference.clone()),
            ],
            address: request
                .recipient
                .as_ref()
                .map(|r| r.lines())
                .unwrap_or_default(),
            blocks: markup::parse(&out),
        })
    }
}

/// The wording a choice code puts into the letter.
fn choice_wording(
    catalog: &Catalog,
    letter: &Letter,
    request: &Request,
    choices: &[crate::catalog::Choice],
    code: &str,
) -> String {
    let Some(choice) = choices.iter().find(|c| c.code == code) else {
        return code.to_owned();
    };
    match &choice.selects {
        Selects::FreeText(field) => match request.fields.get(field) {
            Some(FieldValue::Text(t)) => t.clone(),
            _ => String::new(),
        },
        Selects::Value => code.to_owned(),
        s => catalog
            .wording(s, request.language)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("[{} has no wording for {code}]", letter.code)),
    }
}

fn context(catalog: &Catalog, letter: &Letter, request: &Request) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("title", &letter.title);
    ctx.insert("code", &letter.code);
    ctx.insert("letter_date", &request.date.to_string());
    ctx.insert("reference", &request.reference);
    ctx.insert(
        "recipient_name",
        &request
            .recipient
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
    );
    let optional: Vec<String> = letter
        .optional_paragraphs
        .iter()
        .filter(|o| request.optional.contains(&o.id))
        .filter_map(|o| {
            catalog
                .wording(&o.selects, request.language)
                .map(str::to_owned)
        })
        .collect();
    ctx.insert("optional_paragraphs", &optional);
    for f in &letter.fields {
        let Some(v) = request.fields.get(&f.name) else {
            continue;
        };
        let var = f.var();
        match (v, &f.ty) {
            (FieldValue::Text(t), _) => ctx.insert(var, t),
            (FieldValue::Lines(l), _) => ctx.insert(var, l),
            (FieldValue::Date(d), _) => ctx.insert(var, &d.to_string()),
            (FieldValue::Time(t), _) => ctx.insert(var, &t.to_string()),
            (FieldValue::Money(m), _) => ctx.insert(var, &m.0),
            (FieldValue::Number(n), _) => ctx.insert(var, n),
            (FieldValue::Bool(b), _) => ctx.insert(var, b),
            (FieldValue::Choice(code), FieldType::Choice(choices)) => {
                ctx.insert(format!("{var}_code"), code);
                ctx.insert(
                    var,
                    &choice_wording(catalog, letter, request, choices, code),
                );
            }
            (FieldValue::Choice(code), _) => ctx.insert(var, code),
        }
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::Composer;
    use crate::catalog::Catalog;

    /// A composer compiles a letter's template when the letter is first
    /// composed, once, and composes the same text as a composer made for
    /// that letter alone.
    #[test]
    fn templates_are_compiled_when_first_used_and_once() {
        let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("{e}"));
        let composer = Composer::new(&catalog);
        assert_eq!(composer.compiled(), 0);
        let letter = catalog.letter("CMSL5502").expect("shipped");
        let request = super::check::sample_request(letter).expect("a sample");
        let first = composer
            .compose(&catalog, letter, &request)
            .expect("composes");
        assert_eq!(composer.compiled(), 1);
        let again = composer
            .compose(&catalog, letter, &request)
            .expect("composes");
        assert_eq!(composer.compiled(), 1);
        let alone =
            Composer::with_compiled(&letter.code, Composer::compile(letter).expect("compiles"));
        let other = alone.compose(&catalog, letter, &request).expect("composes");
        assert_eq!(first.blocks, again.blocks);
        assert_eq!(first.blocks, other.blocks);
        assert!(format!("{:?}", first.blocks).contains("Sample text"));
    }
}
