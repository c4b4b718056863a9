//! The last-resort source of artifacts: asking the user's own `mvn` (with its own remotes, mirrors
//! and credentials) to fetch exactly the missing artifacts into the local repository, in one run.
//!
//! kclrs writes a throw-away POM whose only content is the pinned maven-dependency-plugin's `copy`
//! configuration listing every missing artifact (with extension and classifier), and runs that goal
//! once. `copy` resolves each listed artifact on its own, without transitive dependencies and
//! without version mediation, so Maven fetches exactly what was asked for and no POM it does not
//! need. It stops at the first artifact it cannot get; those fetched before stay in the local
//! repository, where the caller finds them. Nothing Maven does is trusted: the caller hashes whatever
//! lands in the local repository against the lockfile.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use quick_xml::escape::escape;

use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::maven::Coord;

/// The dependency plugin kclrs asks Maven to run, pinned so Maven never has to look up "latest".
pub const DEPENDENCY_PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/// Lines of Maven's output kept in an error message.
const TAIL_LINES: usize = 12;

/// The `mvn` launcher on the environment's `PATH` (`mvn.cmd` on Windows), if any. Only absolute
/// `PATH` entries are searched, as for Java ([`Env::path_dirs`]): an empty or relative entry
/// would mean the current folder, and a `./mvn` there (or the Maven home it implies, whose super
/// POM and settings kclrs reads) could be anyone's.
pub fn find_mvn(env: &Env) -> Option<PathBuf> {
    let name = if env.os.is_windows() {
        "mvn.cmd"
    } else {
        "mvn"
    };
    env.path_dirs()
        .into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_program(candidate, env))
}

/// A regular file (symlinks followed) that the OS would run: on Unix with an execute bit; on
/// Windows, where the extension decides, any file.
fn is_program(path: &Path, env: &Env) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    if !env.os.is_windows() {
        use std::os::unix::fs::PermissionsExt;
        return meta.permissions().mode() & 0o111 != 0;
    }
    let _ = env;
    true
}

/// The Maven installations kclrs would ask, in Maven's own order: `MAVEN_HOME`, `M2_HOME`, then
/// the folder above the `bin/` of the `mvn` on PATH (symlinks resolved, so `/usr/bin/mvn` leads to
/// `/usr/share/maven`). Callers take the first that has what they look for.
pub fn maven_homes(env: &Env) -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = ["MAVEN_HOME", "M2_HOME"]
        .iter()
        .filter_map(|var| env.var_os(var))
        .map(|home| env.absolute(Path::new(&home)))
        .collect();
    if let Some(home) = find_mvn(env)
        .and_then(|mvn| std::fs::canonicalize(mvn).ok())
        .and_then(|mvn| Some(mvn.parent()?.parent()?.to_path_buf()))
    {
        homes.push(home);
    }
    homes
}

/// The entry of `maven-model-builder-*.jar` that holds Maven's super POM, which every project
/// inherits and which declares the `central` repository.
const SUPER_POM_ENTRY: &str = "org/apache/maven/model/pom-4.0.0.xml";
/// The largest super POM read; Maven's own is a few KiB.
const MAX_SUPER_POM: u64 = 1 << 20;

/// The `central` repository as the installed Maven declares it in its super POM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuperPomCentral {
    /// The `<url>` as written.
    pub url: String,
    /// The `maven-model-builder` jar it was read from, for messages.
    pub jar: PathBuf,
}

/// Reads the `central` URL from the super POM of the first Maven installation (see
/// [`maven_homes`]) that has a `lib/maven-model-builder-*.jar`. `None` when there is no Maven, or
/// its super POM cannot be read or declares no `central` with a URL: then `mvn` itself is the
/// fallback, exactly as without this shortcut. kclrs names no remote of its own; this is the one
/// Maven would use with the same settings.
pub fn super_pom_central(env: &Env) -> Option<SuperPomCentral> {
    let jar = maven_homes(env).into_iter().find_map(|home| {
        let mut jars: Vec<PathBuf> = std::fs::read_dir(home.join("lib"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("maven-model-builder-") && n.ends_with(".jar"))
            })
            .collect();
        // One per installation in practice; sorted so the choice never depends on the folder order.
        jars.sort();
        jars.pop()
    })?;
    let url = central_url_in_jar(&jar).ok()??;
    Some(SuperPomCentral { url, jar })
}

/// The `central` `<url>` of the super POM inside `jar` (`Ok(None)`: no such repository).
fn central_url_in_jar(jar: &Path) -> anyhow::Result<Option<String>> {
    use std::io::Read;
    let file =
        std::fs::File::open(jar).with_context(|| format!("cannot open {}", jar.display()))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .with_context(|| format!("{} is not a jar", jar.display()))?;
    let mut bytes = Vec::new();
    zip.by_name(SUPER_POM_ENTRY)
        .with_context(|| format!("{} has no {SUPER_POM_ENTRY}", jar.display()))?
        .take(MAX_SUPER_POM)
        .read_to_end(&mut bytes)?;
    Ok(central_url(&bytes))
}

