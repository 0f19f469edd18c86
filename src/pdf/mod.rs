//! PDF: laid-out pages → PDF bytes.
//!
//! Pure: returns `Vec<u8>`, touches no file and reads no clock. Each font is
//! embedded as a TrueType subset of the glyphs the document uses (CIDFontType2,
//! one-byte codes through the shared `letterkit-Identity-8` CMap, or
//! Identity-H for a subset of more than 256 glyphs, with a ToUnicode map so
//! text extracts in reading order). The
//! subset tag, the file ID and the dates all derive from the inputs, so the
//! same pages and options always give the same bytes.
//!
//! Every PDF is tagged and claims PDF/UA-1 and PDF/A-2a at once: the
//! structure tree comes from layout's [`Tag`]s (`tagged.rs`), the XMP
//! metadata from the same options as the Info dictionary (`xmp.rs`), the
//! output intent's sRGB profile from `icc.rs`. Dictionaries go into object
//! streams, listed by a cross-reference stream (see `Out`).

mod icc;
pub(crate) mod merge;
mod tagged;
mod truetype;
mod xmp;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use pdf_writer::types::{CidFontType, FontFlags, OutputIntentSubtype, SystemInfo};
use pdf_writer::writers::{Catalog, DocumentInfo};
use pdf_writer::{Chunk, Filter, Finish, Name, Rect, Ref, Settings, Str, TextStr};
use sha2::{Digest, Sha256};

use crate::fonts::{FontId, FontSet};
use crate::layout::{Item, PAGE_H, PAGE_W, Page, Tag};

/// A point in time given to the writer (never read from the clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamp {
    /// Year, e.g. 2026.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
    /// Second 0–59.
    pub second: u8,
}

/// What goes into the PDF besides the pages ([`PdfOptions::new`], then set
/// the fields; more may come).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PdfOptions {
    /// Document title (shown by viewers instead of the file name).
    pub title: String,
    /// BCP 47 language tag, e.g. `en-GB`.
    pub language: String,
    /// Author, e.g. "Child Maintenance Service".
    pub author: String,
    /// Subject line, e.g. the letter code.
    pub subject: String,
    /// Creation and modification date.
    pub created: Timestamp,
    /// Identity from which the PDF file ID is derived.
    pub ident: String,
}

impl PdfOptions {
    /// Options for a document titled `title` in `language`, made at
    /// `created`, its file ID derived from `ident`; no author or subject.
    pub fn new(
        title: impl Into<String>,
        language: impl Into<String>,
        created: Timestamp,
        ident: impl Into<String>,
    ) -> PdfOptions {
        PdfOptions {
            title: title.into(),
            language: language.into(),
            author: String::new(),
            subject: String::new(),
            created,
            ident: ident.into(),
        }
    }
}

/// Glyphs a document uses in one face, as a bit set over glyph ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct GlyphSet(Vec<u64>);

impl GlyphSet {
    fn insert(&mut self, gid: u16) {
        let (word, bit) = (usize::from(gid) / 64, gid % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    /// A hash of the set (the cache's key; a hit is checked against the set).
    fn key(&self, font: FontId) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = crate::fonts::FastHasher::default();
        (font as u8).hash(&mut h);
        self.0.hash(&mut h);
        Hasher::finish(&h)
    }

    fn gids(&self) -> impl Iterator<Item = u16> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64u16)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w as u16 * 64 + b)
        })
    }
}

/// Characters always included in the regular face's subset, so that nearly
/// every letter has the same glyph set and its subset comes from the cache.
const BASE_CHARS: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:'’-–()/&£";

/// The embedded-font objects for one glyph set, built once and cached.
struct FontObjects {
    /// The face and glyph set these were built for (a cache hit is checked
    /// against them).
    font: FontId,
    set: GlyphSet,
    /// Old gid → character code in the content stream (index = old gid).
    /// Codes are the subset's glyph ids, sorted so they depend only on the
    /// set.
    remap: Vec<u16>,
    /// One byte per code (the subset has at most 256 glyphs, nearly always)
    /// through the shared `Identity-8` CMap, else two through `Identity-H`.
    one_byte: bool,
    /// Compressed ToUnicode CMap.
    cmap: Vec<u8>,
    /// Compressed subset font file and its uncompressed length.
    file: Vec<u8>,
    file_len: usize,
    /// The face's dictionaries as a compressed object stream, and its
    /// `/First` (see [`font_dictionaries`]).
    dicts: Vec<u8>,
    dicts_first: usize,
    /// The subset's font name (`TAG+PostScriptName`) and its widths by new
    /// glyph id, for `merge.rs`, which writes these dictionaries with lopdf.
    base_name: String,
    widths: Vec<f32>,
}

thread_local! {
    /// Font objects by a hash of the face and glyph set, per thread.
    static FONT_CACHE: RefCell<HashMap<u64, Arc<FontObjects>, crate::fonts::FastBuild>> =
        RefCell::new(HashMap::default());
}

fn font_objects(fonts: &FontSet, font: FontId, set: &GlyphSet) -> Arc<FontObjects> {
    let key = set.key(font);
    FONT_CACHE.with(|c| {
        if let Some(hit) = c.borrow().get(&key)
            && hit.font == font
            && hit.set == *set
        {
            return Arc::clone(hit);
        }
        let built = Arc::new(build_font_objects(fonts, font, set));
        let mut cache = c.borrow_mut();
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&built));
        built
    })
}

/// The sRGB profile of the output intent (`icc.rs`), compressed once.
fn srgb_profile() -> &'static [u8] {
    static ICC: OnceLock<Vec<u8>> = OnceLock::new();
    ICC.get_or_init(|| deflate_best(&icc::srgb_profile()))
}

