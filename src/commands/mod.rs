//! One module per subcommand. Each turns its parsed arguments into calls on the domain modules
//! and decides what goes to stdout; none of them holds logic another subcommand also needs (that
//! lives in the domain modules so `run`, `print-command` and `download-jars` share it). The flag
//! groups several subcommands share are turned into domain options here, once.

use std::process::ExitCode;
use std::time::Duration;

use crate::cache::{Cache, CacheFrom};
use crate::cli::{
    CacheArgs, ClasspathLaunchArgs, Cli, Command, LaunchArgs, LockfileArgs, SourceArgs,
};
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::launch::LaunchOptions;
use crate::lockfile::Lockfile;
use crate::transport::{settings, FetchOptions, HttpOptions, MvnFallback};
use crate::ui;

pub mod bundle;
pub mod completions;
pub mod download_jars;
pub mod helper;
pub mod java;
pub mod lock;
pub mod print_classpath;
pub mod print_command;
pub mod run;
pub mod verify;

/// Runs the parsed subcommand.
pub fn dispatch(cli: Cli, env: &Env) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        return helper::run(&cli, env);
    };
    match command {
        Command::PrintCommand(args) => print_command::run(&args, env),
        Command::PrintClasspath(args) => print_classpath::run(&args, env),
        Command::Run(args) => run::run(&args, env),
        Command::DownloadJars(args) => download_jars::run(&args, env),
        Command::Verify(args) => verify::run(&args, env),
        Command::Lock(args) => lock::run(&args, env),
        Command::Java(args) => java::run(&args, env),
        Command::Bundle(args) => bundle::run(&args, env),
        Command::Completions(args) => completions::run(&args),
    }
}

/// The lockfile selected by `--lockfile` (relative to the working directory), or the built-in one.
pub fn lock_from(args: &LockfileArgs, env: &Env) -> anyhow::Result<Lockfile> {
    let path = args.lockfile.as_deref().map(|p| env.absolute(p));
    Lockfile::load(path.as_deref())
}

/// The cache selected by `--cache-dir`, `KCLRS_CACHE_DIR` or the platform default. A root that
/// can never be a folder (it, or a parent, is a file) is refused here, naming where it came from,
/// rather than failing later as an unexpected I/O error, and so is one another user could change
/// ([`Cache::check_owner`]).
pub fn cache_from(args: &CacheArgs, env: &Env) -> anyhow::Result<Cache> {
    let (root, from) = match &args.cache_dir {
        Some(dir) => (env.absolute(dir), CacheFrom::Flag),
        None if env.var_os("KCLRS_CACHE_DIR").is_some() => {
            (env.default_cache_dir()?, CacheFrom::Var)
        }
        None => (env.default_cache_dir()?, CacheFrom::Default),
    };
    if let Some(file) = root
        .ancestors()
        .find(|p| p.symlink_metadata().is_ok())
        .filter(|p| !p.is_dir())
    {
        return Err(UserError::new(
            Exit::Usage,
            format!(
                "cannot use {} as the kclrs cache ({}): {} is a file, not a folder",
                root.display(),
                from.label(),
                file.display()
            ),
        )
        .hint(from.hint())
        .into());
    }
    let cache = Cache::chosen(root, from);
    cache.check_owner()?;
    Ok(cache)
}

/// Turns the source flags (and Maven's settings) into [`FetchOptions`]. `quiet` hides progress.
/// `KCLRS_CONNECT_TIMEOUT`, `KCLRS_READ_TIMEOUT`, `KCLRS_ARTIFACT_TIMEOUT` (seconds) and
/// `KCLRS_RETRIES` tune the network.
pub fn fetch_options(source: &SourceArgs, quiet: bool, env: &Env) -> anyhow::Result<FetchOptions> {
    let user_settings = source.settings.as_deref().map(|p| env.absolute(p));
    let loaded = settings::load(env, user_settings.as_deref())?;
    // `<offline>true</offline>` in settings.xml means the same to kclrs as it does to Maven.
    let offline = source.offline || loaded.offline;
    let remotes = if offline {
        Vec::new()
    } else {
        let mut remotes = settings::remotes(env, &source.repositories, &loaded)?;
        // `--no-mvn` keeps kclrs to what was configured: no Maven run, and no remote read from
        // the installed Maven either.
        remotes.retain(|r| !(source.no_mvn && r.from_super_pom));
        remotes
    };
    let maven_local = settings::local_repository(env, &loaded, source.maven_repo_local.as_deref());
    let mvn = match &maven_local {
        Some(local_repo) if !offline && !source.no_mvn => Some(MvnFallback {
            settings_file: user_settings,
            local_repo: local_repo.clone(),
        }),
        _ => None,
    };
    let defaults = HttpOptions::default();
    let http = HttpOptions {
        connect_timeout: seconds_var(env, "KCLRS_CONNECT_TIMEOUT")?
            .unwrap_or(defaults.connect_timeout),
        read_timeout: seconds_var(env, "KCLRS_READ_TIMEOUT")?.unwrap_or(defaults.read_timeout),
        file_deadline: seconds_var(env, "KCLRS_ARTIFACT_TIMEOUT")?
            .unwrap_or(defaults.file_deadline),
        retries: match env.var("KCLRS_RETRIES") {
            Some(v) => v.trim().parse().map_err(|_| bad_var("KCLRS_RETRIES", &v))?,
            None => defaults.retries,
        },
        ..defaults
    };
    Ok(FetchOptions {
        remotes,
        local_repo: if source.no_local_repo {
            None
        } else {
            maven_local
        },
        mvn,
        offline,
        jobs: usize::from(source.jobs),
        progress: !quiet && ui::stderr_is_tty(env),
        status: !quiet,
        http,
    })
}

