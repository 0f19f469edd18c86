//! The zip form of a pack: `manifest.json` first, then every entry in pack
//! order. Entry names are plain file names; each entry carries its stage's
//! date as its modification time, so the same steps give the same bytes.
//! Optional WinZip AES-256 encryption of every entry (names are not
//! encrypted in zip, which is why they hold only codes and numbers).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{AesMode, CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::{Manifest, Pack, PackError, Stage};

/// The manifest's entry name.
pub const MANIFEST: &str = "manifest.json";

/// The entry holding the manifest's signature (`hmac-sha256:<hex>`), in a
/// pack written with an office key.
pub const SIGNATURE: &str = "manifest.sig";

/// Largest entry read back (the attachment limit plus room for a manifest).
const MAX_ENTRY_BYTES: u64 = super::MAX_ATTACHMENT_BYTES as u64 + 1024 * 1024;

/// Most entries a pack may hold when read (far more than any procedure
/// needs: a pack holds a few documents per step and its attachments).
pub const MAX_ENTRIES: usize = 500;

/// Most bytes all of a pack's entries may hold together, uncompressed,
/// when read (256 MiB).
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether `name` is a name letterkit writes and may read: a plain file name
/// of ASCII letters, digits, `.`, `-` and `_`, not starting with `.` (so no
/// folders, no `..`, no absolute or drive paths, no hidden files).
pub fn is_safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn zip_date(date: &str) -> DateTime {
    let part = |r: std::ops::Range<usize>| date.get(r).and_then(|s| s.parse::<u16>().ok());
    match (part(0..4), part(5..7), part(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            DateTime::from_date_and_time(y, m as u8, d as u8, 0, 0, 0).unwrap_or_default()
        }
        _ => DateTime::default(),
    }
}

fn stage_date<'a>(stages: &'a [Stage], step: &str) -> &'a str {
    stages
        .iter()
        .find(|s| s.step == step)
        .map_or("", |s| s.date.as_str())
}

impl Pack {
    /// Writes the pack as a zip archive into `w`. With a password every
    /// entry (manifest included) is encrypted with WinZip AES-256.
    ///
    /// # Errors
    /// [`PackError`] when the archive cannot be written (the writer fails) or a listed
    /// file is missing.
    pub fn write<W: Write + Seek>(&self, w: W, password: Option<&[u8]>) -> Result<W, PackError> {
        self.write_signed(w, password, None)
    }

