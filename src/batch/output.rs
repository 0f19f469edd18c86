//! Output files: see [`crate::files`], where atomic writes now live.

pub use crate::files::{write_atomic, write_atomic_with};
