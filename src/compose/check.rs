//! Checks a catalog's templates when it loads: each compiles (a syntax error
//! is shown at its line and column in the letter's file, with the line and a
//! caret), uses only declared fields, and does bounded work.
//!
//! Bounded work: a template may loop over `range(...)` with literal bounds,
//! at most [`MAX_LOOP_RUNS`] times in all (nested loops multiply), and over a
//! field or a built-in list, not nested with any other loop (its length is
//! the request's); it may use only the filters in [`FILTERS`] (none
//! of which can make a value much longer than its input), no function but
//! `range`, and no `set`, macro, `include`, `extends` or `block`. Each letter
//! is then rendered once with a sample request (every field filled, at its
//! longest), which must stay under [`super::MAX_BODY_BYTES`] like every real render.

use std::collections::{BTreeMap, BTreeSet};

use tera::ast::{Expr, ExprVal, FunctionCall, Node};

use super::Composer;
use crate::catalog::{
    BUILTIN_VARS, Catalog, DocKind, Field, FieldType, Language, Letter, Problem, SourceFile,
    snippet, template_position,
};
use crate::request::{Date, FieldValue, Money, Recipient, Request, Time};

/// Most times a template's loops may run in all (nested loops multiply).
pub(crate) const MAX_LOOP_RUNS: u64 = 1000;

/// The filters a template may use: ours (`filters.rs`) and the Tera filters
/// whose output is no longer than their input plus their arguments.
pub(crate) const FILTERS: &[&str] = &[
    "long_date",
    "day_date",
    "clock",
    "pounds",
    "join_lines",
    "yes_no",
    "upper",
    "lower",
    "trim",
    "trim_start",
    "trim_end",
    "capitalize",
    "title",
    "truncate",
    "wordcount",
    "length",
    "first",
    "last",
    "default",
    "join",
    "round",
    "abs",
];

fn head(name: &str) -> String {
    name.split(['.', '[']).next().unwrap_or(name).to_owned()
}

fn expr_idents(e: &Expr, out: &mut Vec<String>) {
    match &e.val {
        ExprVal::Ident(name) => out.push(head(name)),
        ExprVal::Math(m) => {
            expr_idents(&m.lhs, out);
            expr_idents(&m.rhs, out);
        }
        ExprVal::Logic(l) => {
            expr_idents(&l.lhs, out);
            expr_idents(&l.rhs, out);
        }
        ExprVal::Test(t) => {
            out.push(head(&t.ident));
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
                    out.push(head(name));
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
                if let Some(body) = &f.empty_body {
                    node_idents(body, used, locals);
                }
            }
            Node::FilterSection(_, f, _) => node_idents(&f.body, used, locals),
            Node::Block(_, b, _) => node_idents(&b.body, used, locals),
            _ => {}
        }
    }
}

/// A problem of bounded work: what is wrong, and the word to point at.
struct Unbounded {
    word: String,
    message: String,
}

/// How many times `range(...)` runs, when its arguments are literal.
fn range_runs(f: &FunctionCall) -> Result<u64, String> {
    let arg = |name: &str| -> Result<Option<i64>, String> {
        match f.args.get(name).map(|e| (&e.val, e.filters.is_empty())) {
            None => Ok(None),
            Some((ExprVal::Int(n), true)) if *n >= 0 => Ok(Some(*n)),
            Some(_) => Err(format!(
                "`range` needs `{name}` written as a whole number (not a field), so that the loop is bounded"
            )),
        }
    };
    let start = arg("start")?.unwrap_or(0);
    let Some(end) = arg("end")? else {
        return Err("`range` needs `end=N`".into());
    };
    let step = arg("step_by")?.unwrap_or(1);
    if step == 0 {
        return Err("`range` needs `step_by` of 1 or more".into());
    }
    Ok((end.saturating_sub(start).max(0) as u64).div_ceil(step as u64))
}

fn check_filter(f: &FunctionCall, out: &mut Vec<Unbounded>) {
    if !FILTERS.contains(&f.name.as_str()) {
        out.push(Unbounded {
            word: f.name.clone(),
            message: format!(
                "the template uses the filter `{}`, which a letter may not use (filters: {})",
                f.name,
                FILTERS.join(", ")
            ),
        });
    }
    f.args.values().for_each(|a| check_expr(a, out));
}

fn check_filters(filters: &[FunctionCall], out: &mut Vec<Unbounded>) {
    filters.iter().for_each(|f| check_filter(f, out));
}

