//! The one list of property keys the KCL 3.x MultiLangDaemon understands (pinned version:
//! amazon-kinesis-client-multilang 3.1.3).
//!
//! The daemon hands every key to commons-beanutils, which sets the bean property of that name on
//! `MultiLangDaemonConfiguration` (its own setters, plus those Lombok delegates to the polling,
//! graceful-handoff, worker-utilization, worker-metrics-table and coordinator-state beans) and
//! silently ignores any key without a setter — so a misspelt key is simply lost. Bean property
//! names are case-sensitive. The one exception: keys starting with `awscredentialsprovider` in any
//! case are first rewritten to `awsCredentialsProvider…` (`KinesisClientLibConfigurator.processKey`).
//! Three more keys are read directly by `MultiLangDaemonConfig`. Nested keys (`a.b`) reach the
//! properties of the beans the configuration exposes through getters. The list is checked against
//! the real 3.1.3 jar by `tests/cli/properties.rs`, and so is the [`Kind`] each key carries (how
//! the daemon converts its value; see `values.rs`).

/// How the daemon converts a key's value (commons-beanutils converters, plus those
/// `MultiLangDaemonConfiguration` registers), as the setter's parameter type decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `int`/`Integer`: an invalid or out-of-range value silently becomes 0.
    Int,
    /// `long`/`Long`: an invalid or out-of-range value silently becomes 0.
    Long,
    /// `double`: an invalid value silently becomes 0.0.
    Double,
    /// `boolean`/`Boolean`: true/yes/y/on/1 or false/no/n/off/0; anything else silently false.
    Bool,
    /// An enum matched after upper-casing, without trimming; anything else stops the daemon.
    Enum(&'static [&'static str]),
    /// `initialPositionInStreamExtended`: epoch seconds, parsed without trimming.
    EpochSeconds,
    /// `java.time.Duration.parse` (ISO-8601, e.g. PT10M), not negative.
    Duration,
    /// `maxActiveThreads`: `Integer.parseInt` without trimming; anything else stops the daemon.
    StrictInt,
    /// No converter exists for the type: any value stops the daemon.
    Unsettable,
    Text,
}

const BILLING_MODES: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];

