//! The XMP metadata packet: the document's title, author, subject, tools and
//! dates (the same values as the Info dictionary, as PDF/A requires), and
//! the PDF/A-2a and PDF/UA-1 identifiers with the extension schema PDF/A
//! needs for the `pdfuaid` namespace.

use super::{PdfOptions, Timestamp};

/// Escapes `s` for XML character data and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 forbids most control characters even as references.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `2026-03-02T00:00:00Z`: the XMP form of the Info dictionary's
/// `D:20260302000000Z` (both UTC).
pub(super) fn date(t: Timestamp) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// The metadata packet for `options`; `producer` as in the Info dictionary.
/// With `claims`, the PDF/A-2a and PDF/UA-1 identifiers; without, none (a
/// joined file that cannot conform claims nothing).
pub(super) fn packet(options: &PdfOptions, producer: &str, claims: bool) -> String {
    let title = escape(&options.title);
    let author = escape(&options.author);
    let subject = escape(&options.subject);
    let lang = escape(&options.language);
    let producer = escape(producer);
    let date = date(options.created);
    let ids = if claims {
        " pdfaid:part=\"2\" pdfaid:conformance=\"A\" pdfuaid:part=\"1\""
    } else {
        ""
    };
    // One line, no padding: simple properties as attributes of the
    // description, the extension schema's structs as `rdf:parseType`
    // resources. Every byte is stored uncompressed in every letter (PDF/A
    // forbids a filter on the metadata stream).
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
            "<rdf:Description rdf:about=\"\"",
            " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
            " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"",
            " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"",
            " xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"",
            " xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\"",
            " xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"",
            " xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"",
            " xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"",
            " xmp:CreatorTool=\"letterkit\" xmp:CreateDate=\"{date}\" xmp:ModifyDate=\"{date}\"",
            " pdf:Producer=\"{producer}\"{ids}>",
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>",
            "<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>",
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>",
            "<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>",
            "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">",
            "<pdfaSchema:schema>PDF/UA identification</pdfaSchema:schema>",
            "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>",
            "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>",
            "<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\">",
            "<pdfaProperty:name>part</pdfaProperty:name>",
            "<pdfaProperty:valueType>Integer</pdfaProperty:valueType>",
            "<pdfaProperty:category>internal</pdfaProperty:category>",
            "<pdfaProperty:description>ISO 14289 part</pdfaProperty:description>",
            "</rdf:li></rdf:Seq></pdfaSchema:property>",
            "</rdf:li></rdf:Bag></pdfaExtension:schemas>",
            "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"r\"?>"
        ),
        title = title,
        author = author,
        subject = subject,
        lang = lang,
        date = date,
        producer = producer,
        ids = ids,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_dates_match_the_info_dictionary() {
        let options = PdfOptions {
            title: "A & B <c> \"d\"\u{1}".into(),
            language: "cy-GB".into(),
            author: "Child Maintenance Service".into(),
            subject: "CMSL5502".into(),
            created: Timestamp {
                year: 2026,
                month: 3,
                day: 2,
                hour: 9,
                minute: 5,
                second: 7,
            },
            ident: "x".into(),
        };
        let x = packet(&options, "letterkit 0.1.0", true);
        assert!(
            x.contains(">A &amp; B &lt;c&gt; &quot;d&quot; </rdf:li>"),
            "{x}"
        );
        assert!(x.contains(" xmp:CreateDate=\"2026-03-02T09:05:07Z\""));
        assert!(x.contains("<rdf:li>cy-GB</rdf:li>"));
        assert!(x.contains(" pdfuaid:part=\"1\""));
        assert!(x.contains(" pdfaid:conformance=\"A\""));
        assert!(!x.contains('\n'), "no line breaks or padding");
        let none = packet(&options, "letterkit 0.1.0", false);
        assert!(!none.contains("pdfaid:part") && !none.contains("pdfuaid:part"));
        assert!(!none.contains("pdfaid:conformance"));
        assert!(none.contains(" pdf:Producer=\"letterkit 0.1.0\">"));
    }
}
