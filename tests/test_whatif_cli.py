"""`bindlog what-if` and `bindlog diff` end to end: exit codes, scenarios, --against, drift."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import yaml

from bindlog.cli import main

ROOT = Path(__file__).resolve().parent.parent
BASE = "tests/whatif/base.yaml"
WIDGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
---
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: w1}
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: widgets, uid: u}
spec: {clusterSelectors: [{}], downsync: [{resources: [widgets]}]}
"""


def bindlog(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# --- what-if exit codes -------------------------------------------------------------------


def test_exit_codes_with_and_without_exit_code() -> None:
    changed = bindlog("what-if", "-f", BASE, "--label", "wec/w2", "env=prod", "--exit-code")
    assert changed.returncode == 1, changed.stderr
    assert changed.stdout.startswith("2 Bindings change: +1 WEC, -1 WEC\n")
    same = bindlog("what-if", "-f", BASE, "--label", "wec/w1", "env=prod", "--exit-code")
    assert (same.returncode, same.stdout) == (0, "no Binding changes\n")
    plain = bindlog("what-if", "-f", BASE, "--label", "wec/w2", "env=prod")
    assert plain.returncode == 0


def test_bad_input_is_2_with_exit_code_and_1_without() -> None:
    bad = bindlog("what-if", "-f", BASE, "--label", "wec/nope", "env=prod", "--exit-code")
    assert bad.returncode == 2
    assert "wec/nope: no WEC (ManagedCluster) named 'nope' in the input" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert bindlog("what-if", "-f", BASE, "--label", "wec/nope", "env=prod").returncode == 1
    usage = bindlog("what-if", "-f", BASE, "--exit-code")
    assert usage.returncode == 2
    assert "nothing to try" in usage.stderr


def test_bad_labels_and_targets_are_named() -> None:
    cases = {
        ("--label", "wec/w1", "bad key=x"): "invalid key 'bad key'",
        ("--label", "wec/w1", "env=not ok"): "invalid value 'not ok'",
        ("--label", "wec/w1", "env"): "expected KEY=VALUE to set or KEY- to remove",
        ("--label", "bp/db", "a=b"): "labels of a BindingPolicy do not take part",
        ("--label", "configmaps/cfg", "a=b"): "names several objects",
        ("--delete", "deploy/web", "-n", "team-b"): "no object deploy/web in namespace 'team-b'",
        ("--delete", "widgets/x"): "no object widgets/x",
    }
    for flags, message in cases.items():
        code, out, err = run("what-if", "-f", BASE, *flags, "--exit-code")
        assert (code, out) == (2, ""), flags
        assert message in err, (flags, err)


def test_input_errors_are_2_with_exit_code() -> None:
    code, _, err = run(
        "what-if", "-f", "tests/whatif/missing.yaml", "--delete", "wec/w", "--exit-code"
    )
    assert code == 2
    assert "no such file or directory" in err


# --- apply-file ---------------------------------------------------------------------------


def test_apply_file_maps_kinds_with_the_input_crds(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(WIDGETS)
    new = tmp_path / "new.yaml"
    new.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x, namespace: n}\n")
    code, out, err = run("what-if", "-f", str(base), "--apply-file", str(new), "--exit-code")
    assert code == 1, err
    # The policy already selects w1, so its Binding exists and only gains the object.
    assert out == "1 Binding changes: +1 object\nBinding widgets\n  + widgets.example.com/n/x\n"


def test_apply_file_is_validated_like_the_input(tmp_path: Path) -> None:
    new = tmp_path / "bad.yaml"
    new.write_text(
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        "metadata: {name: w9, labels: {'bad key': x}}\n"
    )
    code, _, err = run("what-if", "-f", BASE, "--apply-file", str(new), "--exit-code")
    assert code == 2
    assert f"{new}[doc 0] ManagedCluster/w9: metadata.labels" in err
    binding = tmp_path / "binding.yaml"
    binding.write_text(
        "apiVersion: control.kubestellar.io/v1alpha1\nkind: Binding\nmetadata: {name: b}\n"
    )
    code, _, err = run("what-if", "-f", BASE, "--apply-file", str(binding), "--exit-code")
    assert code == 2
    assert "a Binding cannot be applied" in err


# --- scenarios ----------------------------------------------------------------------------

SCENARIOS = """\
- name: w2 to prod
  label: [{target: wec/w2, set: {env: prod}}]
- name: nothing
  label: [{target: namespace/team-a, set: {tier: gold}}]
- name: drop gold-ns, add a WEC
  delete: [{target: bindingpolicy/gold-ns}]
  apply:
  - apiVersion: cluster.open-cluster-management.io/v1
    kind: ManagedCluster
    metadata: {name: w3, labels: {env: prod}}
- name: relabel a service
  label: [{target: svc/db, namespace: team-b, set: {app: web}, unset: [tier]}]
"""


def test_scenarios_are_independent_and_reported_each(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIOS)
    done = bindlog("what-if", "-f", BASE, "--scenarios", str(path), "-o", "json", "--exit-code")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    got = [(s["name"], s["summary"]) for s in doc["scenarios"]]
    assert got == [
        ("w2 to prod", "2 Bindings change: +1 WEC, -1 WEC"),
        ("nothing", "no Binding changes"),
        # Independent: w2 is still dev here, so only prod-web gains w3.
        ("drop gold-ns, add a WEC", "2 Bindings change (1 deleted): +1 WEC, -2 WECs, -1 object"),
        ("relabel a service", "2 Bindings change: +1 object, -1 object"),
    ]
    text = bindlog("what-if", "-f", BASE, "--scenarios", str(path)).stdout
    assert "scenario nothing: no Binding changes\n" in text
    as_yaml = yaml.safe_load(
        bindlog("what-if", "-f", BASE, "--scenarios", str(path), "-o", "yaml").stdout
    )
    assert as_yaml == doc


def test_scenario_errors_name_file_scenario_and_field(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "- name: a\n  label: [{target: wec/nope, set: {x: y}}]\n"
        "- name: b\n  labels: []\n"
        "- name: a\n"
        "- name: c\n  label: [{target: wec/w1, set: {x: 1}}]\n"
        "- name: d\n  apply: [{apiVersion: v1, kind: ConfigMap,\n"
        "    metadata: {name: 'Bad_Name', namespace: x}}]\n"
    )
    code, out, err = run("what-if", "-f", BASE, "--scenarios", str(path), "--exit-code")
    assert (code, out) == (2, "")
    assert f"{path}[doc 0] scenario a: [0].label[0]: wec/nope: no WEC" in err
    assert f"{path}[doc 0] scenario b: [1].labels: Unknown field" in err
    assert f"{path}[doc 0] scenario a: [2].name: Duplicate value: 'a'" in err
    assert (
        f"{path}[doc 0] scenario c: [3].label[0].set: Invalid value: label values must be strings"
        in err
    )
    assert f"{path}[doc 0] scenario d: [4].apply[0].metadata.name: Invalid value" in err
    path.write_text("name: not a list\n")
    code, _, err = run("what-if", "-f", BASE, "--scenarios", str(path), "--exit-code")
    assert code == 2
    assert "a scenarios file is a YAML list" in err


def test_scenarios_do_not_mix_with_inline_changes(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIOS)
    code, _, err = run("what-if", "-f", BASE, "--scenarios", str(path), "--delete", "wec/w1")
    assert code == 2
    assert "--scenarios cannot be combined" in err


# --- explain ------------------------------------------------------------------------------


def test_explain_attaches_a_proof_to_added_and_a_refutation_to_removed_pairs() -> None:
    code, out, err = run(
        "what-if", "-f", BASE, "--label", "wec/w2", "env=prod", "-o", "json", "--explain"
    )
    assert code == 0, err
    doc = json.loads(out)
    pairs = [(e["binding"], e["object"]["name"], e["wec"], e["pair"]) for e in doc["explanations"]]
    assert pairs == [
        ("db", "cfg", "w2", "removed"),
        ("db", "db", "w2", "removed"),
        ("prod-web", "cfg", "w2", "added"),
        ("prod-web", "web", "w2", "added"),  # the Deployment
        ("prod-web", "web", "w2", "added"),  # the HorizontalPodAutoscaler
    ]
    added = doc["explanations"][2]["explanation"]
    assert added["bound"] is True
    assert added["proofs"]
    removed = doc["explanations"][0]["explanation"]
    assert removed["bound"] is False
    assert [v["policy"] for v in removed["notBound"]] == ["db"]
    assert removed["notBound"][0]["selectsWec"] is False
    assert doc["explanationsLeftOut"] == 0


def test_explain_of_deleted_entities_says_so() -> None:
    code, out, _ = run(
        "what-if", "-f", BASE, "--delete", "bp/gold-ns", "--explain", "--explain-limit", "1"
    )
    assert code == 0
    assert (
        "- configmaps/team-a/cfg on WEC w1 (Binding gold-ns):\n"
        "    BindingPolicy 'gold-ns' is no longer in the input\n" in out
    )
    assert "... 1 more pair(s) not explained" in out


# --- diff ---------------------------------------------------------------------------------


def test_diff_against_another_input(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(
        Path(BASE).read_text().replace("{env: dev, region: eu}", "{env: prod, region: eu}")
    )
    done = bindlog("diff", "-f", BASE, "--against", str(new))
    assert done.returncode == 1, done.stderr
    assert (
        done.stdout == "2 Bindings change: +1 WEC, -1 WEC\n"
        "Binding db\n  - WEC w2\nBinding prod-web\n  + WEC w2\n"
    )
    same = bindlog("diff", "-f", BASE, "--against", BASE, "-o", "json")
    assert same.returncode == 0
    assert json.loads(same.stdout)["changed"] is False
    bad = bindlog("diff", "-f", BASE, "--against", str(tmp_path / "missing.yaml"))
    assert bad.returncode == 2
    assert "no such file or directory" in bad.stderr


def test_drift_against_bindings_in_the_input(tmp_path: Path) -> None:
    computed = yaml.safe_load_all(bindlog("resolve", "-f", BASE).stdout)
    live = []
    for b in computed:
        # What a cluster adds: none of it is compared.
        b["metadata"].update(uid="1", resourceVersion="9", managedFields=[{"manager": "m"}])
        b["status"] = {"observedGeneration": 1}
        live.append(b)
    live.append(
        {
            "apiVersion": "control.kubestellar.io/v1alpha1",
            "kind": "Binding",
            "metadata": {"name": "hand-made"},
            "spec": {"destinations": [{"clusterId": "x"}]},
        }
    )
    (tmp_path / "bindings.yaml").write_text(yaml.safe_dump_all(live))
    (tmp_path / "input.yaml").write_text(Path(BASE).read_text())
    done = bindlog("diff", "-f", str(tmp_path))
    assert (done.returncode, done.stdout) == (0, "no Binding changes\n"), done.stderr
    assert "Binding/hand-made: no BindingPolicy of that name; not compared" in done.stderr
    # A controller that has not caught up: its Binding of db still lists w10.
    live[0]["spec"]["destinations"].append({"clusterId": "w10"})
    (tmp_path / "bindings.yaml").write_text(yaml.safe_dump_all(live))
    drift = bindlog("diff", "-f", str(tmp_path))
    assert drift.returncode == 1
    assert drift.stdout == "1 Binding changes: -1 WEC\nBinding db\n  - WEC w10\n"


def test_drift_with_a_malformed_binding_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "input.yaml").write_text(
        Path(BASE).read_text() + "---\napiVersion: control.kubestellar.io/v1alpha1\nkind: Binding\n"
        "metadata: {name: db}\nspec: {destinations: [{clusterId: 7}]}\n"
    )
    code, _, err = run("diff", "-f", str(tmp_path))
    assert code == 2
    assert "Binding/db: spec.destinations[0].clusterId: Required value" in err


def test_apply_file_may_carry_an_input_crd_again_and_warns_like_loading(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(WIDGETS)
    new = tmp_path / "new.yaml"
    crd = WIDGETS.split("---\n")[0]
    policy = (
        "apiVersion: control.kubestellar.io/v1alpha1\nkind: BindingPolicy\n"
        "metadata: {name: widgets, uid: u}\nspec: {clusterSelectors: [{}], downsync: "
        "[{resources: [widgets], objectSelectors: [{matchLabels: {'bad key': x}}]}]}\n"
    )
    new.write_text(crd + "---\n" + policy)
    code, out, err = run("what-if", "-f", str(base), "--apply-file", str(new), "--exit-code")
    # The skipped selector selects nothing, as KubeStellar skips it: the Binding keeps its WEC.
    assert (code, out) == (0, "no Binding changes\n"), err
    assert "warning: " in err
    assert "invalid selector skipped" in err


def test_stdin_is_read_once() -> None:
    code, _, err = run("what-if", "-f", "-", "--apply-file", "-")
    assert code == 2
    assert "stdin (-) can be read by -f or by --apply-file, not both" in err


def test_a_scenarios_alias_bomb_is_measured_not_walked(tmp_path: Path) -> None:
    lines = ["- name: bomb", "  apply:", "  - &a0 {apiVersion: v1, kind: ConfigMap, x: [1]}"]
    bomb = "a0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for i in range(1, 12):
        bomb += f"a{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
    path = tmp_path / "s.yaml"
    path.write_text(
        "\n".join(lines[:2]) + "\n  - apiVersion: v1\n    kind: ConfigMap\n"
        "    metadata: {name: c, namespace: n}\n    data:\n"
        + "".join(f"      {line}\n" for line in bomb.splitlines())
    )
    code, _, err = run("what-if", "-f", BASE, "--scenarios", str(path), "--exit-code")
    assert code == 2
    assert "expands to more than 2000000 nodes through YAML aliases" in err


def test_quiet_and_verbose_apply_to_load_warnings() -> None:
    # examples/nginx's two policies have no uid: one warning, which -q silences.
    args = ("what-if", "-f", "examples/nginx", "--label", "wec/cloud1", "location-group=edge")
    warning = (
        "warning: examples/nginx/policies.yaml[doc 0] BindingPolicy/nginx: metadata.uid: not set "
        "(and 1 more): Bindings are written without ownerReferences (the API server rejects an "
        "empty uid; KubeStellar uses the live policy's uid)\n"
    )
    assert run(*args)[2] == warning
    assert run(*args, "-v")[2] == warning
    code, out, err = run(*args, "-q")
    assert (code, err) == (0, "")
    assert out.startswith("1 Binding changes: +1 WEC\n")