/// The `<url>` of the repository with id `central` in a POM's `<repositories>`.
fn central_url(pom: &[u8]) -> Option<String> {
    let root = crate::xml::parse(pom).ok()?;
    let url = root
        .children_named("repositories")
        .flat_map(|r| r.children_named("repository"))
        .find(|r| r.text_of("id").as_deref() == Some("central"))
        .and_then(|r| r.text_of("url"));
    url
}

/// Runs one `mvn` process that downloads `coords` into `local_repo`. Errors if `mvn` is not on
/// PATH or fails; kclrs verifies whatever it fetched afterwards, so nothing here is trusted.
///
/// Maven reads `settings_file` as its user settings when given (`--settings`); otherwise the
/// `~/.m2/settings.xml` of `env`'s home if it exists, so Maven and kclrs read the same file even
/// when `HOME` differs from the account's home directory (which is what Java uses).
pub fn fetch_missing(
    env: &Env,
    coords: &[Coord],
    settings_file: Option<&Path>,
    local_repo: &Path,
) -> anyhow::Result<()> {
    if coords.is_empty() {
        return Ok(());
    }
    let Some(mvn) = find_mvn(env) else {
        return Err(UserError::new(Exit::Fetch, "mvn is not on PATH")
            .hint(
                "configure a repository (--repository URL, KCLRS_REPOSITORY, \
                 KCL_MVN_REPO_SEARCH_URL or a mirror of central in ~/.m2/settings.xml), or install Maven",
            )
            .into());
    };
    // A fresh folder only this user can write (mode 700, random name, created exclusively).
    let work = tempfile::Builder::new()
        .prefix("kclrs-mvn-")
        .tempdir()
        .context("cannot create a temporary folder for the mvn run")?;
    let pom = write_project(work.path(), coords)?;
    let base = stop_project_search(work.path())?;
    std::fs::create_dir_all(local_repo)
        .with_context(|| format!("cannot create {}", local_repo.display()))?;

    let user_settings = super::settings::user_settings_file(env, settings_file);
    let mut cmd = Command::new(&mvn);
    cmd.current_dir(work.path())
        // -U: re-check artifacts whose earlier failure Maven cached in the local repository.
        .args(["-B", "-q", "-U", "-f"])
        .arg(&pom)
        .arg(format!("-Dmaven.repo.local={}", local_repo.display()))
        .arg(format!(
            "-Dmaven.multiModuleProjectDirectory={}",
            base.display()
        ))
        // Maven 3's launcher takes the project base from here instead of searching for it.
        .env("MAVEN_BASEDIR", &base);
    if let Some(file) = &user_settings {
        cmd.arg("-s").arg(file);
    }
    cmd.arg(format!("{DEPENDENCY_PLUGIN}:copy"));
    // The child sees the same PATH and JAVA_HOME kclrs was given, not merely the process's.
    for var in ["PATH", "JAVA_HOME"] {
        if let Some(value) = env.var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd.stdin(Stdio::null());
    let limit = timeout(env)?;
    let Some(out) = run_with_timeout(cmd, limit, &mvn)? else {
        return Err(UserError::new(
            Exit::Fetch,
            format!(
                "{} did not finish within {} s (KCLRS_MVN_TIMEOUT) fetching {} artifact(s): stopped it and its child processes",
                mvn.display(),
                limit.as_secs_f64(),
                coords.len()
            ),
        )
        .hint(
            "a repository in Maven's settings may be unreachable or very slow; allow more time with \
             KCLRS_MVN_TIMEOUT=SECONDS, or name a repository for kclrs with --repository URL",
        )
        .into());
    };
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let status = out
        .status
        .code()
        .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
    Err(UserError::new(
        Exit::Fetch,
        format!(
            "{} failed ({status}) fetching {} artifact(s):\n{}",
            mvn.display(),
            coords.len(),
            tail(&text)
        ),
    )
    .hint(
        "check Maven's own repository configuration (mirrors, servers, proxies in settings.xml), \
         or name a repository for kclrs with --repository URL; --no-mvn skips this step",
    )
    .into())
}

/// Makes `work` its own Maven project root and returns it. Maven's launcher (3.x and 4) walks up
/// from the POM's folder to the first folder holding `.mvn/` and applies its `jvm.config` (JVM
/// options), `maven.config` (arguments) and `extensions.xml` (code): without a `.mvn/` of its own,
/// a work folder in `/tmp` would pick up whatever another local user put in `/tmp/.mvn/`. An
/// empty `.mvn/` here ends that search at once; the same folder is also named as the project base
/// (`MAVEN_BASEDIR`, `-Dmaven.multiModuleProjectDirectory`), so no launcher looks further.
fn stop_project_search(work: &Path) -> anyhow::Result<PathBuf> {
    // The launcher resolves the folder with `pwd -P`; naming the same physical path avoids two.
    let base = std::fs::canonicalize(work).unwrap_or_else(|_| work.to_path_buf());
    let dot_mvn = base.join(".mvn");
    std::fs::create_dir(&dot_mvn)
        .with_context(|| format!("cannot create {}", dot_mvn.display()))?;
    Ok(base)
}

/// How long one `mvn` run may take: `KCLRS_MVN_TIMEOUT` seconds, default 600 (a cold Maven
/// fetching its plugin and a few dozen jars over a slow link needs minutes, never ten).
fn timeout(env: &Env) -> anyhow::Result<Duration> {
    let Some(value) = env.var("KCLRS_MVN_TIMEOUT") else {
        return Ok(Duration::from_secs(600));
    };
    value
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| {
            UserError::new(
                Exit::Usage,
                format!("KCLRS_MVN_TIMEOUT={value:?} is not a non-negative number of seconds"),
            )
            .into()
        })
}

