"""What-if: one loaded model, many change sets, each answered as a diff of Bindings.

`load_model` reads manifests once and keeps what later changes need: the live `Model` (every
answer goes through `Model.what_if`, so users get the engine's incremental path) and the
CustomResourceDefinition documents of the input, so manifests applied later are mapped to
resources exactly as they would have been in the input. Applied manifests go through the same
adapters and validation as loading.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, BinaryIO

import yaml

from bindlog.adapters import load
from bindlog.adapters.manifests import LoadOptions, build_snapshot
from bindlog.adapters.yaml_files import Document, Limits, read_documents
from bindlog.analysis import targets
from bindlog.analysis.describe import Describer
from bindlog.analysis.why import Explainer, ObjectReport
from bindlog.changes import (
    Change,
    ChangeError,
    ChangeSet,
    Delete,
    Entity,
    Put,
    SetLabels,
    namespace_object_key,
)
from bindlog.engine.evaluate import PolicyResolution, Result
from bindlog.engine.incremental import Model
from bindlog.errors import InputError, InputProblem
from bindlog.export.bindings import bindings
from bindlog.export.diff import Diff, ObjectId, Spec, SpecCache, diff_specs
from bindlog.model import Snapshot, Source

CRD_KIND = "CustomResourceDefinition"


@dataclass(frozen=True)
class Outcome:
    """The answer to one change set: the new result, how the Bindings differ, and (built on
    first use) the new Bindings."""

    changes: ChangeSet
    result: Result
    diff: Diff
    model: Model | None = None  # the model asked: explanations re-enter the change there

    @cached_property
    def bindings(self) -> list[dict[str, Any]]:
        return bindings(self.result)


NAMESPACE_LAG_NOTE = (
    "KubeStellar does not re-test the objects in a Namespace when the Namespace's labels "
    "change: a live Binding shows this diff's object changes only once each object, or the "
    "policy, next changes"
)


def notes(outcome: Outcome) -> list[str]:
    """What a user should know about how the live controller would reach this result."""
    relabels_namespace = any(
        isinstance(c, SetLabels)
        and (c.target.kind == "namespace" or c.target == namespace_object_key(c.target.name))
        for c in outcome.changes.changes
    )
    objects_change = any(d.objects_added or d.objects_removed for d in outcome.diff.bindings)
    return [NAMESPACE_LAG_NOTE] if relabels_namespace and objects_change else []


def diff_results(old: Result, new: Result, cache: SpecCache | None = None) -> Diff:
    """The diff of the Bindings of two results, reading only the policies whose resolution
    differs: a small change to a large model costs what it changes, not the model. A live model
    keeps the resolution of every policy a change did not touch, so those are passed over by
    identity. Equal to `diff_bindings(bindings(old), bindings(new))`."""
    cache = cache or SpecCache()
    old_specs: dict[str, Spec] = {}
    new_specs: dict[str, Spec] = {}
    for name, a, b in _pairs(old, new):
        if a is b or (
            a is not None
            and b is not None
            and a.destinations == b.destinations
            and (a.objects is b.objects or a.objects == b.objects)
        ):
            continue
        for res, into in ((a, old_specs), (b, new_specs)):
            if res is not None:
                spec = cache.spec(res)
                if not spec.empty:
                    into[name] = spec
    return diff_specs(old_specs, new_specs)


def _pairs(
    old: Result, new: Result
) -> Iterator[tuple[str, PolicyResolution | None, PolicyResolution | None]]:
    """(name, old, new) per policy whose resolutions may differ; None where it has no Binding.
    Results of one model with the same policies are walked side by side, and the resolutions a
    change did not touch (the same objects) passed over without reading their names."""
    if old.ids == new.ids:
        differ = [
            (a, b) for a, b in zip(old.resolutions, new.resolutions, strict=True) if a is not b
        ]
        # (Results of two models may number other policies alike: then by name.)
        if all(a.policy.name == b.policy.name for a, b in differ):
            for a, b in differ:
                yield a.policy.name, None if a.invalid else a, None if b.invalid else b
            return
    before, after = _valid(old), _valid(new)
    for name in before.keys() | after.keys():
        yield name, before.get(name), after.get(name)


def _valid(result: Result) -> dict[str, PolicyResolution]:
    # An invalid policy has no Binding (as `bindings` leaves it out).
    return {r.policy.name: r for r in result.resolutions if not r.invalid}


class LoadedModel:
    """A loaded input that answers what-ifs; the base stays as loaded unless `apply` is called."""

    def __init__(
        self,
        model: Model,
        options: LoadOptions | None = None,
        crds: Iterable[Document] = (),
        warnings: Iterable[InputProblem] = (),
    ) -> None:
        self.model = model
        self.options = options or LoadOptions()
        self.crds = tuple(crds)
        self.warnings = tuple(warnings)
        self._bindings: list[dict[str, Any]] | None = None
        self._specs = SpecCache(size=4 * len(model.snapshot.policies) + 64)

    @property
    def snapshot(self) -> Snapshot:
        return self.model.snapshot

    @property
    def bindings(self) -> list[dict[str, Any]]:
        """The Bindings of the model as it stands."""
        if self._bindings is None:
            self._bindings = bindings(self.model.result)
        return self._bindings

    # --- building changes -------------------------------------------------------------------

    def label(self, target: str, *edits: str, namespace: str | None = None) -> SetLabels:
        """`label("wec/c1", "env=prod", "tier-")`: kubectl label syntax against this input."""
        return targets.label_change(self.snapshot, target, edits, namespace)

    def delete(self, target: str, namespace: str | None = None) -> Delete:
        return targets.delete_change(self.snapshot, target, namespace)

    def manifests(
        self,
        paths: list[str],
        stdin: BinaryIO | None = None,
        limits: Limits | None = None,
        warnings: list[InputProblem] | None = None,
    ) -> tuple[Put, ...]:
        """A Put per entity in the manifest files `paths` (add, or replace the same identity);
        tolerated problems (skipped selectors) go to `warnings`."""
        problems: list[InputProblem] = []
        documents = list(read_documents(paths, problems, stdin, limits, warnings))
        if problems:
            raise InputError(problems)
        return self.documents(documents, warnings)

    def documents(
        self, documents: list[Document], warnings: list[InputProblem] | None = None
    ) -> tuple[Put, ...]:
        """A Put per entity of already-read manifest documents, validated as loading validates."""
        for doc in documents:
            kind = doc.body.get("kind")
            if kind == "Binding" and str(doc.body.get("apiVersion", "")).startswith(
                "control.kubestellar.io/"
            ):
                raise ChangeError(
                    f"{doc.source}: a Binding cannot be applied: Bindings are what is computed"
                )
        ours = {doc.source for doc in documents}
        # A CRD applied again replaces the input's: read only the input CRDs not re-applied.
        renamed = {_crd_name(d) for d in documents if d.body.get("kind") == CRD_KIND}
        crds = [d for d in self.crds if _crd_name(d) not in renamed]
        snapshot, found = build_snapshot([*crds, *documents], self.options)
        if warnings is not None:
            warnings.extend(w for w in found if w.source in ours)
        entities: list[Entity] = [*snapshot.clusters, *snapshot.objects, *snapshot.policies]
        # The input's CRDs are read again only to map kinds; they are not changes.
        return tuple(Put(e) for e in entities if e.source in ours)

    # --- answering --------------------------------------------------------------------------

    def what_if(self, changes: ChangeSet | Iterable[Change]) -> Outcome:
        """The Bindings after `changes` and their diff against the model's; the model is kept."""
        cs = changes if isinstance(changes, ChangeSet) else ChangeSet(tuple(changes))
        result = self.model.what_if(cs)
        return Outcome(cs, result, diff_results(self.model.result, result, self._specs), self.model)

    def apply(self, changes: ChangeSet | Iterable[Change]) -> Outcome:
        """Like `what_if`, but the model keeps the change (the base moves on)."""
        cs = changes if isinstance(changes, ChangeSet) else ChangeSet(tuple(changes))
        old = self.model.result
        result = self.model.apply(cs)
        self._bindings = None
        return Outcome(cs, result, diff_results(old, result, self._specs))


