//! A target that stops answering mid-run: after [`STOP_AFTER_FAILURES`] requests in a row got no
//! answer (no connection, a timeout, no HTTP at all — plain HTTP to a TLS port), the run stops
//! sending. The steps that could not run are "not run: the target stopped answering", the
//! suites they belong to are skipped rather than failed (the claims were not disproved), the
//! report notes where it happened, and the command exits 3.
//!
//! `runner` counts through [`StopWatch`]; `app` re-marks the reports with [`mark_stopped`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::report::{StepOutcome, SuiteOutcome, SuiteReport};

/// Requests in a row without an answer after which a run stops sending.
pub const STOP_AFTER_FAILURES: usize = 3;

/// The reason given for what a stopped run did not do.
pub const STOPPED: &str = "not run: the target stopped answering";

/// Counts requests in a row that got no answer; any answer resets the count.
#[derive(Debug, Default)]
pub struct StopWatch {
    in_a_row: AtomicUsize,
    sent: AtomicUsize,
    /// Where the run stopped, once it has.
    stopped: Mutex<Option<String>>,
}

impl StopWatch {
    /// Counts one request sent.
    pub fn sending(&self) -> usize {
        self.sent.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// An answer came: the count starts again.
    pub fn answered(&self) {
        self.in_a_row.store(0, Ordering::SeqCst);
    }

    /// No answer came to request number `nth` (`what`: its method and path, and the error). The
    /// one that makes [`STOP_AFTER_FAILURES`] in a row stops the run.
    pub fn failed(&self, nth: usize, what: &str) {
        let in_a_row = self.in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
        if in_a_row < STOP_AFTER_FAILURES {
            return;
        }
        let mut stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        if stopped.is_none() {
            *stopped = Some(format!(
                "the target stopped answering: {in_a_row} requests in a row got no answer, the last at request {nth} of the run ({what}); the run stopped sending there"
            ));
        }
    }

    /// Where the run stopped, if it did.
    pub fn stopped(&self) -> Option<String> {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Re-marks a stopped run's reports: a step that errored for want of an answer is "not run", and
/// a suite whose only trouble is such steps is skipped with [`STOPPED`] (a suite with a real
/// failure stays failed). Steps errored with `transport` reasons are told by their evidence: a
/// request and no status.
pub fn mark_stopped(suites: &mut [SuiteReport]) {
    for suite in suites.iter_mut() {
        let mut touched = false;
        for step in &mut suite.steps {
            let no_answer = step
                .evidence
                .as_ref()
                .is_some_and(|evidence| evidence.status.is_none());
            if step.outcome == StepOutcome::Errored && no_answer {
                let why = step.reason.take().unwrap_or_default();
                step.outcome = StepOutcome::NotRun;
                step.reason = Some(format!("{STOPPED} ({why})"));
                touched = true;
            }
            if step.outcome == StepOutcome::NotRun
                && step
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(STOPPED))
            {
                touched = true;
            }
        }
        let really_failed = suite
            .steps
            .iter()
            .any(|s| matches!(s.outcome, StepOutcome::Failed | StepOutcome::Errored));
        if touched && !really_failed {
            suite.outcome = SuiteOutcome::Skipped;
            suite.reason = Some(STOPPED.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_third_request_in_a_row_without_an_answer_stops_the_run_and_an_answer_resets_the_count() {
        let watch = StopWatch::default();
        watch.failed(1, "GET /site");
        watch.failed(2, "GET /site");
        watch.answered();
        watch.failed(3, "GET /site");
        watch.failed(4, "GET /site");
        assert_eq!(watch.stopped(), None);
        watch.failed(5, "POST /auth/login: could not connect");
        let note = watch.stopped().expect("stopped");
        assert!(note.contains("request 5"), "{note}");
        assert!(note.contains("POST /auth/login"), "{note}");
    }
}
