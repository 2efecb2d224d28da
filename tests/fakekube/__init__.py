"""A loopback Kubernetes API server for tests: real clients (the `kubernetes` package, kubectl)
talk to it over HTTP on 127.0.0.1.

`store` holds objects, resource versions, managed fields and the watch event log; `server`
speaks the API's URL layout, discovery, list/watch/apply conventions and injected faults;
`kubeconfig` writes a token-authenticated kubeconfig for it.
"""

from .kubeconfig import write_kubeconfig
from .server import FakeKube, Fault, Resource
from .store import Store

__all__ = ["FakeKube", "Fault", "Resource", "Store", "write_kubeconfig"]
