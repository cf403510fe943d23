"""Serve one of tierguard's packs to the Pulumi CLI: what ``policypacks/<pack>/__main__.py`` calls.

The server is pulumi-policy's own analyzer servicer with three additions, all for exemptions
(:mod:`tierguard.policies.exemptions`):

* ``ConfigureStack`` keeps the whole request (stack, project, organization, tags, dry-run, the
  stack's config and its secret keys) in :mod:`tierguard.policies.stackcontext`; pulumi-policy keeps only
  the tags, and under ``RunPlugin`` the pack gets no ``PULUMI_CONFIG`` to fall back on;
* ``Configure`` keeps the policy config (``all`` included) there too, and refuses a malformed
  exemption, so the CLI reports a config error;
* the ``report_violation`` each policy gets has an ``exempted`` hook that reports at advisory, and
  ``AnalyzeStack`` ends with the stale exemptions of the pack as advisory notes.

:func:`serve` goes through ``pulumi_policy.PolicyPack``, which starts the gRPC server, prints its
port and never returns, so it is only ever called at the very end of a pack's ``__main__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pulumi_policy.policy
from google.protobuf import json_format
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from tierguard.policies import stackcontext
from tierguard.policies.exemptions import STACK_KEY, ExemptionError, parse_list, stack_list, stale_text
from tierguard.policies.packs import load_pack


class TierguardServicer(_PolicyAnalyzerServicer):
    """pulumi-policy's servicer, keeping what ConfigureStack and Configure send for the policies."""

    @property
    def pack_name(self) -> str:
        return self._PolicyAnalyzerServicer__policy_pack_name  # type: ignore[attr-defined]

    @property
    def policies(self) -> list[Any]:
        return self._PolicyAnalyzerServicer__policies  # type: ignore[attr-defined]

    def ConfigureStack(self, request: Any, context: Any) -> Any:
        response = super().ConfigureStack(request, context)
        stack_file = f"Pulumi.{request.stack}.yaml"
        stackcontext.configure_stack(
            config=dict(request.config),
            secret_keys=list(request.config_secret_keys),
            stack_file=stack_file,
        )
        # the shape now; the date limit once Configure has said what it is
        try:
            parse_list(
                stack_list(request.config, request.config_secret_keys, stack_file),
                source="stack",
                prefix=STACK_KEY,
                secret=STACK_KEY in request.config_secret_keys,
                file=stack_file,
                max_days=10**6,
            )
        except ExemptionError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{stack_file}: {exc}")
        return response

    def Configure(self, request: Any, context: Any) -> Any:
        response = super().Configure(request, context)
        stackcontext.configure_policies(
            {k: json_format.MessageToDict(v.properties) for k, v in request.policyConfig.items()},
            "policy config",
        )
        try:
            stackcontext.exemptions()
        except ExemptionError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{exc.file or 'policy config'}: {exc}")
        return response

    def _create_report_violation(
        self,
        response: Any,
        policy_name: str,
        policy_description: str,
        enforcement_level: EnforcementLevel,
        severity: Any = None,
    ) -> Any:
        report = super()._create_report_violation(
            response, policy_name, policy_description, enforcement_level, severity
        )
        advisory = super()._create_report_violation(
            response, policy_name, policy_description, EnforcementLevel.ADVISORY, severity
        )

        def report_violation(message: str, urn: str | None = None) -> None:
            report(message, urn)

        def exempted(message: str, urn: str | None, exemption: Any, detail: str | None) -> None:
            advisory(message, urn)

        report_violation.exempted = exempted  # type: ignore[attr-defined]
        return report_violation

    def AnalyzeStack(self, request: Any, context: Any) -> Any:
        response = super().AnalyzeStack(request, context)
        enabled = {
            p.name: p
            for p in self.policies
            if self._get_enforcement_level(p) != EnforcementLevel.DISABLED
            and (not isinstance(p, ResourceValidationPolicy) or p.has_validation())
        }
        for name, ex in stackcontext.stale(enabled):
            policy = enabled[name]
            note = super()._create_report_violation(
                response, name, policy.description, EnforcementLevel.ADVISORY, policy.severity
            )
            note(stale_text(ex, self.pack_name), None)
        return response


@contextmanager
def tierguard_servicer() -> Iterator[None]:
    """Inside it, ``pulumi_policy.PolicyPack`` serves with :class:`TierguardServicer` in place of
    the servicer it builds (the module-level name it builds from)."""
    original = pulumi_policy.policy._PolicyAnalyzerServicer
    pulumi_policy.policy._PolicyAnalyzerServicer = TierguardServicer
    try:
        yield
    finally:
        pulumi_policy.policy._PolicyAnalyzerServicer = original


def serve(name: str) -> None:
    """Serve pack ``name`` through ``pulumi_policy.PolicyPack`` itself (its checks, its server, its
    port line), with :class:`TierguardServicer` in place of the servicer it builds. Going through
    ``PolicyPack`` also lets ``tierguard check --policy-pack policypacks/<name>`` capture the pack
    in-process, as it captures any pack."""
    pack = load_pack(name)
    with tierguard_servicer():
        PolicyPack(
            name=pack.name,
            policies=list(pack.policies),
            enforcement_level=EnforcementLevel.ADVISORY,
            description=pack.description,
            tags=sorted({t for p in pack.policies for t in (p.tags or [])}),
        )
