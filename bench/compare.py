#!/usr/bin/env python3
"""letterkit against the peer generators on the same N CMSL5502 letters.

Normally run through bench/compare.sh, which sets up the peers copy and
builds letterkit first:

    python3 bench/compare.py 500 [--seed 1] [--typst-fresh] [--repeat 1]

Steps, in one run:
  1. bench/requests.py writes the N letters (seed --seed) as letterkit
     requests (JSON Lines) to WORK/requests.jsonl.
  2. letterkit: one untimed warm-up batch of a few letters, then
     `letterkit batch REQUESTS --out DIR --jobs 1 --quiet` and the same with
     --jobs NPROC, each timed with the wall clock around the whole process
     (start-up, reading the requests, rendering, writing every PDF).
     letters/s = N / seconds; mean KB over the *.pdf files written.
  3. each peer: `run.py --peer P --n N --out DIR` from the peers copy, in its
     venv (setup and one warm-up letter excluded by run.py itself).
  4. pdfinfo page counts for every letterkit PDF, as run.py does for peers.
With --outbox, step 2 also times `letterkit batch --outbox=FILE` (the letters
queued in a new SQLite outbox instead of written as files) at the same job
counts; its mean KB and pages come from the outbox's own rows, and the
targets are printed for it too (issue 15: both targets hold for
`batch --outbox`).
With --ceiling, step 2 also times J independent `letterkit batch --jobs 1`
processes (J = --jobs), each on its own 1/J of the requests and into its own
folder, started together: what J cores give with nothing shared between
the renders (no folder, no process). Not a target: it shows how close the
jobs=J run is to what the machine allows (bench/README.md, session 9).
Prints a markdown table and the ratios the targets are about; writes the
numbers to WORK/results.json. Standard library only.

Exit status: 0 when everything was measured, 2 when letterkit could not be
measured (not built yet, failed), 1 when a peer failed.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_PEERS = ["typst", "reportlab", "weasyprint", "fpdf2"]
LAST_LINE = re.compile(
    r"^(?P<peer>\S+) letters_per_second=(?P<lps>[\d.]+) mean_kb=(?P<kb>[\d.]+) pages=(?P<pages>\S+)$")

TARGET_VS_TYPST = 20.0  # letterkit jobs=1 letters/s over typst's
TARGET_SCALING = 1.8  # jobs=nproc over jobs=1, on 2 cores
TARGET_SIZE = 1.0  # letterkit mean KB over the smallest peer's (issue 15)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Unavailable(Exception):
    """letterkit cannot be measured (message says why)."""


# ------------------------------------------------------------------ letterkit
def letterkit_ready(binary: Path) -> None:
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise Unavailable(f"letterkit binary not built yet: {binary} does not exist "
                          "(cargo build --release)")
    try:
        out = subprocess.run([str(binary), "--help"], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unavailable(f"letterkit binary not usable: {binary} --help: {e}") from e
    if not re.search(r"\bbatch\b", out.stdout + out.stderr):
        raise Unavailable(f"letterkit binary not built yet: '{binary} --help' lists no "
                          "'batch' verb")


def pdf_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.pdf") if p.is_file())


def page_summary(paths: list[Path]) -> str:
    """'2' when every PDF has 2 pages, else 'mixed:1x3,2x197' (like run.py)."""
    if not shutil.which("pdfinfo"):
        return "?"
    counts: collections.Counter[str] = collections.Counter()
    for p in paths:
        info = subprocess.run(["pdfinfo", str(p)], capture_output=True, text=True).stdout
        counts[next((ln.split()[-1] for ln in info.splitlines()
                     if ln.startswith("Pages:")), "?")] += 1
    if len(counts) == 1:
        return next(iter(counts))
    return "mixed:" + ",".join(f"{k}x{v}" for k, v in sorted(counts.items()))


def fonts_line(path: Path) -> str:
    if not shutil.which("pdffonts"):
        return ""
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True,
                          text=True).stdout.splitlines()[2:]
    return " ".join("{}(emb={},sub={})".format(r.split()[0], *r.split()[-5:-3])
                    for r in rows if len(r.split()) >= 5)


# The time and officer an outbox run queues with (fixed, so runs compare).
OUTBOX_NOW = "2026-03-02T10:00:00Z"
OUTBOX_BY = "BENCH01"


def outbox_rows(store: Path) -> list[tuple[int, int]]:
    """(PDF bytes, pages) of every letter in an outbox file."""
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return [(int(b), int(p)) for b, p in
                con.execute("SELECT length(pdf), pages FROM letters ORDER BY id")]
    finally:
        con.close()


def run_letterkit(binary: Path, requests: Path, out: Path, jobs: int, n: int,
                  timeout: float, what: str = "",
                  outbox: bool = False) -> tuple[float, list[Path] | list[tuple[int, int]]]:
    """One timed `letterkit batch`; returns (seconds, PDFs written), or with
    `outbox` (seconds, (bytes, pages) of each letter queued in OUT/outbox.sqlite,
    the manifest going to OUT/run)."""
    what = what or f"letterkit batch --jobs {jobs}" + (" --outbox" if outbox else "")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    store = out / "outbox.sqlite"
    cmd = [str(binary), "batch", str(requests), "--out", str(out / "run" if outbox else out),
           "--jobs", str(jobs), "--quiet"]
    if outbox:
        cmd += [f"--outbox={store}", "--now", OUTBOX_NOW, "--by", OUTBOX_BY]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise Unavailable(f"{what} timed out after {timeout:.0f}s") from e
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise Unavailable(f"{what} exited with {proc.returncode}:\n"
                          f"  $ {' '.join(cmd)}\n{tail}")
    if outbox:
        letters = outbox_rows(store)
        if len(letters) != n:
            raise Unavailable(f"{what} queued {len(letters)} letters, "
                              f"expected {n} (in {store})")
        return seconds, letters
    pdfs = pdf_files(out)
    if len(pdfs) != n:
        raise Unavailable(f"{what} wrote {len(pdfs)} PDFs, "
                          f"expected {n} (in {out})")
    return seconds, pdfs


def measure_ceiling(binary: Path, requests: Path, work: Path, n: int, parts: int,
                    repeat: int) -> dict:
    """J independent `letterkit batch --jobs 1` processes on 1/J of the
    requests each, started together; the row's time is the wall clock until
    the last one ends (median of `repeat`)."""
    lines = requests.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // parts)
    shares = []
    for k in range(parts):
        share = work / f"ceiling-requests-{k + 1}.jsonl"
        share.write_text("".join(lines[k * size:(k + 1) * size]), encoding="utf-8")
        shares.append(share)
    times = []
    for r in range(repeat):
        outs = [work / f"letterkit-ceiling-run{r + 1}" / f"part{k + 1}" for k in range(parts)]
        for out in outs:
            out.mkdir(parents=True)
        log(f"{parts} letterkit batch --jobs 1 processes, 1/{parts} of the letters each "
            f"(n={n}, run {r + 1}/{repeat})")
        t0 = time.perf_counter()
        procs = [subprocess.Popen([str(binary), "batch", str(share), "--out", str(out),
                                   "--jobs", "1", "--quiet"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for share, out in zip(shares, outs)]
        failed = []
        for p in procs:
            try:
                _, err = p.communicate(timeout=3600)
            except subprocess.TimeoutExpired:
                for q in procs:
                    q.kill()
                raise Unavailable("the ceiling run timed out after 3600s") from None
            if p.returncode != 0:
                failed.append(f"exit {p.returncode}: {err.strip().splitlines()[-1:]}")
        seconds = time.perf_counter() - t0
        if failed:
            raise Unavailable("the ceiling run failed: " + "; ".join(failed))
        made = sum(len(pdf_files(out)) for out in outs)
        if made != n:
            raise Unavailable(f"the ceiling run wrote {made} PDFs, expected {n}")
        times.append(seconds)
        log(f"  {seconds:.3f}s = {n / seconds:.1f} letters/s")
    seconds = statistics.median(times)
    return {
        "engine": f"letterkit {parts} processes × jobs=1 (ceiling, not a target)",
        "key": f"letterkit-ceiling-{parts}",
        "jobs": parts,
        "letters_per_second": n / seconds,
        "seconds": seconds,
        "runs_s": times,
        "mean_kb": None,
        "pages": "",
    }


def measure_letterkit(binary: Path, requests: Path, work: Path, n: int, jobs_all: int,
                      repeat: int, verify: bool, outbox: bool = False) -> list[dict]:
    letterkit_ready(binary)
    # Untimed warm-up: page cache for the binary, fonts and requests file.
    warm = work / "letterkit-warmup.jsonl"
    with requests.open(encoding="utf-8") as src, warm.open("w", encoding="utf-8") as dst:
        for _, line in zip(range(min(n, 10)), src):
            dst.write(line)
    run_letterkit(binary, warm, work / "letterkit-warmup", 1, min(n, 10), 600,
                  f"letterkit batch (untimed warm-up of {min(n, 10)} letters)")
    shutil.rmtree(work / "letterkit-warmup", ignore_errors=True)

    rows = []
    job_counts = [1] if jobs_all == 1 else [1, jobs_all]
    modes = [False, True] if outbox else [False]
    for into_outbox, jobs in [(m, j) for m in modes for j in job_counts]:
        times = []
        name = "letterkit-outbox" if into_outbox else "letterkit"
        flag = " --outbox" if into_outbox else ""
        for r in range(repeat):
            # A new folder for every run, none deleted until the end: on
            # ext4 a file made soon after many were deleted costs far more
            # (see bench/README.md, "Deleting between runs"), and a run must
            # not pay for the one before it.
            out = work / f"{name}-j{jobs}-run{r + 1}"
            log(f"letterkit batch{flag} --jobs {jobs} (n={n}, run {r + 1}/{repeat})")
            seconds, made = run_letterkit(binary, requests, out, jobs, n, 3600,
                                          outbox=into_outbox)
            times.append(seconds)
            log(f"  {seconds:.3f}s = {n / seconds:.1f} letters/s")
        seconds = statistics.median(times)
        if into_outbox:
            sizes = [b for b, _ in made]
            pages = collections.Counter(str(p) for _, p in made)
        else:
            pdfs = made
            sizes = [p.stat().st_size for p in pdfs]
        row = {
            "engine": f"letterkit{flag} (jobs={jobs})",
            "key": f"{name}-j{jobs}",
            "jobs": jobs,
            "letters_per_second": n / seconds,
            "seconds": seconds,
            "runs_s": times,
            "mean_kb": sum(sizes) / len(sizes) / 1024,
            "min_kb": min(sizes) / 1024,
            "max_kb": max(sizes) / 1024,
            "pages": "?",
        }
        if into_outbox:
            # The outbox records each letter's page count as it queues it.
            row["pages"] = (next(iter(pages)) if len(pages) == 1 else
                            "mixed:" + ",".join(f"{k}x{v}" for k, v in sorted(pages.items())))
        elif verify:
            log(f"  pdfinfo on {len(pdfs)} PDFs")
            row["pages"] = page_summary(pdfs)
            row["fonts"] = fonts_line(pdfs[0])
            log(f"  pages={row['pages']} fonts: {row['fonts']}")
        rows.append(row)
    return rows


# ---------------------------------------------------------------------- peers
def run_peer(peer: str, python: Path, peers_dir: Path, n: int, seed: int, out: Path,
             repeat: int, verify: bool) -> dict:
    results = []
    for r in range(repeat):
        log(f"peer {peer} (n={n}, run {r + 1}/{repeat})")
        cmd = [str(python), str(peers_dir / "run.py"), "--peer", peer, "--n", str(n),
               "--out", str(out), "--seed", str(seed)]
        if not verify or r > 0:
            cmd.append("--no-verify")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=peers_dir)
        lines = proc.stdout.strip().splitlines()
        for ln in lines:
            log(f"  {ln}")
        m = LAST_LINE.match(lines[-1]) if lines else None
        if proc.returncode != 0 or not m:
            tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
            raise RuntimeError(f"peer {peer} failed (exit {proc.returncode}):\n{tail}")
        results.append(m)
    lps = statistics.median(float(m["lps"]) for m in results)
    first = results[0]
    return {
        "engine": peer,
        "key": peer,
        "letters_per_second": lps,
        "runs_lps": [float(m["lps"]) for m in results],
        "mean_kb": float(first["kb"]),
        "pages": first["pages"] if verify else "?",
    }


# ---------------------------------------------------------------------- report
def fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}×"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def target_lines(prefix: str, what: str, lk1: dict | None, lkn: dict | None,
                 typ: dict | None, peers_kb: list[dict], jobs_all: int,
                 targets: dict) -> list[str]:
    """The target lines for one way of running letterkit (`what`: files or
    --outbox); each ratio also goes into `targets` under `prefix` + its key."""
    out = []
    if lk1 and typ:
        x = lk1["letters_per_second"] / typ["letters_per_second"]
        targets[prefix + "jobs1_vs_typst"] = x
        out.append(f"- {what} jobs=1 vs typst: {x:.2f}× (target ≥ {TARGET_VS_TYPST:g}×) "
                   f"{verdict(x >= TARGET_VS_TYPST)}")
    else:
        out.append(f"- {what} jobs=1 vs typst: n/a (" +
                   ("letterkit not measured" if not lk1 else "typst not measured") + ")")
    if lk1 and lkn:
        x = lkn["letters_per_second"] / lk1["letters_per_second"]
        targets[prefix + "jobsN_vs_jobs1"] = x
        note = "" if jobs_all == 2 else f"; measured with jobs={jobs_all}"
        out.append(f"- {what} jobs={jobs_all} vs jobs=1: {x:.2f}× "
                   f"(target ≥ {TARGET_SCALING:g}× on 2 cores{note}) "
                   f"{verdict(x >= TARGET_SCALING)}")
    elif jobs_all == 1:
        out.append(f"- {what} jobs=nproc vs jobs=1: n/a (1 core)")
    else:
        out.append(f"- {what} jobs={jobs_all} vs jobs=1: n/a (letterkit not measured)")
    if lk1 and typ:
        x = lk1["mean_kb"] / typ["mean_kb"]
        targets[prefix + "size_vs_typst"] = x
        out.append(f"- {what} mean size vs typst: {x:.2f}× ({lk1['mean_kb']:.1f} KB vs "
                   f"{typ['mean_kb']:.1f} KB)")
    if lk1 and peers_kb:
        small = min(peers_kb, key=lambda r: r["mean_kb"])
        x = lk1["mean_kb"] / small["mean_kb"]
        targets[prefix + "size_vs_smallest_peer"] = x
        out.append(f"- {what} mean size vs the smallest peer ({small['key']}): {x:.2f}× "
                   f"({lk1['mean_kb']:.1f} KB vs {small['mean_kb']:.1f} KB; target ≤ 1×) "
                   f"{verdict(x <= TARGET_SIZE)}")
    else:
        out.append(f"- {what} mean size vs the smallest peer: n/a")
    return out


def report(rows: list[dict], n: int, seed: int, jobs_all: int,
           lk_error: str | None, peer_errors: dict[str, str]) -> tuple[str, dict]:
    by_key = {r["key"]: r for r in rows}
    lk1 = by_key.get("letterkit-j1")
    typ = by_key.get("typst")

    out = []
    out.append(f"## letterkit vs peers: {n} CMSL5502 letters, seed {seed}")
    out.append("")
    out.append(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, {nproc()} cores, "
               f"Python {platform.python_version()}; letterkit timed as a whole process, "
               "peers exclude setup and one warm-up letter (run.py).")
    out.append("")
    out.append("| engine | letters/s | mean KB | pages | letterkit speed ratio |")
    out.append("|---|---:|---:|---|---:|")
    if lk_error:
        out.append("| letterkit | not measured | | | |")
    for r in rows:
        ratio = lk1["letters_per_second"] / r["letters_per_second"] if lk1 else None
        kb = "" if r["mean_kb"] is None else f"{r['mean_kb']:.1f}"
        out.append(f"| {r['engine']} | {r['letters_per_second']:.1f} | {kb} | "
                   f"{r['pages']} | {fmt_ratio(ratio)} |")
    for peer in peer_errors:
        out.append(f"| {peer} | failed | | | |")
    out.append("")
    out.append("(letterkit speed ratio = letterkit jobs=1 letters/s ÷ the row's letters/s)")
    out.append("")

    targets: dict = {}
    out.append("Targets:")
    peers_kb = [r for r in rows if not r["key"].startswith("letterkit")
                and r.get("mean_kb") is not None]
    modes = [("", "", "letterkit")]
    if "letterkit-outbox-j1" in by_key:
        modes.append(("outbox_", " --outbox", "letterkit-outbox"))
    for prefix, flag, name in modes:
        one = by_key.get(f"{name}-j1")
        many = by_key.get(f"{name}-j{jobs_all}") if jobs_all > 1 else None
        out.extend(target_lines(prefix, f"letterkit{flag}", one, many, typ, peers_kb,
                                jobs_all, targets))
    ceiling = by_key.get(f"letterkit-ceiling-{jobs_all}")
    if ceiling and lk1:
        x = ceiling["letters_per_second"] / lk1["letters_per_second"]
        targets["ceiling_vs_jobs1"] = x
        out.append(f"- (not a target) {jobs_all} independent jobs=1 processes vs jobs=1: "
                   f"{x:.2f}×: what {jobs_all} cores give these letters with nothing shared")
    for _, flag, name in modes:
        one = by_key.get(f"{name}-j1")
        if one and one["pages"] not in ("2", "?"):
            out.append(f"- WARNING: letterkit{flag} page counts are {one['pages']}, "
                       "expected 2")
    if lk_error:
        out.append("")
        out.append(f"letterkit not measured: {lk_error}")
    for peer, err in peer_errors.items():
        out.append(f"{peer} failed: {err.splitlines()[0]}")
    return "\n".join(out), targets


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=500, help="letters (default 500)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--peers", default=",".join(DEFAULT_PEERS),
                    help="comma-separated peers for run.py (default %(default)s)")
    ap.add_argument("--typst-fresh", action="store_true", help="also run the typst-fresh peer")
    ap.add_argument("--no-peers", action="store_true", help="letterkit only")
    ap.add_argument("--jobs", type=int, default=nproc(),
                    help="jobs for the all-cores letterkit run (default nproc=%(default)s)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per engine; the median letters/s is reported (default 1)")
    ap.add_argument("--no-verify", action="store_true", help="skip pdfinfo/pdffonts checks")
    ap.add_argument("--bin", type=Path,
                    default=Path(os.environ.get("LETTERKIT_BIN",
                                                ROOT / "target" / "release" / "letterkit")))
    ap.add_argument("--peers-dir", type=Path,
                    default=Path(os.environ.get("BENCH_PEERS_DIR", ROOT / "target" / "bench-peers")))
    ap.add_argument("--work", type=Path, default=ROOT / "target" / "bench-compare",
                    help="scratch folder for requests and PDFs (default target/bench-compare)")
    ap.add_argument("--skip-letterkit", metavar="REASON",
                    help="do not run letterkit; REASON is reported (compare.sh uses it "
                         "when cargo build fails)")
    ap.add_argument("--keep", action="store_true", help="keep the PDFs in WORK")
    ap.add_argument("--ceiling", action="store_true",
                    help="also time --jobs independent `letterkit batch --jobs 1` processes on "
                         "a share of the letters each (the machine's ceiling; not a target)")
    ap.add_argument("--outbox", action="store_true",
                    help="also time `letterkit batch --outbox` (letters queued in a new "
                         "SQLite outbox) at the same job counts, with its own targets")
    args = ap.parse_args()
    if args.n < 1 or args.repeat < 1 or args.jobs < 1:
        ap.error("n, --repeat and --jobs must be >= 1")

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    # What an earlier run kept is moved aside now and deleted at the end,
    # after the timed runs (see measure_letterkit).
    old = work / f"old-{os.getpid()}"
    kept = ["letterkit-j*", "letterkit-outbox-j*", "letterkit-ceiling-run*"]
    for d in [work / "peers", *(d for k in kept for d in work.glob(k))]:
        if d.exists():
            old.mkdir(exist_ok=True)
            d.rename(old / d.name)
    requests = work / "requests.jsonl"
    log(f"writing {args.n} requests (seed {args.seed}) to {requests}")
    subprocess.run([sys.executable, str(HERE / "requests.py"), "--n", str(args.n),
                    "--seed", str(args.seed), "--out", str(requests),
                    "--peers-dir", str(args.peers_dir)], check=True)

    rows: list[dict] = []
    lk_error: str | None = args.skip_letterkit
    if not lk_error:
        try:
            rows += measure_letterkit(args.bin, requests, work, args.n, args.jobs,
                                      args.repeat, not args.no_verify, args.outbox)
        except Unavailable as e:
            lk_error = str(e)
    ceiling_error: str | None = None
    if args.ceiling and not lk_error:
        if args.jobs < 2 or args.n < args.jobs:
            ceiling_error = f"needs --jobs ≥ 2 and at least --jobs letters (jobs {args.jobs}, n {args.n})"
        else:
            try:
                rows.append(measure_ceiling(args.bin, requests, work, args.n, args.jobs,
                                            args.repeat))
            except Unavailable as e:
                ceiling_error = str(e)
        if ceiling_error:
            log(f"ceiling not measured: {ceiling_error}")
    if lk_error:
        log(lk_error)

    peer_errors: dict[str, str] = {}
    if not args.no_peers:
        peers = [p for p in args.peers.split(",") if p]
        if args.typst_fresh and "typst-fresh" not in peers:
            peers.insert(peers.index("typst") + 1 if "typst" in peers else 0, "typst-fresh")
        python = args.peers_dir / ".venv" / "bin" / "python"
        for peer in peers:
            if not python.exists():
                peer_errors[peer] = f"no venv at {python} (run bench/compare.sh)"
                continue
            try:
                rows.append(run_peer(peer, python, args.peers_dir, args.n, args.seed,
                                     work / "peers" / peer, args.repeat,
                                     not args.no_verify))
            except RuntimeError as e:
                peer_errors[peer] = str(e)
                log(str(e))

    text, targets = report(rows, args.n, args.seed, args.jobs, lk_error, peer_errors)
    if ceiling_error:
        text += f"\nceiling not measured: {ceiling_error}"
    print(text, flush=True)
    results = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "n": args.n, "seed": args.seed, "nproc": nproc(), "jobs_all": args.jobs,
        "rows": rows, "targets": targets, "letterkit_error": lk_error,
        "peer_errors": peer_errors, "ceiling_error": ceiling_error,
    }
    (work / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    log(f"results in {work / 'results.json'}")
    shutil.rmtree(old, ignore_errors=True)
    if not args.keep:
        for d in [work / "peers", *(d for k in kept for d in work.glob(k))]:
            shutil.rmtree(d, ignore_errors=True)
    if lk_error:
        return 2
    return 1 if peer_errors else 0


if __name__ == "__main__":
    sys.exit(main())
