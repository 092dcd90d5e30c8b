//! Live progress while suites run.
//!
//! - On a terminal (stdout and stderr both terminals, `CI` not set): an indicatif bar on stderr,
//!   `suites done / total` and the suite that last started; each finished suite is printed above
//!   the bar.
//! - Otherwise (stdout piped or redirected, or `CI` set): one plain line per finished suite.
//!
//! Progress goes to **stderr**, so stdout stays the report (`run > report.txt`, `| head`).
//! Colours (green ✓, red ✗, yellow -) only when the stream is a terminal and `NO_COLOR` is unset
//! or empty (<https://no-color.org>). `Progress` is cheap to clone and safe to share between the
//! concurrently running suites.

use std::io::{IsTerminal, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::coverage::human_duration;
use super::{SuiteOutcome, SuiteReport};

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// An indicatif bar (a terminal).
    Bar,
    /// One line per finished suite (CI, a pipe, a file).
    Plain,
    /// Nothing (tests, `--quiet`).
    Hidden,
}

/// Whether colour may be used on a stream: a terminal, and `NO_COLOR` unset or empty.
pub fn colour_allowed(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

/// Whether the console summary on stdout may be coloured.
pub fn use_colour() -> bool {
    colour_allowed(
        std::io::stdout().is_terminal(),
        std::env::var("NO_COLOR").ok().as_deref(),
    )
}

/// Whether `CI` is set to something that means yes (not empty, `0` or `false`).
pub fn ci_set(ci: Option<&str>) -> bool {
    ci.is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The mode for these circumstances.
pub fn decide(stdout_terminal: bool, stderr_terminal: bool, ci: Option<&str>) -> ProgressMode {
    if stdout_terminal && stderr_terminal && !ci_set(ci) {
        ProgressMode::Bar
    } else {
        ProgressMode::Plain
    }
}

/// Colours a mark (`✓`, `✗`, `-`) by outcome when `colour` is on.
pub fn mark(outcome: SuiteOutcome, colour: bool) -> String {
    let (mark, code) = match outcome {
        SuiteOutcome::Passed => ("✓", GREEN),
        SuiteOutcome::Failed => ("✗", RED),
        SuiteOutcome::Skipped => ("-", YELLOW),
        SuiteOutcome::Interrupted => ("‖", YELLOW),
    };
    if colour {
        format!("{code}{mark}{RESET}")
    } else {
        mark.to_string()
    }
}

/// The line printed for a finished suite: `[3/12] ✓ name (120 ms)` or `... - name: skipped: why`.
pub fn suite_line(suite: &SuiteReport, done: usize, total: usize, colour: bool) -> String {
    let tail = match suite.outcome {
        SuiteOutcome::Skipped => format!(
            ": skipped: {}",
            super::console::escape_controls(suite.reason.as_deref().unwrap_or("no reason given"))
        ),
        SuiteOutcome::Failed => format!(
            " ({}): {}",
            human_duration(suite.duration_ms),
            super::console::escape_controls(suite.reason.as_deref().unwrap_or("failed"))
        ),
        SuiteOutcome::Passed => format!(" ({})", human_duration(suite.duration_ms)),
        SuiteOutcome::Interrupted => format!(
            ": interrupted: {}",
            super::console::escape_controls(suite.reason.as_deref().unwrap_or("Ctrl-C"))
        ),
    };
    format!(
        "[{done}/{total}] {} {}{tail}",
        mark(suite.outcome, colour),
        super::console::escape_controls(&suite.name)
    )
}

/// The progress of one run.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    mode: ProgressMode,
    colour: bool,
    total: usize,
    done: AtomicUsize,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Progress for `total` suites, its mode and colours decided from the environment.
    pub fn new(total: usize) -> Progress {
        let stderr_terminal = std::io::stderr().is_terminal();
        let mode = decide(
            std::io::stdout().is_terminal(),
            stderr_terminal,
            std::env::var("CI").ok().as_deref(),
        );
        let colour = colour_allowed(stderr_terminal, std::env::var("NO_COLOR").ok().as_deref());
        Progress::with_mode(total, mode, colour)
    }

    /// Progress in a given mode (for tests and `--quiet`).
    pub fn with_mode(total: usize, mode: ProgressMode, colour: bool) -> Progress {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(if colour {
                "{spinner:.cyan} [{bar:30.cyan/blue}] {pos}/{len} suites  {wide_msg}"
            } else {
                "{spinner} [{bar:30}] {pos}/{len} suites  {wide_msg}"
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress {
            inner: Arc::new(Inner {
                mode,
                colour,
                total,
                done: AtomicUsize::new(0),
                bar,
            }),
        }
    }

    /// The mode in use.
    pub fn mode(&self) -> ProgressMode {
        self.inner.mode
    }

    /// Suites finished so far.
    pub fn done(&self) -> usize {
        self.inner.done.load(Ordering::SeqCst)
    }

    /// A suite begins (shown as the bar's message).
    pub fn suite_started(&self, name: &str) {
        if let Some(bar) = &self.inner.bar {
            bar.set_message(name.to_string());
        }
    }

    /// A suite ended: advance the bar, or print its line. Returns the line (without colour when
    /// colour is off), which tests can check.
    pub fn suite_finished(&self, suite: &SuiteReport) -> String {
        let done = self.inner.done.fetch_add(1, Ordering::SeqCst) + 1;
        let line = suite_line(suite, done, self.inner.total, self.inner.colour);
        match self.inner.mode {
            ProgressMode::Bar => {
                if let Some(bar) = &self.inner.bar {
                    bar.println(&line);
                    bar.set_message(suite.name.clone());
                    bar.inc(1);
                }
            }
            ProgressMode::Plain => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{line}");
                let _ = err.flush();
            }
            ProgressMode::Hidden => {}
        }
        line
    }

    /// The run is over: the bar is cleared (the summary follows on stdout).
    pub fn finish(&self) {
        if let Some(bar) = &self.inner.bar {
            bar.finish_and_clear();
        }
    }
}
