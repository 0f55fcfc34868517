#!/usr/bin/env bash
# `make bench` step: known vs unknown identifiers (issue 23; §6 "Enumeration"). The login and
# the password-change request (prevent_user_existence_errors) in process against a fresh
# DynamoDB Local, known and unknown identifiers alternated, BENCH_ENUM_SAMPLES (60) of each
# (bench/src/bin/enumeration.rs). Writes $OUT/enumeration.json; target: medians within 20 %.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
OUT=${1:-$LOCAL/bench}
DDB_PORT=${BENCH_ENUM_DDB_PORT:-8680}
mkdir -p "$OUT"
trap stop_all EXIT

write_env "$LOCAL/bench-enum.env" "$DDB_PORT" "$LOCAL/mail-bench-enum"
export_env "$LOCAL/bench-enum.env"
cargo build --quiet -p idp-admin
cargo build --quiet --release -p idp-bench --bin enumeration
start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml >/dev/null
target/release/enumeration --config config/companies/demo.yaml --out "$OUT/enumeration.json" \
  --samples "${BENCH_ENUM_SAMPLES:-60}"
commit=$(git rev-parse --short HEAD)
[[ -z $(git status --porcelain --untracked-files=no) ]] || commit+=" with uncommitted changes"
python3 - "$OUT/enumeration.json" "$commit" <<'PY'
import datetime, json, sys
path, commit = sys.argv[1], sys.argv[2]
report = json.load(open(path))
report["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
report["commit"] = commit
json.dump(report, open(path, "w"), indent=2)
PY
