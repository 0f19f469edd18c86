//! letterkit renders the letters, forms and court packs of the UK Child
//! Maintenance Service from YAML definitions, as print-ready PDF.
//!
//! # Pipeline
//!
//! 1. [`catalog`]: letter definitions (`letters/*.yaml`) and the paragraph
//!    library (`paragraphs/`), read raw and checked into typed form.
//! 2. [`request`]: one letter's input (YAML or JSON), validated against its
//!    definition, every problem reported with file:line:column.
//! 3. [`compose`]: reason codes → paragraphs, Tera fills the template, the
//!    output becomes document blocks.
//! 4. [`layout`]: blocks → positioned lines on A4 pages (window-envelope
//!    geometry, real line breaking with the font's metrics and kerning).
//! 5. [`pdf`]: pages → PDF bytes with subset fonts, reproducibly. Large
//!    print is the same layout with a larger profile
//!    ([`layout::Profile::large_print`]); braille goes from the composed
//!    blocks through a [`braille::Translator`] to braille pages, BRF and PEF
//!    ([`braille`]), with a print carrier page for the envelope.
//! 6. [`pack`] (court packs as zip archives, stage by stage, following the
//!    catalog's `packs/*.yaml`) and [`batch`] (many requests, all cores,
//!    resumable).
//! 7. [`outbox`]: every letter made for the post, in a store, from queueing
//!    through cancel, suppress and supersede to the end-of-day transmission's
//!    zips, the provider's reports and reissues.
//! 8. [`admin`]: for the wording owners: proofs of every variant of a
//!    letter, and what a wording change between two catalogs touches.
//!
//! What touches the filesystem or the network: [`Catalog::from_dir`] and
//! [`Engine::from_dir`] (they read a catalog folder), the file batch
//! ([`batch::run`]: its inputs, output folder and manifest), [`files`]
//! (atomic writes and locks), [`pack::folder`] (packs kept in a folder),
//! the [`outbox`]'s stores (its SQLite file, or a PostgreSQL database over
//! the network), [`braille::Liblouis`] (runs `lou_translate`) and the
//! binary. Everything else is pure: the shipped catalog is compiled in
//! ([`Engine::builtin`]), and requests, rendering, packs and the streaming
//! batch ([`batch::stream`]) work on values in memory. The library has no
//! async runtime: `letterkit serve` (the binary, feature `serve`) runs it on
//! a blocking pool. Nothing in the library reads the clock: the outbox takes
//! the time as an input. Time and identity are inputs: the same request
//! gives the same bytes.
//!
//! # For a service
//!
//! - One checked way in: a [`Request`] is only made by validation, from
//!   text ([`Engine::parse_request`]), from JSON data
//!   ([`Engine::request_from_value`]), from anything serde reads into a
//!   [`request::UncheckedRequest`] ([`Engine::check`]), or in code with a
//!   [`request::RequestBuilder`]. Each reports every problem at once as
//!   [`request::Diagnostic`]s: a stable [`request::Code`], a JSON Pointer,
//!   line and column where there is a source text, allowed values and a
//!   suggestion (`Serialize`). So an invalid request never reaches the
//!   renderer.
//! - A request serialises to its canonical form
//!   ([`Request::canonical_json`]), whose hash is its identity
//!   ([`request_ident`]); [`Rendered`] has the PDF with its SHA-256, size,
//!   pages, title and the catalog's digest.
//! - [`Engine::schema`]: the JSON Schema (2020-12) of a letter's request.
//! - [`batch::stream`]: requests in, results out in input order, on N
//!   threads, cancellable ([`batch::Cancel`]), with flat memory; the CLI's
//!   file batch runs on the same core.
//! - Errors are typed ([`Error`], [`batch::ItemError`],
//!   [`pack::VerifyProblem`], ...), their `Display` the CLI's text.
//! - Features: `serve` (default) adds the HTTP service's dependencies
//!   (axum, tokio) and `postgres` (the PostgreSQL outbox store). Depend
//!   with `default-features = false` for the library without an async
//!   runtime or a PostgreSQL client.
//!
//! See `examples/service.rs` for a request built in code, rendered, and a
//! streaming batch.
//!
//! # Example
//!
//! ```
//! use letterkit::{Engine, RenderOptions};
//!
//! let engine = Engine::builtin()?;
//! let request = engine.parse_request(
//!     r#"
//! letter: CMSL5503
//! date: 2026-03-02
//! reference: "1234 5678 9012"
//! recipient:
//!   name: Ms Priya Patel
//!   address: ["14 Church Lane", "Leeds"]
//!   postcode: LS6 1AB
//! fields:
//!   meeting-date: 2026-03-16
//!   meeting-time: "10:30"
//!   meeting-location: Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ
//! "#,
//!     "example.yaml",
//! )?;
//! let rendered = engine.render(&request, &RenderOptions::default())?;
//! assert!(rendered.pdf.starts_with(b"%PDF-"));
//! assert_eq!(rendered.pages, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(clippy::missing_errors_doc)]

