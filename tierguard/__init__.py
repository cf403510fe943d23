"""tierguard: policy-as-code guardrails for three-tier Pulumi estates."""

from typing import Any

__version__ = "0.1.0"
__all__ = ["PolicyPack", "__version__"]


def __getattr__(name: str) -> Any:
    """``from tierguard import PolicyPack`` (:mod:`tierguard.crossguard.userpack`), imported only when
    asked for, so that ``import tierguard`` stays as cheap as it was."""
    if name == "PolicyPack":
        from tierguard.crossguard.userpack import PolicyPack

        return PolicyPack
    raise AttributeError(f"module 'tierguard' has no attribute {name!r}")
