#![allow(dead_code)] // each target uses one function

//! What each fuzz target does with one input, shared by the targets in
//! `fuzz_targets/` and by the regression test `tests/fuzz_regressions.rs`
//! (which runs every file in `fuzz/regressions/<target>/` through the same
//! function on stable Rust). A function returns normally whatever the input;
//! a panic, an abort or a hang is the bug the fuzzer is looking for.

use std::io::{Cursor, Write};
use std::sync::LazyLock;

use letterkit::batch::input::{self, Kind, Payload, Reader};
use letterkit::catalog::SourceFile;
use letterkit::pack::bundle::{self, BundleOptions};
use letterkit::pack::{
    self, Entry, EntryStatus, FORMAT, MANIFEST, Manifest, Pack, PackError, PackKind, Stage, Status,
};
use letterkit::{Catalog, Engine, RenderOptions};

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// Every target, by name: the folder names under `fuzz/corpus/` and
/// `fuzz/regressions/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("request", request),
    ("catalog", catalog),
    ("csv", csv),
    ("jsonl", jsonl),
    ("pack", pack),
    ("attachment", attachment),
];

/// The password the `pack` target tries on an encrypted archive (the
/// encrypted seed is written with it).
pub const PACK_PASSWORD: &[u8] = b"fuzz";

/// At most this many requests of one CSV or JSON Lines input are rendered
/// (all are read and validated), so one input stays fast.
const MAX_RENDERS: usize = 4;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| match Engine::builtin() {
    Ok(engine) => engine,
    Err(e) => panic!("the built-in catalog does not load: {e}"),
});

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A YAML or JSON request: parse, validate against the built-in catalog,
/// render. The origin's extension follows the first byte (`{` or `[`: JSON).
pub fn request(data: &[u8]) {
    let text = text(data);
    let origin = if text.trim_start().starts_with(['{', '[']) {
        "fuzz.json"
    } else {
        "fuzz.yaml"
    };
    if let Ok(request) = ENGINE.parse_request(&text, origin) {
        let _ = ENGINE.render(&request, &RenderOptions::default());
    }
}

/// Splits a catalog input into files: each file starts with a line
/// `>>> PATH` (e.g. `>>> letters/CMSL5502.yaml`); text before the first such
/// line is `catalog.yaml`.
pub fn catalog_files(data: &[u8]) -> Vec<SourceFile> {
    let text = text(data);
    let mut files = vec![SourceFile {
        path: "catalog.yaml".into(),
        text: String::new(),
    }];
    for line in text.split_inclusive('\n') {
        match line.strip_prefix(">>> ") {
            Some(path) => files.push(SourceFile {
                path: path.trim_end().to_owned(),
                text: String::new(),
            }),
            None => {
                if let Some(f) = files.last_mut() {
                    f.text.push_str(line);
                }
            }
        }
    }
    if files[0].text.is_empty() && files.len() > 1 {
        files.remove(0);
    }
    files
}

