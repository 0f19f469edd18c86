//! The conventions users expect of a command-line tool: `--version` with the
//! commit and the catalog digest, shell completions and man pages, `--color`,
//! `-q`/`-v` on every verb, help examples that are never wrapped mid-command,
//! line breaks in web addresses, and the sign-off kept with its paragraph.

use std::path::Path;
use std::process::Output;

use crate::common::{NEED_POPPLER, letterkit, missing_tools, pdf_text, root, sha256_hex};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    letterkit(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("letterkit runs")
}

/// The documented catalog digest (see `Catalog::digest`), computed here
/// independently from the files in `dir`.
fn documented_digest(dir: &Path) -> String {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for sub in ["catalog.yaml", "letters", "paragraphs"] {
        for e in walkdir::WalkDir::new(dir.join(sub)) {
            let e = e.expect("walk the catalog");
            if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yaml") {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .expect("inside the catalog")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((rel, std::fs::read(e.path()).expect("read")));
            }
        }
    }
    files.sort();
    let mut bytes = Vec::new();
    for (path, data) in &files {
        bytes.extend((path.len() as u64).to_be_bytes());
        bytes.extend(path.as_bytes());
        bytes.extend((data.len() as u64).to_be_bytes());
        bytes.extend(data);
    }
    sha256_hex(&bytes)
}

/// A copy of the shipped catalog in a temporary folder.
fn catalog_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for sub in ["catalog.yaml", "letters", "paragraphs"] {
        for e in walkdir::WalkDir::new(root().join(sub)) {
            let e = e.expect("walk");
            let rel = e.path().strip_prefix(root()).expect("inside the repo");
            let target = tmp.path().join(rel);
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
            } else {
                std::fs::copy(e.path(), &target).expect("copy");
            }
        }
    }
    tmp
}

#[test]
fn the_catalog_digest_is_the_documented_sha256_and_the_same_from_a_folder() {
    let builtin = letterkit::catalog::Catalog::builtin().expect("built-in catalog");
    let documented = documented_digest(&root());
    assert_eq!(builtin.digest(), documented);
    assert_eq!(letterkit::catalog::builtin_digest(), documented);
    let copy = catalog_copy();
    let from_dir = letterkit::catalog::Catalog::from_dir(copy.path()).expect("copy loads");
    assert_eq!(from_dir.digest(), documented);
    // One byte more in one paragraph file changes it.
    let file = copy.path().join("catalog.yaml");
    let mut text = std::fs::read_to_string(&file).expect("read");
    text.push('\n');
    std::fs::write(&file, text).expect("write");
    let changed = letterkit::catalog::Catalog::from_dir(copy.path()).expect("still loads");
    assert_ne!(changed.digest(), documented);
    assert_eq!(changed.digest(), documented_digest(copy.path()));
}

