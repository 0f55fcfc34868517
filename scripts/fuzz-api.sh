#!/usr/bin/env bash
# API fuzzing from the contract: schemathesis (pinned, scripts/schemathesis-requirements.txt)
# generates requests from openapi.yaml and sends them, with a valid token, to the real function
# binaries served by `cargo lambda watch` over DynamoDB Local. Every phase runs (examples,
# coverage, fuzzing, stateful) with every check: no server error, every response documented
# (status, content type, body schema), no schema-invalid body accepted, no schema-valid one
# refused for a reason the schema could have said. docs/api-fuzzing.md explains what runs, the
# few exclusions and why.
#
#   scripts/fuzz-api.sh --quick   bounded run for `make test` (fixed seed, about 2-3 minutes)
#   scripts/fuzz-api.sh           longer run for `make fuzz-api` (random seed unless FUZZ_SEED)
#   scripts/fuzz-api.sh [--quick] -- EXTRA...   extra arguments for each `schemathesis run`
#
# Settings (environment): FUZZ_DDB_PORT (8300), FUZZ_API_PORT (9300), FUZZ_SEED,
# FUZZ_MAX_EXAMPLES (per operation, for examples, coverage and fuzzing; 150 quick, 1000
# otherwise), FUZZ_STATEFUL_SECONDS (stateful phase budget; 60 quick, 600 otherwise),
# FUZZ_WORKERS (1), FUZZ_SPEC (openapi.yaml: another document to check the checks with).
# Starts and stops its own DynamoDB Local (in memory) and function server, on ports apart from
# `make dev` (8000/9000) and `make test` (8100/9100). Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

QUICK=0
EXTRA=()
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument: $1 (try --help)"; exit 2 ;;
  esac
  shift
done

DDB_PORT=${FUZZ_DDB_PORT:-8300}
API_PORT=${FUZZ_API_PORT:-9300}
BASE="http://127.0.0.1:$API_PORT"
if ((QUICK)); then
  SEED=${FUZZ_SEED:-20261125}
  MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-150}
  STATEFUL_SECONDS=${FUZZ_STATEFUL_SECONDS:-60}
else
  SEED=${FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}
  MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-1000}
  STATEFUL_SECONDS=${FUZZ_STATEFUL_SECONDS:-600}
fi
WORKERS=${FUZZ_WORKERS:-1}
SPEC=${FUZZ_SPEC:-openapi.yaml}
WORK="$LOCAL/fuzz"
VENV="$LOCAL/venv-schemathesis"
REQUIREMENTS="$ROOT/scripts/schemathesis-requirements.txt"

trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

# ---------------------------------------------------------------- tools
bash scripts/install-tools.sh
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.installed" 2>/dev/null; then
  log "installing schemathesis (pinned) into .local/venv-schemathesis"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$VENV/requirements.installed"
fi
ST="$VENV/bin/schemathesis"

# ---------------------------------------------------------------- the stack
ensure_keys
rm -rf "$WORK"
mkdir -p "$WORK/reports"
write_env "$LOCAL/fuzz.env" "$DDB_PORT" "$WORK/mail"
export_env "$LOCAL/fuzz.env"

log "building"
cargo build --quiet -p idp-admin
build_functions

start_dynamodb "$DDB_PORT"
target/debug/idp-admin create-tables --template template.yaml >/dev/null
# A company of its own (the demo rules under a fresh id), so nothing else's data is in the way.
COMPANY="fuzz-$(date +%s)-$$"
target/debug/idp-admin load config/companies/demo.yaml --as "$COMPANY" >/dev/null
start_functions "$API_PORT" "$LOCAL/fuzz.env" "$WORK/functions.log"
# Valid for the whole run, whatever its length.
TOKEN=$(target/debug/idp-admin token --company="$COMPANY" --ttl 86400 | tail -n 1)

