#![no_main]
//! Fuzz target `pack`: see `harness::pack`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::pack(data));
