//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pelcro-conformance",
    version,
    about = "Contract and conformance harness for the Pelcro Open API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance suites against a target (the embedded mock by default).
    Run(Box<RunArgs>),
    /// Compare two JSON reports of `run` (last night's and tonight's): what newly fails, what
    /// was fixed, what changed in skips. Exit 1 when something newly fails.
    Diff(DiffArgs),
    /// Nights as a picture: read stored report.json files (files, folders holding one, or
    /// folders of such folders) and write history.html (a claims × nights grid) and history.md.
    History(HistoryArgs),
    /// Serve the Pelcro mock on its own until stopped (Ctrl-C).
    Mock(MockArgs),
    /// Print (or write) an OpenAPI 3.1 document of the endpoints and schemas the harness checks.
    Openapi(OpenapiArgs),
    /// Check suites and a profile without sending any request: exit 0 when they load, 2 with
    /// every problem (file, line and column) otherwise.
    Check(CheckArgs),
    /// Print the JSON Schema of a suite file or a site profile (for editors).
    Schema(SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout, or write it to a file.
    Man(ManArgs),
    /// Every claim of claims.md with the suites behind it and how many of their checks are
    /// documented, variant (a Known-variations row the profile selects) or assumed.
    Claims(ClaimsArgs),
    /// A validating reverse proxy: forwards every request to the upstream and checks each answer
    /// under /api/v1/sdk against the contract; writes a report on Ctrl-C.
    Proxy(ProxyArgs),
    /// Site profiles: `profile discover` writes one from what a site can be seen to do.
    Profile(ProfileArgs),
    /// Generate stateful journeys from a seed, judge every step by the documented rules, and
    /// write each deviation found, shrunk, as a ready suite (exit 1 when one is found).
    Explore(Box<ExploreArgs>),
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// `mock` (the embedded mock) or a base URL such as https://www.pelcro.com.
    #[arg(long, default_value = "mock", value_name = "mock|URL")]
    pub target: String,
    /// The site id sent with every request (1 on the embedded mock).
    #[arg(long, env = "PELCRO_SITE_ID", value_name = "ID")]
    pub site_id: Option<String>,
    /// The most requests sent in all, shrinking included.
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "REQUESTS")]
    pub budget: u64,
    /// The seed the journeys are drawn from (the same seed draws the same journeys).
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The longest the exploration runs, in seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400), value_name = "SECONDS")]
    pub time: u64,
    /// Write report.json, junit.xml, report.md, report.html and findings/*.yaml here.
    #[arg(long, value_name = "DIR", default_value = "target/explore")]
    pub report_dir: PathBuf,
    /// A site profile: a YAML file, or the name of a built-in profile.
    #[arg(long, value_name = "FILE|NAME")]
    pub profile: Option<String>,
    /// Let journeys lock accounts they registered on a live site (never the test account).
    #[arg(long)]
    pub allow_lockout: bool,
    /// Requests per second (default: no cap on a mock, 5 on a live site; 0: no cap).
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// Trust the CA certificates of this PEM file too (a private CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Seconds to wait for a whole response.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub command: ProfileCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Observe a site without harm and write its profile (each field says how it was learned).
    Discover(DiscoverArgs),
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The site's base URL (https://www.pelcro.com; plain http only to a loopback address).
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// The site id.
    #[arg(long, env = "PELCRO_SITE_ID", value_name = "ID")]
    pub site_id: Option<String>,
    /// Trust the CA certificates of this PEM file too (a private CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Write the profile to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read PELCRO_EMAIL / PELCRO_PASSWORD (the test account) from this file of KEY=VALUE lines.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Register a customer to learn the password policy (the email is printed).
    #[arg(long)]
    pub allow_registration: bool,
    /// Lock an account registered for it to learn the lockout (needs --allow-registration).
    #[arg(long, requires = "allow_registration")]
    pub allow_lockout: bool,
    /// Seconds to wait for a whole response.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// `mock` (the embedded mock) or a base URL such as https://www.pelcro.com.
    #[arg(long, default_value = "mock", value_name = "mock|URL")]
    pub target: String,
    /// The site id sent with every request (1 on the embedded mock). Several, comma-separated
    /// (`1,2,3`): the suites run per site, one after another, with one combined report.
    #[arg(long, env = "PELCRO_SITE_ID", value_name = "ID[,ID…]")]
    pub site_id: Option<String>,
    /// A file of site ids, one a line (`#` comments); wins over --site-id and PELCRO_SITE_ID.
    #[arg(long, value_name = "FILE")]
    pub sites: Option<PathBuf>,
    /// Read suites from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
    /// Read JSON Schemas from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// A site profile: a YAML file, or the name of a built-in profile (`default`, ...).
    #[arg(long, value_name = "FILE|NAME")]
    pub profile: Option<String>,
    /// Run only suites whose name or file contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Run only suites with this tag (repeatable; any of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Run only suites covering this claim ID (repeatable; any of them).
    #[arg(long = "claim", value_name = "ID")]
    pub claims: Vec<String>,
    /// List the selected suites and exit without running them.
    #[arg(long)]
    pub list: bool,
    /// Write report.json, junit.xml, report.md and report.html into this folder.
    #[arg(long, value_name = "DIR", default_value = "target/conformance")]
    pub report_dir: PathBuf,
    /// Append a short Markdown summary (verdict, counts, failing claims) to this file, sized for
    /// a CI job summary: `--summary "$GITHUB_STEP_SUMMARY"`.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Where the baselines of `snapshot: true` steps are. Default: built in for the embedded mock
    /// (pending files under --report-dir); for a URL, a folder per host and site under
    /// $XDG_DATA_HOME/pelcro-conformance/baselines (~/.local/share/…). Given: DIR/<profile> for
    /// the mock, DIR/<host>/site-<id>/<profile> for a URL.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Write new and changed snapshots as pending `.snap.new` files (review them with
    /// `cargo insta review`, or accept them all with --accept-snapshots) instead of failing.
    #[arg(long, conflicts_with = "accept_snapshots")]
    pub update_snapshots: bool,
    /// Overwrite the stored snapshots with this run's responses.
    #[arg(long)]
    pub accept_snapshots: bool,

    /// Fail the run on failed assumptions too (checks of what the mock does where the documents
    /// are silent); without it they are advisories.
    #[arg(long)]
    pub strict: bool,

    /// Fail the run when a snapshot differs from its baseline (or has none); without it a change
    /// is reported as drift.
    #[arg(long)]
    pub fail_on_snapshot_change: bool,
    /// Show every step and check, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
    /// How many suites run at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub jobs: u16,
    /// Trust the CA certificates of this PEM file too (a private CA); the system's stay trusted.
    /// Certificates are always validated.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Read `{{ env.NAME }}` values (PELCRO_EMAIL, PELCRO_PASSWORD, PELCRO_SITE_ID, …) from this
    /// file of KEY=VALUE lines before the process environment.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<std::path::PathBuf>,
    /// Run lockout checks against a live site too. Each locks an account the run registers (never
    /// the test account) for the lockout window, so they need `allow_registration: true`; the
    /// report names the accounts locked.
    #[arg(long)]
    pub allow_lockout: bool,
    /// Requests per second across all suites (default: no cap on a mock, 5 on a live site;
    /// 0: no cap).
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// The longest one step may wait in all after 429 answers, in seconds.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(0..=3600), value_name = "SECONDS")]
    pub max_wait: u64,
    /// Seconds to wait for a connection.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300), value_name = "SECONDS")]
    pub connect_timeout: u64,
    /// Seconds to wait for a whole response.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Read suites from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
    /// Read schemas from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// The site profile the suites will run under: a file or a built-in profile's name.
    #[arg(long, value_name = "FILE|NAME")]
    pub profile: Option<String>,
    /// Check as for a live target too (literal credentials in suites are refused).
    #[arg(long)]
    pub live: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(value_enum)]
    pub of: crate::editor_schemas::EditorSchema,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write the man page to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// `text` (a table) or `json`.
    #[arg(long, value_enum, default_value_t = ClaimsFormat::Text)]
    pub format: ClaimsFormat,
    /// Read suites from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
}

