//! Which Java modules the bundle's runtime holds, and the `jlink` run that makes it.
//!
//! `jdeps --print-module-deps` over the lock's root jars (the classpath being every locked jar)
//! finds what the daemon's code references statically. A KCL deployment also needs modules that
//! no class names: providers the JDK loads by name from `java.security`, classes java.base loads
//! by name (`Class.forName`). Those are [`RUNTIME_MODULES`], each with the reason it is there;
//! they were found by running the daemon end to end with `-Xlog:class+load` on the full JDK and
//! listing the modules classes came from (docs/bundle.md has the list and what was left out).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::error::{Exit, UserError};

/// Modules a KCL deployment needs at run time that static analysis of the jars misses.
pub const RUNTIME_MODULES: &[(&str, &str)] = &[
    (
        "jdk.crypto.ec",
        "the SunEC provider, loaded by name from java.security: TLS to AWS endpoints negotiates \
         ECDHE key exchange and ECDSA certificates through it; no class references it",
    ),
    (
        "jdk.net",
        "extended socket options (TCP keep-alive idle/interval, quick-ack): java.base loads \
         jdk.net.ExtendedSocketOptions by name when the first socket is made; without it those \
         options are reported unsupported",
    ),
];

/// The jlink options besides `--add-modules` and `--output`: no debug attributes, headers or man
/// pages, resources compressed (`--compress=2` until Java 20, `zip-6` after, its new spelling).
pub fn jlink_options(feature: u32) -> Vec<String> {
    let compress = if feature >= 21 { "zip-6" } else { "2" };
    vec![
        "--strip-debug".into(),
        "--no-header-files".into(),
        "--no-man-pages".into(),
        format!("--compress={compress}"),
    ]
}

/// The `bin/jlink` and `bin/jdeps` of a Java home, or exit 4 naming the Java and what it lacks.
pub fn tools(home: &Path, described: &str, exe: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let jlink = home.join("bin").join(format!("jlink{exe}"));
    let jdeps = home.join("bin").join(format!("jdeps{exe}"));
    let missing: Vec<&str> = [("jlink", &jlink), ("jdeps", &jdeps)]
        .iter()
        .filter(|(_, p)| !crate::java::probe::is_executable(p))
        .map(|(n, _)| *n)
        .collect();
    if missing.is_empty() {
        return Ok((jlink, jdeps));
    }
    Err(UserError::new(
        Exit::Java,
        format!(
            "{described} has no {} in {}: it is a runtime (JRE), not a JDK",
            missing.join(" or "),
            home.join("bin").display()
        ),
    )
    .hint(
        "`kclrs bundle` links the runtime with the JDK's tools: install a JDK of the same \
         version (e.g. Debian's openjdk-17-jdk-headless) and pass its home with --java",
    )
    .into())
}

/// Runs a JDK tool, returning its stdout; a failure names the tool and shows its output.
pub fn run_tool(mut cmd: Command, what: &str) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {what}"))?;
    if !out.status.success() {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n  ");
        return Err(UserError::new(
            Exit::Java,
            format!("{what} failed ({}):\n  {tail}", out.status),
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `jdeps --ignore-missing-deps --multi-release F --print-module-deps` from `roots` over
/// `classpath` (every locked jar): the modules, sorted.
pub fn jdeps(
    jdeps: &Path,
    feature: u32,
    classpath: &std::ffi::OsStr,
    roots: &[PathBuf],
) -> anyhow::Result<Vec<String>> {
    let mut cmd = Command::new(jdeps);
    cmd.args(["--ignore-missing-deps", "--multi-release"])
        .arg(feature.to_string())
        .arg("--print-module-deps")
        .arg("--class-path")
        .arg(classpath)
        .args(roots);
    let out = run_tool(cmd, "jdeps")?;
    Ok(parse_module_list(&out))
}

/// The comma-separated module list `--print-module-deps` prints (last non-empty line), sorted.
pub fn parse_module_list(out: &str) -> Vec<String> {
    let line = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let mut modules: Vec<String> = line
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// The runtime's modules: `found` plus [`RUNTIME_MODULES`] the Java has, sorted; and the
/// `module: reason` lines of those added.
pub fn with_runtime_modules(found: &[String], available: &[String]) -> (Vec<String>, Vec<String>) {
    let mut all = found.to_vec();
    let mut added = Vec::new();
    for (module, why) in RUNTIME_MODULES {
        if !all.iter().any(|m| m == module) && available.iter().any(|m| m == module) {
            all.push((*module).to_string());
            added.push(format!("{module}: {why}"));
        }
    }
    all.sort();
    (all, added)
}

/// The modules a Java home offers (`java --list-modules`), names only.
pub fn available(java: &Path) -> anyhow::Result<Vec<String>> {
    let mut cmd = Command::new(java);
    cmd.arg("--list-modules");
    let out = run_tool(cmd, "java --list-modules")?;
    Ok(out
        .lines()
        .filter_map(|l| l.split('@').next())
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect())
}

/// `jlink --add-modules … --output out` with [`jlink_options`].
pub fn jlink(
    jlink: &Path,
    modules: &[String],
    options: &[String],
    out: &Path,
) -> anyhow::Result<()> {
    let mut cmd = Command::new(jlink);
    cmd.arg("--add-modules")
        .arg(modules.join(","))
        .args(options)
        .arg("--output")
        .arg(out);
    run_tool(cmd, "jlink").map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_list_is_the_last_line_sorted() {
        assert_eq!(
            parse_module_list("Warning: x\njava.sql,java.base,jdk.unsupported\n"),
            vec!["java.base", "java.sql", "jdk.unsupported"]
        );
    }

    #[test]
    fn runtime_modules_are_added_once_with_a_reason_when_available() {
        // jdk.net is already found; a module the Java lacks is not asked for.
        let found = vec!["java.base".to_string(), "jdk.net".to_string()];
        let available = vec![
            "java.base".to_string(),
            "jdk.crypto.ec".to_string(),
            "jdk.net".to_string(),
        ];
        let (all, added) = with_runtime_modules(&found, &available);
        assert_eq!(all, vec!["java.base", "jdk.crypto.ec", "jdk.net"]);
        let (all, _) = with_runtime_modules(&found, &available[..1]);
        assert_eq!(all, vec!["java.base", "jdk.net"]);
        assert_eq!(added.len(), 1);
        assert!(
            added[0].starts_with("jdk.crypto.ec: the SunEC provider"),
            "{added:?}"
        );
    }

    #[test]
    fn compression_is_spelled_for_the_java_version() {
        assert!(jlink_options(17).contains(&"--compress=2".to_string()));
        assert!(jlink_options(25).contains(&"--compress=zip-6".to_string()));
    }
}
