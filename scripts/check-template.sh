#!/usr/bin/env bash
# Offline checks of template.yaml: cfn-lint with the serverless rules, `sam validate --lint`,
# and the checkov IaC scanner (every skip is justified next to its resource in the template).
set -euo pipefail
cd "$(dirname "$0")/.."
LOCAL=.local
export SAM_CLI_TELEMETRY=0

echo "[check-template] cfn-lint + serverless rules"
"$LOCAL/venv/bin/cfn-lint" --append-rules cfn_lint_serverless.rules -- template.yaml
echo "[check-template] sam validate --lint"
"$LOCAL/venv-sam/bin/sam" validate --lint --template template.yaml --region us-east-1
echo "[check-template] checkov"
"$LOCAL/venv-checkov/bin/checkov" --file template.yaml --framework cloudformation \
  --skip-download --compact --quiet
echo "[check-template] ok"
