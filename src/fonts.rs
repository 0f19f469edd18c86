//! Fonts: the built-in Liberation Sans faces, their metrics, and shaping.
//!
//! Text is shaped word by word with rustybuzz (so GPOS kerning applies) and the
//! result is cached per thread: a batch of letters repeats the same words, so
//! most words are shaped once per worker.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Liberation Sans Regular (SIL OFL 1.1, see `fonts/LICENSE-OFL.txt`).
pub(crate) static REGULAR_TTF: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
/// Liberation Sans Bold (SIL OFL 1.1, see `fonts/LICENSE-OFL.txt`).
pub(crate) static BOLD_TTF: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

/// Which of the built-in faces a run of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontId {
    /// Liberation Sans Regular.
    Regular = 0,
    /// Liberation Sans Bold.
    Bold = 1,
}

impl FontId {
    /// Both faces, in resource order.
    pub const ALL: [FontId; 2] = [FontId::Regular, FontId::Bold];
}

/// One parsed face with the metrics layout and the PDF writer need.
pub struct Font {
    /// The whole font file.
    pub data: &'static [u8],
    /// PostScript name, for the PDF `BaseFont`.
    pub postscript_name: &'static str,
    face: rustybuzz::Face<'static>,
    /// Units per em.
    pub units_per_em: u16,
    /// hhea ascender, font units.
    pub ascender: i16,
    /// hhea descender (negative), font units.
    pub descender: i16,
    /// Capital height, font units.
    pub cap_height: i16,
    /// Font bounding box, font units.
    pub bbox: [i16; 4],
    /// Italic angle in degrees.
    pub italic_angle: f32,
    /// Bold weight class.
    pub weight: u16,
    space_advance: i32,
    /// hmtx advance of every glyph, by id.
    advances: Vec<i32>,
    /// The character each glyph stands for (lowest code point mapped to it).
    unicode: Vec<Option<char>>,
    /// Shaping features: ligatures off.
    features: [rustybuzz::Feature; 3],
    /// Shaping plans made once (making one costs more than shaping a word):
    /// for Latin text, and for text of no particular script (digits,
    /// punctuation).
    latin_plan: rustybuzz::ShapePlan,
    common_plan: rustybuzz::ShapePlan,
}

/// A shaped glyph: its id and its advance (with kerning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyph {
    /// Glyph id in the full (unsubset) font.
    pub id: u16,
    /// Advance in font units, kerning included.
    pub advance: i32,
}

/// A shaped word: glyphs plus their total advance.
#[derive(Debug, Clone)]
pub struct Shaped {
    /// Glyphs in visual order.
    pub glyphs: Vec<Glyph>,
    /// Sum of the advances, font units.
    pub advance: i32,
}

/// The character each glyph stands for (the lowest, when several map to
/// it), from the given cmap subtables.
fn glyph_chars<'a>(
    face: &rustybuzz::Face<'_>,
    subtables: impl IntoIterator<Item = ttf_parser::cmap::Subtable<'a>>,
) -> Vec<Option<char>> {
    let mut unicode = vec![None; usize::from(face.number_of_glyphs())];
    for sub in subtables {
        sub.codepoints(|cp| {
            if let (Some(c), Some(g)) = (char::from_u32(cp), sub.glyph_index(cp))
                && let Some(slot) = unicode.get_mut(usize::from(g.0))
                && slot.is_none_or(|old: char| c < old)
            {
                *slot = Some(c);
            }
        });
    }
    unicode
}

/// The one Unicode cmap subtable to read: a full-repertoire one (format 12
/// or 13) if there is one, else Windows' BMP table. A font's Unicode
/// subtables map the same characters (the built-in faces have two identical
/// format-4 tables; a test checks that this one gives what all do), and
/// reading one halves the start-up work of the reverse map.
fn best_unicode_subtable<'a>(face: &rustybuzz::Face<'a>) -> Option<ttf_parser::cmap::Subtable<'a>> {
    use ttf_parser::cmap::Format;
    face.tables()
        .cmap?
        .subtables
        .into_iter()
        .filter(|s| s.is_unicode())
        .max_by_key(|s| {
            let full = matches!(
                s.format,
                Format::SegmentedCoverage(_) | Format::ManyToOneRangeMappings(_)
            );
            (full, s.platform_id == ttf_parser::PlatformId::Windows)
        })
}

