//! Shrinks an embedded TrueType subset: drops what a printed page never uses.
//!
//! TrueType hinting (the `fpgm`, `prep` and `cvt ` tables and every glyph's
//! instructions) fits outlines to a screen's pixel grid at small sizes. A
//! letter is printed at 600 dpi or more, and PDF viewers hint on their own,
//! so the hinting is dead weight: about half of a Liberation Sans subset.
//! Glyph names (`post` format 2) and the `name` table (font names, licence
//! text and URLs: about 1.1 KB a face, 0.45 KB compressed) are not needed
//! either: a PDF names the font in its font dictionaries and text is
//! extracted through the ToUnicode map. `loca` uses the short format when
//! the glyphs allow (each glyph padded to an even length). Outlines and
//! metrics stay exactly as they were.
//!
//! [`strip_hinting`] never fails: a font it cannot read is returned as it is.

/// Tables kept (sorted, as the table directory must be).
const KEEP: [&[u8; 4]; 8] = [
    b"OS/2", b"cmap", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp",
];

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// Where a simple glyph's data ends: `at` is its first flag, `points` the
/// number of points (flags, then x and y coordinates of 0, 1 or 2 bytes).
fn simple_end(g: &[u8], mut at: usize, points: usize) -> Option<usize> {
    const X_SHORT: u8 = 0x02;
    const Y_SHORT: u8 = 0x04;
    const REPEAT: u8 = 0x08;
    const X_SAME: u8 = 0x10;
    const Y_SAME: u8 = 0x20;
    let (mut xs, mut ys, mut seen) = (0usize, 0usize, 0usize);
    while seen < points {
        let flag = *g.get(at)?;
        at += 1;
        let times = if flag & REPEAT != 0 {
            at += 1;
            usize::from(*g.get(at - 1)?) + 1
        } else {
            1
        };
        let size = |short: u8, same: u8| match (flag & short != 0, flag & same != 0) {
            (true, _) => 1,
            (false, true) => 0,
            (false, false) => 2,
        };
        xs += times * size(X_SHORT, X_SAME);
        ys += times * size(Y_SHORT, Y_SAME);
        seen += times;
    }
    let end = at + xs + ys;
    (end <= g.len()).then_some(end)
}

