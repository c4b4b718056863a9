//! On Unix `kclrs run` stays as the JVM's thin parent instead of exec'ing it, because a terminal's
//! Ctrl-C goes to the whole foreground process group: with exec, the MultiLangDaemon's record
//! processors (children of the JVM, so in its group) got SIGINT at the same moment as the JVM and
//! died — amazon_kclpy's with a Python traceback — before the daemon's shutdown hook could send
//! them `shutdownRequested` and let them checkpoint. A JVM cannot start its children in another
//! group, so the JVM itself goes into a process group of its own, and kclrs, still in the
//! terminal's group, is the only one Ctrl-C reaches. kclrs then:
//!
//! - forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT (thread dump) to the JVM's pid only, never to
//!   its group, so the daemon alone decides when processors stop;
//! - escalates on a second SIGINT or SIGTERM: the JVM ignores more signals once its shutdown hooks
//!   run, so kclrs kills the JVM's whole group (JVM and processors) with SIGKILL. A stop signal
//!   within [`SAME_STOP`] of the first is the same stop, not a second one: a wrapper that forwards
//!   signals (npm's `bin/kclrs.js`, `npm start`) passes on the Ctrl-C the terminal already sent
//!   kclrs itself, milliseconds apart, while a person's second Ctrl-C comes later;
//! - reaps every child that exits (as PID 1 in a container, orphaned processors end up as its
//!   children), and exits with the JVM's code (143 after SIGTERM, 130 after SIGINT), or 128+N when
//!   the JVM died of signal N, as a shell reports it.
//!
//! The JVM's stdin is /dev/null: the daemon never reads it, and a background group reading the
//! terminal would be stopped (SIGTTIN). The price of a parent: SIGKILL to kclrs alone leaves the
//! JVM running (no `PR_SET_PDEATHSIG` without unsafe code); supervisors that kill a whole cgroup
//! (containers, systemd) take both. Why the parent is needed and its bounds: docs/operations.md.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use rustix::process::{Pid, Signal, WaitOptions, WaitStatus};
use tokio::signal::unix::{signal, SignalKind};

/// What kclrs does with a signal it receives while the JVM runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send it to the JVM's pid.
    Forward(Signal),
    /// Kill the JVM's process group (the JVM and its record processors) with SIGKILL.
    Escalate,
    /// Nothing: the same stop again, relayed by a wrapper.
    Ignore,
}

/// How soon after the first stop signal another one still counts as the same stop.
pub const SAME_STOP: Duration = Duration::from_millis(500);

/// The action for `received` when the first stop signal (SIGINT/SIGTERM) was forwarded
/// `since_first` ago (`None`: none yet).
pub fn decide(received: Signal, since_first: Option<Duration>) -> Action {
    let stop = received == Signal::INT || received == Signal::TERM;
    match since_first {
        Some(age) if stop && age < SAME_STOP => Action::Ignore,
        Some(_) if stop => Action::Escalate,
        _ => Action::Forward(received),
    }
}

/// The exit code kclrs ends with for the JVM's wait status.
pub fn exit_code(status: WaitStatus) -> u8 {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(sig)) => u8::try_from((128 + sig) & 0xff).unwrap_or(1),
        _ => 1,
    }
}

