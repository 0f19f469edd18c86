//! What changed between two catalogs.
