//! Integration tests: one binary (see tests/README.md). Every `tests/*.rs`
//! file must be a module here; `no_forgotten_test_files` checks that.

mod batch;
mod batch_safety;
mod catalog_admin;
mod catalog_msgs;
mod common;
mod conventions;
mod formats;
mod fuzz;
mod letters;
mod library;
mod outbox;
#[cfg(feature = "postgres")]
mod outbox_store;
mod pack;
mod pack_procedure;
mod pack_safety;
mod pdf_streams;
mod perf;
mod request_inputs;
#[cfg(feature = "serve")]
mod serve;
mod tagged_merge;
mod tagged_pdf;
mod web;

#[test]
fn no_forgotten_test_files() {
    let main = include_str!("main.rs");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for entry in std::fs::read_dir(&dir).expect("tests/ is readable") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .to_string();
            if stem == "main" {
                continue;
            }
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/{stem}.rs is not `mod {stem};` in tests/main.rs, so it never runs"
            );
        }
    }
}
