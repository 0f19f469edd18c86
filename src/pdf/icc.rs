//! A minimal sRGB colour profile for the output intent, built here rather
//! than vendored: an ICC version 2 display profile (matrix/TRC) with only the
//! tags such a profile must have (`desc`, `cprt`, `wtpt`, `rXYZ`, `gXYZ`,
//! `bXYZ`, `rTRC`, `gTRC`, `bTRC`; the three curves share one table), 528
//! bytes against the 6,922 of the profile it replaces (`data/icc/`, now only
//! the tests' reference).
//!
//! The values are those of IEC 61966-2-1 (sRGB): the colorants are the
//! sRGB primaries adapted from D65 to the D50 of the profile connection
//! space with the Bradford transform, the media white point is D65 as in
//! every version 2 sRGB profile, and the tone curve is the sRGB transfer
//! function sampled at 32 points (a colour management module interpolates
//! between them: the error is under 0.0002 of full scale, a twentieth of an
//! 8-bit step). Written from the standard; no third-party data.

/// Points of the tone curve table.
const CURVE_POINTS: usize = 32;

/// The profile's description and copyright texts.
const DESCRIPTION: &str = "sRGB";
const COPYRIGHT: &str = "No copyright, use freely";

/// D50, the profile connection space's illuminant (ICC).
pub(crate) const D50: [f64; 3] = [0.9642, 1.0, 0.8249];

/// D65, sRGB's white point (CIE 1931, as IEC 61966-2-1 gives it).
pub(crate) const D65: [f64; 3] = [0.9505, 1.0, 1.0890];

/// The sRGB red, green and blue colorants adapted to D50 (Bradford), as
/// columns X, Y, Z.
pub(crate) const COLORANTS: [[f64; 3]; 3] = [
    [0.436_074_7, 0.222_504_5, 0.013_932_2],
    [0.385_064_9, 0.716_878_6, 0.097_104_5],
    [0.143_080_4, 0.060_616_9, 0.714_173_3],
];

