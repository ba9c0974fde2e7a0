"""Benchmark: LocalBlobStore.put against `cp` + `sync`, and the memory a big put costs.

Both sides end with the data on disk (the store fsyncs, so `cp` is followed by `sync -f` on the
copy) and both read a source that is already in the page cache, so the ratio shows what our
streaming, double hashing (md5 + sha256) and atomic publication cost over a plain copy. Runs are
alternated so that noise from other work on the machine hits both sides alike.

Peak memory is measured in fresh child processes, each reporting its own high-water mark
(``VmHWM`` in ``/proc/self/status``; ``ru_maxrss`` would not do, as Linux carries the parent's
peak into a vfork-ed child's figure): one that puts the whole source, one that only imports the
store and puts 1 MiB. Equal figures mean memory stays flat whatever the size of the blob.

    .venv/bin/python bench/blob_write.py [--size-gb 2] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from matcloud.core.storage.local import LocalBlobStore

GIB = 1024**3
MIB = 1024**2
BLOCK = 64 * MIB
BENCH_OUT = Path(__file__).resolve().parent / "out"

CHILD = """
import sys
from pathlib import Path
from matcloud.core.storage.local import LocalBlobStore

store = LocalBlobStore(Path(sys.argv[1]))
if sys.argv[2] == "-":
    info = store.put([b"m" * (1024 * 1024)])
else:
    with open(sys.argv[2], "rb") as source:
        info = store.put(source)
store.delete(info.id)
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def make_source(path: Path, size: int) -> None:
    """Incompressible-looking bytes, fast: one random 64 MiB block repeated."""
    block = os.urandom(BLOCK)
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            piece = block[: min(BLOCK, remaining)]
            handle.write(piece)
            remaining -= len(piece)
        handle.flush()
        os.fsync(handle.fileno())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_cp(source: Path, target: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + sys of cp and sync) of one copy."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True)
    subprocess.run(["sync", "-f", str(target)], check=True)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed, children_cpu() - cpu


def time_put(store: LocalBlobStore, source: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + sys of this process, all threads) of one put."""
    cpu, started = time.process_time(), time.perf_counter()
    with source.open("rb") as handle:
        info = store.put(handle)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    store.delete(info.id)
    return elapsed, cpu


def child_peak_rss(store_dir: Path, source: str) -> int:
    """Peak resident set of a fresh interpreter doing one put, in bytes (VmHWM is in KiB)."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(store_dir), source],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(result.stdout.strip()) * 1024


def format_runs(runs: list[tuple[float, float]]) -> str:
    return ", ".join(f"{wall:.2f} ({cpu:.2f})" for wall, cpu in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description="LocalBlobStore.put vs cp + sync")
    parser.add_argument("--size-gb", type=float, default=2.0, help="source size in GiB")
    parser.add_argument("--dir", type=Path, default=None, help="work dir (default: bench/out/)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    args = parser.parse_args()

    size = int(args.size_gb * GIB)
    if args.dir is None:
        BENCH_OUT.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="blob-write-", dir=BENCH_OUT))
    else:
        work = args.dir
        work.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(work).free
    if free < 2.5 * size:
        raise SystemExit(f"{work}: {free / GIB:.1f} GiB free, need {2.5 * size / GIB:.1f} GiB")

    source, copy = work / "source.bin", work / "copy.bin"
    store = LocalBlobStore(work / "store")
    try:
        make_source(source, size)
        cp_runs: list[tuple[float, float]] = []
        put_runs: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            os.sync()  # nothing dirty from the previous run is flushed on the next one's clock
            cp_runs.append(time_cp(source, copy))
            os.sync()
            put_runs.append(time_put(store, source))
        baseline_rss = child_peak_rss(work / "store", "-")
        big_rss = child_peak_rss(work / "store", str(source))
    finally:
        source.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)
        shutil.rmtree(work / "store", ignore_errors=True)
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)

    cp_rate = size / MIB / statistics.median(run[0] for run in cp_runs)
    put_rate = size / MIB / statistics.median(run[0] for run in put_runs)
    mib = f"{size / MIB:.0f} MiB"
    print(f"# blob write benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}; {mib} source, {args.repeat} runs each\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| `cp` + `sync -f`, median | {cp_rate:.0f} MiB/s |")
    print(f"| `LocalBlobStore.put` (md5 + sha256 + fsync), median | {put_rate:.0f} MiB/s |")
    print(f"| ratio ours / cp | {put_rate / cp_rate:.2f} |")
    print(f"| cp runs: wall s (CPU s) | {format_runs(cp_runs)} |")
    print(f"| put runs: wall s (CPU s) | {format_runs(put_runs)} |")
    print(f"| peak RSS, child putting 1 MiB (baseline) | {baseline_rss / MIB:.1f} MiB |")
    print(f"| peak RSS, child putting {mib} | {big_rss / MIB:.1f} MiB |")
    print(f"| difference | {(big_rss - baseline_rss) / MIB:+.1f} MiB |")


if __name__ == "__main__":
    main()
