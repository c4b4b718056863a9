//! Reads and checks the KCL .properties file the MultiLangDaemon is started with.
//!
//! The daemon only complains about a bad file after the JVM has started, and some mistakes it
//! never reports: a misspelt key is silently ignored by its bean code, and a program it cannot
//! start fails once per shard. kclrs reads the file the way the daemon does and reports those
//! problems up front: missing required keys are errors (exit 3), everything else is a warning
//! that `--strict` turns into an error: unknown keys, values the daemon would misread
//! ([`values`]), a stop that cannot checkpoint ([`shutdown`]), and an `executableName` it could
//! not start ([`program`]).
//!
//! Encoding: the daemon loads the file with `Properties.load(InputStream)`, which reads bytes as
//! ISO-8859-1 (every byte is one character; `\uXXXX` escapes for anything else). kclrs decodes
//! the same way, so it sees exactly the keys and values the daemon will see; a file holding
//! UTF-8 text gets a warning, because the daemon will read `é` as `Ã©`.

pub mod keys;
pub mod program;
pub mod shutdown;
pub mod values;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Exit, UserError};

/// Keys and values longer than this many characters are quoted as a prefix plus a count, so a
/// 100 MB value costs one line of a message, not 100 MB of stderr.
const QUOTE_CHARS: usize = 80;

/// How many warnings of one kind (unknown keys, keys set twice) are listed; the rest are counted
/// in one closing line, so a file of a million stray keys gives one screen, not a million lines.
const LISTED: usize = 20;

/// `text` as a message quotes a key or value of the file: whole when short, else its first
/// [`QUOTE_CHARS`] characters and how many more there are.
pub fn bounded(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let more = text[cut..].chars().count();
            Cow::Owned(format!("{}…[{more} more characters]", &text[..cut]))
        }
    }
}

/// `listed` followed by a line counting what was left out beyond [`LISTED`].
fn with_rest(path: &Path, mut listed: Vec<String>, total: usize, what: &str) -> Vec<String> {
    if total > listed.len() {
        listed.push(format!(
            "{}: {} more {what} not listed",
            path.display(),
            total - listed.len()
        ));
    }
    listed
}

/// A parsed properties file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KclProperties {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Key/value pairs in file order (later duplicates win, as in java.util.Properties).
    pub entries: Vec<(String, String)>,
    /// The 1-based line each entry starts on, parallel to `entries`.
    pub lines: Vec<usize>,
    /// Problems noticed while reading that are warnings, not errors (UTF-8 text, duplicate keys).
    pub load_warnings: Vec<String>,
}

impl KclProperties {
    /// The value of `key` (exact, case-sensitive match, last occurrence wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value the daemon's bean code ends up with for a property, matching keys after
    /// [`keys::normalize`] (so `AWSCredentialsProvider` counts as `awsCredentialsProvider`).
    pub fn get_normalized(&self, property: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| keys::normalize(k) == property)
            .map(|(_, v)| v.as_str())
    }

    /// Parses file content, decoding bytes as ISO-8859-1 like the daemon. `path` names the file
    /// in errors.
    pub fn parse(path: PathBuf, bytes: &[u8]) -> anyhow::Result<KclProperties> {
        // ISO-8859-1 maps each byte to the code point of the same value; encoding_rs only has
        // windows-1252, which differs in 0x80–0x9F, so decode here and parse the result as UTF-8.
        let text: String = bytes.iter().map(|&b| char::from(b)).collect();
        let mut props = KclProperties {
            path,
            entries: Vec::new(),
            lines: Vec::new(),
            load_warnings: Vec::new(),
        };
        let iter =
            java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8);
        for line in iter {
            let line = line.map_err(|e| {
                let text = e.to_string();
                let what = text
                    .rsplit_once(" (line_number = ")
                    .map_or(text.as_str(), |(what, _)| what);
                let at = e.line_number().map(|n| format!(":{n}")).unwrap_or_default();
                UserError::new(
                    Exit::Input,
                    format!("{}{at}: {what}", props.path.display()),
                )
                .hint("write other characters as \\uXXXX with exactly four hex digits, and a literal backslash as \\\\")
            })?;
            let number = line.line_number();
            if let java_properties::LineContent::KVPair(key, value) = line.consume_content() {
                props.entries.push((key, value));
                props.lines.push(number);
            }
        }
        if let Some(warning) = utf8_warning(&props.path, bytes) {
            props.load_warnings.push(warning);
        }
        props.load_warnings.extend(duplicate_warnings(&props));
        Ok(props)
    }
}