/// The uncompressed sRGB profile every PDF's output intent embeds.
pub fn srgb_icc_profile() -> Vec<u8> {
    icc::srgb_profile()
}

/// The encoding CMap of one-byte codes (`<00>`..`<FF>` to CIDs 0..255),
/// shared by both faces; its name, and its stream compressed once.
const ONE_BYTE_CMAP: &[u8] = b"letterkit-Identity-8";

fn one_byte_cmap() -> &'static [u8] {
    static CMAP: OnceLock<Vec<u8>> = OnceLock::new();
    CMAP.get_or_init(|| {
        let mut c = Vec::with_capacity(400);
        c.extend_from_slice(
            b"/CIDInit/ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>def\n/CMapName/",
        );
        c.extend_from_slice(ONE_BYTE_CMAP);
        c.extend_from_slice(
            b" def\n/CMapType 1 def\n/WMode 0 def\n1 begincodespacerange\n<00> <FF>\nendcodespacerange\n1 begincidrange\n<00> <FF> 0\nendcidrange\nendcmap\nCMapName currentdict/CMap defineresource pop\nend\nend",
        );
        deflate_best(&c)
    })
}

/// The output intent's condition: what the colours mean.
const SRGB: &str = "sRGB IEC61966-2.1";

/// Writes `pages` as a PDF.
///
/// The file is a tagged PDF meeting PDF/UA-1 and PDF/A-2a: a structure tree
/// from the runs' [`Tag`]s (`tagged.rs`), footers and rules as artifacts, the
/// document language, its title shown as the window title, XMP metadata
/// matching the Info dictionary (`xmp.rs`), an sRGB output intent, an
/// outline of the headings, embedded fonts with ToUnicode maps.
pub fn write_pdf(pages: &[Page], fonts: &FontSet, options: &PdfOptions) -> Vec<u8> {
    let mut sets: BTreeMap<FontId, GlyphSet> = BTreeMap::new();
    for page in pages {
        for item in &page.items {
            if let Item::Text(run) = item {
                let set = sets.entry(run.font).or_default();
                for g in &run.glyphs {
                    set.insert(g.id);
                }
            }
        }
    }
    if let Some(set) = sets.get_mut(&FontId::Regular) {
        for c in BASE_CHARS.chars() {
            if let Some(g) = fonts.glyph(FontId::Regular, c) {
                set.insert(g);
            }
        }
    }
    let used: BTreeMap<FontId, Arc<FontObjects>> = sets
        .iter()
        .map(|(f, set)| (*f, font_objects(fonts, *f, set)))
        .collect();

    let mut alloc = Ref::new(FIRST_LETTER_ID);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let info_id = alloc.bump();
    let outline_id = alloc.bump();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc.bump(), alloc.bump())).collect();
    let struct_root_id = alloc.bump();
    let metadata_id = alloc.bump();
    let icc_id = alloc.bump();

    // Every object goes through `out`, which notes where it starts, so that
    // `finish` can write the cross-reference table without pdf-writer's
    // formatting of each entry.
    let mut out = Out::new();
    out.at(tree_id)
        .pages(tree_id)
        .kids(page_ids.iter().map(|p| p.0))
        .count(pages.len() as i32);

    let t = options.created;
    let date = pdf_writer::Date::new(t.year)
        .month(t.month)
        .day(t.day)
        .hour(t.hour)
        .minute(t.minute)
        .second(t.second)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    let producer = concat!("letterkit ", env!("CARGO_PKG_VERSION"));
    out.at(info_id)
        .indirect(info_id)
        .start::<DocumentInfo>()
        .title(TextStr(&options.title))
        .author(TextStr(&options.author))
        .subject(TextStr(&options.subject))
        .creator(TextStr("letterkit"))
        .producer(TextStr(producer))
        .creation_date(date)
        .modified_date(date);
    let file_id = Sha256::digest(options.ident.as_bytes());

    let mut structure = tagged::Structure::new(pages.len());
    for (n, (page, (page_id, content_id))) in pages.iter().zip(&page_ids).enumerate() {
        let mut p = out.at(*page_id).page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(tree_id);
        p.contents(*content_id);
        p.struct_parents(n as i32);
        let mut res = p.resources();
        let mut fdict = res.fonts();
        for f in used.keys() {
            fdict.pair(font_name(*f), face_ids(*f)[0]);
        }
        fdict.finish();
        res.finish();
        p.finish();

        let mut content = page_content(page, n, fonts, &used, &mut structure);
        let compressed = deflate_no_final_cr(&mut content, 1, b'\n');
        out.stream_at(*content_id)
            .stream(*content_id, &compressed)
            .filter(Filter::FlateDecode);
    }

    for (font, u) in &used {
        write_font(&mut out, *font, u);
    }
    if used.values().any(|u| u.one_byte) {
        let mut cmap = out
            .stream_at(ENCODING_ID)
            .cmap(ENCODING_ID, one_byte_cmap());
        cmap.name(Name(ONE_BYTE_CMAP))
            .system_info(SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"Identity"),
                supplement: 0,
            })
            .pair(Name(b"WMode"), 0);
        cmap.filter(Filter::FlateDecode);
    }

    let page_refs: Vec<Ref> = page_ids.iter().map(|p| p.0).collect();
    let has_outline = !structure.headings.is_empty();
    if has_outline {
        write_outline(
            &mut out,
            outline_id,
            &structure.headings,
            &page_refs,
            &mut alloc,
        );
    }
    structure.write(&mut out, struct_root_id, &page_refs, &mut || alloc.bump());

    let xmp = xmp::packet(options, producer, true);
    out.stream_at(metadata_id)
        .metadata(metadata_id, xmp.as_bytes());
    out.stream_at(icc_id)
        .icc_profile(icc_id, srgb_profile())
        .n(3)
        .range([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
        .filter(Filter::FlateDecode);

    let mut cat = out.at(catalog_id).indirect(catalog_id).start::<Catalog>();
    cat.pages(tree_id);
    cat.lang(TextStr(&options.language));
    cat.viewer_preferences().display_doc_title(true);
    cat.mark_info().marked(true);
    cat.pair(Name(b"StructTreeRoot"), struct_root_id);
    cat.metadata(metadata_id);
    if has_outline {
        cat.outlines(outline_id);
    }
    cat.output_intents()
        .push()
        .subtype(OutputIntentSubtype::PDFA)
        .output_condition_identifier(TextStr(SRGB))
        .info(TextStr(SRGB))
        .dest_output_profile(icc_id);
    cat.finish();

    out.finish(catalog_id, info_id, &file_id[..16])
}

/// The objects of a file as they are written. Streams stand on their own;
/// every other object (dictionaries, arrays: pdf-writer's, and those written
/// by hand, the structure elements, many and simple) goes into one
/// compressed object stream, and a cross-reference stream lists them all.
pub(crate) struct Out {
    /// Dictionaries by pdf-writer, each `N 0 obj ... endobj`.
    chunk: Chunk,
    offsets: Vec<(Ref, usize)>,
    /// Stream objects.
    streams: Chunk,
    stream_offsets: Vec<(Ref, usize)>,
    /// Dictionaries written by hand, bodies only.
    raw: Vec<u8>,
    raw_offsets: Vec<(Ref, usize)>,
    /// Objects in object streams written whole (the faces' cached ones):
    /// the object, its stream, its index there.
    grouped: Vec<(Ref, Ref, usize)>,
}

impl Out {
    fn new() -> Out {
        Out {
            chunk: Chunk::with_settings(Settings { pretty: false }),
            offsets: Vec::with_capacity(64),
            streams: Chunk::with_settings(Settings { pretty: false }),
            stream_offsets: Vec::with_capacity(16),
            raw: Vec::with_capacity(4096),
            raw_offsets: Vec::with_capacity(96),
            grouped: Vec::with_capacity(8),
        }
    }

    /// The objects for the object stream, bodies only, in order: pdf-writer's
    /// without their `N 0 obj\n` and `\nendobj\n`, then those by hand.
    fn members(&self) -> Vec<(Ref, &[u8])> {
        let chunk = self.chunk.as_bytes();
        let mut members = Vec::with_capacity(self.offsets.len() + self.raw_offsets.len());
        for (i, (id, start)) in self.offsets.iter().enumerate() {
            let end = self.offsets.get(i + 1).map_or(chunk.len(), |o| o.1);
            let obj = &chunk[*start..end];
            let body_start = obj.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            let body = obj[body_start..]
                .strip_suffix(b"\nendobj\n")
                .unwrap_or(&obj[body_start..]);
            members.push((*id, body));
        }
        for (i, (id, start)) in self.raw_offsets.iter().enumerate() {
            let end = self.raw_offsets.get(i + 1).map_or(self.raw.len(), |o| o.1);
            members.push((*id, &self.raw[*start..end]));
        }
        members
    }

    /// Writes object stream `id` made earlier (`data` compressed, `first`
    /// its `/First`) holding `members` in order.
    fn cached_object_stream(&mut self, id: Ref, data: &[u8], first: usize, members: &[Ref]) {
        for (index, m) in members.iter().enumerate() {
            self.grouped.push((*m, id, index));
        }
        let mut s = self.stream_at(id).stream(id, data);
        s.pair(Name(b"Type"), Name(b"ObjStm"))
            .pair(Name(b"N"), members.len() as i32)
            .pair(Name(b"First"), first as i32);
        s.filter(Filter::FlateDecode);
    }

    /// The chunk to write object `id`, not a stream, into next.
    fn at(&mut self, id: Ref) -> &mut Chunk {
        self.offsets.push((id, self.chunk.len()));
        &mut self.chunk
    }

    /// The chunk to write stream object `id` into next.
    fn stream_at(&mut self, id: Ref) -> &mut Chunk {
        self.stream_offsets.push((id, self.streams.len()));
        &mut self.streams
    }

    /// Starts object `id` written by hand: push its body (a dictionary) to
    /// the buffer returned, then call [`Out::end_raw`].
    pub(crate) fn begin_raw(&mut self, id: Ref) -> &mut Vec<u8> {
        self.raw_offsets.push((id, self.raw.len()));
        &mut self.raw
    }

    /// Ends the object begun by [`Out::begin_raw`].
    pub(crate) fn end_raw(&mut self) {
        self.raw.push(b'\n');
    }

    /// The file: header, the streams, the object stream of everything
    /// else, the cross-reference stream with the trailer's entries.
    fn finish(self, root: Ref, info: Ref, file_id: &[u8]) -> Vec<u8> {
        const HEADER: &[u8] = b"%PDF-1.7\n%\x80\x80\x80\x80\n";
        let members = self.members();
        let (mut objstm, first) = object_stream(&members);
        let objstm = deflate_no_final_cr(&mut objstm, 1, b'\n');
        let Out {
            offsets,
            streams,
            stream_offsets,
            raw_offsets,
            grouped,
            ..
        } = &self;

        let max_id = offsets
            .iter()
            .chain(stream_offsets)
            .chain(raw_offsets)
            .map(|(id, _)| id.get())
            .max()
            .unwrap_or(0);
        let objstm_id = max_id + 1;
        let xref_id = max_id + 2;
        let size = xref_id as usize + 1;

        let mut file =
            Vec::with_capacity(HEADER.len() + streams.len() + objstm.len() + 64 + 8 * size + 256);
        file.extend_from_slice(HEADER);
        // (kind, field 2, field 3) of each object number: 0 free, 1 at an
        // offset, 2 in the object stream at an index.
        let mut entries: Vec<(u8, usize, usize)> = vec![(0, 0, 0); size];
        let base = file.len();
        file.extend_from_slice(streams.as_bytes());
        for (id, off) in stream_offsets {
            entries[id.get() as usize] = (1, base + off, 0);
        }
        for (index, (id, _)) in members.iter().enumerate() {
            entries[id.get() as usize] = (2, objstm_id as usize, index);
        }
        for (id, stm, index) in grouped {
            entries[id.get() as usize] = (2, stm.get() as usize, *index);
        }
        entries[objstm_id as usize] = (1, file.len(), 0);
        push_int(&mut file, objstm_id);
        file.extend_from_slice(b" 0 obj\n<</Type/ObjStm/N ");
        push_int(&mut file, members.len() as i32);
        file.extend_from_slice(b"/First ");
        push_int(&mut file, first as i32);
        file.extend_from_slice(b"/Filter/FlateDecode/Length ");
        push_int(&mut file, objstm.len() as i32);
        file.extend_from_slice(b">>\nstream\n");
        file.extend_from_slice(&objstm);
        file.extend_from_slice(b"\nendstream\nendobj\n");
        let xref_at = file.len();
        entries[xref_id as usize] = (1, xref_at, 0);
        // Object 0 heads the (empty) list of free objects, generation 65535.
        entries[0] = (0, 0, 65535);

        let width = |max: usize| (1..8).find(|&w| max < 1 << (8 * w)).unwrap_or(8);
        let w2 = width(entries.iter().map(|e| e.1).max().unwrap_or(0));
        let w3 = width(entries.iter().map(|e| e.2).max().unwrap_or(0));
        let mut rows = Vec::with_capacity(size * (1 + w2 + w3));
        for (kind, a, b) in &entries {
            rows.push(*kind);
            rows.extend_from_slice(&a.to_be_bytes()[8 - w2..]);
            rows.extend_from_slice(&b.to_be_bytes()[8 - w3..]);
        }
        push_int(&mut file, xref_id);
        file.extend_from_slice(b" 0 obj\n<</Type/XRef/Size ");
        push_int(&mut file, size as i32);
        file.extend_from_slice(b"/W[1 ");
        push_int(&mut file, w2 as i32);
        file.push(b' ');
        push_int(&mut file, w3 as i32);
        file.extend_from_slice(b"]/Root ");
        push_ref(&mut file, root);
        file.extend_from_slice(b"/Info ");
        push_ref(&mut file, info);
        file.extend_from_slice(b"/ID[");
        for _ in 0..2 {
            file.push(b'<');
            for b in file_id {
                file.extend_from_slice(&hex_byte(*b));
            }
            file.push(b'>');
        }
        file.extend_from_slice(b"]/Length ");
        push_int(&mut file, rows.len() as i32);
        file.extend_from_slice(b">>\nstream\n");
        file.extend_from_slice(&rows);
        file.extend_from_slice(b"\nendstream\nendobj\nstartxref\n");
        push_int(&mut file, xref_at as i32);
        file.extend_from_slice(b"\n%%EOF");
        file
    }
}

/// An object stream's data for `members` (uncompressed): the `number
/// offset` pairs, then the objects; and its `/First`.
fn object_stream(members: &[(Ref, &[u8])]) -> (Vec<u8>, usize) {
    let mut header = Vec::with_capacity(12 * members.len());
    let mut at = 0usize;
    for (id, body) in members {
        push_int(&mut header, id.get());
        header.push(b' ');
        push_int(&mut header, at as i32);
        header.push(b' ');
        at += body.len() + 1;
    }
    let first = header.len();
    let mut data = header;
    data.reserve(at);
    for (_, body) in members {
        data.extend_from_slice(body);
        data.push(b'\n');
    }
    (data, first)
}

/// Writes `n` in decimal.
pub(crate) fn push_int(buf: &mut Vec<u8>, n: i32) {
    let mut digits = [0u8; 11];
    let mut i = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Writes a reference `N 0 R`.
pub(crate) fn push_ref(buf: &mut Vec<u8>, r: Ref) {
    push_int(buf, r.get());
    buf.extend_from_slice(b" 0 R");
}

fn hex_byte(b: u8) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]
}

