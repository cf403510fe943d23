"""The storage-protection pack: storage cannot be destroyed by a careless change.

Policies (all over the data in :mod:`tierguard.catalog.storage`):

* ``storage-deletion-guards`` (mandatory, remediable): each storage type's protecting properties hold
  a safe *effective* value (provider defaults included); ``deletionPolicy: "PREVENT"`` counts as
  protection. At the ``remediate`` level it rewrites the unsafe guards (``forceDestroy: false``,
  ``deletionProtection: true`` ...) so ``pulumi up`` fixes the stack;
* ``storage-protect-option-prod`` (mandatory) and ``storage-protect-option`` (advisory): the ``protect``
  resource option on every storage resource -- required in production stacks, recommended elsewhere.
  Enforcement levels are per policy, so the two levels are two policies that split the stacks by one
  config key, ``protectRequiredStacks`` (stack-name patterns, default prod/production);
* ``kubernetes-storage-retain`` (mandatory, remediable where the field is mutable): StatefulSet claim
  retention, PersistentVolume and StorageClass reclaim policies keep the data.

Unknown values: a rule reports what it knows is unsafe; when the verdict hinges only on values unknown
during preview it lets the analyzer report its "can't run during preview" note (``pulumi up`` re-runs
the packs with the values known). Messages name properties and safe values, never the values read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from tierguard.catalog import storage as st
from tierguard.policies import props as p
from tierguard.policies import skip
from tierguard.policies.base import Rule, resource_policy
from tierguard.policies.tier import stack_name

CATEGORY = "deletion-protection"

_UNSET: Any = object()


@dataclass
class Verdict:
    """What a spec says about one resource."""

    applies: bool = True
    prevented: bool = False  # deletionPolicy PREVENT
    failed: list[st.Guard] = field(default_factory=list)
    unset: set[str] = field(default_factory=set)  # failed guards that fail through their default
    unknown: list[str] = field(default_factory=list)  # paths whose value is unknown

    @property
    def violated(self) -> bool:
        # An unknown deletionPolicy could still be PREVENT: then nothing is known to be unsafe.
        undecided = st.DELETION_POLICY_PATH in self.unknown
        return self.applies and not self.prevented and bool(self.failed) and not undecided


def judge(spec: st.StorageSpec, props: Any) -> Verdict:
    verdict = Verdict()
    if spec.applies_when:
        present = p.non_empty(p.get(props, spec.applies_when))
        if present is p.UNKNOWN:
            verdict.unknown.append(spec.applies_when)
            verdict.applies = False
            return verdict
        if not present:
            verdict.applies = False
            return verdict
    if spec.deletion_policy:
        policy = p.get(props, st.DELETION_POLICY_PATH)
        if policy is p.UNKNOWN:
            verdict.unknown.append(st.DELETION_POLICY_PATH)
        elif policy in st.DELETION_POLICY_SAFE:
            verdict.prevented = True
            return verdict
    for guard in spec.guards:
        value = p.get(props, guard.path, _UNSET)
        if value is p.UNKNOWN:
            verdict.unknown.append(guard.path)
            continue
        effective = guard.default if value is _UNSET else value
        if effective is None or effective not in guard.safe or not _same_kind(effective, guard.safe):
            verdict.failed.append(guard)
            if value is _UNSET:
                verdict.unset.add(guard.path)
    return verdict


def _same_kind(value: Any, safe: tuple[Any, ...]) -> bool:
    """``1 == True`` in Python; a guard's value must be the same JSON kind as its safe value."""
    return any(type(value) is type(s) for s in safe)


def _show(values: Iterable[Any]) -> str:
    return " or ".join(json.dumps(v) for v in values)


def _describe(spec: st.StorageSpec, verdict: Verdict) -> str:
    parts = []
    for guard in verdict.failed:
        text = f"`{guard.path}` must be {_show(guard.safe)}"
        if guard.path in verdict.unset:
            text += (
                f" (unset means {json.dumps(guard.default)})"
                if guard.default is not None
                else " (unset, and the provider documents no protected default)"
            )
        parts.append(f"{text} -- otherwise {guard.why}")
    message = f"{spec.kind} is not protected against deletion: " + "; ".join(parts) + "."
    if spec.deletion_policy:
        message += ' Alternatively set `deletionPolicy: "PREVENT"`.'
    known_unknown = [u for u in verdict.unknown if u != st.DELETION_POLICY_PATH]
    if known_unknown:
        message += f" Not known until the update: {', '.join(f'`{u}`' for u in known_unknown)}."
    return message


