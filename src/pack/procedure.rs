//! Pack procedures as data: `packs/<kind>.yaml` of a catalog read raw (serde
//! with `deny_unknown_fields`) and then checked into [`Procedures`], every
//! problem at once with its file, line and column.
//!
//! A catalog without any `packs/` file uses the shipped procedures
//! ([`Procedures::builtin`]); one with a `packs/` folder must give all four
//! kinds. The checks: a known kind matching the file name; step names
//! kebab-case and unique; one first step, `create`; every `after:` names a
//! step of the same kind that is not a side step; every step reachable from
//! `create`; known data keys, and `needs`/`ensures` among `gives`; a step
//! that ends the path closes the pack, a closing step ends it; documents
//! are letters or forms of the catalog, their `fixed:` keys their fields
//! (`recipient:` is used by letters only); what `rerenders:` and `replaces:` name is
//! rendered by an earlier step.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::data::{KEYS, key_spec};
use super::kinds::{Attach, Closes, DocSpec, PackKind, Procedure, Procedures, StepSpec};
use crate::catalog::{Letter, Problem, SourceFile};

/// `packs/<kind>.yaml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProcedure {
    kind: Spanned<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
    steps: Vec<RawStep>,
}

/// One step as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawStep {
    name: Spanned<String>,
    summary: String,
    #[serde(default)]
    after: Vec<Spanned<String>>,
    #[serde(default)]
    side: bool,
    #[serde(default)]
    gives: Vec<Spanned<String>>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    #[serde(default)]
    ensures: Vec<Spanned<String>>,
    #[serde(default)]
    resets: Vec<Spanned<String>>,
    #[serde(default)]
    documents: Vec<RawDoc>,
    #[serde(default)]
    rerenders: Vec<Spanned<String>>,
    #[serde(default)]
    attach: Attach,
    #[serde(default)]
    closes: Closes,
    #[serde(default)]
    corrects: bool,
}

/// A document as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDoc {
    code: Spanned<String>,
    label: String,
    #[serde(default)]
    fixed: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    recipient: Option<RawRecipient>,
    #[serde(default)]
    replaces: bool,
}

/// The data keys of a letter's recipient.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRecipient {
    name: Spanned<String>,
    address: Spanned<String>,
    postcode: Spanned<String>,
}

fn at<T>(file: &str, s: &Spanned<T>, message: impl Into<String>) -> Problem {
    Problem::new(
        file,
        s.referenced.line() as u32,
        s.referenced.column() as u32,
        message,
    )
}

/// Whether `path` is a procedure file of a catalog.
pub(crate) fn is_procedure_file(path: &str) -> bool {
    path.starts_with("packs/") && path.ends_with(".yaml")
}

