//! The command line, declared with clap's derive API. This is the only module (with
//! `commands`) that knows about clap; it turns flags into plain values and the subcommands turn
//! those into calls on the domain modules. Every flag spelling of `amazon_kclpy_helper.py` is kept
//! as an alias so existing scripts keep working.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Fetch, verify and launch the Amazon Kinesis Client Library MultiLangDaemon.
#[derive(Debug, Parser)]
#[command(name = "kclrs", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the java command that starts the MultiLangDaemon, quoted for the shell (or as JSON).
    #[command(alias = "print_command")]
    PrintCommand(PrintCommandArgs),
    /// Print the classpath of the MultiLangDaemon.
    #[command(alias = "print_classpath")]
    PrintClasspath(PrintClasspathArgs),
    /// Check the properties, find Java, make sure the jars are there, and exec the MultiLangDaemon.
    Run(RunArgs),
    /// Download and verify every jar pinned in jars.lock into the cache (or --dest).
    #[command(alias = "download_jars")]
    DownloadJars(DownloadJarsArgs),
    /// Re-hash every cached jar of the lockfile and report missing or corrupt ones.
    Verify(VerifyArgs),
    /// Resolve the MultiLangDaemon closure from real POMs, the way Maven does, and write jars.lock.
    Lock(LockArgs),
    /// List the Java installations kclrs can see and show which one it would use.
    Java(JavaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// What to launch: the properties file and everything that shapes the java command.
#[derive(Debug, Clone, Args)]
pub struct LaunchArgs {
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
    /// Logback configuration file passed to the daemon as --log-configuration.
    #[arg(short = 'l', long = "log-configuration", value_name = "FILE")]
    pub log_configuration: Option<PathBuf>,
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
    /// Put every *.jar of DIR on the classpath (locked jars in lock order, others after, by name)
    /// instead of the jars in the kclrs cache.
    #[arg(long = "jars-dir", value_name = "DIR")]
    pub jars_dir: Option<PathBuf>,
    /// Treat warnings about the properties file as errors.
    #[arg(long)]
    pub strict: bool,
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
    /// Cache directory (default: $KCLRS_CACHE_DIR, else the platform cache dir).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// Where artifact bytes may come from, in the order documented in README.
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
    /// Do not fall back to asking `mvn` for missing artifacts.
    #[arg(long)]
    pub no_mvn: bool,
    /// Maven user settings file to read instead of ~/.m2/settings.xml.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Local Maven repository to read instead of the one Maven's settings name.
    #[arg(long, value_name = "DIR")]
    pub maven_repo_local: Option<PathBuf>,
    /// Number of parallel downloads.
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
    pub launch: LaunchArgs,
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
    /// Use a Java older than the lock's minimum anyway, with a warning (also KCLRS_IGNORE_JAVA_VERSION=1).
    #[arg(long)]
    pub ignore_java_version: bool,
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