P="$BASE/v1/companies/$COMPANY/profiles"
api() { # method url body -> prints the response body; fails unless the status is $EXPECT
  local out status
  out=$(curl -sS --max-time 60 -w '\n%{http_code}' -X "$1" "$2" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-raw "$3")
  status=${out##*$'\n'}
  if [[ "$status" != "$EXPECT" ]]; then
    log "setup: $1 $2 answered $status, expected $EXPECT: ${out%$'\n'*}"
    return 1
  fi
  printf '%s\n' "${out%$'\n'*}"
}
uuid_of() { sed -n 's/.*"uuid":"\([0-9a-f-]*\)".*/\1/p'; }

# Profiles for the fuzzer to find (and each function started once, so that no cold start falls
# inside the run): P1 active with e-mail, username and password, P2 inactive, P3 active with
# neither e-mail nor password.
log "creating the test data in company $COMPANY"
EXPECT=201
P1=$(api POST "$P" '{"register_type":"nin_register","information_provider":"test_idp","profile":{"nin":"fuzz-1","name":"Fuzz","lastname":"One","email":"fuzz.one@example.com","username":"fuzz_one","origin":"test_idp"}}' | uuid_of)
P2=$(api POST "$P" '{"register_type":"nin_register","information_provider":"test_idp","profile":{"nin":"fuzz-2","name":"Fuzz","lastname":"Two","email":"fuzz.two@example.com","username":"fuzz_two","origin":"test_idp"},"options":{"active":false}}' | uuid_of)
P3=$(api POST "$P" '{"register_type":"nin_register","information_provider":"test_idp","profile":{"nin":"fuzz-3","name":"Fuzz","lastname":"Three","username":"fuzz_three"}}' | uuid_of)
# The owners of the identifiers in the published examples (openapi.yaml), active, so that the
# examples and the coverage cases built on them reach real profiles.
api POST "$P" '{"register_type":"nin_register","information_provider":"test_idp","profile":{"nin":"123456789","username":"tlat","phone_number":"+56912345678","email":"tlat@email.com","origin":"test_idp","name":"trust","lastname":"latin"}}' >/dev/null
api POST "$P" '{"register_type":"nin_register","information_provider":"test_idp","profile":{"nin":"2022","username":"user_2022","email":"user_2022@example.com","name":"User","lastname":"Twenty"}}' >/dev/null
P1_PASSWORD="lantern orbit meadow 7"
api PATCH "$P/$P1" "{\"operation\":\"credentials\",\"credentials\":{\"password\":\"$P1_PASSWORD\"}}" >/dev/null
EXPECT=200
api POST "$P/login" "{\"credentials\":{\"email\":\"fuzz.one@example.com\",\"origin\":\"test_idp\",\"password\":\"$P1_PASSWORD\"}}" >/dev/null
api GET "$P/$P1" '' >/dev/null
api PATCH "$P/$P3/status" '{"operation":"deactivate"}' >/dev/null
api PATCH "$P/$P3/status" '{"operation":"activate"}' >/dev/null
EXPECT=409 # (inactive)
api PATCH "$P/password" '{"operation":"request","access_type":"username","profile":"fuzz_two"}' >/dev/null
[[ -n "$P1" && -n "$P2" && -n "$P3" ]] || { log "setup: a profile was not created"; exit 1; }

# ---------------------------------------------------------------- schemathesis configuration
# Hooks: (1) syntax fuzzing sends random bytes as a JSON body, and a body that is not UTF-8 is
# answered 500 text/plain by `cargo lambda watch` itself, before any function runs (API Gateway
# passes such a body on, base64-encoded, to the function); so such bodies are made UTF-8 (still
# not JSON) and reach the function, and only that emulator answer, should one still occur, is
# excused. (2) Company rules the schema cannot state (register type `nin_register` requires
# nin, name and lastname; login form email + origin) are filled into most bodies, and
# identifiers made unique, so that creates and logins get past them. A `before_call` hook does
# both, in every phase; schemathesis re-checks the case against the schema after it.
cat >"$WORK/hooks.py" <<'PY'
import itertools
import os
import re
import zlib

import yaml

import schemathesis

EMULATOR_500 = b'{"type":"https://httpstatuses.com/500","status":500,"title":"Internal Server Error"}'
SERIAL = itertools.count(1)
LOGINS = ["fuzz.one@example.com", "fuzz.two@example.com", "nobody@example.com"]
PASSWORD = os.environ["FUZZ_P1_PASSWORD"]
# The input patterns of openapi.yaml (ProfileInput), as Python reads them.
_INPUT = yaml.safe_load(open(os.environ["FUZZ_OPENAPI"], encoding="utf-8"))["components"]["schemas"]["ProfileInput"]
PATTERNS = {name: re.compile(spec["pattern"]) for name, spec in _INPUT["properties"].items()}


def _not_utf8(body):
    if not isinstance(body, (bytes, bytearray)):
        return False
    try:
        bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _draw(body, n):
    """A deterministic choice in range(n) from the generated body."""
    return zlib.crc32(repr(body).encode("utf-8", "surrogatepass")) % n


def _create_profile(body):
    profile = body.get("profile")
    if not isinstance(profile, dict):
        return
    # Identifiers unique on (almost) every call, so that examples and coverage cases built on the
    # published example, and stateful scenarios replayed, create again instead of colliding.
    # Only values the schema accepts are replaced, so a negative case stays negative.
    serial = f"{os.getpid()}x{next(SERIAL)}"
    unique = _draw(body, 8) != 0
    fill = _draw(body, 4) != 0
    for field, value in (("nin", f"FZ-{serial}"), ("username", f"fz_{serial}"),
                         ("email", f"fz.{serial}@example.com")):
        current = profile.get(field)
        if (current is None and fill and field == "nin") or (
                unique and isinstance(current, str) and PATTERNS[field].search(current)):
            profile[field] = value
    for field, value in (("name", "Fuzz"), ("lastname", "Case")):
        if fill and profile.get(field) is None:
            profile[field] = value


def _login(body):
    credentials = body.get("credentials")
    if (isinstance(credentials, dict) and isinstance(credentials.get("password"), str)
            and all(isinstance(v, str) for v in credentials.values())):
        pick = _draw(body, 6)
        if pick < 4:
            password = PASSWORD if pick == 0 else credentials["password"]
            body["credentials"] = {"email": LOGINS[pick % 3], "origin": "test_idp", "password": password}


@schemathesis.hook
def before_call(context, case, kwargs):
    """Runs in every phase, just before the request is sent; schemathesis then re-checks
    whether the case is still positive or negative."""
    if _not_utf8(case.body):
        case.body = bytes(case.body).decode("utf-8", "replace").encode("utf-8")
        return
    if not isinstance(case.body, dict):
        return
    if case.operation.label == "POST /v1/companies/{company_id}/profiles":
        _create_profile(case.body)
    elif case.operation.label == "POST /v1/companies/{company_id}/profiles/login":
        _login(case.body)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but the local emulator's own 500 to a body that is not UTF-8."""
    if response is None or response.status_code != 500 or response.content != EMULATOR_500:
        return True
    return not _not_utf8(response.request.body)
PY

# Shared by the passes: the per-operation statuses the contract documents. (All checks run but
# `unsupported_method`, excluded on the command line: undeclared methods such as TRACE never
# reach a function, and API Gateway, like the local cargo lambda router, answers 404 for a route
# it does not have, not 405.)
common_config() {
  cat <<TOML
base-url = "$BASE"
headers = { Authorization = "Bearer \${FUZZ_TOKEN}" }
hooks = "$WORK/hooks.py"
request-timeout = 30

# Statuses a schema-valid request may get when the reason lies in company data the schema
# cannot know: login forms, register types, providers, password policy, existing values.
[[operations]]
include-operation-id = "createProfile"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-operation-id = "loginWithPassword"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# A schema-valid assertion is still one no authenticator signed for the challenge: the uniform
# 422 is the contract's answer (a fuzzer cannot sign with a passkey's private key).
[[operations]]
include-operation-id = "loginWithPasskey"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "changePassword"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
$(operation_parameters changePassword)

# A schema-valid page may be too deep (page × per_page above 10,000) and a free-text date may
# not be ISO 8601: 400 is then the contract's answer.
# A schema-valid search value may fail its field's rule (an e-mail without @), or a page may be
# too deep: 400.
[[operations]]
include-operation-id = "searchProfiles"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]

[[operations]]
include-operation-id = "showAllRegisterTypes"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]

