"""What-if benchmark: one small change on a loaded model against a full re-evaluation.

For each kind of change — one WEC label, one object label, one Namespace label, one policy
edit — it times `Model.what_if` on a loaded model (median over random picks) and, in the same
run, a full evaluation of the edited snapshot (`evaluate(apply_to_snapshot(...))`), and reports
the ratio full / what-if; also the time of `LoadedModel.what_if`, which adds the Binding diff.
Then the issue's sweep: N (100) one-label scenarios in one `bindlog what-if --scenarios -o json`
process against one `bindlog resolve -o json` process of the same input (whole processes, as a
user runs them, output to a file), paired and alternating (resolve, what-if, resolve, ...) so
both see the same machine load; it reports the min and median of the per-pair ratios of wall
and of CPU time. The scenarios cycle through the label kinds (WEC, object, Namespace;
`--sweep-kind` picks one). The input is generate.py's dense one (the issue's M: at least 20k
(policy, object) and 40k (policy, WEC) pairs), cached under benchmarks/data/. Figures are
ratios measured in one run on one machine; nothing is asserted.

    python benchmarks/bench_whatif.py --size M --picks 20 --sweep 100
    python benchmarks/bench_whatif.py --size M --picks 0 --sweep 100 --sweep-repeat 5
    python benchmarks/bench_whatif.py --size M --picks 20 --sweep 0 --profile 25
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bindlog.adapters.selectors import parse_selector  # noqa: E402
from bindlog.analysis.whatif import LoadedModel, load_model  # noqa: E402
from bindlog.changes import Change, ChangeSet, Key, Put, SetLabels, key_of  # noqa: E402
from bindlog.engine.evaluate import evaluate  # noqa: E402
from bindlog.model import Snapshot  # noqa: E402

ENVS = ("prod", "staging", "dev")


def data_dir(size: str, root: Path, dense: bool) -> Path:
    """The generated input (cached by generate.ensure), dense unless asked otherwise."""
    from generate import ensure

    return ensure(size, root, "dense" if dense else "sparse")


def _other_env(labels: tuple[tuple[str, str], ...], rng: random.Random) -> str:
    current = dict(labels).get("env")
    return rng.choice([e for e in ENVS if e != current])


def wec_label(s: Snapshot, rng: random.Random) -> Change:
    c = rng.choice(s.clusters)
    return SetLabels(Key("wec", c.name), (("env", _other_env(c.labels, rng)),))


def object_label(s: Snapshot, rng: random.Random) -> Change:
    o = rng.choice([o for o in s.objects if o.ref.namespace])
    app = f"app-{rng.randrange(max(4, len(s.objects) // 20))}"
    return SetLabels(key_of(o), (("app", app),))


def namespace_label(s: Snapshot, rng: random.Random) -> Change:
    n = rng.choice(s.namespaces)
    return SetLabels(Key("namespace", n.name), (("env", _other_env(n.labels, rng)),))


def policy_edit(s: Snapshot, rng: random.Random) -> Change:
    """Replace a policy's first cluster selector by another location group."""
    p = rng.choice(s.policies)
    group = rng.choice(["edge", "cloud", "core"])
    selector = parse_selector({"matchLabels": {"location-group": group}}, "spec", [])
    return Put(replace(p, cluster_selectors=(selector, *p.cluster_selectors[1:])))


