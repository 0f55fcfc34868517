#!/usr/bin/env bash
# After `sam build`: each function's bootstrap size and the size of the zip Lambda receives.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import io, os, zipfile
root = ".aws-sam/build"
rows = []
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name, "bootstrap")
    if not os.path.isfile(path):
        continue
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(path, "bootstrap")
    rows.append((name, os.path.getsize(path), buffer.tell()))
print("| function | bootstrap (MB) | zipped (MB) |")
print("|---|---|---|")
for name, raw, zipped in rows:
    print(f"| {name} | {raw / 1e6:.2f} | {zipped / 1e6:.2f} |")
PY