/// Runs `cmd` with its output captured; `None` when it was still running after `limit`, in which
/// case it and everything it started were killed: on Unix it leads its own process group
/// (Maven's launcher script and the JVM), which is killed as a whole. Being its own group, it
/// would not see the terminal's Ctrl-C, so kclrs catches that while waiting and stops the group.
fn run_with_timeout(
    cmd: Command,
    limit: Duration,
    mvn: &Path,
) -> anyhow::Result<Option<std::process::Output>> {
    let mut cmd = tokio::process::Command::from(cmd);
    #[cfg(unix)]
    cmd.process_group(0);
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot run {}", mvn.display()))?;
        let pid = child.id();
        let waited = tokio::select! {
            out = tokio::time::timeout(limit, child.wait_with_output()) => out.ok(),
            _ = tokio::signal::ctrl_c() => {
                kill_group(pid);
                return Err(UserError::new(Exit::Fetch, format!("interrupted while {} ran: stopped it", mvn.display())).into());
            }
        };
        match waited {
            Some(out) => out
                .map(Some)
                .with_context(|| format!("cannot wait for {}", mvn.display())),
            None => {
                kill_group(pid);
                Ok(None)
            }
        }
    })
}

/// Kills the process group `pid` leads (the child itself is killed when its handle drops).
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// Writes the throw-away project into `dir` and returns its POM: one `copy` configuration that
/// lists every artifact once.
fn write_project(dir: &Path, coords: &[Coord]) -> anyhow::Result<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut items = String::new();
    for c in coords.iter().filter(|c| seen.insert(*c)) {
        items.push_str(&format!(
            "\n    <artifactItem><groupId>{}</groupId><artifactId>{}</artifactId>\
             <version>{}</version><type>{}</type>",
            escape(c.group.as_str()),
            escape(c.artifact.as_str()),
            escape(c.version.as_str()),
            escape(c.extension.as_str())
        ));
        if !c.classifier.is_empty() {
            items.push_str(&format!(
                "<classifier>{}</classifier>",
                escape(c.classifier.as_str())
            ));
        }
        items.push_str("</artifactItem>");
    }
    let config = format!(
        "<outputDirectory>{}</outputDirectory><artifactItems>{items}\n  </artifactItems>",
        escape(dir.join("copied").to_string_lossy().as_ref())
    );
    write_pom(dir, "fetch-missing", &plugin_build(&config))
}

/// `<build>` with the pinned dependency plugin and its `configuration`.
fn plugin_build(configuration: &str) -> String {
    let mut parts = DEPENDENCY_PLUGIN.split(':');
    let (group, artifact, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    format!(
        "<build><plugins><plugin><groupId>{group}</groupId><artifactId>{artifact}</artifactId>\
         <version>{version}</version><configuration>{configuration}</configuration>\
         </plugin></plugins></build>"
    )
}

/// Writes `dir/pom.xml`: a `pom`-packaged project `kclrs.fetch:<artifact_id>:1` with `body`.
fn write_pom(dir: &Path, artifact_id: &str, body: &str) -> anyhow::Result<PathBuf> {
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by kclrs to have Maven fetch exactly the artifacts kclrs misses; deleted after the run. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kclrs.fetch</groupId>
  <artifactId>{artifact_id}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  {body}
</project>
"#
    );
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let pom = dir.join("pom.xml");
    std::fs::write(&pom, text).with_context(|| format!("cannot write {}", pom.display()))?;
    Ok(pom)
}

/// The lines worth showing from Maven's output: its first block of `[ERROR]` lines (the cause;
/// Maven ends it with an empty `[ERROR]` line before its advice about `-e` and `-X`), else its
/// last lines. Colour codes, which Maven prints even in batch mode, are dropped, and so is the
/// user-info of every URL: Maven names a mirror by its URL as written, password included.
fn tail(text: &str) -> String {
    let plain = super::url::redact_urls_in(&strip_ansi(text));
    let lines: Vec<&str> = plain.lines().filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("[ERROR]"))
        .skip_while(|rest| rest.trim().is_empty())
        .take_while(|rest| !rest.trim().is_empty())
        .take(TAIL_LINES)
        .collect();
    if errors.is_empty() {
        let start = lines.len().saturating_sub(TAIL_LINES);
        lines[start..]
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        errors
            .iter()
            .map(|l| format!("  [ERROR]{l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Removes ANSI escape sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