/// Reads and checks the procedure files among `files` (paths relative to
/// the catalog root). No procedure file at all: the shipped procedures.
/// `letters` are the catalog's letters, by code, to check documents against (None:
/// documents are not checked against the catalog).
///
/// # Errors
/// Every problem of the procedure files, each at its file, line and column.
pub fn load(
    files: &[SourceFile],
    letters: Option<&BTreeMap<String, Letter>>,
) -> Result<Procedures, Vec<Problem>> {
    let mine: Vec<&SourceFile> = files
        .iter()
        .filter(|f| is_procedure_file(&f.path))
        .collect();
    if mine.is_empty() {
        return Ok((*Procedures::builtin()).clone());
    }
    let mut problems = Vec::new();
    let mut kinds: BTreeMap<&'static str, Procedure> = BTreeMap::new();
    for f in mine {
        let raw = match serde_saphyr::from_str::<RawProcedure>(&f.text) {
            Ok(r) => r,
            Err(e) => {
                problems.push(crate::catalog::yaml_problem(&f.path, &e));
                continue;
            }
        };
        if let Some(p) = check_procedure(&f.path, raw, letters, &mut problems) {
            if let Some(prev) = kinds.get(p.kind.name()) {
                problems.push(Problem::new(
                    &f.path,
                    1,
                    1,
                    format!(
                        "the `{}` procedure is also defined in {}",
                        p.kind, prev.file
                    ),
                ));
            } else {
                kinds.insert(p.kind.name(), p);
            }
        }
    }
    for kind in PackKind::ALL {
        if !kinds.contains_key(kind.name())
            && !problems
                .iter()
                .any(|p| p.file.ends_with(&format!("/{kind}.yaml")))
        {
            problems.push(Problem::new(
                &format!("packs/{kind}.yaml"),
                0,
                0,
                format!(
                    "missing: a catalog with a packs/ folder gives every kind of pack, and there is no procedure for `{kind}`"
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Procedures::new(kinds.into_values().collect()).ok_or_else(|| {
        vec![Problem::new(
            "packs/",
            0,
            0,
            "the procedures do not give every kind of pack exactly once",
        )]
    })
}

/// `name` as a data key: a problem naming the closest key when it is unknown.
fn known_key(file: &str, step: &str, what: &str, k: &Spanned<String>, problems: &mut Vec<Problem>) {
    if key_spec(&k.value).is_none() {
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        let hint = crate::request::closest(&k.value, &names)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        problems.push(at(
            file,
            k,
            format!(
                "step `{step}` {what} `{}`, which is not a data key{hint}; the keys are listed by `letterkit pack steps` and in docs/packs.md",
                k.value
            ),
        ));
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn check_procedure(
    file: &str,
    raw: RawProcedure,
    letters: Option<&BTreeMap<String, Letter>>,
    problems: &mut Vec<Problem>,
) -> Option<Procedure> {
    let _ = raw.note;
    let kinds = PackKind::ALL.map(PackKind::name).join(", ");
    let Some(kind) = PackKind::parse(&raw.kind.value) else {
        problems.push(at(
            file,
            &raw.kind,
            format!(
                "kind `{}` is not a kind of pack; kinds: {kinds}",
                raw.kind.value
            ),
        ));
        return None;
    };
    let stem = file
        .rsplit('/')
        .next()
        .and_then(|n| n.strip_suffix(".yaml"))
        .unwrap_or_default();
    if stem != kind.name() {
        problems.push(at(
            file,
            &raw.kind,
            format!("kind `{kind}` does not match the file name `{stem}.yaml`"),
        ));
    }

    // Names first: every later check refers to them.
    let mut names: BTreeMap<String, (bool, u32)> = BTreeMap::new();
    for s in &raw.steps {
        let name = &s.name.value;
        if !is_kebab(name) {
            problems.push(at(
                file,
                &s.name,
                format!("step name `{name}` must be kebab-case (a-z, 0-9, -)"),
            ));
        }
        if names.contains_key(name) {
            problems.push(at(file, &s.name, format!("step `{name}` is listed twice")));
        } else {
            names.insert(name.clone(), (s.side, s.name.referenced.line() as u32));
        }
    }
    let listed: Vec<&str> = names.keys().map(String::as_str).collect();
    let firsts: Vec<&RawStep> = raw.steps.iter().filter(|s| s.after.is_empty()).collect();
    match firsts.as_slice() {
        [] => problems.push(at(
            file,
            &raw.kind,
            "no first step: the step that creates the pack (`create`) has no `after:`",
        )),
        [one] if one.name.value != "create" => problems.push(at(
            file,
            &one.name,
            format!(
                "step `{}` has no `after:`, so it would create the pack; only `create` may (`letterkit pack create`)",
                one.name.value
            ),
        )),
        [_] => {}
        [_, more @ ..] => {
            for s in more {
                problems.push(at(
                    file,
                    &s.name,
                    format!(
                        "step `{}` has no `after:`, but only the first step (`create`) may have none",
                        s.name.value
                    ),
                ));
            }
        }
    }

    // Which codes each step renders (for `rerenders` and `replaces`).
    let rendered_by: Vec<(String, Vec<String>)> = raw
        .steps
        .iter()
        .map(|s| {
            (
                s.name.value.clone(),
                s.documents.iter().map(|d| d.code.value.clone()).collect(),
            )
        })
        .collect();

    let before = problems.len();
    let mut steps = Vec::new();
    for (i, s) in raw.steps.into_iter().enumerate() {
        let name = s.name.value.clone();
        for a in &s.after {
            match names.get(&a.value) {
                None => {
                    let hint = crate::request::closest(&a.value, &listed)
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    problems.push(at(
                        file,
                        a,
                        format!(
                            "step `{name}` follows `{}`, which is not a step of the {kind} pack{hint}; steps: {}",
                            a.value,
                            listed.join(", ")
                        ),
                    ));
                }
                Some((true, _)) => problems.push(at(
                    file,
                    a,
                    format!(
                        "step `{name}` follows `{}`, a side step; a side step moves no stage, so no step follows it",
                        a.value
                    ),
                )),
                Some((false, _)) => {}
            }
        }
        for k in &s.gives {
            known_key(file, &name, "gives", k, problems);
        }
        for k in &s.resets {
            known_key(file, &name, "resets", k, problems);
        }
        let gives: BTreeSet<&str> = s.gives.iter().map(|k| k.value.as_str()).collect();
        for (what, list) in [("needs", &s.needs), ("ensures", &s.ensures)] {
            for k in list {
                if !gives.contains(k.value.as_str()) {
                    problems.push(at(
                        file,
                        k,
                        format!(
                            "step `{name}` {what} `{}`, which it does not take: add it to `gives:`",
                            k.value
                        ),
                    ));
                }
            }
        }
        let mut documents = Vec::new();
        for d in s.documents {
            let code = d.code.value.clone();
            let def = letters.and_then(|l| l.get(&code));
            if letters.is_some() && def.is_none() {
                problems.push(at(
                    file,
                    &d.code,
                    format!(
                        "step `{name}` renders `{code}`, which is not a letter or form of the catalog"
                    ),
                ));
            }
            if let Some(def) = def {
                for (k, v) in &d.fixed {
                    if def.field(k).is_none() {
                        problems.push(at(
                            file,
                            v,
                            format!("`fixed:` sets `{k}`, which is not a field of {code}"),
                        ));
                    }
                }
            }
            if let Some(r) = &d.recipient {
                for k in [&r.name, &r.address, &r.postcode] {
                    known_key(file, &name, "addresses its letter with", k, problems);
                }
            }
            if d.replaces && !rendered_by[..i].iter().any(|(_, c)| c.contains(&code)) {
                problems.push(at(
                    file,
                    &d.code,
                    format!("`replaces: true`, but no earlier step renders {code}"),
                ));
            }
            documents.push(DocSpec {
                code,
                label: d.label,
                fixed: d.fixed.into_iter().map(|(k, v)| (k, v.value)).collect(),
                recipient: d
                    .recipient
                    .map(|r| [r.name.value, r.address.value, r.postcode.value]),
                replaces: d.replaces,
            });
        }
        for r in &s.rerenders {
            if !rendered_by[..i].iter().any(|(_, c)| c.contains(&r.value)) {
                problems.push(at(
                    file,
                    r,
                    format!(
                        "step `{name}` renders {} again, but no earlier step renders it",
                        r.value
                    ),
                ));
            }
        }
        steps.push((
            s.name,
            StepSpec {
                name,
                summary: s.summary.trim().to_owned(),
                after: s.after.into_iter().map(|a| a.value).collect(),
                gives: s.gives.into_iter().map(|k| k.value).collect(),
                needs: s.needs.into_iter().map(|k| k.value).collect(),
                ensures: s.ensures.into_iter().map(|k| k.value).collect(),
                resets: s.resets.into_iter().map(|k| k.value).collect(),
                documents,
                attach: s.attach,
                closes: s.closes,
                side: s.side,
                rerenders: s.rerenders.into_iter().map(|k| k.value).collect(),
                corrects: s.corrects,
            },
        ));
    }

    // The path: every step reachable, and it ends only where the pack closes
    // (not checked when a name or an `after:` is wrong: it would only echo that).
    let names_ok = problems.len() == before
        || !problems[before..]
            .iter()
            .any(|p| p.message.contains(" follows `"));
    if !names_ok {
        return Some(Procedure {
            kind,
            source: raw.source,
            steps: steps.into_iter().map(|(_, s)| s).collect(),
            file: file.to_owned(),
        });
    }
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = vec!["create"];
    while let Some(n) = todo.pop() {
        if !reached.insert(n) {
            continue;
        }
        for (_, s) in &steps {
            if s.after.iter().any(|a| a == n) && !names.get(n).is_some_and(|(side, _)| *side) {
                todo.push(&s.name);
            }
        }
    }
    for (span, s) in &steps {
        if names.contains_key("create") && !reached.contains(s.name.as_str()) && !s.after.is_empty()
        {
            problems.push(at(
                file,
                span,
                format!("step `{}` cannot be reached from `create`", s.name),
            ));
        }
        if s.side {
            continue;
        }
        let followed = steps
            .iter()
            .any(|(_, o)| !o.side && o.after.contains(&s.name));
        match (followed, s.closes) {
            (false, Closes::No) => problems.push(at(
                file,
                span,
                format!(
                    "no step follows `{}`, so the procedure ends there, but it does not close the pack: add `closes: completed` (or `cancelled`), or a step with `after: [{}]`",
                    s.name, s.name
                ),
            )),
            (true, Closes::Completed | Closes::Cancelled) => problems.push(at(
                file,
                span,
                format!(
                    "step `{}` closes the pack, yet a step follows it",
                    s.name
                ),
            )),
            _ => {}
        }
    }
    Some(Procedure {
        kind,
        source: raw.source,
        steps: steps.into_iter().map(|(_, s)| s).collect(),
        file: file.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(text: &str) -> Vec<SourceFile> {
        let mut out: Vec<SourceFile> = crate::catalog::embedded_files()
            .into_iter()
            .filter(|f| is_procedure_file(&f.path) && f.path != "packs/county-court.yaml")
            .collect();
        out.push(SourceFile {
            path: "packs/county-court.yaml".into(),
            text: text.into(),
        });
        out
    }

    fn messages(text: &str) -> Vec<String> {
        match load(&files(text), None) {
            Ok(_) => Vec::new(),
            Err(ps) => ps
                .iter()
                .map(|p| format!("{}:{}: {}", p.line, p.column, p.message))
                .collect(),
        }
    }

    const SMALL: &str = "kind: county-court\nsteps:\n  - name: create\n    summary: s\n    gives: [reference]\n  - name: outcome\n    summary: o\n    after: [create]\n    closes: completed\n";

    #[test]
    fn a_small_procedure_loads() {
        assert_eq!(messages(SMALL), Vec::<String>::new());
    }

    #[test]
    fn problems_name_their_line_and_column() {
        let cases = [
            (
                SMALL.replace("after: [create]", "after: [craete]"),
                "8:13: step `outcome` follows `craete`, which is not a step of the county-court pack (did you mean `create`?); steps: create, outcome",
            ),
            (
                SMALL.replace("gives: [reference]", "gives: [referense]"),
                "5:13: step `create` gives `referense`, which is not a data key (did you mean `reference`?); the keys are listed by `letterkit pack steps` and in docs/packs.md",
            ),
            (
                SMALL.replace("closes: completed", "closes: no"),
                "6:11: no step follows `outcome`, so the procedure ends there, but it does not close the pack: add `closes: completed` (or `cancelled`), or a step with `after: [outcome]`",
            ),
            (
                SMALL.replace("    summary: o\n", "    sumary: o\n"),
                "7:5: unknown field `sumary`, expected one of name, summary, after, side, gives, needs, ensures, resets, documents, rerenders, attach, closes, corrects",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(messages(&text), [want.to_owned()], "{text}");
        }
    }
}
