#!/usr/bin/env bash
# `make screenshots`: the operators' console's screens at 390 and 1440 px, written to
# docs/console/ by its browser test (tests/tests/console.rs) run against a stack of its own
# (DynamoDB Local in memory on 8400, the functions on 9400).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
DDB_PORT=8400
API_PORT=9400
trap stop_all EXIT

bash scripts/install-tools.sh
ensure_keys
write_env "$LOCAL/screens.env" "$DDB_PORT" "$LOCAL/mail-screens"
export_env "$LOCAL/screens.env"
cargo build --quiet -p idp-admin -p blackbox-tests --tests
build_functions
bash scripts/build-console.sh
start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml
target/debug/idp-admin load config/companies/demo.yaml
start_functions "$API_PORT" "$LOCAL/screens.env" "$LOCAL/functions-screens.log"
export IDP_BASE_URL="http://127.0.0.1:$API_PORT"
export IDP_JWT_PRIVATE_KEY="$LOCAL/jwt-private.pem"
export IDP_VECTORS_PYTHON="$LOCAL/venv-vectors/bin/python"
export SCREENSHOTS="$ROOT/docs/console"
rm -rf "$SCREENSHOTS"/*.png
cargo test --quiet -p blackbox-tests --test console
log "screenshots in docs/console/: $(ls "$SCREENSHOTS"/*.png | wc -l) files"
