//! Batch runs (see src/batch).
