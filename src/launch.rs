//! Turns launch options into the MultiLangDaemon java command, shared by `print-command`,
//! `print-classpath` and `run` so the three can never disagree about what gets started:
//!
//! `<java> [jvm args] -cp <user paths>:<locked jars>:<properties dir>`
//! (the properties dir: see [`properties_entry`])
//! `
//! software.amazon.kinesis.multilang.MultiLangDaemon --properties-file <props> [--log-configuration <log>]`
//!
//! [`prepare`] loads the lockfile, reads and checks the properties (or the embedded sample),
//! checks the log configuration, chooses Java and assembles the classpath; [`classpath`] holds the
//! jar ordering, [`quote`] the shell quoting and [`exec`] the start of the JVM (kclrs stays its
//! parent on Unix: `parent`). [`logging`] writes the logback configuration of
//! `--log-level`/`--log-format`, and [`cds`] the class-data sharing archive that
//! [`Prepared::with_cds`] adds to the command.

pub mod cds;
pub mod classpath;
pub mod exec;
pub mod logging;
#[cfg(unix)]
pub mod parent;
pub mod quote;

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cache::Cache;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::Lockfile;

pub use classpath::{Classpath, JarSource};
pub use exec::exec;
pub use quote::Shell;

/// The daemon's main class.
pub const MAIN_CLASS: &str = "software.amazon.kinesis.multilang.MultiLangDaemon";

/// How many missing coordinates a message lists before summarising the rest.
const MISSING_SHOWN: usize = 3;

/// Everything the launch flags say, as plain values (the commands fill it from clap).
#[derive(Clone, Debug)]
pub struct LaunchOptions {
    /// `--properties`, as given.
    pub properties: Option<PathBuf>,
    /// `--sample`: use the embedded sample properties (wins over `properties`).
    pub sample: bool,
    /// `-c` entries, as given; placed first on the classpath.
    pub classpath: Vec<PathBuf>,
    pub log_configuration: Option<PathBuf>,
    /// `--log-level`: kclrs writes the logback configuration (unless `log_configuration`).
    pub log_level: Option<logging::LogLevel>,
    /// `--log-format`: as `log_level`.
    pub log_format: Option<logging::LogFormat>,
    /// `--java`: a java binary or a Java home.
    pub java: Option<PathBuf>,
    /// JVM options placed before `-cp`.
    pub jvm_args: Vec<String>,
    /// `--lockfile`, or `None` for the embedded lock.
    pub lockfile: Option<PathBuf>,
    /// `--cache-dir` as given (only to repeat it in hints).
    pub cache_dir_flag: Option<PathBuf>,
    /// The cache (for the jars unless `jars_dir`, and for the sample files).
    pub cache: Cache,
    /// `--jars-dir`.
    pub jars_dir: Option<PathBuf>,
    /// Warnings about the properties are errors.
    pub strict: bool,
    /// Start a Java older than the lock's minimum, with a warning; says who asked
    /// (`--ignore-java-version` or `KCLRS_IGNORE_JAVA_VERSION=1`).
    pub ignore_java_version: Option<String>,
}

/// Which subcommand is preparing: decides what is required and what is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    PrintClasspath,
    PrintCommand,
    Run,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::PrintClasspath => "print-classpath",
            Purpose::PrintCommand => "print-command",
            Purpose::Run => "run",
        }
    }

    fn needs_command(self) -> bool {
        self != Purpose::PrintClasspath
    }
}

/// A program, its arguments (without the program) and the directory it runs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JavaCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
}

/// The `--format json` shape of a command.
#[derive(Debug, serde::Serialize)]
pub struct CommandJson<'a> {
    pub program: &'a str,
    pub args: Vec<&'a str>,
    pub cwd: &'a str,
}

/// `value` as text, or an error saying that the `what` cannot be printed.
pub fn utf8<'a>(what: &str, value: &'a std::ffi::OsStr) -> anyhow::Result<&'a str> {
    value.to_str().ok_or_else(|| {
        UserError::new(
            Exit::Failure,
            format!(
                "cannot print the {what} {}: it is not valid UTF-8",
                value.to_string_lossy()
            ),
        )
        .hint("use `kclrs run`, which passes such paths through unchanged")
        .into()
    })
}

