"""plan-size: per-tier resource limits, an advisory warning near the limit, a mandatory block above it;
providers, components and stack references are not counted. Unknown and secret inputs are counted."""

from __future__ import annotations

from policy_cases import UNKNOWN, A, M, case, r, secret

WARN = "stack-size-warning"
LIMIT = "stack-size-limit"
STACK = "proj-dev"  # stack-level findings sit on the root stack resource
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"


def _stack(count: int) -> list:
    """``count`` counted resources, one with unknown inputs and one with a secret."""
    out = [r(CONFIGMAP, f"cm{i}", {"data": {"k": str(i)}}) for i in range(count - 2)]
    return [
        *out,
        r(SECRET, "s", {"stringData": secret({"pw": "x"})}),
        r(CONFIGMAP, "u", {"metadata": UNKNOWN}),
    ]


def _limits(n: int, ratio: float = 0.5) -> dict:
    return {LIMIT: {"limits": {"infra": n}}, WARN: {"limits": {"infra": n}, "warnRatio": ratio}}


NOT_COUNTED = [
    r("pulumi:providers:kubernetes", "k8s"),
    r("pulumi:pulumi:StackReference", "infra", {"name": "acme/infra/prod"}),
    r("kubernetes:helm.sh/v4:Chart", "podinfo", {"chart": "podinfo"}, custom=False),
]

CASES = [
    case(WARN, "below-warning", _stack(4), config=_limits(10)),
    case(WARN, "at-warning", _stack(5), [(WARN, STACK, A)], config=_limits(10)),
    case(WARN, "at-limit", _stack(10), [(WARN, STACK, A)], config=_limits(10)),
    case(LIMIT, "over-limit", _stack(11), [(LIMIT, STACK, M)], config=_limits(10)),
    case(
        LIMIT, "at-limit-with-uncounted", [*_stack(10), *NOT_COUNTED], [(WARN, STACK, A)], config=_limits(10)
    ),
    case(
        LIMIT,
        "uncounted-counted-when-not-excluded",
        [*_stack(10), *NOT_COUNTED],
        # the warning keeps its own (default) excludeTypes: 10 of 10, a warning beside the block
        [(LIMIT, STACK, M), (WARN, STACK, A)],
        config={**_limits(10), LIMIT: {"limits": {"infra": 10}, "excludeTypes": []}},
    ),
    case(LIMIT, "app-default-limit-80", _stack(81), [(LIMIT, STACK, M)], tier="app"),
    case(LIMIT, "infra-default-limit-120", _stack(81)),
    case(WARN, "infra-default-warning", _stack(96), [(WARN, STACK, A)]),
    case(LIMIT, "unresolved-tier-strictest-limit", _stack(61), [(LIMIT, STACK, M)], tier=None),
]
