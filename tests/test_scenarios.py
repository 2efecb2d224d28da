"""Golden scenarios: inputs plus the Bindings KubeStellar would write, derived by hand.

`tests/scenarios/<name>/` holds the input manifests, and either `expected-bindings.yaml` (the
Bindings in full) or `expected.yaml` (a compact form, one line per Binding, expanded below into
KubeStellar's schema by this file, independently of bindlog). Optional `expected-warnings.txt`
pins stderr; `expected-status.txt` pins `bindlog status -o json`. `invalid-<name>/` directories
hold bad input and `expected-error.txt`, the exact stderr (exit 1, nothing on stdout).
Each README.md says which rule of KubeStellar's the scenario pins.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
API = "control.kubestellar.io/v1alpha1"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if p.is_dir())


def _inputs(directory: Path) -> list[str]:
    files = sorted(
        p for p in directory.iterdir() if not p.name.startswith("expected") and p.suffix != ".md"
    )
    return [a for p in files for a in ("-f", str(p.relative_to(ROOT)))]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _entry(text: str) -> tuple[bool, dict[str, Any]]:
    """`group/version/resource/namespace/name rv=X [createOnly] [sc=a,b] [singleton] [multi]`"""
    head, *flags = text.split()
    group, version, resource, namespace, name = head.split("/")
    entry: dict[str, Any] = {"group": group, "version": version, "resource": resource}
    if namespace:
        entry["namespace"] = namespace
    entry["name"] = name
    options = {f.partition("=")[0]: f.partition("=")[2] for f in flags}
    entry["resourceVersion"] = options.pop("rv")
    if "createOnly" in options:
        entry["createOnly"] = True
    if "sc" in options:
        entry["statusCollectors"] = options["sc"].split(",")
    if "singleton" in options:
        entry["wantSingletonReportedState"] = True
    if "multi" in options:
        entry["wantMultiWECReportedState"] = True
    return bool(namespace), entry


def _expand(compact: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, spec in compact.items():
        scopes: dict[str, list[dict[str, Any]]] = {"clusterScope": [], "namespaceScope": []}
        for namespaced, entry in map(_entry, spec["objects"]):
            scopes["namespaceScope" if namespaced else "clusterScope"].append(entry)
        workload = {key: entries for key, entries in scopes.items() if entries}
        binding_spec: dict[str, Any] = {"workload": workload}
        if spec["destinations"]:
            binding_spec["destinations"] = [{"clusterId": c} for c in spec["destinations"]]
        metadata: dict[str, Any] = {"name": name}
        if spec.get("uid"):  # no uid in the input: no owner reference (the API needs one)
            owner = {
                "apiVersion": API,
                "kind": "BindingPolicy",
                "name": name,
                "uid": spec["uid"],
                "controller": True,
                "blockOwnerDeletion": False,
            }
            metadata["ownerReferences"] = [owner]
        out.append(
            {"apiVersion": API, "kind": "Binding", "metadata": metadata, "spec": binding_spec}
        )
    return out


def test_enough_scenarios() -> None:
    assert len([n for n in NAMES if not n.startswith("invalid-")]) >= 20
    assert len([n for n in NAMES if n.startswith("invalid-")]) >= 8
    for name in NAMES:
        assert (SCENARIOS / name / "README.md").is_file(), name


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name: str, request: pytest.FixtureRequest) -> None:
    directory = SCENARIOS / name
    update = request.config.getoption("--update-goldens", default=False)
    done = _run("resolve", *_inputs(directory))
    if name.startswith("invalid-"):
        assert done.returncode == 1
        assert done.stdout == ""
        if update:
            (directory / "expected-error.txt").write_text(done.stderr)
        assert done.stderr == (directory / "expected-error.txt").read_text()
        return
    assert done.returncode == 0, done.stderr
    actual = list(yaml.safe_load_all(done.stdout))
    full = directory / "expected-bindings.yaml"
    if full.exists():
        expected = yaml.safe_load(full.read_text())
    else:
        expected = _expand(yaml.safe_load((directory / "expected.yaml").read_text()))
    assert actual == expected
    # Key order is part of KubeStellar's serialised form: compare the text, too.
    rendered = yaml.safe_dump_all(expected, sort_keys=False, explicit_start=True)
    assert done.stdout == rendered
    warnings = directory / "expected-warnings.txt"
    assert done.stderr == (warnings.read_text() if warnings.exists() else "")
    status = directory / "expected-status.txt"
    if status.exists():
        report = _run("status", *_inputs(directory), "-o", "json")
        assert report.returncode == 0
        assert report.stdout == status.read_text()
