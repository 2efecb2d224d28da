"""Label selectors evaluated set-at-a-time over classes of label sets.

This is the `selector_matches` builtin the rules rely on: Kubernetes' label-selector semantics
(apimachinery `labels.Requirement.Matches`) applied to many subjects at once. Subjects are grouped
into classes by their labels projected onto the keys that some selector mentions; two subjects of
one class answer every selector alike, so each selector is evaluated once per class, with inverted
indexes, not once per subject.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import compress

from bindlog.model import LabelSelector, Operator, Requirement

Labels = tuple[tuple[str, str], ...]


def requirement_matches(req: Requirement, labels: dict[str, str]) -> bool:
    """One requirement against one label map (labels.Requirement.Matches)."""
    op = req.operator
    if op is Operator.EXISTS:
        return req.key in labels
    if op is Operator.DOES_NOT_EXIST:
        return req.key not in labels
    if op is Operator.IN:
        return req.key in labels and labels[req.key] in req.values
    return req.key not in labels or labels[req.key] not in req.values


def first_failing(selector: LabelSelector, labels: dict[str, str]) -> Requirement | None:
    """The first requirement of a valid selector that `labels` fail, or None if all hold."""
    for req in selector.requirements:
        if not requirement_matches(req, labels):
            return req
    return None


def selector_matches(selector: LabelSelector, labels: dict[str, str]) -> bool:
    """One valid selector against one label map: every requirement holds."""
    return first_failing(selector, labels) is None


def requirement_text(req: Requirement) -> str:
    """A requirement the way kubectl's selector syntax writes it."""
    op = req.operator
    if op is Operator.EXISTS:
        return req.key
    if op is Operator.DOES_NOT_EXIST:
        return f"!{req.key}"
    if op is Operator.IN and len(req.values) == 1:
        return f"{req.key}={req.values[0]}"
    word = "in" if op is Operator.IN else "notin"
    return f"{req.key} {word} ({','.join(req.values)})"


def why_no_match(selector: LabelSelector, labels: dict[str, str], subject: str) -> str:
    """One sentence: why `selector` does not match `labels` (the first requirement that fails)."""
    if selector.error is not None:
        return f"selector {selector.text} is invalid and skipped ({selector.error})"
    req = first_failing(selector, labels)
    if req is None:
        return f"selector {selector.text} matches {subject}"
    have = (
        f"{subject} has {req.key}={labels[req.key]}"
        if req.key in labels
        else f"{subject} has no label {req.key}"
    )
    return f"selector {selector.text} requires {requirement_text(req)}; {have}"


