#![no_main]
//! Fuzz target `csv`: see `harness::csv`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::csv(data));
