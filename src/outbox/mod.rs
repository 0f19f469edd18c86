//! The outbox (being built on branch outbox).

pub mod calendar;
