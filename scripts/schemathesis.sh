#!/usr/bin/env bash
# Drives Schemathesis against a standalone mock with the harness's own OpenAPI document, to show
# that the document says what the mock enforces: every operation reaches a success answer, and no
# request the document calls valid is refused. Not run in CI (it needs Python and takes a while).
#
#   pip install schemathesis        # 4.x
#   cargo build && scripts/schemathesis.sh [--max-examples N] [other schemathesis options]
#
# What it sets up first, as the document's examples assume (`openapi::examples` in src/openapi.rs):
# the example customer and the reset customer, the social-login token, and one passwordless and
# one reset token, substituted for their placeholders. Protected operations get a fresh customer's
# token per request (scripts/schemathesis_hooks.py). The mock's site runs with a lockout of
# 1,000,000 attempts: the lockout is a documented rule over many requests, which no schema can
# state, and generated logins would otherwise lock the example customer.
#
# Prints the figures README quotes, from Schemathesis's HAR and JUnit reports:
# operations reaching a 2xx, and the operations where a schema-valid request was refused.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${PELCRO_CONFORMANCE:-$root/target/debug/pelcro-conformance}
port=${PORT:-18471}
work=$(mktemp -d "${TMPDIR:-/tmp}/pelcro-schemathesis.XXXXXX")
mock_pid=
cleanup() {
    if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
for tool in jq curl schemathesis; do
    command -v "$tool" >/dev/null || { echo "schemathesis.sh: $tool is needed" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "schemathesis.sh: build first (cargo build): $bin" >&2; exit 2; }

sed -e 's/^  attempts: .*/  attempts: 1000000/' "$root/suites/profiles/default.yaml" > "$work/profile.yaml"
"$bin" mock --port "$port" --profile "$work/profile.yaml" >"$work/mock.log" 2>&1 &
mock_pid=$!
base="http://127.0.0.1:$port"
api="$base/api/v1/sdk"
for _ in $(seq 50); do curl -fsS "$base/__control/capabilities" >/dev/null 2>&1 && break; sleep 0.1; done

"$bin" openapi --output "$work/openapi.json"
example() { jq -r "$1" "$work/openapi.json"; }
login=$(example '.paths["/auth/login"].post.requestBody.content["application/json"].example')
email=$(jq -r .email <<<"$login")
password=$(jq -r .password <<<"$login")
reset=$(example '.paths["/password/reset"].post.requestBody.content["application/json"].example')
reset_email=$(jq -r .email <<<"$reset")
idp_token=$(example '.paths["/auth/idp/login"].post.requestBody.content["application/json"].example.idp_token')
post() { curl -fsS -o /dev/null -X POST "$api$1?site_id=1" -H 'Content-Type: application/json' --data-raw "$2"; }
for who in "$email" "$reset_email"; do
    post /auth/register "$(jq -nc --arg e "$who" --arg p "$password" '{email: $e, password: $p}')"
done
curl -fsS -o /dev/null -X POST "$base/__control/idp/tokens" -H 'Content-Type: application/json' \
    --data-raw "$(jq -nc --arg t "$idp_token" '{provider: "google", token: $t, profile: {email: "idp@example.com", id: "g-1"}}')"
post /auth/passwordless/request "$(jq -nc --arg e "$email" '{email: $e}')"
post /password/forgot "$(jq -nc --arg e "$reset_email" '{email: $e}')"
pwl=$(curl -fsS "$base/__control/passwordless/$email" | jq -r .token)
rst=$(curl -fsS "$base/__control/password-reset/$reset_email" | jq -r .token)
jq --arg pwl "$pwl" --arg rst "$rst" \
    '(.. | objects | select(.token == "PASSWORDLESS_TOKEN") | .token) |= $pwl
     | (.. | objects | select(.token == "RESET_TOKEN") | .token) |= $rst' \
    "$work/openapi.json" > "$work/openapi.live.json"

# site_id: the mock serves site 1 only (another id is the documented 400 of SITE-ID).
cat > "$work/schemathesis.toml" <<TOML
[parameters]
"query.site_id" = 1
TOML

cd "$work"
set +e
PELCRO_API="$api" PELCRO_EXAMPLE_PASSWORD="$password" \
SCHEMATHESIS_HOOKS="$root/scripts/schemathesis_hooks.py" \
schemathesis --config-file "$work/schemathesis.toml" run "$work/openapi.live.json" --url "$api" \
    --phases examples,coverage,fuzzing --checks all --workers 1 \
    --report har,junit --report-dir "$work/reports" --seed 1 "$@" > "$work/schemathesis.log" 2>&1
status=$?
set -e
tail -n 40 "$work/schemathesis.log"

har=$(ls "$work"/reports/har-*.json 2>/dev/null | head -n 1)
junit=$(ls "$work"/reports/junit-*.xml 2>/dev/null | head -n 1)
if [ -n "${KEEP_LOG:-}" ]; then cp "$work/schemathesis.log" "$KEEP_LOG"; fi
[ -n "$har" ] && [ -n "$junit" ] || { echo "schemathesis.sh: no reports (exit $status)" >&2; exit 3; }
operations=$(jq '[.paths | to_entries[] | .value | keys[]] | length' "$work/openapi.json")
reached=$(jq -r --arg api "$api" '
    [.log.entries[] | select(.response.status >= 200 and .response.status < 300)
     | (.request.method + " " + (.request.url | ltrimstr($api) | sub("\\?.*"; "")))]
    | unique | length' "$har")
refused=$(grep -o 'Valid data should have been accepted' "$junit" | wc -l | tr -d ' ')
refused_ops=$(python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
names = set()
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    for failure in list(case.iter("failure")) + list(case.iter("error")):
        if "Valid data should have been accepted" in (failure.get("message") or "") + (failure.text or ""):
            names.add(case.get("name"))
print(len(names))
for name in sorted(names):
    print("  refused:", name, file=sys.stderr)
PY
)
echo "operations reaching a 2xx: $reached/$operations"
echo "operations refusing a schema-valid request: $refused_ops (failures: $refused)"
echo "schemathesis exit: $status"
