//! Java version strings: reading them from a Java home's `release` file or from the text
//! `java -version` prints, and reducing them to the feature number kclrs compares.
//!
//! Reading `release` is preferred because it costs one small file read instead of starting a
//! JVM (tens of milliseconds); `java -version` is the fallback for homes without one (old JREs,
//! wrappers). Its output is noisy in practice: the JVM prints `Picked up JAVA_TOOL_OPTIONS: …`
//! or `NOTE: Picked up JDK_JAVA_OPTIONS: …` before the version line when those variables are set,
//! vendors change the first word, and early-access builds have no dots at all (`21-ea`).

/// The `JAVA_VERSION` recorded in the text of a Java home's `release` file, e.g. `17.0.15` or
/// `1.8.0_292`, with its quotes removed.
pub fn from_release(text: &str) -> Option<String> {
    release_value(text, "JAVA_VERSION")
}

/// The value of `key` in the text of a `release` file (`KEY="value"` lines), quotes removed.
pub fn release_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix(key)?.trim_start();
        let value = value.strip_prefix('=')?.trim();
        let value = value.trim_matches('"').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// Lines the JVM prints before its version when launcher options come from the environment.
fn is_noise(line: &str) -> bool {
    line.starts_with("Picked up ") || line.starts_with("NOTE:")
}

/// The version in `java -version` output (which goes to stderr), e.g. `openjdk version
/// "25.0.3" 2026-04-21 LTS` gives `25.0.3`. Also accepts the unquoted `--version` style
/// (`openjdk 21-ea 2023-09-19`).
pub fn from_version_output(text: &str) -> Option<String> {
    let lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_noise(l));
    for line in lines {
        if let Some(rest) = line.split_once(" version \"").map(|(_, rest)| rest) {
            if let Some((version, _)) = rest.split_once('"') {
                if feature(version).is_some() {
                    return Some(version.to_string());
                }
            }
        }
        let mut words = line.split_whitespace();
        if let (Some(first), Some(second)) = (words.next(), words.next()) {
            let vendorish = first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if vendorish && feature(second).is_some() && !first.starts_with(char::is_numeric) {
                return Some(second.to_string());
            }
        }
    }
    None
}

/// The feature version of a version string: `1.8.0_292` → 8 (the old `1.x` scheme), `17.0.15`
/// → 17, `21-ea` → 21, `11.0.2+9` → 11. `None` when the string does not start with a number.
pub fn feature(version: &str) -> Option<u32> {
    let leading = |s: &str| -> Option<u32> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let first = leading(version)?;
    if first == 1 {
        if let Some(rest) = version.strip_prefix("1.") {
            return leading(rest).filter(|&f| f > 0);
        }
    }
    (first > 0).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_file_values() {
        let jdk17 = "IMPLEMENTOR=\"Debian\"\nJAVA_RUNTIME_VERSION=\"17.0.15+6\"\nJAVA_VERSION=\"17.0.15\"\nJAVA_VERSION_DATE=\"2025-04-15\"\n";
        assert_eq!(from_release(jdk17).as_deref(), Some("17.0.15"));
        assert_eq!(
            from_release("JAVA_VERSION=\"1.8.0_292\"\r\nOS_NAME=Linux").as_deref(),
            Some("1.8.0_292")
        );
        assert_eq!(from_release("JAVA_VERSION=21").as_deref(), Some("21"));
        assert_eq!(from_release("JAVA_VERSION_DATE=\"2025-04-15\"\n"), None);
        assert_eq!(from_release("JAVA_VERSION=\"\"\n"), None);
        assert_eq!(from_release(""), None);
    }

    #[test]
    fn version_output_formats() {
        let cases = [
            (
                "java version \"1.8.0_292\"\nJava(TM) SE Runtime Environment (build 1.8.0_292-b10)\n",
                "1.8.0_292",
            ),
            (
                "openjdk version \"11.0.2\" 2019-01-15\nOpenJDK Runtime Environment 18.9\n",
                "11.0.2",
            ),
            ("openjdk version \"17\" 2021-09-14\n", "17"),
            ("openjdk version \"21-ea\" 2023-09-19\n", "21-ea"),
            (
                "openjdk version \"25.0.3\" 2026-04-21 LTS\nOpenJDK Runtime Environment Temurin-25.0.3+9 (build 25.0.3+9-LTS)\n",
                "25.0.3",
            ),
            (
                "Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=\"UTF-8\" -version \"9\"\nNOTE: Picked up JDK_JAVA_OPTIONS: -Xmx1g\nopenjdk version \"17.0.15\" 2025-04-15\n",
                "17.0.15",
            ),
            ("openjdk 21-ea 2023-09-19\nOpenJDK Runtime Environment\n", "21-ea"),
            ("\r\n  java version \"1.7.0_80\"\r\n", "1.7.0_80"),
        ];
        for (text, want) in cases {
            assert_eq!(from_version_output(text).as_deref(), Some(want), "{text}");
        }
        for junk in [
            "",
            "Picked up JAVA_TOOL_OPTIONS: x\n",
            "Error: could not find libjava.so\n",
            "bash: java: command not found\n",
        ] {
            assert_eq!(from_version_output(junk), None, "{junk}");
        }
    }

    #[test]
    fn feature_numbers() {
        for (version, want) in [
            ("1.8.0_292", 8),
            ("1.7.0", 7),
            ("1.8", 8),
            ("9", 9),
            ("9-ea", 9),
            ("11.0.2", 11),
            ("11.0.2+9", 11),
            ("17", 17),
            ("21-ea", 21),
            ("25.0.3", 25),
        ] {
            assert_eq!(feature(version), Some(want), "{version}");
        }
        for bad in ["", "ea", "1.", "0", "v17", "1.x"] {
            assert_eq!(feature(bad), None, "{bad}");
        }
    }
}