/// The outline: each level-1 heading with the level-2 headings after it
/// below it (a level-2 heading before any level-1 one stands at the top),
/// all open, each going to the top of its heading.
fn write_outline(
    out: &mut Out,
    outline_id: Ref,
    headings: &[tagged::Heading],
    pages: &[Ref],
    alloc: &mut Ref,
) {
    let ids: Vec<Ref> = headings.iter().map(|_| alloc.bump()).collect();
    // parent[i]: index of the heading it sits under, None at the top.
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(headings.len());
    let mut last_top = None;
    for (i, h) in headings.iter().enumerate() {
        if h.level == 1 {
            parent.push(None);
            last_top = Some(i);
        } else {
            parent.push(last_top);
        }
    }
    let kids = |of: Option<usize>| -> Vec<usize> {
        (0..headings.len()).filter(|&i| parent[i] == of).collect()
    };
    for (i, h) in headings.iter().enumerate() {
        let siblings = kids(parent[i]);
        let pos = siblings.iter().position(|&s| s == i).unwrap_or(0);
        let children = kids(Some(i));
        let mut item = out.at(ids[i]).outline_item(ids[i]);
        item.title(TextStr(&h.title));
        item.parent(parent[i].map_or(outline_id, |p| ids[p]));
        if pos > 0 {
            item.prev(ids[siblings[pos - 1]]);
        }
        if let Some(&next) = siblings.get(pos + 1) {
            item.next(ids[next]);
        }
        if let (Some(&first), Some(&last)) = (children.first(), children.last()) {
            item.first(ids[first]);
            item.last(ids[last]);
            item.count(children.len() as i32);
        }
        if let Some(page) = pages.get(h.page) {
            item.dest().page(*page).xyz(LEFT_EDGE, h.top, None);
        }
    }
    let top = kids(None);
    let mut outline = out.at(outline_id).outline(outline_id);
    if let (Some(&first), Some(&last)) = (top.first(), top.last()) {
        outline.first(ids[first]);
        outline.last(ids[last]);
    }
    outline.count(headings.len() as i32);
}

