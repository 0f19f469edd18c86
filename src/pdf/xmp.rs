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
pub(super) fn packet(options: &PdfOptions, producer: &str) -> String {
    let title = escape(&options.title);
    let author = escape(&options.author);
    let subject = escape(&options.subject);
    let lang = escape(&options.language);
    let producer = escape(producer);
    let date = date(options.created);
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
            "<rdf:Description rdf:about=\"\"",
            " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
            " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"",
            " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"",
            " xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"",
            " xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\"",
            " xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"",
            " xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"",
            " xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n",
            "<dc:format>application/pdf</dc:format>\n",
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n",
            "<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n",
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n",
            "<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>\n",
            "<xmp:CreatorTool>letterkit</xmp:CreatorTool>\n",
            "<xmp:CreateDate>{date}</xmp:CreateDate>\n",
            "<xmp:ModifyDate>{date}</xmp:ModifyDate>\n",
            "<pdf:Producer>{producer}</pdf:Producer>\n",
            "<pdfaid:part>2</pdfaid:part>\n",
            "<pdfaid:conformance>A</pdfaid:conformance>\n",
            "<pdfuaid:part>1</pdfuaid:part>\n",
            "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n",
            "<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\n",
            "<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\n",
            "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>\n",
            "<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\">\n",
            "<pdfaProperty:name>part</pdfaProperty:name>\n",
            "<pdfaProperty:valueType>Integer</pdfaProperty:valueType>\n",
            "<pdfaProperty:category>internal</pdfaProperty:category>\n",
            "<pdfaProperty:description>Indicates which part of ISO 14289 standard is followed</pdfaProperty:description>\n",
            "</rdf:li></rdf:Seq></pdfaSchema:property>\n",
            "</rdf:li></rdf:Bag></pdfaExtension:schemas>\n",
            "</rdf:Description>\n",
            "</rdf:RDF>\n",
            "</x:xmpmeta>\n",
            "<?xpacket end=\"r\"?>"
        ),
        title = title,
        author = author,
        subject = subject,
        lang = lang,
        date = date,
        producer = producer,
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
        let x = packet(&options, "letterkit 0.1.0");
        assert!(
            x.contains(">A &amp; B &lt;c&gt; &quot;d&quot; </rdf:li>"),
            "{x}"
        );
        assert!(x.contains("<xmp:CreateDate>2026-03-02T09:05:07Z</xmp:CreateDate>"));
        assert!(x.contains("<rdf:li>cy-GB</rdf:li>"));
        assert!(x.contains("<pdfuaid:part>1</pdfuaid:part>"));
        assert!(x.contains("<pdfaid:conformance>A</pdfaid:conformance>"));
    }
}
