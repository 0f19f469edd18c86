//! `letterkit diff`: what a wording change touches, between two catalogs.

use std::path::PathBuf;

use letterkit::Engine;
use letterkit::admin::diff::{self, Change, Diff, Reach, show_words};
use letterkit::admin::proof::ProofItem;
use letterkit::admin::{self, Variant};

use super::output::{outln, print_out};
use super::{INPUT_FAILED, OK};

/// Show what changed between two catalogs and which letters and reasons it reaches.
#[derive(clap::Args)]
#[command(
    after_help = "Lists, per paragraph and per letter, the wording that changed (word by word: [-old-]\n{+new+}), which letters and choices each paragraph change reaches, the fields added or\nremoved, and both catalogs' digests. NEW_DIR defaults to --catalog, else the built-in catalog;\n`built-in` names the built-in catalog on either side.\n--proof renders one variant per affected choice: the old letter on the left of each\nlandscape page, the new on the right.\n\nExit codes: 0 nothing changed, 1 something changed, 2 usage or a catalog that does not load.\n\nExamples:\n  letterkit diff ./approved-catalog\n  letterkit diff ./old ./new --json\n  letterkit diff built-in ./my-copy\n  letterkit diff ./approved-catalog --proof changes.pdf"
)]
pub struct Args {
    /// The catalog before the change (`built-in`: the one in the binary).
    #[arg(value_name = "OLD_DIR")]
    old: PathBuf,
    /// The catalog after it (default: --catalog, else the built-in catalog).
    #[arg(value_name = "NEW_DIR")]
    new: Option<PathBuf>,
    /// Print the result as JSON (schema letterkit.diff.v1).
    #[arg(long)]
    json: bool,
    /// Also write a proof of the affected variants, old and new, to FILE.
    #[arg(long, value_name = "FILE")]
    proof: Option<PathBuf>,
    /// Replace the --proof file if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(serde::Serialize)]
struct DiffDoc<'a> {
    schema: &'static str,
    changed: bool,
    old: Side<'a>,
    new: Side<'a>,
    #[serde(flatten)]
    diff: &'a Diff,
    reaches: Vec<Reach>,
}

#[derive(serde::Serialize)]
struct Side<'a> {
    catalog: String,
    sha256: &'a str,
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    match run_or(args, catalog) {
        Ok(code) | Err(code) => code,
    }
}

