//! Progress on stderr while fetching: one overall bar (bytes, speed, ETA) and one line per file in
//! flight. Drawn only when stderr is a terminal (and `NO_COLOR`/`--quiet` allow it); otherwise
//! every method is a no-op, so CI logs and `--json` pipelines stay clean. Warnings raised while
//! bars are drawn go through the bars so they do not garble them.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::env::Env;

#[derive(Debug)]
pub struct Progress {
    bars: Option<(MultiProgress, ProgressBar)>,
    env: Env,
}

impl Progress {
    pub fn new(enabled: bool, total_bytes: u64, env: &Env) -> Progress {
        Progress::labelled(enabled, total_bytes, "jars", env)
    }

    /// Like [`Progress::new`], with `label` in front of the overall bar.
    pub fn labelled(enabled: bool, total_bytes: u64, label: &str, env: &Env) -> Progress {
        let bars = enabled.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let total = multi.add(ProgressBar::new(total_bytes));
            total.set_style(
                ProgressStyle::with_template(
                    "{prefix:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            total.set_prefix(label.to_string());
            (multi, total)
        });
        Progress {
            bars,
            env: env.clone(),
        }
    }

    /// A line for one file being fetched; it disappears when dropped.
    pub fn file(&self, name: &str, size: u64) -> FileBar {
        let bar = self.bars.as_ref().map(|(multi, total)| {
            let bar = multi.add(ProgressBar::new(size));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>10} {bytes:>10}/{total_bytes:<10} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix("get");
            bar.set_message(crate::terminal::escape(name).into_owned());
            (bar, total.clone())
        });
        FileBar { bar }
    }

    /// Counts bytes that arrived without a per-file line (local repository, file:// remotes).
    pub fn add(&self, bytes: u64) {
        if let Some((_, total)) = &self.bars {
            total.inc(bytes);
        }
    }

    pub fn warn(&self, msg: &str) {
        match &self.bars {
            Some((multi, _)) => multi.suspend(|| crate::ui::warn(&self.env, msg)),
            None => crate::ui::warn(&self.env, msg),
        }
    }

    pub fn finish(&self) {
        if let Some((multi, total)) = &self.bars {
            total.finish_and_clear();
            let _ = multi.clear();
        }
    }
}

/// The one line saying where artifacts come from (`fetching 131 artifacts with mvn (…)…`): printed
/// as is unless quiet, and on a terminal animated by a spinner until [`StatusLine::done`] while a
/// step without its own progress (an `mvn` run) works; the text stays on screen afterwards.
#[derive(Debug)]
pub struct StatusLine {
    spinner: Option<ProgressBar>,
    text: String,
}

impl StatusLine {
    /// Prints `text` now (`show`), with a spinner in front when `spin` (stderr is a terminal).
    pub fn start(show: bool, spin: bool, text: String) -> StatusLine {
        let spinner = (show && spin).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(crate::terminal::escape(&text).into_owned());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        if show && spinner.is_none() {
            crate::ui::note(false, &text);
        }
        StatusLine { spinner, text }
    }

    /// Stops the spinner, leaving the plain line in its place.
    pub fn done(self) {
        if let Some(bar) = self.spinner {
            bar.finish_and_clear();
            crate::ui::note(false, &self.text);
        }
    }
}

/// The line of one file in flight; also feeds the overall bar.
#[derive(Debug)]
pub struct FileBar {
    bar: Option<(ProgressBar, ProgressBar)>,
}

impl FileBar {
    pub fn inc(&self, bytes: u64) {
        if let Some((bar, total)) = &self.bar {
            bar.inc(bytes);
            total.inc(bytes);
        }
    }

    /// Sets the length of a file whose size was not known in advance, growing the overall bar.
    pub fn set_length(&self, len: u64) {
        if let Some((bar, total)) = &self.bar {
            total.inc_length(len.saturating_sub(bar.length().unwrap_or(0)));
            bar.set_length(len);
        }
    }

    /// Forgets `bytes` already counted, when a download restarts from zero.
    pub fn restart(&self) {
        if let Some((bar, total)) = &self.bar {
            total.set_position(total.position().saturating_sub(bar.position()));
            bar.set_position(0);
        }
    }
}

impl Drop for FileBar {
    fn drop(&mut self) {
        if let Some((bar, _)) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
