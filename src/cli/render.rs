//! `letterkit render`: one or more request files → PDF files.
//!
//! Every request is read and checked before anything is written, so that two
//! requests that would be written to the same file are refused instead of one
//! silently replacing the other. An existing file is never replaced without
//! `--force`, and an input never at all.
//!
//! A braille request (`format: braille`) gives three files: the braille as
//! BRF and PEF and the print carrier page as PDF. They are named from one
//! stem: `--out x` or `--out x.pdf` writes `x.pdf`, `x.brf` and `x.pef`;
//! in a folder, `ID.pdf`, `ID.brf` and `ID.pef`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use letterkit::{Engine, RenderOptions};
use serde_json::json;

use super::output::{errln, outln};
use super::{CONFIG_ERROR, INPUT_FAILED, OK, print_error};

/// Render request files (YAML or JSON) to PDF.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit render fixtures/requests/valid/cmsl5502-payments/request.yaml --out letter.pdf\n  letterkit render a.yaml b.json --out letters/      (one PDF per request, named from its id or file name)\n  letterkit render - --out letter.pdf < request.json\n  letterkit render request.yaml --out - | lp          (the PDF on standard output)\n  letterkit render braille.yaml --out letter          (format: braille: letter.pdf, letter.brf, letter.pef)"
)]
pub struct Args {
    /// Request files (YAML or JSON); `-` reads standard input.
    #[arg(required = true, value_name = "REQUEST")]
    requests: Vec<PathBuf>,
    /// Output: a PDF file for one request, a folder for several (or ending
    /// in `/`); `-` writes the PDF of one request to standard output.
    #[arg(long, short, value_name = "PATH")]
    out: PathBuf,
    /// Replace output files that already exist (never an input).
    #[arg(long)]
    force: bool,
    /// Print what was written as JSON on standard output.
    #[arg(long)]
    json: bool,
}

fn read(path: &Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
}

/// Output file name for a request: its id, else the input file's stem.
fn output_name(id: Option<&str>, input: &Path) -> String {
    match id {
        Some(id) => format!("{id}.pdf"),
        None => format!(
            "{}.pdf",
            input
                .file_stem()
                .filter(|_| input.as_os_str() != "-")
                .map_or("stdin".into(), |s| s.to_string_lossy())
        ),
    }
}