# The audit trail: a free-text from or until may not be ISO 8601, a free-text type may not be
# an event type, a free-text cursor is not one the API signed: 400 is the answer of the contract.
# The trail of an erased profile stays readable (API.md 5.13: erasure hides no history), so a
# 200 after its DELETE is the contract, not a resource outliving its deletion.
[[operations]]
include-operation-id = "listProfileEvents"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]
checks.use_after_free.enabled = false

[[operations]]
include-operation-id = "listCompanyEvents"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]

# 501 Not Implemented for an \`operation\` other than \`credentials\` is the contract's answer
# (section 5.4), not a server fault: accepted for this operation alone.
[[operations]]
include-operation-id = "addNewPassword"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "501"]
checks.negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "409", "413", "422", "501"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
TOML
}

# Pass A (examples, coverage) takes fixed values for the path: these phases ignore dictionaries.
operation_parameters() { :; }
{
  common_config
  cat <<TOML

[parameters]
"path.company_id" = "$COMPANY"
"path.uuid" = "$P3"
"path.register_name" = "nin_register"
"path.provider_name" = "test_idp"
TOML
} >"$WORK/examples-coverage.toml"

# Passes B (fuzzing) and C (stateful): mostly the token's company and known profiles, sometimes
# generated values (another company: 403; an unknown profile: 404).
operation_parameters() {
  [[ $1 == changePassword ]] && echo 'parameters = { "body.profile" = { dictionary = "profile_ref", probability = 0.6 } }'
}
{
  common_config
  cat <<TOML

[dictionaries]
company = { values = ["$COMPANY"] }
profile_uuid = { values = ["$P1", "$P2", "$P3"] }
profile_ref = { values = ["fuzz.one@example.com", "fuzz_one", "fuzz.two@example.com", "fuzz_three"] }
register_type = { values = ["nin_register"] }
provider = { values = ["test_idp"] }

# Valid profile values: a generated string is seldom a valid phone number or date, and a profile
# is created only when all of its values are. (Identifiers are made unique by the hooks.)
person = { values = ["Ada", "Grace Brewster", "  Ñandú  ", "O'Neil"] }
phone = { values = ["+56912345678", "+1 (415) 555.2671", "+44 20-7946-0958"] }
birthday = { values = ["12-03-4567", "29-02-2000", " 01-01-1990 "] }
nationality = { values = ["CHL", "arg", " per "] }
timezone = { values = ["UTC", "America/Santiago", "Etc/GMT+3"] }
origin = { values = ["test_idp", "web"] }

[parameters]
"path.company_id" = { dictionary = "company", probability = 0.95 }
"path.uuid" = { dictionary = "profile_uuid", probability = 0.5 }
"path.register_name" = { dictionary = "register_type", probability = 0.7 }
"path.provider_name" = { dictionary = "provider", probability = 0.7 }
"body.register_type" = { dictionary = "register_type", probability = 0.7 }
"body.information_provider" = { dictionary = "provider", probability = 0.7 }
"body.profile.name" = { dictionary = "person", probability = 0.7 }
"body.profile.lastname" = { dictionary = "person", probability = 0.7 }
"body.profile.phone_number" = { dictionary = "phone", probability = 0.8 }
"body.profile.birthday" = { dictionary = "birthday", probability = 0.8 }
"body.profile.nationality" = { dictionary = "nationality", probability = 0.8 }
"body.profile.timezone" = { dictionary = "timezone", probability = 0.8 }
"body.profile.origin" = { dictionary = "origin", probability = 0.8 }
TOML
} >"$WORK/fuzzing-stateful.toml"

