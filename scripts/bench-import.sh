#!/usr/bin/env bash
# `make bench` step: `idp-admin import` and `export` (issue 17's targets, docs/benchmarks.md).
# - import of BENCH_IMPORT_LARGE (100,000) generated lines against the raw rate of the same
#   transactions issued directly (bench/src/bin/import-raw.rs), each on a fresh DynamoDB Local
#   so neither pays for the other's items; same concurrency (16);
# - peak resident memory (getrusage of the child) of import and export at BENCH_IMPORT_SMALL
#   (10,000) and BENCH_IMPORT_LARGE lines;
# - the first and the upgraded login's verification for every imported hash family
#   (bench/src/bin/legacy-verify.rs), beside argon2id's.
# Writes $OUT/import.json.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
OUT=${1:-$LOCAL/bench}
SMALL=${BENCH_IMPORT_SMALL:-10000}
LARGE=${BENCH_IMPORT_LARGE:-100000}
CONCURRENCY=${BENCH_IMPORT_CONCURRENCY:-16}
DDB_PORT=${BENCH_IMPORT_DDB_PORT:-8670}
mkdir -p "$OUT"
trap stop_all EXIT

write_env "$LOCAL/bench-import.env" "$DDB_PORT" "$LOCAL/mail-bench-import"
export_env "$LOCAL/bench-import.env"
cargo build --quiet --release -p idp-admin -p idp-bench --bin idp-admin --bin import-raw --bin legacy-verify

# Lines as a migration brings them: five fields, three identifiers, a (strong, kept) hash.
generate() { # count file
  python3 - "$1" "$2" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
hash_ = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$N9nHpFYulyQ0MZKLtRNSHlLZCBYKvlopTpwFpnpOMAQ"
with open(path, "w") as f:
    for i in range(n):
        f.write(json.dumps({"register_type": "nin_register", "information_provider": "test_idp",
            "profile": {"nin": str(10_000_000 + i), "username": f"user{i}", "email": f"user{i}@bench.example",
                        "name": f"Name{i % 997}", "lastname": f"Last{i % 991}", "origin": "test_idp"},
            "password_hash": hash_}) + "\n")
PY
}
generate "$SMALL" "$OUT/import-small.jsonl"
generate "$LARGE" "$OUT/import-large.jsonl"

# Runs a command, prints {"seconds", "max_rss_kib", "exit"} for it (its output goes to $2).
measure() { # json-out log-out command...
  local json=$1 log=$2; shift 2
  python3 - "$json" "$log" "$@" <<'PY'
import json, resource, subprocess, sys, time
out, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
started = time.monotonic()
with open(log, "w") as f:
    code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
seconds = time.monotonic() - started
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({"seconds": round(seconds, 2), "max_rss_kib": rss, "exit": code}, open(out, "w"))
PY
}

fresh_dynamodb() {
  stop_all
  start_dynamodb "$DDB_PORT"
  target/release/idp-admin create-tables --template template.yaml >/dev/null
  for company in bench-raw bench-large bench-small; do
    target/release/idp-admin load config/companies/demo.yaml --as "$company" >/dev/null
  done
}

log "import: the raw rate, $LARGE lines' transactions issued directly ($CONCURRENCY at a time)"
fresh_dynamodb
target/release/import-raw --company bench-raw --file "$OUT/import-large.jsonl" \
  --concurrency "$CONCURRENCY" >"$OUT/import-raw.json"
cat "$OUT/import-raw.json"

log "import: idp-admin import of the same $LARGE lines, then $SMALL, on a fresh DynamoDB Local"
fresh_dynamodb
measure "$OUT/import-large-run.json" "$OUT/import-large.log" target/release/idp-admin import \
  --company bench-large --concurrency "$CONCURRENCY" "$OUT/import-large.jsonl"
tail -n 2 "$OUT/import-large.log"
measure "$OUT/import-small-run.json" "$OUT/import-small.log" target/release/idp-admin import \
  --company bench-small --concurrency "$CONCURRENCY" "$OUT/import-small.jsonl"
log "export: $SMALL and $LARGE profiles"
measure "$OUT/export-small-run.json" "$OUT/export-small.log" target/release/idp-admin export \
  --company bench-small --output "$OUT/export-small.jsonl"
measure "$OUT/export-large-run.json" "$OUT/export-large.log" target/release/idp-admin export \
  --company bench-large --output "$OUT/export-large.jsonl"
tail -n 1 "$OUT/export-large.log"
stop_all

log "import: login verification per imported family"
"$LOCAL/venv-vectors/bin/python" tests/vectors/make_vectors.py >"$OUT/vectors.json"
target/release/legacy-verify --vectors "$OUT/vectors.json" --samples "${BENCH_VERIFY_SAMPLES:-5}" \
  >"$OUT/legacy-verify.json"
rm -f "$OUT/vectors.json" "$OUT/export-small.jsonl" "$OUT/export-large.jsonl"

python3 - "$OUT" "$SMALL" "$LARGE" "$CONCURRENCY" "$(git rev-parse --short HEAD)" <<'PY'
import datetime, json, os, sys
out, small, large, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
commit = sys.argv[5]
load = lambda name: json.load(open(os.path.join(out, name)))
result = {"small": small, "large": large, "concurrency": concurrency,
          "raw": load("import-raw.json"),
          "import_large": load("import-large-run.json"), "import_small": load("import-small-run.json"),
          "export_large": load("export-large-run.json"), "export_small": load("export-small-run.json"),
          "verify": load("legacy-verify.json"),
          "summary_large": open(os.path.join(out, "import-large.log")).read().strip().splitlines()[-1],
          "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
          "commit": commit}
json.dump(result, open(os.path.join(out, "import.json"), "w"), indent=1)
PY
rm -f "$OUT/import-small.jsonl" "$OUT/import-large.jsonl"
log "import: $OUT/import.json"
