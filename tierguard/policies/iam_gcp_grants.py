"""GCP IAM grants: the least-privilege-iam policies over every GCP IAM type (the pack's other
subjects: GCP resource settings in ``iam_gcp_settings.py``, RBAC in ``rbac.py``, AWS in ``iam_aws.py``,
Azure in ``iam_azure.py``; the registry, :mod:`tierguard.policies.packs`, lists them).

Every GCP IAM type goes through :func:`~tierguard.policies.iam_reader.read_grants`, so each rule
below is one small function over :class:`~tierguard.policies.iam_reader.Grant` records.

Design decisions (see the README table):

* **Role-based rules** (basic roles, impersonation, IAM admin at project/folder/organization scope)
  fire whatever the member: ``roles/owner`` on a project is a violation even when the member is an
  email unknown during preview. **Member-based rules** (public principals, default service accounts,
  privileged service accounts) judge only known members: an unknown member is another resource's
  output, which cannot be ``allUsers`` and is judged on the next preview once known.
* **Conditional grants** (an IAM condition other than a literal ``true``) are skipped by the mandatory
  grant rules and reported by the advisory ``iam-conditional-broad-grant``: an organisation that
  trusts conditions disables that policy, one that does not makes it mandatory (or sets
  ``judgeConditionalGrants`` on a rule).
* ``members: []`` grants nothing; Google's service agents holding their own ``*.serviceAgent`` role
  are never flagged; workload identity (``roles/iam.workloadIdentityUser`` on one service account,
  ``principal://`` / ``principalSet://`` members) is resource-scoped and not flagged.
* Allowlists (``allowedMembers``, ``allowedRoles``, ``allowedResources`` globs) on every grant rule.
* Messages name the role, the member and the scope, never a ``policyData`` document (it may be a
  secret).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tierguard.catalog import iam as catalog
from tierguard.model.globs import matches_any
from tierguard.policies import skip
from tierguard.policies.base import Rule, resource_policy, stack_policy
from tierguard.policies.iam_reader import Grant, iam_kind, read_grants, scope_of, settings
from tierguard.policies.props import UNKNOWN, get, is_unknown
from tierguard.policies.skip import skipped

CATEGORY = "iam"
# every GCP IAM type read_grants reads (Rule.resource_types of the grant rules)
IAM_TYPES: tuple[str, ...] = tuple(catalog.IAM_TYPE_PATTERNS.values())

_STRINGS = {"type": "array", "items": {"type": "string"}, "default": []}
ALLOWLIST_CONFIG: dict[str, dict[str, Any]] = {
    "allowedMembers": {
        **_STRINGS,
        "description": "Members (globs, e.g. 'group:platform-admins@example.com') approved for this grant.",
    },
    "allowedRoles": {**_STRINGS, "description": "Roles (globs) approved for this rule."},
    **skip.config(),
}
JUDGE_CONDITIONAL_CONFIG: dict[str, dict[str, Any]] = {
    "judgeConditionalGrants": {
        "type": "boolean",
        "default": False,
        "description": "Also judge grants carrying an IAM condition here (by default they are reported "
        "by the advisory iam-conditional-broad-grant instead).",
    },
}
PUBLIC_ALLOWLIST_CONFIG: dict[str, dict[str, Any]] = {
    "allowedPublic": {
        "type": "array",
        "default": [],
        "description": "Deliberate public endpoints: {resource, role} glob pairs, resource matched against "
        "the Pulumi name, URN or type token, e.g. {'resource': 'gcp:cloudrunv2/serviceIamMember:*', "
        "'role': 'roles/run.invoker'}.",
        "items": {
            "type": "object",
            "properties": {"resource": {"type": "string"}, "role": {"type": "string"}},
            "required": ["resource"],
            "additionalProperties": False,
        },
    },
}

_SERVICE_AGENT_EXTRA = [(re.compile(p), roles) for p, roles in catalog.LEGACY_SERVICE_AGENTS.items()]
_DEFAULT_SAS = [(label, re.compile(p)) for label, p in catalog.DEFAULT_SERVICE_ACCOUNTS.items()]


def _email(member: str) -> str | None:
    prefix = catalog.SERVICE_ACCOUNT_PREFIX
    return member[len(prefix):] if member.startswith(prefix) else None


def service_agent(member: str) -> bool:
    """A Google-managed service agent (current or documented legacy address), not an ordinary
    service account that merely looks like one."""
    email = _email(member)
    return email is not None and bool(
        catalog.SERVICE_AGENT_EMAIL.match(email) or catalog.LEGACY_SERVICE_AGENT_EMAIL.match(email)
    )


def service_agent_grant(member: str, role: Any) -> bool:
    """Google's own service agent holding the role Google gives it: never a finding."""
    email = _email(member)
    if email is None or not isinstance(role, str):
        return False
    if service_agent(member) and catalog.SERVICE_AGENT_ROLE.match(role):
        return True
    return any(pattern.match(email) and role in roles for pattern, roles in _SERVICE_AGENT_EXTRA)