# ---------------------------------------------------------------- run
export FUZZ_TOKEN="$TOKEN" FUZZ_P1_PASSWORD="$P1_PASSWORD" FUZZ_OPENAPI="$SPEC"
run_pass() { # name config phases [schemathesis options...]
  local name=$1 config=$2 phases=$3 start rc
  shift 3
  log "schemathesis: $phases (seed $SEED${*:+, $*})"
  start=$(date +%s)
  set +e
  "$ST" --config-file "$WORK/$config.toml" run "$SPEC" --url "$BASE" \
    --phases "$phases" --checks all --exclude-checks unsupported_method --seed "$SEED" \
    --workers "$WORKERS" --generation-database none --no-color \
    --report junit,ndjson --report-dir "$WORK/reports/$name" "$@" "${EXTRA[@]}" 2>&1 |
    tee "$WORK/$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  DURATIONS+=("$name:$(($(date +%s) - start))")
  return "$rc"
}
DURATIONS=()
FAILED=0
run_pass examples-coverage examples-coverage examples,coverage --max-examples "$MAX_EXAMPLES" || FAILED=1
run_pass fuzzing fuzzing-stateful fuzzing --max-examples "$MAX_EXAMPLES" || FAILED=1
# Stateful scenarios against a server with state are not replayable (a second activate gets 409,
# a second create of the same values 400), and schemathesis ends a stateful suite at the first
# scenario that replays differently; a time budget makes it start new suites until it is spent.
run_pass stateful fuzzing-stateful stateful --max-examples "$MAX_EXAMPLES" --max-time "$STATEFUL_SECONDS" ||
  FAILED=1

