//! The command line, declared with clap's derive API. This is the only module (with
//! `commands`) that knows about clap; it turns flags into plain values and the subcommands turn
//! those into calls on the domain modules. Every flag spelling of `amazon_kclpy_helper.py` is kept
//! as an alias so existing scripts keep working.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Fetch, verify and launch the Amazon Kinesis Client Library MultiLangDaemon.
#[derive(Debug, Parser)]
#[command(
    name = "kclrs",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    args_conflicts_with_subcommands = true,
    arg_required_else_help = true,
    after_help = MAIN_EXAMPLES
)]
pub struct Cli {
    /// `amazon_kclpy_helper.py --print_command …`, kept for existing scripts (hidden from help).
    #[arg(
        long = "print_command",
        hide = true,
        conflicts_with = "print_classpath"
    )]
    pub print_command: bool,
    /// `amazon_kclpy_helper.py --print_classpath …` (hidden from help).
    #[arg(long = "print_classpath", hide = true)]
    pub print_classpath: bool,
    /// The helper's other flags, only meaningful with `--print_command`/`--print_classpath`.
    #[command(flatten)]
    pub helper: HelperArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The flags of `amazon_kclpy_helper.py`, spelled exactly as the helper spelled them. They are
/// hidden: the subcommands are the documented interface, these only keep old scripts working.
#[derive(Debug, Clone, Default, Args)]
pub struct HelperArgs {
    #[arg(short = 'j', long = "java", value_name = "PATH", hide = true)]
    pub java: Option<PathBuf>,
    #[arg(
        short = 'p',
        long = "properties",
        alias = "props",
        alias = "prop",
        value_name = "FILE",
        hide = true
    )]
    pub properties: Option<PathBuf>,
    #[arg(
        long = "sample",
        alias = "sample-props",
        alias = "use-sample-properties",
        hide = true
    )]
    pub sample: bool,
    #[arg(
        short = 'c',
        long = "classpath",
        alias = "path",
        value_name = "PATH",
        hide = true
    )]
    pub classpath: Vec<PathBuf>,
    #[arg(
        short = 'l',
        long = "log-configuration",
        value_name = "FILE",
        hide = true
    )]
    pub log_configuration: Option<PathBuf>,
}

/// Which of the helper's two actions was asked for, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperAction {
    PrintCommand,
    PrintClasspath,
}

impl Cli {
    /// `--print_command` or `--print_classpath`, the helper's spelling of the two print commands.
    pub fn helper_action(&self) -> Option<HelperAction> {
        if self.print_command {
            Some(HelperAction::PrintCommand)
        } else if self.print_classpath {
            Some(HelperAction::PrintClasspath)
        } else {
            None
        }
    }
}

/// The exit codes, as `kclrs --help` lists them (README.md has the same table).
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0    success
  1    unexpected failure (I/O error, bug)
  2    bad command line, or a flag or variable whose value cannot work (e.g. an unwritable cache)
  3    an input file is invalid: properties, lockfile, settings.xml, POM
  4    no suitable Java found, or the one asked for is unusable
  5    artifacts could not be obtained: network, missing artifact, checksum mismatch
  6    a check failed: `verify` found missing/corrupt jars, `lock --check` a stale lock
  130  interrupted (Ctrl-C) while downloading
  run exits with the JVM's own exit code once the daemon has started
"
    };
}

const MAIN_EXAMPLES: &str = concat!(
    "Examples:
  kclrs download-jars            # the locked jars, from the central your Maven declares (or mvn)
  kclrs print-command --sample
  kclrs run -p app.properties -J-Xmx1g
  kclrs java
  kclrs download-jars --repository https://your-mirror/maven2/   # a mirror of your own

",
    exit_codes!(),
    "
`kclrs <command> --help` shows each command's flags, examples and environment variables."
);

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the java command that starts the MultiLangDaemon, quoted for the shell (or as JSON).
    #[command(alias = "print_command", after_help = PRINT_COMMAND_HELP)]
    PrintCommand(PrintCommandArgs),
    /// Print the classpath of the MultiLangDaemon.
    #[command(alias = "print_classpath", after_help = PRINT_CLASSPATH_HELP)]
    PrintClasspath(PrintClasspathArgs),
    /// Check the properties, find Java, make sure the jars are there, and exec the MultiLangDaemon.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Download and verify every jar pinned in jars.lock into the cache (or --dest).
    #[command(alias = "download_jars", after_help = DOWNLOAD_JARS_HELP)]
    DownloadJars(DownloadJarsArgs),
    /// Re-hash every cached jar of the lockfile and report missing or corrupt ones.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Resolve the MultiLangDaemon closure from real POMs, the way Maven does, and write jars.lock.
    #[command(after_help = LOCK_HELP)]
    Lock(LockArgs),
    /// List the Java installations kclrs can see and show which one it would use.
    #[command(after_help = JAVA_HELP)]
    Java(JavaArgs),
    /// Write a folder that runs the daemon with no Java installed: jlinked runtime, verified
    /// jars, CDS archive, launcher; or --check one against its bundle.lock.
    #[command(after_help = BUNDLE_HELP)]
    Bundle(BundleArgs),
    /// Print a shell completion script.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
}

