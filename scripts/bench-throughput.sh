#!/usr/bin/env bash
# Login throughput on loopback against the local stack, to set beside the pure argon2 rate:
# the login function as a release build behind `cargo lambda watch --release`, DynamoDB Local
# (in memory), wrk, all on this machine's cores. Measures logins/s at C connections for S
# seconds after a warm-up, and the CPU time each process group used meanwhile (from /proc), so
# the report can say where the cores went. Writes .local/bench/throughput.json.
# Usage: scripts/bench-throughput.sh [SECONDS] [CONNECTIONS]   (defaults 20 and 4)
# Four connections, the emulator's concurrency: with two, both cores sit idle whenever both
# logins are between hashes (reading DynamoDB, crossing the emulator), so the run would measure
# the pipeline's gaps, not its throughput.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
SECONDS_EACH=${1:-20}
CONNECTIONS=${2:-4}
DDB_PORT=${BENCH_DDB_PORT:-8650}
API_PORT=${BENCH_API_PORT:-9650}
OUT="$LOCAL/bench"
ensure_wrk

trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM
bash scripts/install-tools.sh >/dev/null
ensure_keys
mkdir -p "$OUT"
write_env "$LOCAL/throughput.env" "$DDB_PORT" "$LOCAL/mail-throughput"
export_env "$LOCAL/throughput.env"
cargo build --quiet -p idp-admin
log "building the functions (release)"
build_functions --release
start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml >/dev/null
company="bench-$(date +%s)"
target/debug/idp-admin load config/companies/demo.yaml --as "$company" >/dev/null
WATCH_ARGS=--release start_functions "$API_PORT" "$LOCAL/throughput.env" "$OUT/throughput-functions.log"
token=$(target/debug/idp-admin token --company="$company" --ttl 3600 | tail -n 1)
base="http://127.0.0.1:$API_PORT/v1/companies/$company/profiles"

seed_login_profile "$base" "$token" bench

wrk_login() { # seconds -> wrk's report on stdout
  wrk --latency -t 1 -c "$CONNECTIONS" -d "$1s" -s scripts/load/login.lua \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$base/login"
}
# DynamoDB Local is a JVM: at 160 reads/s its request path would still be interpreted and
# compiled during the measurement, CPU that DynamoDB in a region never takes from the function.
log "warm-up: DynamoDB Local, 10 s of GetItem on the profile's item"
DDB_TABLE=$PROFILES_TABLE DDB_KEY="company#$company#profile#$LOGIN_PROFILE_ID" \
  wrk -t 1 -c 2 -d 10s -s scripts/load/dynamodb-get.lua "http://127.0.0.1:$DDB_PORT/" >"$OUT/throughput-ddb-warm-up.txt"
log "warm-up: 3 s (every instance the emulator starts is started now)"
wrk_login 3 >/dev/null

# CPU time (utime + stime, clock ticks) of every process, by command name.
cpu_snapshot() {
  python3 - <<'PY'
import json, os
ticks = {}
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    ticks[f"{pid}:{name}"] = int(fields[11]) + int(fields[12])
print(json.dumps(ticks))
PY
}
# The pure hash rate right before and right after the run: their mean is the ratio's
# denominator, so the ratio compares minutes with minutes (the machine is shared).
hash_rate() { # output file
  BENCH_RATE_ONLY=1 BENCH_JSON="$1" cargo bench --quiet -p idp-core --bench password_hash >/dev/null
}
log "pure hash rate, before"
hash_rate "$OUT/rate-before.json"
before=$(cpu_snapshot)
started=$(date +%s.%N)
log "measuring: $SECONDS_EACH s of logins at $CONNECTIONS connections"
wrk_login "$SECONDS_EACH" >"$OUT/throughput-wrk.txt"
ended=$(date +%s.%N)
after=$(cpu_snapshot)
# Peak resident memory of each login process (what a Lambda memory size must hold).
login_hwm_kib=$(for pid in $(pgrep -x login); do awk '/^VmHWM/ {print $2}' "/proc/$pid/status"; done | sort -n | tail -n 1)
log "pure hash rate, after"
hash_rate "$OUT/rate-after.json"