# A panic is a bug even when the emulator turned it into an answer that passed.
if grep -q 'panicked' "$WORK/functions.log"; then
  log "a function panicked (see $WORK/functions.log):"
  grep -m 5 'panicked' "$WORK/functions.log" >&2
  FAILED=1
fi

# Figures: test cases and API calls per phase, from the NDJSON reports.
"$VENV/bin/python" - "$WORK/reports" "${DURATIONS[@]}" <<'PY'
import collections, glob, json, sys

root, durations = sys.argv[1], dict(d.split(":") for d in sys.argv[2:])
calls, cases, statuses = collections.Counter(), collections.Counter(), collections.Counter()
failed_cases = set()
for path in sorted(glob.glob(f"{root}/*/*.ndjson")):
    seen = set()
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        phase, recorder = finished["phase"], finished["recorder"]
        for case_id in recorder.get("cases", {}):
            if (phase, case_id) not in seen:
                seen.add((phase, case_id))
                cases[phase] += 1
        for case_id, results in recorder.get("checks", {}).items():
            if any(result.get("status") == "failure" for result in results):
                failed_cases.add((phase, case_id))
        for case_id, interaction in recorder.get("interactions", {}).items():
            if (phase, case_id, "call") in seen:
                continue
            seen.add((phase, case_id, "call"))
            calls[phase] += 1
            response = interaction.get("response") or {}
            statuses[response.get("status_code", "none")] += 1
for phase in ("examples", "coverage", "fuzzing", "stateful"):
    print(f"fuzz-api: {phase:9} {cases[phase]:6} test cases {calls[phase]:6} API calls")
print(f"fuzz-api: total     {sum(cases.values()):6} test cases {sum(calls.values()):6} API calls;"
      f" seconds per pass: {', '.join(f'{k} {v}' for k, v in durations.items())}")
print("fuzz-api: statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))
failed = len(failed_cases)
with open(f"{root}/closing-line", "w", encoding="utf-8") as out:
    out.write(f"fuzz-api: {sum(cases.values()) - failed} passed, {failed} failed\n")
PY

if ((FAILED)); then
  log "FAILED: see the failures above; reports in $WORK/reports, function log $WORK/functions.log"
else
  log "no failures (seed $SEED)"
fi
# The closing line, alone and last: test cases that passed every check, and those that did not.
cat "$WORK/reports/closing-line"
exit "$FAILED"
