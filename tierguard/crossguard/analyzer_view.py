"""What the engine hands a policy pack of a resource, shared by the in-process evaluator and the
gRPC driver so both see the same thing (pkg/resource/plugin/analyzer_plugin.go):

* ``Analyze``/``AnalyzeStack`` marshal properties with ``SkipInternalKeys``: top-level keys starting
  with ``__`` (a dynamic resource's ``__provider``, ...) never reach a policy; ``Remediate`` does not
  skip them;
* ``AnalyzeStack`` skips property dependencies that depend on nothing;
* a provider reference is ``<provider urn>::<provider id>``.
"""

from __future__ import annotations

from typing import Any

from tierguard.model.records import Resource


def analyzer_props(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` without the engine's internal top-level keys (only the top level, as the engine)."""
    if not any(k.startswith("__") for k in props):
        return props
    return {k: v for k, v in props.items() if not k.startswith("__")}


def stack_property_dependencies(res: Resource) -> dict[str, list[str]]:
    """The property dependencies ``AnalyzeStack`` sends: those with at least one dependency."""
    return {k: list(v) for k, v in res.property_dependencies.items() if v}


def provider_urn(reference: str) -> str:
    """The provider's URN from an engine provider reference (a bare URN passes through)."""
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference
