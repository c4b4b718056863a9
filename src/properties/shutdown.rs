//! The stop a properties file asks for. The MultiLangDaemon's shutdown hook (KCL 3.x
//! `MultiLangDaemon.setupShutdownHook`) starts the scheduler's graceful shutdown and then waits
//! `shutdownGraceMillis` for it, a `long` without a default: left out (as in amazon_kclpy's own
//! sample.properties) it is 0, so every SIGTERM or Ctrl-C ends at once with "Encountered an error
//! during shutdown. java.util.concurrent.TimeoutException" and the record processors are never
//! sent `shutdownRequested`, so they cannot checkpoint: the next owner of each shard replays
//! everything since the last checkpoint. Nothing in the daemon reports it, so kclrs does, and it
//! also warns when the grace is shorter than the graceful stop takes ([`MARGIN_MILLIS`]).

use super::KclProperties;

/// KCL's default `failoverTimeMillis` (`LeaseManagementConfig`).
const DEFAULT_FAILOVER_MILLIS: i64 = 10_000;

/// What a graceful stop needs on top of `failoverTimeMillis`: the scheduler's run loop ends a
/// requested shutdown only when its shard-consumer map is empty or `failoverTimeMillis` has
/// passed since it began (`Scheduler.shouldShutdown`), and in 3.1.3 the map is not emptied, so
/// every graceful stop takes failoverTimeMillis after the processors' checkpoints (measured:
/// checkpoints within 1.2 s, "Lease failover time is reached, so forcing shutdown" 10 s later).
/// The rest is room for processors that take longer to checkpoint.
const MARGIN_MILLIS: i64 = 10_000;

/// Below failoverTimeMillis plus this, a graceful stop cannot finish in time: the processors'
/// checkpoints come first (1.2 s measured with amazon_kclpy).
const CHECKPOINT_MILLIS: i64 = 2_000;

const KEY: &str = "shutdownGraceMillis";

/// A warning (with file and line) when a stop would not let the processors checkpoint, or would
/// end in a TimeoutException before the daemon's scheduler is done.
pub fn check(props: &KclProperties) -> Option<String> {
    let failover = props
        .get("failoverTimeMillis")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&f| f > 0)
        .unwrap_or(DEFAULT_FAILOVER_MILLIS);
    let suggested = failover + MARGIN_MILLIS;
    let path = props.path.display();
    let advice = format!(
        "set {KEY} = {suggested}: a graceful stop takes failoverTimeMillis ({failover} ms, KCL's scheduler waits that long before it finishes) plus the time your processors need to checkpoint on shutdownRequested; keep it below the time your supervisor waits before SIGKILL (cheap deploys: a fixed workerId and shorter lease timers, docs/operations.md)"
    );
    let Some((value, line)) = last(props) else {
        return Some(format!(
            "{path}: {KEY} is not set: {}; {advice}",
            zero_means()
        ));
    };
    match value.trim().parse::<i64>() {
        Ok(n) if n <= 0 => Some(format!("{path}:{line}: {KEY} = {n}: {}; {advice}", zero_means())),
        Ok(n) if n < failover + CHECKPOINT_MILLIS => Some(format!(
            "{path}:{line}: {KEY} = {n} is shorter than failoverTimeMillis ({failover} ms) plus the processors' checkpoints: every stop ends with \"Encountered an error during shutdown. TimeoutException\" before KCL's scheduler has finished (processors that checkpoint within {n} ms still do); {advice}"
        )),
        // Unparsable values get values.rs's "silently uses 0" warning.
        _ => None,
    }
}

fn zero_means() -> &'static str {
    "on SIGTERM or Ctrl-C the MultiLangDaemon waits 0 ms for its record processors, so they never get shutdownRequested, cannot checkpoint, and their next owner replays every record since their last checkpoint (the stop ends with a TimeoutException)"
}

/// The value and line of the last `shutdownGraceMillis`, the one the daemon uses.
fn last(props: &KclProperties) -> Option<(&str, usize)> {
    props
        .entries
        .iter()
        .zip(&props.lines)
        .rev()
        .find(|((k, _), _)| k == KEY)
        .map(|((_, v), line)| (v.as_str(), *line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn props(text: &str) -> KclProperties {
        KclProperties::parse(PathBuf::from("/p/app.properties"), text.as_bytes()).unwrap()
    }

    #[test]
    fn missing_zero_or_negative_grace_is_reported_with_a_value() {
        let missing = check(&props("streamName = s\n")).unwrap();
        assert!(
            missing.starts_with("/p/app.properties: shutdownGraceMillis is not set: on SIGTERM or Ctrl-C the MultiLangDaemon waits 0 ms"),
            "{missing}"
        );
        assert!(
            missing.contains("set shutdownGraceMillis = 20000"),
            "{missing}"
        );
        let zero = check(&props("a = 1\nshutdownGraceMillis = 0\n")).unwrap();
        assert!(
            zero.starts_with("/p/app.properties:2: shutdownGraceMillis = 0: "),
            "{zero}"
        );
        let negative = check(&props("shutdownGraceMillis = -5\n")).unwrap();
        assert!(
            negative.contains(":1: shutdownGraceMillis = -5: "),
            "{negative}"
        );
    }

    #[test]
    fn a_grace_shorter_than_the_failover_time_ends_in_a_timeout() {
        let short = check(&props(
            "failoverTimeMillis = 5000\nshutdownGraceMillis = 3000\n",
        ))
        .unwrap();
        assert!(
            short.starts_with("/p/app.properties:2: shutdownGraceMillis = 3000 is shorter than failoverTimeMillis (5000 ms) plus"),
            "{short}"
        );
        assert!(
            short.contains("set shutdownGraceMillis = 15000: "),
            "{short}"
        );
        assert_eq!(
            check(&props(
                "failoverTimeMillis = 5000\nshutdownGraceMillis = 7000\n"
            )),
            None
        );
        // The default failover time is 10 s.
        assert!(check(&props("shutdownGraceMillis = 11999\n")).is_some());
    }

    #[test]
    fn a_positive_grace_or_an_unparsable_one_is_left_to_other_checks() {
        assert_eq!(check(&props("shutdownGraceMillis = 30000\n")), None);
        // The last one counts, as in the daemon.
        assert_eq!(
            check(&props(
                "shutdownGraceMillis = 0\nshutdownGraceMillis = 20000\n"
            )),
            None
        );
        // values.rs already says that the daemon reads this as 0.
        assert_eq!(check(&props("shutdownGraceMillis = 10s\n")), None);
    }
}
