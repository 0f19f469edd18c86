//! Criterion benchmark: one CMSL5502 rendered in memory (parse + validate +
//! compose + layout + PDF), single thread, with the engine loaded once.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, render);
criterion_main!(benches);
