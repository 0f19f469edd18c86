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
//!
//! The classes are the postage classes (first, second, economy) for print
//! letters, and `braille` for braille mailpieces (issue 11), whatever their
//! postage: the provider embosses them, so they travel apart. A braille
//! letter's entries are `ID.pdf` (the carrier page), `ID.brf` and `ID.pef`.

use std::io::{Cursor, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::calendar::Date;
use super::model::{Closing, LetterRecord, Postage};

/// The class a zip holds: a postage class of print letters, or braille.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ZipClass {
    /// Print letters of one postage class.
    Post(Postage),
    /// Braille mailpieces (carrier page, BRF and PEF each), any postage.
    Braille,
}

impl ZipClass {
    /// Every class, in the order zips are listed.
    pub const ALL: [ZipClass; 4] = [
        ZipClass::Post(Postage::First),
        ZipClass::Post(Postage::Second),
        ZipClass::Post(Postage::Economy),
        ZipClass::Braille,
    ];

    /// The class a letter's zip is of.
    pub fn of(l: &LetterRecord) -> ZipClass {
        if l.braille.is_some() {
            ZipClass::Braille
        } else {
            ZipClass::Post(l.postage)
        }
    }

    /// The name in file names and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            ZipClass::Post(p) => p.as_str(),
            ZipClass::Braille => "braille",
        }
    }
}

impl std::fmt::Display for ZipClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most letters in one zip.
pub const MAX_ENTRIES: usize = 500;
/// Most bytes in one zip (40 MB).
pub const MAX_BYTES: u64 = 40_000_000;

/// One zip of a transmission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipPlan {
    /// File name.
    pub name: String,
    /// The class of every letter in it.
    pub class: ZipClass,
    /// The letters, in entry order.
    pub letters: Vec<LetterRecord>,
}

impl ZipPlan {
    /// The manifest's file name.
    pub fn manifest_name(&self) -> String {
        format!("{}.json", self.name.trim_end_matches(".zip"))
    }
}

/// The entry name of a letter's PDF in its zip.
pub(crate) fn entry_name(l: &LetterRecord) -> String {
    format!("{}.pdf", l.id)
}

/// A braille letter's BRF and PEF entry names.
pub fn braille_entry_names(l: &LetterRecord) -> (String, String) {
    (format!("{}.brf", l.id), format!("{}.pef", l.id))
}

/// Every entry name of a letter, in zip order: the PDF, then a braille
/// letter's BRF and PEF.
pub(crate) fn entry_names(l: &LetterRecord) -> Vec<String> {
    let mut names = vec![entry_name(l)];
    if l.braille.is_some() {
        let (brf, pef) = braille_entry_names(l);
        names.push(brf);
        names.push(pef);
    }
    names
}

/// What a letter's entries add to a stored zip: local header, data, central
/// header, for each.
fn entry_cost(l: &LetterRecord) -> u64 {
    let data = l.pdf_bytes + l.braille.as_ref().map_or(0, |b| b.brf_bytes + b.pef_bytes);
    let names: u64 = entry_names(l).iter().map(|n| 76 + 2 * n.len() as u64).sum();
    names + data
}

