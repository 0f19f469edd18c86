//! The fuzz targets' inputs on stable Rust (issue 8, section 7): every input
//! that ever crashed a fuzz target stays in `fuzz/regressions/<target>/` and
//! runs here through the very function the target calls (`fuzz/harness.rs`),
//! so a crash found once fails `cargo test` for good, without nightly or
//! cargo-fuzz. See fuzz/README.md.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../fuzz/harness.rs"]
mod harness;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn target(name: &str) -> Option<harness::Target> {
    harness::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// Runs every file of `fuzz/<kind>/<target>/` through its target; returns
/// the names of those that panicked.
fn run_all(kind: &str) -> Vec<String> {
    let root = fuzz_dir().join(kind);
    let mut failed = Vec::new();
    for (name, run) in harness::TARGETS {
        for file in files(&root.join(name)) {
            if file.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            let bytes = fs::read(&file).unwrap_or_default();
            if catch_unwind(AssertUnwindSafe(|| run(&bytes))).is_err() {
                failed.push(format!("fuzz/{kind}/{name}/{}", display_name(&file)));
            }
        }
    }
    failed
}

fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every input that ever crashed a fuzz target still runs without a panic.
#[test]
fn fuzz_regressions_do_not_crash() {
    let failed = run_all("regressions");
    assert!(
        failed.is_empty(),
        "these inputs crash their fuzz target again: {failed:?}"
    );
}

/// Crashes found but not fixed yet wait in `fuzz/known-crashes/<target>/`
/// (each listed with its cause in `fuzz/known-crashes/README.md`); once
/// fixed, the file moves to `fuzz/regressions/`.
#[test]
#[ignore = "bug: the crashes in fuzz/known-crashes/ are not fixed yet (see its README.md)"]
fn fuzz_known_crashes_are_fixed() {
    let failed = run_all("known-crashes");
    assert!(failed.is_empty(), "these inputs still crash: {failed:?}");
}

/// `fuzz/regressions/`, `fuzz/known-crashes/` and `fuzz/corpus/` hold only
/// folders named after a target, so a misnamed folder is never silently
/// skipped; every target has seeds.
#[test]
fn fuzz_folders_are_named_after_targets() {
    for kind in ["regressions", "known-crashes", "corpus"] {
        let Ok(entries) = fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                assert!(
                    target(&name).is_some(),
                    "fuzz/{kind}/{name} is not a fuzz target; the targets are {:?}",
                    harness::TARGETS.iter().map(|(n, _)| *n).collect::<Vec<_>>()
                );
            }
        }
    }
    for (name, _) in harness::TARGETS {
        assert!(
            !files(&fuzz_dir().join("corpus").join(name)).is_empty(),
            "fuzz/corpus/{name}/ has no seeds"
        );
        assert!(
            fuzz_dir()
                .join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
    }
}

/// The catalog input format splits into files and joins back.
#[test]
fn catalog_inputs_split_into_files() {
    let files = harness::catalog_files(
        b"sender: [a]\n>>> letters/X.yaml\ncode: X\n\n>>> paragraphs/en/p.yaml\n",
    );
    let got: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("catalog.yaml", "sender: [a]\n"),
            ("letters/X.yaml", "code: X\n\n"),
            ("paragraphs/en/p.yaml", ""),
        ]
    );
    let again = harness::catalog_files(&harness::catalog_input(&files));
    let again: Vec<(&str, &str)> = again
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    assert_eq!(again, got);
    let shipped = fs::read(fuzz_dir().join("corpus/catalog/shipped")).unwrap_or_default();
    let files = harness::catalog_files(&shipped);
    assert!(
        files.len() > 10 && files[0].path == "catalog.yaml",
        "{:?}",
        files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    assert!(letterkit::Catalog::from_files(files).is_ok());
}

/// The attachment target reaches the bundle: a fixture attachment makes a
/// one-entry pack that verifies and bundles into a 2-page PDF.
#[test]
fn attachment_pack_of_the_harness_bundles() {
    let png = fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/packs/attachments/sr-screenshot.png"),
    )
    .unwrap_or_default();
    let zip = harness::attachment_pack(&png, letterkit::pack::MediaType::Png);
    let pack = letterkit::pack::Pack::read(std::io::Cursor::new(zip), None);
    let pack = match pack {
        Ok(p) => p,
        Err(e) => panic!("the attachment pack does not read: {e}"),
    };
    assert_eq!(pack.verify(), Vec::new());
    let bundle = letterkit::pack::bundle::bundle(
        &pack,
        crate::common::engine(),
        &letterkit::pack::bundle::BundleOptions::default(),
    );
    match bundle {
        Ok(b) => assert_eq!(b.pages, 2),
        Err(e) => panic!("the attachment pack does not bundle: {e}"),
    }
}
