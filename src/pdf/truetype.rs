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
//! the glyphs allow (each glyph padded to an even length).
//!
//! The outlines and metrics are kept, scaled to 1000 units per em
//! (Liberation Sans has 2048): the same shapes to within half a unit
//! (0.0055 pt at 11 pt; a whole unit in a composite glyph, whose
//! component's offset is rounded too), but most coordinate deltas fit in
//! one byte instead of two, which makes a subset about a tenth smaller once
//! compressed. 1000 is also the unit of the PDF's own `/W` widths, which
//! are computed from the original font and agree with the scaled advances
//! within 0.55 units (PDF/A allows 1). A font already at 1000 is not
//! scaled.
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

/// Flags of a simple glyph's point (the `glyf` table).
const ON_CURVE: u8 = 0x01;
const X_SHORT: u8 = 0x02;
const Y_SHORT: u8 = 0x04;
const REPEAT: u8 = 0x08;
const X_SAME: u8 = 0x10;
const Y_SAME: u8 = 0x20;
const OVERLAP: u8 = 0x40;

/// A simple glyph's flags from `at`, one per point (repeats expanded,
/// `REPEAT` cleared), and where they end.
fn point_flags(g: &[u8], mut at: usize, points: usize) -> Option<(Vec<u8>, usize)> {
    let mut flags = Vec::with_capacity(points);
    while flags.len() < points {
        let f = *g.get(at)?;
        at += 1;
        let times = if f & REPEAT != 0 {
            at += 1;
            usize::from(*g.get(at - 1)?) + 1
        } else {
            1
        };
        flags.extend(std::iter::repeat_n(f & !REPEAT, times));
    }
    flags.truncate(points);
    Some((flags, at))
}

/// Where a simple glyph's data ends: `at` is its first flag, `points` the
/// number of points (flags, then x and y coordinates of 0, 1 or 2 bytes).
fn simple_end(g: &[u8], at: usize, points: usize) -> Option<usize> {
    let (flags, at) = point_flags(g, at, points)?;
    let size = |f: u8, short: u8, same: u8| match (f & short != 0, f & same != 0) {
        (true, _) => 1,
        (false, true) => 0,
        (false, false) => 2,
    };
    let coords: usize = flags
        .iter()
        .map(|&f| size(f, X_SHORT, X_SAME) + size(f, Y_SHORT, Y_SAME))
        .sum();
    let end = at + coords;
    (end <= g.len()).then_some(end)
}

/// Flags of a composite glyph's component (the `glyf` table).
const ARG_WORDS: u16 = 0x0001;
const ARGS_ARE_XY: u16 = 0x0002;
const MORE_COMPONENTS: u16 = 0x0020;
const HAS_INSTRUCTIONS: u16 = 0x0100;

/// The length of the composite glyph component whose flags are `flags`:
/// flags, glyph index, two arguments of 1 or 2 bytes, and a scale of 0, 1,
/// 2 or 4 numbers.
fn component_len(flags: u16) -> usize {
    const SCALE: u16 = 0x0008;
    const XY_SCALE: u16 = 0x0040;
    const TWO_BY_TWO: u16 = 0x0080;
    let args = if flags & ARG_WORDS != 0 { 4 } else { 2 };
    let scale = if flags & SCALE != 0 {
        2
    } else if flags & XY_SCALE != 0 {
        4
    } else if flags & TWO_BY_TWO != 0 {
        8
    } else {
        0
    };
    4 + args + scale
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
        out.extend_from_slice(g.get(..10)?);
        let mut at = 10;
        loop {
            let flags = u16_at(g, at)?;
            let len = component_len(flags);
            if at + len > g.len() {
                return None;
            }
            let start = out.len();
            out.extend_from_slice(&g[at..at + len]);
            let cleared = (flags & !HAS_INSTRUCTIONS).to_be_bytes();
            out[start..start + 2].copy_from_slice(&cleared);
            at += len;
            if flags & MORE_COMPONENTS == 0 {
                break;
            }
        }
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    Some(out)
}

/// The units per em [`strip_hinting`] scales a font to.
const UNITS_PER_EM: u16 = 1000;

/// Scales font units from `from` units per em to [`UNITS_PER_EM`], rounding
/// half away from zero (monotonic, so a scaled bounding box still bounds the
/// scaled points).
#[derive(Clone, Copy)]
struct Scale {
    from: i64,
}

impl Scale {
    fn of(&self, v: i32) -> i32 {
        let (n, d) = (i64::from(v) * i64::from(UNITS_PER_EM), self.from);
        let q = (2 * n.abs() + d) / (2 * d);
        (if n < 0 { -q } else { q }) as i32
    }