/// Where an outline entry puts the page's left edge: the page's own.
const LEFT_EDGE: f32 = 0.0;

fn font_name(f: FontId) -> Name<'static> {
    match f {
        FontId::Regular => Name(b"F1"),
        FontId::Bold => Name(b"F2"),
    }
}

/// What a drawn item is marked as: a structure element's content (its
/// tag), the footer (a pagination artifact) or a table rule (a layout
/// artifact, `None`).
fn mark_of(item: &Item) -> Option<Tag> {
    match item {
        Item::Text(run) => Some(run.tag),
        Item::Rule { .. } => None,
    }
}

/// Points as hundredths, the precision of every coordinate written.
fn centi(v: f32) -> i32 {
    (v * 100.0).round() as i32
}

/// Writes `v` hundredths as a decimal: `72`, `700.5`, `-13.75`.
fn push_centi(buf: &mut Vec<u8>, v: i32) {
    if v < 0 {
        buf.push(b'-');
    }
    let a = v.unsigned_abs();
    push_int(buf, (a / 100) as i32);
    let frac = a % 100;
    if frac != 0 {
        buf.push(b'.');
        buf.push(b'0' + (frac / 10) as u8);
        if !frac.is_multiple_of(10) {
            buf.push(b'0' + (frac % 10) as u8);
        }
    }
}