fn check_expr(e: &Expr, out: &mut Vec<Unbounded>) {
    check_filters(&e.filters, out);
    match &e.val {
        ExprVal::Math(m) => {
            check_expr(&m.lhs, out);
            check_expr(&m.rhs, out);
        }
        ExprVal::Logic(l) => {
            check_expr(&l.lhs, out);
            check_expr(&l.rhs, out);
        }
        ExprVal::In(i) => {
            check_expr(&i.lhs, out);
            check_expr(&i.rhs, out);
        }
        ExprVal::Test(t) => t.args.iter().for_each(|a| check_expr(a, out)),
        ExprVal::Array(items) => items.iter().for_each(|a| check_expr(a, out)),
        ExprVal::FunctionCall(f) => out.push(Unbounded {
            word: f.name.clone(),
            message: format!(
                "the template calls `{}`: a letter may call only `range`, as a loop's list",
                f.name
            ),
        }),
        ExprVal::MacroCall(m) => out.push(Unbounded {
            word: m.name.clone(),
            message: "the template calls a macro: a letter may not use macros".into(),
        }),
        _ => {}
    }
}

/// Walks the template; `runs` is how many times the enclosing `range` loops
/// run, `data` whether it is inside a loop over a value (whose length only
/// the request knows: so it may not nest with another loop).
fn check_nodes(nodes: &[Node], runs: u64, data: bool, out: &mut Vec<Unbounded>) {
    let refuse = |out: &mut Vec<Unbounded>, word: &str, what: &str| {
        out.push(Unbounded {
            word: word.to_owned(),
            message: format!("the template uses `{what}`, which a letter may not use (a template only fills in values, so that its work is bounded)"),
        });
    };
    for n in nodes {
        match n {
            Node::VariableBlock(_, e) => check_expr(e, out),
            Node::If(i, _) => {
                for (_, cond, body) in &i.conditions {
                    check_expr(cond, out);
                    check_nodes(body, runs, data, out);
                }
                if let Some((_, body)) = &i.otherwise {
                    check_nodes(body, runs, data, out);
                }
            }
            Node::Forloop(_, f, _) => {
                let mut inner = runs;
                let mut inner_data = data;
                let nested = || {
                    Unbounded {
                    word: "for".into(),
                    message: "the template has a loop over a value nested with another loop; a loop over a field or list may not be nested, so that its work stays bounded".into(),
                }
                };
                match &f.container.val {
                    ExprVal::FunctionCall(call) if call.name == "range" => {
                        if data {
                            out.push(nested());
                        }
                        match range_runs(call) {
                            Ok(n) => {
                                inner = runs.saturating_mul(n.max(1));
                                if inner > MAX_LOOP_RUNS {
                                    out.push(Unbounded {
                                        word: "range".into(),
                                        message: format!(
                                            "the template's loops run {inner} times; a letter's loops may run at most {MAX_LOOP_RUNS} times in all"
                                        ),
                                    });
                                    // Reported once: do not multiply further.
                                    inner = 1;
                                }
                            }
                            Err(m) => out.push(Unbounded {
                                word: "range".into(),
                                message: format!("the template's loop is not bounded: {m}"),
                            }),
                        }
                        for a in call.args.values() {
                            check_expr(a, out);
                        }
                        check_filters(&f.container.filters, out);
                    }
                    _ => {
                        if data || runs > 1 {
                            out.push(nested());
                        }
                        inner_data = true;
                        check_expr(&f.container, out);
                    }
                }
                check_nodes(&f.body, inner, inner_data, out);
                if let Some(body) = &f.empty_body {
                    check_nodes(body, runs, data, out);
                }
            }
            Node::FilterSection(_, f, _) => {
                check_filter(&f.filter, out);
                check_nodes(&f.body, runs, data, out);
            }
            Node::Set(_, s) => refuse(out, "set", if s.global { "set_global" } else { "set" }),
            Node::MacroDefinition(..) => refuse(out, "macro", "macro"),
            Node::ImportMacro(..) => refuse(out, "import", "import"),
            Node::Include(..) => refuse(out, "include", "include"),
            Node::Extends(..) => refuse(out, "extends", "extends"),
            Node::Block(..) => refuse(out, "block", "block"),
            Node::Super => refuse(out, "super", "super()"),
            Node::Text(_)
            | Node::Raw(..)
            | Node::Comment(..)
            | Node::Break(_)
            | Node::Continue(_) => {}
        }
    }
}

/// A Tera syntax error: 1-based line and column in the template, and what
/// the parser expected there.
struct SyntaxError {
    line: u32,
    column: u32,
    message: String,
}

