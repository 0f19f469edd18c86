//! Batch: many requests rendered on all cores, streamed, resumable.

pub mod output;
