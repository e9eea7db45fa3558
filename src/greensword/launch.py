"""The ``greensword`` command's entry point. Most commands go to the full command line
(greensword.cli, which imports every domain's commands: ≈0.5 s of start-up). Commands whose
start-up time matters because they are used in pipelines run a light path instead:

- ``greensword hj212 parse [FILE|-] [--tolerant] [--crlf auto|keep|add]``

The light path understands exactly those arguments; anything else (``--help``, a misspelt option,
a missing file) goes to the full command line, so messages and exit codes stay the same.
"""

from __future__ import annotations

import os
import sys


def _parse_args(args: list[str]) -> dict | None:
    """The arguments of ``hj212 parse`` as the full CLI reads them, or None if unsure."""
    opts: dict = {"file": None, "tolerant": False, "crlf": "auto"}
    i, positional_only = 0, False
    while i < len(args):
        a = args[i]
        if positional_only or a == "-" or not a.startswith("-"):
            if opts["file"] is not None:
                return None
            opts["file"] = a
        elif a == "--":
            positional_only = True
        elif a in ("--tolerant", "--no-tolerant"):
            opts["tolerant"] = a == "--tolerant"
        elif a == "--crlf" and i + 1 < len(args):
            i += 1
            opts["crlf"] = args[i]
        elif a.startswith("--crlf="):
            opts["crlf"] = a[len("--crlf="):]
        else:
            return None
        i += 1
    if opts["file"] is None:
        opts["file"] = "-"
    if opts["file"] != "-" and not os.path.isfile(opts["file"]):
        return None                         # the full CLI names the problem
    return opts


def _hj212_parse(opts: dict) -> int:
    from .hj212.parsefile import parse_dump, quirk_summary

    if opts["file"] == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(opts["file"], "rb") as fh:
            data = fh.read()
    seen = parse_dump(data, sys.stdout.buffer, tolerant=opts["tolerant"], crlf=opts["crlf"])
    if opts["tolerant"]:
        for line in quirk_summary(seen):
            sys.stderr.write(line + "\n")
    return 0


def main() -> None:
    args = sys.argv[1:]
    if args[:2] == ["hj212", "parse"]:
        opts = _parse_args(args[2:])
        if opts is not None:
            try:
                code = _hj212_parse(opts)
            except BrokenPipeError:          # `… | head`: the reader left; no traceback at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                code = 0
            sys.exit(code)
    from .cli import main as full

    full()


if __name__ == "__main__":
    main()
