import os
import subprocess
import sys


def test_exit_codes_reach_the_shell(tmp_path):
    """`db is-empty` decides whether `make run` loads the demo: its code must not be swallowed."""
    env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))

    def run(*a):
        return subprocess.run([sys.executable, "-m", "greensword.cli", *a], env=env, capture_output=True).returncode

    assert run("db", "upgrade") == 0
    assert run("db", "is-empty") == 0
    assert run("demo", "--scale", "small") == 0
    assert run("db", "is-empty") == 1
