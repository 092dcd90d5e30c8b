//! How much a check may decide: the one rule of verdicts.
//!
//! A check that enforces a row of `claims.md` (documented) or a Known-variations row the profile
//! selects (variant) fails its claim. A check of what the mock merely happens to do where the
//! documents are silent (assumed) is an advisory unless the run is `--strict`. A snapshot
//! comparison (baseline) is drift news, failing only with `--fail-on-snapshot-change`.

use serde::{Deserialize, Serialize};

/// What a check rests on.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A claims.md row, read as written.
    #[default]
    Documented,
    /// A Known-variations row, chosen by the site profile.
    Variant,
    /// The mock's own choice where the documents are silent.
    Assumed,
    /// The response against the target's accepted snapshot.
    Baseline,
}

impl Level {
    /// The word the reports use.
    pub fn label(self) -> &'static str {
        match self {
            Level::Documented => "documented",
            Level::Variant => "variant",
            Level::Assumed => "assumed",
            Level::Baseline => "baseline",
        }
    }

    /// Whether the level is the default, for `skip_serializing_if`.
    pub fn is_documented(&self) -> bool {
        *self == Level::Documented
    }
}

/// Which failed checks fail their step (and so the run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gate {
    /// `--strict`: assumed checks fail too.
    pub strict: bool,
    /// `--fail-on-snapshot-change`: a snapshot difference fails too.
    pub fail_on_snapshot_change: bool,
}

impl Gate {
    /// The gate of the project's own tests against its mock: everything pinned.
    pub const PINNED: Gate = Gate {
        strict: true,
        fail_on_snapshot_change: true,
    };

    /// Whether a failed check of this level fails its step.
    pub fn fails_on(self, level: Level) -> bool {
        match level {
            Level::Documented | Level::Variant => true,
            Level::Assumed => self.strict,
            Level::Baseline => self.fail_on_snapshot_change,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_and_variant_checks_fail_by_default() {
        let gate = Gate::default();
        assert!(gate.fails_on(Level::Documented));
        assert!(gate.fails_on(Level::Variant));
        assert!(!gate.fails_on(Level::Assumed));
        assert!(!gate.fails_on(Level::Baseline));
    }

    #[test]
    fn strict_fails_assumptions_and_the_snapshot_flag_fails_drift() {
        let strict = Gate {
            strict: true,
            ..Gate::default()
        };
        assert!(strict.fails_on(Level::Assumed));
        assert!(!strict.fails_on(Level::Baseline));
        let drift = Gate {
            fail_on_snapshot_change: true,
            ..Gate::default()
        };
        assert!(drift.fails_on(Level::Baseline));
        assert!(!drift.fails_on(Level::Assumed));
        assert!(Gate::PINNED.fails_on(Level::Assumed) && Gate::PINNED.fails_on(Level::Baseline));
    }
}
