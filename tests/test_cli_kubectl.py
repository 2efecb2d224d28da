"""kubectl conventions end to end: output formats, --no-headers, -l, -n/-A, version, completion,
help examples, "did you mean", exit codes of the CI gates. Goldens in tests/cli/ were derived by
hand from examples/nginx (see the comments at each use)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "cli"
EXAMPLE = "examples/nginx"
FIXTURE = "tests/explain/fixture"


def no_uid_warning(more: int) -> str:
    """The one warning for policies without a uid (the example's have none), as stderr shows it."""
    return (
        "warning: examples/nginx/policies.yaml[doc 0] BindingPolicy/nginx: metadata.uid: not set "
        f"(and {more} more): Bindings are written without ownerReferences (the API server rejects "
        "an empty uid; KubeStellar uses the live policy's uid)"
    )


def bindlog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bindlog", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


# --- output formats (nginx: policy nginx -> cluster1, cluster2 with the Namespace and the
# create-only Deployment; nginx-config-everywhere -> all three WECs with the ConfigMap) -------


@pytest.mark.parametrize(
    ("args", "golden"),
    [
        (["-o", "wide"], "resolve-wide.txt"),
        (["-o", "name"], "resolve-name.txt"),
        (
            [
                "-o",
                'jsonpath={range .items[*]}{.metadata.name}{"\\t"}'
                '{.spec.destinations[*].clusterId}{"\\n"}{end}',
            ],
            "resolve-jsonpath.txt",
        ),
        (
            [
                "-o",
                "custom-columns=NAME:.metadata.name,WECS:.spec.destinations[*].clusterId,"
                "CREATE-ONLY:.spec.workload.namespaceScope[*].createOnly",
            ],
            "resolve-custom-columns.txt",
        ),
    ],
)
def test_resolve_output_goldens(args: list[str], golden: str) -> None:
    done = bindlog("resolve", "-f", EXAMPLE, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (GOLDEN / golden).read_text()


def test_jsonpath_filter_and_plain_path() -> None:
    done = bindlog(
        "resolve",
        "-f",
        EXAMPLE,
        "-o",
        'jsonpath={.items[?(@.metadata.name=="nginx")].spec.workload.clusterScope[0].name}',
    )
    assert done.stdout == "nginx"  # kubectl prints no newline after a template
    names = bindlog("resolve", "-f", EXAMPLE, "-o", "jsonpath={.items[*].metadata.name}")
    assert names.stdout == "nginx nginx-config-everywhere"


def test_no_headers() -> None:
    wide = (GOLDEN / "resolve-wide.txt").read_text().splitlines()
    done = bindlog("resolve", "-f", EXAMPLE, "-o", "wide", "--no-headers")
    # As with kubectl, columns are as wide as the cells printed: the header no longer counts.
    assert [line.split() for line in done.stdout.splitlines()] == [r.split() for r in wide[1:]]
    assert (
        done.stdout.splitlines()[0] == "nginx                     1   1   2   2   cluster1,cluster2"
    )


def test_bad_template_is_a_usage_error_before_reading_input() -> None:
    done = bindlog("resolve", "-f", "does-not-exist", "-o", "jsonpath={.items[")
    assert done.returncode == 2
    assert "jsonpath: unclosed [" in done.stderr
    assert "no such file" not in done.stderr
    cols = bindlog("resolve", "-f", EXAMPLE, "-o", "custom-columns=NAME")
    assert cols.returncode == 2
    assert "is not HEADER:PATH" in cols.stderr


def test_selector_restricts_policies() -> None:
    # examples/nginx labels its policies owner=web-team (nginx) and owner=platform.
    done = bindlog("resolve", "-f", EXAMPLE, "-l", "owner=web-team", "-o", "name")
    assert done.stdout == "binding.control.kubestellar.io/nginx\n"
    done = bindlog("resolve", "-f", EXAMPLE, "-l", "owner notin (web-team)", "-o", "name")
    assert done.stdout == "binding.control.kubestellar.io/nginx-config-everywhere\n"
    done = bindlog("resolve", "-f", EXAMPLE, "-l", "!owner", "-o", "name")
    assert done.stdout == ""
    bad = bindlog("resolve", "-f", EXAMPLE, "-l", "owner in web")
    assert bad.returncode == 2
    assert "cannot parse selector" in bad.stderr


def test_selector_restricts_objects_for_why() -> None:
    # Every nginx object carries app.kubernetes.io/name=nginx, but test-label=here is on the
    # Deployment only, so cluster1 then receives just that.
    done = bindlog(
        "why", "wec/cluster1", "-f", EXAMPLE, "-l", "test.kubestellar.io/test-label=here"
    )
    assert done.returncode == 0, done.stderr
    assert "deployments.apps/nginx/nginx" in done.stdout
    assert "configmaps/nginx/nginx-config" not in done.stdout
    assert "namespaces/nginx" not in done.stdout
    hidden = bindlog("why", "cm/nginx-config", "-n", "nginx", "-f", EXAMPLE, "-l", "app=x")
    assert hidden.returncode == 1
    assert hidden.stderr.endswith("; -l app=x restricts the objects\n")


def test_version() -> None:
    from bindlog import __version__

    assert bindlog("--version").stdout == f"bindlog {__version__}\n"
    info = json.loads(bindlog("version", "-o", "json").stdout)
    assert info["bindlog"] == __version__
    assert set(info) >= {"python", "pyDatalog", "PyYAML"}
    assert bindlog("version").stdout.startswith(f"bindlog {__version__} (python ")


def test_did_you_mean() -> None:
    command = bindlog("reslove", "-f", EXAMPLE)
    assert command.returncode == 2
    assert 'did you mean "resolve"?' in command.stderr
    fmt = bindlog("resolve", "-f", EXAMPLE, "-o", "jsn")
    assert fmt.returncode == 2
    assert 'did you mean "json"?' in fmt.stderr
    flag = bindlog("resolve", "-f", EXAMPLE, "--explian")
    assert flag.returncode == 2
    assert 'did you mean "--explain"?' in flag.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["deploy/ngnix", "-n", "nginx"],
            "no object deploy/ngnix in namespace 'nginx' in the input (did you mean \"nginx\"?)",
        ),
        (["deploymnt/nginx"], "no object of type 'deploymnt' in the input (did you mean"),
        (["deploy/nginx", "-n", "default"], "(it is in namespace nginx: use -n or -A)"),
        (
            ["wec/cluster3"],
            "WEC 'cluster3' is not in the inventory (no ManagedCluster named so) "
            '(did you mean "cluster2" or "cluster1"?)',
        ),
        (["bp/ngin"], "BindingPolicy 'ngin' is not in the input (did you mean \"nginx\""),
        (["deploy/nginx", "-n", "nginx", "--wec", "clod1"], '(did you mean "cloud1"?)'),
    ],
)
def test_unknown_names_suggest_near_misses(args: list[str], message: str) -> None:
    done = bindlog("why", *args, "-f", EXAMPLE)
    assert done.returncode == 1
    assert message in done.stderr
    assert done.stdout == ""