/// Writes `bytes` as the inside of a literal string.
fn push_literal(buf: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => buf.extend_from_slice(&[b'\\', b]),
            // An unescaped CR would be read back as LF.
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// A page's content stream, written operator by operator: text objects
/// hold consecutive runs of one marked-content sequence, positioned with
/// `Td` from the previous line, the font set only when it changes, glyphs
/// as one- (or two-) byte codes in literal strings.
fn page_content(
    page: &Page,
    page_index: usize,
    fonts: &FontSet,
    used: &BTreeMap<FontId, Arc<FontObjects>>,
    structure: &mut tagged::Structure,
) -> Vec<u8> {
    let mut c: Vec<u8> = Vec::with_capacity(12 * 1024);
    let mut stroke_set = false;
    // The mark of the open marked-content sequence, if one is open.
    let mut open: Option<Option<Tag>> = None;
    // Inside BT..ET: the start of the current line (hundredths of a point).
    let mut text_at: Option<(i32, i32)> = None;
    // The font and size (hundredths) set last; text state outlives ET.
    let mut font_set: Option<(FontId, i32)> = None;
    let mut codes: Vec<u8> = Vec::with_capacity(256);
    for item in &page.items {
        let mark = mark_of(item);
        if open != Some(mark) {
            if text_at.take().is_some() {
                c.extend_from_slice(b"ET\n");
            }
            if open.is_some() {
                c.extend_from_slice(b"EMC\n");
            }
            match mark {
                None => c.extend_from_slice(b"/Artifact BMC\n"),
                Some(Tag::Artifact) => {
                    c.extend_from_slice(b"/Artifact<</Type/Pagination/Subtype/Footer>>BDC\n")
                }
                Some(tag) => match structure.open(page_index, tag) {
                    Some((mcid, name)) => {
                        c.push(b'/');
                        c.extend_from_slice(name.0);
                        c.extend_from_slice(b"<</MCID ");
                        push_int(&mut c, mcid);
                        c.extend_from_slice(b">>BDC\n");
                    }
                    // Only artifacts have no element, and they are handled above.
                    None => c.extend_from_slice(b"/Artifact BMC\n"),
                },
            }
            open = Some(mark);
        }
        match item {
            Item::Text(run) => {
                let Some(u) = used.get(&run.font) else {
                    continue;
                };
                structure.heading_text(run.tag, page_index, PAGE_H - run.y + run.size, &run.text);
                let face = fonts.get(run.font);
                let upm = f32::from(face.units_per_em);
                let (x, y) = (centi(run.x), centi(PAGE_H - run.y));
                let (lx, ly) = match text_at {
                    Some(at) => at,
                    None => {
                        c.extend_from_slice(b"BT\n");
                        (0, 0)
                    }
                };
                let size = centi(run.size);
                if font_set != Some((run.font, size)) {
                    c.push(b'/');
                    c.extend_from_slice(font_name(run.font).0);
                    c.push(b' ');
                    push_centi(&mut c, size);
                    c.extend_from_slice(b" Tf\n");
                    font_set = Some((run.font, size));
                }
                push_centi(&mut c, x - lx);
                c.push(b' ');
                push_centi(&mut c, y - ly);
                c.extend_from_slice(b" Td\n");
                text_at = Some((x, y));

                // Kerning as whole thousandths of an em, the rounding error
                // carried to the next adjustment so that it never adds up.
                let mut carry = 0.0f32;
                let start = c.len();
                c.extend_from_slice(b"[(");
                let mut adjusted = false;
                for g in &run.glyphs {
                    let new = u.remap.get(usize::from(g.id)).copied().unwrap_or(0);
                    codes.clear();
                    if u.one_byte {
                        codes.push(new as u8);
                    } else {
                        codes.extend_from_slice(&new.to_be_bytes());
                    }
                    push_literal(&mut c, &codes);
                    let default = face.default_advance(g.id);
                    if g.advance != default {
                        let want = -((g.advance - default) as f32) * 1000.0 / upm + carry;
                        let n = want.round();
                        carry = want - n;
                        if n != 0.0 {
                            c.push(b')');
                            push_int(&mut c, n as i32);
                            c.push(b'(');
                            adjusted = true;
                        }
                    }
                }
                if adjusted {
                    c.extend_from_slice(b")]TJ\n");
                } else {
                    // No adjustment: a plain string.
                    c.remove(start);
                    c.extend_from_slice(b")Tj\n");
                }
            }
            Item::Rule {
                x1,
                y1,
                x2,
                y2,
                width,
            } => {
                if text_at.take().is_some() {
                    c.extend_from_slice(b"ET\n");
                }
                if !stroke_set {
                    c.extend_from_slice(b"0.43 G\n");
                    stroke_set = true;
                }
                push_centi(&mut c, centi(*width));
                c.extend_from_slice(b" w\n");
                for (cmd, (x, y)) in [(b" m\n", (x1, y1)), (b" l\n", (x2, y2))] {
                    push_centi(&mut c, centi(*x));
                    c.push(b' ');
                    push_centi(&mut c, centi(PAGE_H - y));
                    c.extend_from_slice(cmd);
                }
                c.extend_from_slice(b"S\n");
            }
        }
    }
    if text_at.is_some() {
        c.extend_from_slice(b"ET\n");
    }
    if open.is_some() {
        c.extend_from_slice(b"EMC\n");
    }
    c
}

/// A ToUnicode CMap for `pairs` (code → character, sorted by code), codes
/// of `width` bytes: runs of consecutive codes and characters as ranges,
/// the rest one by one.
fn to_unicode(pairs: &[(u16, char)], width: usize) -> Vec<u8> {
    fn hex(buf: &mut Vec<u8>, v: u16, bytes: usize) {
        for b in &v.to_be_bytes()[2 - bytes..] {
            buf.extend_from_slice(&hex_byte(*b));
        }
    }
    fn utf16(buf: &mut Vec<u8>, c: char) {
        buf.push(b'<');
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            hex(buf, *u, 2);
        }
        buf.push(b'>');
    }
    // (first code, last code, first character)
    let mut ranges: Vec<(u16, u16, char)> = Vec::new();
    for &(code, ch) in pairs {
        if let Some(last) = ranges.last_mut() {
            let next = u32::from(last.2) + u32::from(last.1 - last.0) + 1;
            // A range may only step the last byte of code and character.
            if code == last.1 + 1
                && u32::from(ch) == next
                && (ch as u32) < 0x1_0000
                && code & 0xFF != 0
                && ch as u32 & 0xFF != 0
            {
                last.1 = code;
                continue;
            }
        }
        ranges.push((code, code, ch));
    }
    let mut out = Vec::with_capacity(512 + 16 * ranges.len());
    out.extend_from_slice(b"/CIDInit/ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo<</Registry(Adobe)/Ordering(UCS)/Supplement 0>>def\n/CMapName/Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n");
    out.push(b'<');
    hex(&mut out, 0, width);
    out.extend_from_slice(b"> <");
    hex(&mut out, if width == 1 { 0xFF } else { 0xFFFF }, width);
    out.extend_from_slice(b">\nendcodespacerange\n");
    let (spans, singles): (Vec<_>, Vec<_>) = ranges.iter().partition(|r| r.0 != r.1);
    for block in spans.chunks(100) {
        push_int(&mut out, block.len() as i32);
        out.extend_from_slice(b" beginbfrange\n");
        for (a, b, ch) in block {
            out.push(b'<');
            hex(&mut out, *a, width);
            out.extend_from_slice(b"> <");
            hex(&mut out, *b, width);
            out.extend_from_slice(b"> ");
            utf16(&mut out, *ch);
            out.push(b'\n');
        }
        out.extend_from_slice(b"endbfrange\n");
    }
    for block in singles.chunks(100) {
        push_int(&mut out, block.len() as i32);
        out.extend_from_slice(b" beginbfchar\n");
        for (a, _, ch) in block {
            out.push(b'<');
            hex(&mut out, *a, width);
            out.extend_from_slice(b"> ");
            utf16(&mut out, *ch);
            out.push(b'\n');
        }
        out.extend_from_slice(b"endbfchar\n");
    }
    out.extend_from_slice(b"endcmap\nCMapName currentdict/CMap defineresource pop\nend\nend");
    out
}

