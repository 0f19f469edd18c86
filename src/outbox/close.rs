//! The end-of-day transmission's files, made purely from records: which
//! letters go in which zip, the zips themselves (PDFs stored uncompressed,
//! in a stable order, with fixed times, so the same letters always give the
//! same bytes), a JSON manifest per zip and the day summary.
//!
//! Names: `{prefix}.{date}.{class}.{NNN}.{hash}.zip`, where `NNN` counts the
//! class's zips from 001 and `hash` is the first 12 hex digits of the
//! SHA-256 over the zip's entry names (one per line). The manifest is the
//! same name with `.json`; the summary is `{prefix}.{date}.summary.json`.
//! Nothing in them is personal: ids, codes, pages, sheets, postage and hashes.

use std::io::{Cursor, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::calendar::Date;
use super::model::{Closing, LetterRecord, Postage};

/// Most PDFs in one zip.
pub const MAX_ENTRIES: usize = 500;
/// Most bytes in one zip (40 MB).
pub const MAX_BYTES: u64 = 40_000_000;

/// One zip of a transmission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipPlan {
    /// File name.
    pub name: String,
    /// Postage class of every letter in it.
    pub postage: Postage,
    /// The letters, in entry order.
    pub letters: Vec<LetterRecord>,
}

impl ZipPlan {
    /// The manifest's file name.
    pub fn manifest_name(&self) -> String {
        format!("{}.json", self.name.trim_end_matches(".zip"))
    }
}

/// The entry name of a letter in its zip.
pub(crate) fn entry_name(l: &LetterRecord) -> String {
    format!("{}.pdf", l.id)
}

/// What an entry adds to a stored zip: local header, data, central header.
fn entry_cost(l: &LetterRecord) -> u64 {
    let name = entry_name(l).len() as u64;
    30 + name + l.pdf_bytes + 46 + name
}

/// Splits a transmission's letters into zips: by postage class (first,
/// second, economy), each class in id order, at most [`MAX_ENTRIES`] PDFs
/// and [`MAX_BYTES`] per zip.
pub(crate) fn plan(mut letters: Vec<LetterRecord>, prefix: &str, day: Date) -> Vec<ZipPlan> {
    letters.sort_by(|a, b| (a.postage, &a.id).cmp(&(b.postage, &b.id)));
    let mut zips: Vec<ZipPlan> = Vec::new();
    let mut counts = [0u32; 3];
    let mut current: Vec<LetterRecord> = Vec::new();
    let mut size = 22u64;
    let flush =
        |current: &mut Vec<LetterRecord>, zips: &mut Vec<ZipPlan>, counts: &mut [u32; 3]| {
            if current.is_empty() {
                return;
            }
            let postage = current[0].postage;
            let k = Postage::ALL.iter().position(|p| *p == postage).unwrap_or(0);
            counts[k] += 1;
            let names: Vec<String> = current.iter().map(entry_name).collect();
            let hash = Sha256::digest(names.join("\n").as_bytes());
            let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
            zips.push(ZipPlan {
                name: format!("{prefix}.{day}.{postage}.{:03}.{hex}.zip", counts[k]),
                postage,
                letters: std::mem::take(current),
            });
        };
    for l in letters {
        let cost = entry_cost(&l);
        let full = current.len() >= MAX_ENTRIES || (!current.is_empty() && size + cost > MAX_BYTES);
        if full || current.first().is_some_and(|c| c.postage != l.postage) {
            flush(&mut current, &mut zips, &mut counts);
            size = 22;
        }
        size += cost;
        current.push(l);
    }
    flush(&mut current, &mut zips, &mut counts);
    zips
}

