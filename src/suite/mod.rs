//! Suites: the file format, and loading with static checks.

pub mod census;
pub mod levels;
pub mod load;
mod model;

pub use load::{LoadContext, LoadedSuite, Needs, SuiteSource};
pub use model::*;
