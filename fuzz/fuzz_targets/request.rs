#![no_main]
//! Fuzz target `request`: see `harness::request`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::request(data));
