//! How a Rust service uses letterkit: a request built in code (checked
//! against the catalog, every problem at once), rendered to PDF, then many
//! requests rendered as a stream on several threads, in order, with a
//! cancel handle.
//!
//! Run with `cargo run --example service` (it prints; it writes no file).

use letterkit::batch::{Cancel, StreamOptions, stream};
use letterkit::request::{RequestBuilder, UncheckedRequest};
use letterkit::{Engine, RenderOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::builtin()?;

    // One letter, built in code.
    let meeting = |reference: &str| {
        RequestBuilder::new("CMSL5503")
            .date("2026-03-02")
            .reference(reference)
            .recipient("Ms Priya Patel", ["14 Church Lane", "Leeds"], "LS6 1AB")
            .field("meeting-date", "2026-03-16")
            .field("meeting-time", "10:30")
            .field("meeting-location", "Crown House, 11 Regent Street, Leeds")
    };
    let request = meeting("1234 5678 9012").build(&engine)?;
    let rendered = engine.render(&request, &RenderOptions::default())?;
    println!(
        "{}: {} page(s), {} bytes, sha256 {}",
        rendered.title,
        rendered.pages,
        rendered.size(),
        rendered.sha256
    );
    assert!(rendered.pdf.starts_with(b"%PDF-"));

    // A mistake is a list of diagnostics with codes and JSON Pointers.
    if let Err(e) = meeting("xyz").field("colour", "red").build(&engine) {
        for d in &e.diagnostics {
            println!(
                "refused: {} at {:?}: {}",
                d.code.as_str(),
                d.pointer,
                d.message
            );
        }
    }

    // Requests as a service receives them (JSON, checked on the workers),
    // rendered on 2 threads; the results come back in input order.
    let incoming: Vec<UncheckedRequest> = (0..6)
        .map(|i| meeting(&format!("1234 5678 {:04}", 9000 + i)).to_unchecked())
        .collect();
    let cancel = Cancel::new();
    let options = StreamOptions::new(2).with_cancel(cancel.clone());
    let summary = stream(&engine, incoming, &options, |done| match done.result {
        Ok(r) => println!("#{}: {} page(s)", done.index, r.pages),
        Err(e) => println!("#{}: failed: {e}", done.index),
    });
    println!(
        "{} rendered, {} failed{}",
        summary.rendered,
        summary.failed,
        if summary.cancelled { ", cancelled" } else { "" }
    );
    Ok(())
}
