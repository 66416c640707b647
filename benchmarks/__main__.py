"""Run every benchmark and print its figures: ``python -m benchmarks [--quick] [--only NAME]``."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import benchmarks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", action="append", default=[], help="run only bench_NAME (repeatable)")
    args = parser.parse_args(argv)
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if args.only:
        unknown = [o for o in args.only if f"bench_{o}" not in names]
        if unknown:
            parser.error(f"unknown benchmark(s) {unknown}; known: {[n[6:] for n in names]}")
        names = [f"bench_{o}" for o in args.only]
    print("figure (ratio = baseline time / our time unless stated)       ratio   detail")
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        for fig in module.run(quick=args.quick):
            print(fig.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
