#!/usr/bin/env bash
# The harness against Hurl 8.0.1 on the same flows, on one machine, against one standalone mock.
#
#   benches/vs-hurl.sh [ROUNDS]        (default 5; not part of CI)
#
# The flow, in both formats: register, retrieve the customer with the bearer token, log in with a
# wrong password (404), log out, the dead token (403), with the same assertions (statuses, the
# email in two answers). Scenarios, each timed in interleaved rounds (harness, then Hurl, then
# the next round), reported as the median of the per-round ratios harness/Hurl, with min–max:
#
#   one flow per process         `run --suites one/`            vs `hurl --test one.hurl`
#   200 flows, sequential        `run --suites many/ --jobs 1`  vs `hurl --test --jobs 1 200 files`
#   200 flows, 8 at a time       `run --suites many/ --jobs 8`  vs `hurl --test --jobs 8 200 files`
#   1000 x GET /site             one step with `repeat: 1000`   vs one entry with `repeat: 1000`
#
# "200 flows in one process" is a suites folder of 200 copies of the flow (each its own suite,
# as Hurl's are 200 files). Then the harness's CPU time (user + system) for 50, 100, 200 and 400
# flows, sequential: linear means 400 flows within 10 % of 8x the 50-flow figure.
#
# Hurl is installed when missing (the Debian packages it builds against, then cargo install into
# a scratch target folder that is deleted after). The harness is the release build of this
# checkout (built when missing or older than the sources).
set -euo pipefail

ROUNDS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/vs-hurl.XXXXXX)
PORT=${VS_HURL_PORT:-18431}
BASE="http://127.0.0.1:$PORT"
# VS_HURL_HARNESS: another build to measure (an older commit, for before/after).
HARNESS=${VS_HURL_HARNESS:-$ROOT/target/release/pelcro-conformance}
MOCK_PID=

cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

install_hurl() {
  if command -v hurl >/dev/null && hurl --version | grep -q '^hurl 8\.0\.1'; then
    return
  fi
  echo "installing Hurl 8.0.1 (a few minutes)…" >&2
  if command -v apt-get >/dev/null; then
    apt-get install -y libcurl4-openssl-dev libxml2-dev clang pkg-config >/dev/null
  fi
  CARGO_TARGET_DIR=/tmp/speed-hurl cargo install hurl@8.0.1 --locked
  rm -rf /tmp/speed-hurl
}

