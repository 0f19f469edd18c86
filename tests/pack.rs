//! Court packs.
