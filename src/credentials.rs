//! Credentials and site ids: from the process environment, or a file named by `--env-file`
//! (`KEY=VALUE` lines), never from a suite. Suites read them as `{{ env.NAME }}`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::input::{self, InputError};
use crate::redact::is_secret_key;

/// Where `{{ env.NAME }}` looks: the env file first, then the process environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    from_file: BTreeMap<String, String>,
}

impl Environment {
    /// Only the process environment.
    pub fn process() -> Environment {
        Environment::default()
    }

    /// `KEY=VALUE` lines; blank lines and `#` comments are skipped; `export ` and matching quotes
    /// around the value are allowed.
    pub fn from_file(path: &Path) -> Result<Environment, InputError> {
        let name = path.display().to_string();
        let bytes = input::read_file(path)?;
        let text = input::utf8(&name, &bytes)?;
        let mut from_file = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line_no = index as u64 + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let trimmed = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(InputError::new(&name, "expected KEY=VALUE").at(line_no, 1));
            };
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(
                    InputError::new(&name, format!("`{key}` is not a variable name"))
                        .at(line_no, 1),
                );
            }
            let value = value.trim();
            let unquoted = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(open, close)| {
                    value
                        .strip_prefix(*open)
                        .and_then(|v| v.strip_suffix(*close))
                })
                .unwrap_or(value);
            from_file.insert(key.to_string(), unquoted.to_string());
        }
        Ok(Environment { from_file })
    }

    /// The same environment with `name` set to `value` (over the file and the process).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Environment {
        self.from_file.insert(name.to_string(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.from_file
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }

    /// The values of secret-named variables (`PELCRO_PASSWORD`, `…_TOKEN`) among `names`.
    pub fn secrets<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Vec<String> {
        names
            .into_iter()
            .filter(|name| is_secret_key(name))
            .filter_map(|name| self.get(name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_parse_and_win_over_the_process() {
        let path = std::env::temp_dir().join(format!("pc-env-{}", fastrand::u64(..)));
        std::fs::write(&path, "# live account\nexport PELCRO_EMAIL=qa@example.com\nPELCRO_PASSWORD='s3cret pass'\n\nPATH=/nowhere\n").unwrap();
        let env = Environment::from_file(&path).unwrap();
        assert_eq!(env.get("PELCRO_EMAIL").as_deref(), Some("qa@example.com"));
        assert_eq!(env.get("PELCRO_PASSWORD").as_deref(), Some("s3cret pass"));
        assert_eq!(env.get("PATH").as_deref(), Some("/nowhere"));
        assert_eq!(
            env.secrets(["PELCRO_EMAIL", "PELCRO_PASSWORD"]),
            vec!["s3cret pass".to_string()]
        );
        std::fs::write(&path, "GOOD=1\nno equals sign\n").unwrap();
        let err = Environment::from_file(&path).unwrap_err();
        assert_eq!(err.line, Some(2));
        std::fs::remove_file(&path).unwrap();
    }
}
