"""The ``microgrid`` command line."""

from __future__ import annotations

import argparse
import sys

from . import Value


def demo() -> int:
    """The course's computation graph J = 3(a + bc), forward and backward."""
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    J.backward()
    print(f"forward:  u = bc = {u.data:g}, v = a + u = {v.data:g}, J = 3v = {J.data:g}")
    print(f"backward: dJ/da = {a.grad:g}, dJ/db = {b.grad:g}, dJ/dc = {c.grad:g}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="microgrid", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="walk the course's computation graph")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