/// How `claims` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClaimsFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report.json.
    pub old: PathBuf,
    /// The later report.json.
    pub new: PathBuf,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// report.json files, folders holding one, or folders of nights (one report.json each).
    #[arg(required = true, value_name = "DIR|FILE")]
    pub reports: Vec<PathBuf>,
    /// Write history.html and history.md into this folder.
    #[arg(long, value_name = "DIR", default_value = "target/conformance")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MockArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The address to listen on. Loopback only unless --allow-remote is given too.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Serve on a non-loopback --host. The control API can take over every customer, so a
    /// control token is then required (--control-token or PELCRO_MOCK_CONTROL_TOKEN).
    #[arg(long)]
    pub allow_remote: bool,
    /// Every /__control request must carry this token (`Authorization: Bearer TOKEN` or
    /// `X-Control-Token: TOKEN`).
    #[arg(
        long,
        env = "PELCRO_MOCK_CONTROL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub control_token: Option<String>,
    /// The id of the mock's site.
    #[arg(long, default_value_t = 1)]
    pub site_id: u64,
    /// The site's settings: a profile YAML file or a built-in profile's name.
    #[arg(long, value_name = "FILE|NAME")]
    pub profile: Option<String>,
    /// Take the requester's IP from X-Forwarded-For (for IP-range plans and geo).
    #[arg(long)]
    pub trust_forwarded_for: bool,
    /// Start with the virtual clock frozen: it moves only through POST /__control/clock/advance.
    #[arg(long)]
    pub frozen_clock: bool,
}

#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// Write the document to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The base URL requests are forwarded to (https://www.pelcro.com; plain http only to a
    /// loopback address).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Write the report files into this folder when stopped.
    #[arg(long, value_name = "DIR", default_value = "proxy-report")]
    pub report_dir: PathBuf,
    /// The site's settings (narrows the variant answers): a profile YAML file or a built-in name.
    #[arg(long, value_name = "FILE|NAME")]
    pub profile: Option<String>,
    /// Seconds to wait for the upstream's whole answer.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), value_name = "SECONDS")]
    pub timeout: u64,
    /// Show every exchange and check in the summary, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
}

/// A `--max-rps` value that is not a finite number in range.
#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not a rate: give 0 (no cap) or a number of requests per second from {min} to {max}",
    min = crate::backoff::MIN_RPS,
    max = crate::backoff::MAX_RPS
)]
pub struct RateError(String);

/// `--max-rps`: 0, or a finite number from `MIN_RPS` to `MAX_RPS` (NaN, infinities, `1e-300`
/// and negative numbers are refused with exit 2).
pub fn parse_rps(text: &str) -> Result<f64, RateError> {
    let value: f64 = text.trim().parse().map_err(|_| RateError(text.into()))?;
    let in_range = value == 0.0
        || (value.is_finite()
            && (crate::backoff::MIN_RPS..=crate::backoff::MAX_RPS).contains(&value));
    if in_range {
        Ok(value)
    } else {
        Err(RateError(text.into()))
    }
}