def test_printed_ids_are_accepted_back() -> None:
    by_id = bindlog("why", "deployments.apps/nginx/nginx", "-f", EXAMPLE)
    by_type = bindlog("why", "deploy/nginx", "-n", "nginx", "-f", EXAMPLE)
    all_ns = bindlog("why", "deploy/nginx", "-A", "-f", EXAMPLE)
    assert by_id.returncode == 0, by_id.stderr
    assert by_id.stdout == by_type.stdout == all_ns.stdout
    assert "through BindingPolicy/nginx: 2 WECs (downsync[1]) [createOnly]" in by_id.stdout
    both = bindlog("why", "deploy/nginx", "-n", "x", "-A", "-f", EXAMPLE)
    assert both.returncode == 2


def test_help_has_examples_for_every_command() -> None:
    for command in ("resolve", "status", "why", "graph", "test", "version", "completion"):
        done = bindlog(command, "--help")
        assert done.returncode == 0
        assert "\nexamples:\n  " in done.stdout, command
        assert f"bindlog {command}" in done.stdout.split("examples:")[1], command


# --- CI gates --------------------------------------------------------------------------------

SINGLETON = """\
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: two-wecs}
spec:
  clusterSelectors: [{}]
  downsync: [{resources: [configmaps], wantSingletonReportedState: true}]
"""


def test_status_exit_code(tmp_path: Path) -> None:
    ok = bindlog("status", "-f", EXAMPLE, "--exit-code")
    assert ok.returncode == 0
    # A singleton request on a ConfigMap that goes to three WECs is a status error, reported
    # in every policy that selects the ConfigMap: two-wecs and nginx-config-everywhere.
    (tmp_path / "p.yaml").write_text(SINGLETON)
    args = ("status", "-f", EXAMPLE, "-f", str(tmp_path / "p.yaml"))
    assert bindlog(*args).returncode == 0
    gated = bindlog(*args, "--exit-code", "-o", "name")
    assert gated.returncode == 1
    assert "bindingpolicy.control.kubestellar.io/two-wecs" in gated.stdout
    assert "bindingpolicy.control.kubestellar.io/nginx-config-everywhere" in gated.stdout
    assert gated.stderr.splitlines() == [
        no_uid_warning(2),  # nginx, nginx-config-everywhere and two-wecs have no uid
        "bindlog: 2 BindingPolicy(ies) with status errors",
    ]
    quiet = bindlog(*args, "--exit-code", "-q")
    assert quiet.returncode == 1
    assert quiet.stderr == "bindlog: 2 BindingPolicy(ies) with status errors\n"


def test_why_expect() -> None:
    base = ("why", "deploy/nginx", "-n", "nginx", "-f", EXAMPLE)
    assert bindlog(*base, "--wec", "cluster1", "--expect", "bound").returncode == 0
    assert bindlog(*base, "--wec", "cloud1", "--expect", "unbound").returncode == 0
    assert bindlog(*base, "--expect", "bound").returncode == 0
    wrong = bindlog(*base, "--wec", "cloud1", "--expect", "bound")
    assert wrong.returncode == 1
    assert "expected deploy/nginx bound to WEC cloud1, but it is not bound" in wrong.stderr
    assert "not bound to WEC cloud1" in wrong.stdout  # the explanation is still printed
    unbound = bindlog("why", "svc/unrelated", "-n", "nginx", "-f", EXAMPLE, "--expect", "bound")
    assert unbound.returncode == 1
    assert bindlog("why", "wec/cloud1", "-f", EXAMPLE, "--expect", "bound").returncode == 2


