#![no_main]
//! Fuzz target `attachment`: see `harness::attachment`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::attachment(data));