/// Finds pest's ` --> L:C` ... `= message` in Tera's error chain.
fn syntax_error(e: &tera::Error) -> Option<SyntaxError> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        let text = s.to_string();
        let at = text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("--> "))
            .and_then(|pos| pos.trim().split_once(':'))
            .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)));
        if let Some((line, column)) = at {
            let message = text
                .lines()
                .filter_map(|l| l.trim_start().strip_prefix("= "))
                .collect::<Vec<_>>()
                .join(" ");
            return Some(SyntaxError {
                line,
                column,
                message: if message.is_empty() {
                    "syntax error".into()
                } else {
                    message
                },
            });
        }
        src = s.source();
    }
    None
}

/// Tera's error and every cause, on one line (for errors without a position).
fn chain(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg.replace('\n', " ")
}

/// A problem at line `line`, column `column` of `letter`'s template.
fn in_template(
    letter: &Letter,
    text: Option<&str>,
    line: u32,
    column: u32,
    message: String,
) -> Problem {
    let Some(text) = text else {
        return Problem::new(&letter.file, 0, 0, message);
    };
    let ((l, c), exact) = template_position(text, letter.template_at, line, column);
    let mut p = Problem::new(
        &letter.file,
        l,
        c,
        if exact {
            message
        } else {
            format!("{message} (line {line}, column {column} of the template)")
        },
    );
    if exact {
        p.snippet = snippet(text, l, c);
    }
    p
}

/// A sample request for `letter`: every field filled (at its longest, for
/// text), the first choice of each choice field, every optional paragraph.
pub(super) fn sample_request(letter: &Letter) -> Option<Request> {
    let date = Date::parse("2026-03-16").ok()?;
    let longest = |f: &Field| {
        let n = f.max_length.unwrap_or(crate::request::DEFAULT_MAX_TEXT);
        "Sample text ".chars().cycle().take(n).collect::<String>()
    };
    let mut fields = BTreeMap::new();
    for f in &letter.fields {
        let v = match &f.ty {
            FieldType::Text => FieldValue::Text(longest(f)),
            FieldType::Lines => FieldValue::Lines(vec![longest(f); 7]),
            FieldType::Date => FieldValue::Date(date),
            FieldType::Time => FieldValue::Time(Time::parse("10:30").ok()?),
            FieldType::Money => FieldValue::Money(Money(123_456)),
            FieldType::Number => FieldValue::Number(12),
            FieldType::Boolean => FieldValue::Bool(true),
            FieldType::Choice(choices) => FieldValue::Choice(choices.first()?.code.clone()),
        };
        fields.insert(f.name.clone(), v);
    }
    Some(Request {
        id: None,
        letter: letter.code.clone(),
        date,
        reference: "1234 5678 9012".into(),
        recipient: (letter.kind == DocKind::Letter).then(|| Recipient {
            name: "Sample Name".into(),
            address: vec!["1 Sample Street".into(), "Sampletown".into()],
            postcode: "LS1 1AA".into(),
        }),
        language: Language::En,
        fields,
        optional: letter
            .optional_paragraphs
            .iter()
            .map(|o| o.id.clone())
            .collect(),
        format: Default::default(),
    })
}

