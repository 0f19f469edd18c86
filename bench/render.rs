//! Criterion benchmark: one CMSL5502 rendered in memory (parse + validate +
//! compose + layout + PDF), single thread, with the engine loaded once.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use letterkit::request::{Format, parse_tree_as};
use letterkit::{Engine, RenderOptions};

const REQUEST: &str = include_str!("../fixtures/requests/valid/cmsl5502-payments/request.yaml");

fn render(c: &mut Criterion) {
    let Ok(engine) = Engine::builtin() else {
        panic!("the built-in catalog loads");
    };
    let Ok(request) = engine.parse_request(REQUEST, "bench") else {
        panic!("the fixture request is valid");
    };
    c.bench_function("render CMSL5502 (validated request)", |b| {
        b.iter(|| {
            engine
                .render(&request, &RenderOptions::default())
                .map(|r| r.pdf.len())
        })
    });
    c.bench_function("parse + validate + render CMSL5502", |b| {
        b.iter(|| {
            engine
                .parse_request(REQUEST, "bench")
                .ok()
                .and_then(|r| engine.render(&r, &RenderOptions::default()).ok())
                .map(|r| r.pdf.len())
        })
    });
    c.bench_function("engine load (catalog + fonts + templates)", |b| {
        b.iter(|| {
            Engine::builtin()
                .map(|e| e.catalog().letters().count())
                .ok()
        })
    });
}

/// One JSON Lines line into the positioned tree: the strict JSON reader
/// (what `.json`/`.jsonl` use) beside the YAML reader (what they used before).
fn parse_json_line(c: &mut Criterion) {
    const LINE: &str = r#"{"id": "bench-00000", "letter": "CMSL5502", "date": "2026-03-17", "reference": "0794 9037 6282", "recipient": {"name": "Mx Lucy Okafor", "address": ["198 Chapel Row", "St Judes", "Swindon"], "postcode": "SN27 7LQ"}, "fields": {"changed-by": "cms", "meeting-date": "2026-03-30", "meeting-time": "12:00", "meeting-location": "Jobcentre Plus, 31 Broad Street, Bristol BS1 2HF", "reason": "payments"}}"#;
    for (name, format) in [
        ("parse a JSON Lines line as JSON", Format::Json),
        ("parse a JSON Lines line as YAML", Format::Yaml),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| parse_tree_as(LINE, "r.jsonl", 41, format).is_ok())
        });
    }
}

criterion_group!(benches, render, parse_json_line);
criterion_main!(benches);
