#!/usr/bin/env bash
# `make bench`: the performance harness. Measures, in one run, and writes docs/benchmarks.md
# (tables, targets, and the charts docs/bench-*.svg) from what it measured:
#   1. the password hash: ours vs the C reference (Debian `argon2`), and the pure verification
#      rate on every core                                   (cargo bench --bench password_hash)
#   2. handler overhead without hash and I/O                (cargo bench --bench handler_overhead)
#   3. DynamoDB round trips per operation                   (the round_trips test, recorded)
#      and search at 1,000 and 100,000 profiles             (bench/src/bin/search-scale.rs)
#      and a company's audit trail at 1,000 and 100,000 events (bench/src/bin/events-scale.rs)
#      and known vs unknown identifiers' medians            (scripts/bench-enumeration.sh)
#   4. cold starts vs a bare lambda_http hello-world        (scripts/bench-cold-start.sh)
#   5. login throughput on loopback                         (scripts/bench-throughput.sh)
#   6. release binary sizes, arm64                          (scripts/bench-sizes.sh)
# Takes 30–45 minutes on the 2-core machine from a clean clone (release and arm64 builds), about
# 10 once built. Run it on a quiet machine: everything here is timing.
# Settings: BENCH_COLD_ROUNDS (15), BENCH_THROUGHPUT_SECONDS (20), BENCH_THROUGHPUT_CONNECTIONS (4),
# BENCH_SEARCH_SIZES (1000,100000), BENCH_EVENTS_SIZES (1000,100000), BENCH_SEARCH_SAMPLES (60).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
OUT="$LOCAL/bench"
DDB_PORT=${BENCH_RT_DDB_PORT:-8660}
started=$(date +%s)
# The tree the figures are of, taken before anything runs (the report may be rewritten later).
commit=$(git rev-parse --short HEAD)
[[ -z $(git status --porcelain --untracked-files=no) ]] || commit+=" with uncommitted changes"

trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM
bash scripts/install-tools.sh
command -v argon2 >/dev/null || {
  log "installing the C reference argon2 (Debian package argon2)"
  apt-get install -y -qq argon2 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq argon2 >/dev/null; }
}
ensure_keys
rm -rf "$OUT"
mkdir -p "$OUT"

log "1/6 password hash vs the C reference, and the verification rate"
BENCH_JSON="$OUT/password.json" cargo bench --quiet -p idp-core --bench password_hash

log "2/6 handler overhead (criterion)"
rm -rf target/criterion
cargo bench --quiet -p idp-core --bench handler_overhead -- --noplot
python3 scripts/bench-criterion.py target/criterion "$OUT/handler-overhead.json"

log "3/6 DynamoDB round trips per operation (the round_trips test, against DynamoDB Local)"
write_env "$LOCAL/bench-rt.env" "$DDB_PORT" "$LOCAL/mail-bench-rt"
export_env "$LOCAL/bench-rt.env"
cargo build --quiet -p idp-admin
start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml >/dev/null
target/debug/idp-admin load config/companies/demo.yaml >/dev/null
ROUND_TRIPS_JSONL="$OUT/round-trips.jsonl" cargo test --quiet -p idp-core --test round_trips
log "3/6 search at ${BENCH_SEARCH_SIZES:-1000,100000} profiles (seeding the larger takes minutes)"
cargo build --quiet --release -p idp-bench --bin search-scale
target/release/search-scale --config config/companies/demo.yaml --out "$OUT/search.json" \
  --sizes "${BENCH_SEARCH_SIZES:-1000,100000}" --samples "${BENCH_SEARCH_SAMPLES:-60}"
log "3/6 the audit trail at ${BENCH_EVENTS_SIZES:-1000,100000} events in one company"
cargo build --quiet --release -p idp-bench --bin events-scale
target/release/events-scale --out "$OUT/events.json" \
  --sizes "${BENCH_EVENTS_SIZES:-1000,100000}" --samples "${BENCH_SEARCH_SAMPLES:-60}"
stop_all

log "3/6 import and export at ${BENCH_IMPORT_SMALL:-10000} and ${BENCH_IMPORT_LARGE:-100000} lines (tens of minutes on DynamoDB Local)"
bash scripts/bench-import.sh "$OUT"

log "3/6 known vs unknown identifiers: login and password-change request medians"
bash scripts/bench-enumeration.sh "$OUT"

log "4/6 cold starts"
bash scripts/bench-cold-start.sh "${BENCH_COLD_ROUNDS:-15}"

log "5/6 login throughput"
bash scripts/bench-throughput.sh "${BENCH_THROUGHPUT_SECONDS:-20}" "${BENCH_THROUGHPUT_CONNECTIONS:-4}"

log "6/6 release binary sizes (arm64)"
bash scripts/bench-sizes.sh

python3 - "$OUT/meta.json" "$started" "$commit" <<'PY'
import datetime, json, sys, time
started = int(sys.argv[2])
json.dump({"finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "seconds": int(time.time()) - started, "commit": sys.argv[3]}, open(sys.argv[1], "w"))
PY
python3 scripts/bench-report.py "$OUT" docs
log "done: docs/benchmarks.md"