// The examples and environment variables each subcommand's `--help` ends with. The variable lists
// name exactly what the subcommand reads (docs/configuration.md: "Where jars come from" and "Java discovery").

/// Variables every command that finds Java reads.
macro_rules! java_vars {
    () => {
        "  KCLRS_JAVA           java binary or Java home when --java is not given
  JAVA_HOME            the next candidate after KCLRS_JAVA; then every java on PATH
"
    };
}

/// Variables every command that fetches reads.
macro_rules! fetch_vars {
    () => {
        "  KCLRS_REPOSITORY     remote repositories, comma-separated (after --repository)
  KCL_MVN_REPO_SEARCH_URL  one remote, the helper's variable (after KCLRS_REPOSITORY)
  KCLRS_CONNECT_TIMEOUT  connect timeout in seconds (default 10)
  KCLRS_READ_TIMEOUT   seconds without a byte arriving (default 30)
  KCLRS_RETRIES        extra attempts per URL (default 4)
  KCLRS_ARTIFACT_TIMEOUT  seconds one file may take, retries included (default 300)
  KCLRS_MVN_TIMEOUT    seconds one mvn run may take (default 600)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY, SSL_CERT_FILE  proxies and extra TLS roots
  MAVEN_HOME, M2_HOME  where Maven's global settings.xml is (else the mvn on PATH)
"
    };
}

macro_rules! cache_var {
    () => {
        "  KCLRS_CACHE_DIR      cache root when --cache-dir is not given (default ~/.cache/kclrs on
                       Linux, ~/Library/Caches/kclrs on macOS, %LOCALAPPDATA%\\kclrs\\cache on
                       Windows; $XDG_CACHE_HOME/kclrs when that is set, except on Windows)
"
    };
}

macro_rules! color_var {
    () => {
        "  NO_COLOR             no colours in warnings and errors (progress stays)
"
    };
}

const PRINT_COMMAND_HELP: &str = concat!(
    "Examples:
  kclrs print-command --sample
  kclrs print-command -p app.properties -J-Xmx1g --java /usr/lib/jvm/java-17-openjdk-amd64
  eval \"$(kclrs print-command -p app.properties)\"
  kclrs print-command -p app.properties --format json

Environment:
",
    java_vars!(),
    cache_var!(),
    color_var!()
);

const PRINT_CLASSPATH_HELP: &str = concat!(
    "Examples:
  kclrs print-classpath
  kclrs print-classpath -p app.properties -c my-processor.jar --format lines

Environment:
",
    cache_var!(),
    color_var!()
);

const RUN_HELP: &str = concat!(
    "Examples:
  kclrs run --sample
  kclrs run -p app.properties -J-Xmx1g -J-Dlogback.debug=true
  kclrs run -p app.properties --repository https://your-mirror/maven2/
  kclrs run -p app.properties --dry-run

JVM options go in -J/--jvm-arg (one per flag), not after `--`.

Environment:
",
    java_vars!(),
    cache_var!(),
    fetch_vars!(),
    color_var!(),
    "  KCLRS_SAMPLE_OUTPUT  a file the sample record processor (--sample) appends each record to
"
);

const DOWNLOAD_JARS_HELP: &str = concat!(
    "Examples:
  kclrs download-jars
  kclrs download-jars --dest lib/ --repository https://your-mirror/maven2/
  kclrs download-jars --offline --json

Environment:
",
    cache_var!(),
    fetch_vars!(),
    color_var!()
);

const VERIFY_HELP: &str = concat!(
    "Examples:
  kclrs verify
  kclrs verify --lockfile my.lock --json

Environment:
",
    cache_var!(),
    color_var!()
);

const LOCK_HELP: &str = concat!(
    "Examples:
  kclrs lock --kcl-version 3.1.3 --repository https://your-mirror/maven2/
  kclrs lock --exclude com.palantir.javapoet:javapoet -o my.lock
  kclrs lock --check

Environment:
",
    cache_var!(),
    fetch_vars!(),
    color_var!()
);