fn build_font_objects(fonts: &FontSet, font: FontId, set: &GlyphSet) -> FontObjects {
    let face = fonts.get(font);
    let scale = 1000.0 / f32::from(face.units_per_em);
    let gids: Vec<u16> = set.gids().collect();
    let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&gids);
    let mut remap = vec![0u16; usize::from(gids.last().copied().unwrap_or(0)) + 1];
    for g in &gids {
        remap[usize::from(*g)] = remapper.get(*g).unwrap_or(0);
    }

    // Deterministic subset tag from the glyph set.
    let mut h = Sha256::new();
    h.update(face.postscript_name.as_bytes());
    for gid in &gids {
        h.update(gid.to_be_bytes());
    }
    let digest = h.finalize();
    let tag: String = digest[..6]
        .iter()
        .map(|b| (b'A' + b % 26) as char)
        .collect();
    let base_name = format!("{tag}+{}", face.postscript_name);

    // Widths to a tenth of a PDF unit: `277.8` where the exact value prints
    // as `277.83203`. A glyph moves by at most 0.05 / 1000 em (0.0006 pt at
    // 11 pt), and the `/W` arrays shrink by about a third.
    let width = |gid: u16| (face.default_advance(gid) as f32 * scale * 10.0).round() / 10.0;
    let mut widths = vec![0.0; usize::from(remapper.num_gids())];
    widths[0] = width(0);
    let one_byte = widths.len() <= 256;
    let mut pairs: Vec<(u16, char)> = Vec::with_capacity(gids.len());
    for &old in &gids {
        let new = remap[usize::from(old)];
        if let Some(w) = widths.get_mut(usize::from(new)) {
            *w = width(old);
        }
        if let Some(c) = face.unicode(old) {
            pairs.push((new, c));
        }
    }
    pairs.sort_unstable();
    let cmap = deflate_no_final_cr(
        &mut to_unicode(&pairs, if one_byte { 1 } else { 2 }),
        9,
        b'\n',
    );

    // Subsetting a built-in font with glyphs it has cannot fail; fall back to
    // the whole font rather than lose the text if it ever does.
    let subset = subsetter::subset(face.data, 0, &remapper).unwrap_or_else(|_| face.data.to_vec());
    // Hinting and glyph names are of no use on paper (about half the
    // subset); the rest is scaled to 1000 units per em (`truetype.rs`).
    let mut subset = truetype::strip_hinting(&subset);
    let file = deflate_no_final_cr(&mut subset, 9, 0);
    let (dicts, dicts_first) = font_dictionaries(fonts, font, &base_name, one_byte, &widths);
    FontObjects {
        font,
        set: set.clone(),
        remap,
        one_byte,
        dicts,
        dicts_first,
        cmap,
        file,
        file_len: subset.len(),
        base_name,
        widths,
    }
}

