"""WORK benchmark: the phonon visualiser's time to first frame in chromium, and its server time.

    .venv/bin/python bench/work_phonons.py [--runs 10]

For the two built-in examples (silicon from phonopy's band.yaml; AlAs from matdyn.modes with
its pw.x input), with the whole app under uvicorn:

- **server**: ``POST /api/work/phonons`` (read, connect the branches, labels, JSON), p50/p95;
- **branch connection**: ours (Hungarian assignment on eigenvector overlaps, degeneracy-aware)
  next to phonopy's own ``estimate_band_connection`` (the anchor; run in ``.venv-phonopy``
  when it exists, ``make phonon-examples`` makes it) on the same eigenvectors;
- **time to first frame**: Debian's chromium (Playwright) opens the result page in a fresh
  browser context (cold cache) and waits until the mode animation has advanced a frame:
  ``performance.now()`` at that moment, i.e. from the start of navigation. Target: < 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests"))

from livesite import bench_site  # noqa: E402
from matcloud.work.phonons.connect import connect  # noqa: E402
from matcloud.work.service import WorkService  # noqa: E402

PHONOPY_PYTHON = ROOT / ".venv-phonopy" / "bin" / "python"
#: phonopy's band connection over every piece of the path, timed in its own interpreter.
PHONOPY_CONNECT = """
import json, sys, time
import numpy as np
from phonopy.phonon.band_structure import estimate_band_connection
data = np.load(sys.argv[1])
vectors, pieces, runs = data["vectors"], data["pieces"], int(sys.argv[2])
times = []
for _ in range(runs + 2):
    started = time.perf_counter()
    for start, stop in pieces:
        order = list(range(vectors.shape[1]))
        for iq in range(start + 1, stop):
            # phonopy's layout: eigenvectors as columns
            order = estimate_band_connection(vectors[iq - 1].T, vectors[iq].T, order)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times[2:]))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(call: Any, runs: int) -> list[float]:
    for _ in range(2):
        call()
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def phonopy_connection(bands: Any, runs: int, work: Path) -> list[float] | None:
    if not PHONOPY_PYTHON.exists():
        return None
    flat = bands.eigenvectors.reshape(bands.nqpoints, bands.nbands, -1)
    path = work / "vectors.npz"
    np.savez(path, vectors=flat, pieces=np.array(bands.pieces))
    answer = subprocess.run(
        [str(PHONOPY_PYTHON), "-c", PHONOPY_CONNECT, str(path), str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    times: list[float] = json.loads(answer.stdout)
    return times


def first_frames(url: str, runs: int) -> list[float]:
    found = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(runs + 1):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(url)
            first = "document.getElementById('mode-viewer').dataset.firstFrame"
            page.wait_for_function(first, timeout=60_000)
            value = page.evaluate(f"Number({first})")
            found.append(float(value))
            context.close()
        browser.close()
    return found[1:]  # the first launch warms chromium itself, not the page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="phonon-bench-"))
    settings, app, server = bench_site("phonon-bench-")
    service: WorkService = app.state.work
    rows = []
    with httpx.Client(base_url=settings.base_url, timeout=60) as client:
        for example in ("si-phonopy", "alas-matdyn"):
            given = service.example("phonons", example)
            bands = service.run("phonons", given, {}).subject

            def post(name: str = example) -> str:
                answer = client.post("/api/work/phonons", json={"example": name})
                assert answer.status_code == 201, answer.text
                return str(answer.json()["links"]["html"])

            served = timed(post, args.runs)
            ours = timed(lambda b=bands: connect(b), args.runs)
            theirs = phonopy_connection(bands, args.runs, work)
            frames = first_frames(settings.base_url + post(), args.runs)
            rows.append((example, bands, served, ours, theirs, frames))
    server.should_exit = True
    print(f"{args.runs} runs each (after warm-up); ms\n")
    print(
        "| example | q-points x branches | server POST p50 / p95 | connection: ours p50 | "
        "connection: phonopy's p50 | first frame in chromium p50 / p95 / max |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for example, bands, served, ours, theirs, frames in rows:
        anchor = f"{statistics.median(theirs):.1f}" if theirs else "(no .venv-phonopy)"
        print(
            f"| {example} | {bands.nqpoints} x {bands.nbands} | "
            f"{percentile(served, 0.5):.1f} / {percentile(served, 0.95):.1f} | "
            f"{statistics.median(ours):.1f} | {anchor} | "
            f"{percentile(frames, 0.5):.0f} / {percentile(frames, 0.95):.0f} / {max(frames):.0f} |"
        )


if __name__ == "__main__":
    main()