# --- warnings --------------------------------------------------------------------------------

INVALID_SELECTORS = """\
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: noisy}
spec:
  clusterSelectors: [{}]
  downsync:
    - objectSelectors:
        - matchExpressions: [{key: a, operator: Bad}]
        - matchExpressions: [{key: b, operator: Bad}]
        - matchExpressions: [{key: c, operator: Bad}]
"""


def test_warnings_summarised_per_policy(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(INVALID_SELECTORS)
    args = ("resolve", "-f", EXAMPLE, "-f", str(tmp_path / "p.yaml"), "-o", "name")
    default = bindlog(*args).stderr.splitlines()
    assert len(default) == 3
    assert "objectSelectors[0]" in default[0]
    assert default[0].endswith("(+2 more warning(s) about BindingPolicy/noisy)")
    assert default[1] == no_uid_warning(2)  # already one line for the three policies
    assert default[2] == "bindlog: 4 warnings shown as 2; -v shows every one, -q none"
    verbose = bindlog(*args, "-v").stderr.splitlines()
    assert [line.split("objectSelectors")[1][:3] for line in verbose[:3]] == ["[0]", "[1]", "[2]"]
    assert verbose[3:] == [no_uid_warning(2)]
    assert bindlog(*args, "-q").stderr == ""


# --- completion ------------------------------------------------------------------------------


def _complete(script: str, words: str) -> list[str]:
    line = f"bindlog {words}"
    program = (
        f"{script}\nCOMP_WORDS=({line}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ));"
        ' [[ "$COMP_LINE" == *" " ]] || true; _bindlog; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion() -> None:
    script = bindlog("completion", "bash").stdout
    assert "complete -o default -F _bindlog bindlog kubectl-bindlog" in script
    assert _complete(script, "res") == ["resolve"]
    assert set(_complete(script, "resolve -o w")) == {"wide"}
    assert "--no-headers" in _complete(script, "resolve --no")
    assert _complete(script, "why --expect u") == ["unbound"]
    assert _complete(script, "completion f") == ["fish"]


def test_zsh_and_fish_completion() -> None:
    zsh = bindlog("completion", "zsh").stdout
    assert zsh.startswith("#compdef bindlog kubectl-bindlog\n")
    assert "bashcompinit" in zsh
    fish = bindlog("completion", "fish").stdout
    assert "complete -c bindlog -n __fish_use_subcommand -a resolve" in fish
    assert (
        "complete -c kubectl-bindlog -n '__fish_seen_subcommand_from resolve' -s o -l output"
        in fish
    )
    if shutil.which("fish"):
        subprocess.run(["fish", "--no-execute", "-c", fish], check=True)


def test_kubectl_plugin_entry_point() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # Both through the fast process entry point (bindlog.__main__), which runs bindlog.cli.main.
    assert project["scripts"]["kubectl-bindlog"] == "bindlog.__main__:run"
    assert project["scripts"]["bindlog"] == "bindlog.__main__:run"


def test_json_and_yaml_why_agree() -> None:
    as_json = json.loads(bindlog("why", "bp/nginx", "-f", EXAMPLE, "-o", "json").stdout)
    as_yaml = yaml.safe_load(bindlog("why", "bp/nginx", "-f", EXAMPLE, "-o", "yaml").stdout)
    assert as_json == as_yaml
    assert as_json["wecs"] == ["cluster1", "cluster2"]


NAMES_POLICY = """\
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: named}
spec:
  clusterSelectors: [{}]
  downsync: [{resources: [services], namespaces: [other], objectNames: [a, b]}]
"""


def test_why_not_lists_every_failing_test_and_name_alternatives(tmp_path: Path) -> None:
    # The Deployment fails all three tests of the clause: its name is neither a nor b (any
    # listed name would do), it is no Service, and it is not in namespace "other".
    (tmp_path / "p.yaml").write_text(NAMES_POLICY)
    done = bindlog(
        "why",
        "deploy/nginx",
        "-n",
        "nginx",
        "--wec",
        "cloud1",
        "-l",
        "app.kubernetes.io/name",
        "-f",
        EXAMPLE,
        "-f",
        str(tmp_path / "p.yaml"),
    )
    assert done.returncode == 0, done.stderr
    block = done.stdout.split("BindingPolicy/named spec.downsync[0]:\n")[1].splitlines()[:3]
    assert [line.strip() for line in block] == [
        '✗ needs one of: the object is named "a" | the object is named "b" | '
        'objectNames is absent or empty | objectNames lists "*"',
        '✗ needs one of: resources is absent or empty | resources lists "*" | '
        'resources lists "deployments"',
        '✗ needs one of: namespaces lists "nginx" | namespaces is absent or empty | '
        'namespaces lists "*"',
    ]