impl Font {
    fn load(data: &'static [u8], postscript_name: &'static str) -> Font {
        // The fonts are compiled in; a failure here is a build defect, not user input.
        #[allow(clippy::expect_used)]
        let face = rustybuzz::Face::from_slice(data, 0).expect("built-in font parses");
        let units_per_em = face.units_per_em() as u16;
        let ascender = face.ascender();
        let descender = face.descender();
        let cap_height = face.capital_height().unwrap_or(ascender);
        let b = face.global_bounding_box();
        let italic_angle = face.italic_angle();
        let weight = face.weight().to_number();
        let space_advance = face
            .glyph_index(' ')
            .and_then(|g| face.glyph_hor_advance(g))
            .map_or(569, i32::from);
        let advances = (0..face.number_of_glyphs())
            .map(|g| {
                face.glyph_hor_advance(ttf_parser::GlyphId(g))
                    .map_or(0, i32::from)
            })
            .collect();
        let unicode = glyph_chars(&face, best_unicode_subtable(&face));
        let features = no_ligatures();
        let plan = |script| {
            rustybuzz::ShapePlan::new(
                &face,
                rustybuzz::Direction::LeftToRight,
                script,
                None,
                &features,
            )
        };
        let latin_plan = plan(Some(rustybuzz::script::LATIN));
        let common_plan = plan(None);
        Font {
            data,
            postscript_name,
            advances,
            unicode,
            features,
            latin_plan,
            common_plan,
            face,
            units_per_em,
            ascender,
            descender,
            cap_height,
            bbox: [b.x_min, b.y_min, b.x_max, b.y_max],
            italic_angle,
            weight,
            space_advance,
        }
    }

    /// The advance of a glyph as the font's `hmtx` gives it (no kerning).
    pub fn default_advance(&self, gid: u16) -> i32 {
        self.advances.get(usize::from(gid)).copied().unwrap_or(0)
    }

    /// The character glyph `gid` shows (for ToUnicode), if the font maps one to it.
    pub fn unicode(&self, gid: u16) -> Option<char> {
        self.unicode.get(usize::from(gid)).copied().flatten()
    }

    /// Whether every character of `text` has a glyph in this face.
    pub fn covers(&self, c: char) -> bool {
        c == ' ' || self.face.glyph_index(c).is_some()
    }

    /// Advance of a space, font units.
    pub fn space_advance(&self) -> i32 {
        self.space_advance
    }

    /// Converts font units at `size` pt into points.
    pub fn to_pt(&self, units: i32, size: f32) -> f32 {
        units as f32 * size / f32::from(self.units_per_em)
    }

    fn shape_uncached(&self, word: &str) -> Shaped {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(word);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        // What rustybuzz::shape would do, with the plan made once when the
        // script is one made ahead (a buffer with no script says UNKNOWN).
        buffer.guess_segment_properties();
        let script = buffer.script();
        // No ligatures: one glyph per character keeps text extraction exact.
        let out = if script == rustybuzz::script::LATIN {
            rustybuzz::shape_with_plan(&self.face, &self.latin_plan, buffer)
        } else if script == rustybuzz::script::UNKNOWN {
            rustybuzz::shape_with_plan(&self.face, &self.common_plan, buffer)
        } else {
            rustybuzz::shape(&self.face, &self.features, buffer)
        };
        let mut total = 0;
        let glyphs = out
            .glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(info, pos)| {
                total += pos.x_advance;
                Glyph {
                    id: info.glyph_id as u16,
                    advance: pos.x_advance,
                }
            })
            .collect();
        Shaped {
            glyphs,
            advance: total,
        }
    }
}

fn no_ligatures() -> [rustybuzz::Feature; 3] {
    [b"liga", b"clig", b"dlig"]
        .map(|t| rustybuzz::Feature::new(ttf_parser::Tag::from_bytes(t), 0, ..))
}

/// The two built-in faces, parsed once.
pub struct FontSet {
    fonts: [Font; 2],
}

impl Default for FontSet {
    fn default() -> Self {
        Self::builtin()
    }
}

impl FontSet {
    /// Parses the built-in Liberation Sans Regular and Bold.
    pub fn builtin() -> FontSet {
        FontSet {
            fonts: [
                Font::load(REGULAR_TTF, "LiberationSans"),
                Font::load(BOLD_TTF, "LiberationSans-Bold"),
            ],
        }
    }

    /// The face for `id`.
    pub fn get(&self, id: FontId) -> &Font {
        &self.fonts[id as usize]
    }

    /// The glyph id of `c` in `font`, if the face has it.
    pub fn glyph(&self, font: FontId, c: char) -> Option<u16> {
        self.get(font).face.glyph_index(c).map(|g| g.0)
    }

    /// The first character of `text` that a face cannot print, if any.
    pub fn unprintable(&self, text: &str) -> Option<char> {
        // Both faces cover printable ASCII (checked by a test below).
        if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return None;
        }
        text.chars()
            .find(|&c| c.is_control() || !self.fonts.iter().all(|f| f.covers(c)))
    }

    /// Shapes one word (no spaces) in `font`, using the per-thread cache.
    pub fn shape(&self, font: FontId, word: &str) -> Arc<Shaped> {
        SHAPE_CACHE.with(|cache| {
            let mut caches = cache.borrow_mut();
            let cache = &mut caches[font as usize];
            if let Some(hit) = cache.get(word) {
                return Arc::clone(hit);
            }
            if cache.len() > 50_000 {
                cache.clear();
            }
            let shaped = Arc::new(self.get(font).shape_uncached(word));
            cache.insert(word.to_owned(), Arc::clone(&shaped));
            shaped
        })
    }

    /// Width in points of `text` (words shaped, spaces at their advance).
    pub fn measure(&self, font: FontId, size: f32, text: &str) -> f32 {
        let face = self.get(font);
        let mut units = 0;
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                units += face.space_advance();
            }
            if !word.is_empty() {
                units += self.shape(font, word).advance;
            }
        }
        face.to_pt(units, size)
    }
}