/// A key and how its value is converted.
pub type Key = (&'static str, Kind);

/// Keys `MultiLangDaemonConfig` reads itself.
pub const DAEMON_KEYS: &[Key] = &[
    ("executableName", Kind::Text),
    ("processingLanguage", Kind::Text),
    ("maxActiveThreads", Kind::StrictInt),
];

/// Writable bean properties `MultiLangDaemonConfiguration` declares itself (the delegated ones
/// are in [`DELEGATED`]).
pub const CONFIGURATION_KEYS: &[Key] = &[
    ("applicationName", Kind::Text),
    ("awsCredentialsProvider", Kind::Text),
    ("awsCredentialsProviderCloudWatch", Kind::Text),
    ("awsCredentialsProviderDynamoDB", Kind::Text),
    ("callProcessRecordsEvenForEmptyRecordList", Kind::Bool),
    ("cleanupLeasesUponShardCompletion", Kind::Bool),
    (
        "clientVersionConfig",
        Kind::Enum(&[
            "CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X",
            "CLIENT_VERSION_CONFIG_3X",
        ]),
    ),
    ("dynamoDBEndpoint", Kind::Text),
    ("enablePriorityLeaseAssignment", Kind::Bool),
    ("failoverTimeMillis", Kind::Long),
    ("ignoreUnexpectedChildShards", Kind::Bool),
    ("initialLeaseTableReadCapacity", Kind::Int),
    ("initialLeaseTableWriteCapacity", Kind::Int),
    (
        "initialPositionInStream",
        Kind::Enum(&["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"]),
    ),
    ("initialPositionInStreamExtended", Kind::EpochSeconds),
    ("kinesisEndpoint", Kind::Text),
    ("leaseAssignmentIntervalMillis", Kind::Long),
    ("leaseTableDeletionProtectionEnabled", Kind::Bool),
    ("leaseTablePitrEnabled", Kind::Bool),
    ("listShardsBackoffTimeInMillis", Kind::Long),
    ("logWarningForTaskAfterMillis", Kind::Long),
    ("maxLeaseRenewalThreads", Kind::Int),
    ("maxLeasesForWorker", Kind::Int),
    ("maxLeasesToStealAtOneTime", Kind::Int),
    ("maxListShardsRetryAttempts", Kind::Int),
    ("metricsBufferTimeMillis", Kind::Long),
    ("metricsEnabledDimensions", Kind::Text),
    ("metricsLevel", Kind::Enum(&["NONE", "SUMMARY", "DETAILED"])),
    ("metricsMaxQueueSize", Kind::Int),
    ("parentShardPollIntervalMillis", Kind::Long),
    ("regionName", Kind::Text),
    (
        "retrievalMode",
        Kind::Enum(&["FANOUT", "POLLING", "DEFAULT"]),
    ),
    ("schedulerInitializationBackoffTimeMillis", Kind::Long),
    ("shardPrioritization", Kind::Unsettable),
    ("shardSyncIntervalMillis", Kind::Long),
    ("shutdownGraceMillis", Kind::Long),
    (
        "skipShardSyncAtWorkerInitializationIfLeasesExist",
        Kind::Bool,
    ),
    ("streamArn", Kind::Text),
    ("streamName", Kind::Text),
    ("tableName", Kind::Text),
    ("taskBackoffTimeMillis", Kind::Long),
    ("timeoutInSeconds", Kind::Int),
    ("validateSequenceNumberBeforeCheckpointing", Kind::Bool),
    ("workerId", Kind::Text),
    ("workerIdentifier", Kind::Text),
];

const FANOUT: &[Key] = &[
    ("consumerArn", Kind::Text),
    ("consumerName", Kind::Text),
    ("maxDescribeStreamConsumerRetries", Kind::Int),
    ("maxDescribeStreamSummaryRetries", Kind::Int),
    ("registerStreamConsumerRetries", Kind::Int),
    ("retryBackoffMillis", Kind::Long),
];
const POLLING: &[Key] = &[
    ("idleTimeBetweenReadsInMillis", Kind::Long),
    ("maxGetRecordsThreadPool", Kind::Int),
    ("maxRecords", Kind::Int),
    ("millisBehindLatestThresholdForReducedTps", Kind::Long),
    ("retryGetRecordsInSeconds", Kind::Int),
];
const GRACEFUL: &[Key] = &[
    ("gracefulLeaseHandoffTimeoutMillis", Kind::Long),
    ("isGracefulLeaseHandoffEnabled", Kind::Bool),
];
const UTILIZATION: &[Key] = &[
    ("allowThroughputOvershoot", Kind::Bool),
    ("dampeningPercentage", Kind::Int),
    ("disableWorkerMetrics", Kind::Bool),
    ("inMemoryWorkerMetricsCaptureFrequencyMillis", Kind::Long),
    ("maxThroughputPerHostKBps", Kind::Double),
    ("noOfPersistedMetricsPerWorkerMetrics", Kind::Int),
    ("reBalanceThresholdPercentage", Kind::Int),
    ("staleWorkerMetricsEntryCleanupDuration", Kind::Duration),
    ("varianceBalancingFrequency", Kind::Int),
    ("workerMetricsEMAAlpha", Kind::Double),
    ("workerMetricsReporterFreqInMillis", Kind::Long),
];
const WORKER_METRICS_TABLE: &[Key] = &[
    ("workerMetricsBillingMode", Kind::Enum(BILLING_MODES)),
    ("workerMetricsDeletionProtectionEnabled", Kind::Bool),
    ("workerMetricsPointInTimeRecoveryEnabled", Kind::Bool),
    ("workerMetricsReadCapacity", Kind::Long),
    ("workerMetricsTableName", Kind::Text),
    ("workerMetricsTags", Kind::Text),
    ("workerMetricsWriteCapacity", Kind::Long),
];
const COORDINATOR_STATE_TABLE: &[Key] = &[
    ("coordinatorStateBillingMode", Kind::Enum(BILLING_MODES)),
    ("coordinatorStateDeletionProtectionEnabled", Kind::Bool),
    ("coordinatorStatePointInTimeRecoveryEnabled", Kind::Bool),
    ("coordinatorStateReadCapacity", Kind::Long),
    ("coordinatorStateTableName", Kind::Text),
    ("coordinatorStateTags", Kind::Text),
    ("coordinatorStateWriteCapacity", Kind::Long),
];

/// Beans whose setters Lombok's `@Delegate` copies onto the configuration: their keys work on
/// their own (`maxRecords`) and, as for every nested bean, after the prefix (`pollingConfig.maxRecords`).
pub const DELEGATED: &[&[Key]] = &[
    POLLING,
    GRACEFUL,
    UTILIZATION,
    WORKER_METRICS_TABLE,
    COORDINATOR_STATE_TABLE,
];

/// Every key the configuration bean accepts without a prefix: its own and the delegated ones.
fn top_level_keys() -> impl Iterator<Item = &'static Key> {
    CONFIGURATION_KEYS
        .iter()
        .chain(DELEGATED.iter().flat_map(|keys| keys.iter()))
}

