"""Where a process spent its CPU, from a py-spy `--format raw` profile (collapsed stacks).

    python -m bench.profile_report PROFILE.txt [--top 20]

Three views of the same samples: self time by package (the leaf frame's file: faust, aiokafka,
pydantic, screener.core...), self time by function, and inclusive time by function (a
function counted once per sample that has it anywhere on the stack). Without py-spy's
`--native`, time inside a C extension (orjson, pydantic-core, rocksdict) is charged to the
Python line that called it, so the function view names the call site.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


# Frames on (nearly) every stack: the command line, the worker's start, the event loop.
PLUMBING = {"typer", "asyncio", "python stdlib", "screener.cli", "screener.__main__"}
PLUMBING |= {"screener.stream.worker", "mode"}


def parse(text: str) -> list[tuple[list[str], int]]:
    """(frames outermost first, sample count) per distinct stack."""
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def package(path: str) -> str:
    """A readable owner for a source file (py-spy prints paths relative to sys.path): the
    distribution, the screener module, asyncio, or the standard library."""
    path = path.split("site-packages/")[-1]
    parts = path.removesuffix(".py").split("/")
    if parts[0] == "screener":
        return ".".join(parts[:3])
    if parts[0] == "asyncio" or parts[0] == "selectors":
        return "asyncio"
    if parts[0] in sys.stdlib_module_names or path.startswith("<frozen"):
        return "python stdlib"
    return parts[0] or "native"


def function(frame: str, with_line: bool = False) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    where = m["file"].split("site-packages/")[-1]
    line = f":{m['line']}" if with_line and m["line"] else ""
    return f"{m['func']} ({where}{line})"


def file_of(frame: str) -> str:
    m = FRAME.match(frame)
    return m["file"] if m else ""


def report(text: str, top: int = 20) -> str:
    stacks = parse(text)
    total = sum(n for _, n in stacks)
    if not total:
        return "no samples"
    by_package: Counter[str] = Counter()
    self_fn: Counter[str] = Counter()
    self_line: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in stacks:
        leaf = frames[-1]
        by_package[package(file_of(leaf))] += n
        self_fn[function(leaf)] += n
        self_line[function(leaf, with_line=True)] += n
        for name in {function(f) for f in frames if package(file_of(f)) not in PLUMBING}:
            inclusive[name] += n

    def block(title: str, counts: Counter[str]) -> list[str]:
        rows = [(k, v / total) for k, v in counts.most_common()]
        return [title, *(f"  {share:6.1%}  {name}" for name, share in rows[:top]), ""]

    lines = [f"{total:,} samples", ""]
    lines += block("self time by package", by_package)
    lines += block("self time by function", self_fn)
    lines += block("self time by line (C calls are charged to their call site)", self_line)
    lines += block(
        "inclusive time by function (start-up and event-loop frames left out)", inclusive
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    print(report(args.profile.read_text(), args.top))


if __name__ == "__main__":
    main()
