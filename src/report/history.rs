//! Nights as a picture: `pelcro-conformance history DIR…` reads stored report.json files and
//! draws a claims × nights grid, one tile a claim a night (pass, fail, pass with advisories,
//! skipped, not covered), the first night each claim's status changed marked. One
//! self-contained HTML page (inline CSS, no scripts) and the same grid as Markdown.
//!
//! Each argument is a report.json, a folder holding one, or a folder of folders that do (one a
//! night); nights are ordered by their start time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::RunReport;
use super::coverage::{self, ClaimStatus};
use super::diff::read_report;
use super::html::esc;
use super::markdown::text;

/// A claim's state on one night, as its tile shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tile {
    Pass,
    Fail,
    /// Passed, with failed assumptions (advisories) under the claim.
    Advisory,
    /// Every suite naming it was skipped (partly skipped counts as a pass).
    Skipped,
    /// No suite of that night's run named it, or the night has no report of it.
    NotCovered,
}

impl Tile {
    fn of(status: ClaimStatus, advisories: usize) -> Tile {
        match status {
            ClaimStatus::Fail => Tile::Fail,
            ClaimStatus::Pass | ClaimStatus::PartlySkipped if advisories > 0 => Tile::Advisory,
            ClaimStatus::Pass | ClaimStatus::PartlySkipped => Tile::Pass,
            ClaimStatus::Skipped => Tile::Skipped,
            ClaimStatus::NotCovered => Tile::NotCovered,
        }
    }

    /// A text symbol, so that the grid reads in greyscale and without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            Tile::Pass => "✓",
            Tile::Fail => "✗",
            Tile::Advisory => "!",
            Tile::Skipped => "⊘",
            Tile::NotCovered => "·",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tile::Pass => "pass",
            Tile::Fail => "fail",
            Tile::Advisory => "pass, with advisories",
            Tile::Skipped => "skipped",
            Tile::NotCovered => "not covered",
        }
    }

    fn css(self) -> &'static str {
        match self {
            Tile::Pass => "pass",
            Tile::Fail => "fail",
            Tile::Advisory => "advised",
            Tile::Skipped => "skipped",
            Tile::NotCovered => "uncovered",
        }
    }
}

/// One night: where its report came from and what it says.
pub struct Night {
    pub file: PathBuf,
    pub report: RunReport,
}

impl Night {
    /// The column heading: the start date, and the time when two nights share a date.
    fn label(&self, with_time: bool) -> String {
        let at = &self.report.started_at;
        let date = at.get(..10).unwrap_or(at);
        if with_time {
            format!("{date} {}", at.get(11..16).unwrap_or(""))
        } else {
            date.to_string()
        }
    }
}

/// The grid: claims in document order (then any others the reports name), a tile a night.
pub struct History {
    pub nights: Vec<Night>,
    pub rows: Vec<Row>,
}

pub struct Row {
    pub claim: String,
    pub tiles: Vec<Tile>,
    /// The first night (index) whose tile differs from the night before.
    pub first_change: Option<usize>,
}

/// Reads every night the arguments name; an error names the file or folder at fault.
pub fn read_nights(paths: &[PathBuf]) -> Result<Vec<Night>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
        } else if path.join("report.json").is_file() {
            files.push(path.join("report.json"));
        } else if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: cannot be read: {e}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path().join("report.json")))
                .filter(|p| p.is_file())
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{}: holds no report.json, nor folders that do",
                    path.display()
                ));
            }
            found.sort();
            files.extend(found);
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    let mut nights = Vec::with_capacity(files.len());
    for file in files {
        let report = read_report(&file)?;
        nights.push(Night { file, report });
    }
    // RFC 3339 in UTC sorts as text; the file name breaks ties.
    nights.sort_by(|a, b| {
        (a.report.started_at.as_str(), &a.file).cmp(&(b.report.started_at.as_str(), &b.file))
    });
    Ok(nights)
}

/// The grid of these nights.
pub fn build(nights: Vec<Night>) -> History {
    let mut ids: Vec<String> = crate::claims::CLAIMS
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    let per_night: Vec<Vec<(String, Tile)>> = nights
        .iter()
        .map(|night| {
            coverage::claims(&night.report)
                .iter()
                .map(|c| (c.id.clone(), Tile::of(c.status, c.advisories.len())))
                .collect()
        })
        .collect();
    for night in &per_night {
        for (id, _) in night {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let rows = ids
        .into_iter()
        .map(|claim| {
            let tiles: Vec<Tile> = per_night
                .iter()
                .map(|night| {
                    night
                        .iter()
                        .find(|(id, _)| *id == claim)
                        .map_or(Tile::NotCovered, |(_, tile)| *tile)
                })
                .collect();
            let first_change = (1..tiles.len()).find(|&i| tiles[i] != tiles[i - 1]);
            Row {
                claim,
                tiles,
                first_change,
            }
        })
        .collect();
    History { nights, rows }
}

impl History {
    fn labels(&self) -> Vec<String> {
        let dates: Vec<String> = self.nights.iter().map(|n| n.label(false)).collect();
        self.nights
            .iter()
            .map(|n| {
                let shared = dates.iter().filter(|d| **d == n.label(false)).count() > 1;
                n.label(shared)
            })
            .collect()
    }

    /// What the nights have in common, or each night's target, for the page's heading.
    fn targets(&self) -> String {
        let mut targets: Vec<String> = self
            .nights
            .iter()
            .map(|n| format!("{} · site {}", n.report.target, n.report.site_id))
            .collect();
        targets.dedup();
        targets.join("; ")
    }

    fn changed_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.first_change.is_some())
            .count()
    }
}

