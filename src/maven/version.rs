//! Maven version ordering and version ranges.
//!
//! Mediation between siblings of a range, `--kcl-version latest` and range resolution all need
//! Maven's own order, which is not semver: `1.0-alpha < 1.0 < 1.0-sp < 1.0.1`, `Final`/`GA` equal
//! the bare release, `cr` is `rc`, and digits glued to letters split (`1.0a1` is `1.0-alpha-1`).
//! This is a port of the rules of Maven 3.8's `ComparableVersion` (items, lists, qualifier table
//! and normalisation), checked against a table of its documented cases. No crate implements it
//! faithfully, so it lives here.

use std::cmp::Ordering;
use std::fmt;

/// Qualifiers in increasing order; the empty string is the release itself.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    /// A number without leading zeros, kept as decimal digits so any length compares correctly.
    Int(String),
    Str(String),
    List(Vec<Item>),
}

fn qualifier_rank(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn release_rank() -> String {
    qualifier_rank("")
}

fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Item {
    fn int(digits: &str) -> Item {
        let trimmed = digits.trim_start_matches('0');
        Item::Int(trimmed.to_string())
    }

    fn string(value: &str, followed_by_digit: bool) -> Item {
        let value = if followed_by_digit && value.len() == 1 {
            match value {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            }
        } else {
            value
        };
        let value = match value {
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Item::Str(value.to_string())
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compares with another item, `None` standing for "nothing here" (a shorter version).
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a, b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => qualifier_rank(s).cmp(&release_rank()),
            (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => qualifier_rank(a).cmp(&qualifier_rank(b)),
            (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
            (Item::List(l), None) => match l.first() {
                None => Ordering::Equal,
                Some(first) => first.compare(None),
            },
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }
}

/// Item-by-item comparison of two lists, a missing item counting as "null".
fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let ord = match (a.get(i), b.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.compare(None).reverse(),
            (Some(l), r) => l.compare(r),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Drops "null" items (0, "", final, ga) from the end of a list, looking past nested lists, as
/// Maven's normalisation does: `1.0-1` keeps its `-1` but loses the `.0`.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Opens a sub-list for a qualifier unless the innermost list is still empty (`.X` reads as `-X`).
fn open_qualifier_list(stack: &mut Vec<Vec<Item>>) {
    if stack.last().is_some_and(|list| !list.is_empty()) {
        stack.push(Vec::new());
    }
}

/// Appends to the innermost open list (the stack always holds the outer list).
fn push(stack: &mut [Vec<Item>], item: Item) {
    if let Some(list) = stack.last_mut() {
        list.push(item);
    }
}

/// A parsed Maven version; compares like `org.apache.maven.artifact.versioning.ComparableVersion`.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    items: Vec<Item>,
}

impl Version {
    pub fn parse(text: &str) -> Version {
        let lower = text.to_ascii_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        // A stack of lists: each '-' or digit/letter switch opens a nested list at the end.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut is_digit = false;
        let mut start = 0;
        let parse_item = |digit: bool, s: &str| {
            if digit {
                Item::int(s)
            } else {
                Item::string(s, false)
            }
        };
        for (i, &c) in chars.iter().enumerate() {
            let piece = || chars[start..i].iter().collect::<String>();
            if c == '.' || c == '-' {
                let item = if i == start {
                    Item::Int(String::new())
                } else {
                    parse_item(is_digit, &piece())
                };
                push(&mut stack, item);
                start = i + 1;
                // A dash opens a sub-list: `1-1` sorts after `1.foo` but before `1.1`.
                if c == '-' {
                    stack.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // Maven 3.8.7 (MNG-7644): `.X1` sorts as `-X1`, so a qualifier after items
                    // opens a sub-list; without it `1-1 < 1.0.RC1 < 1.0 < 1-1` was a cycle.
                    open_qualifier_list(&mut stack);
                    let item = Item::string(&piece(), true);
                    push(&mut stack, item);
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    let item = Item::int(&piece());
                    push(&mut stack, item);
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            if !is_digit {
                open_qualifier_list(&mut stack);
            }
            let rest: String = chars[start..].iter().collect();
            let item = parse_item(is_digit, &rest);
            push(&mut stack, item);
        }
        // Close the nested lists from the innermost out, normalising each.
        while stack.len() > 1 {
            let mut inner = stack.pop().unwrap_or_default();
            normalize(&mut inner);
            push(&mut stack, Item::List(inner));
        }
        let mut items = stack.pop().unwrap_or_default();
        normalize(&mut items);
        Version {
            text: text.to_string(),
            items,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True for `-SNAPSHOT` versions, which a lock must never pin.
    pub fn is_snapshot(&self) -> bool {
        self.text.ends_with("SNAPSHOT")
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Compared in place: comparisons run inside every max() and range check.
        compare_lists(&self.items, &other.items)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One bound of a range.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bound {
    version: Version,
    inclusive: bool,
}

/// One interval `[a,b)`, `(,b]`, `[a]` of a version range.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Interval {
    lower: Option<Bound>,
    upper: Option<Bound>,
}

impl Interval {
    fn contains(&self, v: &Version) -> bool {
        let above = match &self.lower {
            None => true,
            Some(b) => match v.cmp(&b.version) {
                Ordering::Greater => true,
                Ordering::Equal => b.inclusive,
                Ordering::Less => false,
            },
        };
        let below = match &self.upper {
            None => true,
            Some(b) => match v.cmp(&b.version) {
                Ordering::Less => true,
                Ordering::Equal => b.inclusive,
                Ordering::Greater => false,
            },
        };
        above && below
    }
}

/// A Maven version range such as `[1.0,2.0)` or `(,1.0],[1.2,)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRange {
    intervals: Vec<Interval>,
}

/// Why a range could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid version range {0:?}")]
pub struct RangeError(String);

impl VersionRange {
    /// True when `spec` is written as a range (starts with `[` or `(`).
    pub fn is_range(spec: &str) -> bool {
        spec.trim_start().starts_with(['[', '('])
    }

    pub fn parse(spec: &str) -> Result<VersionRange, RangeError> {
        let bad = || RangeError(spec.to_string());
        let mut rest = spec.trim();
        let mut intervals = Vec::new();
        while !rest.is_empty() {
            let open = rest.chars().next().ok_or_else(bad)?;
            if open != '[' && open != '(' {
                return Err(bad());
            }
            let close_at = rest.find([']', ')']).ok_or_else(bad)?;
            let close = rest[close_at..].chars().next().ok_or_else(bad)?;
            let body = &rest[1..close_at];
            let interval = match body.split_once(',') {
                None => {
                    // `[1.0]`: exactly that version; only inclusive brackets make sense.
                    if open != '[' || close != ']' || body.trim().is_empty() {
                        return Err(bad());
                    }
                    let v = Version::parse(body.trim());
                    Interval {
                        lower: Some(Bound {
                            version: v.clone(),
                            inclusive: true,
                        }),
                        upper: Some(Bound {
                            version: v,
                            inclusive: true,
                        }),
                    }
                }
                Some((lo, hi)) => {
                    if hi.contains(',') {
                        return Err(bad());
                    }
                    let bound = |s: &str, inclusive: bool| {
                        let s = s.trim();
                        (!s.is_empty()).then(|| Bound {
                            version: Version::parse(s),
                            inclusive,
                        })
                    };
                    Interval {
                        lower: bound(lo, open == '['),
                        upper: bound(hi, close == ']'),
                    }
                }
            };
            intervals.push(interval);
            rest = rest[close_at + 1..].trim_start();
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
                if rest.is_empty() {
                    return Err(bad());
                }
            } else if !rest.is_empty() {
                return Err(bad());
            }
        }
        if intervals.is_empty() {
            return Err(bad());
        }
        Ok(VersionRange { intervals })
    }

    pub fn contains(&self, v: &Version) -> bool {
        self.intervals.iter().any(|i| i.contains(v))
    }

    /// The highest of `versions` inside the range, as Maven's nearest-version mediation picks
    /// among the versions a range expands to.
    pub fn highest<'a>(&self, versions: impl IntoIterator<Item = &'a str>) -> Option<String> {
        versions
            .into_iter()
            .map(Version::parse)
            .filter(|v| self.contains(v))
            .max()
            .map(|v| v.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row is in strictly increasing order (the lists of Maven's ComparableVersionTest,
    /// plus versions met in the KCL closure).
    const INCREASING: &[&[&str]] = &[
        &[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ],
        &[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ],
        &[
            "1.0-alpha",
            "1.0-beta",
            "1.0-rc1",
            "1.0-SNAPSHOT",
            "1.0",
            "1.0.1",
        ],
        &[
            "4.1.9.Final",
            "4.1.118.Final",
            "4.1.124.Final",
            "4.2.0.Final",
        ],
        &["2.9", "2.10", "2.10.1", "2.20.0"],
        &["1.5.5-1", "1.5.5-5", "1.5.6"],
        &["20230227", "20250107"],
        &["9.0", "9999.0-empty-to-avoid-conflict-with-guava"],
        // Maven 3.8.7's own answers (its `ComparableVersion`, every pair); `1.0.RC1`, `1.0`
        // and `1-1` are the fuzz input that formed a cycle before `.X1` read as `-X1`.
        &[
            "1.0-alpha-1",
            "1.0.rc",
            "1.0.RC1",
            "1.0-SNAPSHOT",
            "1.0",
            "1.0.sp",
            "1.foo",
            "1.0.foo1",
            "1.0.x",
            "1-1",
            "1.1",
            "2.0",
        ],
    ];

    const EQUAL: &[(&str, &str)] = &[
        ("1", "1.0"),
        ("1", "1.0.0"),
        ("1.0", "1-0"),
        ("1", "1-ga"),
        ("1", "1.final"),
        ("1.0.Final", "1.0"),
        ("1-release", "1"),
        ("1-cr1", "1-rc1"),
        ("1a1", "1-alpha-1"),
        ("1b2", "1-beta-2"),
        ("1m3", "1-milestone-3"),
        ("1X", "1x"),
        ("1A", "1-a"),
        ("01.02", "1.2"),
        ("2.0.a", "2.0.0.a"),
        ("1.0", "1.0final"),
    ];

    #[test]
    fn ordering_table() {
        for row in INCREASING {
            for (i, a) in row.iter().enumerate() {
                for b in &row[i + 1..] {
                    assert!(Version::parse(a) < Version::parse(b), "expected {a} < {b}");
                    assert!(Version::parse(b) > Version::parse(a), "expected {b} > {a}");
                }
            }
        }
        for (a, b) in EQUAL {
            assert_eq!(
                Version::parse(a).cmp(&Version::parse(b)),
                Ordering::Equal,
                "{a} == {b}"
            );
        }
        assert!(Version::parse("1.0-alpha") < Version::parse("1.0"));
        assert!(Version::parse("1.0") < Version::parse("1.0.1"));
        assert!(Version::parse("1.0-SNAPSHOT").is_snapshot());
    }

    /// Maven's `ComparableVersion` is not transitive once an odd qualifier sits between numbers
    /// (Maven 3.8.7 answers each of these pairs so). kclrs keeps Maven's pairwise answers, since
    /// a lock must pick what Maven picks; the fuzz target checks transitivity only for versions
    /// of the shape repositories publish (numbers, then at most one qualifier with a number).
    #[test]
    fn maven_order_has_cycles_outside_published_shapes() {
        let v = Version::parse;
        assert!(v("1.0-alpha-1") < v("1.0"));
        assert!(v("1.0") < v("1.x.rc"));
        assert!(v("1.x.rc") < v("1.0-alpha-1"));
        assert!(v("1.0.beta.2") < v("1.0"));
        assert!(v("1.0") < v("1-1"));
        assert!(v("1-1") < v("1.0.beta.2"));
    }

    #[test]
    fn ranges() {
        let r = VersionRange::parse("[1.0,2.0)").unwrap();
        assert!(r.contains(&Version::parse("1.0")));
        assert!(r.contains(&Version::parse("1.9.9")));
        assert!(!r.contains(&Version::parse("2.0")));
        let r = VersionRange::parse("(,1.0],[1.2,)").unwrap();
        assert!(r.contains(&Version::parse("0.9")));
        assert!(!r.contains(&Version::parse("1.1")));
        assert!(r.contains(&Version::parse("3")));
        let r = VersionRange::parse("[1.5]").unwrap();
        assert!(r.contains(&Version::parse("1.5.0")));
        assert!(!r.contains(&Version::parse("1.6")));
        assert_eq!(
            VersionRange::parse("[1.0,2.0)")
                .unwrap()
                .highest(["0.9", "1.0", "1.10", "1.9", "2.0"]),
            Some("1.10".to_string())
        );
        for bad in ["", "1.0", "[1.0", "[1,2,3]", "[1.0],", "(1.0)"] {
            assert!(VersionRange::parse(bad).is_err(), "{bad}");
        }
        assert!(VersionRange::is_range(" [1,2)"));
        assert!(!VersionRange::is_range("1.0"));
    }
}