const JAVA_HELP: &str = concat!(
    "Examples:
  kclrs java
  kclrs java --java /usr/lib/jvm/java-17-openjdk-amd64 --json

Environment:
",
    java_vars!(),
    color_var!()
);

const BUNDLE_HELP: &str = concat!(
    "Examples:
  kclrs bundle --dest /opt/kcl -p app.properties --java /usr/lib/jvm/java-17-openjdk-amd64
  /opt/kcl/bin/kcl-daemon -p app.properties -J-Xmx1g
  kclrs bundle --check /opt/kcl

Environment:
",
    java_vars!(),
    cache_var!(),
    fetch_vars!(),
    color_var!()
);

const COMPLETIONS_HELP: &str = "Examples:
  kclrs completions bash > ~/.local/share/bash-completion/completions/kclrs
  kclrs completions zsh > ~/.zfunc/_kclrs

Environment: none.";

/// What goes on the classpath: the properties file (its folder is the last entry), the extra
/// entries and where the jars are. `print-classpath` takes only these.
#[derive(Debug, Clone, Args)]
pub struct ClasspathLaunchArgs {
    /// The KCL .properties file of your application.
    #[arg(
        short = 'p',
        long = "properties",
        visible_alias = "props",
        alias = "prop",
        value_name = "FILE"
    )]
    pub properties: Option<PathBuf>,
    /// Use the sample properties and record processor that ship with kclrs.
    #[arg(
        long = "sample",
        visible_alias = "sample-props",
        alias = "use-sample-properties"
    )]
    pub sample: bool,
    /// Extra classpath entry, placed before the KCL jars (repeatable).
    #[arg(short = 'c', long = "classpath", alias = "path", value_name = "PATH")]
    pub classpath: Vec<PathBuf>,
    /// Put every *.jar of DIR on the classpath (locked jars in lock order, others after, by name)
    /// instead of the jars in the kclrs cache.
    #[arg(long = "jars-dir", value_name = "DIR")]
    pub jars_dir: Option<PathBuf>,
    /// Treat warnings about the properties file as errors.
    #[arg(long)]
    pub strict: bool,
}