/// Compiles every template of `catalog` and checks that each variable it
/// uses is a declared field (or a built-in) and that its work is bounded,
/// listing every problem. `locate(file, word)` gives the line and column of a
/// word in a file; `files` are the catalog's files.
pub(crate) fn check_templates(
    catalog: &Catalog,
    locate: &dyn Fn(&str, &str) -> (u32, u32),
    files: &[SourceFile],
) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    let text = |file: &str| {
        files
            .iter()
            .find(|f| f.path == file)
            .map(|f| f.text.as_str())
    };
    for l in catalog.letters() {
        let mut tera = super::new_tera();
        if let Err(e) = tera.add_raw_template(&l.code, &l.template) {
            problems.push(match syntax_error(&e) {
                Some(s) => in_template(
                    l,
                    text(&l.file),
                    s.line,
                    s.column,
                    format!("the template does not compile: {}", s.message),
                ),
                None => in_template(
                    l,
                    text(&l.file),
                    1,
                    1,
                    format!("the template does not compile: {}", chain(&e)),
                ),
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
        let mut undeclared = false;
        for u in used {
            if !allowed.contains(&u) && !locals.contains(&u) && reported.insert(u.clone()) {
                undeclared = true;
                let fields: Vec<String> = l.fields.iter().map(Field::var).collect();
                let (line, column) = locate(&l.file, &u);
                problems.push(Problem::new(
                    &l.file,
                    line,
                    column,
                    format!(
                        "the template uses `{u}`, which is not a declared field (fields: {}; built-ins: {})",
                        if fields.is_empty() { "none".to_owned() } else { fields.join(", ") },
                        BUILTIN_VARS.join(", ")
                    ),
                ));
            }
        }
        let mut unbounded = Vec::new();
        check_nodes(&t.ast, 1, false, &mut unbounded);
        let bounded = unbounded.is_empty();
        for u in unbounded {
            let (line, column) = locate(&l.file, &u.word);
            problems.push(Problem::new(&l.file, line, column, u.message));
        }
        // Only a template known to be bounded is run, and only when its
        // variables are all there.
        if bounded
            && !undeclared
            && let Some(request) = sample_request(l)
            && let Err(super::ComposeError::TooLong { .. }) =
                Composer::with_compiled(&l.code, tera).compose(catalog, l, &request)
        {
            let (line, column) = locate(&l.file, "template");
            problems.push(Problem::new(
                &l.file,
                line,
                column,
                "the template writes more than 1 MiB of text for a request with every field at its longest, far more than any letter needs: it loops too much",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{Catalog, SourceFile, embedded_files};

    /// The shipped catalog with CMSL5503's template replaced by `template`:
    /// the messages of the problems found.
    fn problems(template: &str) -> Vec<String> {
        let mut files: Vec<SourceFile> = embedded_files();
        let f = files
            .iter_mut()
            .find(|f| f.path == "letters/CMSL5503.yaml")
            .expect("CMSL5503 is shipped");
        let at = f.text.find("template: |").expect("a literal template");
        let indented: String = template.lines().map(|l| format!("  {l}\n")).collect();
        f.text = format!("{}template: |\n{indented}", &f.text[..at]);
        match Catalog::from_files(files) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.into_iter().map(|p| p.message).collect(),
        }
    }

    #[test]
    fn bounded_templates_pass() {
        for t in [
            "{{ meeting_date | day_date }}",
            "{% for p in optional_paragraphs %}{{ p }}{% endfor %}",
            "{% for i in range(end=10) %}{% for j in range(start=1, end=101) %}x{% endfor %}{% endfor %}",
            "{% filter upper %}{{ meeting_location | truncate(length=20) }}{% endfilter %}",
        ] {
            assert_eq!(problems(t), Vec::<String>::new(), "{t}");
        }
    }

    #[test]
    fn unbounded_templates_are_refused() {
        let loops = "the template's loops run";
        let cases: &[(&str, &str)] = &[
            ("{% for i in range(end=100000000) %}x{% endfor %}", loops),
            (
                "{% for i in range(end=100) %}{% for j in range(end=100) %}x{% endfor %}{% endfor %}",
                "the template's loops run 10000 times; a letter's loops may run at most 1000 times in all",
            ),
            (
                "{% for i in range(end=10) %}{% for c in meeting_location %}x{% endfor %}{% endfor %}",
                "the template has a loop over a value nested with another loop",
            ),
            (
                "{% for c in meeting_location %}{% for d in meeting_location %}x{% endfor %}{% endfor %}",
                "the template has a loop over a value nested with another loop",
            ),
            (
                "{% for c in meeting_location %}{% for i in range(end=2) %}x{% endfor %}{% endfor %}",
                "the template has a loop over a value nested with another loop",
            ),
            (
                "{% for i in range(end=10, step_by=0) %}x{% endfor %}",
                "the template's loop is not bounded: `range` needs `step_by` of 1 or more",
            ),
            (
                "{% for i in range(end=meeting_location) %}x{% endfor %}",
                "`range` needs `end` written as a whole number (not a field)",
            ),
            ("{% set a = meeting_location %}", "the template uses `set`"),
            ("{% include \"CMSL5503\" %}", "the template uses `include`"),
            (
                "{% macro m() %}{{ self::m() }}{% endmacro %}",
                "the template uses `macro`",
            ),
            (
                "{{ meeting_location | replace(from=\"\", to=meeting_location) }}",
                "the template uses the filter `replace`, which a letter may not use",
            ),
            (
                "{{ get_env(name=\"HOME\") }}",
                "the template calls `get_env`: a letter may call only `range`",
            ),
        ];
        for (t, want) in cases {
            let got = problems(t);
            assert!(
                got.iter().any(|m| m.contains(want)),
                "{t}: expected {want:?} in {got:?}"
            );
        }
    }

    #[test]
    fn a_template_that_writes_too_much_for_long_values_is_refused() {
        // 1000 runs of the 200-character location, twice (400 KB), then six times (1.2 MB).
        let l = "{{ meeting_location }}";
        assert_eq!(
            problems(&format!(
                "{{% for i in range(end=1000) %}}{}{{% endfor %}}",
                l.repeat(2)
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            problems(&format!("{{% for i in range(end=1000) %}}{}{{% endfor %}}", l.repeat(6))),
            vec!["the template writes more than 1 MiB of text for a request with every field at its longest, far more than any letter needs: it loops too much".to_owned()]
        );
    }
}