const STYLE: &str = "
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,'DejaVu Sans',sans-serif;margin:2rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem}table{border-collapse:collapse}th,td{padding:2px;text-align:center}
th.claim{text-align:left;padding-right:.6rem;white-space:nowrap;font-weight:600}
th.night{font-weight:400;font-size:.75rem;writing-mode:vertical-rl;transform:rotate(180deg);height:6.5rem;vertical-align:bottom}
td.first{text-align:left;padding-left:.6rem;font-size:.8rem;color:#57606a;white-space:nowrap}
.t{display:inline-block;width:1.5rem;height:1.5rem;line-height:1.5rem;border-radius:3px;font-weight:700;font-size:.9rem;border:1px solid transparent}
.t.pass{background:#2da44e;color:#fff}.t.fail{background:#cf222e;color:#fff}.t.advised{background:#d4a72c;color:#1f2328}
.t.skipped{background:#eaeef2;color:#57606a;border:1px dashed #8c959f}.t.uncovered{background:#fff;color:#8c959f;border:1px dotted #d0d7de}
.t.changed{outline:3px solid #0969da;outline-offset:1px}
.legend span.t{vertical-align:middle;margin:0 .2rem 0 .8rem}.legend{margin:.8rem 0}
";

/// The grid as one self-contained HTML page.
pub fn render_html(history: &History) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Pelcro conformance history</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(
        out,
        "<h1>Pelcro conformance: {} nights</h1>\n<p>{} · {} of {} claims changed status at least once; the first night each changed is ringed.</p>",
        history.nights.len(),
        esc(&history.targets()),
        history.changed_count(),
        history.rows.len()
    );
    let _ = write!(out, "<p class=\"legend\">");
    for tile in [
        Tile::Pass,
        Tile::Fail,
        Tile::Advisory,
        Tile::Skipped,
        Tile::NotCovered,
    ] {
        let _ = write!(
            out,
            "<span class=\"t {}\">{}</span>{}",
            tile.css(),
            tile.symbol(),
            tile.label()
        );
    }
    let _ = writeln!(
        out,
        "<span class=\"t pass changed\">✓</span>first change</p>"
    );
    let labels = history.labels();
    let _ = write!(out, "<table>\n<tr><th></th>");
    for (label, night) in labels.iter().zip(&history.nights) {
        let _ = write!(
            out,
            "<th class=\"night\" title=\"{}\">{}</th>",
            esc(&night.file.display().to_string()),
            esc(label)
        );
    }
    let _ = writeln!(out, "<th></th></tr>");
    for row in &history.rows {
        let _ = write!(out, "<tr><th class=\"claim\">{}</th>", esc(&row.claim));
        for (i, tile) in row.tiles.iter().enumerate() {
            let changed = row.first_change == Some(i);
            let _ = write!(
                out,
                "<td><span class=\"t {}{}\" title=\"{} · {}: {}{}\">{}</span></td>",
                tile.css(),
                if changed { " changed" } else { "" },
                esc(&row.claim),
                esc(&labels[i]),
                tile.label(),
                if changed { " (first change)" } else { "" },
                tile.symbol()
            );
        }
        let first = row.first_change.map_or(String::new(), |i| {
            format!(
                "changed {}: {} → {}",
                esc(&labels[i]),
                row.tiles[i - 1].label(),
                row.tiles[i].label()
            )
        });
        let _ = writeln!(out, "<td class=\"first\">{first}</td></tr>");
    }
    let _ = writeln!(out, "</table>\n</body>\n</html>");
    out
}

/// The same grid as a Markdown table; the first change of each claim is bold.
pub fn render_markdown(history: &History) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Pelcro conformance: {} nights\n\n{} · {} of {} claims changed status at least once (the first change in bold).\n",
        history.nights.len(),
        text(&history.targets()),
        history.changed_count(),
        history.rows.len()
    );
    let legend: Vec<String> = [
        Tile::Pass,
        Tile::Fail,
        Tile::Advisory,
        Tile::Skipped,
        Tile::NotCovered,
    ]
    .iter()
    .map(|t| format!("{} {}", t.symbol(), t.label()))
    .collect();
    let _ = writeln!(out, "{}\n", legend.join(" · "));
    let labels = history.labels();
    let _ = write!(out, "| Claim |");
    for label in &labels {
        let _ = write!(out, " {} |", text(label));
    }
    let _ = writeln!(out, " First change |");
    let _ = writeln!(out, "|---|{}---|", "---|".repeat(labels.len()));
    for row in &history.rows {
        let _ = write!(out, "| {} |", text(&row.claim));
        for (i, tile) in row.tiles.iter().enumerate() {
            if row.first_change == Some(i) {
                let _ = write!(out, " **{}** |", tile.symbol());
            } else {
                let _ = write!(out, " {} |", tile.symbol());
            }
        }
        let first = row.first_change.map_or(String::new(), |i| {
            format!(
                "{}: {} → {}",
                text(&labels[i]),
                row.tiles[i - 1].label(),
                row.tiles[i].label()
            )
        });
        let _ = writeln!(out, " {first} |");
    }
    out
}

/// Writes `history.html` and `history.md` into `out_dir`; returns their paths.
pub fn write(history: &History, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("{}: cannot create the folder: {e}", out_dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in [
        ("history.html", render_html(history)),
        ("history.md", render_markdown(history)),
    ] {
        let path = out_dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("{}: cannot be written: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
