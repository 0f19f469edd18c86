//! One mailpiece from several PDFs: the covering letter first, then the
//! exact copy, page for page, joined by `pdf::merge` into one
//! tagged PDF/UA-1 and PDF/A-2a file. The copy's pages are taken as they
//! are, so the copy keeps its own bytes on the page and its own structure
//! elements, under a `Part` element of its own.

use crate::fonts::FontSet;
use crate::pdf::PdfOptions;
use crate::pdf::merge::{self, MergeOptions, Part, Source};

/// The pages of `parts`, in order, as one PDF whose title, language,
/// metadata and dates are `options`' (the covering letter's). Each part
/// keeps its tags, under an outline entry and a `Part` element named by its
/// own title.
///
/// # Errors
/// When a part is not a PDF lopdf can read.
pub fn concat(parts: &[&[u8]], options: &PdfOptions, fonts: &FontSet) -> Result<Vec<u8>, String> {
    let parts: Vec<Part> = parts
        .iter()
        .map(|bytes| Part {
            source: Source::Pdf(bytes),
            title: None,
            alt: "a page of the letter".to_owned(),
        })
        .collect();
    let merged = merge::merge(
        &parts,
        &MergeOptions {
            pdf: options,
            stamp: None,
            fonts,
            open_parts: true,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(merged.pdf)
}
