//! Checks values the way the MultiLangDaemon converts them, because its converters fail in two
//! unhelpful ways: numbers and booleans that do not parse silently become 0 or false (so
//! `failoverTimeMillis = 10s` means 0 ms), and enums with a trailing space — invisible in most
//! editors, and kept by the properties format — stop the daemon after the JVM has started.
//! Both behaviours were observed with the 3.1.3 configurator; [`keys::Kind`] says which applies.

use super::keys::{self, Kind};

/// A message (without file and line) when `value` is not what the daemon can use for `key`.
pub fn check(key: &str, value: &str) -> Option<String> {
    let trimmed = value.trim();
    // The value itself is parsed; messages quote at most a prefix of it.
    let shown = super::bounded(value);
    match keys::kind(key) {
        Kind::Text => None,
        Kind::Int => whole_number(key, value, trimmed.parse::<i32>().is_ok(), 32),
        Kind::Long => whole_number(key, value, trimmed.parse::<i64>().is_ok(), 64),
        Kind::Double => {
            let number = trimmed.trim_end_matches(['d', 'D', 'f', 'F']);
            (number.is_empty() || number.parse::<f64>().is_err()).then(|| {
                format!("{key} = {shown} is not a number: the MultiLangDaemon silently uses 0")
            })
        }
        Kind::Bool => {
            const WORDS: &[&str] = &["true", "false", "yes", "no", "y", "n", "on", "off", "1", "0"];
            (!WORDS.contains(&trimmed.to_lowercase().as_str())).then(|| {
                format!(
                    "{key} = {shown} is not true or false: the MultiLangDaemon silently uses false"
                )
            })
        }
        Kind::Enum(allowed) => {
            let upper = value.to_uppercase();
            if key == "initialPositionInStream" && upper == "AT_TIMESTAMP" {
                return Some(
                    "initialPositionInStream = AT_TIMESTAMP stops the MultiLangDaemon: set initialPositionInStreamExtended = <seconds since 1970> instead"
                        .to_string(),
                );
            }
            if allowed.contains(&upper.as_str()) {
                None
            } else if allowed.contains(&upper.trim()) {
                Some(format!(
                    "{key} = {shown:?} has spaces around the value, which the MultiLangDaemon keeps: it will refuse to start"
                ))
            } else {
                Some(format!(
                    "{key} = {shown} is not one of {}: the MultiLangDaemon will refuse to start",
                    allowed.join(", ")
                ))
            }
        }
        Kind::EpochSeconds => value.parse::<i64>().is_err().then(|| {
            format!(
                "{key} = {shown:?} is not a number of seconds since 1970 (without spaces): the MultiLangDaemon will refuse to start"
            )
        }),
        Kind::Duration => {
            let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
            if body.starts_with('-') {
                Some(format!(
                    "{key} = {shown} is negative: the MultiLangDaemon will refuse to start"
                ))
            } else if !(body.starts_with(['P', 'p']) && body.len() > 2) {
                Some(format!(
                    "{key} = {shown} is not an ISO-8601 duration such as PT30M: the MultiLangDaemon will refuse to start"
                ))
            } else {
                None
            }
        }
        Kind::StrictInt => value.parse::<i32>().is_err().then(|| {
            format!(
                "{key} = {shown:?} is not a whole number (without spaces): the MultiLangDaemon will refuse to start"
            )
        }),
        Kind::Unsettable => Some(format!(
            "{key} cannot be set in a properties file: the MultiLangDaemon has no converter for it and will refuse to start"
        )),
    }
}

fn whole_number(key: &str, value: &str, ok: bool, bits: u32) -> Option<String> {
    if ok {
        return None;
    }
    let trimmed = value.trim();
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let why = if trimmed.is_empty() {
        "is empty".to_string()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("is too large for a {bits}-bit number")
    } else {
        "is not a whole number".to_string()
    };
    Some(format!(
        "{key} = {} {why}: the MultiLangDaemon silently uses 0",
        super::bounded(value)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases observed with the real 3.1.3 `KinesisClientLibConfigurator`.
    #[test]
    fn values_the_daemon_would_misread() {
        let bad = [
            (
                "failoverTimeMillis",
                "100nf",
                "is not a whole number: the MultiLangDaemon silently uses 0",
            ),
            ("failoverTimeMillis", "1e3", "is not a whole number"),
            ("failoverTimeMillis", "0x10", "is not a whole number"),
            (
                "failoverTimeMillis",
                "99999999999999999999",
                "is too large for a 64-bit number",
            ),
            (
                "maxRecords",
                "3000000000",
                "is too large for a 32-bit number",
            ),
            ("maxRecords", "12.5", "is not a whole number"),
            ("timeoutInSeconds", "", "is empty"),
            ("pollingConfig.maxRecords", "ten", "is not a whole number"),
            (
                "cleanupLeasesUponShardCompletion",
                "ture",
                "silently uses false",
            ),
            ("maxThroughputPerHostKBps", "1,5", "is not a number"),
            ("metricsLevel", "SUMMARY ", "has spaces around the value"),
            (
                "metricsLevel",
                "bogus",
                "is not one of NONE, SUMMARY, DETAILED",
            ),
            (
                "initialPositionInStream",
                "latest ",
                "has spaces around the value",
            ),
            (
                "initialPositionInStream",
                "AT_TIMESTAMP",
                "set initialPositionInStreamExtended",
            ),
            (
                "initialPositionInStreamExtended",
                "1700000000 ",
                "seconds since 1970",
            ),
            (
                "staleWorkerMetricsEntryCleanupDuration",
                "30m",
                "ISO-8601 duration",
            ),
            (
                "staleWorkerMetricsEntryCleanupDuration",
                "-PT1M",
                "is negative",
            ),
            (
                "maxActiveThreads",
                " 4",
                "is not a whole number (without spaces)",
            ),
            ("shardPrioritization", "x", "has no converter"),
        ];
        for (key, value, want) in bad {
            let got = check(key, value).unwrap_or_else(|| panic!("{key} = {value:?} passed"));
            assert!(got.contains(want), "{key} = {value:?}: {got}");
        }
        let good = [
            ("failoverTimeMillis", " 100 "),
            ("failoverTimeMillis", "-12"),
            ("maxRecords", "+10000"),
            ("cleanupLeasesUponShardCompletion", "YES"),
            ("cleanupLeasesUponShardCompletion", " false "),
            ("maxThroughputPerHostKBps", "1.5"),
            ("workerMetricsEMAAlpha", "5e-1"),
            ("metricsLevel", "summary"),
            ("initialPositionInStream", "TRIM_HORIZON"),
            ("retrievalMode", "Polling"),
            ("initialPositionInStreamExtended", "1700000000"),
            ("staleWorkerMetricsEntryCleanupDuration", "PT30M"),
            ("maxActiveThreads", "-1"),
            ("streamName", " anything "),
            (
                "kinesisClient.maxRecords",
                "not checked: SDK builder property",
            ),
            ("fanoutConfig.retryBackoffMillis", "250"),
        ];
        for (key, value) in good {
            assert_eq!(check(key, value), None, "{key} = {value:?}");
        }
    }
}