/// A warning when the file holds non-ASCII text that is valid UTF-8: the daemon reads it as
/// ISO-8859-1 and sees different characters.
fn utf8_warning(path: &Path, bytes: &[u8]) -> Option<String> {
    if bytes.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let (number, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.is_ascii())
        .map(|(i, l)| (i + 1, l))?;
    let sample: String = line.chars().filter(|c| !c.is_ascii()).take(3).collect();
    let seen: String = sample.as_bytes().iter().map(|&b| char::from(b)).collect();
    let escaped: String = sample
        .chars()
        .flat_map(|c| {
            let mut units = [0u16; 2];
            c.encode_utf16(&mut units)
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect::<Vec<_>>()
        })
        .collect();
    Some(format!(
        "{}:{number}: UTF-8 text, but the MultiLangDaemon reads .properties files as ISO-8859-1 and will see {seen:?} instead of {sample:?}; write {escaped} instead",
        path.display()
    ))
}

/// Warnings for keys set more than once (the daemon silently keeps the last value): the first
/// [`LISTED`] such keys, each with at most [`LISTED`] of its lines.
fn duplicate_warnings(props: &KclProperties) -> Vec<String> {
    // One map entry per distinct key (its count and first entry), no list of lines each; then the
    // lines of the listed keys only: linear time, and a million distinct keys cost one map.
    let mut first: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, (key, _)) in props.entries.iter().enumerate() {
        first.entry(key).or_insert((0, i)).0 += 1;
    }
    let twice: Vec<&str> = props
        .entries
        .iter()
        .enumerate()
        .filter(|(i, (key, _))| matches!(first[key.as_str()], (n, at) if n > 1 && at == *i))
        .map(|(_, (key, _))| key.as_str())
        .collect();
    let listed: Vec<&str> = twice.iter().take(LISTED).copied().collect();
    let mut lines_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for ((key, _), line) in props.entries.iter().zip(&props.lines) {
        if listed.contains(&key.as_str()) {
            lines_of.entry(key).or_default().push(*line);
        }
    }
    let listed = listed
        .iter()
        .take(LISTED)
        .map(|key| {
            let lines = &lines_of[key];
            let mut list: Vec<String> = lines.iter().take(LISTED).map(usize::to_string).collect();
            if lines.len() > LISTED {
                list.push(format!("… ({} times in all)", lines.len()));
            }
            format!(
                "{}: {} is set on lines {}; the MultiLangDaemon uses the last one",
                props.path.display(),
                bounded(key),
                list.join(", ")
            )
        })
        .collect();
    with_rest(&props.path, listed, twice.len(), "keys set more than once")
}

/// Reads `path` (made absolute against `env.cwd`). Errors (exit 3) name the file.
pub fn load(env: &Env, path: &Path) -> anyhow::Result<KclProperties> {
    let path = env.absolute(path);
    let problem = match std::fs::read(&path) {
        Ok(bytes) => return KclProperties::parse(path, &bytes),
        Err(_) if path.is_dir() => "is a directory".to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist".to_string(),
        Err(e) => format!("cannot be read: {e}"),
    };
    Err(UserError::new(
        Exit::Input,
        format!("properties file {} {problem}", path.display()),
    )
    .hint("pass the KCL .properties file of your application with --properties, or try --sample")
    .into())
}

/// Checks the properties: an error (exit 3) for missing required keys; otherwise the warnings
/// (unknown keys with suggestions, executableName not found…), which `strict` turns into an error.
pub fn check(props: &KclProperties, env: &Env, strict: bool) -> anyhow::Result<Vec<String>> {
    check_with_sample(props, env, strict, &|| None)
}

/// [`check`], with a way to find the sample properties file (written on demand) so that the
/// missing-keys hint can name a file that has every required key.
pub fn check_with_sample(
    props: &KclProperties,
    env: &Env,
    strict: bool,
    sample: &dyn Fn() -> Option<PathBuf>,
) -> anyhow::Result<Vec<String>> {
    check_required(props, sample)?;
    let mut warnings = props.load_warnings.clone();
    warnings.extend(unknown_key_warnings(props));
    warnings.extend(value_warnings(props));
    warnings.extend(shutdown::check(props));
    if let Some(value) = props.get("executableName") {
        let line = props
            .entries
            .iter()
            .zip(&props.lines)
            .rev()
            .find(|((k, _), _)| k == "executableName")
            .map_or(0, |(_, line)| *line);
        warnings.extend(
            program::check(value, env)
                .into_iter()
                .map(|w| format!("{}:{line}: {w}", props.path.display())),
        );
    }
    if strict && !warnings.is_empty() {
        let mut msg = format!(
            "{}: {} warning{} and --strict is set:",
            props.path.display(),
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        );
        for w in &warnings {
            msg.push_str("\n  - ");
            msg.push_str(w);
        }
        return Err(UserError::new(Exit::Input, msg)
            .hint("fix the file, or leave out --strict to only warn")
            .into());
    }
    Ok(warnings)
}

