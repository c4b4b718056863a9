//! Behaviour every subcommand shares: help, version, usage errors, completions, closed pipes.

use crate::support::*;

#[test]
fn version_and_usage_errors() {
    let sb = Sandbox::new();
    let out = sb.run(["--version"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(
        stdout(&out),
        format!("kclrs {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = sb.run(["print-command", "--no-such-flag"]);
    assert_exit(&sb, &out, 2);
    assert!(stderr(&out).contains("--no-such-flag"));
}

#[test]
fn completions_are_generated_for_each_shell() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = sb.run(["completions", shell]);
        assert_exit(&sb, &out, 0);
        assert!(stdout(&out).contains("download-jars"), "{shell}");
    }
}

#[test]
fn closed_stdout_pipe_exits_zero() {
    use std::io::Read;
    use std::process::Stdio;
    let sb = Sandbox::new();
    let mut child = sb
        .cmd(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "exit {status:?}, stderr: {err}");
    assert_eq!(err, "");
}
