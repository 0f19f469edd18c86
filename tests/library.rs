//! The library as a service uses it (issue 12, section 1): requests built in
//! code or read by serde only through validation, the canonical form as
//! `Serialize`, and the streaming batch.

use std::sync::atomic::{AtomicUsize, Ordering};

use letterkit::RenderOptions;
use letterkit::batch::{Cancel, IntoRequest, StreamOptions, stream};
use letterkit::request::{Code, RequestBuilder, UncheckedRequest};

use crate::common::{engine, pdf_text};

fn good() -> RequestBuilder {
    RequestBuilder::new("CMSL5503")
        .date("2026-03-02")
        .reference("1234 5678 9012")
        .recipient("Ms Priya Patel", ["14 Church Lane", "Leeds"], "LS6 1AB")
        .field("meeting-date", "2026-03-16")
        .field("meeting-time", "10:30")
        .field("meeting-location", "Crown House, Leeds")
}

/// What the issue found rendering silently, built in code: every problem
/// comes back at once, with its code and JSON Pointer, and there is no
/// `Request` to hand to the renderer (so Tera never sees it).
#[test]
fn a_request_built_in_code_gets_every_problem_at_once() {
    let name = format!("Ms {}\u{1F600}", "A".repeat(72));
    assert_eq!(name.chars().count(), 76);
    let built = RequestBuilder::new("CMSL5503")
        .date("2026-03-02")
        .reference("xyz")
        .recipient(name, ["14 Church Lane", "Leeds"], "not a postcode")
        .field("meeting-date", "2026-03-16")
        .field("meeting-time", "10:30")
        .field("colour", "red")
        .build(engine());
    let err = built.expect_err("invalid");
    let got: Vec<(Code, &str)> = err
        .diagnostics
        .iter()
        .map(|d| (d.code, d.pointer.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Code::UnknownField, "/fields"),
            (Code::MissingField, "/fields/meeting-location"),
            (Code::UnprintableCharacter, "/recipient/name"),
            (Code::TooLong, "/recipient/name"),
            (Code::BadPostcode, "/recipient/postcode"),
            (Code::BadReference, "/reference"),
        ],
        "{err}"
    );
    // The messages are the CLI's, without the personal data.
    assert_eq!(
        err.to_string(),
        "request:0:0: fields: unknown field for CMSL5503 (not repeated here: it may be personal data), expected one of `meeting-date`, `meeting-time`, `meeting-location`\n\
         request:0:0: fields.meeting-location: is required (text)\n\
         request:0:0: recipient.name: contains U+1F600, a character the letter font cannot print\n\
         request:0:0: recipient.name: is 76 characters long; at most 45 are allowed\n\
         request:0:0: recipient.postcode: is not a UK postcode (expected a shape like A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA)\n\
         request:0:0: reference: contains letters; a reference (SCIN) is 12 digits, in groups separated by spaces only, e.g. 1234 5678 9012"
    );
    assert!(!err.to_string().contains("Variable"), "{err}");
}

/// The builder, JSON data and text reach the same request; it renders.
#[test]
fn the_builder_json_data_and_text_give_the_same_request() {
    let built = good().build(engine()).expect("valid");
    assert_eq!(built.letter(), "CMSL5503");
    assert_eq!(built.reference(), "1234 5678 9012");
    assert_eq!(
        built.recipient().map(|r| r.postcode.as_str()),
        Some("LS6 1AB")
    );
    let from_value = engine()
        .request_from_value(good().to_unchecked().as_value(), "v")
        .expect("valid");
    let from_text = engine()
        .parse_request(
            "letter: CMSL5503\ndate: 2026-03-02\nreference: \"123456789012\"\nrecipient:\n  name: Ms Priya Patel\n  address: [\"14 Church Lane\", \"Leeds\"]\n  postcode: ls61ab\nfields:\n  meeting-date: 2026-03-16\n  meeting-time: \"10:30\"\n  meeting-location: Crown House, Leeds\n",
            "r.yaml",
        )
        .expect("valid");
    assert_eq!(built, from_value);
    assert_eq!(built, from_text);
    let rendered = engine()
        .render(&built, &RenderOptions::default())
        .expect("renders");
    let text = pdf_text(&rendered.pdf);
    assert!(text.contains("Crown House, Leeds"), "{text}");
}

/// `Serialize` writes the canonical form; an `UncheckedRequest` takes any
/// JSON and the engine checks it, so a service deserialises first and
/// validates second, with every problem reported.
#[test]
fn serde_goes_through_the_canonical_form_and_validation() {
    let request = good().id("case-7").build(engine()).expect("valid");
    let json = serde_json::to_string(&request).expect("serialises");
    assert_eq!(json, request.canonical_json());
    assert_eq!(
        json,
        r#"{"id":"case-7","letter":"CMSL5503","date":"2026-03-02","reference":"1234 5678 9012","language":"en","recipient":{"name":"Ms Priya Patel","address":["14 Church Lane","Leeds"],"postcode":"LS6 1AB"},"fields":{"meeting-date":"2026-03-16","meeting-location":"Crown House, Leeds","meeting-time":"10:30"},"optional":[]}"#
    );
    let back: UncheckedRequest = serde_json::from_str(&json).expect("any JSON");
    assert_eq!(engine().check(&back, "back").expect("valid"), request);
    // Wrong data deserialises (nothing is refused before the engine sees
    // it) and the check names every problem.
    let wrong: UncheckedRequest =
        serde_json::from_str(r#"{"letter": "CMSL5503", "date": 5, "extra": true}"#)
            .expect("any JSON");
    let err = engine().check(&wrong, "wrong").expect_err("invalid");
    let pointers: Vec<&str> = err.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        vec![
            "",
            "/date",
            "/fields/meeting-date",
            "/fields/meeting-location",
            "/fields/meeting-time",
            "/recipient",
            "/reference"
        ],
        "{err}"
    );
}

