"""A local control plane in a temporary directory, for the benchmarks (shared by fork.py and
responsiveness.py): build avn if needed, start `avn local serve`, create the `bench` project,
and clean up after."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release", "avn")


class Plane:
    def __init__(self, avn, tmp, data, url, token):
        self.avn_bin, self.tmp, self.data, self.url, self.token = avn, tmp, data, url, token
        self.env = dict(os.environ, AIVEN_WEB_URL=url, AIVEN_AUTH_TOKEN=token, AIVEN_PROJECT="bench",
                        AIVEN_CONFIG_DIR=os.path.join(tmp, "cfg"))

    def avn(self, *args, capture=False):
        """Run avn against this plane; stdout returned when `capture`. A failure raises with the
        command's stderr and the server log's last lines (a failing fork's message is never lost)."""
        out = subprocess.run([self.avn_bin, *args], env=self.env, text=True, stderr=subprocess.PIPE,
                             stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
        if out.returncode != 0:
            log = open(os.path.join(self.tmp, "server.log")).read().splitlines()[-30:]
            raise RuntimeError(f"avn {' '.join(args)} exited {out.returncode}:\n{out.stderr}"
                               "--- server log (last 30 lines):\n" + "\n".join(log))
        return out

    def service(self, name):
        return json.loads(self.avn("service", "get", name, "--json", capture=True).stdout)


@contextlib.contextmanager
def local_plane(avn=RELEASE, serve_args=(), base_dir="/var/tmp"):
    # A bench stopped with SIGTERM still stops its server and removes its data.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not os.path.exists(avn):
        subprocess.check_call(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    tmp = tempfile.mkdtemp(prefix="avn-bench-", dir=base_dir)
    os.chmod(tmp, 0o755)
    data = os.path.join(tmp, "data")
    log = open(os.path.join(tmp, "server.log"), "w")
    server = subprocess.Popen([avn, "local", "serve", "--listen", "127.0.0.1:0", "--data-dir", data, *serve_args],
                              stdout=log, stderr=log)
    try:
        while not os.path.exists(os.path.join(data, "server.json")):
            time.sleep(0.05)
        info = json.load(open(os.path.join(data, "server.json")))
        token = open(os.path.join(data, "token")).read().strip()
        req = urllib.request.Request(info["url"] + "/v1/project", data=b'{"project": "bench"}', method="POST",
                                     headers={"authorization": f"aivenv1 {token}", "content-type": "application/json"})
        urllib.request.urlopen(req).read()
        yield Plane(avn, tmp, data, info["url"], token)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(os.path.realpath(os.path.join(data, "instances")), ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
