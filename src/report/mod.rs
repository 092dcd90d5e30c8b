//! What a run found, and the ways of telling it.

pub mod console;
mod model;

pub use model::*;