/// The inverse of [`catalog_files`], for making seeds.
pub fn catalog_input(files: &[SourceFile]) -> Vec<u8> {
    let mut out = String::new();
    for f in files {
        out.push_str(">>> ");
        out.push_str(&f.path);
        out.push('\n');
        out.push_str(&f.text);
        if !f.text.is_empty() && !f.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// A catalog from a set of files (see [`catalog_files`]): load and check
/// it, then compile its templates, as `letterkit check` does.
pub fn catalog(data: &[u8]) {
    if let Ok(catalog) = Catalog::from_files(catalog_files(data)) {
        let _ = Engine::new(catalog);
    }
}

/// Runs one batch input file through the batch reader and renders what is
/// valid, as `letterkit batch` does (without writing outputs).
fn batch_file(data: &[u8], suffix: &str, kind: Kind) {
    let Ok(mut file) = tempfile::Builder::new()
        .prefix("letterkit-fuzz-")
        .suffix(suffix)
        .tempfile()
    else {
        return;
    };
    if file.write_all(data).and_then(|()| file.flush()).is_err() {
        return;
    }
    let mut renders = 0;
    for item in Reader::new(vec![(file.path().to_path_buf(), kind)], None) {
        let tree = match &item.payload {
            Payload::Text { text, line_offset } => {
                match letterkit::request::parse_tree(text, &item.origin, *line_offset) {
                    Ok(t) => t,
                    Err(_) => continue,
                }
            }
            Payload::Tree(node) => node.clone(),
            Payload::Unreadable(_) => continue,
        };
        // `batch --letter CODE` adds the letter to rows that have none.
        let tree = input::with_letter(tree, "CMSL5502");
        let Ok(request) = ENGINE.validate(&tree, &item.origin) else {
            continue;
        };
        if renders < MAX_RENDERS {
            renders += 1;
            let _ = ENGINE.render(&request, &RenderOptions::default());
        }
    }
}

/// A CSV batch input.
pub fn csv(data: &[u8]) {
    batch_file(data, ".csv", Kind::Csv);
}

/// A JSON Lines batch input.
pub fn jsonl(data: &[u8]) {
    batch_file(data, ".jsonl", Kind::JsonLines);
}

/// A pack archive: read it (with [`PACK_PASSWORD`] when it is encrypted),
/// verify it, and when it verifies, build its court bundle and write it back
/// out; what was written must read back and still verify.
pub fn pack(data: &[u8]) {
    let read = match Pack::read(Cursor::new(data), None) {
        Err(PackError::NeedsPassword) => Pack::read(Cursor::new(data), Some(PACK_PASSWORD)),
        other => other,
    };
    let Ok(pack) = read else {
        return;
    };
    let _ = pack.data();
    let _ = pack.next_steps();
    if !pack.verify().is_empty() {
        return;
    }
    let _ = bundle::bundle(&pack, &ENGINE, &BundleOptions::default());
    let written = match pack.write(Cursor::new(Vec::new()), None) {
        Ok(w) => w.into_inner(),
        Err(e) => panic!("a pack that verifies cannot be written: {e}"),
    };
    match Pack::read(Cursor::new(&written), None) {
        Ok(again) => assert_eq!(
            again.verify(),
            Vec::new(),
            "a pack that verified does not verify once written again"
        ),
        Err(e) => panic!("a written pack cannot be read back: {e}"),
    }
}

/// A county-court pack holding only `bytes` as an attachment of type
/// `media`, as a zip archive (for the bundle, and as a seed maker).
pub fn attachment_pack(bytes: &[u8], media: pack::MediaType) -> Vec<u8> {
    let file = format!("01-attachment-1.{}", media.extension());
    let manifest = Manifest {
        format: FORMAT.into(),
        generator: "letterkit fuzz".into(),
        kind: PackKind::CountyCourt,
        reference: "1234 5678 9012".into(),
        region: "North West".into(),
        status: Status::Open,
        resolution: None,
        stages: vec![Stage {
            step: "create".into(),
            date: "2026-03-02".into(),
            data: serde_json::Map::new(),
            added: vec![file.clone()],
            superseded: Vec::new(),
            warnings: Vec::new(),
        }],
        entries: vec![Entry {
            file: file.clone(),
            code: "attachment".into(),
            title: "Supporting document 1".into(),
            version: 1,
            stage: "create".into(),
            status: EntryStatus::Current,
            superseded_by: None,
            media_type: media.mime().into(),
            size: bytes.len() as u64,
            sha256: pack::sha256_hex(bytes),
            pages: None,
            original_name: Some("fuzz".into()),
        }],
    };
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let written = (|| -> zip::result::ZipResult<Vec<u8>> {
        zip.start_file(MANIFEST, opts)?;
        let json = match serde_json::to_vec(&manifest) {
            Ok(j) => j,
            Err(e) => panic!("a manifest cannot be written: {e}"),
        };
        zip.write_all(&json)?;
        zip.start_file(file.as_str(), opts)?;
        zip.write_all(bytes)?;
        Ok(zip.finish()?.into_inner())
    })();
    match written {
        Ok(bytes) => bytes,
        Err(e) => panic!("an attachment pack cannot be written: {e}"),
    }
}

/// An attachment: check it by content, and when it is accepted, put it in a
/// pack and build the court bundle from it (which reads the PDF or decodes
/// the image).
pub fn attachment(data: &[u8]) {
    let Ok(media) = pack::attachment::check(data) else {
        return;
    };
    let zip = attachment_pack(data, media);
    let pack = match Pack::read(Cursor::new(zip), None) {
        Ok(p) => p,
        Err(e) => panic!("a pack of one accepted attachment cannot be read: {e}"),
    };
    let problems = pack.verify();
    assert!(problems.is_empty(), "{problems:?}");
    let _ = bundle::bundle(&pack, &ENGINE, &BundleOptions::default());
}
