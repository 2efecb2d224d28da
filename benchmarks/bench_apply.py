"""Live benchmark against the loopback API server of the test suite (no cluster needed).

M scale (1k WECs, 10k objects, 200 policies, hence 200 Bindings): the live load (discovery and
paginated lists), the first `apply` (every Binding written), a second one (nothing changed:
nothing written), each with the requests the server saw and the wall time; then `bindlog watch
--apply` in a subprocess and the latency from a WEC relabel (the change reaching the server's
store) to the first apply request for a Binding it changes. Figures are printed, never asserted.

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

from bindlog import api  # noqa: E402
from bindlog.adapters.live import LiveOptions, load_live  # noqa: E402
from bindlog.export.apply import ApplyOptions, apply_bindings  # noqa: E402

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


def timed_apply(kubeconfig: Path, concurrency: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    state = load_live(LiveOptions(str(kubeconfig), "wds1", pool_size=concurrency))
    t1 = time.perf_counter()
    run = api.run_loaded(state.loaded)
    t2 = time.perf_counter()
    opts = ApplyOptions(concurrency=concurrency)
    report = apply_bindings(state.wds, state.binding_resource, run.bindings, opts)
    t3 = time.perf_counter()
    return {
        "bindings": len(run.bindings),
        "written": len(report.written),
        "failed": len(report.failed),
        "load_s": round(t1 - t0, 3),
        "resolve_s": round(t2 - t1, 3),
        "apply_s": round(t3 - t2, 3),
        "apply_requests_client": report.requests,
        "_state": state,
        "_bindings": run.bindings,
    }


def watch_latency(kube: FakeKube, kubeconfig: Path, bindings: list[Any], n: int) -> list[float]:
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
        # WECs bound somewhere: dropping their labels changes at least one Binding
        bound = sorted(
            {d["clusterId"] for b in bindings for d in b["spec"].get("destinations", [])}
        )
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
            time.sleep(1.0)  # let that change's applies finish before the next one
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
        before = (len(kube.requests), writes(kube))
        first = timed_apply(kubeconfig, args.concurrency)
        mid = (len(kube.requests), writes(kube))
        second = timed_apply(kubeconfig, args.concurrency)
        after = (len(kube.requests), writes(kube))
        latencies = watch_latency(kube, kubeconfig, first["_bindings"], args.relabels)
    figures = {
        "size": args.size,
        "objects_in_server": objects,
        "concurrency": args.concurrency,
        "first": {k: v for k, v in first.items() if not k.startswith("_")}
        | {"server_requests": mid[0] - before[0], "server_writes": mid[1] - before[1]},
        "second": {k: v for k, v in second.items() if not k.startswith("_")}
        | {"server_requests": after[0] - mid[0], "server_writes": after[1] - mid[1]},
        "watch_relabel_to_apply_s": latencies,
        "watch_relabel_to_apply_median_s": statistics.median(latencies) if latencies else None,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
