"""The light start-up path of ``greensword hj212 parse`` (greensword/launch.py): same output as
the full command line, without importing every domain's CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

from greensword.launch import _parse_args

DATA = Path(__file__).parent / "data"
VECTORS = [json.loads(line) for line in (DATA / "hj212_vectors.jsonl").read_text().splitlines()]
CAPTURES = [json.loads(line) for line in (DATA / "captures.jsonl").read_text().splitlines()]


def _dump(tmp_path: Path) -> Path:
    f = tmp_path / "packets.txt"
    raws = [v["raw"] for v in VECTORS] + [c["raw"] for c in CAPTURES]
    f.write_bytes(b"".join(r.encode() + (b"" if r.endswith("\n") else b"\n") for r in raws))
    return f


def test_arguments_read_as_the_full_cli_reads_them(tmp_path):
    f = _dump(tmp_path)
    assert _parse_args([str(f)]) == {"file": str(f), "tolerant": False, "crlf": "auto"}
    assert _parse_args(["--tolerant", "--crlf", "keep", str(f)]) == {"file": str(f), "tolerant": True, "crlf": "keep"}
    assert _parse_args(["--crlf=add", "--no-tolerant"]) == {"file": "-", "tolerant": False, "crlf": "add"}
    assert _parse_args(["--", "-"]) == {"file": "-", "tolerant": False, "crlf": "auto"}
    # anything the light path is not sure of goes to the full command line
    assert _parse_args(["--help"]) is None
    assert _parse_args(["--tolerent", str(f)]) is None
    assert _parse_args([str(f), str(f)]) is None
    assert _parse_args([str(tmp_path / "missing.txt")]) is None
    assert _parse_args(["--crlf"]) is None


def test_light_path_prints_what_the_full_cli_prints_without_importing_it(tmp_path):
    f = _dump(tmp_path)
    for extra in ([], ["--tolerant"]):
        light = subprocess.run(
            [sys.executable, "-c", "import atexit, sys\n"
             "atexit.register(lambda: sys.stderr.write('FULL-CLI-IMPORTED\\n' if 'greensword.cli' in sys.modules else ''))\n"
             "from greensword.launch import main\nmain()", "hj212", "parse", *extra, str(f)],
            capture_output=True, env=os.environ)
        full = subprocess.run([sys.executable, "-m", "greensword.cli", "hj212", "parse", *extra, str(f)],
                              capture_output=True, env=os.environ)
        assert light.returncode == full.returncode == 0, light.stderr
        assert b"FULL-CLI-IMPORTED" not in light.stderr
        assert light.stdout == full.stdout
        lines = light.stdout.decode().splitlines()
        assert len(lines) == len(VECTORS) + len(CAPTURES) and all(json.loads(x) for x in lines)
        if extra:
            assert "宽容模式接受的设备偏差" in light.stderr.decode() and "宽容模式接受的设备偏差" in full.stderr.decode()


def test_missing_file_and_help_go_to_the_full_cli(tmp_path):
    r = subprocess.run([sys.executable, "-m", "greensword", "hj212", "parse", str(tmp_path / "nope.txt")],
                       capture_output=True, env=os.environ)
    assert r.returncode == 2 and "不存在" in r.stderr.decode() and b"Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "greensword", "hj212", "parse", "--help"], capture_output=True,
                       env=os.environ)
    assert r.returncode == 0 and b"--tolerant" in r.stdout