impl JavaCommand {
    /// The daemon command for `java`, the JVM options, the joined classpath and the files.
    pub fn daemon(
        java: PathBuf,
        jvm_args: &[String],
        classpath: OsString,
        properties: &Path,
        log_configuration: Option<&Path>,
        cwd: PathBuf,
    ) -> JavaCommand {
        let mut args: Vec<OsString> = jvm_args.iter().map(OsString::from).collect();
        args.extend([
            OsString::from("-cp"),
            classpath,
            OsString::from(MAIN_CLASS),
            OsString::from("--properties-file"),
            properties.as_os_str().to_owned(),
        ]);
        if let Some(log) = log_configuration {
            args.push(OsString::from("--log-configuration"));
            args.push(log.as_os_str().to_owned());
        }
        JavaCommand {
            program: java,
            args,
            cwd,
        }
    }

    /// Program and arguments as text; an error names the first that is not UTF-8.
    pub fn utf8_words(&self) -> anyhow::Result<(&str, Vec<&str>)> {
        let program = utf8("program", self.program.as_os_str())?;
        let args = self
            .args
            .iter()
            .map(|a| utf8("argument", a))
            .collect::<anyhow::Result<_>>()?;
        Ok((program, args))
    }

    /// One line that `shell` runs as exactly this command.
    pub fn to_shell_line(&self, shell: Shell) -> anyhow::Result<String> {
        let (program, args) = self.utf8_words()?;
        Ok(quote::command_line(shell, program, &args)?)
    }

    /// `{"program": …, "args": […], "cwd": …}`.
    pub fn to_json(&self) -> anyhow::Result<CommandJson<'_>> {
        let (program, args) = self.utf8_words()?;
        Ok(CommandJson {
            program,
            args,
            cwd: utf8("working directory", self.cwd.as_os_str())?,
        })
    }
}

/// What [`prepare`] found.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub lock: Lockfile,
    pub classpath: Classpath,
    /// The java command; `None` for [`Purpose::PrintClasspath`].
    pub command: Option<JavaCommand>,
    /// What `command` was made of; `None` with it.
    pub launch: Option<Launch>,
    pub jars: JarSource,
}

/// The parts of the java command, kept so [`Prepared::with_cds`] can rebuild it.
#[derive(Clone, Debug)]
pub struct Launch {
    pub java: crate::java::Candidate,
    pub properties: PathBuf,
    pub log_configuration: Option<PathBuf>,
    /// kclrs's own JVM options, placed before the user's `-J` so that the user's win.
    pub own_jvm_args: Vec<String>,
    /// The folder of the properties file: the classpath's last entry.
    pub props_dir: Option<PathBuf>,
}

