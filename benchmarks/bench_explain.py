"""Explanation benchmark: time to explain one object once the model is loaded.

Reports, for the synthetic size chosen, the parse and resolve times (the baseline) and the time
to answer `why` for a sample of objects: without --wec, with a WEC it is bound to (proofs) and
with one it is not bound to (refutations against every policy).

    python benchmarks/bench_explain.py --size M --samples 20
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    from generate import DENSITIES, ensure

    from bindlog.adapters import load
    from bindlog.analysis.why import Explainer
    from bindlog.engine.evaluate import evaluate

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="M")
    parser.add_argument("--density", choices=DENSITIES, default="sparse")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    directory = ensure(args.size, args.data, args.density)
    t0 = time.perf_counter()
    snapshot = load([str(directory)]).snapshot
    t1 = time.perf_counter()
    result = evaluate(snapshot)
    t2 = time.perf_counter()
    explainer = Explainer(result)
    rng = random.Random(7)
    bound = [(o, r) for r in result.resolutions if r.destinations for o in r.objects]
    times: dict[str, list[float]] = {"summary": [], "bound": [], "not bound": []}
    for obj, res in rng.sample(bound, min(args.samples, len(bound))):
        wec_in = min(res.destinations)
        wec_out = next((c.name for c in snapshot.clusters if c.name not in res.destinations), None)
        for label, wec in (("summary", None), ("bound", wec_in), ("not bound", wec_out)):
            if label == "not bound" and wec is None:
                continue
            start = time.perf_counter()
            explainer.explain_object(obj, wec)
            times[label].append(time.perf_counter() - start)
    print(f"size {args.size}: parse {t1 - t0:.3f} s, resolve {t2 - t1:.3f} s")
    for label, values in times.items():
        if values:
            print(
                f"  why {label:9}: median {statistics.median(values) * 1000:8.1f} ms, "
                f"max {max(values) * 1000:8.1f} ms, median/parse "
                f"{statistics.median(values) / (t1 - t0):.4f} ({len(values)} objects)"
            )


if __name__ == "__main__":
    main()
