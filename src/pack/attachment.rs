//! Attachments: supporting documents an officer adds to a pack (screenshots,
//! scanned PDFs). Each is checked by its content, not its name: a real PDF,
//! PNG or JPEG no larger than [`MAX_ATTACHMENT_BYTES`], decoded in full
//! (PNG and JPEG images pixel by pixel, at most [`MAX_IMAGE_PIXELS`]) and
//! checked to be placeable in the court bundle, so that every accepted
//! attachment bundles. It is then stored byte for byte.

/// The largest attachment accepted, in bytes (20 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// A file the officer attaches to a step.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The file's own name (kept in the manifest; never put in an entry
    /// name or an error message, as it may hold personal data).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The kinds of file a pack accepts as attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/pdf`.
    Pdf,
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
}

impl MediaType {
    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
        }
    }
    /// The file extension used in the pack.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Png => "png",
            MediaType::Jpeg => "jpg",
        }
    }
    /// From a MIME type.
    pub fn from_mime(mime: &str) -> Option<MediaType> {
        [MediaType::Pdf, MediaType::Png, MediaType::Jpeg]
            .into_iter()
            .find(|m| m.mime() == mime)
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The most pixels an image attachment may have (50 megapixels, e.g.
/// 8660 × 5770), so that decoding it stays within memory.
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;

/// Checks `bytes` are a PDF, PNG or JPEG within the size limit; says why not.
///
/// # Errors
/// Why the file cannot be attached (its type is not allowed, it is too large, or it
/// does not decode), never quoting its content.
pub fn check(bytes: &[u8]) -> Result<MediaType, String> {
    inspect(bytes).map(|(m, _)| m)
}

/// Like [`check`], and also returns the page count (1 for an image).
pub(crate) fn inspect(bytes: &[u8]) -> Result<(MediaType, usize), String> {
    if bytes.is_empty() {
        return Err("is empty".into());
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(format!(
            "is {} bytes; an attachment may be at most {} MiB ({MAX_ATTACHMENT_BYTES} bytes)",
            bytes.len(),
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        ));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if bytes.starts_with(b"%PDF-") {
        if !contains(tail, b"%%EOF") {
            return Err(
                "starts like a PDF but has no end-of-file marker (%%EOF): it may be cut short"
                    .into(),
            );
        }
        let doc = lopdf::Document::load_mem(bytes)
            .map_err(|e| format!("starts like a PDF but cannot be read as one ({e})"))?;
        if doc.is_encrypted() {
            return Err("is a password-protected PDF; attach an unprotected copy".into());
        }
        let pages = doc.get_pages().len();
        if pages == 0 {
            return Err("is a PDF with no pages".into());
        }
        return Ok((MediaType::Pdf, pages));
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        let ihdr = bytes.get(8..16);
        if ihdr != Some(b"\x00\x00\x00\x0dIHDR".as_slice()) {
            return Err("starts like a PNG but has no IHDR header".into());
        }
        if !contains(tail, b"IEND") {
            return Err("starts like a PNG but has no IEND chunk: it may be cut short".into());
        }
        decode_png(bytes)?;
        super::bundle::check_image(MediaType::Png, bytes)?;
        return Ok((MediaType::Png, 1));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let end = &bytes[bytes.len().saturating_sub(64)..];
        if !contains(end, &[0xFF, 0xD9]) {
            return Err("starts like a JPEG but has no end marker: it may be cut short".into());
        }
        decode_jpeg(bytes)?;
        super::bundle::check_image(MediaType::Jpeg, bytes)?;
        return Ok((MediaType::Jpeg, 1));
    }
    Err("is not a PDF, PNG or JPEG file (checked by its content, not its name)".into())
}

fn too_many_pixels(width: u64, height: u64) -> Option<String> {
    (width * height > MAX_IMAGE_PIXELS).then(|| {
        format!(
            "is an image of {width} × {height} pixels; an image may have at most {} megapixels: scale it down",
            MAX_IMAGE_PIXELS / 1_000_000
        )
    })
}

/// Decodes every pixel of a PNG (chunk checksums, image data, row filters).
fn decode_png(bytes: &[u8]) -> Result<(), String> {
    let bad =
        |e: png::DecodingError| format!("starts like a PNG but its image cannot be read ({e})");
    let limits = png::Limits {
        bytes: (MAX_IMAGE_PIXELS * 8) as usize,
    };
    let decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    let mut reader = decoder.read_info().map_err(bad)?;
    let (w, h) = reader.info().size();
    if let Some(m) = too_many_pixels(u64::from(w), u64::from(h)) {
        return Err(m);
    }
    let size = reader
        .output_buffer_size()
        .ok_or("starts like a PNG but its image is too large to read")?;
    let mut buf = vec![0; size];
    reader.next_frame(&mut buf).map_err(bad)?;
    Ok(())
}

/// Decodes every pixel of a JPEG (strictly: junk in the data is refused).
fn decode_jpeg(bytes: &[u8]) -> Result<(), String> {
    use zune_jpeg::zune_core::options::DecoderOptions;
    let bad = |e: zune_jpeg::errors::DecodeErrors| {
        format!("starts like a JPEG but its image cannot be read ({e})")
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(1 << 16)
        .set_max_height(1 << 16);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(bytes, options);
    decoder.decode_headers().map_err(bad)?;
    let (w, h) = decoder
        .info()
        .map_or((0, 0), |i| (u64::from(i.width), u64::from(i.height)));
    if let Some(m) = too_many_pixels(w, h) {
        return Err(m);
    }
    decoder.decode().map_err(bad)?;
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_and_decodes_in_full() {
        let png = include_bytes!("../../fixtures/packs/attachments/sr-screenshot.png");
        assert_eq!(inspect(png), Ok((MediaType::Png, 1)));
        let jpg = include_bytes!("../../fixtures/packs/attachments/scan.jpg");
        assert_eq!(inspect(jpg), Ok((MediaType::Jpeg, 1)));
        let pdf = include_bytes!("../../fixtures/packs/attachments/statement.pdf");
        assert!(matches!(inspect(pdf), Ok((MediaType::Pdf, n)) if n >= 1));
        assert!(check(b"GIF89a....").is_err());
        assert!(check(b"").is_err());
        assert!(check(b"%PDF-1.7\nnot really\n%%EOF").is_err_and(|e| e.contains("cannot be read")));
        assert!(check(&png[..20]).is_err_and(|e| e.contains("IEND")));
        // Right start and end markers, nothing real inside: refused now, not
        // when the bundle is made.
        let fake_png = [
            PNG_SIGNATURE,
            b"\x00\x00\x00\x0dIHDR",
            &[0; 17],
            b"IEND\xaeB`\x82",
        ]
        .concat();
        assert!(
            check(&fake_png)
                .is_err_and(|e| e.starts_with("starts like a PNG but its image cannot be read"))
        );
        let fake_jpg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[0; 10], &[0xFF, 0xD9]].concat();
        assert!(
            check(&fake_jpg)
                .is_err_and(|e| e.starts_with("starts like a JPEG but its image cannot be read"))
        );
    }
}
