//! `letterkit proof`: a proof PDF of letters for sign-off, every variant of
//! each from the sample values its definition declares.

use std::path::{Path, PathBuf};

use letterkit::Engine;
use letterkit::admin::{self, proof::ProofItem};

use super::output::{errln, outln};
use super::{CONFIG_ERROR, INPUT_FAILED, OK};

/// Make a proof PDF of letters for sign-off: every variant, from their sample values.
#[derive(clap::Args)]
#[command(
    after_help = "A proof shows, for each letter, one variant per combination of its choice fields'\nchoices (every reason, both `changed-by`), one per optional paragraph, and the longest\nsample address, from the `sample:` section of its definition. A cover page lists the\nvariants; each page is headed by the variant's choices, with the paragraph codes in the\nmargin. A proof is internal: never post it.\n\nExamples:\n  letterkit proof CMSL5502 --out proof.pdf\n  letterkit proof CMSL5501 CMSL5502 --out proof.pdf --force\n  letterkit proof --all --out catalog-proof.pdf\n  letterkit proof --catalog ./my-catalog CMSL5502 --out proof.pdf"
)]
pub struct Args {
    /// Letter codes to prove.
    #[arg(
        value_name = "CODE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    codes: Vec<String>,
    /// Prove every letter and form of the catalog.
    #[arg(long)]
    all: bool,
    /// The proof PDF to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
}

/// The proof items of `codes` (in the order given) and the notes for the cover.
pub fn items<'a>(
    engine: &'a Engine,
    codes: &[String],
    mark: &str,
) -> Result<(Vec<ProofItem<'a>>, Vec<String>), i32> {
    let mut items = Vec::new();
    let mut notes = Vec::new();
    for code in codes {
        let Some(letter) = engine.catalog().letter(code) else {
            continue;
        };
        let samples = match admin::samples(engine, letter) {
            Ok(s) => s,
            Err(problems) => {
                for p in problems {
                    super::print_error_message(format!("{p}"));
                }
                return Err(CONFIG_ERROR);
            }
        };
        if !samples.declared {
            errln!(
                "warning: {code} declares no `sample:` values; its proof uses placeholder values"
            );
            notes.push(format!(
                "{code} declares no sample values: its variants show placeholders (\"Sample\")."
            ));
        }
        for variant in admin::variants(letter, &samples) {
            items.push(ProofItem {
                engine,
                mark: mark.to_owned(),
                variant,
            });
        }
    }
    Ok((items, notes))
}

/// Writes `bytes` to `out`: a new file, or over the old one with `force`.
pub fn write_out(out: &Path, bytes: &[u8], force: bool) -> Result<(), i32> {
    let result = if force {
        letterkit::files::write_atomic(out, bytes)
    } else {
        letterkit::files::write_new(out, bytes)
    };
    result.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            super::print_error_message(format!(
                "{} already exists; add --force to replace it",
                out.display()
            ));
            CONFIG_ERROR
        } else {
            super::print_error_message(format!("cannot write {}: {e}", out.display()));
            INPUT_FAILED
        }
    })
}

/// Refuses an existing `--out` before any work (unless `force`).
pub fn check_out(out: &Path, force: bool) -> Result<(), i32> {
    if !force && std::fs::symlink_metadata(out).is_ok() {
        super::print_error_message(format!(
            "{} already exists; add --force to replace it",
            out.display()
        ));
        return Err(CONFIG_ERROR);
    }
    Ok(())
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    match run_or(args, catalog) {
        Ok(()) => OK,
        Err(code) => code,
    }
}

fn run_or(args: Args, catalog: Option<&PathBuf>) -> Result<(), i32> {
    check_out(&args.out, args.force)?;
    let engine = super::load(catalog)?;
    let c = engine.catalog();
    let codes: Vec<String> = if args.all {
        c.letters().map(|l| l.code.clone()).collect()
    } else {
        let known: Vec<&str> = c.letters().map(|l| l.code.as_str()).collect();
        let mut bad = false;
        for code in &args.codes {
            if c.letter(code).is_none() {
                let hint = letterkit::request::closest(code, &known)
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                super::print_error_message(format!(
                    "unknown letter `{code}`{hint}; the catalog has: {}",
                    c.letter_codes()
                ));
                bad = true;
            }
        }
        if bad {
            return Err(CONFIG_ERROR);
        }
        args.codes.clone()
    };
    let (items, mut notes) = items(&engine, &codes, "PROOF")?;
    let mut subtitle = vec![
        format!(
            "Internal document for sign-off: not to be sent. Catalog sha256 {}.",
            c.digest()
        ),
        "Each variant is the letter as it prints, from the sample values in its definition; the codes in the left margin name the paragraph each line comes from.".to_owned(),
    ];
    subtitle.append(&mut notes);
    let title = if codes.len() == 1 {
        format!("Proof of {}", codes[0])
    } else {
        format!("Proof of {} letters", codes.len())
    };
    let proof =
        admin::proof::proof(engine.fonts(), Some((&title, &subtitle)), &items).map_err(|e| {
            super::print_error(&e);
            INPUT_FAILED
        })?;
    write_out(&args.out, &proof.pdf, args.force)?;
    if !super::verbosity().is_quiet() {
        outln!(
            "wrote {}: {} letter{}, {} variants, {} pages",
            args.out.display(),
            codes.len(),
            if codes.len() == 1 { "" } else { "s" },
            items.len(),
            proof.pages
        );
    }
    Ok(())
}
