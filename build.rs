//! Embeds the shipped catalog (`letters/`, `paragraphs/`) into the binary so
//! `letterkit` works from any folder on a fresh machine.
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let mut out = String::from(
        "/// The shipped catalog files: (path relative to the catalog root, contents).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for dir in ["letters", "paragraphs", "catalog.yaml"] {
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
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("embedded_catalog.rs");
    if std::fs::write(&dest, out).is_err() {
        panic!("cannot write {}", dest.display());
    }
}
