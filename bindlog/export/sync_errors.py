"""The error KubeStellar's controller meets when it syncs a policy it cannot resolve.

A clusterSelectors entry that the CRD accepts but LabelSelectorAsSelector rejects (In with no
values, Exists with values, a bad matchLabels key, a value over 63 characters) fails that one
policy's sync: FindClustersBySelectors returns on the first bad selector (pkg/ocm/ocm.go 35-39),
syncBindingPolicy returns before setting destinations (pkg/binding/bindingpolicy.go 75-78), and
the work queue logs the error and retries with back-off (binding-controller.go 716-730). Nothing
is written into the policy's status (status.errors holds only singleton and transport errors,
binding.go 90-114), so these errors are kept apart from `Result.status_errors`.
"""

from __future__ import annotations

from bindlog.engine.evaluate import Result

# The wrapping of the error on its way to the log: ocm.go 38, bindingpolicy.go 77,
# binding-controller.go 744. The selector's own error is bindlog's wording of apimachinery's.
_CHAIN = (
    "failed to handle bindingpolicy: failed to ocm.FindClustersBySelectors: "
    "failed to convert metav1.LabelSelector to labels.Selector: "
)


def sync_errors(result: Result) -> dict[str, list[str]]:
    """Policy name -> the error its sync fails with (logged and retried, not in status)."""
    out: dict[str, list[str]] = {}
    for res in result.resolutions:
        if not res.invalid:
            continue
        for i, sel in enumerate(res.policy.cluster_selectors):
            if sel.error is not None:  # the first bad selector stops the loop, as in ocm.go
                out[res.policy.name] = [f"{_CHAIN}spec.clusterSelectors[{i}]: {sel.error}"]
                break
    return out
