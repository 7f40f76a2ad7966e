#!/usr/bin/env python3
"""Start-up time and peak memory: avn (this project) against the official aiven-client.

Runs both sides in one go against the same fixture API on 127.0.0.1 and prints, for
`avn --help` and `avn service types`, the median wall time of each, the ratio, and the peak
RSS of each. Goals (issue 2): at least 30x faster, and under 15 MB peak RSS.

Usage: bench/startup.py [--runs N] [--ours PATH] [--theirs PATH]
"""
import argparse
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CATALOG = {"service_types": {
    t: {"description": f"{t} service", "service_plans": [], "user_config_schema": {"type": "object", "properties": {}}}
    for t in ["pg", "mysql", "kafka", "opensearch", "valkey", "clickhouse", "grafana"]}}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(CATALOG).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def measure(cmd, env, runs):
    """Median wall time over `runs`, and peak RSS in MB.

    Peak RSS is read through GNU time: a child forked from Python would report Python's own
    pages, because the kernel keeps the pre-exec high-water mark."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            sys.exit(f"{cmd} failed: {p.stderr.decode()}")
    gnu_time = "/usr/bin/time"
    if not os.path.exists(gnu_time):
        return statistics.median(times), float("nan")
    p = subprocess.run([gnu_time, "-f", "%M", *cmd], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_kib = int(p.stderr.strip().splitlines()[-1])
    return statistics.median(times), peak_kib / 1024


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--ours", default=os.path.join(root, "target", "release", "avn"))
    ap.add_argument("--theirs", default=None)
    a = ap.parse_args()
    theirs = a.theirs
    if theirs is None:
        # Prefer the real script over a pyenv shim, which adds a bash start-up of its own.
        try:
            theirs = subprocess.check_output(["pyenv", "which", "avn"], text=True, stderr=subprocess.DEVNULL).strip()
        except (OSError, subprocess.CalledProcessError):
            theirs = shutil.which("avn")
    if not os.path.exists(a.ours):
        subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=root)
    if not theirs:
        sys.exit("the official client is not installed: pip install aiven-client==4.18.0")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    home = tempfile.mkdtemp()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "AIVEN_CONFIG_DIR": home,
           "AIVEN_WEB_URL": url, "AIVEN_AUTH_TOKEN": "bench-token", "AIVEN_PROJECT": "bench"}

    print(f"{'command':<22} {'official':>10} {'avn':>10} {'ratio':>8}   {'official RSS':>12} {'avn RSS':>9}")
    ok = True
    for args in (["--help"], ["service", "types"]):
        t_theirs, m_theirs = measure([theirs, *args], env, a.runs)
        t_ours, m_ours = measure([a.ours, *args], env, a.runs)
        ratio = t_theirs / t_ours
        ok &= ratio >= 30 and m_ours < 15
        print(f"{'avn ' + ' '.join(args):<22} {t_theirs*1000:>8.1f}ms {t_ours*1000:>8.2f}ms {ratio:>7.1f}x"
              f"   {m_theirs:>10.1f}MB {m_ours:>7.1f}MB")
    print(f"goal (>=30x faster, <15 MB): {'met' if ok else 'NOT met'}")
    server.shutdown()
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
