"""The library's what-if API, including the README example, which must run as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import bindlog
from bindlog.changes import apply_to_snapshot

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_example_runs_and_prints_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### What-if and diff") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "README.md", "exec"), {})
    assert out.getvalue() == "1 Binding changes: +1 WEC\n['nginx', 'nginx-config-everywhere']\n"


def test_what_if_keeps_the_base_and_apply_moves_it() -> None:
    model = bindlog.load_model([str(ROOT / "tests/whatif/base.yaml")])
    base = model.snapshot
    before = model.bindings
    change = model.label("wec/w2", "env=prod")
    assert model.what_if([change]).diff.summary() == "2 Bindings change: +1 WEC, -1 WEC"
    assert model.snapshot == base
    assert model.bindings == before
    # The same question again gets the same answer: nothing of the first stayed.
    assert model.what_if([change]).diff.summary() == "2 Bindings change: +1 WEC, -1 WEC"
    kept = model.apply(bindlog.ChangeSet((change,)))
    assert kept.diff.summary() == "2 Bindings change: +1 WEC, -1 WEC"
    assert model.snapshot == apply_to_snapshot(base, [change])
    assert not model.what_if([model.label("wec/w2", "env=prod")]).diff.changed
    assert model.bindings == kept.bindings


def test_an_empty_change_set_changes_nothing() -> None:
    model = bindlog.load_model([str(ROOT / "tests/whatif/base.yaml")])
    outcome = model.what_if([])
    assert not outcome.diff.changed
    assert outcome.bindings == model.bindings


def test_changes_built_by_hand() -> None:
    model = bindlog.load_model([str(ROOT / "tests/whatif/base.yaml")])
    outcome = model.what_if(
        bindlog.ChangeSet((bindlog.Delete(bindlog.Key("bindingpolicy", "db")),))
    )
    assert outcome.diff.summary() == "1 Binding changes (1 deleted): -1 WEC, -2 objects"
    with pytest.raises(bindlog.ChangeError):
        model.what_if([bindlog.Delete(bindlog.Key("wec", "nope"))])
