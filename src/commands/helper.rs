//! `kclrs --print_command …` / `kclrs --print_classpath …`: the command line of
//! `amazon_kclpy_helper.py`, accepted as written so existing scripts and READMEs keep working.
//! It only translates the helper's flags into `print-command`/`print-classpath` arguments, so the
//! output is exactly theirs. The helper required `--java` even for the classpath; that (and `-l`)
//! is accepted and not needed there.

use std::process::ExitCode;

use crate::cli::{
    CacheArgs, ClasspathFormat, ClasspathLaunchArgs, Cli, CommandFormat, HelperAction, LaunchArgs,
    LockfileArgs, PrintClasspathArgs, PrintCommandArgs,
};
use crate::env::Env;
use crate::error::{Exit, UserError};

pub fn run(cli: &Cli, env: &Env) -> anyhow::Result<ExitCode> {
    let h = &cli.helper;
    let cp = ClasspathLaunchArgs {
        properties: h.properties.clone(),
        sample: h.sample,
        classpath: h.classpath.clone(),
        jars_dir: None,
        strict: false,
    };
    let lockfile = LockfileArgs { lockfile: None };
    let cache = CacheArgs { cache_dir: None };
    match cli.helper_action() {
        Some(HelperAction::PrintCommand) => super::print_command::run(
            &PrintCommandArgs {
                launch: LaunchArgs {
                    cp,
                    log_configuration: h.log_configuration.clone(),
                    log_level: None,
                    log_format: None,
                    java: h.java.clone(),
                    jvm_args: Vec::new(),
                },
                lockfile,
                cache,
                format: CommandFormat::Shell,
                cds: false,
                // KCLRS_IGNORE_JAVA_VERSION still applies: the helper had no such flag.
                ignore_java_version: false,
            },
            env,
        ),
        Some(HelperAction::PrintClasspath) => super::print_classpath::run(
            &PrintClasspathArgs {
                launch: cp,
                lockfile,
                cache,
                format: ClasspathFormat::Plain,
            },
            env,
        ),
        None => Err(UserError::new(
            Exit::Usage,
            "these are amazon_kclpy_helper.py flags: they need --print_command or --print_classpath",
        )
        .hint("write `kclrs print-command -p FILE` (or `kclrs --help` for every command)")
        .into()),
    }
}
