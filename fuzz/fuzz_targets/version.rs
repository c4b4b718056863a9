//! Maven version parsing, ordering and ranges. The input's lines are versions (the first one is
//! also tried as a range). Properties: the order is reflexive and antisymmetric for any text,
//! transitive over every triple of published-shape versions (Maven's own order has cycles
//! outside them, see `maven_order_has_cycles_outside_published_shapes` in src/maven/version.rs),
//! and a range's `highest` is a member of the range that no other member exceeds.
#![no_main]

use std::cmp::Ordering;

use kclrs::maven::version::{Version, VersionRange};
use libfuzzer_sys::fuzz_target;

/// `1.2.3`, `1.2.3-rc1`, `1.2.3.Final`, `1.2.3-SNAPSHOT`, `1.2.3-beta-2-SNAPSHOT`: numbers, then
/// at most one known qualifier (optionally numbered), then an optional `-SNAPSHOT`.
fn published_shape(text: &str) -> bool {
    const QUALIFIERS: &[&str] = &[
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "m",
        "a",
        "b",
        "sp",
        "ga",
        "final",
        "release",
    ];
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_suffix("-snapshot").unwrap_or(&lower);
    let numbers_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (numbers, qualifier) = rest.split_at(numbers_end);
    if numbers.is_empty() || numbers.split('.').any(str::is_empty) {
        return false;
    }
    if qualifier.is_empty() {
        return true;
    }
    let Some(q) = qualifier.strip_prefix(['-', '.']) else {
        return false;
    };
    let q = q.trim_end_matches(|c: char| c.is_ascii_digit());
    let q = q.strip_suffix('-').unwrap_or(q);
    QUALIFIERS.contains(&q)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.lines().take(12).collect();
    let versions: Vec<Version> = lines.iter().map(|l| Version::parse(l)).collect();
    for a in &versions {
        assert_eq!(a.cmp(a), Ordering::Equal, "{a} != itself");
        for b in &versions {
            let ab = a.cmp(b);
            assert_eq!(ab, b.cmp(a).reverse(), "not antisymmetric: {a:?} vs {b:?}");
            if !published_shape(a.as_str()) || !published_shape(b.as_str()) {
                continue;
            }
            for c in versions.iter().filter(|c| published_shape(c.as_str())) {
                let (bc, ac) = (b.cmp(c), a.cmp(c));
                if ab != Ordering::Greater && bc != Ordering::Greater {
                    assert_ne!(ac, Ordering::Greater, "not transitive: {a} <= {b} <= {c}");
                }
                if ab == Ordering::Equal {
                    assert_eq!(ac, bc, "equal {a} and {b} compare differently with {c}");
                }
            }
        }
    }
    let Some(spec) = lines.first() else {
        return;
    };
    let _ = VersionRange::is_range(spec);
    let Ok(range) = VersionRange::parse(spec) else {
        return;
    };
    let members: Vec<&Version> = versions[1..].iter().filter(|v| range.contains(v)).collect();
    match range.highest(lines[1..].iter().copied()) {
        None => assert!(
            members.is_empty(),
            "highest is None but {members:?} are in {spec}"
        ),
        Some(h) => {
            let h = Version::parse(&h);
            assert!(range.contains(&h), "highest {h} is not in {spec}");
            // Without a total order "the highest" is only defined among published shapes.
            if members.iter().all(|m| published_shape(m.as_str())) {
                assert!(
                    members.iter().all(|m| **m <= h),
                    "a member of {spec} exceeds {h}"
                );
            }
        }
    }
});
