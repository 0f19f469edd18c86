#!/usr/bin/env bash
# Builds a pack of each kind with the letterkit binary and opens each with
# independent readers: Info-ZIP `unzip -t`, Python's zipfile (which also checks
# every SHA-256 in manifest.json) and `7z t` (p7zip-full). The WinZip AES-256
# pack is opened with 7z and its password (Info-ZIP unzip and Python's zipfile
# cannot read WinZip AES). Also checks a court bundle with poppler's pdftotext.
#
# Installs nothing: CI provides unzip, p7zip-full, python3 and poppler-utils.
# Prints one line per check; exits 1 if any check fails.
#
# Usage: scripts/check-pack-readers.sh            (the newer of target/release and target/debug)
#        LETTERKIT=path/to/letterkit scripts/check-pack-readers.sh
set -u

root="$(cd "$(dirname "$0")/.." && pwd)"
fx="$root/fixtures/packs"
if [ -n "${LETTERKIT:-}" ]; then
  lk="$LETTERKIT"
elif [ -x "$root/target/release/letterkit" ] && [ -x "$root/target/debug/letterkit" ]; then
  # Both built: the newer one (a stale release binary must not hide the work).
  if [ "$root/target/release/letterkit" -nt "$root/target/debug/letterkit" ]; then
    lk="$root/target/release/letterkit"
  else
    lk="$root/target/debug/letterkit"
  fi
elif [ -x "$root/target/release/letterkit" ]; then
  lk="$root/target/release/letterkit"
elif [ -x "$root/target/debug/letterkit" ]; then
  lk="$root/target/debug/letterkit"
else
  echo "FAIL no letterkit binary: run 'cargo build' first or set LETTERKIT" >&2
  exit 1
fi
for tool in unzip 7z python3 pdftotext; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL $tool is not installed (CI installs unzip, p7zip-full, python3, poppler-utils)"
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

check() { # check NAME COMMAND...: runs COMMAND quietly, prints one line
  local name="$1"
  shift
  if "$@" >"$work/last.log" 2>&1; then
    echo "ok   $name"
  else
    echo "FAIL $name"
    sed 's/^/     /' "$work/last.log" | tail -n 20
    failed=1
  fi
}

py_check() { # py_check PACK: zipfile opens it, CRCs match, manifest hashes match
  python3 - "$1" <<'EOF'
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, f"bad CRC in {bad}"
    names = z.namelist()
    assert names[0] == "manifest.json", names
    m = json.loads(z.read("manifest.json"))
    listed = [e["file"] for e in m["entries"]]
    rest = [n for n in names[1:] if n != "manifest.sig"]
    assert sorted(listed) == sorted(rest), (listed, names)
    for e in m["entries"]:
        data = z.read(e["file"])
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["file"]
        assert len(data) == e["size"], e["file"]
    for n in names:
        assert not n.startswith(("/", "..")) and "/" not in n, n
print(m["kind"], m["status"], len(listed), "entries")
EOF
}

cd "$work" || exit 1
export LK_CHECK_PASSWORD="check-readers-password"
# The packs are unsigned unless built with an office key (see "signed" below).
unset LETTERKIT_PACK_KEY LETTERKIT_PACK_KEY_FILE

check "build commitment pack" bash -c "
  $(printf '%q' "$lk") pack create commitment commitment.zip --date 2026-03-02 --data $(printf '%q' "$fx/commitment/create.yaml") &&
  $(printf '%q' "$lk") pack step commitment.zip hearing --date 2026-03-09 --data $(printf '%q' "$fx/commitment/hearing.yaml") &&
  $(printf '%q' "$lk") pack step commitment.zip paying-parent-letter --date 2026-03-10 &&
  $(printf '%q' "$lk") pack step commitment.zip issued --date 2026-03-20 --set issue-date=2026-03-19 &&
  $(printf '%q' "$lk") pack step commitment.zip second-pv-check --date 2026-04-12 --data $(printf '%q' "$fx/commitment/second-pv-check.yaml") &&
  $(printf '%q' "$lk") pack step commitment.zip outcome --date 2026-04-15 --set 'outcome=Suspended committal order'"
check "build liability-order pack" bash -c "
  $(printf '%q' "$lk") pack create liability-order liability-order.zip --date 2026-03-02 --data $(printf '%q' "$fx/liability-order/create.yaml") &&
  $(printf '%q' "$lk") pack step liability-order.zip cover-letter --date 2026-03-12 --data $(printf '%q' "$fx/liability-order/cover-letter.yaml") &&
  $(printf '%q' "$lk") pack step liability-order.zip issued --date 2026-03-13 --set issue-date=2026-03-13 &&
  $(printf '%q' "$lk") pack step liability-order.zip second-pv-check --date 2026-04-17 --data $(printf '%q' "$fx/liability-order/second-pv-check.yaml") &&
  $(printf '%q' "$lk") pack step liability-order.zip outcome --date 2026-04-21 --set 'outcome=Liability order made'"