fn bad_var(name: &str, value: &str) -> anyhow::Error {
    UserError::new(
        Exit::Usage,
        format!("{name}={value:?} is not a non-negative number"),
    )
    .into()
}

fn seconds_var(env: &Env, name: &str) -> anyhow::Result<Option<Duration>> {
    let Some(value) = env.var(name) else {
        return Ok(None);
    };
    let secs: f64 = value.trim().parse().map_err(|_| bad_var(name, &value))?;
    Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| bad_var(name, &value))
}

/// The launch flags as plain options for the `launch` module.
pub fn launch_options(
    launch: &LaunchArgs,
    lockfile: &LockfileArgs,
    cache: &CacheArgs,
    env: &Env,
) -> anyhow::Result<LaunchOptions> {
    use crate::cli::{LogFormatArg, LogLevelArg};
    use crate::launch::logging::{LogFormat, LogLevel};
    Ok(LaunchOptions {
        log_configuration: launch.log_configuration.clone(),
        log_level: launch.log_level.map(|l| match l {
            LogLevelArg::Trace => LogLevel::Trace,
            LogLevelArg::Debug => LogLevel::Debug,
            LogLevelArg::Info => LogLevel::Info,
            LogLevelArg::Warn => LogLevel::Warn,
            LogLevelArg::Error => LogLevel::Error,
            LogLevelArg::Off => LogLevel::Off,
        }),
        log_format: launch.log_format.map(|f| match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }),
        java: launch.java.clone(),
        jvm_args: launch.jvm_args.clone(),
        ..classpath_options(&launch.cp, lockfile, cache, env)?
    })
}

/// The classpath flags as launch options without Java, JVM options or log configuration.
pub fn classpath_options(
    cp: &ClasspathLaunchArgs,
    lockfile: &LockfileArgs,
    cache: &CacheArgs,
    env: &Env,
) -> anyhow::Result<LaunchOptions> {
    Ok(LaunchOptions {
        properties: cp.properties.clone(),
        sample: cp.sample,
        classpath: cp.classpath.clone(),
        log_configuration: None,
        log_level: None,
        log_format: None,
        java: None,
        jvm_args: Vec::new(),
        lockfile: lockfile.lockfile.clone(),
        cache_dir_flag: cache.cache_dir.clone(),
        cache: cache_from(cache, env)?,
        jars_dir: cp.jars_dir.clone(),
        strict: cp.strict,
        ignore_java_version: None,
    })
}

/// Who asked to start a Java older than the lock's minimum: `--ignore-java-version`, else
/// `KCLRS_IGNORE_JAVA_VERSION` set to 1/true/yes (0/false/no/empty: not asked; anything else is
/// a usage error rather than a guess).
pub fn ignore_java_version(flag: bool, env: &Env) -> anyhow::Result<Option<String>> {
    const VAR: &str = "KCLRS_IGNORE_JAVA_VERSION";
    if flag {
        return Ok(Some("--ignore-java-version".to_string()));
    }
    let Some(value) = env.var(VAR) else {
        return Ok(None);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(Some(format!("{VAR}={value}"))),
        "" | "0" | "false" | "no" => Ok(None),
        _ => Err(
            UserError::new(Exit::Usage, format!("{VAR}={value:?} is not 1 or 0"))
                .hint("set it to 1 to start a Java older than the lock's minimum, or unset it")
                .into(),
        ),
    }
}