/// A fast, non-cryptographic hasher for the caches (FxHash's mixing step):
/// the keys are words and glyph sets from our own letters, not untrusted
/// input to a long-lived map, so SipHash's flood protection buys nothing here.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

/// Builds [`FastHasher`]s.
pub(crate) type FastBuild = std::hash::BuildHasherDefault<FastHasher>;

thread_local! {
    /// Shaped words per face, per thread.
    static SHAPE_CACHE: RefCell<[HashMap<String, Arc<Shaped>, FastBuild>; 2]> =
        RefCell::new([HashMap::default(), HashMap::default()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kerning_changes_the_advance_of_av() {
        let fonts = FontSet::builtin();
        let av = fonts.shape(FontId::Regular, "AV").advance;
        let a = fonts.shape(FontId::Regular, "A").advance;
        let v = fonts.shape(FontId::Regular, "V").advance;
        assert!(av < a + v, "AV {av} should be kerned tighter than {a}+{v}");
    }

    /// The reverse map read from one cmap subtable is the one all the
    /// Unicode subtables give, for every glyph of both faces.
    #[test]
    fn the_glyph_characters_from_one_subtable_are_those_of_all() {
        for data in [REGULAR_TTF, BOLD_TTF] {
            let face = rustybuzz::Face::from_slice(data, 0).expect("parses");
            let cmap = face.tables().cmap.expect("cmap");
            let unicode_tables: Vec<_> = cmap
                .subtables
                .into_iter()
                .filter(|s| s.is_unicode())
                .collect();
            assert!(
                unicode_tables.len() > 1,
                "more than one table to choose from"
            );
            let all = glyph_chars(&face, unicode_tables);
            let one = glyph_chars(&face, best_unicode_subtable(&face));
            assert_eq!(one, all);
            assert!(
                one.iter().flatten().count() > 2_000,
                "every glyph with a character"
            );
            assert_eq!(
                one[usize::from(face.glyph_index('é').expect("é").0)],
                Some('é')
            );
        }
    }

    #[test]
    fn glyph_text_round_trips_the_word() {
        let fonts = FontSet::builtin();
        let shaped = fonts.shape(FontId::Bold, "£12.50–’â");
        let bold = fonts.get(FontId::Bold);
        let joined: String = shaped
            .glyphs
            .iter()
            .filter_map(|g| bold.unicode(g.id))
            .collect();
        assert_eq!(joined, "£12.50–’â");
    }

    #[test]
    fn shaping_with_the_plans_made_once_equals_shaping_afresh() {
        let fonts = FontSet::builtin();
        for f in FontId::ALL {
            let face = fonts.get(f);
            for word in [
                "AVAST",
                "Tøffee",
                "£12.50",
                "0800",
                "—",
                "Ŵŷ",
                "ελληνικά",
                "",
            ] {
                let mut buffer = rustybuzz::UnicodeBuffer::new();
                buffer.push_str(word);
                buffer.set_direction(rustybuzz::Direction::LeftToRight);
                let fresh = rustybuzz::shape(&face.face, &face.features, buffer);
                let ours = face.shape_uncached(word);
                let fresh: Vec<(u16, i32)> = fresh
                    .glyph_infos()
                    .iter()
                    .zip(fresh.glyph_positions())
                    .map(|(i, p)| (i.glyph_id as u16, p.x_advance))
                    .collect();
                let ours: Vec<(u16, i32)> = ours.glyphs.iter().map(|g| (g.id, g.advance)).collect();
                assert_eq!(ours, fresh, "{f:?} {word:?}");
            }
        }
    }

    #[test]
    fn both_faces_cover_printable_ascii() {
        let fonts = FontSet::builtin();
        for f in FontId::ALL {
            for c in ' '..='~' {
                assert!(fonts.get(f).covers(c), "{f:?} lacks {c:?}");
            }
        }
    }

    #[test]
    fn unprintable_finds_control_and_missing_characters() {
        let fonts = FontSet::builtin();
        assert_eq!(fonts.unprintable("Leeds LS6 1AB"), None);
        assert_eq!(fonts.unprintable("tab\there"), Some('\t'));
        assert_eq!(fonts.unprintable("emoji 😀"), Some('😀'));
    }
}
