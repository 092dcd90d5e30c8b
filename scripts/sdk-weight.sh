#!/usr/bin/env bash
# What an SDK crate pays to use the mock in its tests, beside wiremock 0.6 (issue 13).
#
# Builds a one-test SDK crate twice from a cold target/: once with this repository's mock as a
# dev-dependency, once with wiremock 0.6, both with the same reqwest/tokio dev-dependencies, and
# prints for each the crates compiled, the CPU seconds (user + sys) and the size of target/.
#
#   scripts/sdk-weight.sh            # both
#   scripts/sdk-weight.sh mock       # only the mock side
#
# Not part of CI (it compiles ~250 crates from scratch). Uses the crate `pelcro-mock` under
# crates/ when the workspace has it, else the single root crate.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sdk-weight.XXXXXX")"
trap 'rm -rf "$work"' EXIT
which="${1:-both}"

if [[ -d "$repo/crates/pelcro-mock" ]]; then
    mock_dep="pelcro-mock = { path = \"$repo/crates/pelcro-mock\" }"
    mock_use="pelcro_mock"
else
    mock_dep="pelcro-conformance = { path = \"$repo\" }"
    mock_use="pelcro_conformance::mock"
fi

common_deps='reqwest = { version = "0.13", default-features = false, features = ["json", "rustls"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }'

make_crate() { # name, dev-dependency line, test body
    local dir="$work/$1"
    mkdir -p "$dir/src" "$dir/tests"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "sdk-$1"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]

[dev-dependencies]
$2
$common_deps

[workspace]
TOML
    echo '//! An SDK crate that only tests against a mock.' >"$dir/src/lib.rs"
    printf '%s\n' "$3" >"$dir/tests/site.rs"
}

make_crate mock "$mock_dep" "use $mock_use::{MockConfig, MockServer};

#[tokio::test]
async fn the_site_answers() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let answer = reqwest::get(format!(\"{}/api/v1/sdk/site?site_id=1\", mock.base_url())).await.unwrap();
    assert_eq!(answer.status(), 200);
}"

make_crate wiremock 'wiremock = "0.6"' 'use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_site_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/api/v1/sdk/site"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server).await;
    let answer = reqwest::get(format!("{}/api/v1/sdk/site?site_id=1", server.uri())).await.unwrap();
    assert_eq!(answer.status(), 200);
}'

printf '%-10s %8s %8s %10s\n' side crates cpu_s target_MB
for side in mock wiremock; do
    if [[ "$which" != both && "$which" != "$side" ]]; then continue; fi
    dir="$work/$side"
    (cd "$dir" && cargo generate-lockfile -q)
    log="$work/$side.log"
    # CPU seconds from GNU time (user + sys of cargo and every rustc it ran).
    if command -v /usr/bin/time >/dev/null; then
        /usr/bin/time -f '%U %S' -o "$work/$side.time" \
            env CARGO_TARGET_DIR="$dir/target" cargo test --manifest-path "$dir/Cargo.toml" --no-run 2>"$log"
        cpu=$(awk '{printf "%.0f", $1 + $2}' "$work/$side.time")
    else
        start=$(date +%s)
        env CARGO_TARGET_DIR="$dir/target" cargo test --manifest-path "$dir/Cargo.toml" --no-run 2>"$log"
        cpu="wall $(( $(date +%s) - start ))"
    fi
    crates=$(grep -c '^ *Compiling ' "$log" || true)
    size=$(du -sm "$dir/target" | cut -f1)
    printf '%-10s %8s %8s %10s\n' "$side" "$crates" "$cpu" "$size"
done
