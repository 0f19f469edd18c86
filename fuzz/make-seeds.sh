#!/usr/bin/env bash
# Rebuilds the seed corpora in fuzz/corpus/<target>/ from the fixtures and the
# shipped catalog. The seeds are committed; run this only when the fixtures
# change (needs python3 with PyYAML, and builds target/debug/letterkit).
#   bash fuzz/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --locked
LETTERKIT="$PWD/target/debug/letterkit"
C=fuzz/corpus
rm -rf "$C"
mkdir -p "$C"/{request,catalog,csv,jsonl,pack,attachment}

# request: every request fixture, valid and invalid, YAML and JSON.
for f in fixtures/requests/*/*/request.*; do
  case=$(basename "$(dirname "$f")")
  cp "$f" "$C/request/$case.${f##*.}"
done

# catalog: the shipped catalog, each fixture catalog, and the shipped catalog
# cut down to one letter with its paragraphs. Files start with `>>> PATH`.
catalog_input() { # DIR FILE...
  local dir=$1; shift
  for f in "$@"; do printf '>>> %s\n' "$f"; cat "$dir/$f"; done
}
( cd . && catalog_input . catalog.yaml letters/*.yaml paragraphs/*/*.yaml ) > "$C/catalog/shipped"
for d in fixtures/catalogs/*/; do
  files=$(cd "$d" && find . -name '*.yaml' | sed 's|^\./||' | sort)
  # shellcheck disable=SC2086
  catalog_input "$d" $files > "$C/catalog/$(basename "$d")"
done
for l in letters/*.yaml; do
  catalog_input . catalog.yaml "$l" paragraphs/*/*.yaml > "$C/catalog/only-$(basename "$l" .yaml)"
done

# csv and jsonl: the valid YAML requests as CSV rows and JSON lines, a few
# per file (with a blank line, a bad row and a second letter mixed in).
python3 - "$C" <<'PY'
import csv, glob, io, json, os, sys
import yaml

out = sys.argv[1]
reqs = []
for f in sorted(glob.glob("fixtures/requests/valid/*/request.*")):
    with open(f) as fh:
        reqs.append(yaml.safe_load(fh))  # JSON is YAML too

def norm(v):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v

reqs = [norm(r) for r in reqs]

def flat(r):
    row = {}
    for k, v in r.items():
        if k == "recipient":
            row["recipient.name"] = v["name"]
            for i, a in enumerate(v["address"], 1):
                row[f"recipient.address.{i}"] = a
            row["recipient.postcode"] = v["postcode"]
        elif k == "fields":
            for fk, fv in v.items():
                if isinstance(fv, list):
                    for i, x in enumerate(fv, 1):
                        row[f"fields.{fk}.{i}"] = x
                else:
                    row[f"fields.{fk}"] = fv
        elif k == "optional":
            row["optional"] = ";".join(v)
        else:
            row[k] = v
    return {k: str(v) for k, v in row.items()}

groups = [reqs[i:i + 3] for i in range(0, len(reqs), 3)]
for n, g in enumerate(groups):
    lines = [json.dumps(r, ensure_ascii=False) for r in g]
    if n % 2:
        lines.insert(1, "")
        lines.append('{"letter": "CMSL5502", "date": "2026-02-30"}')
    with open(f"{out}/jsonl/group-{n:02}.jsonl", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    rows = [flat(r) for r in g]
    header = []
    for r in rows:
        header += [k for k in r if k not in header]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    if n % 2:
        buf.write("only,two\n")
    with open(f"{out}/csv/group-{n:02}.csv", "w") as fh:
        fh.write(buf.getvalue())
PY

# attachment: the fixture attachments.
cp fixtures/packs/attachments/* "$C/attachment/"

# pack: packs made by the CLI from the fixtures (one encrypted with the
# harness's password), and small hand-made packs of one attachment.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P=fixtures/packs
A=$P/attachments
"$LETTERKIT" pack create face-to-face "$tmp/f2f.zip" --date 2026-03-02 --data $P/face-to-face/create.yaml >/dev/null 2>&1
cp "$tmp/f2f.zip" "$C/pack/face-to-face-create.zip"
"$LETTERKIT" pack step "$tmp/f2f.zip" appointment --date 2026-03-04 --data $P/face-to-face/appointment.yaml >/dev/null 2>&1
cp "$tmp/f2f.zip" "$C/pack/face-to-face-appointment.zip"
"$LETTERKIT" pack create county-court "$tmp/cc.zip" --date 2026-03-02 --data $P/county-court/create.yaml \
  --attach $A/sr-screenshot.png --attach $A/statement.pdf --attach $A/scan.jpg >/dev/null 2>&1
cp "$tmp/cc.zip" "$C/pack/county-court-create.zip"
printf 'fuzz\n' > "$tmp/pw"
"$LETTERKIT" pack create liability-order "$tmp/lo.zip" --date 2026-03-02 --data $P/liability-order/create.yaml \
  --password-file "$tmp/pw" >/dev/null 2>&1
cp "$tmp/lo.zip" "$C/pack/liability-order-encrypted.zip"
python3 - "$C" <<'PY'
import hashlib, json, sys, zipfile

out = sys.argv[1]
for src, mime, ext in [("sr-screenshot.png", "image/png", "png"),
                       ("statement.pdf", "application/pdf", "pdf"),
                       ("scan.jpg", "image/jpeg", "jpg")]:
    data = open(f"fixtures/packs/attachments/{src}", "rb").read()
    name = f"01-attachment-1.{ext}"
    manifest = {
        "format": "letterkit-pack/1", "generator": "letterkit fuzz",
        "kind": "county-court", "reference": "1234 5678 9012", "region": "North West",
        "status": "open",
        "stages": [{"step": "create", "date": "2026-03-02", "data": {}, "added": [name]}],
        "entries": [{"file": name, "code": "attachment", "title": "Supporting document 1",
                     "version": 1, "stage": "create", "status": "current",
                     "media-type": mime, "size": len(data),
                     "sha256": hashlib.sha256(data).hexdigest(), "original-name": src}],
    }
    with zipfile.ZipFile(f"{out}/pack/attachment-{ext}.zip", "w", zipfile.ZIP_STORED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2))
        z.writestr(name, data)
PY
du -sh "$C"