/// The names of [`top_level_keys`].
pub fn top_level() -> impl Iterator<Item = &'static str> {
    top_level_keys().map(|(name, _)| *name)
}

/// Read-only bean properties reachable with `prefix.key`, and the keys allowed after the dot.
/// `None`: an AWS SDK builder or credentials provider (a `BuilderDynaBean`) whose properties
/// depend on the SDK version, so any key is accepted there.
pub const NESTED: &[(&str, Option<&[Key]>)] = &[
    ("cloudWatchClient", None),
    ("cloudWatchCredentialsProvider", None),
    (
        "coordinatorStateTableConfigBean",
        Some(COORDINATOR_STATE_TABLE),
    ),
    ("dynamoDBCredentialsProvider", None),
    ("dynamoDbClient", None),
    ("fanoutConfig", Some(FANOUT)),
    ("gracefulLeaseHandoffConfigBean", Some(GRACEFUL)),
    ("kinesisClient", None),
    ("kinesisCredentialsProvider", None),
    ("pollingConfig", Some(POLLING)),
    (
        "workerMetricStatsTableConfigBean",
        Some(WORKER_METRICS_TABLE),
    ),
    (
        "workerUtilizationAwareAssignmentConfigBean",
        Some(UTILIZATION),
    ),
];

fn kind_in<'a>(mut keys: impl Iterator<Item = &'a Key>, name: &str) -> Kind {
    keys.find(|(k, _)| *k == name)
        .map_or(Kind::Text, |(_, kind)| *kind)
}

/// How the daemon converts the value of a known key (after [`normalize`]); [`Kind::Text`] for
/// unknown keys and the SDK builder properties behind `kinesisClient.` and the like.
pub fn kind(key: &str) -> Kind {
    let key = normalize(key);
    match key.split_once('.') {
        Some((prefix, rest)) => NESTED
            .iter()
            .find(|(p, _)| *p == prefix)
            .and_then(|(_, keys)| *keys)
            .map_or(Kind::Text, |keys| kind_in(keys.iter(), rest)),
        None => TOP_LEVEL.get(key.as_str()).copied().unwrap_or(Kind::Text),
    }
}

/// [`DAEMON_KEYS`] and [`top_level_keys`] by name (the first entry of a name wins), so checking
/// a file of a million keys costs a hash lookup per key, not a scan of the list.
static TOP_LEVEL: std::sync::LazyLock<std::collections::HashMap<&'static str, Kind>> =
    std::sync::LazyLock::new(|| {
        let mut map = std::collections::HashMap::new();
        for (name, kind) in DAEMON_KEYS.iter().chain(top_level_keys()) {
            map.entry(*name).or_insert(*kind);
        }
        map
    });

const CREDENTIALS_LOWER: &str = "awscredentialsprovider";
const CREDENTIALS: &str = "awsCredentialsProvider";

