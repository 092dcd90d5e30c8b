//! Where a target's snapshot baselines live, and so which `SnapshotStore` a run gets.
//!
//! Baselines belong to a target. The built-in ones (the repository's `snapshots/`, embedded in
//! the binary) are the embedded mock's at its default site, per profile: an installed binary
//! compares against them from any folder, and writes pending `.snap.new` files under the report
//! folder, never into the current one. Any other target — a URL, or the embedded mock at another
//! site — has a folder of its own per host and site, and a first run records its baselines there
//! (reported as new baselines, not failures):
//!
//! | target | baselines |
//! |---|---|
//! | embedded mock, site 1, no `--snapshots` | built in; pending files in `<report-dir>/snapshots/<profile>/` |
//! | embedded mock, `--snapshots DIR` | `DIR/<profile>/` (the repository's workflow: `--snapshots snapshots`) |
//! | embedded mock, another site | `<report-dir>/baselines/embedded-mock/site-<id>/<profile>/` |
//! | a URL | `<root>/<host>[_<port>]/site-<id>/<profile>/`; `<root>` is `--snapshots DIR`, else `$XDG_DATA_HOME/pelcro-conformance/baselines` (`~/.local/share/…`), else `<report-dir>/baselines` |

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::snapshot::{SnapshotMode, SnapshotStore, slug};
use crate::target::TargetSpec;

/// The repository's `snapshots/`: the embedded mock's baselines, one folder per profile.
static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/snapshots");

/// The site the built-in baselines were taken at.
pub const BUILT_IN_SITE: &str = "1";

/// What decides where a run's baselines are.
#[derive(Debug, Clone)]
pub struct Choice<'a> {
    pub target: &'a TargetSpec,
    pub site_id: &'a str,
    /// The profile's name (slugged here).
    pub profile: &'a str,
    /// `--snapshots DIR`, if given.
    pub snapshots: Option<&'a Path>,
    pub report_dir: &'a Path,
    pub mode: SnapshotMode,
}

/// The store for a run.
pub fn store(choice: &Choice<'_>) -> SnapshotStore {
    let profile = slug(choice.profile);
    match (choice.target, choice.snapshots) {
        (TargetSpec::Mock, Some(dir)) => SnapshotStore::new(dir.join(&profile), choice.mode),
        (TargetSpec::Mock, None) => match BUILT_IN.get_dir(profile.as_str()) {
            Some(files) if choice.site_id == BUILT_IN_SITE => SnapshotStore::built_in(
                files,
                PathBuf::from("built-in snapshots").join(&profile),
                choice.report_dir.join("snapshots").join(&profile),
                choice.mode,
            ),
            _ => SnapshotStore::new(
                choice
                    .report_dir
                    .join("baselines")
                    .join("embedded-mock")
                    .join(format!("site-{}", slug(choice.site_id)))
                    .join(&profile),
                choice.mode,
            )
            .recording_missing(),
        },
        (TargetSpec::Url(_), given) => {
            let root = given
                .map(Path::to_path_buf)
                .or_else(default_root)
                .unwrap_or_else(|| choice.report_dir.join("baselines"));
            SnapshotStore::new(
                target_folder(&root, choice.target, choice.site_id).join(&profile),
                choice.mode,
            )
            .recording_missing()
        }
    }
}

/// `<root>/<host>[_<port>]/site-<id>`: one folder per host and site.
pub fn target_folder(root: &Path, target: &TargetSpec, site_id: &str) -> PathBuf {
    let host = target
        .host_label()
        .map(|h| h.replace(':', "_"))
        .unwrap_or_else(|| "embedded-mock".into());
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    root.join(host).join(format!("site-{}", slug(site_id)))
}

/// `$XDG_DATA_HOME/pelcro-conformance/baselines`, else `$HOME/.local/share/…`.
fn default_root() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local").join("share"))
        })?;
    Some(data.join("pelcro-conformance").join("baselines"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_target_s_baselines_are_per_host_and_site_and_the_three_url_forms_share_them() {
        let forms = [
            "https://pelcro.example:8443",
            "https://pelcro.example:8443/",
            "https://pelcro.example:8443/api/v1/sdk/",
        ];
        let folders: Vec<PathBuf> = forms
            .iter()
            .map(|f| target_folder(Path::new("/b"), &TargetSpec::parse(f).unwrap(), "42"))
            .collect();
        assert!(folders.iter().all(|f| f == &folders[0]), "{folders:?}");
        assert_eq!(folders[0], PathBuf::from("/b/pelcro.example_8443/site-42"));
    }

    #[test]
    fn the_embedded_mock_at_its_default_site_reads_the_built_in_baselines_and_elsewhere_records_its_own()
     {
        let report_dir = Path::new("/r");
        let choice = |site_id| Choice {
            target: &TargetSpec::Mock,
            site_id,
            profile: "default",
            snapshots: None,
            report_dir,
            mode: SnapshotMode::Check,
        };
        let built_in = store(&choice("1"));
        assert!(built_in.dir().starts_with("built-in snapshots"));
        let other = store(&choice("123"));
        assert_eq!(
            other.dir(),
            Path::new("/r/baselines/embedded-mock/site-123/default")
        );
    }
}
