"""What users wait for: whole `bindlog` processes against a bare YAML parse of the same files.

Table 1 times each command as a user runs it (a fresh `python -m bindlog` process, output to a
file) against a fresh process that only parses the same files with PyYAML's C safe loader.
Runs are paired and alternate (parse, command, parse, command, ...) so both see the same machine
load; the table gives the min and median of the per-pair ratios of wall time, the median seconds
of each, the peak RSS of each child (from wait4, so each process's own peak), and the min and
median ratios of CPU time (user + system), which other load on the machine disturbs less.

Table 2 breaks one in-process resolve into stages (parse, validate+IR, facts, evaluate, export,
render) with the pairs it selected, the cyclic collector off as in the CLI; `--trace-memory`
adds tracemalloc's peak per stage.

Figures are ratios to the parse of the same input in the same run, never asserted. Inputs come
from generate.py and are cached under benchmarks/data/ (L takes a minute to write). L holds more
nodes than the default input limits admit: its runs pass the limits in `LIMITS`.

Children run with compiled bytecode, as an installed package does (pip compiles it): bindlog is
compiled once into a cache of the run's own (PYTHONPYCACHEPREFIX), whatever
PYTHONDONTWRITEBYTECODE says, so no child pays for compiling ~100 modules. PyYAML, the parse's
only import, is compiled where it is installed.

    python benchmarks/bench.py --sizes S M L --density sparse dense --repeat 5
    python benchmarks/bench.py --sizes S --repeat 1          # the CI smoke run
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import DENSITIES, SIZES, TARGETS, ensure  # noqa: E402

FILES = ("clusters.yaml", "workload.yaml", "policies.yaml")
PARSE = (
    "import sys, yaml\n"
    "for path in sys.argv[1:]:\n"
    "    with open(path, 'rb') as fh:\n"
    "        list(yaml.load_all(fh, Loader=yaml.CSafeLoader))\n"
)


# Input limits a size needs beyond the defaults (L: ~100k objects, millions of YAML nodes), as
# `Limits` fields; the CLI is given them as flags of the same names (--max-yaml-nodes ...).
LIMITS: dict[str, dict[str, int]] = {
    "L": {"max_yaml_nodes": 40_000_000, "max_total_nodes": 40_000_000},
}


def limit_flags(size: str) -> tuple[str, ...]:
    fields = LIMITS.get(size, {})
    return tuple(arg for f, v in fields.items() for arg in (f"--{f.replace('_', '-')}", str(v)))


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]  # after `bindlog`, before the input flags
    exit_code: int = 0


def commands() -> list[Command]:
    obj, ns, wec = TARGETS["object"], TARGETS["namespace"], TARGETS["bound_wec"]
    return [
        Command("resolve -o json", ("resolve", "-o", "json")),
        Command("resolve -o yaml", ("resolve", "-o", "yaml")),
        Command("why bound", ("why", obj, "-n", ns, "--wec", wec)),
        Command("why unbound", ("why", TARGETS["unbound_object"], "-n", ns, "--wec", wec)),
        Command("why (no --wec)", ("why", obj, "-n", ns)),
        Command("why unknown", ("why", TARGETS["unknown_object"], "-n", ns), exit_code=1),
    ]


@dataclass
class Run:
    seconds: float  # wall clock
    cpu: float  # user + system CPU seconds: less sensitive to other load on the machine
    peak_mib: float


def child_env(pycache: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_bindlog(env: dict[str, str]) -> None:
    """Bytecode for every bindlog module, into the run's cache, before anything is timed."""
    argv = [sys.executable, "-m", "compileall", "-q", str(ROOT / "bindlog")]
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)