class LabelSpace:
    """The label sets of one kind of subject (WECs, objects or Namespaces), grouped into classes.

    Sets of classes are Python ints used as bitsets (bit `c` for class `c`): a selector's
    matches are a few word-wide AND/OR/AND-NOT passes over inverted indexes, so evaluating many
    selectors costs little more than reading them, however many classes each one matches.
    """

    def __init__(self, selectors: Iterable[LabelSelector]) -> None:
        self._keys = frozenset(
            req.key for sel in selectors if sel.error is None for req in sel.requirements
        )
        self._class_ids: dict[Labels, int] = {}
        # The classes of each label (key, value), and of each key, as lists of ids; a bitset
        # is made from a list when a selector first asks for it, then kept current. Setting
        # bit `c` of an int copies all of it: kept as bitsets from the start, n classes cost
        # O(n²) (2.8 s of encoding L's 100k classes).
        self._ids_by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._ids_by_key: dict[str, list[int]] = defaultdict(list)
        self._by_pair: dict[tuple[str, str], int] = {}
        self._by_key: dict[str, int] = {}
        self._cache: dict[LabelSelector, int] = {}
        self._labels: list[Labels] | None = None

    def class_of(self, labels: Labels) -> int:
        """The class id of a subject with these labels; registers a new class when needed."""
        keys = self._keys
        projected = tuple(kv for kv in labels if kv[0] in keys)
        cid = self._class_ids.get(projected)
        if cid is None:
            cid = len(self._class_ids)
            self._class_ids[projected] = cid
            for pair in projected:
                self._ids_by_pair[pair].append(cid)
                self._ids_by_key[pair[0]].append(cid)
                if pair in self._by_pair:
                    self._by_pair[pair] |= 1 << cid
                if pair[0] in self._by_key:
                    self._by_key[pair[0]] |= 1 << cid
            self._cache.clear()
            self._labels = None
        return cid

    def _pair_mask(self, key: str, value: str) -> int:
        mask = self._by_pair.get((key, value))
        if mask is None:
            mask = self._by_pair[(key, value)] = bitset(self._ids_by_pair.get((key, value), ()))
        return mask

    def _key_mask(self, key: str) -> int:
        mask = self._by_key.get(key)
        if mask is None:
            mask = self._by_key[key] = bitset(self._ids_by_key.get(key, ()))
        return mask

    @property
    def keys(self) -> frozenset[str]:
        """The label keys some valid selector of this space tests (the projection)."""
        return self._keys

    @property
    def class_count(self) -> int:
        return len(self._class_ids)

    @property
    def every_class(self) -> int:
        """The set of all classes, as a bitset."""
        return (1 << len(self._class_ids)) - 1

    def labels_of(self, cid: int) -> dict[str, str]:
        """The labels of class `cid`, projected onto the keys some selector mentions."""
        if self._labels is None:
            self._labels = list(self._class_ids)
        return dict(self._labels[cid])

    def matching_classes(self, selector: LabelSelector) -> frozenset[int]:
        """Ids of the classes whose labels satisfy `selector`; an invalid selector matches none."""
        return frozenset(members(self.matching_mask(selector)))

    def matching_mask(self, selector: LabelSelector) -> int:
        """The classes whose labels satisfy `selector`, as a bitset; an invalid one matches none."""
        hit = self._cache.get(selector)
        if hit is not None:
            return hit
        result = 0
        if selector.error is None:
            result = self.every_class
            for req in _most_selective_first(selector.requirements):
                result = self._restrict(req, result)
                if not result:
                    break
        self._cache[selector] = result
        return result

    def _restrict(self, req: Requirement, current: int) -> int:
        if req.operator is Operator.IN:
            hits = 0
            for value in req.values:
                hits |= self._pair_mask(req.key, value)
            return current & hits
        if req.operator is Operator.EXISTS:
            return current & self._key_mask(req.key)
        if req.operator is Operator.NOT_IN:
            excluded = 0
            for value in req.values:
                excluded |= self._pair_mask(req.key, value)
        else:
            excluded = self._key_mask(req.key)
        return current & ~excluded


def bitset(ids: Iterable[int]) -> int:
    """The int with bits `ids` set, in time linear in its size (its digits written, then read
    in base 2, which is linear), where setting one bit at a time would copy it at every bit."""
    ids = list(ids)
    if not ids:
        return 0
    top = max(ids)
    digits = bytearray(b"0" * (top + 1))  # most significant first
    for i in ids:
        digits[top - i] = 49  # "1"
    return int(digits, 2)


def members(mask: int) -> list[int]:
    """The class ids in a bitset, in increasing order, from its binary digits at C speed: found
    one by one when they are few, else picked all at once (the digits as bytes 0 and 1)."""
    if mask and not mask & (mask - 1):  # one class, as a class met after the load is
        return [mask.bit_length() - 1]
    digits = bin(mask)[:1:-1]  # least significant first, without the "0b"
    if mask.bit_count() * 16 < len(digits):
        out: list[int] = []
        find = digits.find
        i = find("1")
        while i >= 0:
            out.append(i)
            i = find("1", i + 1)
        return out
    return list(compress(range(len(digits)), digits.encode().translate(_DIGIT_BYTES)))


_DIGIT_BYTES = bytes.maketrans(b"01", b"\x00\x01")


def _most_selective_first(reqs: Sequence[Requirement]) -> list[Requirement]:
    order = {Operator.IN: 0, Operator.EXISTS: 1, Operator.NOT_IN: 2, Operator.DOES_NOT_EXIST: 3}
    return sorted(reqs, key=lambda r: order[r.operator])