pub mod admin;
pub mod batch;
pub mod braille;
pub mod catalog;
pub mod compose;
pub mod files;
pub mod fonts;
pub mod layout;
pub mod outbox;
pub mod pack;
pub mod pdf;
pub mod request;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use catalog::{Catalog, CatalogError};
pub use request::{Request, RequestError};

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The catalog (letters, paragraphs, templates) is not valid.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A request is not valid.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A template failed to render.
    #[error(transparent)]
    Compose(#[from] compose::ComposeError),
    /// The request names a letter the catalog does not have.
    #[error("unknown letter `{code}`; the catalog has: {}", .known.join(", "))]
    UnknownLetter {
        /// The code asked for.
        code: String,
        /// The codes the catalog has.
        known: Vec<String>,
    },
    /// The rendered letter breaks a print rule (e.g. more than 10 pages).
    #[error("{code}: {message}")]
    Print {
        /// Letter code.
        code: String,
        /// Which rule.
        message: String,
    },
    /// The braille could not be made.
    #[error("{code}: {source}")]
    Braille {
        /// Letter code.
        code: String,
        /// What went wrong.
        #[source]
        source: braille::BrailleError,
    },
    /// A braille request was given to [`Engine::render`], which has no
    /// translator: use [`Engine::render_braille`].
    #[error(
        "{code}: a braille letter needs a braille translator: render it with Engine::render_braille"
    )]
    NeedsTranslator {
        /// Letter code.
        code: String,
    },
    /// Rendering this request hit a bug (a panic caught by a batch or
    /// stream, so the other requests go on).
    #[error("internal error while rendering this request (please report it)")]
    Internal,
}

/// Options for one render. Nothing here is read from the clock.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RenderOptions {
    /// PDF creation date; defaults to the letter's date at 00:00:00 UTC.
    pub created: Option<pdf::Timestamp>,
    /// Identity for the PDF file ID; defaults to a hash of the request.
    pub ident: Option<String>,
}

impl RenderOptions {
    /// The PDF's creation date.
    #[must_use]
    pub fn with_created(mut self, created: pdf::Timestamp) -> RenderOptions {
        self.created = Some(created);
        self
    }

    /// The identity the PDF file ID is made from.
    #[must_use]
    pub fn with_ident(mut self, ident: impl Into<String>) -> RenderOptions {
        self.ident = Some(ident.into());
        self
    }
}

/// A rendered document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rendered {
    /// The PDF bytes.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// SHA-256 of the PDF, hex.
    pub sha256: String,
    /// The document's title (letter code and title), as the PDF gives it.
    pub title: String,
    /// The digest of the catalog that rendered it ([`Catalog::digest`]).
    pub catalog_digest: String,
}

impl Rendered {
    /// Size of the PDF in bytes.
    pub fn size(&self) -> usize {
        self.pdf.len()
    }
}

/// A letter rendered in braille: the braille in two encodings from one page
/// model, and the print carrier page that goes in the window envelope.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrailleRendered {
    /// The braille as BRF (Braille ASCII).
    pub brf: Vec<u8>,
    /// The braille as PEF 1.0 (XML, Unicode braille).
    pub pef: Vec<u8>,
    /// The carrier page PDF: the window address, "This letter is in
    /// braille" and the reference.
    pub carrier: Rendered,
    /// The translated paragraphs and the pages.
    pub document: braille::Document,
}

/// Most pages a posted letter may have (5 double-sided sheets).
pub const MAX_LETTER_PAGES: usize = 10;

/// A loaded catalog with its fonts parsed and templates compiled, ready to
/// render many requests (share it across threads by reference).
pub struct Engine {
    catalog: Catalog,
    fonts: fonts::FontSet,
    composer: compose::Composer,
}

impl Engine {
    /// The catalog shipped in the binary.
    ///
    /// # Errors
    /// [`Error::Catalog`] when the shipped catalog does not load (a build that went
    /// wrong).
    pub fn builtin() -> Result<Engine, Error> {
        Engine::new(Catalog::builtin()?)
    }

