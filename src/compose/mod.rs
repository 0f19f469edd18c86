//! Compose: a checked request + its definition → document blocks.
//!
//! Choice codes become their paragraphs' wording, Tera fills the letter's
//! template, and the template's output (a small block markup, see
//! [`markup`]) is parsed into headings, paragraphs, tables and bullets.
//! Every value is escaped on its way into the template, so no value can turn
//! into markup.

pub mod filters;
pub mod markup;

use std::collections::BTreeSet;

use tera::ast::{Expr, ExprVal, Node};

pub use crate::catalog::DocKind;
use crate::catalog::{BUILTIN_VARS, Catalog, Field, FieldType, Language, Letter, Problem, Selects};
use crate::request::{FieldValue, Request};

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

/// A template failed to render.
#[derive(Debug, thiserror::Error)]
#[error("template of {code} failed to render")]
pub struct ComposeError {
    /// Letter code.
    pub code: String,
    /// Tera's error (with its own chain of causes).
    #[source]
    pub source: tera::Error,
}

fn new_tera() -> tera::Tera {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![""]);
    tera.set_escape_fn(markup::escape);
    filters::register(&mut tera);
    tera
}

/// Compiles every letter's template once.
pub struct Composer {
    tera: tera::Tera,
}

impl Composer {
    /// Compiles the templates of `catalog` (already checked when it loaded).
    pub fn new(catalog: &Catalog) -> Result<Composer, tera::Error> {
        let mut tera = new_tera();
        for l in catalog.letters() {
            tera.add_raw_template(&l.code, &l.template)?;
        }
        Ok(Composer { tera })
    }

    /// Composes one request.
    pub fn compose(
        &self,
        catalog: &Catalog,
        letter: &Letter,
        request: &Request,
    ) -> Result<Composed, ComposeError> {
        let ctx = context(catalog, letter, request);
        let out = self
            .tera
            .render(&letter.code, &ctx)
            .map_err(|source| ComposeError {
                code: letter.code.clone(),
                source,
            })?;
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

fn expr_idents(e: &Expr, out: &mut Vec<String>) {
    match &e.val {
        ExprVal::Ident(name) => {
            let head = name.split(['.', '[']).next().unwrap_or(name).to_owned();
            out.push(head);
        }
        ExprVal::Math(m) => {
            expr_idents(&m.lhs, out);
            expr_idents(&m.rhs, out);
        }
        ExprVal::Logic(l) => {
            expr_idents(&l.lhs, out);
            expr_idents(&l.rhs, out);
        }
        ExprVal::Test(t) => {
            out.push(t.ident.split(['.', '[']).next().unwrap_or("").to_owned());
            t.args.iter().for_each(|a| expr_idents(a, out));
        }
        ExprVal::In(i) => {
            expr_idents(&i.lhs, out);
            expr_idents(&i.rhs, out);
        }
        ExprVal::Array(items) => items.iter().for_each(|a| expr_idents(a, out)),
        ExprVal::StringConcat(s) => {
            for v in &s.values {
                if let ExprVal::Ident(name) = v {
                    out.push(name.split(['.', '[']).next().unwrap_or("").to_owned());
                }
            }
        }
        ExprVal::FunctionCall(f) => f.args.values().for_each(|a| expr_idents(a, out)),
        ExprVal::MacroCall(m) => m.args.values().for_each(|a| expr_idents(a, out)),
        ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
    }
    for f in &e.filters {
        f.args.values().for_each(|a| expr_idents(a, out));
    }
}

fn node_idents(nodes: &[Node], used: &mut Vec<String>, locals: &mut BTreeSet<String>) {
    for n in nodes {
        match n {
            Node::VariableBlock(_, e) => expr_idents(e, used),
            Node::Set(_, s) => {
                expr_idents(&s.value, used);
                locals.insert(s.key.clone());
            }
            Node::If(i, _) => {
                for (_, cond, body) in &i.conditions {
                    expr_idents(cond, used);
                    node_idents(body, used, locals);
                }
                if let Some((_, body)) = &i.otherwise {
                    node_idents(body, used, locals);
                }
            }
            Node::Forloop(_, f, _) => {
                expr_idents(&f.container, used);
                locals.insert(f.value.clone());
                if let Some(k) = &f.key {
                    locals.insert(k.clone());
                }
                node_idents(&f.body, used, locals);
            }
            Node::FilterSection(_, f, _) => node_idents(&f.body, used, locals),
            Node::Block(_, b, _) => node_idents(&b.body, used, locals),
            _ => {}
        }
    }
}

/// Compiles every template of `catalog` and checks that each variable it
/// uses is a declared field (or a built-in), listing every problem.
/// `locate(file, word)` gives the line and column of a word in a file.
pub fn check_templates(
    catalog: &Catalog,
    locate: &dyn Fn(&str, &str) -> (u32, u32),
) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    for l in catalog.letters() {
        let mut tera = new_tera();
        if let Err(e) = tera.add_raw_template(&l.code, &l.template) {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            problems.push(Problem {
                file: l.file.clone(),
                line: 0,
                column: 0,
                message: format!("template does not compile: {}", msg.replace('\n', " ")),
            });
            continue;
        }
        let Ok(t) = tera.get_template(&l.code) else {
            continue;
        };
        let mut used = Vec::new();
        let mut locals: BTreeSet<String> = ["loop".to_owned()].into();
        node_idents(&t.ast, &mut used, &mut locals);
        let mut allowed: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| (*s).to_owned()).collect();
        for f in &l.fields {
            allowed.insert(f.var());
            if matches!(f.ty, FieldType::Choice(_)) {
                allowed.insert(format!("{}_code", f.var()));
            }
        }
        let mut reported = BTreeSet::new();
        for u in used {
            if !allowed.contains(&u) && !locals.contains(&u) && reported.insert(u.clone()) {
                let fields: Vec<String> = l.fields.iter().map(Field::var).collect();
                let (line, column) = locate(&l.file, &u);
                problems.push(Problem {
                    file: l.file.clone(),
                    line,
                    column,
                    message: format!(
                        "the template uses `{u}`, which is not a declared field (fields: {}; built-ins: {})",
                        if fields.is_empty() { "none".to_owned() } else { fields.join(", ") },
                        BUILTIN_VARS.join(", ")
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
