//! Address rules from ../shared/letter-spec.md (GOV.UK Notify's precompiled
//! letter rules): line count, line content, UK postcode, no "no fixed abode".

/// Known UK postcode areas (the letters before the first digit).
const AREAS: &[&str] = &[
    "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF",
    "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY",
    "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR",
    "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE",
    "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW", "OL",
    "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S", "SA", "SE", "SG", "SK", "SL",
    "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS",
    "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
];

/// Characters no address line may start with.
pub const BAD_FIRST: &[char] = &[
    '@', '(', ')', '=', '[', ']', '"', '\\', '/', ',', '<', '>', '~',
];

/// Normalises a postcode (upper case, one space before the inward part) and
/// checks it is a real UK shape in a known area.
///
/// # Errors
/// Why the text is not a UK postcode (never quoting it).
pub fn normalise_postcode(raw: &str) -> Result<String, String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bad = || {
        String::from(
            "is not a UK postcode (expected a shape like A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA or AA9A 9AA)",
        )
    };
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return Err(bad());
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let ib = inward.as_bytes();
    if !(ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic()) {
        return Err(bad());
    }
    let shape: String = outward
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_ascii_alphabetic() {
                'A'
            } else {
                '?'
            }
        })
        .collect();
    if !matches!(
        shape.as_str(),
        "A9" | "A99" | "A9A" | "AA9" | "AA99" | "AA9A"
    ) {
        return Err(bad());
    }
    let area: String = outward
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    if !AREAS.contains(&area.as_str()) {
        return Err("is not a UK postcode: it does not start with a known postcode area".into());
    }
    Ok(format!("{outward} {inward}"))
}

/// Whether a line says the person has no fixed address.
pub fn is_no_fixed_abode(line: &str) -> bool {
    let l = line.trim().to_ascii_lowercase();
    l == "nfa" || l.contains("no fixed abode") || l.contains("no fixed address")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes() {
        for (raw, ok) in [
            ("LS6 1AB", "LS6 1AB"),
            ("ls61ab", "LS6 1AB"),
            ("SW1A 2AA", "SW1A 2AA"),
            ("M1 1AE", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("CR2 6XH", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("W1A 0AX", "W1A 0AX"),
        ] {
            assert_eq!(normalise_postcode(raw).as_deref(), Ok(ok), "{raw}");
        }
        for raw in ["LS6", "12345", "LS6 1A", "QQ1 1AA", "LS6 AAB", "LS666 1AB"] {
            assert!(normalise_postcode(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn no_fixed_abode() {
        assert!(is_no_fixed_abode("NFA"));
        assert!(is_no_fixed_abode("No fixed abode"));
        assert!(!is_no_fixed_abode("Nfa Road"));
    }
}
