"""Serve one of tierguard's packs to the Pulumi CLI: what ``policypacks/<pack>/__main__.py`` calls.

``pulumi_policy.PolicyPack`` starts the analyzer's gRPC server, prints its port and never returns,
so it is only ever called here, at the very end of a pack's ``__main__``.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyPack

from tierguard.packs import load_pack


def serve(name: str) -> None:
    pack = load_pack(name)
    PolicyPack(
        name=pack.name,
        policies=list(pack.policies),
        enforcement_level=EnforcementLevel.ADVISORY,
        description=pack.description,
        tags=sorted({t for p in pack.policies for t in (p.tags or [])}),
    )