/// The files of a braille letter for the output path `out`: its stem (less
/// a final `.pdf`) with `.pdf` (the carrier page), `.brf` and `.pef`.
fn braille_targets(out: &Path) -> [PathBuf; 3] {
    let stem = if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
    {
        out.with_extension("")
    } else {
        out.to_path_buf()
    };
    let with = |ext: &str| {
        let mut s = stem.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    [with(".pdf"), with(".brf"), with(".pef")]
}

/// Where the output goes.
#[derive(Clone, Copy, PartialEq)]
enum Dest {
    Stdout,
    File,
    Folder,
}

/// Decides where the output goes, or why the options do not fit.
fn destination(args: &Args) -> Result<Dest, String> {
    let several = args.requests.len() > 1;
    let out = &args.out;
    if out.as_os_str() == "-" {
        if several {
            return Err("--out - writes one PDF to standard output; several requests need a folder for --out".into());
        }
        if args.json {
            return Err(
                "--json prints to standard output, where --out - writes the PDF: choose one".into(),
            );
        }
        if std::io::stdout().is_terminal() {
            return Err("--out - would write a PDF to the terminal: redirect standard output to a file or a pipe".into());
        }
        return Ok(Dest::Stdout);
    }
    let names_folder = out
        .as_os_str()
        .to_string_lossy()
        .ends_with(std::path::MAIN_SEPARATOR);
    if several || out.is_dir() || names_folder {
        if out.is_file()
            || (!out.exists()
                && out
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
        {
            return Err(format!(
                "{} names a file; several requests need a folder for --out",
                out.display()
            ));
        }
        return Ok(Dest::Folder);
    }
    Ok(Dest::File)
}

/// One request read and rendered, not yet written.
struct Ready {
    input: PathBuf,
    letter: String,
    format: String,
    pages: usize,
    /// Braille pages (braille only).
    braille_pages: Option<usize>,
    /// The files: where each goes (none: standard output) and its bytes;
    /// the PDF first.
    files: Vec<(Option<PathBuf>, Vec<u8>)>,
}

/// What one request renders to.
struct Output {
    request: letterkit::Request,
    pages: usize,
    braille_pages: Option<usize>,
    /// The PDF, then for braille the BRF and the PEF.
    bytes: Vec<Vec<u8>>,
}

fn render_one(engine: &Engine, input: &Path) -> Result<Output, ()> {
    let origin = input.display().to_string();
    let text = read(input).map_err(|e| {
        errln!("error: cannot read {origin}: {e}");
    })?;
    let request = engine.parse_request(&text, &origin).map_err(|e| {
        errln!("{e}");
    })?;
    if request.format().is_braille() {
        let translator = letterkit::braille::Liblouis::default();
        let r = engine
            .render_braille(&request, &translator, &RenderOptions::default())
            .map_err(|e| print_error(&e))?;
        return Ok(Output {
            request,
            pages: r.carrier.pages,
            braille_pages: Some(r.document.pages.pages.len()),
            bytes: vec![r.carrier.pdf, r.brf, r.pef],
        });
    }
    let rendered = engine
        .render(&request, &RenderOptions::default())
        .map_err(|e| print_error(&e))?;
    Ok(Output {
        request,
        pages: rendered.pages,
        braille_pages: None,
        bytes: vec![rendered.pdf],
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let dest = match destination(&args) {
        Ok(d) => d,
        Err(m) => {
            errln!("error: {m}");
            return CONFIG_ERROR;
        }
    };
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut failed = 0;
    let mut ready: Vec<Ready> = Vec::new();
    let mut claimed: HashMap<PathBuf, PathBuf> = HashMap::new();
    'inputs: for input in &args.requests {
        let Ok(output) = render_one(&engine, input) else {
            failed += 1;
            continue;
        };
        let request = &output.request;
        let braille = request.format().is_braille();
        let targets: Vec<Option<PathBuf>> = match dest {
            Dest::Stdout if braille => {
                errln!(
                    "error: {}: a braille letter is three files (the carrier page PDF, BRF and PEF), so it cannot go to standard output; give --out a file name or a folder",
                    input.display()
                );
                failed += 1;
                continue;
            }
            Dest::Stdout => vec![None],
            Dest::File if braille => braille_targets(&args.out).map(Some).to_vec(),
            Dest::File => vec![Some(args.out.clone())],
            Dest::Folder => {
                let pdf = args.out.join(output_name(request.id(), input));
                if braille {
                    braille_targets(&pdf).map(Some).to_vec()
                } else {
                    vec![Some(pdf)]
                }
            }
        };
        for t in targets.iter().flatten() {
            if let Some(first) = claimed.get(t) {
                errln!(
                    "error: {} and {} would both be written to {}; give each request its own id, or render them one at a time",
                    first.display(),
                    input.display(),
                    t.display()
                );
                failed += 1;
                continue 'inputs;
            }
            if args
                .requests
                .iter()
                .any(|i| letterkit::files::same_file(i, t))
            {
                errln!(
                    "error: {} is an input; letterkit never writes over an input",
                    t.display()
                );
                failed += 1;
                continue 'inputs;
            }
            if !args.force && std::fs::symlink_metadata(t).is_ok() {
                errln!(
                    "error: {} already exists; add --force to replace it",
                    t.display()
                );
                failed += 1;
                continue 'inputs;
            }
        }
        for t in targets.iter().flatten() {
            claimed.insert(t.clone(), input.clone());
        }
        ready.push(Ready {
            input: input.clone(),
            letter: request.letter().to_owned(),
            format: request.format().name().to_owned(),
            pages: output.pages,
            braille_pages: output.braille_pages,
            files: targets.into_iter().zip(output.bytes).collect(),
        });
    }
    if dest == Dest::Folder
        && !ready.is_empty()
        && let Err(e) = std::fs::create_dir_all(&args.out)
    {
        errln!("error: cannot create {}: {e}", args.out.display());
        return INPUT_FAILED;
    }
    let mut written = Vec::new();
    for r in ready {
        let mut files = Vec::new();
        let mut ok = true;
        for (target, bytes) in &r.files {
            let Some(target) = target else {
                super::output::out_bytes(bytes);
                continue;
            };
            let result = if args.force {
                letterkit::files::write_atomic(target, bytes)
            } else {
                letterkit::files::write_new(target, bytes)
            };
            match result {
                Ok(()) => {
                    if !args.json && !super::verbosity().is_quiet() {
                        errln!("wrote {}", target.display());
                    }
                    files.push(json!({
                        "path": target.display().to_string(),
                        "bytes": bytes.len(),
                        "sha256": sha256_hex(bytes),
                    }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    errln!(
                        "error: {} already exists; add --force to replace it",
                        target.display()
                    );
                    ok = false;
                }
                Err(e) => {
                    errln!("error: cannot write {}: {e}", target.display());
                    ok = false;
                }
            }
        }
        if !ok {
            failed += 1;
            continue;
        }
        if let (Some((Some(target), pdf)), Some(first)) = (r.files.first(), files.first()) {
            let mut entry = json!({
                "input": r.input.display().to_string(),
                "output": target.display().to_string(),
                "letter": r.letter,
                "format": r.format,
                "pages": r.pages,
                "bytes": pdf.len(),
                "sha256": first["sha256"].clone(),
            });
            if let Some(n) = r.braille_pages {
                entry["braille_pages"] = json!(n);
                entry["files"] = json!(files);
            }
            written.push(entry);
        }
    }
    if args.json {
        let doc = json!({
            "schema": "letterkit.render.v1",
            "written": written,
            "failed": failed,
        });
        outln!("{doc}");
    }
    if failed > 0 {
        errln!("{failed} of {} requests failed", args.requests.len());
        INPUT_FAILED
    } else {
        OK
    }
}