check "build county-court pack" bash -c "
  $(printf '%q' "$lk") pack create county-court county-court.zip --date 2026-03-02 --data $(printf '%q' "$fx/county-court/create.yaml") --attach $(printf '%q' "$fx/attachments/sr-screenshot.png") --attach $(printf '%q' "$fx/attachments/statement.pdf") --attach $(printf '%q' "$fx/attachments/scan.jpg") &&
  $(printf '%q' "$lk") pack step county-court.zip hearing --date 2026-03-05 --set hearing-date=2026-04-02 &&
  $(printf '%q' "$lk") pack step county-court.zip outcome --date 2026-04-03 --set 'outcome=Judgment for the amount claimed'"
check "build face-to-face pack" bash -c "
  $(printf '%q' "$lk") pack create face-to-face face-to-face.zip --date 2026-03-02 --data $(printf '%q' "$fx/face-to-face/create.yaml") &&
  $(printf '%q' "$lk") pack step face-to-face.zip appointment --date 2026-03-05 --data $(printf '%q' "$fx/face-to-face/appointment.yaml") &&
  $(printf '%q' "$lk") pack step face-to-face.zip outcome --date 2026-03-17 --set visit-outcome=completed"
check "build encrypted (AES-256) liability-order pack" bash -c "
  $(printf '%q' "$lk") pack create liability-order encrypted.zip --date 2026-03-02 --data $(printf '%q' "$fx/liability-order/create.yaml") --password-env LK_CHECK_PASSWORD &&
  $(printf '%q' "$lk") pack step encrypted.zip cover-letter --date 2026-03-12 --data $(printf '%q' "$fx/liability-order/cover-letter.yaml") --password-env LK_CHECK_PASSWORD"

check "build signed (HMAC-SHA256) commitment pack" bash -c "
  LETTERKIT_PACK_KEY=check-readers-office-key $(printf '%q' "$lk") pack create commitment signed.zip --date 2026-03-02 --data $(printf '%q' "$fx/commitment/create.yaml") &&
  LETTERKIT_PACK_KEY=check-readers-office-key $(printf '%q' "$lk") pack step signed.zip hearing --date 2026-03-09 --data $(printf '%q' "$fx/commitment/hearing.yaml")"
check "signed: letterkit pack verify with the key" bash -c \
  "LETTERKIT_PACK_KEY=check-readers-office-key $(printf '%q' "$lk") pack verify signed.zip | grep -q 'manifest signature valid'"
check "signed: letterkit pack verify with another key fails" bash -c \
  "test -s signed.zip && ! LETTERKIT_PACK_KEY=another-office-key-0 $(printf '%q' "$lk") pack verify signed.zip"

for kind in commitment liability-order county-court face-to-face signed; do
  check "$kind: letterkit pack verify" "$lk" pack verify "$kind.zip"
  check "$kind: unzip -t" unzip -t "$kind.zip"
  check "$kind: python zipfile (CRCs and manifest SHA-256)" py_check "$kind.zip"
  check "$kind: 7z t" 7z t "$kind.zip"
done
check "encrypted: letterkit pack verify with the password" "$lk" pack verify encrypted.zip --password-env LK_CHECK_PASSWORD
check "encrypted: 7z t with the password" 7z t -p"$LK_CHECK_PASSWORD" encrypted.zip
check "encrypted: 7z t with a wrong password fails" bash -c "test -s encrypted.zip && ! 7z t -pwrong encrypted.zip"
check "encrypted: 7z reports WinZip AES-256" bash -c "7z l -slt -p\"\$LK_CHECK_PASSWORD\" encrypted.zip | grep -q 'Method = .*AES-256'"

check "county-court: bundle (the court's documents)" "$lk" pack bundle county-court.zip --out bundle.pdf
check "county-court: pdftotext reads the bundle's index and page numbers" bash -c \
  "pdftotext bundle.pdf - | tr -s ' \n' ' ' | grep -q 'Court bundle: index' && pdftotext bundle.pdf - | grep -q 'Bundle page 4 of 4'"
check "county-court: bundle with the internal records too" "$lk" pack bundle county-court.zip --out all.pdf --include ssst-referral-form --include pv-check-record
check "county-court: pdftotext reads the chosen bundle" bash -c \
  "pdftotext all.pdf - | grep -q 'Bundle page 6 of 6'"

exit "$failed"