impl Prepared {
    /// The command with a class-data sharing archive of its classpath (see [`cds`]), or why
    /// there is none: Java older than 13, the user's own sharing options (`-J`,
    /// `JAVA_TOOL_OPTIONS`, `JDK_JAVA_OPTIONS`), a folder or an unreadable jar on the classpath, an
    /// unwritable cache. May check a new archive by running this Java once.
    ///
    /// On Java 19+ the properties folder is left off the classpath: the JVM refuses an archive
    /// whose classpath holds a folder that is not empty, and the daemon reads the properties file
    /// by its absolute path anyway. Java 13–18 accept a folder after the last jar, so it stays.
    pub fn with_cds(
        &self,
        env: &Env,
        opts: &LaunchOptions,
        aot: bool,
    ) -> Result<JavaCommand, String> {
        let launch = self.launch.as_ref().ok_or("no java command")?;
        let tool_options: Vec<String> = ["JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"]
            .iter()
            .filter_map(|v| env.var(v))
            .collect();
        let user = opts
            .jvm_args
            .iter()
            .chain(&tool_options)
            .map(String::as_str);
        if cds::user_manages_cds(user) {
            return Err("the JVM options set class-data sharing themselves".to_string());
        }
        let mut entries = self.classpath.entries.clone();
        let java = &launch.java;
        if java.feature >= 19
            && launch.props_dir.is_some()
            && entries.last() == launch.props_dir.as_ref()
        {
            entries.pop();
        }
        let joined = classpath::join(&entries, env.os).map_err(|e| e.to_string())?;
        let id = cds::JavaId::read(&java.home, &java.version, java.feature);
        let start = cds::Start {
            cache: &opts.cache,
            java_bin: &java.java,
            inputs: cds::Inputs {
                lock_input_hash: self.lock.input_hash.as_deref(),
                classpath: &entries,
                jvm_args: &opts.jvm_args,
                java: &id,
            },
            joined_classpath: &joined,
            aot,
        };
        let (mode, plan) = cds::decide(&start)?;
        let mut jvm = launch.own_jvm_args.clone();
        jvm.extend(cds::flags(mode, &plan));
        jvm.extend(opts.jvm_args.iter().cloned());
        Ok(JavaCommand::daemon(
            java.java.clone(),
            &jvm,
            joined,
            &launch.properties,
            launch.log_configuration.as_deref(),
            env.cwd.clone(),
        ))
    }

    /// `N of M locked jars are missing from …: a, b, c and K more`, or `None` if none are.
    pub fn missing_summary(&self) -> Option<String> {
        let missing = &self.classpath.missing;
        if missing.is_empty() {
            return None;
        }
        let place = match &self.jars {
            JarSource::Cache(cache) => format!("the kclrs cache ({})", cache.maven_dir().display()),
            JarSource::Dir(dir) => format!("--jars-dir {}", dir.display()),
        };
        let shown: Vec<String> = missing
            .iter()
            .take(MISSING_SHOWN)
            .map(ToString::to_string)
            .collect();
        let more = missing.len().saturating_sub(MISSING_SHOWN);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "{} of {} locked jars are missing from {place}: {}{tail}",
            missing.len(),
            self.classpath.locked,
            shown.join(", ")
        ))
    }
}

/// The `kclrs download-jars …` command that fetches the jars these options expect, quoted for
/// `shell` and repeating `--lockfile`, `--cache-dir` and (as `--dest`) `--jars-dir`.
pub fn fetch_command(env: &Env, opts: &LaunchOptions, shell: Shell) -> String {
    let mut line = String::from("kclrs download-jars");
    let flags = [
        ("--lockfile", &opts.lockfile),
        ("--cache-dir", &opts.cache_dir_flag),
        ("--dest", &opts.jars_dir),
    ];
    for (flag, value) in flags {
        if let Some(path) = value {
            let path = env.absolute(path).to_string_lossy().into_owned();
            // Paths from the command line cannot hold NUL; should one, show it unquoted.
            let quoted = quote::word(shell, &path).map_or_else(|_| path.clone(), Cow::into_owned);
            line.push_str(&format!(" {flag} {quoted}"));
        }
    }
    line
}

/// What `lock` needs from Java, for the version gate: its minimum, each jar's own, and the
/// `kclrs lock` command that re-locks the same inputs (`lockfile` is `--lockfile` as given, `None`
/// for the built-in lock, which is re-locked into `./jars.lock`).
pub fn java_needs(env: &Env, lock: &Lockfile, lockfile: Option<&Path>) -> crate::java::Needs {
    let shell = Shell::for_os(env.os);
    let word = |w: String| quote::word(shell, &w).map_or_else(|_| w.clone(), Cow::into_owned);
    let mut command = String::from("kclrs lock");
    let then = match lockfile {
        // `kclrs lock` re-reads the roots from the file itself.
        Some(path) => {
            command.push_str(&format!(
                " -o {}",
                word(env.absolute(path).to_string_lossy().into_owned())
            ));
            None
        }
        None => {
            for root in &lock.roots {
                command.push_str(&format!(" --root {}", word(root.to_string())));
            }
            command.push_str(" -o jars.lock");
            Some("pass --lockfile jars.lock".to_string())
        }
    };
    // `--exclude` replaces the recorded exclusions, so the command repeats them.
    for ex in &lock.excludes {
        command.push_str(&format!(" --exclude {}", word(ex.clone())));
    }
    crate::java::Needs {
        feature: lock.min_java_feature(),
        jars: lock
            .needing_more_than(0)
            .into_iter()
            .map(|a| crate::java::JarNeed {
                coords: a.coord.to_string(),
                group_artifact: a.coord.group_artifact(),
                feature: a.min_java.unwrap_or_default(),
            })
            .collect(),
        relock: Some(crate::java::Relock { command, then }),
        ignore: None,
    }
}

