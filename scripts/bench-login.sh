#!/usr/bin/env bash
# Login latency against a running local stack (`make dev`): registers a profile in the demo
# company, gives it a password, then times N sequential logins with curl and prints the median,
# p90 and fastest. Usage: scripts/bench-login.sh [N] (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
API=${API_URL:-http://127.0.0.1:9000}
TOKEN=$(make -s token COMPANY=-1 | tail -n 1)
tag=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
email="bench-$tag@example.com"
password="lantern orbit meadow $tag"
auth=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')

uuid=$(curl -sf "${auth[@]}" -X POST "$API/v1/companies/-1/profiles" -d "{
  \"register_type\": \"nin_register\", \"information_provider\": \"test_idp\",
  \"profile\": {\"nin\": \"bench-$tag\", \"email\": \"$email\", \"origin\": \"test_idp\",
                \"name\": \"Bench\", \"lastname\": \"Mark\"}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["uuid"])')
curl -sf "${auth[@]}" -X PATCH "$API/v1/companies/-1/profiles/$uuid" \
  -d "{\"operation\": \"credentials\", \"credentials\": {\"password\": \"$password\"}}" >/dev/null

body="{\"credentials\": {\"email\": \"$email\", \"origin\": \"test_idp\", \"password\": \"$password\"}}"
for _ in $(seq 1 "$N"); do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "${auth[@]}" -X POST \
    "$API/v1/companies/-1/profiles/login" -d "$body"
done | python3 -c '
import sys
rows = [line.split() for line in sys.stdin]
bad = [r for r in rows if r[0] != "200"]
ms = sorted(float(r[1]) * 1000 for r in rows)
pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
print(f"logins: {len(ms)}, non-200: {len(bad)}, median {pick(0.5):.1f} ms, p90 {pick(0.9):.1f} ms, fastest {ms[0]:.1f} ms")
'