build_harness() {
  if [ ! -x "$HARNESS" ] || [ -n "$(find "$ROOT/src" "$ROOT/suites" "$ROOT/schemas" -newer "$HARNESS" -print -quit)" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
  fi
}

command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null
install_hurl
[ -n "${VS_HURL_HARNESS:-}" ] || build_harness

# ---- the flow, both formats ---------------------------------------------------------------
mkdir -p "$WORK/one" "$WORK/many" "$WORK/site" "$WORK/hurl" "$WORK/reports"
cat >"$WORK/flow.yaml" <<'EOF'
name: flow
claims: [LOGIN-BAD]
steps:
  - name: register
    request:
      method: POST
      path: /auth/register
      json: { email: "{{ fresh_email }}", password: "{{ fresh_password }}" }
    expect: { status: 200, json: { /data/email: "{{ fresh_email }}" } }
    capture: { token: /data/auth_token }
  - name: retrieve
    request: { method: GET, path: /customer, bearer: "{{ token }}" }
    expect: { status: 200, json: { /data/email: "{{ fresh_email }}" } }
  - name: wrong password
    request:
      method: POST
      path: /auth/login
      json: { email: "{{ fresh_email }}", password: "{{ fresh_password_wrong }}" }
    expect: { status: 404 }
  - name: logout
    request: { method: POST, path: /auth/logout, bearer: "{{ token }}" }
    expect: { status: 200 }
  - name: dead token
    request: { method: GET, path: /customer, bearer: "{{ token }}" }
    expect: { status: 403 }
EOF
cat >"$WORK/flow.hurl" <<EOF
POST $BASE/api/v1/sdk/auth/register?site_id=1
{"email": "hurl-{{newUuid}}@conformance.example.com", "password": "Flow!pass1234A"}
HTTP 200
[Captures]
token: jsonpath "\$.data.auth_token"
email: jsonpath "\$.data.email"
[Asserts]
jsonpath "\$.data.email" endsWith "@conformance.example.com"

GET $BASE/api/v1/sdk/customer?site_id=1
Authorization: Bearer {{token}}
HTTP 200
[Asserts]
jsonpath "\$.data.email" == "{{email}}"

POST $BASE/api/v1/sdk/auth/login?site_id=1
{"email": "{{email}}", "password": "Wrong!pass1234A"}
HTTP 404

POST $BASE/api/v1/sdk/auth/logout?site_id=1
Authorization: Bearer {{token}}
HTTP 200

GET $BASE/api/v1/sdk/customer?site_id=1
Authorization: Bearer {{token}}
HTTP 403
EOF
cp "$WORK/flow.yaml" "$WORK/one/flow.yaml"
for i in $(seq -w 1 400); do
  sed "s/^name: flow/name: flow $i/" "$WORK/flow.yaml" >"$WORK/many/flow-$i.yaml"
  cp "$WORK/flow.hurl" "$WORK/hurl/flow-$i.hurl"
done
flows_dir() { # a folder of the first N flows
  local dir="$WORK/flows-$1"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    ls "$WORK/many" | head -n "$1" | while read -r f; do cp "$WORK/many/$f" "$dir/"; done
  fi
  echo "$dir"
}
hurl_files() { ls "$WORK/hurl"/*.hurl | head -n "$1"; }
cat >"$WORK/site/site.yaml" <<'EOF'
name: site
claims: [SITE]
steps:
  - name: site
    request: { method: GET, path: /site }
    repeat: 1000
    expect: { status: 200 }
EOF
cat >"$WORK/site.hurl" <<EOF
GET $BASE/api/v1/sdk/site?site_id=1
[Options]
repeat: 1000
HTTP 200
EOF

# ---- one standalone mock for both ---------------------------------------------------------
"$HARNESS" mock --port "$PORT" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
for _ in $(seq 50); do
  curl -fs "$BASE/api/v1/sdk/site?site_id=1" >/dev/null 2>&1 && break
  sleep 0.1
done

now_ns() { date +%s%N; }
# Wall milliseconds of a command (its output discarded; a failure stops the bench).
wall_ms() {
  local start end
  start=$(now_ns)
  if ! "$@" >"$WORK/last.out" 2>&1; then
    echo "failed: $*" >&2
    tail -20 "$WORK/last.out" >&2
    exit 1
  fi
  end=$(now_ns)
  echo $(((end - start) / 1000))
}
harness() { "$HARNESS" run --target "$BASE" --site-id 1 --report-dir "$WORK/reports" "$@"; }

h_one() { harness --suites "$WORK/one"; }
u_one() { hurl --test "$WORK/flow.hurl"; }
h_seq() { harness --suites "$(flows_dir 200)" --jobs 1; }
u_seq() { hurl --test --jobs 1 $(hurl_files 200); }
h_par() { harness --suites "$(flows_dir 200)" --jobs 8; }
u_par() { hurl --test --jobs 8 $(hurl_files 200); }
h_site() { harness --suites "$WORK/site"; }
u_site() { hurl --test "$WORK/site.hurl"; }

# Median, min and max of ratios (one a line).
summary() { sort -g | awk '{ r[NR] = $1 } END { printf "%.2f (%.2f–%.2f)", (NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2), r[1], r[NR] }'; }

flows_dir 200 >/dev/null
echo "harness $("$HARNESS" --version 2>/dev/null | head -1), $(hurl --version | head -1 | cut -d' ' -f1-3)"
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$ROUNDS interleaved rounds, ratio = harness wall time / Hurl wall time"
echo
echo "| scenario | harness (median) | Hurl (median) | ratio, median of rounds (min–max) |"
echo "|---|---|---|---|"
for scenario in one seq par site; do
  : >"$WORK/ratios" ; : >"$WORK/h" ; : >"$WORK/u"
  h_"$scenario" >/dev/null 2>&1 || true # warm-up
  u_"$scenario" >/dev/null 2>&1 || true
  for _ in $(seq "$ROUNDS"); do
    h=$(wall_ms h_"$scenario")
    u=$(wall_ms u_"$scenario")
    echo "$h" >>"$WORK/h"
    echo "$u" >>"$WORK/u"
    awk -v h="$h" -v u="$u" 'BEGIN { print h / u }' >>"$WORK/ratios"
  done
  med() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.1f ms", v[int((NR + 1) / 2)] / 1000 }'; }
  case $scenario in
    one) name="one flow per process" ;;
    seq) name="200 flows, one process, sequential" ;;
    par) name="200 flows, 8 at a time" ;;
    site) name="1000 × GET /site, sequential" ;;
  esac
  echo "| $name | $(med "$WORK/h") | $(med "$WORK/u") | $(summary <"$WORK/ratios") |"
done

echo
echo "harness CPU (user + system), sequential flows, median of $ROUNDS:"
echo "| flows | harness CPU | Hurl CPU |"
echo "|---|---|---|"
cpu_ms() { /usr/bin/time -f "%U %S" -o "$WORK/cpu" "$@" >/dev/null 2>&1; awk '{ printf "%d", ($1 + $2) * 1000 }' "$WORK/cpu"; }
declare -A HCPU
for n in 50 100 200 400; do
  dir=$(flows_dir "$n")
  : >"$WORK/hc" ; : >"$WORK/uc"
  for _ in $(seq "$ROUNDS"); do
    cpu_ms "$HARNESS" run --target "$BASE" --site-id 1 --report-dir "$WORK/reports" --suites "$dir" --jobs 1 >>"$WORK/hc"; echo >>"$WORK/hc"
    cpu_ms hurl --test --jobs 1 $(hurl_files "$n") >>"$WORK/uc"; echo >>"$WORK/uc"
  done
  hm=$(sort -n "$WORK/hc" | awk 'NF { v[++n] = $1 } END { print v[int((n + 1) / 2)] }')
  um=$(sort -n "$WORK/uc" | awk 'NF { v[++n] = $1 } END { print v[int((n + 1) / 2)] }')
  HCPU[$n]=$hm
  echo "| $n | $hm ms | $um ms |"
done
awk -v a="${HCPU[50]}" -v b="${HCPU[400]}" 'BEGIN { printf "400 flows / 50 flows: %.2f× (linear: 8×, goal within 10 %%)\n", b / a }'
echo "report.json for 200 flows: $(harness --suites "$(flows_dir 200)" --jobs 1 >/dev/null 2>&1; wc -c <"$WORK/reports/report.json") bytes"