/// One glyph without its instructions.
fn strip_glyph(g: &[u8]) -> Option<Vec<u8>> {
    if g.is_empty() {
        return Some(Vec::new());
    }
    let contours = u16_at(g, 0)? as i16;
    let mut out = Vec::with_capacity(g.len());
    if contours >= 0 {
        let n = usize::try_from(contours).ok()?;
        let ins_at = 10 + 2 * n;
        let ins_len = usize::from(u16_at(g, ins_at)?);
        let rest = ins_at + 2 + ins_len;
        let end = if n == 0 {
            rest
        } else {
            simple_end(g, rest, usize::from(u16_at(g, 10 + 2 * (n - 1))?) + 1)?
        };
        out.extend_from_slice(&g[..ins_at]);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(g.get(rest..end)?);
    } else {
        // Composite: components, then instructions if the last says so.
        const WORDS: u16 = 0x0001;
        const SCALE: u16 = 0x0008;
        const MORE: u16 = 0x0020;
        const XY_SCALE: u16 = 0x0040;
        const TWO_BY_TWO: u16 = 0x0080;
        const INSTRUCTIONS: u16 = 0x0100;
        out.extend_from_slice(g.get(..10)?);
        let mut at = 10;
        loop {
            let flags = u16_at(g, at)?;
            let mut len = 4 + if flags & WORDS != 0 { 4 } else { 2 };
            if flags & SCALE != 0 {
                len += 2;
            } else if flags & XY_SCALE != 0 {
                len += 4;
            } else if flags & TWO_BY_TWO != 0 {
                len += 8;
            }
            if at + len > g.len() {
                return None;
            }
            let start = out.len();
            out.extend_from_slice(&g[at..at + len]);
            let cleared = (flags & !INSTRUCTIONS).to_be_bytes();
            out[start..start + 2].copy_from_slice(&cleared);
            at += len;
            if flags & MORE == 0 {
                break;
            }
        }
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    Some(out)
}

fn strip(font: &[u8]) -> Option<Vec<u8>> {
    let num_tables = usize::from(u16_at(font, 4)?);
    let mut tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let off = usize::try_from(u32_at(font, rec + 8)?).ok()?;
        let len = usize::try_from(u32_at(font, rec + 12)?).ok()?;
        tables.push((tag, font.get(off..off.checked_add(len)?)?));
    }
    let find = |t: &[u8; 4]| tables.iter().find(|(tag, _)| tag == t).map(|(_, d)| *d);
    let head = find(b"head")?;
    let maxp = find(b"maxp")?;
    let loca = find(b"loca")?;
    let glyf = find(b"glyf")?;
    let long_loca = u16_at(head, 50)? == 1;
    let glyphs = usize::from(u16_at(maxp, 4)?);
    let offset = |i: usize| -> Option<usize> {
        if long_loca {
            usize::try_from(u32_at(loca, 4 * i)?).ok()
        } else {
            Some(usize::from(u16_at(loca, 2 * i)?) * 2)
        }
    };

    // New glyf, each glyph padded to an even length, and its offsets.
    let mut new_glyf = Vec::with_capacity(glyf.len());
    let mut offsets = Vec::with_capacity(glyphs + 1);
    for i in 0..glyphs {
        let (a, b) = (offset(i)?, offset(i + 1)?);
        offsets.push(new_glyf.len());
        new_glyf.extend(strip_glyph(glyf.get(a..b)?)?);
        if new_glyf.len() % 2 == 1 {
            new_glyf.push(0);
        }
    }
    offsets.push(new_glyf.len());
    // loca: short (offset / 2 as 16 bits) when the glyphs fit, else long.
    let short = new_glyf.len() / 2 <= usize::from(u16::MAX);
    let mut new_loca = Vec::with_capacity(if short { 2 } else { 4 } * offsets.len());
    for o in offsets {
        if short {
            new_loca.extend_from_slice(&u16::try_from(o / 2).ok()?.to_be_bytes());
        } else {
            new_loca.extend_from_slice(&u32::try_from(o).ok()?.to_be_bytes());
        }
    }

    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]); // checkSumAdjustment, set below
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&u16::from(!short).to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    if new_maxp.len() >= 28 {
        // maxSizeOfInstructions: there are none left.
        new_maxp[26..28].copy_from_slice(&[0, 0]);
    }

    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for (tag, data) in &tables {
        let data = match tag {
            b"glyf" => std::mem::take(&mut new_glyf),
            b"loca" => std::mem::take(&mut new_loca),
            b"head" => std::mem::take(&mut new_head),
            b"maxp" => std::mem::take(&mut new_maxp),
            b"post" => {
                // Format 3: the header alone, no glyph names.
                let mut p = data.get(..32)?.to_vec();
                p[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
                p
            }
            t if KEEP.contains(&t) => data.to_vec(),
            _ => continue,
        };
        out_tables.push((*tag, data));
    }
    out_tables.sort_by_key(|(tag, _)| *tag);

    let n = out_tables.len();
    let n16 = u16::try_from(n).ok()?;
    let mut pow = 1u16;
    let mut selector = 0u16;
    while pow * 2 <= n16 {
        pow *= 2;
        selector += 1;
    }
    let mut out = Vec::with_capacity(font.len());
    out.extend_from_slice(&font[..4]);
    out.extend_from_slice(&n16.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&selector.to_be_bytes());
    out.extend_from_slice(&(n16 * 16 - pow * 16).to_be_bytes());
    let mut at = 12 + 16 * n;
    let mut head_at = None;
    for (tag, data) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&u32::try_from(at).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        if tag == b"head" {
            head_at = Some(at);
        }
        at += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &out_tables {
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out.get_mut(head_at? + 8..head_at? + 12)?
        .copy_from_slice(&adjust.to_be_bytes());
    Some(out)
}

/// `font` without hinting and glyph names; `font` itself if it cannot be read.
pub fn strip_hinting(font: &[u8]) -> Vec<u8> {
    strip(font).unwrap_or_else(|| font.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subset(data: &[u8]) -> Vec<u8> {
        let face = ttf_parser::Face::parse(data, 0).expect("font");
        let gids: Vec<u16> = "Child Maintenance Service 0123 £ (é)"
            .chars()
            .filter_map(|c| face.glyph_index(c))
            .map(|g| g.0)
            .chain([0])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&gids);
        subsetter::subset(data, 0, &remapper).expect("subset")
    }

    #[test]
    fn stripped_subsets_keep_every_outline_and_metric_and_are_smaller() {
        for data in [crate::fonts::REGULAR_TTF, crate::fonts::BOLD_TTF] {
            let full = subset(data);
            let small = strip_hinting(&full);
            assert!(
                small.len() * 10 < full.len() * 7,
                "{} -> {}",
                full.len(),
                small.len()
            );
            let a = ttf_parser::Face::parse(&full, 0).expect("subset parses");
            let b = ttf_parser::Face::parse(&small, 0).expect("stripped parses");
            assert_eq!(a.number_of_glyphs(), b.number_of_glyphs());
            for g in 0..a.number_of_glyphs() {
                let g = ttf_parser::GlyphId(g);
                assert_eq!(a.glyph_hor_advance(g), b.glyph_hor_advance(g));
                assert_eq!(a.glyph_bounding_box(g), b.glyph_bounding_box(g));
                let (mut pa, mut pb) = (Path::default(), Path::default());
                a.outline_glyph(g, &mut pa);
                b.outline_glyph(g, &mut pb);
                assert_eq!(pa.0, pb.0, "outline of glyph {}", g.0);
            }
            let raw = ttf_parser::RawFace::parse(&small, 0).expect("raw");
            assert_eq!(
                raw.table(ttf_parser::Tag::from_bytes(b"head"))
                    .and_then(|h| u16_at(h, 50)),
                Some(0),
                "short loca"
            );
            for t in [b"fpgm", b"prep", b"cvt ", b"name"] {
                let tag = ttf_parser::Tag::from_bytes(t);
                assert!(
                    raw.table(tag).is_none(),
                    "{} left",
                    String::from_utf8_lossy(t)
                );
            }
            let full_raw = ttf_parser::RawFace::parse(&full, 0).expect("raw");
            assert!(
                full_raw
                    .table(ttf_parser::Tag::from_bytes(b"fpgm"))
                    .is_some()
            );
            assert_eq!(checksum(&small), 0xB1B0_AFBA, "whole-font checksum");
        }
    }

    #[test]
    fn an_unreadable_font_is_returned_as_it_is() {
        assert_eq!(strip_hinting(b"not a font"), b"not a font");
        assert_eq!(strip_hinting(&[]), Vec::<u8>::new());
    }

    /// Records an outline as a list of points.
    #[derive(Default)]
    struct Path(Vec<(i32, i32)>);
    impl ttf_parser::OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push((x as i32, y as i32));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push((x as i32, y as i32));
        }
        fn quad_to(&mut self, a: f32, b: f32, x: f32, y: f32) {
            self.0.extend([(a as i32, b as i32), (x as i32, y as i32)]);
        }
        fn curve_to(&mut self, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32) {
            self.0.extend([
                (a as i32, b as i32),
                (c as i32, d as i32),
                (x as i32, y as i32),
            ]);
        }
        fn close(&mut self) {
            self.0.push((i32::MIN, 0));
        }
    }
}
