"""Worst cases under a memory cap: every bound stops the work where it is reached.

Each case runs `python -m bindlog` in a child whose address space is capped (RLIMIT_AS), so an
input that is built before it is measured ends in MemoryError (exit 1 with "out of memory")
instead of the expected message. Sizes are scaled down with the limits to keep the suite quick:
what is checked is that the cost follows the bound, not the input. Measured figures at the
default limits are in README ("Bad and hostile input"). The timeout only guards against a hang.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from bindlog.adapters import Limits
from bindlog.adapters.bounded_parse import json_document

ROOT = Path(__file__).resolve().parent.parent
CAP = 768 * 1024 * 1024  # far below what building any of these inputs whole would take
FAILED = "bindlog: 1 problem(s) in the input; nothing written\n"


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def bindlog_capped(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", "resolve", "-o", "table", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=_capped,
        timeout=300,
        check=False,
    )


def test_a_flat_yaml_document_stops_at_the_node_bound(tmp_path: Path) -> None:
    flat = tmp_path / "flat.yaml"
    flat.write_text("[" + "0," * 4_000_000 + "0]\n")  # 8 MB, four million nodes
    done = bindlog_capped("-f", str(flat), "--max-document-nodes", "100000")
    assert done.stderr == (
        f"{flat}[doc 0]: expands to more than 100000 nodes through YAML aliases or sheer size "
        "(see --max-document-nodes)\n" + FAILED
    )
    assert done.returncode == 1


def test_a_stream_of_small_documents_stops_at_the_total_bound(tmp_path: Path) -> None:
    doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d, namespace: x}\n"
    stream = tmp_path / "stream.yaml"
    stream.write_text("".join(doc % i for i in range(200_000)))  # 2.4 million nodes
    done = bindlog_capped("-f", str(stream), "--max-total-nodes", "100000")
    # 11 nodes a document (the mapping, five keys, five values): 9,090 documents use 99,990,
    # and the 9,091st (doc 9090) crosses 100,000.
    assert done.stderr == (
        f"{stream}[doc 9090]: the input holds more than 100000 nodes in all "
        "(see --max-total-nodes)\n" + FAILED
    )
    assert done.returncode == 1


def test_a_flat_json_document_is_refused_before_it_is_built(tmp_path: Path) -> None:
    flat = tmp_path / "flat.json"
    flat.write_text("[" + "{}," * 10_000_000 + "{}]")  # 30 MB: ten million empty objects
    done = bindlog_capped("-f", str(flat))  # the default limits
    assert done.stderr == (
        f"{flat}[doc 0]: expands to more than 2000000 nodes through YAML aliases or sheer size "
        "(see --max-document-nodes)\n" + FAILED
    )
    assert done.returncode == 1


def test_alias_and_merge_key_bombs_stop_before_construction() -> None:
    for case in ("alias-bomb.yaml", "merge-key-bomb.yaml"):
        done = bindlog_capped("-f", f"tests/corpus/{case}")
        assert done.returncode == 1, done.stderr
        assert "expands to more than 2000000 nodes" in done.stderr


def _kubectl_dump(objects: int, seed: int = 7) -> str:
    """What `kubectl get -A -o json` prints: a v1 List, 4-space indent, server-set fields."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for i in range(objects):
        api, kind = rng.choice([("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "Deployment")])
        items.append(
            {
                "apiVersion": api,
                "kind": kind,
                "metadata": {
                    "name": f"obj-{i}",
                    "namespace": f"team-{i % 300}",
                    "uid": f"3f2b6c1e-1234-4cde-9abc-{i:012d}",
                    "resourceVersion": str(100000 + i),
                    "creationTimestamp": "2026-01-02T03:04:05Z",
                    "labels": {"app": f"app-{i % 500}", "tier": rng.choice(["web", "db"])},
                    "annotations": {"owner": f"team-{i % 300}"},
                },
                "data": {"key": "v" * 40},
            }
        )
    body = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return json.dumps(body, indent=4)


def test_the_defaults_admit_a_40000_object_kubectl_dump() -> None:
    text = _kubectl_dump(40_000)
    assert len(text) > 17_500_000  # at least the size of the dump the issue was filed with
    budget = Limits().budget()
    body = json_document(text, budget)
    assert len(body["items"]) == 40_000
    used = Limits().max_total_nodes - budget.total_nodes
    assert used <= Limits().max_document_nodes
    assert used > 1_000_000  # over the old default, which refused such a dump
