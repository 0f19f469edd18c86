//! `letterkit render`: one or more request files → PDF files.

use std::path::{Path, PathBuf};

use letterkit::batch::output::write_atomic;
use letterkit::{Engine, RenderOptions};

use super::{CONFIG_ERROR, INPUT_FAILED, OK, print_error};

/// Render request files (YAML or JSON) to PDF.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  letterkit render fixtures/requests/valid/cmsl5502-payments/request.yaml --out letter.pdf\n  letterkit render a.yaml b.json --out letters/      (one PDF per request, named from its id or file name)\n  letterkit render - --out letter.pdf < request.json"
)]
pub struct Args {
    /// Request files (YAML or JSON); `-` reads standard input.
    #[arg(required = true, value_name = "REQUEST")]
    requests: Vec<PathBuf>,
    /// Output: a PDF file for one request, a folder for several.
    #[arg(long, short, value_name = "PATH")]
    out: PathBuf,
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
                .map_or("stdin".into(), |s| s.to_string_lossy())
        ),
    }
}

fn render_one(engine: &Engine, input: &Path, out: &Path, into_dir: bool) -> Result<PathBuf, i32> {
    let origin = input.display().to_string();
    let text = read(input).map_err(|e| {
        eprintln!("error: cannot read {origin}: {e}");
        INPUT_FAILED
    })?;
    let request = engine.parse_request(&text, &origin).map_err(|e| {
        eprintln!("{e}");
        INPUT_FAILED
    })?;
    let rendered = engine
        .render(&request, &RenderOptions::default())
        .map_err(|e| {
            print_error(&e);
            INPUT_FAILED
        })?;
    let target = if into_dir {
        out.join(output_name(request.id.as_deref(), input))
    } else {
        out.to_path_buf()
    };
    write_atomic(&target, &rendered.pdf).map_err(|e| {
        eprintln!("error: cannot write {}: {e}", target.display());
        INPUT_FAILED
    })?;
    Ok(target)
}

/// Runs the verb.
pub fn run(args: Args, catalog: Option<&PathBuf>) -> i32 {
    let engine = match super::load(catalog) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let into_dir = args.requests.len() > 1 || args.out.is_dir();
    if into_dir && args.out.is_file() {
        eprintln!(
            "error: {} is a file; several requests need a folder for --out",
            args.out.display()
        );
        return CONFIG_ERROR;
    }
    let mut failed = 0;
    for input in &args.requests {
        match render_one(&engine, input, &args.out, into_dir) {
            Ok(_) if super::verbosity().is_quiet() => {}
            Ok(path) => eprintln!("wrote {}", path.display()),
            Err(_) => failed += 1,
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} requests failed", args.requests.len());
        INPUT_FAILED
    } else {
        OK
    }
}
