"""Resolution benchmark: parse time, resolve time and their ratio, plus peak memory.

Each size runs in its own process (so peak RSS is that size's alone). The baseline is the parse
of the same input in the same run: figures are reported as ratios to it, never asserted.

    python benchmarks/bench.py --sizes S M L
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def measure(size: str, data_root: Path, repeat: int) -> dict[str, float | int | str]:
    from generate import generate

    from bindlog.adapters import load
    from bindlog.engine.evaluate import evaluate
    from bindlog.export.bindings import bindings

    directory = data_root / size
    if not (directory / "policies.yaml").exists():
        generate(size, directory)
    parse_s, resolve_s, export_s = [], [], []
    pairs = wec_pairs = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        loaded = load([str(directory)])
        t1 = time.perf_counter()
        result = evaluate(loaded.snapshot)
        t2 = time.perf_counter()
        docs = bindings(result)
        t3 = time.perf_counter()
        parse_s.append(t1 - t0)
        resolve_s.append(t2 - t1)
        export_s.append(t3 - t2)
        pairs = sum(len(r.objects) for r in result.resolutions)
        wec_pairs = sum(len(r.destinations) for r in result.resolutions)
        del result, docs
    snap = loaded.snapshot
    parse, res, exp = min(parse_s), min(resolve_s), min(export_s)
    return {
        "size": size,
        "wecs": len(snap.clusters),
        "objects": len(snap.objects),
        "policies": len(snap.policies),
        "policy_object_pairs": pairs,
        "policy_wec_pairs": wec_pairs,
        "parse_s": round(parse, 3),
        "resolve_s": round(res, 3),
        "export_s": round(exp, 3),
        "resolve_over_parse": round(res / parse, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["S", "M"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.data, args.repeat)))
        return
    header = f"{'size':4} {'wecs':>5} {'objects':>7} {'pol':>5} {'parse s':>8} {'resolve s':>9} "
    print(header + f"{'res/parse':>9} {'export s':>8} {'peak MiB':>8}")
    for size in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                size,
                "--repeat",
                str(args.repeat),
                "--data",
                str(args.data),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['size']:4} {r['wecs']:>5} {r['objects']:>7} {r['policies']:>5} "
            f"{r['parse_s']:>8} {r['resolve_s']:>9} {r['resolve_over_parse']:>9} "
            f"{r['export_s']:>8} {r['peak_rss_mib']:>8}"
        )


if __name__ == "__main__":
    main()
