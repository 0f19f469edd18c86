//! Letter size (issue 15): what makes each PDF smaller must keep it valid
//! and its text the same. The validator itself runs in `tagged_pdf`.

use letterkit::RenderOptions;

use crate::common::{case_dirs, engine, pdf_text, read_text, request_file};

/// The numbers of every `/W[...]` array (CID font widths) in `pdf`, as
/// written (the font dictionaries are in a compressed object stream).
fn width_numbers(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("lopdf");
    let mut text = String::from_utf8_lossy(pdf).into_owned();
    for o in doc.objects.values() {
        if let Ok(s) = o.as_stream()
            && s.dict.get(b"Type").and_then(lopdf::Object::as_name).ok() == Some(b"ObjStm")
        {
            text.push_str(&String::from_utf8_lossy(
                &s.decompressed_content().expect("inflates"),
            ));
        }
    }
    let mut out = Vec::new();
    for part in text.split("/W[").skip(1) {
        // `/W[0[w0 w1 ...]]`: up to the closing `]]`.
        let Some(end) = part.find("]]") else { continue };
        out.extend(
            part[..end]
                .split(|c: char| c == '[' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
    }
    out
}

#[test]
fn font_widths_are_written_to_a_tenth_of_a_unit() {
    let dir = case_dirs("requests/valid")
        .into_iter()
        .find(|d| d.ends_with("cmsl5502-payments"))
        .expect("the cmsl5502-payments fixture");
    let file = request_file(&dir);
    let request = engine()
        .parse_request(&read_text(&file), "request.yaml")
        .expect("valid request");
    let rendered = engine()
        .render(&request, &RenderOptions::default())
        .expect("renders");
    let widths = width_numbers(&rendered.pdf);
    assert!(widths.len() > 100, "two faces' widths: {widths:?}");
    let long: Vec<&String> = widths
        .iter()
        .filter(|w| w.split('.').nth(1).is_some_and(|d| d.len() > 1))
        .collect();
    assert!(
        long.is_empty(),
        "widths with more than one decimal: {long:?}"
    );
    // Regular's digits are 556.15234 units wide: written 556.2.
    assert!(widths.iter().any(|w| w == "556.2"), "{widths:?}");
    assert!(!widths.iter().any(|w| w == "556.15234"), "{widths:?}");
    let text = pdf_text(&rendered.pdf);
    assert!(text.contains("Child Maintenance Service"), "{text}");
}