def _exempt(args: Any, config: Mapping[str, Any]) -> bool:
    return skip.skipped(args, skip.patterns(config, SKIP_ALIAS))


def _validate_specs(
    specs: Mapping[str, st.StorageSpec], args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    spec = specs.get(args.resource_type)
    if spec is None or _exempt(args, args.get_config() or {}):
        return
    verdict = judge(spec, args.props)
    if verdict.violated:
        report_violation(_describe(spec, verdict))
        return
    if verdict.prevented or not verdict.unknown:
        return
    # Nothing is known to be unsafe, yet the verdict hinges on unknown values (an unknown
    # deletionPolicy only matters when a guard fails): leave it to the analyzer's preview note.
    if verdict.failed or any(u != st.DELETION_POLICY_PATH for u in verdict.unknown):
        p.raise_if_unknown(args.props, verdict.unknown)


def _remediate_specs(specs: Mapping[str, st.StorageSpec], args: ResourceValidationArgs) -> Any:
    """Set every failed guard that has a safe fix; None when there is nothing (known) to fix."""
    spec = specs.get(args.resource_type)
    if spec is None or _exempt(args, args.get_config() or {}):
        return None
    verdict = judge(spec, args.props)
    if not verdict.applies or verdict.prevented:
        return None
    changed = False
    for guard in verdict.failed:
        if guard.fix is not None and p.set_path(args.props, guard.path, guard.fix):
            changed = True
    return args.props if changed else None


def validate_deletion_guards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    _validate_specs(st.STORAGE_SPECS, args, report_violation)


def remediate_deletion_guards(args: ResourceValidationArgs) -> Any:
    return _remediate_specs(st.STORAGE_SPECS, args)


def validate_kubernetes_retain(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    _validate_specs(st.KUBERNETES_STORAGE_SPECS, args, report_violation)


def remediate_kubernetes_retain(args: ResourceValidationArgs) -> Any:
    return _remediate_specs(st.KUBERNETES_STORAGE_SPECS, args)


# -- protect option ----------------------------------------------------------------------------------


def protect_required(args: ResourceValidationArgs) -> bool:
    """Whether this stack is one where `protect` is mandatory (its name matches the config)."""
    patterns = (args.get_config() or {}).get("protectRequiredStacks", st.PROTECT_REQUIRED_STACKS)
    name = stack_name(args) or ""
    return any(p.type_matches(name, pattern) for pattern in patterns)


def _needs_protect(args: ResourceValidationArgs) -> bool:
    config = args.get_config() or {}
    t = args.resource_type
    if _exempt(args, config):
        return False
    return t in st.PROTECT_OPTION_TYPES or any(p.type_matches(t, x) for x in config.get("extraTypes") or [])


def _protect_message(args: ResourceValidationArgs, required: bool) -> str:
    where = (
        f"stack {stack_name(args)!r} matches `protectRequiredStacks`, so it is required"
        if required
        else "recommended outside production too"
    )
    return (
        f"`{args.resource_type}` has no `protect` resource option ({where}). Add "
        "`opts=pulumi.ResourceOptions(protect=True)` so that Pulumi refuses to delete or replace it; "
        "unprotect deliberately with `pulumi state unprotect` when it must go."
    )


def validate_protect_prod(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if _needs_protect(args) and protect_required(args) and not args.opts.protect:
        report_violation(_protect_message(args, True))


def validate_protect_other(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if _needs_protect(args) and not protect_required(args) and not args.opts.protect:
        report_violation(_protect_message(args, False))


# -- rules -------------------------------------------------------------------------------------------

# the resources a policy skips: `allowedResources`, or its old name `exemptTypes` (tierguard.policies.skip)
SKIP_ALIAS = "exemptTypes"
_SKIP_SCHEMA = skip.config(SKIP_ALIAS)
_PROTECT_CONFIG: dict[str, Any] = {
    "protectRequiredStacks": {
        "type": "array",
        "description": "Stack names (fnmatch patterns, case-insensitive) where `protect` is mandatory; "
        "set the same list on storage-protect-option-prod and storage-protect-option.",
        "items": {"type": "string"},
        "default": list(st.PROTECT_REQUIRED_STACKS),
    },
    "extraTypes": {
        "type": "array",
        "description": "More type tokens or patterns that must carry `protect`.",
        "items": {"type": "string"},
        "default": [],
    },
    **_SKIP_SCHEMA,
}

DELETION_GUARDS = Rule(
    name="storage-deletion-guards",
    title="Storage has its deletion guards on",
    description="Storage resources keep their deletion guards on (SQL deletionProtection and "
    "settings.deletionProtectionEnabled, bucket forceDestroy false, BigQuery deleteContentsOnDestroy "
    "false, Bigtable table PROTECTED, Firestore deleteProtectionState, Filestore/Memorystore "
    "deletionProtectionEnabled ...; AWS RDS/Aurora/DocumentDB/Neptune deletionProtection and "
    "skipFinalSnapshot, DynamoDB deletionProtectionEnabled, S3 and Backup vault forceDestroy; Azure Key "
    "Vault purge protection), judged on the effective value with provider defaults.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Set the properties the message names to their safe values (or `deletionPolicy: "
    '"PREVENT"`). Setting this policy to `remediate` makes `pulumi up` apply the safe values itself.',
    references=("CKV_GCP_119", "CKV_GCP_120", "CKV_GCP_121", "CKV_GCP_122", "CKV_AWS_139", "CKV_AWS_293",
                "CKV_AZURE_110"),
    resource_types=tuple(st.STORAGE_SPECS),
    config=dict(_SKIP_SCHEMA),
)

PROTECT_OPTION_PROD = Rule(
    name="storage-protect-option-prod",
    title="Storage is protected in production stacks",
    description="In production stacks every storage resource carries the `protect` resource option, "
    "so no preview or update can delete or replace it.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Add `opts=pulumi.ResourceOptions(protect=True)` to the resource. Which stacks count "
    "as production is the `protectRequiredStacks` config (stack-name patterns).",
    resource_types=st.PROTECT_OPTION_TYPES,
    resource_types_config=("extraTypes",),
    config=dict(_PROTECT_CONFIG),
)

PROTECT_OPTION = Rule(
    name="storage-protect-option",
    title="Storage is protected (non-production stacks)",
    description="Outside production, storage resources should still carry the `protect` resource "
    "option; advisory, because development data is often disposable.",
    category=CATEGORY,
    severity="medium",
    enforcement="advisory",
    remediation="Add `opts=pulumi.ResourceOptions(protect=True)`, or exempt the resource with "
    "`allowedResources`.",
    resource_types=st.PROTECT_OPTION_TYPES,
    resource_types_config=("extraTypes",),
    config=dict(_PROTECT_CONFIG),
)

KUBERNETES_RETAIN = Rule(
    name="kubernetes-storage-retain",
    title="Kubernetes storage is retained on delete",
    description="StatefulSets keep their volume claims when deleted "
    "(persistentVolumeClaimRetentionPolicy.whenDeleted Retain), PersistentVolumes and StorageClasses "
    "reclaim with Retain.",
    category=CATEGORY,
    severity="medium",
    enforcement="mandatory",
    remediation="Set `spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Retain` (StatefulSet), "
    "`spec.persistentVolumeReclaimPolicy: Retain` (PersistentVolume) or `reclaimPolicy: Retain` "
    "(StorageClass; immutable, so the class is replaced). The `remediate` level fixes the first two.",
    resource_types=tuple(st.KUBERNETES_STORAGE_SPECS),
    config=dict(_SKIP_SCHEMA),
)

POLICIES: tuple[Any, ...] = (
    resource_policy(DELETION_GUARDS, validate_deletion_guards, remediate_deletion_guards),
    resource_policy(PROTECT_OPTION_PROD, validate_protect_prod),
    resource_policy(PROTECT_OPTION, validate_protect_other),
    resource_policy(KUBERNETES_RETAIN, validate_kubernetes_retain, remediate_kubernetes_retain),
)
CATALOGS: dict[str, Any] = st.catalog_json()
