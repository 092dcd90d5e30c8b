//! What a run found, and the ways of telling it.
//!
//! Every reporter reads the same [`RunReport`] tree, which is redacted when it is recorded:
//! `console` (the terminal summary), `progress` (the live bar or plain lines), `junit` (CI test
//! results), `json` (the machine-readable report, diffable with `diff`), `markdown` (the
//! compliance report) and `html` (the same, one self-contained page); `summary` (a few lines for
//! a CI job summary), `reproduce` (a failure as `curl` commands) and `history` (nights as a grid).
//! `coverage` decides each claim's status for the reports that are ordered by claim.

pub mod combined;
pub mod console;
pub mod coverage;
pub mod diff;
pub mod files;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
mod model;
pub mod progress;
pub mod reproduce;
pub mod summary;

pub use files::write_all;
pub use model::*;