/// The sRGB transfer function (encoded value → linear light), 0..=1.
pub(crate) fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// An `s15Fixed16Number`.
fn s15f16(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

/// An `XYZType` element.
fn xyz(xyz: [f64; 3]) -> Vec<u8> {
    let mut b = b"XYZ \0\0\0\0".to_vec();
    for v in xyz {
        b.extend_from_slice(&s15f16(v));
    }
    b
}

/// The profile's bytes.
pub(crate) fn srgb_profile() -> Vec<u8> {
    // textDescriptionType: ASCII, then empty Unicode and ScriptCode parts.
    let mut desc = b"desc\0\0\0\0".to_vec();
    desc.extend_from_slice(&(DESCRIPTION.len() as u32 + 1).to_be_bytes());
    desc.extend_from_slice(DESCRIPTION.as_bytes());
    desc.push(0);
    desc.extend_from_slice(&[0; 4 + 4 + 2 + 1 + 67]);
    let mut cprt = b"text\0\0\0\0".to_vec();
    cprt.extend_from_slice(COPYRIGHT.as_bytes());
    cprt.push(0);
    let mut curve = b"curv\0\0\0\0".to_vec();
    curve.extend_from_slice(&(CURVE_POINTS as u32).to_be_bytes());
    for i in 0..CURVE_POINTS {
        let v = srgb_to_linear(i as f64 / (CURVE_POINTS - 1) as f64);
        curve.extend_from_slice(&((v * 65535.0).round() as u16).to_be_bytes());
    }
    // Tag data in order; the three curves point at one element.
    let elements: [(&[u8; 4], usize); 9] = [
        (b"desc", 0),
        (b"cprt", 1),
        (b"wtpt", 2),
        (b"rXYZ", 3),
        (b"gXYZ", 4),
        (b"bXYZ", 5),
        (b"rTRC", 6),
        (b"gTRC", 6),
        (b"bTRC", 6),
    ];
    let data: [Vec<u8>; 7] = [
        desc,
        cprt,
        xyz(D65),
        xyz(COLORANTS[0]),
        xyz(COLORANTS[1]),
        xyz(COLORANTS[2]),
        curve,
    ];
    let table_end = 128 + 4 + 12 * elements.len();
    let mut offsets = Vec::with_capacity(data.len());
    let mut at = table_end;
    for d in &data {
        offsets.push(at);
        at += d.len().next_multiple_of(4);
    }
    let size = at;

    let mut p = Vec::with_capacity(size);
    p.extend_from_slice(&(size as u32).to_be_bytes());
    p.extend_from_slice(&[0; 4]); // preferred CMM: none
    p.extend_from_slice(&0x0210_0000u32.to_be_bytes()); // version 2.1
    p.extend_from_slice(b"mntrRGB XYZ ");
    // Creation date: fixed, so that the bytes never change.
    for v in [2026u16, 12, 7, 0, 0, 0] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p.extend_from_slice(b"acsp");
    p.extend_from_slice(&[0; 4 + 4 + 4 + 4 + 8 + 4]); // platform, flags, maker, model, attributes, intent
    for v in D50 {
        p.extend_from_slice(&s15f16(v));
    }
    p.resize(128, 0); // creator, ID and reserved: zero
    p.extend_from_slice(&(elements.len() as u32).to_be_bytes());
    for (sig, i) in elements {
        p.extend_from_slice(sig);
        p.extend_from_slice(&(offsets[i] as u32).to_be_bytes());
        p.extend_from_slice(&(data[i].len() as u32).to_be_bytes());
    }
    for d in &data {
        p.extend_from_slice(d);
        p.resize(p.len().next_multiple_of(4), 0);
    }
    debug_assert_eq!(p.len(), size);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Tag signature → its element, checked for place and alignment.
    fn tags(p: &[u8]) -> Vec<([u8; 4], &[u8])> {
        let n = u32_at(p, 128) as usize;
        (0..n)
            .map(|i| {
                let e = 132 + 12 * i;
                let (off, len) = (u32_at(p, e + 4) as usize, u32_at(p, e + 8) as usize);
                assert_eq!(off % 4, 0, "tag data starts on a 4-byte boundary");
                assert!(off + len <= p.len());
                ([p[e], p[e + 1], p[e + 2], p[e + 3]], &p[off..off + len])
            })
            .collect()
    }

    fn xyz_of(e: &[u8]) -> [f64; 3] {
        assert_eq!(&e[..4], b"XYZ ");
        [0, 1, 2].map(|k| f64::from(u32_at(e, 8 + 4 * k) as i32) / 65536.0)
    }

    /// Linear interpolation in a `curv` table, as a CMM evaluates it.
    fn eval(e: &[u8], v: f64) -> f64 {
        assert_eq!(&e[..4], b"curv");
        let n = u32_at(e, 8) as usize;
        let y = |i: usize| f64::from(u16::from_be_bytes([e[12 + 2 * i], e[13 + 2 * i]])) / 65535.0;
        let x = v * (n - 1) as f64;
        let i = (x.floor() as usize).min(n - 2);
        y(i) + (y(i + 1) - y(i)) * (x - i as f64)
    }

    #[test]
    fn the_profile_is_a_well_formed_v2_srgb_display_profile() {
        let p = srgb_profile();
        assert_eq!(u32_at(&p, 0) as usize, p.len());
        assert!(p.len() < 600, "{} bytes", p.len());
        assert_eq!(&p[8..10], &[2, 0x10], "version 2.1");
        assert_eq!(&p[12..24], b"mntrRGB XYZ ");
        assert_eq!(&p[36..40], b"acsp");
        let t = tags(&p);
        let get = |sig: &[u8; 4]| {
            t.iter()
                .find(|(s, _)| s == sig)
                .map(|(_, e)| *e)
                .unwrap_or_else(|| panic!("no {}", String::from_utf8_lossy(sig)))
        };
        for sig in [
            b"desc", b"cprt", b"wtpt", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC",
        ] {
            get(sig);
        }
        assert_eq!(&get(b"desc")[12..17], b"sRGB\0");
        // The colorants add up to the PCS white (D50), as a matrix/TRC
        // profile's must, and the white point is D65.
        let sum: Vec<f64> = (0..3)
            .map(|k| {
                [b"rXYZ", b"gXYZ", b"bXYZ"]
                    .iter()
                    .map(|s| xyz_of(get(s))[k])
                    .sum()
            })
            .collect();
        for k in 0..3 {
            assert!((sum[k] - D50[k]).abs() < 5e-4, "{sum:?}");
            assert!((xyz_of(get(b"wtpt"))[k] - D65[k]).abs() < 1e-4);
        }
        // The curve follows the sRGB transfer function at every 8-bit value
        // to well under half a step.
        let curve = get(b"rTRC");
        for i in 0..=255 {
            let v = f64::from(i) / 255.0;
            let err = (eval(curve, v) - srgb_to_linear(v)).abs();
            assert!(err < 0.25 / 255.0, "{i}: {err}");
        }
    }

    /// The same colours as the independent sRGB profile vendored in
    /// `data/icc/` (Debian's icc-profiles-free, made with Little CMS).
    #[test]
    fn the_profile_matches_the_vendored_srgb_profile() {
        let ours = srgb_profile();
        let theirs = include_bytes!("../../data/icc/sRGB.icc");
        let (ours, theirs) = (tags(&ours), tags(theirs));
        let find = |t: &[([u8; 4], &[u8])], sig: &[u8; 4]| -> Vec<u8> {
            t.iter()
                .find(|(s, _)| s == sig)
                .map(|(_, e)| e.to_vec())
                .unwrap_or_default()
        };
        for sig in [b"rXYZ", b"gXYZ", b"bXYZ", b"wtpt"] {
            let (a, b) = (xyz_of(&find(&ours, sig)), xyz_of(&find(&theirs, sig)));
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-3, "{sig:?}: {a:?} vs {b:?}");
            }
        }
        let (a, b) = (find(&ours, b"gTRC"), find(&theirs, b"gTRC"));
        for i in 0..=255 {
            let v = f64::from(i) / 255.0;
            assert!((eval(&a, v) - eval(&b, v)).abs() < 0.5 / 255.0, "{i}");
        }
    }
}
