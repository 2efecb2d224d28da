"""Live benchmark against the loopback API server of the test suite (no cluster needed).

M scale (1k WECs, 10k objects, 200 policies, hence 200 Bindings), each bindlog run in its own
process against the server in this one: `resolve --context` (live load and resolution: the
baseline), the first `apply` (every Binding written), a second one (nothing changed: nothing
written), each with its wall time and the requests and writes the server saw; then `bindlog
watch --apply` and the latency from a WEC relabel (the change reaching the server's store) to
the first apply request it causes. Figures are printed, never asserted.

    python benchmarks/bench_apply.py [--size M] [--relabels 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from fakekube import FakeKube, Resource, write_kubeconfig  # noqa: E402
from fakekube.server import DEFAULT_RESOURCES  # noqa: E402
from generate import generate  # noqa: E402

RESOURCES = (*DEFAULT_RESOURCES, Resource("batch", "v1", "jobs", "Job", True))
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def populate(kube: FakeKube, directory: Path) -> int:
    count = 0
    for path in sorted(directory.glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            for doc in yaml.load_all(fh, Loader=_Loader):
                kube.store.create(kube.key(doc), doc, "bench")
                count += 1
    return count


def writes(kube: FakeKube) -> int:
    return sum(1 for m, _ in list(kube.requests) if m in ("PATCH", "PUT", "POST", "DELETE"))


def cli(kubeconfig: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run bindlog in its own process (the server here must not share its GIL), timed."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bindlog", *args, "--kubeconfig", str(kubeconfig),
         "--context", "wds1"],
        cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"bindlog {args[0]} failed: {done.stderr[-2000:]}")
    return elapsed, done


def measured(kube: FakeKube, kubeconfig: Path, *args: str) -> dict[str, Any]:
    before = (len(kube.requests), writes(kube))
    elapsed, done = cli(kubeconfig, *args)
    return {
        "wall_s": round(elapsed, 3),
        "server_requests": len(kube.requests) - before[0],
        "server_writes": writes(kube) - before[1],
        "summary": done.stderr.strip().splitlines()[-1].split("; written")[0]
        if args[0] == "apply"
        else "",
    }


def wait_quiet(kube: FakeKube, seconds: float, limit: float = 300) -> None:
    """Until the server has seen no request for `seconds` (watch streams stay open)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        last = kube.request_times[-1] if kube.request_times else 0.0
        if time.monotonic() - last >= seconds:
            return
        time.sleep(0.1)


def watch_latency(kube: FakeKube, kubeconfig: Path, n: int) -> list[float]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bindlog", "watch", "--apply", "--kubeconfig", str(kubeconfig),
         "--context", "wds1", "-o", "json"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("bindlog: watching"):
                break
        else:
            raise SystemExit("watch ended before watching")
        wait_quiet(kube, 3.0)
        # WECs bound somewhere: dropping their labels changes at least one Binding
        stored = [
            o
            for k, o in kube.store.objects.items()
            if k[:2] == ("control.kubestellar.io", "bindings")
        ]
        bound = sorted({d["clusterId"] for b in stored for d in b["spec"].get("destinations", [])})
        latencies = []
        for name in bound[:n]:
            mark = len(kube.requests)
            t0 = time.monotonic()
            cluster = {
                "apiVersion": "cluster.open-cluster-management.io/v1",
                "kind": "ManagedCluster",
                "metadata": {"name": name, "labels": {"name": name}},
            }
            kube.put(cluster)
            deadline = t0 + 120
            while time.monotonic() < deadline:
                hits = [
                    t
                    for (m, p), t in zip(
                        kube.requests[mark:], kube.request_times[mark:], strict=False
                    )
                    if m == "PATCH" and "/bindings/" in p
                ]
                if hits:
                    latencies.append(round(hits[0] - t0, 3))
                    break
                time.sleep(0.005)
            wait_quiet(kube, 3.0)  # that change's applies done before the next one
        return latencies
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if proc.stderr is not None:
            proc.stderr.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="M")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--relabels", type=int, default=3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bindlog-bench-apply-"))
    generate(args.size, data)
    with FakeKube(resources=RESOURCES, lifetime=3600) as kube:
        objects = populate(kube, data)
        kubeconfig = write_kubeconfig(data / "kubeconfig", {"wds1": kube})
        resolve = measured(kube, kubeconfig, "resolve", "-o", "json")
        conc = ["--concurrency", str(args.concurrency)]
        first = measured(kube, kubeconfig, "apply", *conc)
        second = measured(kube, kubeconfig, "apply", *conc)
        latencies = watch_latency(kube, kubeconfig, args.relabels)
    figures = {
        "size": args.size,
        "objects_in_server": objects,
        "concurrency": args.concurrency,
        "resolve_live (load + resolve, baseline)": resolve,
        "apply_first (everything written)": first,
        "apply_second (nothing changed)": second,
        "apply_first_over_resolve": round(first["wall_s"] / resolve["wall_s"], 2),
        "watch_relabel_to_apply_s": latencies,
        "watch_relabel_to_apply_median_s": statistics.median(latencies) if latencies else None,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