/// What to launch: the classpath flags and everything else that shapes the java command.
#[derive(Debug, Clone, Args)]
pub struct LaunchArgs {
    #[command(flatten)]
    pub cp: ClasspathLaunchArgs,
    /// Logback configuration file passed to the daemon as --log-configuration.
    #[arg(short = 'l', long = "log-configuration", value_name = "FILE")]
    pub log_configuration: Option<PathBuf>,
    /// The daemon's log level (kclrs writes the logback configuration; -l FILE wins).
    #[arg(long, value_enum, ignore_case = true, value_name = "LEVEL")]
    pub log_level: Option<LogLevelArg>,
    /// The daemon's log lines: text (the jar's own pattern) or json (one object per line).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,
    /// The java binary or Java home to use (default: discovered, see `kclrs java`).
    #[arg(short = 'j', long = "java", value_name = "PATH")]
    pub java: Option<PathBuf>,
    /// JVM option placed before -cp, e.g. -J-Xmx1g (repeatable).
    #[arg(
        short = 'J',
        long = "jvm-arg",
        value_name = "ARG",
        allow_hyphen_values = true
    )]
    pub jvm_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevelArg {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

/// Which lockfile to use.
#[derive(Debug, Clone, Args)]
pub struct LockfileArgs {
    /// Lockfile to use instead of the one built into kclrs.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
}

/// Where the kclrs cache lives.
#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    /// Cache directory (default: $KCLRS_CACHE_DIR, else ~/.cache/kclrs on Linux; see Environment).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// Where artifact bytes may come from, in the order documented in docs/configuration.md.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Maven repository URL to download from, tried in order (repeatable; http, https or file).
    #[arg(long = "repository", value_name = "URL")]
    pub repositories: Vec<String>,
    /// Never touch the network: use only the kclrs cache and the local Maven repository.
    #[arg(long)]
    pub offline: bool,
    /// Do not reuse files from the local Maven repository (~/.m2/repository).
    #[arg(long)]
    pub no_local_repo: bool,
    /// Leave Maven out: neither run `mvn` for missing artifacts nor use the `central` its super
    /// POM declares when no repository is configured.
    #[arg(long)]
    pub no_mvn: bool,
    /// Maven user settings file to read instead of ~/.m2/settings.xml.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Local Maven repository to read instead of the one Maven's settings name.
    #[arg(long, value_name = "DIR")]
    pub maven_repo_local: Option<PathBuf>,
    /// Number of parallel downloads (connections per remote), 1..=64; over HTTP/2, which carries
    /// many requests on one connection, `lock` keeps 8 times as many requests in flight.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

/// Progress and report style.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print nothing on stderr but warnings and errors.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print a machine-readable JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommandFormat {
    /// Quoted for this platform's shell (POSIX sh on Unix, PowerShell on Windows).
    Shell,
    /// Quoted for POSIX sh.
    Sh,
    /// Quoted for PowerShell.
    Powershell,
    /// {"program": …, "args": […], "cwd": …}
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct PrintCommandArgs {
    #[command(flatten)]
    pub launch: LaunchArgs,
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CommandFormat::Shell)]
    pub format: CommandFormat,
    /// Add the class-data sharing options `kclrs run` uses on this machine (off by default: a
    /// printed command may run elsewhere).
    #[arg(long)]
    pub cds: bool,
    /// Use a Java older than the lock's minimum anyway, with a warning (also KCLRS_IGNORE_JAVA_VERSION=1).
    #[arg(long)]
    pub ignore_java_version: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClasspathFormat {
    /// Entries joined with the platform's separator.
    Plain,
    /// One entry per line.
    Lines,
    /// A JSON array of entries.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct PrintClasspathArgs {
    #[command(flatten)]
    pub launch: ClasspathLaunchArgs,
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ClasspathFormat::Plain)]
    pub format: ClasspathFormat,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub launch: LaunchArgs,
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print what would be executed and exit 0.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress output while fetching jars.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Start the JVM without a class-data sharing archive (kclrs makes and uses one by default).
    #[arg(long)]
    pub no_cds: bool,
    /// Use a Java older than the lock's minimum anyway, with a warning (also KCLRS_IGNORE_JAVA_VERSION=1).
    #[arg(long)]
    pub ignore_java_version: bool,
    /// Words after `--`: refused with a tip, because JVM options go in -J (and the daemon takes
    /// no arguments of its own).
    #[arg(last = true, hide = true, allow_hyphen_values = true)]
    pub trailing: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DownloadJarsArgs {
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also place exactly the locked jars in DIR, named as `mvn dependency:copy-dependencies` names them.
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// With --dest: keep jars in DIR that the lock does not list.
    #[arg(long, requires = "dest")]
    pub no_prune: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Print a machine-readable JSON report on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// KCL version for the default root, or `latest` for the newest 3.x release.
    #[arg(long, value_name = "V|latest", conflicts_with = "roots")]
    pub kcl_version: Option<String>,
    /// Root artifact G:A[:ext[:classifier]]:V; replaces the default KCL root (repeatable).
    #[arg(long = "root", value_name = "COORDS")]
    pub roots: Vec<String>,
    /// Extra root appended to the default or --root roots (repeatable).
    #[arg(long = "add", value_name = "COORDS")]
    pub add: Vec<String>,
    /// Exclude group:artifact (and what only it brings) from the closure (repeatable).
    #[arg(long = "exclude", value_name = "G:A")]
    pub exclude: Vec<String>,
    /// Where to write the lockfile.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "jars.lock"
    )]
    pub output: PathBuf,
    /// Do not write: re-resolve the roots recorded in the lockfile and exit 6 if it is stale.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub output_style: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct JavaArgs {
    /// The java binary or Java home you would pass to `run --java`.
    #[arg(short = 'j', long = "java", value_name = "PATH")]
    pub java: Option<PathBuf>,
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    /// Print {"chosen": …, "candidates": […]} as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BundleArgs {
    /// The folder to write (new, empty, or an earlier bundle, which is replaced whole).
    #[arg(long, value_name = "DIR", required_unless_present = "check")]
    pub dest: Option<PathBuf>,
    /// Re-hash the jars, runtime and archive of DIR against its bundle.lock; exit 6 on a difference.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dest", "properties", "java"])]
    pub check: Option<PathBuf>,
    /// The app's .properties, for the CDS training run (its network settings are replaced).
    #[arg(short = 'p', long = "properties", value_name = "FILE")]
    pub properties: Option<PathBuf>,
    /// The JDK (java binary or home) to link the runtime from; it needs jlink and jdeps.
    #[arg(short = 'j', long = "java", value_name = "PATH")]
    pub java: Option<PathBuf>,
    #[command(flatten)]
    pub lockfile: LockfileArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub source: SourceArgs,
    /// No progress output.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    pub shell: clap_complete::Shell,
}

/// Parses `std::env::args_os`, exiting with clap's usage error (code 2) on bad input.
pub fn parse() -> Cli {
    Cli::parse()
}

/// The clap command, for completions and for the CLI self-check test.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        super::command().debug_assert();
    }
}
