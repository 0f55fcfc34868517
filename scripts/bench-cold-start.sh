#!/usr/bin/env bash
# Cold starts of the release binaries on loopback: each of the six functions, alternated with a
# bare lambda_http hello world, is spawned against a minimal Lambda Runtime API (bench/, the
# `cold-start` binary), which times its init and its first answer to a real event. Starts its
# own DynamoDB Local (port 8600, in memory) and stops it. Runs twice: as deployed, and with the
# init-time DynamoDB warm-up off. Writes .local/bench/cold-start.json and cold-start-no-warm-up.json.
# Usage: scripts/bench-cold-start.sh [ROUNDS]   (default 15)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ROUNDS=${1:-15}
DDB_PORT=${BENCH_DDB_PORT:-8600}
OUT="$LOCAL/bench"

trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM
bash scripts/install-tools.sh >/dev/null
ensure_keys
mkdir -p "$OUT"
rm -rf "$LOCAL/mail-bench"
write_env "$LOCAL/bench.env" "$DDB_PORT" "$LOCAL/mail-bench"
export_env "$LOCAL/bench.env"

# The functions alone, as they are deployed (features unified over them only), then the harness.
log "building the release binaries: the six functions, hello-world and cold-start"
build_functions --release
cargo build --quiet --release -p idp-bench
cargo build --quiet -p idp-admin

start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml >/dev/null
target/debug/idp-admin load config/companies/demo.yaml >/dev/null
IDP_BENCH_TOKEN=$(target/debug/idp-admin token --company=-1 --ttl 86400 | tail -n 1)
export IDP_BENCH_TOKEN

# Twice: as deployed (init sends one GetItem to open the DynamoDB connection), then with that
# warm-up off (DYNAMODB_WARM_UP=false), which is the init to compare with hello-world's.
cp "$LOCAL/bench.env" "$LOCAL/bench-no-warm-up.env"
echo "DYNAMODB_WARM_UP=false" >>"$LOCAL/bench-no-warm-up.env"
# What template.yaml sets for one function alone (its literal values), so that each binary
# starts as deployed; the env file's values win over them (mail stays in files here, not
# SES). The tools venv has PyYAML (cfn-lint needs it).
function_env=()
while IFS= read -r line; do function_env+=(--function-env "$line"); done < <("$LOCAL/venv/bin/python3" - template.yaml <<'PY'
import sys, yaml
class Loader(yaml.SafeLoader):
    pass
# CloudFormation's short tags (!Ref, !GetAtt, ...): their values are not literals; skip them.
Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
template = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=Loader)
for resource in template["Resources"].values():
    if resource.get("Type") != "AWS::Serverless::Function":
        continue
    binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
    variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
    for key, value in variables.items():
        if binary and isinstance(value, str):
            print(f"{binary}:{key}={value}")
PY
)
log "per-function environment from template.yaml: ${function_env[*]:-none}"
status=0
for mode in warm-up no-warm-up; do
  env_file="$LOCAL/bench.env" json="$OUT/cold-start.json"
  if [[ $mode == no-warm-up ]]; then env_file="$LOCAL/bench-no-warm-up.env" json="$OUT/cold-start-no-warm-up.json"; fi
  log "$ROUNDS rounds of hello-world + each function ($mode)"
  rm -f "$json"
  target/release/cold-start --bin-dir target/release --env-file "$env_file" \
    --company=-1 --rounds "$ROUNDS" --json "$json" "${function_env[@]}" || status=$?
  [[ -s "$json" ]] && log "report: ${json#"$ROOT/"}"
done
exit $status
