//! `--log-level` and `--log-format`: the daemon's logback configuration, written by kclrs so
//! nobody has to write logback XML to get JSON lines or quieter logs.
//!
//! The configuration is generated from the two values, stored in the cache under a name derived
//! from its own bytes (`logging/logback-<sha256 prefix>.xml`, written atomically), and passed with
//! the daemon's `--log-configuration`, which resets logback and loads it. JSON lines come from
//! logback's own `JsonEncoder` (in logback-classic since 1.3.8; the lock has 1.3.14), so no jar is
//! added. In JSON mode stdout must hold only JSON, so the JVM's unified logging (class-data
//! sharing warnings, GC notices) is moved to stderr.

use std::path::PathBuf;

use anyhow::Context;

use crate::cache::Cache;

/// A logback level, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Off,
}

impl LogLevel {
    /// The name logback's `level` attribute takes.
    pub fn logback_name(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Off => "OFF",
        }
    }
}

/// What one log line looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// The multilang jar's own pattern (date, thread, level, logger, shard id, message).
    Text,
    /// One JSON object per line (logback's `JsonEncoder`).
    Json,
}

/// The pattern of the `logback.xml` inside the multilang jar, so `--log-level` alone changes
/// nothing but the level.
const TEXT_PATTERN: &str = "%d [%thread] %-5level %logger{36} [%mdc{ShardId:-NONE}] - %msg %n";

/// The logback configuration for `level` (default INFO, the jar's own) and `format`.
pub fn config_xml(level: Option<LogLevel>, format: LogFormat) -> String {
    let level = level.unwrap_or(LogLevel::Info).logback_name();
    let encoder = match format {
        LogFormat::Text => {
            format!("    <encoder>\n      <pattern>{TEXT_PATTERN}</pattern>\n    </encoder>\n")
        }
        LogFormat::Json => {
            "    <encoder class=\"ch.qos.logback.classic.encoder.JsonEncoder\"/>\n".to_string()
        }
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!-- Written by kclrs for its log-level and log-format flags; pass -l FILE to use your own. -->\n\
         <configuration>\n  \
         <appender name=\"CONSOLE\" class=\"ch.qos.logback.core.ConsoleAppender\">\n\
         {encoder}  </appender>\n  \
         <root level=\"{level}\">\n    <appender-ref ref=\"CONSOLE\"/>\n  </root>\n\
         </configuration>\n"
    )
}

/// Writes the configuration into the cache (unless the same bytes are there) and returns its path.
pub fn materialize(
    cache: &Cache,
    level: Option<LogLevel>,
    format: LogFormat,
) -> anyhow::Result<PathBuf> {
    let xml = config_xml(level, format);
    let mut hasher = crate::digest::Hasher::default();
    hasher.update(xml.as_bytes());
    let sha = hasher.finish();
    let dir = cache.root.join("logging");
    let path = dir.join(format!("logback-{}.xml", &sha[..16]));
    crate::paths::ensure_under(&cache.root, &path)?;
    if std::fs::read(&path).is_ok_and(|old| old == xml.as_bytes()) {
        return Ok(path);
    }
    crate::cache::write_atomic(&path, xml.as_bytes())
        .with_context(|| "cannot write the logback configuration for --log-level/--log-format")?;
    Ok(path)
}

/// JVM options that keep stdout for the daemon's log lines in JSON mode: the VM's own messages
/// (Java 25's AOT cache reports its training and assembly there, also from the child JVM that
/// inherits the options) and its unified logging (Java 9+; warnings and errors, as by default)
/// go to stderr instead.
pub fn jvm_flags(format: LogFormat, java_feature: u32) -> Vec<String> {
    if format != LogFormat::Json {
        return Vec::new();
    }
    let mut flags = vec!["-XX:+DisplayVMOutputToStderr".to_string()];
    if java_feature >= 9 {
        flags.push("-Xlog:disable".to_string());
        flags.push("-Xlog:all=warning:stderr:uptime,level,tags".to_string());
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_the_level_and_the_encoder() {
        let json = config_xml(Some(LogLevel::Warn), LogFormat::Json);
        assert!(json.contains("<root level=\"WARN\">"), "{json}");
        assert!(json.contains("ch.qos.logback.classic.encoder.JsonEncoder"));
        assert!(!json.contains("<pattern>"));
        let text = config_xml(None, LogFormat::Text);
        assert!(text.contains("<root level=\"INFO\">"), "{text}");
        assert!(text.contains("%mdc{ShardId:-NONE}"));
        assert!(!text.contains("JsonEncoder"));
    }

    #[test]
    fn materialize_is_content_addressed_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let a = materialize(&cache, Some(LogLevel::Debug), LogFormat::Json).unwrap();
        let b = materialize(&cache, Some(LogLevel::Debug), LogFormat::Json).unwrap();
        let c = materialize(&cache, Some(LogLevel::Error), LogFormat::Json).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            std::fs::read_to_string(&a).unwrap(),
            config_xml(Some(LogLevel::Debug), LogFormat::Json)
        );
        // A damaged file under the same name is rewritten.
        std::fs::write(&a, "<broken").unwrap();
        materialize(&cache, Some(LogLevel::Debug), LogFormat::Json).unwrap();
        assert!(std::fs::read_to_string(&a)
            .unwrap()
            .ends_with("</configuration>\n"));
        assert_eq!(std::fs::read_dir(a.parent().unwrap()).unwrap().count(), 2);
    }

    #[test]
    fn json_moves_jvm_logging_to_stderr_where_there_is_unified_logging() {
        assert!(jvm_flags(LogFormat::Text, 17).is_empty());
        assert_eq!(
            jvm_flags(LogFormat::Json, 8),
            ["-XX:+DisplayVMOutputToStderr"]
        );
        assert_eq!(
            jvm_flags(LogFormat::Json, 17),
            [
                "-XX:+DisplayVMOutputToStderr",
                "-Xlog:disable",
                "-Xlog:all=warning:stderr:uptime,level,tags"
            ]
        );
    }
}
