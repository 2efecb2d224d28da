"""Placement unit tests: expected bindings, written next to the manifests, checked by the rules.

A test file is named `bindlog-test.yaml` (or `.yml`), one document, in the spirit of
`kyverno test`:

    apiVersion: cli.bindlog.kubestellar.io/v1alpha1
    kind: PlacementTest
    metadata:
      name: nginx
    manifests: [.]               # optional: files/directories, relative to this file
    results:
      - name: the deployment goes to the edge WECs   # optional
        object: deployments.apps/nginx/nginx         # TYPE/NAMESPACE/NAME or TYPE/NAME
        namespace: nginx                             # optional, with TYPE/NAME
        wecs: [cluster1, cluster2]                   # or wec: cluster1
        result: bound                                # bound | unbound
      - wec: cloud1                                  # exactly these objects reach the WEC
        objects: [configmaps/nginx/nginx-config]
      - binding: nginx                               # the Binding of BindingPolicy nginx
        objects: [namespaces/nginx, deployments.apps/nginx/nginx]   # exactly these objects
        destinations: [cluster1, cluster2]                          # exactly these WECs

Without `manifests`, the suite reads every manifest under the test file's directory (test files
excluded). Each entry of `results` is one test case; it passes or fails with the difference.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bindlog.adapters import Limits, LoadOptions, load
from bindlog.adapters.yaml_files import expand_paths, read_documents
from bindlog.analysis.did_you_mean import suggest
from bindlog.analysis.why import LookupError_
from bindlog.engine.evaluate import Result, evaluate
from bindlog.errors import InputError, InputProblem
from bindlog.export.columns import natural_sorted
from bindlog.model import Snapshot, Source, WorkloadObject

TEST_FILE_NAMES = ("bindlog-test.yaml", "bindlog-test.yml")
API_VERSION = "cli.bindlog.kubestellar.io/v1alpha1"
KIND = "PlacementTest"
_TOP_FIELDS = ("apiVersion", "kind", "metadata", "manifests", "results")
_CASE_FIELDS = (
    "name",
    "object",
    "namespace",
    "wec",
    "wecs",
    "result",
    "objects",
    "binding",
    "destinations",
)

Finder = Callable[[Snapshot, str, str, str | None], WorkloadObject]


@dataclass(frozen=True, slots=True)
class Case:
    index: int
    name: str
    line: int  # 1-based line of the entry in the test file, for annotations
    body: dict[str, Any]


@dataclass(slots=True)
class Suite:
    name: str
    path: str  # the test file
    manifests: list[str]
    cases: list[Case]


@dataclass(frozen=True, slots=True)
class Outcome:
    suite: str
    path: str
    case: Case
    passed: bool
    detail: str = ""


@dataclass(slots=True)
class Run:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


def find_test_files(target: str) -> list[str]:
    """`target` itself if a file, else every test file under it (symlinked dirs not followed)."""
    p = Path(target)
    if p.is_file():
        return [target]
    if not p.is_dir():
        raise InputError([InputProblem(Source(target, 0), "", "", "no such file or directory")])
    found: list[str] = []
    for root, dirs, files in os.walk(p, followlinks=False):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in files if f in TEST_FILE_NAMES)
    if not found:
        raise InputError(
            [
                InputProblem(
                    Source(target, 0),
                    "",
                    "",
                    f"no test file ({' or '.join(TEST_FILE_NAMES)}) in this directory",
                )
            ]
        )
    return sorted(found)


def read_suite(path: str, limits: Limits | None = None) -> Suite:
    """Parse and validate one test file; every problem names file, document and field."""
    problems: list[InputProblem] = []
    docs = list(read_documents([path], problems, limits=limits))
    if problems:
        raise InputError(problems)
    if len(docs) != 1:
        raise InputError([InputProblem(Source(path, 0), "", "", "must hold exactly one document")])
    doc = docs[0]
    body, source = doc.body, doc.source
    name = str((body.get("metadata") or {}).get("name") or Path(path).parent.name)
    obj = f"{KIND}/{name}"

    def problem(field_path: str, detail: str) -> None:
        problems.append(InputProblem(source, obj, field_path, detail))

    if body.get("apiVersion") != API_VERSION:
        problem("apiVersion", f"Unsupported value: {body.get('apiVersion')!r}: use {API_VERSION}")
    if body.get("kind") != KIND:
        problem("kind", f"Unsupported value: {body.get('kind')!r}: use {KIND}")
    for key in body:
        if key not in _TOP_FIELDS:
            problem(str(key), "Unknown field")
    base = Path(path).parent
    manifests_raw = body.get("manifests", ["."])
    manifests: list[str] = []
    if not isinstance(manifests_raw, list) or not all(isinstance(m, str) for m in manifests_raw):
        problem("manifests", "Invalid value: must be a list of paths")
    else:
        manifests = [os.path.normpath(base / m) for m in manifests_raw]
    results = body.get("results")
    if not isinstance(results, list) or not results:
        problem("results", "Required value: a non-empty list of expected results")
        results = []
    lines = _entry_lines(path)
    cases = []
    for i, raw in enumerate(results):
        where = f"results[{i}]"
        if not isinstance(raw, dict):
            problem(where, "Invalid value: must be a mapping")
            continue
        for key in raw:
            if key not in _CASE_FIELDS:
                problem(f"{where}.{key}", "Unknown field")
        detail = _case_problem(raw)
        if detail:
            problem(where, detail)
            continue
        line = lines[i] if i < len(lines) else 1
        cases.append(Case(i, str(raw.get("name") or _default_name(raw)), line, raw))
    if problems:
        raise InputError(problems)
    return Suite(name, path, manifests, cases)


def _case_problem(raw: dict[str, Any]) -> str:
    """What is wrong with the shape of one result entry, or ""."""

    def str_list(key: str) -> bool:
        value = raw.get(key)
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    for key in ("name", "object", "namespace", "wec", "binding", "result"):
        if key in raw and not isinstance(raw[key], str):
            return f"Invalid value: {key} must be a string"
    for key in ("wecs", "objects", "destinations"):
        if key in raw and not str_list(key):
            return f"Invalid value: {key} must be a list of strings"
    if "object" in raw:
        if raw.get("result") not in ("bound", "unbound"):
            return "Required value: result: bound or unbound, with object"
        if ("wec" in raw) == ("wecs" in raw):
            return "Required value: exactly one of wec and wecs, with object"
        if "objects" in raw or "binding" in raw or "destinations" in raw:
            return "Invalid value: object goes with wec/wecs and result only"
        return ""
    if "binding" in raw:
        if "objects" not in raw and "destinations" not in raw:
            return "Required value: objects and/or destinations, with binding"
        if "wec" in raw or "wecs" in raw or "result" in raw:
            return "Invalid value: binding goes with objects and destinations only"
        return ""
    if "wec" in raw:
        if "objects" not in raw:
            return "Required value: objects, with wec"
        if "result" in raw or "destinations" in raw or "wecs" in raw:
            return "Invalid value: wec (without object) goes with objects only"
        return ""
    return "Required value: one of object (with wec/wecs and result), wec (with objects) or binding"


def _default_name(raw: dict[str, Any]) -> str:
    if "object" in raw:
        wecs = raw.get("wecs") or [raw.get("wec")]
        ns = f" -n {raw['namespace']}" if raw.get("namespace") else ""
        return f"{raw['object']}{ns} {raw['result']} to {', '.join(map(str, wecs))}"
    if "binding" in raw:
        return f"Binding {raw['binding']}"
    return f"objects on WEC {raw['wec']}"


def _entry_lines(path: str) -> list[int]:
    """1-based line of each `results` entry (for GitHub annotations); [] if not found."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "results" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


