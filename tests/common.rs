//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built `letterkit` binary, ready to run in `dir` (with colour off
/// whatever the environment says, so pinned stderr stays plain text).
pub fn letterkit(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_letterkit"));
    c.current_dir(dir).env_remove("CLICOLOR_FORCE");
    c
}

/// What a test that needs poppler says when `pdftotext` or `pdffonts` is missing.
pub const NEED_POPPLER: &str = "these tests need poppler-utils: apt-get install poppler-utils";

/// `None` when every tool in `tools` runs (`TOOL -v`), else [`NEED_POPPLER`].
pub fn missing_tools(tools: &[&str]) -> Option<&'static str> {
    let runs = |t: &&str| {
        Command::new(t)
            .arg("-v")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
    };
    (!tools.iter().all(runs)).then_some(NEED_POPPLER)
}

/// Fails the calling test with one clear line when poppler-utils is missing
/// (checked once per test run), instead of an `expect` on a spawn error.
pub fn need_poppler() {
    static MISSING: std::sync::OnceLock<Option<&'static str>> = std::sync::OnceLock::new();
    if let Some(msg) = MISSING.get_or_init(|| missing_tools(&["pdftotext", "pdffonts"])) {
        // Not `panic!`: no "panicked at" line or backtrace hint, just the message.
        eprintln!("{msg}");
        std::panic::resume_unwind(Box::new(*msg));
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text of a PDF as `pdftotext` extracts it (reading order, normal spaces).
pub fn pdf_text(pdf: &[u8]) -> String {
    need_poppler();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .arg(&p)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 text")
}

/// Collapses all runs of white space to one space (for phrase searches that
/// may cross line breaks).
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Fixture folders, blessing, and PDF inspection (face-to-face letter tests;
// usable by any suite).

/// Set `LETTERKIT_BLESS=1` to rewrite pinned expectations (expected-stderr.txt,
/// tests/ref/hashes.txt) from the current output instead of failing.
pub const BLESS_VAR: &str = "LETTERKIT_BLESS";

/// Whether the run should rewrite pinned expectations (see [`BLESS_VAR`]).
pub fn bless() -> bool {
    std::env::var(BLESS_VAR).is_ok_and(|v| v == "1")
}

/// A shared engine with the built-in catalog (loaded once per test binary).
pub fn engine() -> &'static letterkit::Engine {
    static ENGINE: std::sync::OnceLock<letterkit::Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| letterkit::Engine::builtin().expect("the built-in catalog loads"))
}

/// The case folders directly under `fixtures/<rel>`, sorted by name.
pub fn case_dirs(rel: &str) -> Vec<PathBuf> {
    let dir = root().join("fixtures").join(rel);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no case folders in {}", dir.display());
    out
}

/// A case folder's name, for failure messages.
pub fn case_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// The request of a case folder: exactly one of `request.yaml`, `request.json`.
pub fn request_file(dir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = ["request.yaml", "request.json"]
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{}: a case folder needs exactly one of request.yaml, request.json",
        dir.display()
    );
    found.into_iter().next().expect("one request file")
}

/// Reads a text file, naming it when it cannot.
pub fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Squashes white space like [`squash`] and rejoins words that line breaking
/// split after a hyphen or a slash (`face-to-\nface` extracts as
/// `face-to- face`, `www.gov.uk/\ndwp` as `www.gov.uk/ dwp`).
pub fn normalise_extracted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        // A line broken after a hyphen or a slash (a web address) rejoins.
        let hyphen_break = (out.ends_with('-') || out.ends_with('/'))
            && out[..out.len() - 1]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
            && word.starts_with(char::is_alphanumeric);
        if !out.is_empty() && !hyphen_break {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Checks `expected.txt` phrases against extracted text. Each line is a phrase
/// that must appear (white space squashed); `!phrase` must not appear; blank
/// lines and lines starting with `#` are ignored. Returns what failed.
pub fn check_phrases(text: &str, expected: &str) -> Vec<String> {
    let hay = normalise_extracted(text);
    let mut failures = Vec::new();
    let mut phrases = 0;
    for line in expected.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        phrases += 1;
        match line.strip_prefix('!') {
            Some(banned) => {
                let banned = squash(banned);
                if hay.contains(&banned) {
                    failures.push(format!("found (must be absent): {banned}"));
                }
            }
            None => {
                let want = squash(line);
                if !hay.contains(&want) {
                    failures.push(format!("missing: {want}"));
                }
            }
        }
    }
    if phrases == 0 {
        failures.push("expected.txt has no phrases".into());
    }
    failures
}