/// The keys without which the daemon refuses to start (it checks them only after the JVM is up).
fn check_required(
    props: &KclProperties,
    sample: &dyn Fn() -> Option<PathBuf>,
) -> anyhow::Result<()> {
    let blank = |v: Option<&str>| v.is_none_or(|v| v.trim().is_empty());
    // Each missing key with the spellings that would have satisfied it.
    let mut missing: Vec<(&str, &[&str])> = Vec::new();
    if blank(props.get("executableName")) {
        missing.push(("executableName", &["executableName"]));
    }
    if blank(props.get("applicationName")) {
        missing.push(("applicationName", &["applicationName"]));
    }
    let arn = props.get("streamArn").filter(|v| !v.trim().is_empty());
    if arn.is_none() && blank(props.get("streamName")) {
        missing.push(("streamName (or streamArn)", &["streamName", "streamArn"]));
    }
    if blank(props.get_normalized("awsCredentialsProvider")) {
        missing.push(("AwsCredentialsProvider", &["awsCredentialsProvider"]));
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
        let mut msg = format!(
            "{}: missing required key{}: {}",
            props.path.display(),
            if missing.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        // A misspelt key is the likely reason: point at its line (the unknown-key warnings that
        // would say so are never printed, because this error comes first).
        let near = near_misses(props, &missing);
        for (line, key, meant) in &near {
            msg.push_str(&format!(
                "\n  {}:{line}: {key} is not a key the MultiLangDaemon knows; did you mean {meant}?",
                props.path.display()
            ));
        }
        let sample = match sample() {
            Some(path) => format!("the sample {} sets every one of them", path.display()),
            None => "`--sample` runs the sample that sets every one of them".to_string(),
        };
        let hint = if near.is_empty() {
            format!("add them to the file; {sample}")
        } else {
            format!("fix the spelling on the line named above (keys are case-sensitive) and add any other missing key; {sample}")
        };
        return Err(UserError::new(Exit::Input, msg).hint(hint).into());
    }
    if let Some(arn) = arn {
        if !is_stream_arn(arn) {
            return Err(UserError::new(
                Exit::Input,
                format!(
                    "{}: streamArn {:?} is not a Kinesis stream ARN",
                    props.path.display(),
                    bounded(arn)
                ),
            )
            .hint("expected arn:aws:kinesis:REGION:ACCOUNT-ID:stream/NAME (12-digit account id)")
            .into());
        }
    }
    Ok(())
}

/// Unknown keys of the file whose closest known key is one of the missing ones: `(line, key as
/// written, the key it should be)`, in file order, each key once.
fn near_misses(props: &KclProperties, missing: &[(&str, &[&str])]) -> Vec<(usize, String, String)> {
    let mut seen = std::collections::HashSet::new();
    let mut near = Vec::new();
    for ((key, _), line) in props.entries.iter().zip(&props.lines) {
        if keys::is_known(key) || !seen.insert(key.as_str()) {
            continue;
        }
        let Some(meant) = keys::suggest(key) else {
            continue;
        };
        let normalized = keys::normalize(&meant);
        if missing
            .iter()
            .any(|(_, spellings)| spellings.contains(&normalized.as_str()))
        {
            near.push((*line, key.clone(), meant));
        }
    }
    near
}

/// The daemon's stream ARN pattern:
/// `arn:aws[^:]*:kinesis:[-a-z0-9]+:[0-9]{12}:stream/.+`.
fn is_stream_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && *service == "kinesis"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_lowercase() || b.is_ascii_digit())
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("stream/")
            .is_some_and(|name| !name.is_empty() && !name.contains('\n'))
}

/// One warning per distinct key the daemon does not know, with the closest known key, for the
/// first [`LISTED`] of them (a suggestion costs an edit distance per known key).
fn unknown_key_warnings(props: &KclProperties) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut warnings = Vec::new();
    let mut unknown = 0;
    for ((key, _), line) in props.entries.iter().zip(&props.lines) {
        if keys::is_known(key) || !seen.insert(key.as_str()) {
            continue;
        }
        unknown += 1;
        if warnings.len() == LISTED {
            continue;
        }
        let hint = match keys::suggest(key) {
            Some(known) => format!("; did you mean {known}? (keys are case-sensitive)"),
            None => String::new(),
        };
        warnings.push(format!(
            "{}:{line}: unknown key {}: the MultiLangDaemon ignores it{hint}",
            props.path.display(),
            bounded(key)
        ));
    }
    with_rest(&props.path, warnings, unknown, "unknown keys")
}

/// Values of known keys the daemon would misread, for the value it actually uses (the last one
/// of a key set twice). One pass to find each key's last entry, one to check those: linear in
/// the number of entries.
fn value_warnings(props: &KclProperties) -> Vec<String> {
    let last: HashMap<&str, usize> = props
        .entries
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (key.as_str(), i))
        .collect();
    props
        .entries
        .iter()
        .zip(&props.lines)
        .enumerate()
        .filter(|(i, ((key, _), _))| last[key.as_str()] == *i && keys::is_known(key))
        .filter_map(|(_, ((key, value), line))| {
            values::check(key, value).map(|w| format!("{}:{line}: {w}", props.path.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
