//! `kclrs print-classpath`: prints the MultiLangDaemon classpath (the classpath flags of
//! `print-command`, not its Java, JVM or log flags), joined with the platform separator, one entry per line, or as a JSON array. Java is not
//! needed for this, and neither is a properties file (without one, its folder is not added).

use std::process::ExitCode;

use crate::cli::{ClasspathFormat, PrintClasspathArgs};
use crate::env::Env;
use crate::launch::{self, Purpose};

pub fn run(args: &PrintClasspathArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let opts = super::classpath_options(&args.launch, &args.lockfile, &args.cache, env)?;
    let prepared = launch::prepare(env, &opts, Purpose::PrintClasspath)?;
    launch::warn_missing(env, &opts, &prepared);
    let entries = &prepared.classpath.entries;
    let text: Vec<&str> = entries
        .iter()
        .map(|e| launch::utf8("classpath entry", e.as_os_str()))
        .collect::<anyhow::Result<_>>()?;
    match args.format {
        ClasspathFormat::Plain => {
            let joined = launch::classpath::join(entries, env.os)?;
            crate::ui::print(&format!("{}\n", joined.to_string_lossy()))?;
        }
        ClasspathFormat::Lines => {
            crate::ui::print(&text.iter().map(|t| format!("{t}\n")).collect::<String>())?;
        }
        ClasspathFormat::Json => crate::ui::print_json(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
