"""GCP resource settings of the least-privilege-iam pack: public BigQuery datasets and storage ACLs,
bucket access settings, service account keys, workload identity pool provider conditions (grants
through IAM types are :mod:`tierguard.policies.iam_gcp_grants`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tierguard.catalog import iam as catalog
from tierguard.policies.base import Rule, resource_policy
from tierguard.policies.iam_gcp_grants import (
    ALLOWLIST_CONFIG,
    CATEGORY,
    PUBLIC_ALLOWLIST_CONFIG,
    public_allowed,
)
from tierguard.policies.iam_reader import settings
from tierguard.policies.props import UNKNOWN, get
from tierguard.policies.skip import skipped

# -- resource rules: datasets, ACLs, buckets, keys, workload identity providers --------------------


def _public_entity(entity: Any) -> bool:
    return isinstance(entity, str) and entity in catalog.PUBLIC_MEMBERS


BIGQUERY_PUBLIC_RULE = Rule(
    name="gcp-bigquery-dataset-not-public",
    title="BigQuery datasets are not public",
    description="BigQuery dataset accesses must not grant allUsers or allAuthenticatedUsers.",
    category=CATEGORY,
    severity="critical",
    enforcement="mandatory",
    remediation="Remove the access entry with specialGroup allAuthenticatedUsers / iamMember allUsers; "
    "grant the users or groups that need the data, or share an authorized view.",
    references=("CIS GCP 7.1", "CKV_GCP_15"),
    resource_types=(catalog.BIGQUERY_DATASET, catalog.BIGQUERY_DATASET_ACCESS),
    config={**PUBLIC_ALLOWLIST_CONFIG, "allowedResources": ALLOWLIST_CONFIG["allowedResources"]},
)


def _bigquery_public(args: Any, report_violation: Callable[..., None]) -> None:
    if args.resource_type == catalog.BIGQUERY_DATASET:
        accesses = get(args.props, "accesses", [], plain=True)
        entries = accesses if isinstance(accesses, list) else []
    elif args.resource_type == catalog.BIGQUERY_DATASET_ACCESS:
        entries = [{k: get(args.props, k, plain=True) for k in ("role", "specialGroup", "iamMember")}]
    else:
        return
    cfg = settings(args, BIGQUERY_PUBLIC_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        for key in ("specialGroup", "iamMember"):
            who = entry.get(key)
            if _public_entity(who) and not public_allowed(args, entry.get("role"), cfg.get("allowedPublic")):
                role = entry.get("role")
                shown = role if isinstance(role, str) else "a role"
                report_violation(f"{key} {who} is given {shown} on the dataset.")


STORAGE_ACL_RULE = Rule(
    name="gcp-storage-acl-not-public",
    title="Storage ACLs are not public",
    description="Bucket and object ACLs must not grant allUsers or allAuthenticatedUsers, nor use a public "
    "canned ACL (publicRead, publicReadWrite, authenticatedRead).",
    category=CATEGORY,
    severity="critical",
    enforcement="mandatory",
    remediation="Use uniform bucket-level access with IAM grants to named members instead of ACLs; for a "
    "deliberate public website bucket add an allowedPublic entry.",
    references=("CIS GCP 5.1", "CKV_GCP_28", "CKV_GCP_29"),
    resource_types=tuple(catalog.STORAGE_ACL_TYPES),
    config={**PUBLIC_ALLOWLIST_CONFIG, "allowedResources": ALLOWLIST_CONFIG["allowedResources"]},
)


def _storage_acl(args: Any, report_violation: Callable[..., None]) -> None:
    keys = catalog.STORAGE_ACL_TYPES.get(args.resource_type)
    if keys is None:
        return
    cfg = settings(args, STORAGE_ACL_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    allowed = cfg.get("allowedPublic")
    for key in keys:
        value = get(args.props, key, plain=True)
        if key == "roleEntities" and isinstance(value, list):
            for item in value:
                if isinstance(item, str) and ":" in item:
                    role, _, entity = item.partition(":")
                    if _public_entity(entity) and not public_allowed(args, role, allowed):
                        report_violation(f"roleEntities gives {role} to {entity}.")
        elif key == "entity" and _public_entity(value):
            role = get(args.props, "role")
            if not public_allowed(args, role, allowed):
                report_violation(f"entity {value} is given {role if isinstance(role, str) else 'a role'}.")
        elif (
            key in ("predefinedAcl", "defaultAcl")
            and value in catalog.PUBLIC_CANNED_ACLS
            and not public_allowed(args, value, allowed)
        ):
            report_violation(f"{key} {value} opens the bucket or object to the public.")


BUCKET_ACCESS_RULE = Rule(
    name="gcp-storage-bucket-uniform-access",
    title="Buckets use uniform access and enforce public access prevention",
    description="Storage buckets must set uniformBucketLevelAccess true and publicAccessPrevention "
    "'enforced' (unset means 'inherited', which does not prevent public access on its own).",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Set uniform_bucket_level_access=True and public_access_prevention='enforced' on the bucket.",
    references=("CIS GCP 5.2", "CKV_GCP_29", "CKV_GCP_114"),
    resource_types=(catalog.STORAGE_BUCKET,),
    config={
        "requirePublicAccessPrevention": {
            "type": "boolean",
            "default": True,
            "description": "Require publicAccessPrevention 'enforced' (turn off when an organization policy "
            "enforces it for every bucket).",
        },
        "allowedResources": ALLOWLIST_CONFIG["allowedResources"],
    },
)


def _bucket_access(args: Any, report_violation: Callable[..., None]) -> None:
    if args.resource_type != catalog.STORAGE_BUCKET:
        return
    cfg = settings(args, BUCKET_ACCESS_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    uniform = get(args.props, "uniformBucketLevelAccess", False)
    if uniform is not UNKNOWN and uniform is not True:
        report_violation("uniformBucketLevelAccess is not true: object ACLs can still grant access.")
    if cfg.get("requirePublicAccessPrevention", True):
        prevention = get(args.props, "publicAccessPrevention", "inherited")
        if prevention is not UNKNOWN and prevention != "enforced":
            report_violation(f"publicAccessPrevention is {prevention!r}, not 'enforced'.")


SA_KEY_RULE = Rule(
    name="gcp-service-account-key-advisory",
    title="Service account keys are long-lived credentials",
    description="A service account key is a long-lived credential that can leak; workload identity "
    "federation or an attached service account needs none.",
    category=CATEGORY,
    severity="medium",
    enforcement="advisory",
    remediation="Use Workload Identity Federation (CI), GKE workload identity or an attached service "
    "account instead of gcp.serviceaccount.Key; if a key is unavoidable, rotate it (keepers, validity).",
    references=("CIS GCP 1.4",),
    resource_types=(catalog.SERVICE_ACCOUNT_KEY,),
    config={"allowedResources": ALLOWLIST_CONFIG["allowedResources"]},
)


def _sa_key(args: Any, report_violation: Callable[..., None]) -> None:
    if args.resource_type != catalog.SERVICE_ACCOUNT_KEY:
        return
    cfg = settings(args, SA_KEY_RULE.defaults())
    if not skipped(args, cfg.get("allowedResources")):
        report_violation("a user-managed service account key is created.")


WIP_RULE = Rule(
    name="gcp-workload-identity-provider-condition",
    title="Workload identity pool providers carry an attributeCondition",
    description="A workload identity pool provider must set attributeCondition, or every identity of "
    "the issuer (e.g. any GitHub repository) can exchange tokens.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Set attribute_condition, e.g. \"assertion.repository == 'my-org/my-repo'\" for GitHub "
    "Actions, pinned to the repositories (and branches) that may deploy.",
    references=("CKV_GCP_118",),
    resource_types=(catalog.WORKLOAD_IDENTITY_POOL_PROVIDER,),
    config={"allowedResources": ALLOWLIST_CONFIG["allowedResources"]},
)


def _wip_condition(args: Any, report_violation: Callable[..., None]) -> None:
    if args.resource_type != catalog.WORKLOAD_IDENTITY_POOL_PROVIDER:
        return
    cfg = settings(args, WIP_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    condition = get(args.props, "attributeCondition")
    if condition is UNKNOWN:
        return
    if not isinstance(condition, str) or condition.strip() in catalog.TRIVIAL_CONDITIONS:
        report_violation("attributeCondition is missing or restricts nothing.")


POLICIES: tuple[Any, ...] = (
    resource_policy(BIGQUERY_PUBLIC_RULE, _bigquery_public),
    resource_policy(STORAGE_ACL_RULE, _storage_acl),
    resource_policy(BUCKET_ACCESS_RULE, _bucket_access),
    resource_policy(SA_KEY_RULE, _sa_key),
    resource_policy(WIP_RULE, _wip_condition),
)