/// Splits a transmission's letters into zips: by class (first, second,
/// economy, then braille), each class in id order, at most [`MAX_ENTRIES`]
/// letters and [`MAX_BYTES`] per zip.
pub(crate) fn plan(mut letters: Vec<LetterRecord>, prefix: &str, day: Date) -> Vec<ZipPlan> {
    letters.sort_by(|a, b| (ZipClass::of(a), &a.id).cmp(&(ZipClass::of(b), &b.id)));
    let mut zips: Vec<ZipPlan> = Vec::new();
    let mut counts = [0u32; 4];
    let mut current: Vec<LetterRecord> = Vec::new();
    let mut size = 22u64;
    let flush =
        |current: &mut Vec<LetterRecord>, zips: &mut Vec<ZipPlan>, counts: &mut [u32; 4]| {
            if current.is_empty() {
                return;
            }
            let class = ZipClass::of(&current[0]);
            let k = ZipClass::ALL.iter().position(|c| *c == class).unwrap_or(0);
            counts[k] += 1;
            let names: Vec<String> = current.iter().flat_map(entry_names).collect();
            let hash = Sha256::digest(names.join("\n").as_bytes());
            let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
            zips.push(ZipPlan {
                name: format!("{prefix}.{day}.{class}.{:03}.{hex}.zip", counts[k]),
                class,
                letters: std::mem::take(current),
            });
        };
    for l in letters {
        let cost = entry_cost(&l);
        let full = current.len() >= MAX_ENTRIES || (!current.is_empty() && size + cost > MAX_BYTES);
        if full
            || current
                .first()
                .is_some_and(|c| ZipClass::of(c) != ZipClass::of(&l))
        {
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

/// A braille letter's files as the manifests list them (no personal data).
fn braille_json(l: &LetterRecord) -> Option<Value> {
    let b = l.braille.as_ref()?;
    let (brf, pef) = braille_entry_names(l);
    Some(json!({
        "format": b.format,
        "braille_pages": b.pages,
        "brf": {"entry": brf, "bytes": b.brf_bytes, "sha256": b.brf_sha256},
        "pef": {"entry": pef, "bytes": b.pef_bytes, "sha256": b.pef_sha256},
    }))
}

/// The manifest of one zip, as JSON text. A braille zip's letters also name
/// their BRF and PEF entries with their SHA-256 (`braille`).
pub fn zip_manifest(z: &ZipPlan, day: Date) -> String {
    let letters: Vec<Value> = z
        .letters
        .iter()
        .map(|l| {
            let mut v = json!({
                "entry": entry_name(l),
                "id": l.id,
                "code": l.code,
                "pages": l.pages,
                "sheets": l.sheets,
                "postage": l.postage.as_str(),
                "sha256": l.pdf_sha256,
            });
            if let Some(b) = braille_json(l) {
                v["braille"] = b;
            }
            v
        })
        .collect();
    let doc = json!({
        "schema": "letterkit.outbox-zip.v1",
        "zip": z.name,
        "transmission": day.to_string(),
        "postage": z.class.as_str(),
        "letters_count": z.letters.len(),
        "sheets": z.letters.iter().map(|l| u64::from(l.sheets)).sum::<u64>(),
        "letters": letters,
    });
    pretty(&doc)
}

/// The day summary: letters and sheets per class, the zips, no personal
/// data; the braille class also lists each letter's BRF and PEF with their
/// SHA-256, for the embossing.
pub fn day_summary(closing: &Closing, zips: &[ZipPlan]) -> String {
    let classes: Vec<Value> = ZipClass::ALL
        .iter()
        .map(|c| {
            let mine: Vec<&ZipPlan> = zips.iter().filter(|z| z.class == *c).collect();
            let mut v = json!({
                "postage": c.as_str(),
                "letters": mine.iter().map(|z| z.letters.len()).sum::<usize>(),
                "sheets": mine.iter().flat_map(|z| &z.letters).map(|l| u64::from(l.sheets)).sum::<u64>(),
                "zips": mine.iter().map(|z| z.name.clone()).collect::<Vec<_>>(),
            });
            if *c == ZipClass::Braille {
                v["braille"] = mine
                    .iter()
                    .flat_map(|z| &z.letters)
                    .filter_map(|l| {
                        let mut b = braille_json(l)?;
                        b["id"] = json!(l.id);
                        Some(b)
                    })
                    .collect();
            }
            v
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
            braille: None,
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
        let shape: Vec<(ZipClass, usize)> =
            zips.iter().map(|z| (z.class, z.letters.len())).collect();
        let post = ZipClass::Post;
        assert_eq!(
            shape,
            vec![
                (post(Postage::First), 1),
                (post(Postage::Second), 500),
                (post(Postage::Second), 500),
                (post(Postage::Second), 1),
                (post(Postage::Economy), 1),
                (post(Postage::Economy), 1),
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