/// Starts `command` in its own process group, handles signals as the module says, and returns
/// the JVM's exit code; `Err` only when the JVM cannot be started (`cannot_start` words it).
pub fn run(
    mut command: Command,
    cannot_start: impl FnOnce(std::io::Error) -> anyhow::Error,
) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal handling of `kclrs run`")?;
    runtime.block_on(async move {
        // Handlers first: a SIGTERM between the spawn and the handlers would kill kclrs (the
        // default action) and leave the JVM without its signal.
        let handle = |kind: SignalKind, name: &str| {
            signal(kind).with_context(|| format!("cannot handle {name}"))
        };
        let mut int = handle(SignalKind::interrupt(), "SIGINT")?;
        let mut term = handle(SignalKind::terminate(), "SIGTERM")?;
        let mut hup = handle(SignalKind::hangup(), "SIGHUP")?;
        let mut quit = handle(SignalKind::quit(), "SIGQUIT")?;
        let mut children = handle(SignalKind::child(), "SIGCHLD")?;
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .map_err(cannot_start)?;
        let jvm = Pid::from_child(&child);
        let mut first_stop: Option<Instant> = None;
        loop {
            if let Some(status) = reap(jvm)? {
                return Ok(ExitCode::from(exit_code(status)));
            }
            let sig = tokio::select! {
                _ = children.recv() => continue,
                _ = int.recv() => Signal::INT,
                _ = term.recv() => Signal::TERM,
                _ = hup.recv() => Signal::HUP,
                _ = quit.recv() => Signal::QUIT,
            };
            match decide(sig, first_stop.map(|at| at.elapsed())) {
                Action::Ignore => {}
                Action::Forward(sig) => {
                    if sig == Signal::INT || sig == Signal::TERM {
                        first_stop = Some(Instant::now());
                        eprintln!(
                            "kclrs: {} forwarded to the MultiLangDaemon (pid {}): its record processors are asked to checkpoint and stop; send it again to kill them now",
                            name(sig),
                            jvm.as_raw_nonzero()
                        );
                    }
                    // ESRCH: the JVM exited meanwhile; the next reap sees it.
                    let _ = rustix::process::kill_process(jvm, sig);
                }
                Action::Escalate => {
                    eprintln!("kclrs: second stop signal: killing the MultiLangDaemon and its record processors (SIGKILL, no checkpoint)");
                    let _ = rustix::process::kill_process_group(jvm, Signal::KILL);
                }
            }
        }
    })
}

fn name(sig: Signal) -> &'static str {
    match sig {
        Signal::INT => "SIGINT",
        Signal::TERM => "SIGTERM",
        Signal::HUP => "SIGHUP",
        Signal::QUIT => "SIGQUIT",
        _ => "a signal",
    }
}

/// Reaps every exited child; the JVM's status once it has exited.
fn reap(jvm: Pid) -> anyhow::Result<Option<WaitStatus>> {
    let mut found = None;
    loop {
        match rustix::process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                if pid == jvm {
                    found = Some(status);
                }
            }
            // No exited child left (None), or no child at all (ECHILD): the JVM is reaped.
            Ok(None) | Err(rustix::io::Errno::CHILD) => return Ok(found),
            Err(rustix::io::Errno::INTR) => {}
            Err(err) => return Err(anyhow::Error::new(err).context("cannot wait for the JVM")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_stop_is_forwarded_and_the_second_escalates() {
        let later = Some(SAME_STOP + Duration::from_millis(1));
        assert_eq!(decide(Signal::INT, None), Action::Forward(Signal::INT));
        assert_eq!(decide(Signal::TERM, None), Action::Forward(Signal::TERM));
        assert_eq!(decide(Signal::INT, later), Action::Escalate);
        assert_eq!(decide(Signal::TERM, later), Action::Escalate);
        // A hangup or a thread-dump request never kills.
        assert_eq!(decide(Signal::HUP, later), Action::Forward(Signal::HUP));
        assert_eq!(decide(Signal::QUIT, later), Action::Forward(Signal::QUIT));
    }

    /// A wrapper relaying the terminal's Ctrl-C that reached kclrs too.
    #[test]
    fn a_stop_relayed_right_after_the_first_is_the_same_stop() {
        assert_eq!(decide(Signal::INT, Some(Duration::ZERO)), Action::Ignore);
        assert_eq!(
            decide(Signal::TERM, Some(SAME_STOP - Duration::from_millis(1))),
            Action::Ignore
        );
        assert_eq!(
            decide(Signal::HUP, Some(Duration::ZERO)),
            Action::Forward(Signal::HUP)
        );
    }

    /// Real children: a shell exiting with a code, and one killed by a signal.
    #[test]
    fn exit_codes_are_the_childs_or_128_plus_the_signal() {
        for (script, want) in [("exit 143", 143), ("exit 3", 3), ("kill -KILL $$", 137)] {
            // Reaped by the waitpid below, which keeps the raw status.
            #[allow(clippy::zombie_processes)]
            let child = Command::new("sh").args(["-c", script]).spawn().unwrap();
            let pid = Pid::from_child(&child);
            let (_, status) = rustix::process::waitpid(Some(pid), WaitOptions::empty())
                .unwrap()
                .unwrap();
            assert_eq!(exit_code(status), want, "{script}");
        }
    }
}