def privileged_role(role: str) -> bool:
    """owner, editor, or a predefined admin role by exact id shape (never a substring match)."""
    return role in catalog.BASIC_ROLES or bool(catalog.PREDEFINED_ADMIN_ROLE.match(role))


def default_service_account(member: str) -> str | None:
    email = _email(member)
    if email is None:
        return None
    return next((label for label, pattern in _DEFAULT_SAS if pattern.match(email)), None)


@dataclass(frozen=True)
class Hit:
    """One offending (grant, member) pair; ``member`` is None when the member is unknown."""

    grant: Grant
    member: str | None
    reason: str


def _role_hits(grant: Grant, reason: str | None) -> Iterator[Hit]:
    """Role-based rules: every non-exempt member, and one hit for unknown members."""
    if not reason:
        return
    for member in grant.known_members:
        if not service_agent_grant(member, grant.role):
            yield Hit(grant, member, reason)
    if grant.has_unknown_members:
        yield Hit(grant, None, reason)


def _basic_roles(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    if not grant.broad or is_unknown(grant.role):
        return
    roles = catalog.BASIC_ROLES + ((catalog.VIEWER_ROLE,) if cfg.get("includeViewer") else ())
    if grant.role in roles:
        yield from _role_hits(grant, "basic roles grant thousands of permissions across every service")


def _impersonation(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    if grant.broad and grant.role in catalog.IMPERSONATION_ROLES:
        yield from _role_hits(
            grant, f"lets the member act as every service account in the {grant.scope_kind}"
        )


def _iam_admin(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    if grant.broad and grant.role in catalog.IAM_ADMIN_ROLES:
        yield from _role_hits(
            grant, f"administers IAM or mints credentials for every identity in the {grant.scope_kind}"
        )


def _privileged_service_account(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    if not grant.broad or not isinstance(grant.role, str) or not privileged_role(grant.role):
        return
    for member in grant.known_members:
        if _email(member) is not None and not service_agent_grant(member, grant.role):
            yield Hit(grant, member, "a service account with owner/editor/admin rights is a standing key "
                                     "to the whole scope")


def _default_service_account(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    if is_unknown(grant.role):
        return
    for member in grant.known_members:
        label = default_service_account(member)
        if label:
            yield Hit(grant, member, f"the {label} is shared by every workload that does not name its own")


def _public(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    for member in grant.known_members:
        if member in catalog.PUBLIC_MEMBERS:
            yield Hit(grant, member, "anyone on the internet" if member == "allUsers" else
                      "any Google account in the world")


def _service_agent_role(grant: Grant, cfg: Mapping[str, Any]) -> Iterator[Hit]:
    """A `*.serviceAgent` role held by anyone but a Google-managed service agent. Member-based:
    members unknown during preview (usually a ServiceIdentity's email) are judged once known."""
    if not grant.broad or not isinstance(grant.role, str) or not catalog.SERVICE_AGENT_ROLE.match(grant.role):
        return
    for member in grant.known_members:
        if not service_agent(member):
            yield Hit(grant, member, "service agent roles carry the broad permissions Google's own agents "
                                     "need and are meant for them alone")


def _describe(hit: Hit) -> str:
    grant = hit.grant
    member = hit.member if hit.member is not None else "a member unknown during preview"
    where = f"{grant.scope_kind} scope" if grant.broad else "this resource"
    source = " (in policyData)" if grant.source_kind == "policy" else ""
    conditional = " under an IAM condition" if grant.conditional else ""
    return f"{grant.role} granted to {member} on {where}{source}{conditional}: {hit.reason}."


def public_allowed(args: Any, role: Any, allowed: Any) -> bool:
    """A deliberate public endpoint from the ``allowedPublic`` list."""
    for entry in allowed or ():
        if not isinstance(entry, Mapping):
            continue
        if not skipped(args, [entry.get("resource", "")]):
            continue
        role_glob = entry.get("role")
        if role_glob is None or matches_any(role, [role_glob]):
            return True
    return False


def _hit_allowed(args: Any, hit: Hit, cfg: Mapping[str, Any]) -> bool:
    if matches_any(hit.grant.role, cfg.get("allowedRoles")):
        return True
    if hit.member is not None and matches_any(hit.member, cfg.get("allowedMembers")):
        return True
    return public_allowed(args, hit.grant.role, cfg.get("allowedPublic"))


@dataclass(frozen=True)
class GrantRule:
    """A rule over :class:`Grant` records: its metadata and the function finding offending members.

    ``infer_service_accounts`` makes it a stack policy that also judges members unknown during preview
    whose value comes only from service accounts created in the stack (``member=sa.email.apply(...)``):
    the engine's property dependencies say who they are even when the email is not known yet.
    """

    rule: Rule
    hits: Callable[[Grant, Mapping[str, Any]], Iterator[Hit]]
    infer_service_accounts: bool = False


def with_inferred_service_accounts(grant: Grant, res: Any) -> Grant:
    """Replace unknown members by service-account placeholders when they depend only on service accounts."""
    if not grant.has_unknown_members or grant.source_kind == "policy":
        return grant
    key = "member" if grant.source_kind == "member" else "members"
    deps = list((getattr(res, "property_dependencies", None) or {}).get(key) or [])
    if not deps or any(d.resource_type != catalog.SERVICE_ACCOUNT for d in deps):
        return grant
    placeholder = f"{catalog.SERVICE_ACCOUNT_PREFIX}<email of {', '.join(sorted({d.name for d in deps}))}>"
    if grant.members is UNKNOWN:
        return replace(grant, members=(placeholder,))
    return replace(grant, members=tuple(placeholder if is_unknown(m) else m for m in grant.members))


def _grant_validator(check: GrantRule) -> Callable[..., None]:
    defaults = check.rule.defaults()

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        grants = read_grants(args.resource_type, args.props)
        if not grants:
            return
        cfg = settings(args, defaults)
        if skipped(args, cfg.get("allowedResources")):
            return
        for grant in grants:
            if grant.conditional and not cfg.get("judgeConditionalGrants"):
                continue
            for hit in check.hits(grant, cfg):
                if not _hit_allowed(args, hit, cfg):
                    report_violation(_describe(hit))

    return validate


def _grant_stack_validator(check: GrantRule) -> Callable[..., None]:
    defaults = check.rule.defaults()

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        cfg = settings(args, defaults)
        for res in args.resources:
            grants = read_grants(res.resource_type, res.props)
            if not grants or skipped(res, cfg.get("allowedResources")):
                continue
            for grant in grants:
                if grant.conditional and not cfg.get("judgeConditionalGrants"):
                    continue
                for hit in check.hits(with_inferred_service_accounts(grant, res), cfg):
                    if not _hit_allowed(res, hit, cfg):
                        report_violation(_describe(hit), res.urn)

    return validate


def _grant_rule(
    *,
    name: str,
    title: str,
    description: str,
    severity: str,
    remediation: str,
    references: tuple[str, ...],
    hits: Callable[[Grant, Mapping[str, Any]], Iterator[Hit]],
    extra_config: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement: str = "mandatory",
    infer_service_accounts: bool = False,
) -> GrantRule:
    config = {**(extra_config or {}), **ALLOWLIST_CONFIG, **JUDGE_CONDITIONAL_CONFIG}
    rule = Rule(
        name=name,
        title=title,
        description=description,
        category=CATEGORY,
        severity=severity,
        enforcement=enforcement,
        remediation=remediation,
        references=references,
        config=config,
        resource_types=None if infer_service_accounts else IAM_TYPES,  # stack policies see every resource
    )
    return GrantRule(rule, hits, infer_service_accounts)


GRANT_RULES: tuple[GrantRule, ...] = (
    _grant_rule(
        name="gcp-no-basic-roles",
        title="No basic roles at project, folder or organization scope",
        description=(
            "Basic roles (owner, editor; optionally viewer) must not be granted at project, folder or "
            "organization scope."
        ),
        severity="high",
        remediation="Replace roles/owner and roles/editor with the predefined roles the member needs (e.g. "
        "roles/cloudsql.admin for the database team), or a custom role; grant them on the resources "
        "concerned rather than the project where possible.",
        references=("CKV_GCP_115", "CKV_GCP_116", "CKV_GCP_117"),
        hits=_basic_roles,
        extra_config={
            "includeViewer": {
                "type": "boolean",
                "default": False,
                "description": "Also refuse roles/viewer (off by default: viewer reads but cannot change, "
                "kics#5206).",
            }
        },
    ),
    _grant_rule(
        name="gcp-no-broad-impersonation",
        title="No Service Account User / Token Creator at project scope",
        description=(
            "roles/iam.serviceAccountUser and roles/iam.serviceAccountTokenCreator must be granted on one "
            "service account, not at project, folder or organization scope."
        ),
        severity="high",
        remediation=(
            "Grant the role on the one service account the member must use (gcp.serviceaccount.IAMMember "
            "with service_account_id) instead of the project."
        ),
        references=(
            "CIS GCP 1.6", "CKV_GCP_41", "Trivy AVD-GCP-0011", "Trivy AVD-GCP-0005", "Trivy AVD-GCP-0009"
        ),
        hits=_impersonation,
    ),
    _grant_rule(
        name="gcp-no-broad-iam-admin",
        title="No IAM-admin or impersonation roles at project scope",
        description=(
            "Roles that administer IAM or mint credentials (iam.securityAdmin, iam.serviceAccountAdmin, "
            "iam.serviceAccountKeyAdmin, iam.workloadIdentityUser, resourcemanager.*IamAdmin, ...) must not "
            "be granted at project, folder or organization scope."
        ),
        severity="critical",
        remediation=(
            "Grant IAM administration to a small break-glass group through an approved allowlist entry, and "
            "grant roles/iam.workloadIdentityUser on the one service account a workload impersonates."
        ),
        references=("CIS GCP 1.8", "CKV_GCP_44", "CKV_GCP_45", "CKV_GCP_49"),
        hits=_iam_admin,
    ),
    _grant_rule(
        name="gcp-no-privileged-service-accounts",
        title="Service accounts hold no owner, editor or admin roles at project scope",
        description="A service account must not hold roles/owner, roles/editor or a predefined admin role "
        "(roles/<service>.admin, roles/<service>.<x>Admin) at project, folder or organization scope.",
        severity="high",
        remediation=(
            "Give the service account the narrowest predefined roles it needs (e.g. "
            "roles/storage.objectAdmin "
            "on one bucket, roles/cloudsql.client on the project), or a custom role."
        ),
        references=("CIS GCP 1.5", "CKV_GCP_42", "Trivy AVD-GCP-0007"),
        hits=_privileged_service_account,
        infer_service_accounts=True,
    ),
    _grant_rule(
        name="gcp-service-agent-roles-only-for-agents",
        title="Service agent roles only for Google's service agents",
        description=(
            "A `*.serviceAgent` role (roles/container.serviceAgent, roles/run.serviceAgent, ...) at project, "
            "folder or organization scope may be held only by a Google-managed service agent "
            "(service-<number>@gcp-sa-<service>.iam.gserviceaccount.com or a documented legacy address); "
            "granted to a user, a group or an ordinary service account it is a broad grant."
        ),
        severity="high",
        remediation=(
            "Grant the member the narrow predefined roles it needs instead; leave service agent roles to "
            "the agents Google creates (gcp.projects.ServiceIdentity gives the agent's address)."
        ),
        references=("Google Cloud IAM: service agents",),
        hits=_service_agent_role,
    ),
    _grant_rule(
        name="gcp-no-default-service-account-grants",
        title="No grants to default service accounts",
        description=(
            "The default Compute Engine (<n>-compute@developer) and App Engine (<project>@appspot) service "
            "accounts must not be granted roles."
        ),
        severity="medium",
        remediation=(
            "Create a dedicated service account for the workload, grant it the roles it needs and attach it "
            "to the workload; leave the default service accounts without grants (or disable them)."
        ),
        references=("CKV_GCP_46", "CKV_GCP_47", "CKV_GCP_48"),
        hits=_default_service_account,
    ),
    _grant_rule(
        name="gcp-no-public-iam-members",
        title="No allUsers / allAuthenticatedUsers on any IAM type",
        description=(
            "IAM grants to allUsers or allAuthenticatedUsers make a resource public; only allowlisted "
            "public endpoints may have them."
        ),
        severity="critical",
        remediation=(
            "Grant the role to the users, groups or service accounts that need it. For a deliberate public "
            "endpoint (e.g. a public Cloud Run service's roles/run.invoker) add a {resource, role} entry to "
            "allowedPublic."
        ),
        references=("CIS GCP 5.1", "CKV_GCP_28", "CKV_GCP_99", "CKV_GCP_100", "CKV_GCP_101", "CKV_GCP_102",
         "CKV_GCP_107", "CKV_GCP_112", "CKV2_GCP_6", "CKV2_GCP_8"),
        hits=_public,
        extra_config=PUBLIC_ALLOWLIST_CONFIG,
        enforcement="mandatory",
    ),
)


# -- the conditional-grant advisory ----------------------------------------------------------------

CONDITIONAL_RULE = Rule(
    name="iam-conditional-broad-grant",
    title="Broad grants under an IAM condition",
    description="A grant that a least-privilege rule would refuse is limited by an IAM condition; "
    "review that the condition really bounds it.",
    category=CATEGORY,
    severity="medium",
    enforcement="advisory",
    remediation="Check the condition (time window, resource name prefix, tag) bounds the grant as "
    "intended; prefer a narrower role. Make this policy mandatory to refuse conditional broad grants, "
    "or disable it to trust conditions.",
    references=("CKV_GCP_115", "CKV_GCP_41", "CKV_GCP_42"),
    resource_types=IAM_TYPES,
    config={**ALLOWLIST_CONFIG},
)


def _conditional_validate(args: Any, report_violation: Callable[..., None]) -> None:
    grants = read_grants(args.resource_type, args.props)
    if not grants:
        return
    cfg = settings(args, CONDITIONAL_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    for grant in grants:
        if not grant.conditional:
            continue
        for check in GRANT_RULES:
            check_cfg = {**check.rule.defaults(), **cfg}
            for hit in check.hits(grant, check_cfg):
                if not _hit_allowed(args, hit, check_cfg):
                    report_violation(f"[{check.rule.name}] {_describe(hit)}")


# -- authoritative IAM types ------------------------------------------------------------------------

AUTHORITATIVE_RULE = Rule(
    name="gcp-authoritative-iam-advisory",
    title="Authoritative IAM types at project scope",
    description="IAM Policy and Binding types at project, folder or organization scope are authoritative: "
    "they remove grants made elsewhere (console, other stacks, Google's own service agents).",
    category=CATEGORY,
    severity="medium",
    enforcement="advisory",
    remediation="Prefer the non-authoritative *IAMMember types; keep authoritative policies to a stack "
    "that deliberately owns the whole IAM policy of the scope.",
    references=("Pulumi gcp.projects.IAMPolicy docs", "Terraform google_project_iam docs"),
    resource_types=(catalog.IAM_TYPE_PATTERNS["binding"], catalog.IAM_TYPE_PATTERNS["policy"]),
    config={"allowedResources": ALLOWLIST_CONFIG["allowedResources"]},
)


def _authoritative(args: Any, report_violation: Callable[..., None]) -> None:
    kind = iam_kind(args.resource_type)
    scope = scope_of(args.resource_type)
    if kind not in ("binding", "policy") or scope not in catalog.BROAD_SCOPES:
        return
    cfg = settings(args, AUTHORITATIVE_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    if kind == "policy":  # an empty document included: it removes every grant
        report_violation(f"this IAM policy replaces the whole IAM policy of the {scope}.")
    else:
        role = get(args.props, "role")
        shown = role if isinstance(role, str) else "its role"
        report_violation(f"this IAM binding removes every other member of {shown} on the {scope}.")


POLICIES: tuple[Any, ...] = (
    *(
        stack_policy(check.rule, _grant_stack_validator(check))
        if check.infer_service_accounts
        else resource_policy(check.rule, _grant_validator(check))
        for check in GRANT_RULES
    ),
    resource_policy(CONDITIONAL_RULE, _conditional_validate),
    resource_policy(AUTHORITATIVE_RULE, _authoritative),
)
CATALOGS: dict[str, Any] = {"iam": catalog.catalog()}
