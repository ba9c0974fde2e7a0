"""Home page latency: matcloud's `/` against an anchor, side by side in one run.

The anchor is the floor for this stack: the same HTML bytes returned by a bare Starlette app
under the same uvicorn, so the difference is what matcloud itself costs (identity lookup,
section stats, template rendering, CSRF cookie, metrics and logging middleware).

Each server runs in its own process on 127.0.0.1; the load comes from `wrk` when installed
(Debian package `wrk`), else from a Python loop of sequential requests over one keep-alive
connection. Run:

    .venv/bin/python bench/home_latency.py [--seconds 10] [--connections 8] [--loop 2000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_matcloud(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MATCLOUD_DATA_DIR": str(data_dir), "MATCLOUD_LOG_LEVEL": "WARNING"}
    subprocess.run([PYTHON, "-m", "matcloud.cli", "init"], env=env, check=True, capture_output=True)
    return subprocess.Popen(
        [PYTHON, "-m", "matcloud.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_anchor(html_file: Path, port: int) -> subprocess.Popen[bytes]:
    code = textwrap.dedent(
        f"""
        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse
        from starlette.routing import Route
        BODY = open({str(html_file)!r}, "rb").read()
        async def home(request):
            return HTMLResponse(BODY)
        app = Starlette(routes=[Route("/", home)])
        uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
        """
    )
    return subprocess.Popen([PYTHON, "-c", code])


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "rps": float(rps.group(1)) if rps else 0.0,
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def run_loop(url: str, count: int) -> dict[str, float]:
    timings = []
    with httpx.Client() as client:
        for _ in range(50):
            client.get(url)
        started = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        elapsed = time.perf_counter() - started
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p99_ms": timings[int(len(timings) * 0.99) - 1],
        "rps": count / elapsed,
        "errors": 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--loop", type=int, default=2000, help="requests in the Python loop")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="matcloud-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        mc_port, anchor_port = free_port(), free_port()
        procs.append(start_matcloud(work / "instance", mc_port))
        mc_url = f"http://127.0.0.1:{mc_port}/"
        wait_up(mc_url)
        html = work / "home.html"
        html.write_bytes(httpx.get(mc_url).content)
        procs.append(start_anchor(html, anchor_port))
        anchor_url = f"http://127.0.0.1:{anchor_port}/"
        wait_up(anchor_url)

        rows = []
        for name, url in [
            ("anchor: bare Starlette, same bytes", anchor_url),
            ("matcloud /", mc_url),
        ]:
            loop = run_loop(url, args.loop)
            rows.append((name, "python loop, 1 conn", loop))
            if shutil.which("wrk"):
                rows.append(
                    (
                        name,
                        f"wrk -t2 -c{args.connections} {args.seconds}s",
                        run_wrk(url, args.seconds, args.connections),
                    )
                )
        print(f"home page: {html.stat().st_size} bytes\n")
        print("| server | load | p50 ms | p99 ms | req/s | non-2xx |")
        print("|---|---|---:|---:|---:|---:|")
        for name, load, r in rows:
            print(
                f"| {name} | {load} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                f"{r['rps']:.0f} | {r['errors']:.0f} |"
            )
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