#[test]
fn version_prints_the_commit_and_the_catalog_digest() {
    let o = run(&root(), &["--version"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        );
    assert_eq!(
        stdout(&o),
        format!(
            "letterkit {}\ncommit {commit}\ncatalog sha256 {}\n",
            env!("CARGO_PKG_VERSION"),
            documented_digest(&root())
        )
    );
}

#[test]
fn check_ends_with_the_digest_of_the_catalog_it_checked() {
    let digest = documented_digest(&root());
    let o = run(&root(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().last(),
        Some(format!("catalog sha256 {digest}").as_str())
    );
    let copy = catalog_copy();
    let dir = copy.path().to_str().expect("utf-8 path");
    let o = run(&root(), &["check", "--catalog", dir]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().last(),
        Some(format!("catalog sha256 {digest}").as_str())
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(&root(), &["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        // fish spells options `-l catalog`, the others `--catalog`.
        for word in ["letterkit", "render", "batch", "catalog", "color"] {
            assert!(script.contains(word), "{shell}: no `{word}` in the script");
        }
    }
    let o = run(&root(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'tcsh'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn man_prints_roff_and_writes_one_page_per_verb() {
    let o = run(&root(), &["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH letterkit 1"), "{page}");
    assert!(page.contains("render"), "the page lists the verbs");

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("man1");
    let o = run(
        tmp.path(),
        &["man", "--out", out.to_str().expect("utf-8 path")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for name in [
        "letterkit",
        "letterkit-render",
        "letterkit-batch",
        "letterkit-check",
        "letterkit-pack",
        "letterkit-pack-step",
        "letterkit-completions",
        "letterkit-man",
    ] {
        let text = std::fs::read_to_string(out.join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(text.contains(&format!(".TH {name} 1")), "{name}.1:\n{text}");
    }
    assert!(!out.join("letterkit-help.1").exists());
    let o = run(
        tmp.path(),
        &["-q", "man", "--out", out.to_str().expect("utf-8 path")],
    );
    assert!(o.status.success());
    assert_eq!(stderr(&o), "");
}

/// `letterkit --catalog missing list`: an error printed by the shared error printer.
fn catalog_error(color: &[&str], env: &[(&str, &str)]) -> String {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut c = letterkit(tmp.path());
    c.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c
        .args(color)
        .args(["--catalog", "missing", "list"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    stderr(&o)
}

#[test]
fn error_prefixes_are_coloured_only_when_asked_or_on_a_terminal() {
    let plain = catalog_error(&[], &[]);
    assert!(plain.starts_with("error: "), "{plain:?}");
    assert!(
        !plain.contains('\u{1b}'),
        "no colour into a pipe: {plain:?}"
    );
    let red = "\u{1b}[1m\u{1b}[31merror:\u{1b}[0m ";
    let coloured = catalog_error(&["--color", "always"], &[]);
    assert!(coloured.starts_with(red), "{coloured:?}");
    assert_eq!(coloured.replacen(red, "error: ", 1), plain);
    for (flags, env, colour) in [
        (&[][..], &[("CLICOLOR_FORCE", "1")][..], true),
        (
            &[][..],
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")][..],
            false,
        ),
        (&["--color=always"][..], &[("NO_COLOR", "1")][..], true),
        (
            &["--color", "never"][..],
            &[("CLICOLOR_FORCE", "1")][..],
            false,
        ),
        (&["--color", "auto"][..], &[][..], false),
    ] {
        let err = catalog_error(flags, env);
        assert_eq!(err.starts_with(red), colour, "{flags:?} {env:?}: {err:?}");
    }
}

fn valid_request() -> std::path::PathBuf {
    root().join("fixtures/requests/valid/cmsl5502-payments/request.yaml")
}

#[test]
fn quiet_silences_wrote_lines_but_never_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let req = valid_request();
    let req = req.to_str().expect("utf-8 path");
    let o = run(tmp.path(), &["render", req, "--out", "a.pdf"]);
    assert!(o.status.success());
    assert_eq!(stderr(&o), "wrote a.pdf\n");
    for args in [
        &["-q", "render", req, "--out", "b.pdf"][..],
        &["render", req, "--out", "c.pdf", "--quiet"][..],
    ] {
        let o = run(tmp.path(), args);
        assert!(o.status.success(), "{args:?}");
        assert_eq!(stderr(&o), "", "{args:?}");
    }
    assert!(tmp.path().join("b.pdf").is_file() && tmp.path().join("c.pdf").is_file());
    let o = run(
        tmp.path(),
        &["-q", "render", "missing.yaml", "--out", "d.pdf"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: cannot read missing.yaml: "),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).ends_with("1 of 1 requests failed\n"));
    let o = run(tmp.path(), &["-q", "check"]);
    assert!(o.status.success());
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("", ""));
}

#[test]
fn quiet_is_the_global_flag_in_batch_too() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).expect("mkdir");
    std::fs::copy(valid_request(), input.join("a.yaml")).expect("copy");
    for (n, args) in [&["batch", "in", "-q"][..], &["-q", "batch", "in"][..]]
        .into_iter()
        .enumerate()
    {
        let out = format!("out{n}");
        let o = run(tmp.path(), &[args, &["--out", &out]].concat());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
        assert!(tmp.path().join(&out).join("manifest.jsonl").is_file());
    }
    let o = run(tmp.path(), &["batch", "in", "--out", "out9"]);
    assert!(
        stderr(&o).starts_with("rendered 1, failed 0"),
        "{}",
        stderr(&o)
    );
    // Something failed: the summary and the failure print even with -q.
    std::fs::write(input.join("b.yaml"), "letter: NOPE\n").expect("write");
    let o = run(tmp.path(), &["-q", "batch", "in", "--out", "out3"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("failed: "), "{err}");
    assert!(err.contains("rendered 1, failed 1"), "{err}");
}

#[test]
fn verbose_names_the_catalog_and_quiet_and_verbose_conflict() {
    let digest = documented_digest(&root());
    let o = run(&root(), &["-v", "list"]);
    assert!(o.status.success());
    assert_eq!(stderr(&o), format!("catalog: built-in, sha256 {digest}\n"));
    let o = run(&root(), &["list", "--verbose"]);
    assert!(stderr(&o).starts_with("catalog: built-in"));
    let o = run(&root(), &["-q", "-v", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

/// Every verb with examples in its help.
const VERBS: &[&[&str]] = &[
    &[],
    &["render"],
    &["check"],
    &["list"],
    &["show"],
    &["batch"],
    &["pack"],
    &["pack", "create"],
    &["pack", "step"],
    &["pack", "show"],
    &["pack", "verify"],
    &["pack", "bundle"],
    &["pack", "extract"],
    &["pack", "steps"],
    &["completions"],
    &["man"],
];

#[test]
fn help_examples_are_never_wrapped_mid_command() {
    for verb in VERBS {
        for flag in ["--help", "-h"] {
            let o = letterkit(&root())
                .env("COLUMNS", "60")
                .args(*verb)
                .arg(flag)
                .output()
                .expect("runs");
            assert!(o.status.success(), "{verb:?}");
            let help = stdout(&o);
            let Some((prose, examples)) = help.split_once("\nExamples:\n") else {
                panic!("{verb:?} {flag}: no examples:\n{help}");
            };
            // Sub-headings ("Side steps, at any open stage:") may group them.
            let examples: Vec<&str> = examples
                .lines()
                .filter(|l| !l.is_empty() && (l.starts_with(' ') || !l.ends_with(':')))
                .collect();
            assert!(!examples.is_empty(), "{verb:?}");
            for line in &examples {
                assert!(
                    line.starts_with("  ") && line.contains("letterkit "),
                    "{verb:?} {flag}: an example is cut in two at `{line}`:\n{help}"
                );
            }
            // The prose above still wraps at the width asked for (clap
            // never wraps the usage line).
            for line in prose.lines().filter(|l| !l.starts_with("Usage: ")) {
                assert!(
                    line.chars().count() <= 60,
                    "{verb:?} {flag}: `{line}` is wider than 60 columns"
                );
            }
        }
    }
    let o = letterkit(&root())
        .env("COLUMNS", "60")
        .args(["batch", "--help"])
        .output()
        .expect("runs");
    let help = stdout(&o);
    assert!(
        help.lines().any(|l| l
            == "  letterkit batch tonight.jsonl extra.csv --letter CMSL5502 --out out/ --jobs 2"),
        "{help}"
    );
}

/// The text lines of laid-out pages, top to bottom (runs on one baseline
/// joined by a space).
fn page_lines(pages: &[letterkit::layout::Page]) -> Vec<String> {
    let mut out = Vec::new();
    for page in pages {
        let mut runs: Vec<&letterkit::layout::TextRun> = page
            .items
            .iter()
            .filter_map(|i| match i {
                letterkit::layout::Item::Text(r) => Some(r),
                _ => None,
            })
            .collect();
        runs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        let mut last_y = f32::NAN;
        for r in runs {
            if (r.y - last_y).abs() < 0.01 {
                if let Some(line) = out.last_mut() {
                    let line: &mut String = line;
                    line.push(' ');
                    line.push_str(&r.text);
                }
            } else {
                out.push(r.text.clone());
                last_y = r.y;
            }
        }
    }
    out
}

#[test]
fn a_long_web_address_in_a_letter_breaks_after_a_slash_or_hyphen() {
    let url = "www.gov.uk/government/publications/child-maintenance-service-statement-of-liability-guidance";
    let yaml =
        std::fs::read_to_string(root().join("fixtures/requests/valid/cmsl5501-other/request.yaml"))
            .expect("fixture");
    let yaml = yaml.replace(
        "\"Your application for a variation because of your special expenses\"",
        &format!("\"The guidance at {url} about your special expenses\""),
    );
    let engine = crate::common::engine();
    let request = engine
        .parse_request(&yaml, "request.yaml")
        .expect("a valid request");
    let lines = page_lines(&engine.layout(&request).expect("lays out"));
    let at = lines
        .iter()
        .position(|l| l.contains("www.gov.uk"))
        .expect("the address is in the letter");
    // The address's pieces: the end of its first line, then whole lines.
    let mut pieces = vec![lines[at].rsplit(' ').next().unwrap_or("").to_owned()];
    while pieces.concat().len() < url.len() {
        let next = &lines[at + pieces.len()];
        pieces.push(next.split(' ').next().unwrap_or("").to_owned());
    }
    assert!(pieces.len() >= 2, "the address spans lines: {pieces:?}");
    assert_eq!(pieces.concat(), url, "{pieces:?}");
    for p in &pieces[..pieces.len() - 1] {
        assert!(
            p.ends_with('/') || p.ends_with('-'),
            "a line ends inside a word of the address: {pieces:?}"
        );
    }
    // To look at it: LETTERKIT_KEEP_PDF=letter.pdf cargo test --test main web_address
    if let Ok(path) = std::env::var("LETTERKIT_KEEP_PDF") {
        let pdf = engine
            .render(&request, &letterkit::RenderOptions::default())
            .expect("renders")
            .pdf;
        std::fs::write(path, pdf).expect("write the PDF");
    }
}

#[test]
fn every_fixture_letter_keeps_its_sign_off_with_body_text() {
    let engine = crate::common::engine();
    for dir in crate::common::case_dirs("requests/valid") {
        let file = crate::common::request_file(&dir);
        let text = std::fs::read_to_string(&file).expect("read");
        let request = engine
            .parse_request(&text, "request.yaml")
            .expect("valid fixture");
        let pdf = engine
            .render(&request, &letterkit::RenderOptions::default())
            .expect("renders")
            .pdf;
        let pages = pdf_text(&pdf);
        let Some(page) = pages.split('\u{c}').find(|p| p.contains("Yours ")) else {
            continue;
        };
        let before = &page[..page.find("Yours ").unwrap_or(0)];
        assert!(
            before.split_whitespace().count() >= 8,
            "{}: the sign-off stands alone on its page:\n{page}",
            crate::common::case_name(&dir)
        );
    }
}

#[test]
fn a_missing_poppler_is_reported_in_one_clear_line() {
    assert_eq!(
        missing_tools(&["pdftotext", "letterkit-no-such-pdffonts"]),
        Some(NEED_POPPLER)
    );
    assert_eq!(
        NEED_POPPLER,
        "these tests need poppler-utils: apt-get install poppler-utils"
    );
    assert_eq!(
        missing_tools(&["pdftotext", "pdffonts"]),
        None,
        "{NEED_POPPLER}"
    );
}