/// The key as the daemon's bean code sees it: any-case `awscredentialsprovider` becomes
/// `awsCredentialsProvider` (only when the key starts with it, every occurrence, like Java's
/// `replaceAll("(?i)…")`, which folds ASCII case only).
pub fn normalize(key: &str) -> String {
    // Only the first characters can make the prefix: a long key is not lowercased whole.
    let head: String = key.chars().take(CREDENTIALS_LOWER.len()).collect();
    if !head.to_lowercase().starts_with(CREDENTIALS_LOWER) {
        return key.to_string();
    }
    let lower = key.to_ascii_lowercase();
    let mut out = String::with_capacity(key.len());
    let mut i = 0;
    while i < key.len() {
        if lower[i..].starts_with(CREDENTIALS_LOWER) {
            out.push_str(CREDENTIALS);
            i += CREDENTIALS_LOWER.len();
        } else {
            let c = key[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// True when the daemon uses `key` (after [`normalize`]).
pub fn is_known(key: &str) -> bool {
    let key = normalize(key);
    if TOP_LEVEL.contains_key(key.as_str()) {
        return true;
    }
    let Some((prefix, rest)) = key.split_once('.') else {
        return false;
    };
    NESTED.iter().any(|(p, allowed)| {
        *p == prefix
            && !rest.is_empty()
            && allowed.is_none_or(|keys| keys.iter().any(|(k, _)| *k == rest))
    })
}

/// How a known key is best written in a file: the credentials keys as the KCL documentation
/// and samples spell them (`AwsCredentialsProvider`), every other one as is.
fn display(key: &str) -> String {
    match key.strip_prefix(CREDENTIALS) {
        Some(rest) => format!("AwsCredentialsProvider{rest}"),
        None => key.to_string(),
    }
}

/// Every key that may appear in a file, as [`display`] spells it (nested ones included).
fn spellings() -> Vec<String> {
    let mut all: Vec<String> = DAEMON_KEYS
        .iter()
        .map(|(name, _)| *name)
        .chain(top_level())
        .map(display)
        .collect();
    for (prefix, keys) in NESTED {
        for (key, _) in keys.unwrap_or_default() {
            all.push(format!("{prefix}.{key}"));
        }
    }
    all
}

/// The known key closest to an unknown one, if any is close enough to be a likely typo:
/// same letters in another case, or a small edit distance.
pub fn suggest(unknown: &str) -> Option<String> {
    let lower = unknown.to_lowercase();
    let all = spellings();
    if let Some(same) = all.iter().find(|k| k.to_lowercase() == lower) {
        return Some(same.clone());
    }
    let length = lower.chars().count();
    let allowed = (length / 4).max(2);
    // The edit distance is at least the length difference: skipping keys that cannot be close
    // enough keeps a long garbage key from costing a full distance against every known key.
    let (best, distance) = all
        .iter()
        .filter(|k| k.chars().count().abs_diff(length) <= allowed)
        .map(|k| (k, strsim::levenshtein(&k.to_lowercase(), &lower)))
        .min_by_key(|(_, d)| *d)?;
    (distance <= allowed).then(|| best.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_keys_match_in_any_case() {
        for key in [
            "AwsCredentialsProvider",
            "AWSCredentialsProvider",
            "awscredentialsprovider",
            "AwsCredentialsProviderDynamoDB",
            "AWSCREDENTIALSPROVIDERCloudWatch",
        ] {
            assert!(is_known(key), "{key}");
        }
        assert_eq!(
            normalize("AWSCREDENTIALSPROVIDER"),
            "awsCredentialsProvider"
        );
        assert_eq!(normalize("streamName"), "streamName");
        // Only the credentials part is case-folded; the rest stays case-sensitive.
        assert!(!is_known("AwsCredentialsProviderDynamodb"));
    }

    #[test]
    fn other_keys_are_case_sensitive_and_nested_keys_are_checked() {
        assert!(is_known("streamName"));
        assert!(!is_known("streamname"));
        assert!(!is_known("StreamName"));
        assert!(is_known("executableName"));
        assert!(is_known("fanoutConfig.consumerArn"));
        assert!(!is_known("fanoutConfig.consumerARN"));
        assert!(is_known("kinesisClient.endpointOverride"));
        assert!(!is_known("kinesisClient."));
        assert!(!is_known("nothing.here"));
    }

    /// Found by the properties fuzz target: long unknown keys made each check cost a full edit
    /// distance against every known key (20 inputs a second).
    #[test]
    fn long_unknown_keys_get_no_suggestion() {
        assert_eq!(suggest(&"streamName".repeat(2_000)), None);
        assert_eq!(suggest(&"x".repeat(1_663)), None);
    }

    #[test]
    fn suggestions_for_typos() {
        assert_eq!(suggest("streamname").as_deref(), Some("streamName"));
        assert_eq!(
            suggest("ApplicationName").as_deref(),
            Some("applicationName")
        );
        assert_eq!(
            suggest("AwsCredentialProvider").as_deref(),
            Some("AwsCredentialsProvider")
        );
        assert_eq!(
            suggest("initialPositionInStrem").as_deref(),
            Some("initialPositionInStream")
        );
        assert_eq!(
            suggest("fanoutConfig.consumerARN").as_deref(),
            Some("fanoutConfig.consumerArn")
        );
        assert_eq!(suggest("zzz"), None);
        assert_eq!(suggest("completelyUnrelatedSetting"), None);
    }

    #[test]
    fn lists_are_sorted_and_free_of_duplicates() {
        for list in [
            CONFIGURATION_KEYS,
            FANOUT,
            POLLING,
            GRACEFUL,
            UTILIZATION,
            WORKER_METRICS_TABLE,
            COORDINATOR_STATE_TABLE,
        ] {
            let names: Vec<&str> = list.iter().map(|(name, _)| *name).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, names);
        }
        let mut all: Vec<&str> = top_level().collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(
            all.len(),
            count,
            "a delegated key is also listed as the bean's own"
        );
    }
}