/// Warns on stderr when locked jars are missing, naming the command that fetches them.
pub fn warn_missing(env: &Env, opts: &LaunchOptions, prepared: &Prepared) {
    if let Some(summary) = prepared.missing_summary() {
        let fetch = fetch_command(env, opts, Shell::for_os(env.os));
        crate::ui::warn(env, &format!("{summary}\n  `{fetch}` fetches them"));
    }
}

/// The properties file to use: the sample when `--sample` is given (even with `--properties`,
/// as the Python helper did, with a warning), else `--properties`. Required unless
/// `purpose` is print-classpath.
fn properties_path(
    env: &Env,
    opts: &LaunchOptions,
    purpose: Purpose,
) -> anyhow::Result<Option<PathBuf>> {
    if opts.sample {
        if let Some(given) = &opts.properties {
            crate::ui::warn(
                env,
                &format!(
                    "both --sample and --properties {} given: using the sample properties",
                    given.display()
                ),
            );
        }
        return crate::sample::materialize(&opts.cache, env.os).map(Some);
    }
    match &opts.properties {
        Some(path) => Ok(Some(path.clone())),
        None if purpose.needs_command() => Err(UserError::new(
            Exit::Usage,
            format!("`kclrs {}` needs a properties file", purpose.name()),
        )
        .hint("pass --properties FILE, or --sample to use the sample that ships with kclrs")
        .into()),
        None => Ok(None),
    }
}

/// Checks that the log configuration is an existing file and returns its absolute path.
fn log_configuration(env: &Env, given: &Path) -> anyhow::Result<PathBuf> {
    let path = env.absolute(given);
    let problem = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => return Ok(path),
        Ok(_) => "is not a file".to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist".to_string(),
        Err(e) => format!("cannot be read: {e}"),
    };
    Err(UserError::new(
        Exit::Input,
        format!("log configuration {} {problem}", path.display()),
    )
    .hint("pass an existing logback configuration file with --log-configuration, or leave it out")
    .into())
}

/// The classpath entry that makes the properties file a classpath resource (the daemon looks it
/// up there first): its own folder, unless another user could put files there. Everything in
/// that folder would be on the daemon's classpath, where a planted class or a
/// `META-INF/services` file runs inside the daemon; so then a private copy of the file alone, in
/// `<cache>/properties/<sha256 prefix>/`, takes the folder's place, with a warning. The daemon is
/// still given the file itself (`--properties-file`), so it reads what the user wrote.
fn properties_entry(env: &Env, cache: &Cache, file: &Path) -> anyhow::Result<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new("/"));
    let Some((shared, problem)) = crate::paths::shared_folder_problem(dir) else {
        return Ok(dir.to_path_buf());
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.file_name().unwrap_or_default();
    let copy = cache.private_copy(name, &bytes)?;
    crate::ui::warn(
        env,
        &format!(
            "{} {problem}: the folder of {} is not put on the classpath, only a private copy of \
             the file ({}); pass `-c {}` to add the folder anyway",
            shared.display(),
            file.display(),
            copy.display(),
            dir.display()
        ),
    );
    Ok(copy.parent().unwrap_or(&copy).to_path_buf())
}

