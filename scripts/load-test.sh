#!/usr/bin/env bash
# Bounded load on loopback: creates, then logins, each at a fixed concurrency for a fixed time,
# with wrk against the functions served by `cargo lambda watch` over DynamoDB Local. Starts its
# own stack (ports 8500/9500) and stops it. Fails on any non-2xx answer or socket error.
# Usage: scripts/load-test.sh [SECONDS] [CONNECTIONS]   (defaults 20 and 8)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
SECONDS_EACH=${1:-20}
CONNECTIONS=${2:-8}
DDB_PORT=${LOAD_DDB_PORT:-8500}
API_PORT=${LOAD_API_PORT:-9500}
ensure_wrk

trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM
bash scripts/install-tools.sh >/dev/null
ensure_keys
write_env "$LOCAL/load.env" "$DDB_PORT" "$LOCAL/mail-load"
export_env "$LOCAL/load.env"
cargo build --quiet -p idp-admin
build_functions
start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml >/dev/null
company="load-$(date +%s)"
target/debug/idp-admin load config/companies/demo.yaml --as "$company" >/dev/null
start_functions "$API_PORT" "$LOCAL/load.env" "$LOCAL/functions-load.log"
token=$(target/debug/idp-admin token --company="$company" --ttl 3600 | tail -n 1)
base="http://127.0.0.1:$API_PORT/v1/companies/$company/profiles"

# One profile with a password for the logins; the first calls also warm every function up.
seed_login_profile "$base" "$token" load

status=0
# Reads wrk's report (with --latency) on stdin and prints one markdown row; fails on errors.
read -r -d '' REPORT <<'PY' || true
import re, sys
name, seconds, connections = sys.argv[1:4]
text = sys.stdin.read()
def latency(p):
    m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
requests = int(re.search(r"(\d+) requests in", text).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
failures = int(bad.group(1)) if bad else 0
extra = " + socket errors: " + errors.group(1) if errors else ""
print(f"| {name} | {connections} | {seconds} s | {requests} | {rate:.1f} | "
      f"{latency(50):.1f} ms | {latency(99):.1f} ms | {failures}{extra} |")
sys.exit(1 if failures or errors else 0)
PY
run() { # name url script
  local name=$1 url=$2 script=$3
  wrk --latency -t 2 -c "$CONNECTIONS" -d "${SECONDS_EACH}s" -s "$script" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$url" \
    > "$LOCAL/load-$name.txt"
  python3 -c "$REPORT" "$name" "$SECONDS_EACH" "$CONNECTIONS" < "$LOCAL/load-$name.txt" || status=1
}
echo "| operation | connections | duration | requests | req/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|---|---|---|"
run create "$base" scripts/load/create.lua
run login "$base/login" scripts/load/login.lua
exit $status