/// Writes a face's objects; `encoding` is the shared one-byte CMap.
/// Object numbers fixed for every file: the shared encoding CMap, then six
/// for each face (Type 0 font, CID font, descriptor, ToUnicode, font file,
/// and the object stream of the three dictionaries). Fixed, so that a
/// face's objects are the same bytes in every letter with its glyph set and
/// are made once, with the cached subset; a face a letter does not use
/// leaves its numbers free.
const ENCODING_ID: Ref = Ref::new(1);

fn face_ids(font: FontId) -> [Ref; 6] {
    let base = 2 + 6 * font as i32;
    std::array::from_fn(|i| Ref::new(base + i as i32))
}

/// The first object number of a letter's own objects.
const FIRST_LETTER_ID: i32 = 2 + 6 * FontId::ALL.len() as i32;

/// A face's three dictionaries (Type 0, CID font with its widths,
/// descriptor) at its fixed numbers, as an object stream's data: the
/// compressed bytes and `/First`.
fn font_dictionaries(
    fonts: &FontSet,
    font: FontId,
    base_name: &str,
    one_byte: bool,
    widths: &[f32],
) -> (Vec<u8>, usize) {
    let [type0_id, cid_id, descriptor_id, cmap_id, file_id, _] = face_ids(font);
    let mut out = Out::new();
    let face = fonts.get(font);
    let scale = 1000.0 / f32::from(face.units_per_em);
    let base_name = Name(base_name.as_bytes());

    let mut type0 = out.at(type0_id).type0_font(type0_id);
    type0.base_font(base_name);
    if one_byte {
        type0.encoding_cmap(ENCODING_ID);
    } else {
        type0.encoding_predefined(Name(b"Identity-H"));
    }
    type0.descendant_font(cid_id).to_unicode(cmap_id);
    type0.finish();

    let mut cid = out.at(cid_id).cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_name)
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        })
        .font_descriptor(descriptor_id)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut w = cid.widths();
    w.consecutive(0, widths_of(widths));
    w.finish();
    cid.finish();

    let b = face.bbox;
    let mut flags = FontFlags::NON_SYMBOLIC;
    if face.weight >= 600 {
        flags |= FontFlags::FORCE_BOLD;
    }
    out.at(descriptor_id)
        .font_descriptor(descriptor_id)
        .name(base_name)
        .flags(flags)
        .bbox(Rect::new(
            f32::from(b[0]) * scale,
            f32::from(b[1]) * scale,
            f32::from(b[2]) * scale,
            f32::from(b[3]) * scale,
        ))
        .italic_angle(face.italic_angle)
        .ascent(f32::from(face.ascender) * scale)
        .descent(f32::from(face.descender) * scale)
        .cap_height(f32::from(face.cap_height) * scale)
        .stem_v(if face.weight >= 600 { 140.0 } else { 80.0 })
        .font_file2(file_id);

    let members = out.members();
    let (mut data, first) = object_stream(&members);
    (deflate_no_final_cr(&mut data, 9, b'\n'), first)
}

fn widths_of(w: &[f32]) -> impl Iterator<Item = f32> + '_ {
    w.iter().copied()
}

/// Writes a face's objects for one letter: its cached object stream of
/// dictionaries and its two streams, at the face's fixed numbers.
fn write_font(out: &mut Out, font: FontId, u: &FontObjects) {
    let [type0_id, cid_id, descriptor_id, cmap_id, file_id, stm_id] = face_ids(font);
    out.cached_object_stream(
        stm_id,
        &u.dicts,
        u.dicts_first,
        &[type0_id, cid_id, descriptor_id],
    );
    out.stream_at(cmap_id)
        .cmap(cmap_id, &u.cmap)
        .filter(Filter::FlateDecode);
    out.stream_at(file_id)
        .stream(file_id, &u.file)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), u.file_len as i32);
}

