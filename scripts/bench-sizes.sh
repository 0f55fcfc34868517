#!/usr/bin/env bash
# Release binary size per function, as Lambda gets it: `cargo lambda build --release --arm64`
# (the same build `sam build` runs), each bootstrap's size and its zip's, beside the bare
# `lambda_http` hello-world built the same way. Writes .local/bench/sizes.json.
# Usage: scripts/bench-sizes.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/install-tools.sh >/dev/null
OUT="$LOCAL/bench"
# cargo-lambda finds zig (installed beside it) on the PATH.
export PATH="$LOCAL/venv/bin:$PATH"
mkdir -p "$OUT"

log "cargo lambda build --release --arm64 (the functions and hello-world)"
started=$(date +%s)
"$LOCAL/venv/bin/cargo-lambda" lambda build --release --arm64 -p idp-functions >"$OUT/sizes-build.log" 2>&1 ||
  { tail -n 30 "$OUT/sizes-build.log"; exit 1; }
"$LOCAL/venv/bin/cargo-lambda" lambda build --release --arm64 -p idp-bench --bin hello-world \
  >>"$OUT/sizes-build.log" 2>&1 || { tail -n 30 "$OUT/sizes-build.log"; exit 1; }
BUILD_SECONDS=$(($(date +%s) - started)) python3 - "$OUT/sizes.json" functions/src/bin/*.rs <<'PY'
import io, json, os, subprocess, sys, zipfile

out, sources = sys.argv[1], sys.argv[2:]
names = [os.path.basename(s)[: -len(".rs")] for s in sources] + ["hello-world"]
rows = []
for name in names:
    path = os.path.join("target", "lambda", name, "bootstrap")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(path, "bootstrap")
    sections = {}
    # Section sizes (GNU size reads any ELF), to show where the bytes are.
    text = subprocess.run(["size", "-A", path], capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sections[parts[0]] = int(parts[1])
    rows.append({"function": name, "bootstrap_bytes": os.path.getsize(path),
                 "zip_bytes": buffer.tell(), "sections": sections})
    print(f"{name:16} bootstrap {os.path.getsize(path) / 1e6:6.2f} MB  zip {buffer.tell() / 1e6:5.2f} MB")
json.dump({"target": "aarch64-unknown-linux-gnu", "profile": "release",
           "build_seconds": int(os.environ["BUILD_SECONDS"]), "binaries": rows},
          open(out, "w"), indent=1)
PY