HWM_KIB="${login_hwm_kib:-0}" BEFORE="$before" AFTER="$after" WALL=$(python3 -c "print($ended - $started)") \
  python3 - "$OUT/throughput.json" "$SECONDS_EACH" "$CONNECTIONS" "$OUT/throughput-wrk.txt" <<'PY'
import json, os, re, sys
out, seconds, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = open(sys.argv[4], encoding="utf-8").read()
def latency(p):
    m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
requests = int(re.search(r"(\d+) requests in", text).group(1))
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = int(bad.group(1)) if bad else 0
if re.search(r"Socket errors", text):
    errors += 1
before, after = json.loads(os.environ["BEFORE"]), json.loads(os.environ["AFTER"])
hz = os.sysconf("SC_CLK_TCK")
wall = float(os.environ["WALL"])
groups = {}
others = {}
for key, ticks in after.items():
    name = key.split(":", 1)[1]
    used = (ticks - before.get(key, 0)) / hz
    if used <= 0:
        continue
    group = ("the login function" if name == "login" else
             "DynamoDB Local (java)" if name == "java" else
             "cargo lambda watch (emulator)" if name.startswith("cargo-lambda") else
             "wrk" if name == "wrk" else "everything else")
    groups[group] = groups.get(group, 0) + used
    if group == "everything else":
        others[name] = others.get(name, 0) + used
cores = os.cpu_count()
cpu = {g: round(s, 2) for g, s in sorted(groups.items(), key=lambda kv: -kv[1])}
share = ", ".join(f"{g} {100 * s / (wall * cores):.0f} %" for g, s in cpu.items())
report = {
    "method": (f"`bash scripts/bench-throughput.sh {seconds} {connections}`: the login function "
               "built in release and served by `cargo lambda watch --release` (the local stack of "
               "`make dev`, release build), DynamoDB Local in memory, and wrk (1 thread, "
               f"{connections} connections, {seconds} s) logging one profile in with the right "
               "password, all on the same cores; CPU time per process from /proc over the measured "
               "run. Before it, 10 s of GetItem straight to DynamoDB Local "
               "(`scripts/load/dynamodb-get.lua`) so that its JVM has compiled its request path, "
               "and 3 s of logins. Four connections because each login also waits on DynamoDB and "
               "the emulator: with two in flight the cores idle in those gaps."),
    "detail": f"wrk, {connections} connections, {seconds} s, through `cargo lambda watch --release` and DynamoDB Local",
    "login_per_second": rate,
    "requests": requests,
    "errors": errors,
    "p50_ms": latency(50),
    "p99_ms": latency(99),
    "wall_seconds": round(wall, 2),
    "cpu_seconds": cpu,
    "login_peak_rss_mib": round(int(os.environ["HWM_KIB"]) / 1024, 1),
    "everything_else_cpu_seconds": {n: round(s, 2) for n, s in sorted(others.items(), key=lambda kv: -kv[1])[:8]},
    "notes": (f"p50 {latency(50):.1f} ms, p99 {latency(99):.1f} ms, {requests} logins, {errors} errors. "
              f"Where the {cores} cores went during the run ({wall:.1f} s × {cores} cores = "
              f"{wall * cores:.1f} CPU-seconds): {share}; the remainder idle. Peak resident memory of "
              f"a login process: {int(os.environ['HWM_KIB']) / 1024:.0f} MiB."),
}
json.dump(report, open(out, "w"), indent=1)
print(f"logins: {rate:.1f}/s (p50 {latency(50):.1f} ms, p99 {latency(99):.1f} ms, errors {errors}); CPU: {share}")
sys.exit(1 if errors else 0)
PY