/// zlib-compresses `data` as small as it goes (for cached font objects).
fn deflate_best(data: &[u8]) -> Vec<u8> {
    deflate_level(data, 9)
}

/// zlib-compresses `data` (flate2 with the zlib-rs backend).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    deflate_level(data, 1)
}

/// zlib-compresses `data` at `level` so that the result does not end in a
/// carriage return, adding `pad` bytes to `data` (whitespace after a content
/// stream, CMap or object stream; a zero after a font file, whose `/Length1`
/// is taken from `data` afterwards) until it does not.
///
/// A stream is written `DATA LF endstream`; data ending in CR reads as
/// `... CR LF endstream`, an end-of-line of two bytes, to a PDF/A
/// validator, which then finds `/Length` one byte too long
/// (PDFA2A-STREAM-LENGTH-001). The last byte of zlib data is the low byte of
/// the Adler-32 of the plain data, so about one stream in 256 ends in CR and
/// compressing again cannot help: changing the data does. Each pad byte is a
/// fresh chance of 255 in 256; after 16 the stream would take 256^16 tries.
fn deflate_no_final_cr(data: &mut Vec<u8>, level: u32, pad: u8) -> Vec<u8> {
    let mut z = deflate_level(data, level);
    for _ in 0..16 {
        if z.last() != Some(&b'\r') {
            break;
        }
        data.push(pad);
        z = deflate_level(data, level);
    }
    z
}

thread_local! {
    /// One zlib compressor per level and thread, reset between streams: the
    /// compressor's window and hash tables (a few hundred KB) are allocated
    /// and cleared once, not for every stream.
    static COMPRESSORS: RefCell<HashMap<u32, flate2::Compress>> = RefCell::new(HashMap::new());
}

fn deflate_level(data: &[u8], level: u32) -> Vec<u8> {
    COMPRESSORS.with(|c| {
        let mut map = c.borrow_mut();
        let z = map
            .entry(level)
            .or_insert_with(|| flate2::Compress::new(flate2::Compression::new(level), true));
        z.reset();
        compress_all(z, data).unwrap_or_else(|| deflate_fresh(data, level))
    })
}

/// Compresses `data` as one zlib stream; None if the compressor fails (it
/// does not when writing into a growing Vec).
fn compress_all(z: &mut flate2::Compress, data: &[u8]) -> Option<Vec<u8>> {
    let start = z.total_in();
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let consumed = usize::try_from(z.total_in() - start).ok()?;
        match z.compress_vec(
            data.get(consumed..)?,
            &mut out,
            flate2::FlushCompress::Finish,
        ) {
            Ok(flate2::Status::StreamEnd) => return Some(out),
            Ok(_) => out.reserve(out.capacity().max(1024)),
            Err(_) => return None,
        }
    }
}

/// The same stream from a brand-new compressor (the fallback, and the
/// reference the tests compare the reused compressor against).
fn deflate_fresh(data: &[u8], level: u32) -> Vec<u8> {
    let mut z = flate2::Compress::new(flate2::Compression::new(level), true);
    compress_all(&mut z, data).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    #[test]
    fn reused_compressor_round_trips_every_stream() {
        let inputs: Vec<Vec<u8>> = vec![
            b"BT /F1 11 Tf ET".repeat(300),
            Vec::new(),
            (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect(),
            b"short".to_vec(),
        ];
        for level in [1, 9] {
            for input in &inputs {
                let packed = super::deflate_level(input, level);
                let mut back = Vec::new();
                flate2::read::ZlibDecoder::new(&packed[..])
                    .read_to_end(&mut back)
                    .expect("valid zlib");
                assert_eq!(&back, input);
            }
        }
    }

    #[test]
    fn no_compressed_stream_ends_in_a_carriage_return() {
        // A content stream whose zlib data ends in CR, found by trying.
        // The last byte is the low byte of the Adler-32's sum of the bytes,
        // so streams of different lengths reach every value.
        let mut data = (1..600usize)
            .map(|i| b"q Q\n".repeat(i))
            .find(|d| super::deflate_level(d, 1).last() == Some(&b'\r'))
            .expect("one in about 256 ends in CR");
        let plain = data.clone();
        let packed = super::deflate_no_final_cr(&mut data, 1, b'\n');
        assert_ne!(packed.last(), Some(&b'\r'));
        assert!(data.starts_with(&plain) && data.len() > plain.len());
        assert!(data[plain.len()..].iter().all(|&b| b == b'\n'));
        let mut back = Vec::new();
        flate2::read::ZlibDecoder::new(&packed[..])
            .read_to_end(&mut back)
            .expect("valid zlib");
        assert_eq!(back, data);
        // The streams made once for every file.
        assert_ne!(super::srgb_profile().last(), Some(&b'\r'));
        assert_ne!(super::one_byte_cmap().last(), Some(&b'\r'));
    }
}

#[cfg(test)]
mod history_tests {
    #[test]
    fn output_does_not_depend_on_earlier_streams() {
        let a = b"BT /F1 11 Tf [(Hello)] TJ ET ".repeat(200);
        let b: Vec<u8> = (0..9000u32).map(|i| (i * 13 % 256) as u8).collect();
        let fresh_a = super::deflate_fresh(&a, 1);
        let first = super::deflate_level(&a, 1);
        let _ = super::deflate_level(&b, 1);
        let again = super::deflate_level(&a, 1);
        assert_eq!(first, again, "same stream twice");
        assert_eq!(
            first.len(),
            fresh_a.len(),
            "fresh {} reused {}",
            fresh_a.len(),
            first.len()
        );
        assert_eq!(first, fresh_a, "reused compressor matches a fresh encoder");
    }
}
