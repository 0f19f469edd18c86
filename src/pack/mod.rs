//! Court packs (filled in by the packs work).