/// Does everything but printing or starting: see the module documentation.
pub fn prepare(env: &Env, opts: &LaunchOptions, purpose: Purpose) -> anyhow::Result<Prepared> {
    let lockfile = opts.lockfile.as_deref().map(|p| env.absolute(p));
    let lock = Lockfile::load(lockfile.as_deref())?;
    // Only the checked file's absolute path is needed after the checks.
    let properties_file = match properties_path(env, opts, purpose)? {
        Some(path) => {
            let props = crate::properties::load(env, &path)?;
            // Written only when the hint needs it: a file to compare with, not a 14 KB command.
            let sample = || crate::sample::materialize(&opts.cache, env.os).ok();
            let warnings = crate::properties::check_with_sample(&props, env, opts.strict, &sample)?;
            // `run` would start a daemon that fails to start the processor for every shard.
            if purpose == Purpose::Run {
                let value = props.get("executableName").unwrap_or_default();
                let root = props.path.parent().unwrap_or(Path::new("/"));
                if let Some((msg, hint)) = crate::properties::program::unstartable(value, env, root)
                {
                    return Err(UserError::new(
                        Exit::Input,
                        format!("{}: {msg}", props.path.display()),
                    )
                    .hint(hint)
                    .into());
                }
            }
            for warning in warnings {
                crate::ui::warn(env, &warning);
            }
            Some(props.path)
        }
        None => None,
    };
    let log = match &opts.log_configuration {
        Some(given) if purpose.needs_command() => Some(log_configuration(env, given)?),
        _ => None,
    };
    let log = match (log, opts.log_level, opts.log_format) {
        (Some(given), level, format) => {
            if level.is_some() || format.is_some() {
                crate::ui::warn(
                    env,
                    &format!(
                        "--log-level/--log-format ignored: the daemon uses your log configuration {}",
                        given.display()
                    ),
                );
            }
            Some(given)
        }
        (None, None, None) => None,
        (None, level, format) if purpose.needs_command() => Some(logging::materialize(
            &opts.cache,
            level,
            format.unwrap_or(logging::LogFormat::Text),
        )?),
        (None, _, _) => None,
    };
    let log_format = match (&opts.log_configuration, opts.log_format) {
        (None, Some(format)) => format,
        _ => logging::LogFormat::Text,
    };
    let java = if purpose.needs_command() {
        let mut needs = java_needs(env, &lock, opts.lockfile.as_deref());
        needs.ignore.clone_from(&opts.ignore_java_version);
        let chosen = crate::java::choose(env, opts.java.as_deref(), &needs)?;
        for warning in &chosen.warnings {
            crate::ui::warn(env, warning);
        }
        Some(chosen.candidate)
    } else {
        None
    };
    let jars = match &opts.jars_dir {
        Some(dir) => JarSource::Dir(env.absolute(dir)),
        None => JarSource::Cache(opts.cache.clone()),
    };
    let props_dir = match properties_file.as_deref() {
        Some(file) => Some(properties_entry(env, &opts.cache, file)?),
        None => None,
    };
    let classpath = classpath::assemble(env, &lock, &jars, &opts.classpath, props_dir.as_deref())?;
    let launch = match (java, properties_file) {
        (Some(java), Some(properties)) => Some(Launch {
            own_jvm_args: logging::jvm_flags(log_format, java.feature),
            java,
            properties,
            log_configuration: log,
            props_dir,
        }),
        _ => None,
    };
    let command = match &launch {
        Some(l) => {
            let mut jvm = l.own_jvm_args.clone();
            jvm.extend(opts.jvm_args.iter().cloned());
            Some(JavaCommand::daemon(
                l.java.java.clone(),
                &jvm,
                classpath::join(&classpath.entries, env.os)?,
                &l.properties,
                l.log_configuration.as_deref(),
                env.cwd.clone(),
            ))
        }
        None => None,
    };
    Ok(Prepared {
        lock,
        classpath,
        command,
        launch,
        jars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(os_sep_cp: &str) -> JavaCommand {
        JavaCommand::daemon(
            PathBuf::from("/jdk/bin/java"),
            &["-Xmx1g".to_string()],
            OsString::from(os_sep_cp),
            Path::new("/app/my app.properties"),
            Some(Path::new("/app/logback.xml")),
            PathBuf::from("/work"),
        )
    }

    #[test]
    fn daemon_command_has_the_documented_shape() {
        let cmd = command("/a.jar:/app");
        let (program, args) = cmd.utf8_words().unwrap();
        assert_eq!(program, "/jdk/bin/java");
        assert_eq!(
            args,
            vec![
                "-Xmx1g",
                "-cp",
                "/a.jar:/app",
                MAIN_CLASS,
                "--properties-file",
                "/app/my app.properties",
                "--log-configuration",
                "/app/logback.xml"
            ]
        );
        assert_eq!(
            serde_json::to_value(cmd.to_json().unwrap()).unwrap(),
            serde_json::json!({
                "program": "/jdk/bin/java",
                "args": args,
                "cwd": "/work",
            })
        );
        assert_eq!(
            cmd.to_shell_line(Shell::Posix).unwrap(),
            format!("/jdk/bin/java -Xmx1g -cp /a.jar:/app {MAIN_CLASS} --properties-file '/app/my app.properties' --log-configuration /app/logback.xml")
        );
    }

    #[test]
    fn windows_command_is_powershell_with_semicolons() {
        let cmd = JavaCommand::daemon(
            PathBuf::from(r"C:\Program Files\Eclipse Adoptium\jdk-17\bin\java.exe"),
            &[],
            classpath::join(
                &[
                    PathBuf::from(r"C:\kclrs\cache\a.jar"),
                    PathBuf::from(r"C:\My App"),
                ],
                crate::env::Os::Windows,
            )
            .unwrap(),
            Path::new(r"C:\My App\app.properties"),
            None,
            PathBuf::from(r"C:\My App"),
        );
        assert_eq!(
            cmd.to_shell_line(Shell::for_os(crate::env::Os::Windows))
                .unwrap(),
            format!(
                r"& 'C:\Program Files\Eclipse Adoptium\jdk-17\bin\java.exe' -cp 'C:\kclrs\cache\a.jar;C:\My App' {MAIN_CLASS} --properties-file 'C:\My App\app.properties'"
            )
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_cannot_be_printed() {
        use std::os::unix::ffi::OsStringExt;
        let mut bad = command("/a.jar");
        bad.args.push(OsString::from_vec(vec![b'/', 0xff]));
        let err = bad.to_shell_line(Shell::Posix).unwrap_err();
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
        assert!(bad.to_json().is_err());
    }

    #[test]
    fn fetch_command_repeats_the_flags_that_matter() {
        let env = Env::fake(crate::env::Os::Linux, None, PathBuf::from("/w"));
        let mut opts = LaunchOptions {
            properties: None,
            sample: false,
            classpath: Vec::new(),
            log_configuration: None,
            log_level: None,
            log_format: None,
            java: None,
            jvm_args: Vec::new(),
            lockfile: None,
            cache_dir_flag: None,
            cache: Cache::new(PathBuf::from("/c")),
            jars_dir: None,
            strict: false,
            ignore_java_version: None,
        };
        assert_eq!(
            fetch_command(&env, &opts, Shell::Posix),
            "kclrs download-jars"
        );
        opts.lockfile = Some(PathBuf::from("my lock.toml"));
        opts.cache_dir_flag = Some(PathBuf::from("/c"));
        opts.jars_dir = Some(PathBuf::from("jars"));
        assert_eq!(
            fetch_command(&env, &opts, Shell::Posix),
            "kclrs download-jars --lockfile '/w/my lock.toml' --cache-dir /c --dest /w/jars"
        );
        assert_eq!(
            fetch_command(&env, &opts, Shell::PowerShell),
            "kclrs download-jars --lockfile '/w/my lock.toml' --cache-dir '/c' --dest '/w/jars'"
        );
    }
}