KINDS: dict[str, Callable[[Snapshot, random.Random], Change]] = {
    "WEC label": wec_label,
    "object label": object_label,
    "Namespace label": namespace_label,
    "policy edit": policy_edit,
}


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def single_changes(
    loaded: LoadedModel, picks: int, seed: int, diff: bool, profile: int = 0
) -> list[dict[str, Any]]:
    from bindlog.changes import apply_to_snapshot

    rows = []
    base = loaded.snapshot
    for name, make in KINDS.items():
        rng = random.Random(seed)
        incremental, full, with_diff = [], [], []
        # --profile: cProfile over this kind's what-ifs (not the full evaluations), to stderr.
        profiler = cProfile.Profile() if profile else None
        for _ in range(picks):
            changes = ChangeSet((make(base, rng),))
            # Each side pays for its own garbage: the full evaluation's collection is timed
            # with it, not left for the next what-if to run into.
            gc.collect()
            if profiler is not None:
                profiler.enable()
            t0 = time.perf_counter()
            loaded.model.what_if(changes)
            t1 = time.perf_counter()
            if profiler is not None:
                profiler.disable()
            evaluate(apply_to_snapshot(base, changes))
            gc.collect()
            t2 = time.perf_counter()
            incremental.append(t1 - t0)
            full.append(t2 - t1)
            if diff:
                # What a user waits for: the engine's answer and the Binding diff.
                t3 = time.perf_counter()
                loaded.what_if(changes)
                with_diff.append(time.perf_counter() - t3)
        if profiler is not None:
            print(f"--- {name}: Model.what_if over {picks} picks", file=sys.stderr)
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(profile)
        inc, ful = statistics.median(incremental), statistics.median(full)
        row = {"change": name, "what_if_s": inc, "full_s": ful, "full_over_what_if": ful / inc}
        if diff:
            row["what_if_and_diff_s"] = statistics.median(with_diff)
        rows.append(row)
    return rows


SWEEP_KINDS = ("wec", "object", "namespace")


def sweep_scenarios(s: Snapshot, n: int, kinds: tuple[str, ...], seed: int) -> list[Any]:
    """n scenarios of one label each, cycling through `kinds`, as a scenarios file holds them."""
    rng = random.Random(seed)
    objects = [o for o in s.objects if o.ref.namespace]
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        entry: dict[str, Any]
        if kind == "wec":
            c = rng.choice(s.clusters)
            entry = {"target": f"wec/{c.name}", "set": {"env": _other_env(c.labels, rng)}}
        elif kind == "namespace":
            ns = rng.choice(s.namespaces)
            entry = {"target": f"namespace/{ns.name}", "set": {"env": _other_env(ns.labels, rng)}}
        else:
            o = rng.choice(objects)
            gr = f"{o.ref.resource}.{o.ref.group}" if o.ref.group else o.ref.resource
            app = f"app-{rng.randrange(max(4, len(s.objects) // 20))}"
            entry = {"target": f"{gr}/{o.ref.name}", "namespace": o.ref.namespace}
            entry["set"] = {"app": app}
        out.append({"name": f"s{i}-{kind}", "label": [entry]})
    return out


@dataclass
class Run:
    seconds: float  # wall clock
    cpu: float  # user + system CPU seconds of the child: less disturbed by other load