def run_child(argv: list[str], out: Path, expect: int, env: dict[str, str]) -> Run:
    """Run one child to completion; wall time and its own peak RSS (wait4's rusage)."""
    with open(out, "wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, env=env)
        assert child.stderr is not None
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    if child.returncode != expect:
        raise SystemExit(
            f"{' '.join(argv)}: exit {child.returncode}, expected {expect}\n{stderr.decode()}"
        )
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def whole_process(
    directory: Path, selected: list[Command], repeat: int, limits: tuple[str, ...], pycache: Path
) -> list[dict[str, Any]]:
    files = [str(directory / f) for f in FILES]
    parse_argv = [sys.executable, "-c", PARSE, *files]
    inputs = [arg for f in files for arg in ("-f", f)]
    env = child_env(pycache)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bindlog-bench-") as tmp:
        out = Path(tmp) / "out"
        for command in selected:
            argv = [sys.executable, "-m", "bindlog", *command.argv, *inputs, *limits]
            parses, runs = [], []
            for _ in range(repeat):  # paired, alternating
                parses.append(run_child(parse_argv, out, 0, env))
                runs.append(run_child(argv, out, command.exit_code, env))
            pairs = list(zip(parses, runs, strict=True))
            ratios = [r.seconds / p.seconds for p, r in pairs]
            cpu_ratios = [r.cpu / p.cpu for p, r in pairs]
            rows.append(
                {
                    "command": command.label,
                    "parse_s": statistics.median(p.seconds for p in parses),
                    "bindlog_s": statistics.median(r.seconds for r in runs),
                    "ratio_min": min(ratios),
                    "ratio_median": statistics.median(ratios),
                    "cpu_ratio_min": min(cpu_ratios),
                    "cpu_ratio_median": statistics.median(cpu_ratios),
                    "parse_mib": max(p.peak_mib for p in parses),
                    "bindlog_mib": max(r.peak_mib for r in runs),
                }
            )
    return rows


def stages(directory: Path, repeat: int, trace_memory: bool, size: str) -> dict[str, Any]:
    """One in-process resolve, stage by stage (run in a child of its own: see main), without
    the cyclic collector, as `python -m bindlog` runs."""
    gc.disable()
    import tracemalloc

    from bindlog.adapters import Limits
    from bindlog.adapters.manifests import build_snapshot
    from bindlog.adapters.yaml_files import read_documents
    from bindlog.engine.evaluate import evaluate
    from bindlog.engine.facts import encode
    from bindlog.export import render
    from bindlog.export.bindings import bindings

    paths = [str(directory)]
    best: dict[str, float] = {}
    peaks: dict[str, float] = {}
    pairs = wec_pairs = 0
    for _ in range(repeat):
        if trace_memory:
            tracemalloc.start()
        times: dict[str, float] = {}

        def stage(name: str, start: float, times: dict[str, float] = times) -> float:
            now = time.perf_counter()
            times[name] = now - start
            if trace_memory:
                peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.reset_peak()
            return now

        t = time.perf_counter()
        problems: list[Any] = []
        limits = Limits(**LIMITS.get(size, {}))
        documents = list(read_documents(paths, problems, limits=limits))
        if problems:  # a limit reached would time a part of the input
            raise SystemExit(f"{directory}: {problems[0]}")
        t = stage("parse", t)
        snapshot, _ = build_snapshot(documents)
        del documents
        t = stage("validate+IR", t)
        encode(snapshot)
        t = stage("facts", t)
        result = evaluate(snapshot)
        t = stage("evaluate", t)
        times["evaluate"] -= times["facts"]  # evaluate() encodes again
        docs = bindings(result)
        t = stage("export", t)
        render.to_json(docs)
        t = stage("render json", t)
        render.to_yaml(docs)
        stage("render yaml", t)
        pairs = sum(len(r.objects) for r in result.resolutions)
        wec_pairs = sum(len(r.destinations) for r in result.resolutions)
        for name, seconds in times.items():
            best[name] = min(seconds, best.get(name, seconds))
        del result, docs, snapshot
        if trace_memory:
            tracemalloc.stop()
    return {
        "stages_s": best,
        "stages_peak_mib": peaks,
        "policy_object_pairs": pairs,
        "policy_wec_pairs": wec_pairs,
    }


def _print_whole(size: str, density: str, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        print(
            f"{size:4} {density:6} {r['command']:16} {r['ratio_min']:7.2f} "
            f"{r['ratio_median']:7.2f} {r['parse_s']:8.3f} {r['bindlog_s']:9.3f} "
            f"{r['parse_mib']:8.0f} {r['bindlog_mib']:9.0f} "
            f"{r['cpu_ratio_min']:7.2f} {r['cpu_ratio_median']:7.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["S", "M"])
    parser.add_argument("--density", nargs="+", choices=DENSITIES, default=list(DENSITIES))
    parser.add_argument("--repeat", type=int, default=3, help="paired runs per command")
    parser.add_argument(
        "--commands",
        nargs="+",
        metavar="LABEL",
        help="only the commands whose label starts with one of these (e.g. resolve 'why bound')",
    )
    parser.add_argument("--no-stages", action="store_true", help="skip the stage table")
    parser.add_argument("--trace-memory", action="store_true", help="tracemalloc peak per stage")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--stages-of", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stages-size", default="M", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages_of:
        report = stages(args.stages_of, args.repeat, args.trace_memory, args.stages_size)
        print(json.dumps(report))
        return
    with tempfile.TemporaryDirectory(prefix="bindlog-pycache-") as pycache:
        _bench(args, Path(pycache))


def _bench(args: argparse.Namespace, pycache: Path) -> None:
    env = child_env(pycache)
    compile_bindlog(env)
    selected = [
        c
        for c in commands()
        if not args.commands or any(c.label.startswith(p) for p in args.commands)
    ]
    report: dict[str, Any] = {"whole_process": {}, "stages": {}}
    inputs = {(s, d): ensure(s, args.data, d) for s in args.sizes for d in args.density}
    print("Whole process vs a bare CSafeLoader parse of the same files (paired runs)")
    print(
        f"{'size':4} {'input':6} {'command':16} {'min x':>7} {'med x':>7} "
        f"{'parse s':>8} {'bindlog s':>9} {'parse MiB':>8} {'bindlog MiB':>9} "
        f"{'cpu min':>7} {'cpu med':>7}"
    )
    for (size, density), directory in inputs.items():
        limits = limit_flags(size)
        rows = whole_process(directory, selected, args.repeat, limits, pycache)
        report["whole_process"][f"{size}-{density}"] = rows
        _print_whole(size, density, rows)
    if args.no_stages:
        return _write(args.json, report)
    names = ["parse", "validate+IR", "facts", "evaluate", "export", "render json", "render yaml"]
    print("\nIn-process resolve by stage (seconds, min of --repeat; MiB: tracemalloc peak)")
    print(f"{'size':4} {'input':6} " + " ".join(f"{n:>11}" for n in names) + "   pairs(obj/wec)")
    for (size, density), directory in inputs.items():
        child = [sys.executable, __file__, "--stages-of", str(directory), "--stages-size", size]
        child += ["--repeat", str(args.repeat)] + (["--trace-memory"] if args.trace_memory else [])
        out = subprocess.run(child, check=True, capture_output=True, text=True, env=env).stdout
        r = json.loads(out.strip().splitlines()[-1])
        report["stages"][f"{size}-{density}"] = r
        cells = " ".join(f"{r['stages_s'][n]:11.3f}" for n in names)
        print(f"{size:4} {density:6} {cells}   {r['policy_object_pairs']}/{r['policy_wec_pairs']}")
        if args.trace_memory:
            cells = " ".join(f"{r['stages_peak_mib'][n]:11.0f}" for n in names)
            print(f"{'':4} {'MiB':6} {cells}")
    _write(args.json, report)


def _write(path: Path | None, report: dict[str, Any]) -> None:
    if path:
        path.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
