//! Writing every file report into one folder.

use std::path::{Path, PathBuf};

use crate::profile::SiteProfile;

use super::{RunReport, html, json, junit, markdown};

/// The file names `write_all` writes, in order.
pub const FILE_NAMES: [&str; 4] = ["report.json", "junit.xml", "report.md", "report.html"];

/// Writes `report.json`, `junit.xml`, `report.md` and `report.html` into `dir` (created if
/// missing) and returns their paths in that order. Errors name the path at fault.
pub fn write_all(
    report: &RunReport,
    dir: &Path,
    profile: &SiteProfile,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("{}: cannot create the report folder: {e}", dir.display()))?;
    let contents = [
        json::render(report),
        junit::render(report),
        markdown::render(report, profile),
        html::render(report, profile),
    ];
    write_named(dir, &FILE_NAMES, contents)
}

/// Writes each text under its name in `dir`; returns the paths. Errors name the path at fault.
pub fn write_named(
    dir: &Path,
    names: &[&str],
    contents: impl IntoIterator<Item = String>,
) -> Result<Vec<PathBuf>, String> {
    let mut paths = Vec::with_capacity(names.len());
    for (name, text) in names.iter().zip(contents) {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("{}: cannot be written: {e}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}
