#!/usr/bin/env bash
# `make dev`: the whole local stack in the foreground. Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DDB_PORT=${DDB_PORT:-8000}
API_PORT=${API_PORT:-9000}

trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

bash scripts/install-tools.sh
ensure_keys
write_env "$LOCAL/dev.env" "$DDB_PORT" "$LOCAL/mail"
export_env "$LOCAL/dev.env"

cargo build -p idp-admin
build_functions
start_dynamodb "$DDB_PORT" "$LOCAL/dynamodb-data"
target/debug/idp-admin create-tables --template template.yaml
target/debug/idp-admin load config/companies/demo.yaml

(cd "$ROOT" && exec setsid "$LOCAL/venv/bin/cargo-lambda" lambda watch \
  -A 127.0.0.1 -P "$API_PORT" --env-file "$LOCAL/dev.env") &
PIDS+=($!)
WATCH_PID=$!
wait_for_port "$API_PORT" 120 "cargo lambda watch"
CONSOLE_PORT=${CONSOLE_PORT:-9001}
bash scripts/build-console.sh
(IDP_BASE_URL="http://127.0.0.1:$API_PORT" exec setsid node console/serve.mjs "$CONSOLE_PORT") &
PIDS+=($!)
wait_for_port "$CONSOLE_PORT" 30 "the console"
cat >&2 <<MSG

  Local stack ready: http://127.0.0.1:$API_PORT/v1/companies/-1/profiles
  DynamoDB Local:    http://127.0.0.1:$DDB_PORT (data kept in .local/dynamodb-data)
  Operators' console: http://localhost:$CONSOLE_PORT/ (sign in with a token)
  A token:           make token COMPANY=-1
  Mail (password change): one file per message in .local/mail/
  Function logs appear below; Ctrl-C stops everything.

MSG
wait "$WATCH_PID"