/// Compares `actual` with the pinned file at `path`; with LETTERKIT_BLESS=1
/// rewrites the file instead. Returns a failure description, if any.
pub fn compare_or_bless(path: &Path, actual: &str) -> Option<String> {
    if bless() {
        std::fs::write(path, actual)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return None;
    }
    match std::fs::read_to_string(path) {
        Err(_) => Some(format!(
            "{} is missing; create it with {BLESS_VAR}=1 (then review it). Actual:\n{actual}",
            path.display()
        )),
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "{} differs (refresh with {BLESS_VAR}=1 if the change is intended)\n--- expected\n{expected}--- actual\n{actual}",
            path.display()
        )),
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One row of `pdffonts` output.
#[derive(Debug, Clone)]
pub struct PdfFont {
    /// Font name (with the subset tag, e.g. `ABCDEF+LiberationSans`).
    pub name: String,
    /// Type column, e.g. `CID TrueType`.
    pub kind: String,
    /// `emb` column.
    pub embedded: bool,
    /// `sub` column.
    pub subset: bool,
}

/// The fonts of a PDF as `pdffonts` (poppler-utils) lists them.
pub fn pdf_fonts(pdf: &[u8]) -> Vec<PdfFont> {
    need_poppler();
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x.pdf");
    std::fs::write(&p, pdf).expect("write pdf");
    let out = Command::new("pdffonts")
        .arg(&p)
        .output()
        .expect("pdffonts (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdffonts failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    // Columns: name, type (may hold spaces), encoding, emb, sub, uni, object ID (2 words).
    text.lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            assert!(words.len() >= 8, "unexpected pdffonts row: {l}");
            let n = words.len();
            PdfFont {
                name: words[0].to_owned(),
                kind: words[1..n - 6].join(" "),
                embedded: words[n - 5] == "yes",
                subset: words[n - 4] == "yes",
            }
        })
        .collect()
}

/// The ink box of a text run from its glyphs' outlines (not the line box):
/// (x0, top, x1, bottom) in points from the page's top-left. `None` when the
/// run draws nothing (only spaces).
pub fn ink_bounds(
    run: &letterkit::layout::TextRun,
    fonts: &letterkit::fonts::FontSet,
) -> Option<(f32, f32, f32, f32)> {
    let font = fonts.get(run.font);
    let face = ttf_parser::Face::parse(font.data, 0).expect("built-in font parses");
    let scale = run.size / f32::from(font.units_per_em);
    let mut pen = 0i32;
    let mut bounds: Option<(f32, f32, f32, f32)> = None;
    for g in &run.glyphs {
        if let Some(r) = face.glyph_bounding_box(ttf_parser::GlyphId(g.id)) {
            let x0 = run.x + (pen + i32::from(r.x_min)) as f32 * scale;
            let x1 = run.x + (pen + i32::from(r.x_max)) as f32 * scale;
            let top = run.y - f32::from(r.y_max) * scale;
            let bottom = run.y - f32::from(r.y_min) * scale;
            bounds = Some(match bounds {
                None => (x0, top, x1, bottom),
                Some((a, b, c, d)) => (a.min(x0), b.min(top), c.max(x1), d.max(bottom)),
            });
        }
        pen += g.advance;
    }
    bounds
}

/// The text a run shows.
pub fn run_text(run: &letterkit::layout::TextRun) -> String {
    run.text.clone()
}

/// Spawns `letterkit serve ...` (`cmd`; its standard error is piped here)
/// and waits for its "listening" line: the child, its address
/// (`http://127.0.0.1:PORT`) and every line it logs, as it logs them.
pub fn spawn_server(
    cmd: &mut Command,
) -> (
    std::process::Child,
    String,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::io::BufRead as _;
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("letterkit serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let l2 = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("\"msg\":\"listening\"")
                && let Some(t) = tx.take()
            {
                let _ = t.send(line.clone());
            }
            l2.lock().expect("log").push(line);
        }
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("serve did not start: {:?}", log.lock().map(|l| l.clone())));
    let v: serde_json::Value = serde_json::from_str(&line).expect("the listening line is JSON");
    let base = v["address"].as_str().expect("address").to_owned();
    (child, base, log)
}