fn run_or(args: Args, catalog: Option<&PathBuf>) -> Result<i32, i32> {
    if let Some(p) = &args.proof {
        super::proof::check_out(p, args.force)?;
    }
    // `built-in` names the catalog in the binary, on either side.
    fn side(p: Option<&PathBuf>) -> Option<&PathBuf> {
        p.filter(|p| p.as_os_str() != "built-in")
    }
    let old_dir = side(Some(&args.old));
    let old = super::load(old_dir)?;
    let new_dir = side(args.new.as_ref().or(catalog));
    let new = super::load(new_dir)?;
    let d = diff::diff(old.catalog(), new.catalog());
    let name =
        |p: Option<&PathBuf>| p.map_or_else(|| "built-in".to_owned(), |p| p.display().to_string());
    if args.json {
        let doc = DiffDoc {
            schema: "letterkit.diff.v1",
            changed: d.changed(),
            old: Side {
                catalog: name(old_dir),
                sha256: &d.old_digest,
            },
            new: Side {
                catalog: name(new_dir),
                sha256: &d.new_digest,
            },
            diff: &d,
            reaches: d.reaches(),
        };
        print_out(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
    } else {
        print_out(&text(&d, &name(old_dir), &name(new_dir)));
    }
    if let Some(out) = &args.proof {
        let items = proof_items(&old, &new, &d);
        if items.is_empty() {
            outln!("no variant is affected: no proof written");
        } else {
            let proof = admin::proof::proof(new.fonts(), None, &items).map_err(|e| {
                super::print_error(&e);
                INPUT_FAILED
            })?;
            // Old on the left, new on the right, page by page.
            let mut pairs = Vec::new();
            let mut i = 0;
            while i < items.len() {
                let (old_span, new_span) = match (items[i].mark.as_str(), items.get(i + 1)) {
                    ("OLD", Some(next)) if next.mark == "NEW" => {
                        i += 2;
                        (Some(proof.spans[i - 2]), Some(proof.spans[i - 1]))
                    }
                    ("OLD", _) => {
                        i += 1;
                        (Some(proof.spans[i - 1]), None)
                    }
                    _ => {
                        i += 1;
                        (None, Some(proof.spans[i - 1]))
                    }
                };
                let n = old_span.map_or(0, |s| s.1).max(new_span.map_or(0, |s| s.1));
                for k in 0..n {
                    let at = |s: Option<(usize, usize)>| s.filter(|s| k < s.1).map(|s| s.0 + k);
                    pairs.push((at(old_span), at(new_span)));
                }
            }
            let pdf = admin::proof::side_by_side(&proof.pdf, &pairs).map_err(|e| {
                super::print_error_message(format!(
                    "cannot put the old and new pages side by side: {e}"
                ));
                INPUT_FAILED
            })?;
            super::proof::write_out(out, &pdf, args.force)?;
            if !super::verbosity().is_quiet() {
                outln!(
                    "wrote {}: {} variant{} old and new side by side, {} page{}",
                    out.display(),
                    items.iter().filter(|i| i.mark == "NEW").count(),
                    if items.iter().filter(|i| i.mark == "NEW").count() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    pairs.len(),
                    if pairs.len() == 1 { "" } else { "s" },
                );
            }
        }
    }
    Ok(if d.changed() { INPUT_FAILED } else { OK })
}

fn text(d: &Diff, old: &str, new: &str) -> String {
    let mut o = String::new();
    let mut line = |s: String| {
        o.push_str(&s);
        o.push('\n');
    };
    line(format!("old: {old}, catalog sha256 {}", d.old_digest));
    line(format!("new: {new}, catalog sha256 {}", d.new_digest));
    if !d.changed() {
        line("no changes: the two catalogs are the same".into());
        return o;
    }
    for p in &d.paragraphs {
        line(String::new());
        line(format!("paragraph {}: {}", p.code, p.change.name()));
        line(format!("  {}", show_words(&p.words)));
        if p.reaches.is_empty() {
            line("  reaches: no letter".into());
        } else {
            let r: Vec<String> = p.reaches.iter().map(ToString::to_string).collect();
            line(format!("  reaches: {}", r.join("; ")));
        }
    }
    for l in &d.letters {
        line(String::new());
        line(format!("letter {}: {}", l.code, l.change.name()));
        if l.change != Change::Changed {
            continue;
        }
        for w in &l.wording {
            line(format!("  {}: {}", w.what, show_words(&w.words)));
        }
        let list = |what: &str, v: &[String], line: &mut dyn FnMut(String)| {
            if !v.is_empty() {
                line(format!("  {what}: {}", v.join(", ")));
            }
        };
        list("fields added", &l.fields_added, &mut line);
        list("fields removed", &l.fields_removed, &mut line);
        list("choices added", &l.choices_added, &mut line);
        list("choices removed", &l.choices_removed, &mut line);
        list("selects another paragraph", &l.selects_changed, &mut line);
    }
    if d.settings_changed {
        line(String::new());
        line("settings (catalog.yaml): the sender block, author or braille carrier page wording changed".into());
    }
    if !d.procedures_changed.is_empty() {
        line(String::new());
        line(format!(
            "pack procedures changed: {}",
            d.procedures_changed.join(", ")
        ));
    }
    let reaches = d.reaches();
    let letters: std::collections::BTreeSet<&str> =
        reaches.iter().map(|r| r.letter.as_str()).collect();
    line(String::new());
    if d.paragraphs.is_empty()
        && d.letters.is_empty()
        && !d.settings_changed
        && d.procedures_changed.is_empty()
    {
        line("the files differ, but no wording, field, setting or procedure did (comments or layout of the YAML)".into());
    } else {
        line(format!(
            "{} paragraph{} and {} letter{} changed; {} letter{} affected{}",
            d.paragraphs.len(),
            if d.paragraphs.len() == 1 { "" } else { "s" },
            d.letters.len(),
            if d.letters.len() == 1 { "" } else { "s" },
            letters.len(),
            if letters.len() == 1 { "" } else { "s" },
            if letters.is_empty() {
                String::new()
            } else {
                format!(": {}", letters.into_iter().collect::<Vec<_>>().join(", "))
            }
        ));
    }
    o
}

/// The variants of `engine`'s letter `code`, or none.
fn variants_of(engine: &Engine, code: &str) -> Vec<Variant> {
    let Some(l) = engine.catalog().letter(code) else {
        return Vec::new();
    };
    admin::samples(engine, l)
        .map(|s| admin::variants(l, &s))
        .unwrap_or_default()
}

fn matches(v: &Variant, r: &Reach) -> bool {
    match (&r.field, r.choice.as_str()) {
        (_, "") => true,
        (Some(f), c) => v.choices.iter().any(|(vf, vc)| vf == f && vc == c),
        (None, id) => v.optional.iter().any(|o| o == id),
    }
}

fn same(a: &Variant, b: &Variant) -> bool {
    a.choices == b.choices && a.optional == b.optional && a.longest_address == b.longest_address
}

/// One variant per affected choice (the first that shows it), old then new.
fn proof_items<'a>(old: &'a Engine, new: &'a Engine, d: &Diff) -> Vec<ProofItem<'a>> {
    let mut items = Vec::new();
    let mut chosen: Vec<(String, Variant)> = Vec::new();
    for r in d.reaches() {
        let nv = variants_of(new, &r.letter);
        let ov = variants_of(old, &r.letter);
        let pick = nv
            .iter()
            .find(|v| matches(v, &r))
            .or_else(|| ov.iter().find(|v| matches(v, &r)));
        let Some(v) = pick else { continue };
        if chosen.iter().any(|(l, c)| *l == r.letter && same(c, v)) {
            continue;
        }
        chosen.push((r.letter.clone(), v.clone()));
        if let Some(o) = ov.iter().find(|o| same(o, v)) {
            items.push(ProofItem {
                engine: old,
                mark: "OLD".into(),
                variant: o.clone(),
            });
        }
        if let Some(n) = nv.iter().find(|n| same(n, v)) {
            items.push(ProofItem {
                engine: new,
                mark: "NEW".into(),
                variant: n.clone(),
            });
        }
    }
    items
}