# --- running ------------------------------------------------------------------------------


def manifest_files(suite: Suite) -> list[str]:
    """The suite's manifests, test files left out (they are not Kubernetes objects)."""
    problems: list[InputProblem] = []
    files = [
        f for f in expand_paths(suite.manifests, problems) if Path(f).name not in TEST_FILE_NAMES
    ]
    if problems:
        raise InputError(problems)
    return files


def run_suite(
    suite: Suite,
    find: Finder,
    options: LoadOptions | None = None,
    limits: Limits | None = None,
    warn: Callable[[tuple[InputProblem, ...]], None] | None = None,
) -> Iterator[Outcome]:
    loaded = load(manifest_files(suite), options, None, limits)
    if warn is not None:
        warn(loaded.warnings)
    result = evaluate(loaded.snapshot)
    checker = _Checker(result, find)
    for case in suite.cases:
        passed, detail = checker.check(case.body)
        yield Outcome(suite.name, suite.path, case, passed, detail)


class _Checker:
    def __init__(self, result: Result, find: Finder) -> None:
        self.result = result
        self.snapshot = result.snapshot
        self.find = find
        self.wec_names = {c.name for c in self.snapshot.clusters}

    def object(self, text: str, namespace: str | None = None) -> WorkloadObject:
        parts = text.split("/")
        if len(parts) == 3:
            return self.find(self.snapshot, parts[0], parts[2], parts[1])
        if len(parts) == 2:
            return self.find(self.snapshot, parts[0], parts[1], namespace)
        raise LookupError_(f"{text!r} is not TYPE/NAME or TYPE/NAMESPACE/NAME")

    def wecs_of(self, obj: WorkloadObject) -> dict[str, list[str]]:
        """WEC -> policies through which obj reaches it."""
        out: dict[str, list[str]] = {}
        for res in self.result.resolutions:
            if obj in res.objects:
                for wec in res.destinations:
                    out.setdefault(wec, []).append(res.policy.name)
        return out

    def check(self, body: dict[str, Any]) -> tuple[bool, str]:
        try:
            if "object" in body:
                return self._pair(body)
            if "binding" in body:
                return self._binding(body)
            return self._wec(body)
        except LookupError_ as e:
            return False, str(e)

    def _unknown_wecs(self, names: list[str]) -> str:
        unknown = [n for n in names if n not in self.wec_names]
        return "; ".join(
            f"WEC {n!r} is not in the inventory{suggest(n, self.wec_names)}" for n in unknown
        )

    def _pair(self, body: dict[str, Any]) -> tuple[bool, str]:
        obj = self.object(body["object"], body.get("namespace"))
        wecs = body.get("wecs") or [body["wec"]]
        if unknown := self._unknown_wecs(wecs):
            return False, unknown
        reached = self.wecs_of(obj)
        want_bound = body["result"] == "bound"
        wrong = [w for w in wecs if (w in reached) != want_bound]
        if not wrong:
            return True, ""
        if want_bound:
            return False, (
                f"{obj.ref} is not bound to {', '.join(wrong)} "
                f"(bindlog why {obj.ref} --wec {wrong[0]} tells why)"
            )
        through = "; ".join(
            f"{w} through {', '.join(f'BindingPolicy/{p}' for p in sorted(reached[w]))}"
            for w in wrong
        )
        return False, f"{obj.ref} is bound to {through}"

    def _wec(self, body: dict[str, Any]) -> tuple[bool, str]:
        wec = body["wec"]
        if unknown := self._unknown_wecs([wec]):
            return False, unknown
        expected = {self.object(t) for t in body["objects"]}
        actual = {
            o for res in self.result.resolutions if wec in res.destinations for o in res.objects
        }
        return _compare_sets(
            "objects", {str(o.ref) for o in expected}, {str(o.ref) for o in actual}
        )

    def _binding(self, body: dict[str, Any]) -> tuple[bool, str]:
        name = body["binding"]
        res = next((r for r in self.result.resolutions if r.policy.name == name), None)
        if res is None:
            policies = {r.policy.name for r in self.result.resolutions}
            return False, f"no BindingPolicy named {name!r}{suggest(name, policies)}"
        if res.invalid:
            return False, (
                f"BindingPolicy {name} has an invalid clusterSelectors entry: KubeStellar "
                "writes no Binding for it"
            )
        if not res.has_binding:  # decided by the rules, as the exporter reads it
            return False, (
                f"BindingPolicy {name} selects no WEC and no object: KubeStellar creates no "
                "Binding for an empty resolution"
            )
        details = []
        if "objects" in body:
            expected = {str(self.object(t).ref) for t in body["objects"]}
            ok, detail = _compare_sets("objects", expected, {str(o.ref) for o in res.objects})
            if not ok:
                details.append(detail)
        if "destinations" in body:
            ok, detail = _compare_sets(
                "destinations", set(body["destinations"]), set(res.destinations)
            )
            if not ok:
                details.append(detail)
        return not details, "; ".join(details)


def _compare_sets(what: str, expected: set[str], actual: set[str]) -> tuple[bool, str]:
    missing, extra = natural_sorted(expected - actual), natural_sorted(actual - expected)
    if not missing and not extra:
        return True, ""
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra)}")
    return False, f"{what}: " + "; ".join(parts)