    /// Scales the big-endian i16 at `at` in place.
    fn i16_at(&self, d: &mut [u8], at: usize) -> Option<()> {
        let v = i32::from(u16_at(d, at)? as i16);
        let s = i16::try_from(self.of(v)).ok()?;
        d.get_mut(at..at + 2)?.copy_from_slice(&s.to_be_bytes());
        Some(())
    }

    /// Scales the big-endian u16 at `at` in place.
    fn u16_at(&self, d: &mut [u8], at: usize) -> Option<()> {
        let v = i32::from(u16_at(d, at)?);
        let s = u16::try_from(self.of(v)).ok()?;
        d.get_mut(at..at + 2)?.copy_from_slice(&s.to_be_bytes());
        Some(())
    }
}

/// One stripped glyph (no instructions) with its outline scaled.
fn scale_glyph(g: &[u8], scale: Scale) -> Option<Vec<u8>> {
    if g.is_empty() {
        return Some(Vec::new());
    }
    let contours = u16_at(g, 0)? as i16;
    let mut out = g.get(..10)?.to_vec();
    for at in [2, 4, 6, 8] {
        scale.i16_at(&mut out, at)?;
    }
    if contours < 0 {
        // Composite: scale each component's x/y offset, leave the rest.
        let mut at = 10;
        loop {
            let flags = u16_at(g, at)?;
            let len = component_len(flags);
            let start = out.len();
            out.extend_from_slice(g.get(at..at + len)?);
            if flags & ARGS_ARE_XY != 0 {
                if flags & ARG_WORDS != 0 {
                    scale.i16_at(&mut out, start + 4)?;
                    scale.i16_at(&mut out, start + 6)?;
                } else {
                    for i in [start + 4, start + 5] {
                        let v = i32::from(out[i] as i8);
                        out[i] = i8::try_from(scale.of(v)).ok()? as u8;
                    }
                }
            }
            at += len;
            if flags & MORE_COMPONENTS == 0 {
                break;
            }
        }
        out.extend_from_slice(g.get(at..)?);
        return Some(out);
    }

    // Simple: read every point, scale the absolute coordinates, write the
    // deltas again in their shortest form.
    let n = usize::try_from(contours).ok()?;
    let ends_at = 10 + 2 * n;
    out.extend_from_slice(g.get(10..ends_at)?);
    let points = if n == 0 {
        0
    } else {
        usize::from(u16_at(g, 10 + 2 * (n - 1))?) + 1
    };
    let ins_len = usize::from(u16_at(g, ends_at)?);
    out.extend_from_slice(g.get(ends_at..ends_at + 2 + ins_len)?);
    let (flags, mut at) = point_flags(g, ends_at + 2 + ins_len, points)?;
    let mut read = |short: u8, same: u8, flags: &[u8]| -> Option<Vec<i32>> {
        let mut v = 0i32;
        let mut all = Vec::with_capacity(flags.len());
        for &f in flags {
            if f & short != 0 {
                let d = i32::from(*g.get(at)?);
                at += 1;
                v += if f & same != 0 { d } else { -d };
            } else if f & same == 0 {
                v += i32::from(u16_at(g, at)? as i16);
                at += 2;
            }
            all.push(v);
        }
        Some(all)
    };
    let xs = read(X_SHORT, X_SAME, &flags)?;
    let ys = read(Y_SHORT, Y_SAME, &flags)?;

    let mut new_flags = Vec::with_capacity(points);
    let (mut xb, mut yb) = (Vec::new(), Vec::new());
    let (mut px, mut py) = (0, 0);
    for ((&f, &x), &y) in flags.iter().zip(&xs).zip(&ys) {
        let (x, y) = (scale.of(x), scale.of(y));
        let mut nf = f & (ON_CURVE | OVERLAP);
        for (d, short, same, buf) in [
            (x - px, X_SHORT, X_SAME, &mut xb),
            (y - py, Y_SHORT, Y_SAME, &mut yb),
        ] {
            if d == 0 {
                nf |= same;
            } else if d.abs() <= 255 {
                nf |= short | if d > 0 { same } else { 0 };
                buf.push(d.unsigned_abs() as u8);
            } else {
                buf.extend_from_slice(&i16::try_from(d).ok()?.to_be_bytes());
            }
        }
        (px, py) = (x, y);
        new_flags.push(nf);
    }
    let mut i = 0;
    while i < new_flags.len() {
        let f = new_flags[i];
        let mut run = 1;
        while i + run < new_flags.len() && new_flags[i + run] == f && run < 256 {
            run += 1;
        }
        if run > 1 {
            out.extend_from_slice(&[f | REPEAT, (run - 1) as u8]);
        } else {
            out.push(f);
        }
        i += run;
    }
    out.extend(xb);
    out.extend(yb);
    Some(out)
}

