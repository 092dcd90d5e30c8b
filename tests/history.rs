//! `history`: stored report.json files (nights) as a claims × nights grid, in HTML and Markdown.

mod common;

use std::path::PathBuf;

use common::{TempDir, cli, stderr};
use pelcro_conformance::report::history::{self, Tile};
use serde_json::{Value, json};

/// A night's report: `outcome` of a suite naming REG-OK, and one naming LOCKOUT.
fn night(started_at: &str, reg_ok: &str, lockout: &str, advisory: bool) -> Value {
    let suite = |name: &str, claim: &str, outcome: &str| {
        json!({
            "name": name, "file": format!("suites/{name}.yaml"), "claims": [claim], "tags": [],
            "outcome": outcome, "reason": null, "steps": [], "duration_ms": 1
        })
    };
    json!({
        "format_version": 1, "harness_version": "0.1.0", "target": "https://pelcro.example",
        "site_id": "7", "profile": "default", "profile_source": "built in", "capabilities": [],
        "started_at": started_at, "duration_ms": 5,
        "advisories": if advisory {
            json!([{"claim": "LOCKOUT", "suite": "lockout", "step": "s", "message": "m"}])
        } else { json!([]) },
        "suites": [suite("register", "REG-OK", reg_ok), suite("lockout", "LOCKOUT", lockout)]
    })
}

/// Nights written as `<dir>/<name>/report.json`, deliberately not in date order by name.
fn nights(dir: &TempDir) -> PathBuf {
    for (name, report) in [
        (
            "c",
            night("2026-11-03T02:00:00Z", "failed", "passed", false),
        ),
        (
            "a",
            night("2026-11-01T02:00:00Z", "passed", "passed", false),
        ),
        ("b", night("2026-11-02T02:00:00Z", "passed", "passed", true)),
        (
            "d",
            night("2026-11-04T02:00:00Z", "failed", "skipped", false),
        ),
    ] {
        dir.write(&format!("nights/{name}/report.json"), report.to_string());
    }
    PathBuf::from(dir.path()).join("nights")
}

#[test]
fn nights_are_read_in_time_order_and_each_claims_first_change_is_found() {
    let dir = TempDir::new("history-grid");
    let nights = history::read_nights(&[nights(&dir)]).unwrap();
    let starts: Vec<&str> = nights
        .iter()
        .map(|n| n.report.started_at.as_str())
        .collect();
    assert_eq!(starts[0], "2026-11-01T02:00:00Z");
    assert_eq!(starts[3], "2026-11-04T02:00:00Z");
    let grid = history::build(nights);
    let row = |id: &str| grid.rows.iter().find(|r| r.claim == id).unwrap();
    assert_eq!(
        row("REG-OK").tiles,
        [Tile::Pass, Tile::Pass, Tile::Fail, Tile::Fail]
    );
    assert_eq!(row("REG-OK").first_change, Some(2));
    assert_eq!(
        row("LOCKOUT").tiles,
        [Tile::Pass, Tile::Advisory, Tile::Pass, Tile::Skipped]
    );
    assert_eq!(row("LOCKOUT").first_change, Some(1));
    assert_eq!(row("GEN-BASE").tiles, [Tile::NotCovered; 4]);
    assert_eq!(row("GEN-BASE").first_change, None);
    // Every documented claim has a row, in the document's order.
    assert_eq!(grid.rows[0].claim, "GEN-BASE");
    assert_eq!(grid.rows.len(), pelcro_conformance::claims::CLAIMS.len());
}

#[test]
fn the_command_writes_a_self_contained_page_and_the_same_grid_as_markdown() {
    let dir = TempDir::new("history-cli");
    let nights = nights(&dir);
    let out = format!("{}/out", dir.path());
    // A folder of nights and a single report.json may be mixed; the same file twice is two columns.
    let single = nights.join("a/report.json");
    let output = cli(&[
        "history",
        nights.to_str().unwrap(),
        single.to_str().unwrap(),
        "--out",
        &out,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = std::fs::read_to_string(format!("{out}/history.html")).unwrap();
    let md = std::fs::read_to_string(format!("{out}/history.md")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("src=\""));
    assert!(
        page.contains("<h1>Pelcro conformance: 5 nights</h1>"),
        "{page}"
    );
    // Two nights share a date: their headings carry the time too.
    assert!(page.contains(">2026-11-01 02:00</th>"), "{page}");
    assert!(
        page.contains("<span class=\"t fail changed\" title=\"REG-OK · 2026-11-03: fail (first change)\">✗</span>"),
        "{page}"
    );
    assert!(page.contains("changed 2026-11-03: pass → fail"), "{page}");
    assert!(
        md.contains("| REG-OK | ✓ | ✓ | ✓ | **✗** | ✗ | 2026-11-03: pass → fail |"),
        "{md}"
    );
    assert!(md.contains("| LOCKOUT | ✓ | ✓ | **!** | ✓ | ⊘ |"), "{md}");
}

#[test]
fn a_bad_report_or_a_folder_without_one_is_exit_2_naming_it() {
    let dir = TempDir::new("history-bad");
    let bad = dir.write("nights/x/report.json", "{\"not\": \"a report\"}");
    let output = cli(&["history", bad.to_str().unwrap(), "--out", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("x/report.json"),
        "{}",
        stderr(&output)
    );
    let empty = format!("{}/empty", dir.path());
    std::fs::create_dir_all(&empty).unwrap();
    let output = cli(&["history", &empty, "--out", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("holds no report.json"),
        "{}",
        stderr(&output)
    );
    let output = cli(&["history", &format!("{}/missing", dir.path())]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing: no such file or folder"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        cli(&["history"]).status.code(),
        Some(2),
        "a folder is required"
    );
}