    /// A catalog folder (`catalog.yaml`, `letters/`, `paragraphs/`).
    ///
    /// # Errors
    /// [`Error::Catalog`] with every problem of the catalog folder (files that cannot
    /// be read or do not check, templates that do not compile).
    pub fn from_dir(dir: &Path) -> Result<Engine, Error> {
        Engine::new(Catalog::from_dir(dir)?)
    }

    /// An engine for an already loaded catalog. Each letter's template is
    /// compiled when the letter is first composed (a loaded catalog has
    /// checked that every template compiles).
    ///
    /// # Errors
    /// None today: the `Result` is kept so that an engine may check more
    /// as it is made without changing its callers.
    pub fn new(catalog: Catalog) -> Result<Engine, Error> {
        let composer = compose::Composer::new(&catalog);
        Ok(Engine {
            catalog,
            fonts: fonts::FontSet::builtin(),
            composer,
        })
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The fonts.
    pub fn fonts(&self) -> &fonts::FontSet {
        &self.fonts
    }

    /// Parses and validates a request; `origin` names it in errors and its
    /// extension gives the syntax: strict JSON for `.json`, `.jsonl` and
    /// `.ndjson`, YAML otherwise ([`request::Format::from_origin`]).
    ///
    /// # Errors
    /// Every problem in the request (syntax, or its checks against the letter), each
    /// with its line, column and JSON Pointer.
    pub fn parse_request(&self, text: &str, origin: &str) -> Result<Request, RequestError> {
        request::parse_request(text, origin, 0, &self.catalog, &self.fonts)
    }

    /// Parses and validates a request written in `format`, whatever
    /// `origin` (which names it in errors) says.
    ///
    /// # Errors
    /// As [`Engine::parse_request`].
    pub fn parse_request_as(
        &self,
        text: &str,
        origin: &str,
        format: request::Format,
    ) -> Result<Request, RequestError> {
        request::parse_request_as(text, origin, 0, format, &self.catalog, &self.fonts)
    }

    /// Validates a request a program holds as JSON, through the same checks
    /// as [`Engine::parse_request`]. Diagnostics have no line and column
    /// (`origin:0:0:`); their JSON Pointer says where the problem is.
    ///
    /// # Errors
    /// Every problem in the request.
    pub fn request_from_value(
        &self,
        value: &serde_json::Value,
        origin: &str,
    ) -> Result<Request, RequestError> {
        request::validate(
            &request::from_json(value),
            origin,
            &self.catalog,
            &self.fonts,
        )
    }

    /// Validates a request a program received as data and deserialised
    /// (see [`request::UncheckedRequest`]), as [`Engine::request_from_value`].
    ///
    /// # Errors
    /// Every problem in the request, each with its JSON Pointer.
    pub fn check(
        &self,
        input: &request::UncheckedRequest,
        origin: &str,
    ) -> Result<Request, RequestError> {
        self.request_from_value(input.as_value(), origin)
    }

    /// The JSON Schema (2020-12) of a request for the letter `code`, built
    /// from its definition; `None` when the catalog has no such letter.
    pub fn schema(&self, code: &str) -> Option<serde_json::Value> {
        self.catalog
            .letter(code)
            .map(|l| request::schema::letter_schema(&self.catalog, l))
    }

    /// Validates an already parsed tree (e.g. built from a CSV row).
    ///
    /// # Errors
    /// Every problem in the request, each with its position and JSON Pointer.
    pub fn validate(&self, tree: &request::Node, origin: &str) -> Result<Request, RequestError> {
        request::validate(tree, origin, &self.catalog, &self.fonts)
    }

    /// Composes a request into blocks (no layout).
    ///
    /// # Errors
    /// [`Error::UnknownLetter`] for a catalog without the request's letter (a request
    /// checked by another catalog), [`Error::Compose`] when the template fails.
    pub fn compose(&self, request: &Request) -> Result<compose::Composed, Error> {
        let letter = self.letter(&request.letter)?;
        Ok(self.composer.compose(&self.catalog, letter, request)?)
    }

    fn letter(&self, code: &str) -> Result<&catalog::Letter, Error> {
        self.catalog
            .letter(code)
            .ok_or_else(|| Error::UnknownLetter {
                code: code.to_owned(),
                known: self.catalog.letters().map(|l| l.code.clone()).collect(),
            })
    }

    /// Lays a request out on pages, in its format's profile (standard or
    /// large print; a braille request gives its carrier page).
    ///
    /// # Errors
    /// As [`Engine::compose`].
    pub fn layout(&self, request: &Request) -> Result<Vec<layout::Page>, Error> {
        let letter = self.letter(&request.letter)?;
        let doc = self.compose(request)?;
        Ok(match request.format {
            request::LetterFormat::Braille { .. } => {
                let carrier = self.catalog.settings.braille_carrier.as_ref();
                layout::layout(&carrier_doc(&doc, letter, carrier)?, &self.fonts)
            }
            format => layout::layout_with(&doc, &self.fonts, &layout::Profile::for_format(format)),
        })
    }

    /// Renders a request to PDF bytes: standard or large print, as the
    /// request's `format` says. A braille request needs a translator:
    /// [`Engine::render_braille`].
    ///
    /// # Errors
    /// As [`Engine::compose`]; [`Error::NeedsTranslator`] for a braille request;
    /// [`Error::Print`] when the letter breaks a print rule (more than
    /// [`MAX_LETTER_PAGES`] pages).
    pub fn render(&self, request: &Request, options: &RenderOptions) -> Result<Rendered, Error> {
        let letter = self.letter(&request.letter)?;
        if request.format.is_braille() {
            return Err(Error::NeedsTranslator {
                code: letter.code.clone(),
            });
        }
        let doc = self.composer.compose(&self.catalog, letter, request)?;
        let profile = layout::Profile::for_format(request.format);
        let pages = layout::layout_with(&doc, &self.fonts, &profile);
        self.write(letter, request, &pages, options)
    }

    /// Renders a braille request: the braille (BRF and PEF, from one page
    /// model) through `translator`, and its print carrier page. The
    /// request's `format` must be braille; its grade and profile apply.
    ///
    /// # Errors
    /// As [`Engine::render`]; [`Error::Print`] when the request is not braille;
    /// [`Error::Braille`] when the translator fails or the language has no braille.
    pub fn render_braille(
        &self,
        request: &Request,
        translator: &dyn braille::Translator,
        options: &RenderOptions,
    ) -> Result<BrailleRendered, Error> {
        let letter = self.letter(&request.letter)?;
        let request::LetterFormat::Braille { grade, profile } = request.format else {
            return Err(Error::Print {
                code: letter.code.clone(),
                message: format!(
                    "the request's format is `{}`, not braille: render it with Engine::render",
                    request.format.name()
                ),
            });
        };
        let doc = self.composer.compose(&self.catalog, letter, request)?;
        let document =
            braille::build(&doc, grade, profile, translator).map_err(|source| Error::Braille {
                code: letter.code.clone(),
                source,
            })?;
        let ident = options
            .ident
            .clone()
            .unwrap_or_else(|| request_ident(request));
        let brf = braille::brf(&document.pages);
        let pef = braille::pef(
            &document.pages,
            &braille::PefMeta {
                identifier: format!("urn:letterkit:{ident}"),
                title: format!("{} {}", letter.code, letter.title),
                language: request.language.tag().to_owned(),
                date: request.date.to_string(),
            },
        );
        let carrier = self.catalog.settings.braille_carrier.as_ref();
        let carrier = layout::layout(&carrier_doc(&doc, letter, carrier)?, &self.fonts);
        let carrier = self.write(letter, request, &carrier, options)?;
        Ok(BrailleRendered {
            brf,
            pef,
            carrier,
            document,
        })
    }

    /// Checks the page limit and writes the PDF.
    fn write(
        &self,
        letter: &catalog::Letter,
        request: &Request,
        pages: &[layout::Page],
        options: &RenderOptions,
    ) -> Result<Rendered, Error> {
        if letter.kind == catalog::DocKind::Letter && pages.len() > MAX_LETTER_PAGES {
            let message = match request.format {
                request::LetterFormat::LargePrint { size } => format!(
                    "in large print at {size} pt the letter has {} pages; a posted letter may have at most {MAX_LETTER_PAGES}: choose a smaller size (16 pt is the usual one)",
                    pages.len()
                ),
                _ => format!(
                    "the letter has {} pages; a posted letter may have at most {MAX_LETTER_PAGES}",
                    pages.len()
                ),
            };
            return Err(Error::Print {
                code: letter.code.clone(),
                message,
            });
        }
        let created = options.created.unwrap_or(pdf::Timestamp {
            year: request.date.year,
            month: request.date.month,
            day: request.date.day,
            ..Default::default()
        });
        let ident = options
            .ident
            .clone()
            .unwrap_or_else(|| request_ident(request));
        let title = format!("{} {}", letter.code, letter.title);
        let opts = pdf::PdfOptions {
            title: title.clone(),
            language: request.language.tag().to_owned(),
            author: self.catalog.settings.author.clone(),
            subject: letter.code.clone(),
            created,
            ident,
        };
        let bytes = pdf::write_pdf(pages, &self.fonts, &opts);
        Ok(Rendered {
            sha256: hex(&Sha256::digest(&bytes)),
            pdf: bytes,
            pages: pages.len(),
            title,
            catalog_digest: self.catalog.digest().to_owned(),
        })
    }
}

/// The print carrier page of a braille letter: the letter's own page 1
/// (logo, sender zone with the date and reference, the window address) with
/// the catalog's carrier wording (`braille-carrier:` in `catalog.yaml`) as
/// its body.
fn carrier_doc(
    doc: &compose::Composed,
    letter: &catalog::Letter,
    carrier: Option<&catalog::Carrier>,
) -> Result<compose::Composed, Error> {
    let carrier = carrier.ok_or_else(|| Error::Print {
        code: letter.code.clone(),
        message: "the catalog has no wording for the braille carrier page: add `braille-carrier:` to its catalog.yaml".into(),
    })?;
    let reference = doc
        .meta
        .iter()
        .find(|(label, _)| label == "Our reference")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let fill = |t: &str| catalog::Carrier::fill(t, &reference, &letter.code, &letter.title);
    let mut blocks = vec![compose::Block::Heading {
        level: 1,
        text: fill(&carrier.heading),
    }];
    blocks.extend(carrier.paragraphs.iter().map(|p| {
        compose::Block::Paragraph(vec![compose::Inline {
            text: fill(p),
            bold: false,
        }])
    }));
    Ok(compose::Composed {
        blocks,
        ..doc.clone()
    })
}

/// A stable identity for a request: a hash of its content.
pub fn request_ident(request: &Request) -> String {
    // The canonical request, not `Debug` output (which may change with a
    // Rust release): the same request keeps its file ID on any build.
    request::canonical::CanonicalForm::of(request).ident()
}

/// Bytes as lower-case hex (digests in records and manifests).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_identity_of_a_request_is_the_hash_of_its_canonical_form() {
        let engine = super::Engine::builtin().expect("catalog");
        let r = engine
            .parse_request(
                "letter: CMSL5503\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Leeds\n",
                "r.yaml",
            )
            .expect("valid");
        use sha2::Digest as _;
        let canonical = crate::request::canonical::canonical_json(&r);
        let expected = super::hex(&sha2::Sha256::digest(canonical.as_bytes()));
        assert_eq!(super::request_ident(&r), expected[..32]);
        let rendered = engine
            .render(&r, &super::RenderOptions::default())
            .expect("renders");
        assert_eq!(
            rendered.sha256,
            super::hex(&sha2::Sha256::digest(&rendered.pdf))
        );
        assert_eq!(rendered.catalog_digest, engine.catalog().digest());
        assert_eq!(
            rendered.title,
            "CMSL5503 Your face to face meeting with us has been cancelled"
        );
        assert_eq!(rendered.size(), rendered.pdf.len());
        assert_eq!(
            engine.catalog().letters_read(),
            1,
            "checking and rendering a request reads its letter only"
        );
    }

    /// Welsh braille is refused by the library whatever made the request:
    /// by `Request::with_format` and by `Engine::render_braille` (a request
    /// outside the crate is only made by validation, which refuses it too).
    #[test]
    fn welsh_braille_is_refused_by_the_library() {
        struct Fake;
        impl crate::braille::Translator for Fake {
            fn translate(
                &self,
                paragraphs: &[String],
                _grade: crate::braille::Grade,
            ) -> Result<Vec<String>, crate::braille::BrailleError> {
                Ok(paragraphs.iter().map(|_| "\u{2801}".to_owned()).collect())
            }
        }
        let engine = super::Engine::builtin().expect("catalog");
        let mut r = engine
            .parse_request(
                "letter: CMSL5503\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Leeds\n",
                "r.yaml",
            )
            .expect("valid");
        r.language = crate::catalog::Language::Cy;
        let braille = crate::request::LetterFormat::Braille {
            grade: crate::request::Grade::Two,
            profile: crate::request::BrailleProfile::A4,
        };
        let e = r.clone().with_format(braille).expect_err("Welsh");
        assert_eq!(e.diagnostics[0].code, crate::request::Code::BrailleWelsh);
        assert_eq!(e.diagnostics[0].pointer, "/format");
        r.format = braille;
        let e = engine
            .render_braille(&r, &Fake, &super::RenderOptions::default())
            .expect_err("Welsh");
        assert_eq!(
            e.to_string(),
            "CMSL5503: braille is produced in Unified English Braille only: Welsh braille is not supported yet"
        );
        // Large print in range is accepted, out of range refused.
        r.language = crate::catalog::Language::En;
        let lp = |size| crate::request::LetterFormat::LargePrint { size };
        assert_eq!(
            r.clone().with_format(lp(20)).expect("in range").format(),
            lp(20)
        );
        let e = r.with_format(lp(99)).expect_err("out of range");
        assert_eq!(e.diagnostics[0].code, crate::request::Code::BadSize);
    }

    #[test]
    fn the_engine_is_shared_across_threads() {
        fn assert_sync<T: Sync + Send>() {}
        assert_sync::<super::Engine>();
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const SEED_REQUEST: &str = "id: req-1\nletter: CMSL5502\ndate: 2026-03-02\nreference: \"1234 5678 9012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"Flat 3\", \"14 Church Lane\", \"Leeds\"]\n  postcode: LS6 1AB\nfields:\n  changed-by: client\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Jobcentre Plus, Leeds LS2 7UZ\n  reason: other\n  reason-text: Something about the case\noptional: [bring-someone]\n";

    /// Whatever a user writes, parsing, validating and rendering return a
    /// value or an error: no panic. Mutations: byte flips, deletions,
    /// duplications and insertions of characters that matter to YAML, the
    /// markup and the address rules.
    #[test]
    fn mutated_requests_never_panic() {
        let engine = Engine::builtin().expect("built-in catalog");
        let specials = [
            "\n",
            " ",
            ":",
            "-",
            "\"",
            "'",
            "[",
            "]",
            "{",
            "}",
            "#",
            "|",
            "*",
            "\\",
            "&",
            "!",
            "%",
            "é",
            "😀",
            "\t",
            "\u{0}",
            "2026-02-30",
            "99:99",
            "other",
            "NFA",
            "(",
            "£",
            "0",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut rendered = 0;
        for _ in 0..1500 {
            let mut text = SEED_REQUEST.to_owned();
            for _ in 0..1 + rng.below(4) {
                let mut at = rng.below(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.below(4) {
                    0 => text.insert_str(at, specials[rng.below(specials.len())]),
                    1 => {
                        let mut end = (at + 1 + rng.below(8)).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        text.replace_range(at..end, "");
                    }
                    2 => {
                        let mut end = (at + rng.below(20)).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        let piece = text[at..end].to_owned();
                        text.insert_str(at, &piece);
                    }
                    _ => text.insert_str(
                        at,
                        &specials[rng.below(specials.len())].repeat(1 + rng.below(30)),
                    ),
                }
            }
            if let Ok(request) = engine.parse_request(&text, "fuzz.yaml")
                && engine.render(&request, &RenderOptions::default()).is_ok()
            {
                rendered += 1;
            }
        }
        assert!(rendered > 0, "some mutations stay valid and render");
    }

    /// An administrator's broken catalog gives problems, never a panic.
    #[test]
    fn mutated_catalog_files_never_panic() {
        let files: Vec<catalog::SourceFile> = catalog::embedded_files();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let specials = [
            "\n",
            ":",
            "- ",
            "{{",
            "}}",
            "{%",
            "%}",
            "TM_",
            "_W",
            "ÄÄÄÄÄÄÄÄ",
            "\"",
            "  ",
            "|",
        ];
        let mut failed = 0;
        for _ in 0..200 {
            let mut set = files.clone();
            let victim = rng.below(set.len());
            let text = &mut set[victim].text;
            for _ in 0..1 + rng.below(3) {
                let mut at = rng.below(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if rng.below(2) == 0 {
                    text.insert_str(at, specials[rng.below(specials.len())]);
                } else {
                    let mut end = (at + 1 + rng.below(12)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
            }
            if let Err(e) = Catalog::from_files(set) {
                assert!(!e.problems.is_empty());
                failed += 1;
            }
        }
        assert!(failed > 0, "some mutations must break the catalog");
    }
}