def run_child(argv: list[str], out: Path) -> Run:
    """One whole process to completion, output to a file; its wall and own CPU time (wait4)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(out, "wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT, env=env)
        assert child.stderr is not None
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr.decode()}")
    return Run(seconds, usage.ru_utime + usage.ru_stime)


def sweep(
    directory: Path, snapshot: Snapshot, n: int, kinds: tuple[str, ...], seed: int, repeat: int
) -> dict[str, Any]:
    """n one-label scenarios in one what-if process vs one resolve process, `repeat` pairs."""
    with tempfile.TemporaryDirectory(prefix="bindlog-bench-") as tmp:
        path = Path(tmp) / "scenarios.yaml"
        path.write_text(yaml.safe_dump(sweep_scenarios(snapshot, n, kinds, seed)))
        out = Path(tmp) / "out"
        base = [sys.executable, "-m", "bindlog"]
        resolve = [*base, "resolve", "-o", "json", "-f", str(directory)]
        what_if = [*base, "what-if", "--scenarios", str(path), "-o", "json", "-f", str(directory)]
        pairs = [(run_child(resolve, out), run_child(what_if, out)) for _ in range(repeat)]
    wall = [w.seconds / r.seconds for r, w in pairs]
    cpu = [w.cpu / r.cpu for r, w in pairs]
    return {
        "scenarios": n,
        "kinds": list(kinds),
        "pairs": repeat,
        "resolve_s": statistics.median(r.seconds for r, _ in pairs),
        "what_if_s": statistics.median(w.seconds for _, w in pairs),
        "what_if_over_resolve_min": min(wall),
        "what_if_over_resolve": statistics.median(wall),
        "cpu_what_if_over_resolve_min": min(cpu),
        "cpu_what_if_over_resolve": statistics.median(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="M")
    parser.add_argument("--picks", type=int, default=20, help="random changes per kind")
    parser.add_argument("--sweep", type=int, default=100, help="scenarios in the sweep; 0: none")
    parser.add_argument(
        "--sweep-kind",
        choices=("mixed", *SWEEP_KINDS),
        default="mixed",
        help="the label each sweep scenario sets (mixed: cycle through WEC, object, Namespace)",
    )
    parser.add_argument("--sweep-repeat", type=int, default=3, help="(resolve, what-if) pairs")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-dense", action="store_true", help="the plain generator's shape")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-diff", action="store_true", help="do not also time what-if with its Binding diff"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the N costliest functions of each kind's what-ifs (cProfile) to stderr",
    )
    args = parser.parse_args()
    directory = data_dir(args.size, args.data, not args.no_dense)
    t0 = time.perf_counter()
    loaded = load_model([str(directory)])
    load_s = time.perf_counter() - t0
    res = loaded.model.result.resolutions
    report: dict[str, Any] = {
        "size": args.size,
        "input": str(directory.name),
        "wecs": len(loaded.snapshot.clusters),
        "objects": len(loaded.snapshot.objects),
        "policies": len(loaded.snapshot.policies),
        "policy_object_pairs": sum(len(r.objects) for r in res),
        "policy_wec_pairs": sum(len(r.destinations) for r in res),
        "load_and_evaluate_s": load_s,
        "picks": args.picks,
        "changes": single_changes(loaded, args.picks, args.seed, not args.no_diff, args.profile)
        if args.picks
        else [],
    }
    if args.sweep:
        kinds = SWEEP_KINDS if args.sweep_kind == "mixed" else (args.sweep_kind,)
        snapshot = loaded.snapshot
        del loaded, res  # the children, not this process, should hold the memory now
        gc.collect()
        report["sweep"] = sweep(
            directory, snapshot, args.sweep, kinds, args.seed, args.sweep_repeat
        )
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"{report['size']} ({report['input']}): {report['wecs']} WECs, {report['objects']} "
        f"objects, {report['policies']} policies; {report['policy_object_pairs']} (policy, "
        f"object) and {report['policy_wec_pairs']} (policy, WEC) pairs; load+evaluate "
        f"{load_s:.2f}s"
    )
    print(f"{'change':16} {'what-if s':>10} {'full s':>10} {'full/what-if':>13} {'+diff s':>9}")
    for row in report["changes"]:
        with_diff = row.get("what_if_and_diff_s")
        print(
            f"{row['change']:16} {row['what_if_s']:>10.4f} {row['full_s']:>10.4f} "
            f"{row['full_over_what_if']:>12.1f}x "
            + (f"{with_diff:>9.4f}" if with_diff is not None else f"{'-':>9}")
        )
    if args.sweep:
        s = report["sweep"]
        print(
            f"sweep: {s['scenarios']} one-label scenarios ({'/'.join(s['kinds'])}) in one "
            f"what-if process {s['what_if_s']:.2f}s, one resolve {s['resolve_s']:.2f}s "
            f"(medians of {s['pairs']} pairs): what-if/resolve wall "
            f"{s['what_if_over_resolve']:.2f}x (min {s['what_if_over_resolve_min']:.2f}x), "
            f"CPU {s['cpu_what_if_over_resolve']:.2f}x "
            f"(min {s['cpu_what_if_over_resolve_min']:.2f}x)"
        )


if __name__ == "__main__":
    main()