/// Scales the metrics of `head`, `hhea`, `hmtx`, `OS/2` and `post` in place.
fn scale_metrics(tables: &mut [([u8; 4], Vec<u8>)], scale: Scale, glyphs: usize) -> Option<()> {
    let h_metrics = tables
        .iter()
        .find(|(t, _)| t == b"hhea")
        .and_then(|(_, d)| u16_at(d, 34))?;
    for (tag, d) in tables.iter_mut() {
        match &*tag {
            b"head" => {
                d.get_mut(18..20)?
                    .copy_from_slice(&UNITS_PER_EM.to_be_bytes());
                for at in [36, 38, 40, 42] {
                    scale.i16_at(d, at)?;
                }
            }
            b"hhea" => {
                for at in [4, 6, 8, 12, 14, 16, 22] {
                    scale.i16_at(d, at)?;
                }
                scale.u16_at(d, 10)?;
            }
            b"hmtx" => {
                let long = usize::from(h_metrics).min(glyphs);
                for i in 0..long {
                    scale.u16_at(d, 4 * i)?;
                    scale.i16_at(d, 4 * i + 2)?;
                }
                for i in 0..glyphs - long {
                    scale.i16_at(d, 4 * long + 2 * i)?;
                }
            }
            b"OS/2" => {
                for at in [2, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 68, 70, 72] {
                    scale.i16_at(d, at)?;
                }
                scale.u16_at(d, 74)?;
                scale.u16_at(d, 76)?;
                if u16_at(d, 0)? >= 2 && d.len() >= 90 {
                    scale.i16_at(d, 86)?;
                    scale.i16_at(d, 88)?;
                }
            }
            b"post" => {
                scale.i16_at(d, 8)?;
                scale.i16_at(d, 10)?;
            }
            _ => {}
        }
    }
    Some(())
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
    let upem = u16_at(head, 18)?;
    let scale = (upem != UNITS_PER_EM && upem >= 16).then_some(Scale {
        from: i64::from(upem),
    });
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
        let stripped = strip_glyph(glyf.get(a..b)?)?;
        match scale {
            Some(scale) => new_glyf.extend(scale_glyph(&stripped, scale)?),
            None => new_glyf.extend(stripped),
        }
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
    if let Some(scale) = scale {
        scale_metrics(&mut out_tables, scale, glyphs)?;
    }

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

/// `font` without hinting and glyph names, at 1000 units per em; `font`
/// itself if it cannot be read.
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
    fn stripped_subsets_keep_every_outline_and_metric_at_1000_units_and_are_smaller() {
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
            assert_eq!((a.units_per_em(), b.units_per_em()), (2048, 1000));
            let k = 1000.0 / 2048.0;
            // Half a unit for a point, a whole one in a composite glyph
            // (its component's offset is rounded too).
            let near = |x: f32, y: f32, what: &str| {
                assert!((x * k - y).abs() <= 1.0, "{what}: {x} scaled is {y}");
            };
            near(a.ascender().into(), b.ascender().into(), "ascender");
            near(a.descender().into(), b.descender().into(), "descender");
            let mut outlines = 0;
            for g in 0..a.number_of_glyphs() {
                let g = ttf_parser::GlyphId(g);
                let adv =
                    |f: &ttf_parser::Face| f32::from(f.glyph_hor_advance(g).expect("advance"));
                near(adv(&a), adv(&b), "advance");
                let (mut pa, mut pb) = (Path::default(), Path::default());
                let (ba, bb) = (a.outline_glyph(g, &mut pa), b.outline_glyph(g, &mut pb));
                assert_eq!(ba.is_some(), bb.is_some(), "glyph {} has an outline", g.0);
                if let (Some(ba), Some(bb)) = (ba, bb) {
                    outlines += 1;
                    near(ba.x_min.into(), bb.x_min.into(), "x_min");
                    near(ba.y_max.into(), bb.y_max.into(), "y_max");
                }
                assert_eq!(pa.0.len(), pb.0.len(), "points of glyph {}", g.0);
                for (&(xa, ya), &(xb, yb)) in pa.0.iter().zip(&pb.0) {
                    near(xa, xb, "x");
                    near(ya, yb, "y");
                }
            }
            assert!(outlines > 20, "{outlines} outlines compared");
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

    /// Records an outline as a list of points (a close as a point at 0, 0).
    #[derive(Default)]
    struct Path(Vec<(f32, f32)>);
    impl ttf_parser::OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push((x, y));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push((x, y));
        }
        fn quad_to(&mut self, a: f32, b: f32, x: f32, y: f32) {
            self.0.extend([(a, b), (x, y)]);
        }
        fn curve_to(&mut self, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32) {
            self.0.extend([(a, b), (c, d), (x, y)]);
        }
        fn close(&mut self) {
            self.0.push((0.0, 0.0));
        }
    }
}
