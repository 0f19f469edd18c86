#!/usr/bin/env python3
"""Turn the peer benchmark's seeded letters into letterkit requests.

    python3 bench/requests.py --n 500 --seed 1 --out target/bench/requests.jsonl
    python3 bench/requests.py --one --index 0 --out /tmp/request.json

For i in range(N), letters.make_letter(seed, i) from the peers' letters.py
(the copy in target/bench-peers, see bench/README.md) becomes one letterkit
request, one JSON object per line (JSON Lines). With --one, letter --index is
written as a single pretty-printed JSON object (for `letterkit render`).

The same seed gives the same names, addresses, dates and references as the
peers' run.py, so letterkit and the peers render the same letters. Standard
library only.

Mapping:
  opening "customer" text -> fields.changed-by "client", "cms" text -> "cms"
  peer reason (letters.REASONS[k]) -> REASON_CODES[k % len(REASON_CODES)]
  "2 March 2026" -> date "2026-03-02"; "Monday 16 March 2026" -> "2026-03-16"
  "10:30am" -> "10:30"; "1:00pm" -> "13:00"
Every converted request is checked by formatting it back into the peer's
human strings; a mismatch stops the script.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_PEERS = os.environ.get("BENCH_PEERS_DIR", os.path.join(ROOT, "target", "bench-peers"))
SHARED_PEERS = os.path.join(os.path.dirname(ROOT), "shared", "bench", "peers")

LETTER = "CMSL5502"
REASON_CODES = [
    "complaint", "parentage", "under-16", "calculation", "payments", "appeal",
    "information", "change", "enforcement-paying-parent",
    "enforcement-receiving-parent",
]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December"]
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, start=1)}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_DATE_RE = re.compile(r"^(?:(?P<wd>[A-Z][a-z]+day) )?(?P<d>\d{1,2}) (?P<m>[A-Z][a-z]+) (?P<y>\d{4})$")
_TIME_RE = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?P<ap>am|pm)$")


def load_letters(peers_dir: str):
    """Import letters.py from the peers copy (falls back to ../shared)."""
    for d in (peers_dir, SHARED_PEERS):
        if os.path.isfile(os.path.join(d, "letters.py")):
            sys.dont_write_bytecode = True  # the shared folder is read-only
            sys.path.insert(0, d)
            import letters  # noqa: PLC0415
            return letters
    sys.exit(f"requests.py: letters.py not found in {peers_dir} or {SHARED_PEERS}")


def parse_date(text: str) -> str:
    """'Monday 16 March 2026' or '2 March 2026' -> '2026-03-16' (weekday checked)."""
    m = _DATE_RE.match(text)
    if not m or m["m"] not in MONTHS:
        raise ValueError(f"unparsable date {text!r}")
    d = dt.date(int(m["y"]), MONTHS[m["m"]], int(m["d"]))
    if m["wd"] and WEEKDAYS[d.weekday()] != m["wd"]:
        raise ValueError(f"weekday does not match date in {text!r}")
    return d.isoformat()


def parse_time(text: str) -> str:
    """'10:30am' -> '10:30', '12:00pm' -> '12:00', '12:15am' -> '00:15', '1:00pm' -> '13:00'."""
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"unparsable time {text!r}")
    h, mi = int(m["h"]), int(m["m"])
    if not (1 <= h <= 12 and 0 <= mi <= 59):
        raise ValueError(f"time out of range {text!r}")
    h = h % 12 + (12 if m["ap"] == "pm" else 0)
    return f"{h:02d}:{mi:02d}"


def _human_date(iso: str, weekday: bool) -> str:
    d = dt.date.fromisoformat(iso)
    s = f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
    return f"{WEEKDAYS[d.weekday()]} {s}" if weekday else s


def _human_time(hhmm: str) -> str:
    h, m = map(int, hhmm.split(":"))
    return f"{(h - 1) % 12 + 1}:{m:02d}{'am' if h < 12 else 'pm'}"


def convert(letters, seed: int, i: int) -> dict:
    src = letters.make_letter(seed, i)
    openings = {text: key for key, text in letters.OPENINGS.items()}
    changed_by = {"customer": "client", "cms": "cms"}[openings[src["opening"]]]
    reason = REASON_CODES[letters.REASONS.index(src["reason"]) % len(REASON_CODES)]
    req = {
        "id": f"bench-{i:05d}",
        "letter": LETTER,
        "date": parse_date(src["date"]),
        "reference": src["reference"],
        "recipient": {
            "name": src["name"],
            "address": list(src["address"]),
            "postcode": src["postcode"],
        },
        "fields": {
            "changed-by": changed_by,
            "meeting-date": parse_date(src["meeting_date"]),
            "meeting-time": parse_time(src["meeting_time"]),
            "meeting-location": src["meeting_location"],
            "reason": reason,
        },
    }
    # Round trip: the ISO values must format back into the peer's strings.
    f = req["fields"]
    checks = [
        (_human_date(req["date"], False), src["date"]),
        (_human_date(f["meeting-date"], True), src["meeting_date"]),
        (_human_time(f["meeting-time"]), src["meeting_time"]),
    ]
    for got, want in checks:
        if got != want:
            raise ValueError(f"letter {i}: round trip {got!r} != {want!r}")
    if not 3 <= len(src["address"]) <= 5:
        raise ValueError(f"letter {i}: {len(src['address'])} address lines (want 3-5)")
    if not re.fullmatch(r"\d{4} \d{4} \d{4}", src["reference"]):
        raise ValueError(f"letter {i}: reference {src['reference']!r}")
    return req


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="number of requests (default 500)")
    ap.add_argument("--seed", type=int, default=1, help="letters.py seed (default 1, as run.py)")
    ap.add_argument("--start", type=int, default=0, help="first letter index (default 0)")
    ap.add_argument("--out", help="output file (default stdout)")
    ap.add_argument("--one", action="store_true",
                    help="write only letter --index as one pretty JSON object")
    ap.add_argument("--index", type=int, default=0, help="letter index for --one")
    ap.add_argument("--peers-dir", default=DEFAULT_PEERS,
                    help="folder with the peers' letters.py (default target/bench-peers)")
    args = ap.parse_args()

    letters = load_letters(args.peers_dir)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        if args.one:
            json.dump(convert(letters, args.seed, args.index), out, indent=2,
                      ensure_ascii=False)
            out.write("\n")
        else:
            for i in range(args.start, args.start + args.n):
                out.write(json.dumps(convert(letters, args.seed, i), ensure_ascii=False,
                                     separators=(",", ":")))
                out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
