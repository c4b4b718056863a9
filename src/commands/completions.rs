//! `kclrs completions <shell>`: prints a completion script generated from the clap definition, so
//! completions can never drift from the real flags.

use std::process::ExitCode;

use crate::cli::CompletionsArgs;

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "kclrs", &mut buf);
    crate::ui::print(&String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}