    /// Like [`Pack::write`]; with an office `key` the manifest is signed
    /// (HMAC-SHA256, in the [`SIGNATURE`] entry) so that an edit to it is
    /// detected when the pack is read back with the same key.
    ///
    /// # Errors
    /// As [`Pack::write`].
    pub fn write_signed<W: Write + Seek>(
        &self,
        w: W,
        password: Option<&[u8]>,
        key: Option<&[u8]>,
    ) -> Result<W, PackError> {
        let mut zip = ZipWriter::new(w);
        let m = &self.manifest;
        let last = m.stages.last().map_or("", |s| s.date.as_str());
        let mut json = serde_json::to_vec_pretty(m).map_err(|e| PackError::NotAPack {
            reason: format!("the manifest cannot be written: {e}"),
        })?;
        json.push(b'\n');
        let opts = |date: &str, method: CompressionMethod| {
            let o = SimpleFileOptions::default()
                .compression_method(method)
                .compression_level(if method == CompressionMethod::Stored {
                    None
                } else {
                    Some(6)
                })
                .last_modified_time(zip_date(date))
                .unix_permissions(0o644);
            match password {
                Some(p) => o.with_aes_encryption_bytes(AesMode::Aes256, p),
                None => o,
            }
        };
        zip.start_file(MANIFEST, opts(last, CompressionMethod::Deflated))?;
        zip.write_all(&json)?;
        if let Some(key) = key {
            zip.start_file(SIGNATURE, opts(last, CompressionMethod::Stored))?;
            zip.write_all(format!("{}\n", super::sign(key, &json)).as_bytes())?;
        }
        for e in &m.entries {
            let Some(bytes) = self.files.get(&e.file) else {
                return Err(PackError::Verify {
                    problems: vec![super::VerifyProblem::Missing {
                        file: e.file.clone(),
                    }],
                });
            };
            // Attachments are stored as they are; rendered PDFs are deflated.
            let method = if e.code == "attachment" {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            zip.start_file(
                e.file.as_str(),
                opts(stage_date(&m.stages, &e.stage), method),
            )?;
            zip.write_all(bytes)?;
        }
        Ok(zip.finish()?)
    }

    /// Reads a pack from a zip archive. Before anything is read, every entry
    /// name is checked (`../x`, `/x`, `C:\x` and folders are refused), names
    /// must be unique and match their local headers (so no reader can be shown
    /// a stand-in), and the entry count and the total uncompressed size must
    /// be within [`MAX_ENTRIES`] and [`MAX_TOTAL_BYTES`]. The manifest must
    /// parse. Call [`Pack::verify`] to check the contents and
    /// [`Pack::signature`] to check the manifest's signature.
    ///
    /// The pack follows the shipped procedures ([`super::Procedures::builtin`]);
    /// [`Pack::read_with`] reads it under a catalog's own `packs/`.
    ///
    /// # Errors
    /// [`PackError`]: not a zip or not a pack, an unsafe or oversized entry, a wrong
    /// password, a manifest that does not parse.
    pub fn read<R: Read + Seek>(r: R, password: Option<&[u8]>) -> Result<Pack, PackError> {
        Pack::read_with(r, password, super::Procedures::builtin())
    }

    /// Like [`Pack::read`], the pack following `procedures` (a catalog's
    /// `packs/*.yaml`, see [`crate::catalog::Catalog::procedures`]).
    ///
    /// # Errors
    /// As [`Pack::read`].
    pub fn read_with<R: Read + Seek>(
        r: R,
        password: Option<&[u8]>,
        procedures: std::sync::Arc<super::Procedures>,
    ) -> Result<Pack, PackError> {
        let mut zip = ZipArchive::new(r).map_err(|e| PackError::NotAPack {
            reason: format!("not a zip archive ({e})"),
        })?;
        if zip.len() > MAX_ENTRIES {
            return Err(PackError::TooLarge {
                reason: format!(
                    "it holds {}; a pack may hold at most {MAX_ENTRIES}",
                    plural(zip.len(), "entry", "entries")
                ),
            });
        }
        if zip.has_duplicate_names() {
            return Err(PackError::NotAPack {
                reason: "the archive holds two entries with the same name (a zip reader may show either one); it was not read".into(),
            });
        }
        let mut names = Vec::with_capacity(zip.len());
        let mut seen = BTreeSet::new();
        let mut encrypted = Vec::with_capacity(zip.len());
        let mut total: u64 = 0;
        for i in 0..zip.len() {
            let f = zip.by_index_raw(i)?;
            let name = String::from_utf8_lossy(f.name_raw()).into_owned();
            if !is_safe_entry_name(&name) {
                return Err(PackError::UnsafeEntryName { name });
            }
            if !seen.insert(name.clone()) {
                return Err(PackError::NotAPack {
                    reason: format!("the archive holds {name} twice; it was not read"),
                });
            }
            if f.size() > MAX_ENTRY_BYTES {
                return Err(PackError::NotAPack {
                    reason: format!("{name} is larger than any pack entry may be"),
                });
            }
            total = total.saturating_add(f.size());
            encrypted.push(f.encrypted());
            names.push(name);
        }
        if total > MAX_TOTAL_BYTES {
            return Err(PackError::TooLarge {
                reason: format!(
                    "its entries hold {} MiB uncompressed; a pack may hold at most {} MiB",
                    total.div_ceil(1024 * 1024),
                    MAX_TOTAL_BYTES / (1024 * 1024)
                ),
            });
        }
        zip.validate_header_consistency()
            .map_err(|e| PackError::NotAPack {
                reason: format!(
                    "its entries' local headers do not match its directory ({e}); it was not read"
                ),
            })?;
        let any_encrypted = encrypted.iter().any(|e| *e);
        if any_encrypted && password.is_none() {
            return Err(PackError::NeedsPassword);
        }
        let mut files = BTreeMap::new();
        let mut left = MAX_TOTAL_BYTES;
        for (i, name) in names.iter().enumerate() {
            let mut f = match (encrypted[i], password) {
                (true, Some(p)) => zip.by_index_decrypt(i, p).map_err(|e| match e {
                    zip::result::ZipError::InvalidPassword => PackError::WrongPassword,
                    e => PackError::Zip(e),
                })?,
                _ => zip.by_index(i)?,
            };
            let cap = MAX_ENTRY_BYTES.min(left);
            let mut bytes = Vec::new();
            (&mut f)
                .take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    if encrypted[i] {
                        PackError::WrongPassword
                    } else {
                        PackError::Io(e)
                    }
                })?;
            if bytes.len() as u64 > cap {
                return Err(PackError::NotAPack {
                    reason: format!(
                        "{name} holds more than its header says, or more than any pack entry may be"
                    ),
                });
            }
            left -= bytes.len() as u64;
            files.insert(name.clone(), bytes);
        }
        let Some(json) = files.remove(MANIFEST) else {
            return Err(PackError::NotAPack {
                reason: format!("it has no {MANIFEST}"),
            });
        };
        let signature = files
            .remove(SIGNATURE)
            .map(|s| String::from_utf8_lossy(&s).trim().to_owned());
        let manifest: Manifest =
            serde_json::from_slice(&json).map_err(|e| PackError::NotAPack {
                reason: format!("{MANIFEST} is not valid: {e}"),
            })?;
        Ok(Pack {
            manifest,
            files,
            encrypted: any_encrypted,
            read_as: Some((json, signature)),
            procedures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        for ok in ["manifest.json", "01-CMEL7211-v1.pdf", "07-attachment-1.png"] {
            assert!(is_safe_entry_name(ok), "{ok}");
        }
        for bad in [
            "../x",
            "/etc/passwd",
            "a/b.pdf",
            "C:\\x.pdf",
            "..",
            ".hidden",
            "",
            "a\\..\\b",
            "x\u{0}y",
        ] {
            assert!(!is_safe_entry_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn zip_dates() {
        assert_eq!(
            zip_date("2026-03-02"),
            DateTime::from_date_and_time(2026, 3, 2, 0, 0, 0).unwrap_or_default()
        );
    }
}
