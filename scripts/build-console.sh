#!/usr/bin/env bash
# `make console`: the operators' console (console/, API.md §5.17) type-checked by TypeScript and
# bundled by esbuild into console/dist/ (index.html, console.css, console.js). Its npm tools
# come from console/package-lock.json into .local/console (no global installs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

TOOLS="$LOCAL/console"
if ! cmp -s console/package-lock.json "$TOOLS/package-lock.json" || [[ ! -d "$TOOLS/node_modules/esbuild" ]]; then
  log "installing the console's build tools (esbuild, typescript) from console/package-lock.json"
  mkdir -p "$TOOLS"
  cp console/package.json console/package-lock.json "$TOOLS/"
  npm ci --silent --no-audit --no-fund --ignore-scripts --prefix "$TOOLS" >/dev/null
fi
node "$TOOLS/node_modules/typescript/bin/tsc" -p console/tsconfig.json
rm -rf console/dist
mkdir -p console/dist
"$TOOLS/node_modules/.bin/esbuild" console/src/main.ts --bundle --format=esm --target=es2022 \
  --minify --log-level=warning --outfile=console/dist/console.js
cp console/static/index.html console/static/console.css console/dist/
log "console built into console/dist/ ($(wc -c <console/dist/console.js) bytes of script)"