/// The zip of `entries` (entry name, PDF): stored, not compressed (PDF
/// streams are compressed already), every entry dated the transmission day.
///
/// # Errors
/// When the zip library fails (it writes to memory, so only on a bug).
pub(crate) fn build_zip(entries: &[(String, Vec<u8>)], day: Date) -> Result<Vec<u8>, String> {
    let when = DateTime::from_date_and_time(
        u16::try_from(day.year()).unwrap_or(1980),
        day.month() as u8,
        day.day() as u8,
        0,
        0,
        0,
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(when)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, pdf) in entries {
        zip.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zip.write_all(pdf).map_err(|e| e.to_string())?;
    }
    let out = zip.finish().map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The manifest of one zip, as JSON text.
pub fn zip_manifest(z: &ZipPlan, day: Date) -> String {
    let letters: Vec<Value> = z
        .letters
        .iter()
        .map(|l| {
            json!({
                "entry": entry_name(l),
                "id": l.id,
                "code": l.code,
                "pages": l.pages,
                "sheets": l.sheets,
                "postage": l.postage.as_str(),
                "sha256": l.pdf_sha256,
            })
        })
        .collect();
    let doc = json!({
        "schema": "letterkit.outbox-zip.v1",
        "zip": z.name,
        "transmission": day.to_string(),
        "postage": z.postage.as_str(),
        "letters_count": z.letters.len(),
        "sheets": z.letters.iter().map(|l| u64::from(l.sheets)).sum::<u64>(),
        "letters": letters,
    });
    pretty(&doc)
}

/// The day summary: letters and sheets per class, the zips, no personal data.
pub fn day_summary(closing: &Closing, zips: &[ZipPlan]) -> String {
    let classes: Vec<Value> = Postage::ALL
        .iter()
        .map(|p| {
            let mine: Vec<&ZipPlan> = zips.iter().filter(|z| z.postage == *p).collect();
            json!({
                "postage": p.as_str(),
                "letters": mine.iter().map(|z| z.letters.len()).sum::<usize>(),
                "sheets": mine.iter().flat_map(|z| &z.letters).map(|l| u64::from(l.sheets)).sum::<u64>(),
                "zips": mine.iter().map(|z| z.name.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "schema": "letterkit.outbox-day.v1",
        "transmission": closing.day.to_string(),
        "closed_at": closing.closed_at.to_string(),
        "letters": zips.iter().map(|z| z.letters.len()).sum::<usize>(),
        "sheets": zips.iter().flat_map(|z| &z.letters).map(|l| u64::from(l.sheets)).sum::<u64>(),
        "classes": classes,
    });
    pretty(&doc)
}

/// The day summary's file name.
pub fn summary_name(prefix: &str, day: Date) -> String {
    format!("{prefix}.{day}.summary.json")
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::model::State;

    fn letter(id: &str, postage: Postage, bytes: u64) -> LetterRecord {
        let t: jiff::Timestamp = "2026-03-02T10:00:00Z".parse().expect("time");
        LetterRecord {
            id: id.into(),
            code: "CMSL5502".into(),
            reference: None,
            catalog_digest: String::new(),
            version: String::new(),
            request_sha256: String::new(),
            pages: 3,
            sheets: 2,
            postage,
            pdf_sha256: "00".into(),
            pdf_bytes: bytes,
            created_at: t,
            transmission: jiff::civil::date(2026, 3, 2),
            cancellable_until: t,
            state: State::Queued,
            state_at: t,
            batch: None,
            reissue_of: None,
            zip: None,
            purged_at: None,
        }
    }

    #[test]
    fn zips_split_by_class_count_and_size() {
        let day = jiff::civil::date(2026, 3, 2);
        let mut v: Vec<LetterRecord> = (0..1001)
            .map(|i| letter(&format!("s{i:04}"), Postage::Second, 1000))
            .collect();
        v.push(letter("f1", Postage::First, 1000));
        v.push(letter("e1", Postage::Economy, 30_000_000));
        v.push(letter("e2", Postage::Economy, 30_000_000));
        let zips = plan(v, "cms", day);
        let shape: Vec<(Postage, usize)> =
            zips.iter().map(|z| (z.postage, z.letters.len())).collect();
        assert_eq!(
            shape,
            vec![
                (Postage::First, 1),
                (Postage::Second, 500),
                (Postage::Second, 500),
                (Postage::Second, 1),
                (Postage::Economy, 1),
                (Postage::Economy, 1),
            ]
        );
        assert!(
            zips[1].name.starts_with("cms.2026-03-02.second.001."),
            "{}",
            zips[1].name
        );
        assert!(
            zips[3].name.starts_with("cms.2026-03-02.second.003."),
            "{}",
            zips[3].name
        );
        assert_eq!(zips[1].letters[0].id, "s0000");
        assert_eq!(
            zips[1].name.len(),
            "cms.2026-03-02.second.001.".len() + 12 + 4
        );
    }
}
