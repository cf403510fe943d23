"""``tierguard.PolicyPack``: a user's own pack that honours tierguard's exemptions, as the built-in
packs do, under the Pulumi CLI and under ``tierguard check`` alike.

A plain ``pulumi_policy.PolicyPack`` runs on pulumi-policy's server, which drops the stack config
``ConfigureStack`` sends, so no exemption can reach it. This drop-in takes exactly the arguments of
``pulumi_policy.PolicyPack`` and changes two things: every policy goes through
:func:`tierguard.policies.base.with_exemptions` (the built-in policies' exemption machinery: stack
config ``tierguard:exemptions`` and policy-config ``exemptions``, expiry, stale notes, secrets), and
the pack is served by :class:`tierguard.crossguard.serve.TierguardServicer`, which keeps what
``ConfigureStack`` and ``Configure`` send. It still *is* a ``pulumi_policy.PolicyPack``, built
through its ``__init__``, so tierguard loads it from its directory as it loads any pack.
"""

from __future__ import annotations

from typing import Any

import pulumi_policy
from pulumi_policy import Policy

from tierguard.crossguard.serve import tierguard_servicer
from tierguard.policies.base import with_exemptions

__all__ = ["PolicyPack"]


class PolicyPack(pulumi_policy.PolicyPack):
    """``pulumi_policy.PolicyPack`` whose policies honour tierguard's exemptions (one import to change:
    ``from tierguard import PolicyPack``). Like the original, constructing it serves the pack and
    never returns."""

    def __init__(
        self,
        name: str,
        policies: list[Policy],
        enforcement_level: pulumi_policy.EnforcementLevel | None = None,
        initial_config: dict[str, Any] | None = None,
        description: str | None = None,
        display_name: str | None = None,
        readme: str | None = None,
        provider: str | None = None,
        tags: list[str] | None = None,
        repository: str | None = None,
    ) -> None:
        given = {
            "enforcement_level": enforcement_level,
            "initial_config": initial_config,
            "description": description,
            "display_name": display_name,
            "readme": readme,
            "provider": provider,
            "tags": tags,
            "repository": repository,
        }
        if isinstance(policies, list):  # anything else is refused by PolicyPack itself, as it is
            policies = [with_exemptions(p) if isinstance(p, Policy) else p for p in policies]
        with tierguard_servicer():
            # only what was given: pulumi-policy versions before an argument existed still work
            super().__init__(name, policies, **{k: v for k, v in given.items() if v is not None})
