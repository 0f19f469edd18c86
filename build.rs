//! Embeds the shipped catalog (`letters/`, `paragraphs/`) into the binary so
//! `letterkit` works from any folder on a fresh machine, and records the git
//! commit the binary is built from (`LETTERKIT_GIT_COMMIT`, for `--version`).
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git ARGS` in `dir`; its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// The commit of HEAD (12 hex digits), or "unknown" outside a git checkout of
/// this crate (a crate tarball, or a tarball unpacked inside some other
/// repository). `LETTERKIT_GIT_COMMIT` set at build time wins (for packagers).
/// Tells cargo to build again when HEAD moves.
fn git_commit(root: &Path) -> String {
    println!("cargo:rerun-if-env-changed=LETTERKIT_GIT_COMMIT");
    if let Ok(c) = std::env::var("LETTERKIT_GIT_COMMIT")
        && !c.trim().is_empty()
    {
        return c.trim().to_owned();
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let ours = git(root, &["rev-parse", "--show-toplevel"])
        .is_some_and(|top| canonical(Path::new(&top)) == canonical(root));
    if !ours {
        return "unknown".into();
    }
    // HEAD, the branch it points to, and packed refs: a commit changes one of them.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(p) = git(root, &["rev-parse", "--git-path", &name]) {
            let p = PathBuf::from(p);
            let p = if p.is_absolute() { p } else { root.join(p) };
            // A path that does not exist would make cargo run this script every build.
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    git(root, &["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into())
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let mut out = String::from(
        "/// The shipped catalog files: (path relative to the catalog root, contents).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for dir in ["letters", "paragraphs", "catalog.yaml", "packs"] {
        let base = Path::new(&root).join(dir);
        println!("cargo:rerun-if-changed={}", base.display());
        let mut paths: Vec<_> = walkdir::WalkDir::new(&base)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "tera")
            })
            .map(|e| e.into_path())
            .collect();
        paths.sort();
        for p in paths {
            println!("cargo:rerun-if-changed={}", p.display());
            let rel = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            let _ = writeln!(
                out,
                "    ({rel:?}, include_str!({:?})),",
                p.display().to_string()
            );
        }
    }
    out.push_str("];\n");
    println!(
        "cargo:rustc-env=LETTERKIT_GIT_COMMIT={}",
        git_commit(Path::new(&root))
    );
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("embedded_catalog.rs");
    // Unchanged content keeps its mtime, so a new commit does not recompile the catalog.
    if std::fs::read_to_string(&dest).is_ok_and(|old| old == out) {
        return;
    }
    if std::fs::write(&dest, out).is_err() {
        panic!("cannot write {}", dest.display());
    }
}