/// `n` valid requests, each with its own id and reference.
fn requests(n: usize) -> Vec<letterkit::Request> {
    (0..n)
        .map(|i| {
            good()
                .id(format!("r-{i}"))
                .reference(format!("1234 5678 {:04}", 1000 + i))
                .build(engine())
                .expect("valid")
        })
        .collect()
}

/// A request that takes its time to check: the early ones the longest, so
/// with several threads they finish last.
struct Slow(letterkit::Request, u64);

impl IntoRequest for Slow {
    fn into_request(self, _: &letterkit::Engine) -> Result<letterkit::Request, letterkit::Error> {
        std::thread::sleep(std::time::Duration::from_millis(self.1));
        Ok(self.0)
    }
}

/// Results come out in input order whatever the number of threads, with
/// the same bytes.
#[test]
fn a_stream_gives_results_in_input_order_with_1_and_4_jobs() {
    let n = 12;
    let run = |jobs: usize| {
        let input: Vec<Slow> = requests(n)
            .into_iter()
            .enumerate()
            .map(|(i, r)| Slow(r, ((n - i) * 15) as u64))
            .collect();
        let mut out = Vec::new();
        let summary = stream(engine(), input, &StreamOptions::new(jobs), |s| {
            let r = s.result.expect("renders");
            out.push((s.index, s.id, r.sha256));
        });
        assert_eq!(
            (summary.rendered, summary.failed, summary.cancelled),
            (n as u64, 0, false)
        );
        out
    };
    let one = run(1);
    let four = run(4);
    let order: Vec<(u64, Option<String>)> =
        four.iter().map(|(i, id, _)| (*i, id.clone())).collect();
    let want: Vec<(u64, Option<String>)> =
        (0..n).map(|i| (i as u64, Some(format!("r-{i}")))).collect();
    assert_eq!(order, want);
    assert_eq!(one, four);
}

/// Cancelled after the third result, the stream stops: it reads only a
/// window of the input, reports what it finished, in order, and says so.
#[test]
fn a_cancelled_stream_stops_early_and_returns_what_was_done() {
    let base = requests(1).remove(0);
    let pulled = AtomicUsize::new(0);
    let input = (0..500).map(|_| {
        pulled.fetch_add(1, Ordering::Relaxed);
        base.clone()
    });
    let cancel = Cancel::new();
    let options = StreamOptions::new(2).with_cancel(cancel.clone());
    let mut seen = Vec::new();
    let summary = stream(engine(), input, &options, |s| {
        assert!(s.result.is_ok());
        seen.push(s.index);
        if s.index == 2 {
            cancel.cancel();
        }
    });
    assert!(summary.cancelled);
    let done = seen.len() as u64;
    assert!((3..40).contains(&done), "{done} done");
    assert_eq!(seen, (0..done).collect::<Vec<_>>(), "in order, no gaps");
    assert_eq!(summary.rendered, done);
    let pulled = pulled.load(Ordering::Relaxed);
    assert!(pulled < 40, "read {pulled} of 500 requests");
}

/// A request whose check panics.
struct Boom;

impl IntoRequest for Boom {
    fn into_request(self, _: &letterkit::Engine) -> Result<letterkit::Request, letterkit::Error> {
        panic!("a bug in a service's conversion")
    }
}

/// One input that panics and one that is invalid fail alone; the requests
/// around them render.
#[test]
fn a_panicking_or_invalid_request_fails_only_itself() {
    enum Input {
        Good(letterkit::Request),
        Data(serde_json::Value),
        Boom,
    }
    impl IntoRequest for Input {
        fn into_request(
            self,
            engine: &letterkit::Engine,
        ) -> Result<letterkit::Request, letterkit::Error> {
            match self {
                Input::Good(r) => r.into_request(engine),
                Input::Data(v) => v.into_request(engine),
                Input::Boom => Boom.into_request(engine),
            }
        }
    }
    let mut rs = requests(3).into_iter();
    let mut bad = good().to_unchecked().into_value();
    bad["reference"] = "xyz".into();
    let input = vec![
        Input::Good(rs.next().expect("r")),
        Input::Boom,
        Input::Good(rs.next().expect("r")),
        Input::Data(bad),
        Input::Good(rs.next().expect("r")),
    ];
    let mut got = Vec::new();
    let summary = stream(engine(), input, &StreamOptions::new(3), |s| {
        got.push(match s.result {
            Ok(r) => format!("{} {} page", s.index, r.pages),
            Err(letterkit::Error::Request(e)) => {
                format!("{} {}", s.index, e.diagnostics[0].code.as_str())
            }
            Err(e) => format!("{} {e}", s.index),
        });
    });
    assert_eq!(
        got,
        vec![
            "0 1 page",
            "1 internal error while rendering this request (please report it)",
            "2 1 page",
            "3 bad-reference",
            "4 1 page",
        ]
    );
    assert_eq!((summary.rendered, summary.failed), (3, 2));
}
