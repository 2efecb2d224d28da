"""A kubeconfig for fake API servers: one context per (name, server), token authentication."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from .server import FakeKube


def write_kubeconfig(path: Path, contexts: dict[str, FakeKube], current: str = "") -> Path:
    """Write a kubeconfig naming each server by its context; the first is current."""
    names = list(contexts)
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": n,
                "cluster": {
                    "server": k.url,
                    "certificate-authority-data": base64.b64encode(k.ca_file.read_bytes()).decode(),
                },
            }
            for n, k in contexts.items()
        ],
        "users": [{"name": f"{n}-user", "user": {"token": k.token}} for n, k in contexts.items()],
        "contexts": [{"name": n, "context": {"cluster": n, "user": f"{n}-user"}} for n in names],
        "current-context": current or names[0],
    }
    path.write_text(yaml.safe_dump(doc))
    return path