def _crd_name(doc: Document) -> object:
    meta = doc.body.get("metadata")
    return meta.get("name") if isinstance(meta, dict) else None


def load_model(
    paths: list[str],
    options: LoadOptions | None = None,
    stdin: BinaryIO | None = None,
    limits: Limits | None = None,
) -> LoadedModel:
    """Read and validate manifests (as `bindlog.load` does) into a model that answers what-ifs."""
    loaded = load(paths, options, stdin, limits)
    return LoadedModel(Model(loaded.snapshot), options, list(loaded.crds), loaded.warnings)


# --- scenarios ------------------------------------------------------------------------------

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCENARIO_FIELDS = frozenset({"name", "label", "apply", "delete"})


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    changes: ChangeSet


def read_scenarios(path: str, loaded: LoadedModel, limits: Limits | None = None) -> list[Scenario]:
    """Parse a scenarios file (a YAML list, see docs/whatif.md) into change sets, resolving every
    target first: a bad scenario fails the run before any is answered."""
    limits = limits or Limits()
    source = Source(path, 0)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limits.max_file_bytes + 1)
    except OSError as e:
        raise InputError(
            [InputProblem(source, "", "", f"cannot read: {e.strerror or e}")]
        ) from None
    if len(raw) > limits.max_file_bytes:
        raise InputError(
            [InputProblem(source, "", "", f"larger than the {limits.max_file_bytes} bytes allowed")]
        )
    try:
        body = yaml.load(raw.decode("utf-8"), Loader=_SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as e:
        raise InputError([InputProblem(source, "", "", f"invalid YAML: {e}")]) from None
    if not isinstance(body, list):
        raise InputError(
            [InputProblem(source, "", "", "a scenarios file is a YAML list of scenarios")]
        )
    if (too_big := _beyond_limits(body, limits)) is not None:
        raise InputError([InputProblem(source, "", "", too_big)])
    problems: list[InputProblem] = []
    out: list[Scenario] = []
    names: set[str] = set()
    for i, item in enumerate(body):
        where = f"[{i}]"
        if not isinstance(item, dict):
            problems.append(InputProblem(source, "", where, "Invalid value: must be a mapping"))
            continue
        name = item.get("name")
        label = f"scenario {name}" if isinstance(name, str) and name else f"scenario {i}"
        before = len(problems)

        def bad(field: str, detail: str, label: str = label) -> None:
            problems.append(InputProblem(source, label, field, detail))

        if not isinstance(name, str) or not name:
            bad(f"{where}.name", "Required value")
        elif name in names:
            bad(f"{where}.name", f"Duplicate value: {name!r}")
        names.add(str(name))
        for key in item:
            if key not in _SCENARIO_FIELDS:
                bad(f"{where}.{key}", "Unknown field (expected name, label, apply, delete)")
        changes = _scenario_changes(item, where, i, path, loaded, bad)
        if len(problems) == before:
            out.append(Scenario(str(name), ChangeSet(tuple(changes))))
    if problems:
        raise InputError(problems)
    return out


def _beyond_limits(body: Any, limits: Limits) -> str | None:
    """Why the file is too big once YAML aliases are expanded (or None), as `-f` input is
    bounded: each shared subtree is sized once, so an alias bomb is measured, never walked."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (nodes expanded, depth)
    on_path: set[int] = set()

    def size(node: Any) -> tuple[int, int]:
        if not isinstance(node, dict | list):
            return 1, 0
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path or len(on_path) > limits.max_depth:
            return limits.max_document_nodes + 1, limits.max_depth + 1
        on_path.add(key)
        nodes, depth = 1, 1
        for child in node.values() if isinstance(node, dict) else node:
            n, d = size(child)
            nodes, depth = min(nodes + n, limits.max_document_nodes + 1), max(depth, d + 1)
        on_path.discard(key)
        sizes[key] = (nodes, depth)
        return nodes, depth

    nodes, depth = size(body)
    if depth > limits.max_depth:
        return f"nested deeper than {limits.max_depth} levels (see --max-depth)"
    if nodes > limits.max_document_nodes:
        return (
            f"expands to more than {limits.max_document_nodes} nodes through YAML aliases "
            "or sheer size (see --max-document-nodes)"
        )
    return None


def _list(item: dict[str, Any], key: str, where: str, bad: Any) -> list[Any]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        bad(f"{where}.{key}", "Invalid value: must be a list")
        return []
    return value


def _scenario_changes(
    item: dict[str, Any], where: str, index: int, path: str, loaded: LoadedModel, bad: Any
) -> list[Change]:
    changes: list[Change] = []
    manifests = _list(item, "apply", where, bad)
    documents = []
    for j, manifest in enumerate(manifests):
        if not isinstance(manifest, dict):
            bad(f"{where}.apply[{j}]", "Invalid value: must be a manifest (a mapping)")
        else:
            documents.append(Document(Source(path, index, j), manifest))
    try:
        changes.extend(loaded.documents(documents))
    except InputError as e:
        for p in e.problems:
            bad(f"{where}.apply[{p.source.item if p.source else '?'}].{p.field}", p.detail)
    except ChangeError as e:
        bad(f"{where}.apply", str(e))
    for j, entry in enumerate(_list(item, "delete", where, bad)):
        spot = f"{where}.delete[{j}]"
        target, namespace = _target(entry, spot, bad)
        if target is not None:
            try:
                changes.append(loaded.delete(target, namespace))
            except ChangeError as e:
                bad(f"{spot}.target", str(e))
    for j, entry in enumerate(_list(item, "label", where, bad)):
        spot = f"{where}.label[{j}]"
        target, namespace = _target(entry, spot, bad)
        if target is None:
            continue
        sets, unsets = entry.get("set") or {}, entry.get("unset") or []
        if not isinstance(sets, dict):
            bad(f"{spot}.set", "Invalid value: must be a mapping of label key to value")
            continue
        if not isinstance(unsets, list) or not all(isinstance(k, str) for k in unsets):
            bad(f"{spot}.unset", "Invalid value: must be a list of label keys")
            continue
        if any(not isinstance(v, str) for v in sets.values()):
            bad(f"{spot}.set", "Invalid value: label values must be strings (quote them)")
            continue
        edits = [f"{k}={v}" for k, v in sets.items()] + [f"{k}-" for k in unsets]
        try:
            changes.append(loaded.label(target, *edits, namespace=namespace))
        except ChangeError as e:
            bad(spot, str(e))
    return changes


def _target(entry: Any, spot: str, bad: Any) -> tuple[str | None, str | None]:
    if not isinstance(entry, dict):
        bad(spot, "Invalid value: must be a mapping with target (and namespace)")
        return None, None
    target, namespace = entry.get("target"), entry.get("namespace")
    for key in entry:
        if key not in ("target", "namespace", "set", "unset"):
            bad(f"{spot}.{key}", "Unknown field")
    if not isinstance(target, str) or not target:
        bad(f"{spot}.target", "Required value: TYPE/NAME")
        return None, None
    if namespace is not None and not isinstance(namespace, str):
        bad(f"{spot}.namespace", "Invalid value: must be a string")
        return None, None
    return target, namespace


# --- explanations of pairs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairExplanation:
    """Why an (object, WEC) pair joins a Binding (a proof) or leaves it (a refutation).

    `report` is the explainer's report on the pair in the new result; `note` says what alone
    explains it when there is nothing to prove (a deleted object, WEC or policy).
    """

    binding: str
    object: ObjectId
    wec: str
    added: bool
    report: ObjectReport | None
    note: str | None
    describer: Describer  # renders the report's facts


def explain_pairs(outcome: Outcome, limit: int) -> tuple[list[PairExplanation], int]:
    """Explanations of up to `limit` added and removed pairs, and how many were left out.

    Both come from the new result: there an added pair holds (a proof) and a removed one fails
    (a refutation per policy)."""
    if outcome.result.live or outcome.model is None:
        return _explain_pairs(outcome, outcome.result, limit)
    # A what-if result is detached from the engine: hold the change again to explain it.
    with outcome.model.changed(outcome.changes) as live:
        return _explain_pairs(outcome, live, limit)


def _explain_pairs(outcome: Outcome, new: Result, limit: int) -> tuple[list[PairExplanation], int]:
    explainer = Explainer(new)
    objects = {
        ObjectId(o.ref.group, o.ref.resource, o.ref.namespace, o.ref.name): o
        for o in new.snapshot.objects
    }
    wecs = {c.name for c in new.snapshot.clusters}
    policies = {p.name for p in new.snapshot.policies}
    out: list[PairExplanation] = []
    left_out = 0
    for d in outcome.diff.bindings:
        for pairs, added in ((d.pairs_added, True), (d.pairs_removed, False)):
            for oid, wec in pairs:
                if len(out) >= limit:
                    left_out += 1
                    continue
                note = None
                if d.name not in policies:
                    note = f"BindingPolicy {d.name!r} is no longer in the input"
                elif oid not in objects:
                    note = f"{oid} is no longer in the input"
                elif wec not in wecs:
                    note = f"WEC {wec!r} is no longer in the inventory"
                report = None if note else explainer.explain_object(objects[oid], wec)
                if report is not None and not added:
                    if wec in report.bound:
                        note = f"still bound through other BindingPolicies, not through {d.name!r}"
                    # The question is why this Binding lost the pair: its own policy's verdict.
                    report.verdicts = [v for v in report.verdicts if v.policy == d.name]
                out.append(
                    PairExplanation(d.name, oid, wec, added, report, note, explainer.describer)
                )
    return out, left_out
