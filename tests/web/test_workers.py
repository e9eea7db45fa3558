"""`greensword serve` runs several worker processes, and what a request relies on between
requests (the session, the CSRF key, rate limits) holds whichever worker answers."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


@pytest.fixture
def served(engine, world, tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": SRC, "GREENSWORD_DATABASE_URL": engine.url.render_as_string(False),
           "GREENSWORD_WORKERS": "3", "GREENSWORD_GATEWAY_PORT": str(_free_port())}
    proc = subprocess.Popen([sys.executable, "-m", "greensword.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        if time.time() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the server did not start 3 workers: children {_children(proc.pid)}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200 and len(_children(proc.pid)) >= 4:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            pytest.fail(proc.stderr.read().decode()[-2000:])
        time.sleep(0.3)
    yield base, proc
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_several_workers_share_sessions_csrf_and_limits(served):
    from greensword.web import security

    base, proc = served
    # uvicorn's supervisor, its resource tracker and one process per worker
    workers = [p for p in _children(proc.pid) if "greensword" in Path(f"/proc/{p}/cmdline").read_text()
               or "multiprocessing" in Path(f"/proc/{p}/cmdline").read_text()]
    assert len(workers) >= 3
    c = httpx.Client(base_url=base, headers={"connection": "close"})   # a new connection each time:
    c.get("/login")                                                   # any worker may answer
    csrf = c.cookies[security.CSRF_COOKIE]
    r = c.post("/login", data={"username": "admin-330000", "password": "secret-pass-1"},
               headers={security.CSRF_HEADER: security.csrf_token(csrf, None)})
    assert r.status_code == 303, r.text
    token = security.csrf_token(csrf, c.cookies[security.SESSION_COOKIE])
    for _ in range(12):
        assert c.get("/audit").status_code == 200
        r = c.post("/audit/verify", headers={security.CSRF_HEADER: token})
        assert r.status_code == 200 and "审计链完整" in r.text
    # the public form allows 5 submissions per address per hour, counted across the workers
    data = {"agency_id": 5, "matter": "noise", "anonymous": True, "content": "工地夜间施工噪声很大，影响休息"}
    codes = [httpx.post(f"{base}/api/v1/complaint/public", json=data, headers={"connection": "close"}).status_code
             for _ in range(8)]
    assert codes == [201] * 5 + [422] * 3
