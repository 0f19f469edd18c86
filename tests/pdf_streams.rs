//! Every stream of every PDF has the length a PDF/A validator reads.
//!
//! PDF/A-2 (ISO 19005-2, 6.1.7.1) wants `/Length` to equal the bytes
//! between the end-of-line after `stream` and the end-of-line before
//! `endstream`, and an end-of-line may be CR LF. A stream whose data ends
//! in a CR byte (0x0D) written as `DATA LF endstream` therefore reads one
//! byte short: page-validation failed such letters with
//! `PDFA2A-STREAM-LENGTH-001` (about 1 letter in 170 of the bench letters
//! before the fix: the last byte of a Flate stream is its Adler-32, so any
//! byte value comes up). Rendering a few hundred different letters makes
//! such a stream all but certain to appear; each stream is then read the
//! way the validator reads it.

use crate::common::engine;
use letterkit::RenderOptions;

/// `(offset of "stream", /Length, the data length a validator reads)` of
/// each top-level stream in `pdf`.
fn streams(pdf: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(p) = find(&pdf[at..], b"stream") {
        let kw = at + p;
        at = kw + 6;
        // Only the keyword after a dictionary, not `endstream`.
        if kw >= 3 && &pdf[kw - 3..kw] == b"end" {
            continue;
        }
        let before = &pdf[..kw];
        let Some(dict_end) = before.iter().rposition(|&b| b == b'>') else {
            continue;
        };
        if before[dict_end + 1..]
            .iter()
            .any(|b| !b.is_ascii_whitespace())
        {
            continue;
        }
        let Some(dict_start) = rfind(&before[..dict_end], b"<<") else {
            continue;
        };
        let dict = &before[dict_start..dict_end];
        let Some(length) = length_of(dict) else {
            continue;
        };
        let mut data_start = kw + 6;
        if pdf[data_start..].starts_with(b"\r\n") {
            data_start += 2;
        } else if pdf[data_start..].starts_with(b"\n") {
            data_start += 1;
        }
        let Some(e) = find(&pdf[data_start..], b"endstream") else {
            continue;
        };
        let mut end = data_start + e;
        // The validator's reading: the end-of-line before `endstream` is
        // CR LF, LF or CR, taken greedily.
        if pdf[..end].ends_with(b"\r\n") {
            end -= 2;
        } else if pdf[..end].ends_with(b"\n") || pdf[..end].ends_with(b"\r") {
            end -= 1;
        }
        out.push((kw, length, end - data_start));
        at = data_start + e + 9;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The direct `/Length N` of a stream dictionary (not `/Length1`).
fn length_of(dict: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(p) = find(&dict[at..], b"/Length") {
        let s = at + p + 7;
        at = s;
        if dict.get(s).is_some_and(u8::is_ascii_digit) {
            continue; // /Length1, /Length2, /Length3
        }
        let digits: Vec<u8> = dict[s..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        return std::str::from_utf8(&digits).ok()?.parse().ok();
    }
    None
}

#[test]
fn every_stream_of_many_letters_has_the_length_a_pdf_a_validator_reads() {
    let engine = engine();
    let names = [
        "Ms Priya Patel",
        "Mr Tom Evans",
        "Mx Sam Okafor",
        "Mrs Ann Li",
        "Dr Ola Nowak",
    ];
    let reasons = ["payments", "calculation", "appeal", "complaint"];
    let mut checked = 0;
    let mut wrong = Vec::new();
    for i in 0..400u32 {
        let value = serde_json::json!({
            "letter": "CMSL5502",
            "date": format!("2026-03-{:02}", 2 + i % 20),
            "reference": format!("{:04} {:04} {:04}", 1000 + i, 5678, 9012 + i % 7),
            "recipient": {
                "name": names[(i % 5) as usize],
                "address": [format!("{} Church Lane", 1 + i), "Headingley", "Leeds"],
                "postcode": "LS6 1AB"
            },
            "fields": {
                "changed-by": if i % 2 == 0 { "client" } else { "cms" },
                "meeting-date": format!("2026-04-{:02}", 1 + i % 28),
                "meeting-time": format!("{:02}:{:02}", 9 + i % 8, (i * 5) % 60),
                "meeting-location": "Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ",
                "reason": reasons[(i % 4) as usize]
            }
        });
        let request = engine
            .request_from_value(&value, "streams.json")
            .expect("a valid request");
        let pdf = engine
            .render(&request, &RenderOptions::default())
            .expect("renders")
            .pdf;
        for (at, length, read) in streams(&pdf) {
            checked += 1;
            if length != read {
                wrong.push(format!(
                    "letter {i}: the stream at byte {at} says /Length {length}, a validator reads {read}"
                ));
            }
        }
    }
    assert!(checked >= 400 * 3, "only {checked} streams found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_stream_reader_sees_a_cr_at_the_end_of_the_data_as_part_of_the_end_of_line() {
    // The reader itself, on hand-made streams: the case above must be able
    // to fail.
    let ok = b"1 0 obj\n<</Length 3>>\nstream\nab\r\r\nendstream\nendobj\n";
    assert_eq!(streams(ok), vec![(22, 3, 3)]);
    let short = b"1 0 obj\n<</Length 3/Length1 9>>\nstream\nab\r\nendstream\nendobj\n";
    assert_eq!(streams(short), vec![(32, 3, 2)]);
}
