"""kubectl's JSONPath dialect: the examples of kubectl's JSONPath reference, on its document,
with the results that reference gives (JSON objects printed compact, several results space-
separated, nothing after the last one)."""

from __future__ import annotations

from typing import Any

import pytest

from bindlog.export.jsonpath import JSONPathError, parse, relaxed

DOC: dict[str, Any] = {
    "kind": "List",
    "items": [
        {
            "kind": "None",
            "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
            "status": {
                "capacity": {"cpu": "4"},
                "ready": True,
                "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}],
            },
        },
        {
            "kind": "None",
            "metadata": {"name": "127.0.0.2"},
            "status": {
                "capacity": {"cpu": "8"},
                "ready": False,
                "addresses": [
                    {"type": "LegacyHostIP", "address": "127.0.0.2"},
                    {"type": "another", "address": "127.0.0.3"},
                ],
            },
        },
    ],
    "users": [
        {"name": "myself", "user": {}},
        {"name": "e2e", "user": {"username": "admin", "password": "secret", "uid": 7}},
    ],
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{.kind}", "List"),
        ("{['kind']}", "List"),
        ("{$.kind}", "List"),
        ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
        ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
        ('{.users[?(@.name=="e2e")].user.password}', "secret"),
        ("{.users[?(@.name!='e2e')].name}", "myself"),
        ("{.users[?(@.user.uid>5)].name}", "e2e"),
        ("{.users[?(@.user.password)].name}", "e2e"),
        ("{.items[?(@.status.ready==true)].metadata.name}", "127.0.0.1"),
        ("{.items[0].status.capacity}", '{"cpu":"4"}'),
        ("{.items[-1:].metadata.name}", "127.0.0.2"),
        ("{.items[0:2:1].metadata.name}", "127.0.0.1 127.0.0.2"),
        ("{.items[1,0].metadata.name}", "127.0.0.2 127.0.0.1"),
        ("{.items[*].status.ready}", "true false"),
        ("{.users[1].user.uid}", "7"),
        ("{.users[0].user}", "{}"),
        ("{.items[0].metadata.labels['kubernetes.io/hostname']}", "127.0.0.1"),
        ("{.items[0].status.capacity.*}", "4"),
        ("{.missing.key}", ""),
        (
            "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
            '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] ',
        ),
        (
            '{range .items[*]}{.metadata.name}{"\\t"}'
            '{range .status.addresses[*]}{.address},{end}{"\\n"}{end}',
            "127.0.0.1\t127.0.0.1,\n127.0.0.2\t127.0.0.2,127.0.0.3,\n",
        ),
        ("names: {.items[*].metadata.name}!", "names: 127.0.0.1 127.0.0.2!"),
        ('{"a\\u00e9"}', "aé"),
    ],
)
def test_kubectl_examples(template: str, expected: str) -> None:
    assert parse(template).render(DOC) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{.items[", "unclosed ["),
        ("{.kind", "unclosed action"),
        ("{range .items[*]}{.kind}", "{range} without {end}"),
        ("{end}", "{end} without {range}"),
        ('{"abc}', "unterminated string"),
        ("{.items[x]}", "invalid array index"),
        ("{.items[?(@.a==]}", "unrecognized character"),
    ],
)
def test_parse_errors(template: str, message: str) -> None:
    with pytest.raises(JSONPathError, match=message.replace("[", r"\[").replace("{", r"\{")):
        parse(template)


def test_evaluation_errors_match_kubectl() -> None:
    with pytest.raises(JSONPathError, match="array index out of bounds: index 5, length 2"):
        parse("{.items[5]}").render(DOC)
    with pytest.raises(JSONPathError, match="is not a list and cannot be filtered"):
        parse("{.kind[?(@.x)]}").render(DOC)


def test_relaxed_paths_for_custom_columns() -> None:
    item = DOC["items"][1]
    for text in (".metadata.name", "metadata.name", "{.metadata.name}"):
        assert relaxed(text).values(item) == ["127.0.0.2"]
    assert relaxed(".status.addresses[*].address").values(item) == ["127.0.0.2", "127.0.0.3"]
