"""`bindlog apply` against the loopback API server: what is written, what is not, and what the
server saw (requests are counted on the server side: the client's retries are invisible)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakekube import FakeKube, Fault, write_kubeconfig
from fakekube.cli import Ran, run_cli
from fakekube.scenario import CONTROL, policy_ref, populate

from bindlog import api
from bindlog.adapters.live import LiveOptions, load_live
from bindlog.export.apply import PART_OF, ApplyOptions, Report, apply_bindings, applyset_id

ROOT = Path(__file__).resolve().parent.parent
BINDINGS = "/apis/control.kubestellar.io/v1alpha1/bindings"
SET_ID = applyset_id("bindlog", "default")
NAMES = ["nothing", "team-b-gold", "web-edge"]  # one Binding per policy of the scenario


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    with FakeKube() as k:
        populate(k)
        yield k


@pytest.fixture
def kubeconfig(kube: FakeKube, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "config", {"wds1": kube})


def bindlog(kubeconfig: Path, *args: str) -> Ran:
    return run_cli(*args, "--kubeconfig", str(kubeconfig))


def apply(kubeconfig: Path, opts: ApplyOptions, **kw: Any) -> Report:
    state = load_live(LiveOptions(str(kubeconfig), "wds1"))
    run = api.run_loaded(state.loaded)
    return apply_bindings(state.wds, state.binding_resource, run.bindings, opts, **kw)


def binding(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": CONTROL, "kind": "Binding", "metadata": {"name": name}, "spec": spec}


def stored(kube: FakeKube) -> dict[str, dict[str, Any]]:
    return {
        k[3]: o
        for k, o in kube.store.objects.items()
        if k[:2] == ("control.kubestellar.io", "bindings")
    }


def test_apply_creates_then_reports_unchanged(kube: FakeKube, kubeconfig: Path) -> None:
    done = bindlog(kubeconfig, "apply", "--context", "wds1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"binding.control.kubestellar.io/{n} serverside-applied" for n in NAMES
    ]
    assert done.stderr.endswith(
        "3 serverside-applied, 0 unchanged, 0 pruned, 0 failed; "
        "written: nothing, team-b-gold, web-edge\n"
    )
    bindings = stored(kube)
    assert sorted(bindings) == NAMES
    web = bindings["web-edge"]
    assert web["metadata"]["labels"] == {PART_OF: SET_ID}
    assert web["spec"]["destinations"] == [{"clusterId": "wec1"}]
    policy = kube.store.objects[("control.kubestellar.io", "bindingpolicies", "", "web-edge")]
    assert web["metadata"]["ownerReferences"][0]["uid"] == policy["metadata"]["uid"]
    assert [m["manager"] for m in web["metadata"]["managedFields"]] == ["bindlog"]
    parent = kube.store.objects[("", "configmaps", "default", "bindlog")]["metadata"]
    assert parent["labels"] == {"applyset.kubernetes.io/id": SET_ID}
    assert parent["annotations"] == {
        "applyset.kubernetes.io/tooling": "bindlog/v0.1.0",
        "applyset.kubernetes.io/contains-group-kinds": "Binding.control.kubestellar.io",
    }
    writes = kube.count("PATCH") + kube.count("DELETE") + kube.count("PUT")
    rv = kube.store.rv
    again = bindlog(kubeconfig, "apply", "--context", "wds1")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"binding.control.kubestellar.io/{n} unchanged" for n in NAMES
    ]
    assert kube.count("PATCH") + kube.count("DELETE") + kube.count("PUT") == writes
    assert kube.store.rv == rv  # nothing written at all


def test_dry_runs_write_nothing(kube: FakeKube, kubeconfig: Path) -> None:
    done = bindlog(kubeconfig, "apply", "--context", "wds1", "--dry-run=server")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"binding.control.kubestellar.io/{n} serverside-applied (server dry run)" for n in NAMES
    ]
    assert done.stderr.endswith("written: none\n")
    patches = [p for m, p in kube.requests if m == "PATCH"]
    assert len(patches) == 4  # parent and three Bindings, all with dryRun=All
    assert all("dryRun=All" in p for p in patches)
    rv = kube.store.rv
    done = bindlog(kubeconfig, "apply", "--context", "wds1", "--dry-run=client")
    assert done.stdout.splitlines() == [
        f"binding.control.kubestellar.io/{n} serverside-applied (dry run)" for n in NAMES
    ]
    assert kube.count("PATCH") == 4  # the client dry run sent none
    assert stored(kube) == {}
    assert kube.store.rv == rv


def test_prune_removes_only_bindlogs(kube: FakeKube, kubeconfig: Path) -> None:
    kube.put(binding("foreign", {}), manager="kubestellar-controller-manager")
    assert not apply(kubeconfig, ApplyOptions()).failed
    kube.remove(policy_ref("team-b-gold"))
    done = bindlog(kubeconfig, "apply", "--context", "wds1", "--prune", "--dry-run=server")
    assert "binding.control.kubestellar.io/team-b-gold pruned (server dry run)" in done.stdout
    assert "team-b-gold" in stored(kube)
    done = bindlog(kubeconfig, "apply", "--context", "wds1", "--prune")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "binding.control.kubestellar.io/nothing unchanged",
        "binding.control.kubestellar.io/web-edge unchanged",
        "binding.control.kubestellar.io/team-b-gold pruned",
    ]
    assert sorted(stored(kube)) == ["foreign", "nothing", "web-edge"]
    # kubectl sees the same set through the part-of label, and the parent as an ApplySet
    get = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "get", "bindings.control.kubestellar.io",
         "-l", f"{PART_OF}={SET_ID}", "-o", "name"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert get.stdout.split() == [
        "binding.control.kubestellar.io/nothing",
        "binding.control.kubestellar.io/web-edge",
    ]
    kubectl_apply = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "apply", "--server-side", "--prune",
         "--applyset=configmaps/bindlog", "-n", "default", "-f", "-"],
        input=f"apiVersion: {CONTROL}\nkind: Binding\nmetadata: {{name: x}}\nspec: {{}}\n",
        env={**os.environ, "KUBECTL_APPLYSET": "true"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert 'is managed by tooling "bindlog" instead of "kubectl"' in kubectl_apply.stderr


def test_429_is_retried_after_retry_after(kube: FakeKube, kubeconfig: Path) -> None:
    kube.faults.append(Fault("PATCH", f"{BINDINGS}/web-edge", 429, retry_after=1))
    slept: list[float] = []
    report = apply(kubeconfig, ApplyOptions(), sleep=slept.append)
    assert [o.line("none") for o in report.outcomes] == [
        f"binding.control.kubestellar.io/{n} serverside-applied" for n in NAMES
    ]
    assert kube.count("PATCH", f"{BINDINGS}/web-edge") == 2
    assert kube.count("PATCH", f"{BINDINGS}/team-b-gold") == 1
    assert slept == [1.0]
    kube.faults.append(Fault("PATCH", f"{BINDINGS}/nothing", 503, times=2))
    kube.remove({"apiVersion": CONTROL, "kind": "Binding", "metadata": {"name": "nothing"}})
    report = apply(kubeconfig, ApplyOptions(), sleep=slept.append)
    assert kube.count("PATCH", f"{BINDINGS}/nothing") == 4  # 1 earlier + 2 failures + success
    assert slept[1:] == [0.2, 0.4]  # exponential backoff without Retry-After
    assert [o.name for o in report.written] == ["nothing"]


def test_failure_mid_batch_reports_exactly_what_was_written(
    kube: FakeKube, kubeconfig: Path
) -> None:
    kube.faults.append(Fault("PATCH", f"{BINDINGS}/team-b-gold", 422, message="spec: Invalid"))
    done = bindlog(kubeconfig, "apply", "--context", "wds1", "--concurrency", "1", "--prune")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "binding.control.kubestellar.io/nothing serverside-applied",
        "binding.control.kubestellar.io/team-b-gold failed: 422 Invalid: spec: Invalid",
        "binding.control.kubestellar.io/web-edge serverside-applied",
    ]
    assert done.stderr.endswith(
        "2 serverside-applied, 0 unchanged, 0 pruned, 1 failed; written: nothing, web-edge; "
        "prune skipped because some applies failed\n"
    )
    assert sorted(stored(kube)) == ["nothing", "web-edge"]
    assert kube.token not in done.stdout + done.stderr


def test_controller_owned_binding_is_a_conflict(kube: FakeKube, kubeconfig: Path) -> None:
    # KubeStellar's controller wrote web-edge with a plain update, with other contents
    kube.put(binding("web-edge", {"workload": {}}), manager="kubestellar-controller-manager")
    done = bindlog(kubeconfig, "apply", "--context", "wds1")
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if "web-edge" in x)
    assert line.startswith(
        "binding.control.kubestellar.io/web-edge failed: 409 Conflict: Apply failed with 1 "
        'conflict: conflict with "kubestellar-controller-manager" using '
        "control.kubestellar.io/v1alpha1: .spec.workload"
    )
    assert "--force-conflicts" in line
    assert stored(kube)["web-edge"]["spec"] == {"workload": {}}  # not overwritten
    # several fields: the API server lists them per manager on lines; the report keeps one line
    theirs = {"workload": {}, "destinations": [{"clusterId": "wec9"}]}
    kube.put(binding("team-b-gold", theirs), manager="kubestellar-controller-manager")
    done = bindlog(kubeconfig, "apply", "--context", "wds1")
    line = next(x for x in done.stdout.splitlines() if "team-b-gold" in x)
    assert line.startswith(
        "binding.control.kubestellar.io/team-b-gold failed: 409 Conflict: Apply failed with 2 "
        'conflicts: conflicts with "kubestellar-controller-manager" using '
        "control.kubestellar.io/v1alpha1: - .spec.destinations - .spec.workload (another"
    )
    done = bindlog(kubeconfig, "apply", "--context", "wds1", "--force-conflicts")
    assert done.returncode == 0, done.stderr
    assert "binding.control.kubestellar.io/web-edge serverside-applied" in done.stdout
    assert any("force=true" in p for m, p in kube.requests if m == "PATCH")
    assert stored(kube)["web-edge"]["spec"]["destinations"] == [{"clusterId": "wec1"}]


def test_apply_needs_a_context() -> None:
    done = run_cli("apply", "-f", "examples/nginx")
    assert done.returncode == 2
    assert "apply writes into a live WDS: give --context" in done.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "bindlog", "apply", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    ).stdout  # fmt: skip
    assert "bindlog apply fights it" in help_text
