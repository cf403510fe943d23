"""Azure rules of the least-privilege-iam pack, over the tables in :mod:`tierguard.catalog.azure_iam`.

* ``azure-no-broad-role-assignments`` (stack policy): Owner, Contributor, User Access Administrator or
  RBAC Administrator assigned at tenant root, management-group, subscription or resource-group scope,
  for azure-native and classic assignments, by role GUID (in any full role-definition id) or classic
  ``roleDefinitionName``. A scope unknown during preview (``scope=rg.id``) is judged by the resource
  it depends on -- which is why this is a stack policy: property dependencies are visible there.
  Assignments on one resource (a vault, a storage account) are not broad.
* ``azure-no-wildcard-custom-roles``: custom role definitions whose actions include ``*`` or
  ``Microsoft.Authorization/*``.
* ``azure-federated-credential-pinned-subject``: federated identity credentials for GitHub/GitLab
  issuers must name one repository; any issuer needs a subject.
* ``azure-aks-no-local-accounts`` and ``azure-storage-no-public-blob-access``: settings judged on the
  effective value (provider defaults from the SDK docstrings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tierguard.catalog import azure_iam as catalog
from tierguard.model.globs import matches_any
from tierguard.policies import props as p
from tierguard.policies import skip
from tierguard.policies.base import Rule, resource_policy, stack_policy
from tierguard.policies.iam_aws import subject_pinned
from tierguard.policies.iam_reader import settings
from tierguard.policies.skip import skipped

CATEGORY = "iam"
UNKNOWN = p.UNKNOWN

_ALLOWED_RESOURCES = skip.config()
_SCOPES = [(re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in catalog.SCOPE_PATTERNS]
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_BROAD_BY_NAME = {name.lower(): name for name in catalog.BROAD_ROLES.values()}
_ISSUER_SUBJECTS = {url: re.compile(pattern) for url, (_, pattern) in catalog.CI_ISSUERS.items()}


# -- role assignments ----------------------------------------------------------------------------------


def scope_kind(scope: Any) -> str | None:
    """``subscription``, ``resource group``... for a known scope id; ``resource`` for anything narrower."""
    if not isinstance(scope, str):
        return None
    return next((kind for pattern, kind in _SCOPES if pattern.match(scope)), "resource")


def broad_role(role_id: Any, role_name: Any) -> str | None:
    """The broad built-in role an assignment grants, by GUID at the end of the id or by classic name."""
    if isinstance(role_id, str):
        match = _GUID.search(role_id.rstrip("/"))
        if match and match.group(0).lower() in catalog.BROAD_ROLES:
            return catalog.BROAD_ROLES[match.group(0).lower()]
    if isinstance(role_name, str):
        return _BROAD_BY_NAME.get(role_name.strip().lower())
    return None


def _scope_from_dependencies(res: Any, key: str) -> str | None:
    deps = list((getattr(res, "property_dependencies", None) or {}).get(key) or [])
    kinds = {catalog.SCOPE_BY_DEPENDENCY.get(d.resource_type) for d in deps}
    return kinds.pop() if len(kinds) == 1 and None not in kinds else None


ROLE_ASSIGNMENT_RULE = Rule(
    name="azure-no-broad-role-assignments",
    title="No Owner, Contributor or User Access Administrator at subscription, management-group or "
    "resource-group scope",
    description=(
        "Azure role assignments (azure-native and classic) must not grant Owner, Contributor, User Access "
        "Administrator or Role Based Access Control Administrator at tenant root, management-group, "
        "subscription or resource-group scope. A scope unknown during preview is judged by the resource it "
        "comes from (a resource group's id is resource-group scope)."
    ),
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation=(
        "Assign a narrower built-in role (e.g. Storage Blob Data Contributor, AKS RBAC Writer) on the "
        "resources concerned, or a custom role; keep Owner to a break-glass group via allowedPrincipals."
    ),
    references=(),
    config={
        "allowedPrincipals": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Principal object ids (globs) approved for broad roles, e.g. a break-glass group.",
        },
        **_ALLOWED_RESOURCES,
    },
    resource_types=None,  # a stack policy
)


def _role_assignments(args: Any, report_violation: Callable[..., None]) -> None:
    cfg = settings(args, ROLE_ASSIGNMENT_RULE.defaults())
    for res in args.resources:
        place = catalog.ROLE_ASSIGNMENTS.get(res.resource_type)
        if place is None or skipped(res, cfg.get("allowedResources")):
            continue
        scope_key, id_key, name_key = place
        role = broad_role(p.get(res.props, id_key), p.get(res.props, name_key) if name_key else None)
        if role is None:
            continue
        principal = p.get(res.props, "principalId")
        if matches_any(principal, cfg.get("allowedPrincipals")):
            continue
        scope = p.get(res.props, scope_key)
        inferred = scope is UNKNOWN
        kind = _scope_from_dependencies(res, scope_key) if inferred else scope_kind(scope)
        if kind in catalog.BROAD_SCOPES:
            # The principal id is not named: it may be a secret (messages never carry values read).
            how = f" (`{scope_key}` comes from a {kind}, unknown during preview)" if inferred else ""
            report_violation(
                f"{role} assigned at {kind} scope{how}: the principal can change (or grant "
                f"access to) everything in the {kind}.",
                res.urn,
            )


# -- custom roles ----------------------------------------------------------------------------------------

CUSTOM_ROLE_RULE = Rule(
    name="azure-no-wildcard-custom-roles",
    title="No custom roles with `*` actions",
    description=(
        "Azure custom role definitions must not allow `*` or `Microsoft.Authorization/*` actions: such a "
        "role is Owner under another name."
    ),
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation=(
        "List the resource-provider actions the role needs (e.g. Microsoft.Storage/storageAccounts/read); "
        "use "
        "notActions only to trim a narrow wildcard."
    ),
    references=("CKV_AZURE_39",),
    config=dict(_ALLOWED_RESOURCES),
    resource_types=catalog.ROLE_DEFINITIONS,
)


def _custom_roles(args: Any, report_violation: Callable[..., None]) -> None:
    if args.resource_type not in catalog.ROLE_DEFINITIONS:
        return
    cfg = settings(args, CUSTOM_ROLE_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    permissions = p.to_plain(p.get(args.props, "permissions"))
    if permissions is UNKNOWN:
        p.raise_if_unknown(args.props, ["permissions"])
        return
    for index, permission in enumerate(permissions if isinstance(permissions, list) else []):
        actions = permission.get("actions") if isinstance(permission, Mapping) else None
        broad = sorted({a for a in actions or () if isinstance(a, str) and a in catalog.BROAD_ACTIONS})
        if broad:
            report_violation(
                f"`permissions[{index}].actions` allows {', '.join(f'`{a}`' for a in broad)}: "
                "the role can do everything an Owner can in its assignable scopes."
            )


# -- federated identity credentials ------------------------------------------------------------------------

FEDERATED_RULE = Rule(
    name="azure-federated-credential-pinned-subject",
    title="Federated identity credentials pin their subject",
    description=(
        "A federated identity credential must carry a subject, and for GitHub Actions / GitLab CI issuers "
        "the "
        "subject must name one repository (`repo:<org>/<repo>:...`, `project_path:<group>/<project>:...`)."
    ),
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation=(
        "Set subject to the exact claim of the workflow that deploys, e.g. "
        "`repo:my-org/app:environment:prod`."
    ),
    references=(),
    config={
        "allowedSubjects": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Subjects (globs) approved although they do not name one repository.",
        },
        **_ALLOWED_RESOURCES,
    },
    resource_types=catalog.FEDERATED_CREDENTIALS,
)


def _federated(args: Any, report_violation: Callable[..., None]) -> None:
    if args.resource_type not in catalog.FEDERATED_CREDENTIALS:
        return
    cfg = settings(args, FEDERATED_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    subject = p.get(args.props, "subject")
    issuer = p.get(args.props, "issuer")
    if subject is UNKNOWN:
        p.raise_if_unknown(args.props, ["subject"])
        return
    if not isinstance(subject, str) or not subject.strip():
        report_violation("`subject` is empty: the credential does not say which workload may use it.")
        return
    ci = catalog.CI_ISSUERS.get(issuer.rstrip("/")) if isinstance(issuer, str) else None
    if ci is None or matches_any(subject, cfg.get("allowedSubjects")):
        return
    if not subject_pinned(subject, _ISSUER_SUBJECTS[issuer.rstrip("/")]):
        report_violation(
            f"`subject` does not name one {ci[0]} repository: any matching workload of the "
            "platform could use this identity."
        )


# -- settings that open access ---------------------------------------------------------------------------


def _setting_validator(
    rule: Rule, table: Mapping[str, tuple[str, tuple[Any, ...], Any, str]]
) -> Callable[..., None]:
    defaults = rule.defaults()

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        spec = table.get(args.resource_type)
        if spec is None:
            return
        cfg = settings(args, defaults)
        if skipped(args, cfg.get("allowedResources")):
            return
        key, safe, default, why = spec
        value = p.get(args.props, key)
        if value is UNKNOWN:
            p.raise_if_unknown(args.props, [key])
            return
        effective = default if value is None else value
        if effective not in safe or type(effective) is not type(safe[0]):
            unset = f" (unset means {effective!r})" if value is None else ""
            report_violation(f"`{key}` must be {' or '.join(repr(s) for s in safe)}{unset}: otherwise {why}.")

    return validate


AKS_RULE = Rule(
    name="azure-aks-no-local-accounts",
    title="AKS clusters disable local accounts",
    description=(
        "AKS managed clusters must disable local accounts (azure-native disableLocalAccounts, classic "
        "localAccountDisabled; both default to enabled) so that every access goes through Entra ID."
    ),
    category=CATEGORY,
    severity="medium",
    enforcement="mandatory",
    remediation=(
        "Set disable_local_accounts=True (azure-native) or local_account_disabled=True (classic) with Entra "
        "ID "
        "integration and Azure RBAC or Kubernetes RBAC bindings for the admins."
    ),
    references=("CKV_AZURE_141",),
    config=dict(_ALLOWED_RESOURCES),
    resource_types=tuple(catalog.AKS_LOCAL_ACCOUNTS),
)

PUBLIC_BLOB_RULE = Rule(
    name="azure-storage-no-public-blob-access",
    title="Storage accounts and containers allow no public blob access",
    description=(
        "Storage accounts must not allow public blob access (azure-native allowBlobPublicAccess, default "
        "false; classic allowNestedItemsToBePublic, default true) and blob containers must be private."
    ),
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation=(
        "Set allow_blob_public_access=False (azure-native) or allow_nested_items_to_be_public=False "
        "(classic) "
        "and keep containers private; serve public content through a CDN or SAS tokens."
    ),
    references=("CKV_AZURE_190", "CKV_AZURE_59", "Trivy AVD-AZU-0007"),
    config=dict(_ALLOWED_RESOURCES),
    resource_types=tuple(catalog.PUBLIC_BLOB_ACCESS),
)


POLICIES: tuple[Any, ...] = (
    stack_policy(ROLE_ASSIGNMENT_RULE, _role_assignments),
    resource_policy(CUSTOM_ROLE_RULE, _custom_roles),
    resource_policy(FEDERATED_RULE, _federated),
    resource_policy(AKS_RULE, _setting_validator(AKS_RULE, catalog.AKS_LOCAL_ACCOUNTS)),
    resource_policy(PUBLIC_BLOB_RULE, _setting_validator(PUBLIC_BLOB_RULE, catalog.PUBLIC_BLOB_ACCESS)),
)
CATALOGS: dict[str, Any] = {"azureIam": catalog.catalog()}
