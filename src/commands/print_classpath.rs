//! `kclrs print-classpath`: prints the MultiLangDaemon classpath (same flags as `print-command`),
//! joined with the platform separator, one entry per line, or as a JSON array. Java is not
//! needed for this, and neither is a properties file (without one, its folder is not added).

use std::process::ExitCode;

use crate::cli::{ClasspathFormat, PrintClasspathArgs};
use crate::env::Env;
use crate::launch::{self, Purpose};

pub fn run(args: &PrintClasspathArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let opts =
        super::print_command::launch_options(&args.launch, &args.lockfile, &args.cache, env)?;
    let prepared = launch::prepare(env, &opts, Purpose::PrintClasspath)?;
    launch::warn_missing(env, &opts, &prepared);
    let entries = &prepared.classpath.entries;
    match args.format {
        ClasspathFormat::Plain => {
            let joined = launch::classpath::join(entries, env.os)?;
            let text = joined.to_str().ok_or_else(|| {
                anyhow::anyhow!("cannot print the classpath: it is not valid UTF-8")
            })?;
            crate::ui::print(&format!("{text}\n"))?;
        }
        ClasspathFormat::Lines => {
            let mut text = String::new();
            for entry in entries {
                text.push_str(&entry.to_string_lossy());
                text.push('\n');
            }
            crate::ui::print(&text)?;
        }
        ClasspathFormat::Json => crate::ui::print_json(entries)?,
    }
    Ok(ExitCode::SUCCESS)
}
