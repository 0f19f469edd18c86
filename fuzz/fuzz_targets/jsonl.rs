#![no_main]
//! Fuzz target `jsonl`: see `harness::jsonl`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::jsonl(data));
