"""AWS rules of the least-privilege-iam pack, over :mod:`tierguard.policies.aws_documents` and the tables
in :mod:`tierguard.catalog.aws_iam`.

Design decisions (the same as the GCP rules, see ``iam.py``):

* Only ``Allow`` statements are judged; a ``Deny`` never widens anything.
* **Identity** documents (policies of users, groups, roles) are judged for what they allow on which
  resources; **resource** documents (bucket, queue, topic, key policies) and **trust** documents
  (``assumeRolePolicy``) for *who* they let in -- ``kms:*`` on ``*`` in a key policy is the default
  key policy, "this key" for the account, not admin.
* A statement carrying a ``Condition`` is scoped (``aws:SourceArn``, ``aws:PrincipalOrgID``, tags...):
  the mandatory rules skip it and the advisory ``aws-iam-conditional-broad-statement`` reports it
  (``judgeConditionalStatements`` makes a rule judge it anyway).
* Unknown values: a known-broad statement is reported even when other parts are unknown; a document
  unknown as a whole gets the analyzer's "can't run during preview" note, after everything known
  was judged. Messages name the property and statement, never the document (it may be a secret).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from tierguard.catalog import aws_iam as catalog
from tierguard.model.globs import matches, matches_any
from tierguard.policies import props as p
from tierguard.policies import skip
from tierguard.policies.aws_documents import Document, Statement, read_documents
from tierguard.policies.base import Rule, resource_policy
from tierguard.policies.iam_reader import settings
from tierguard.policies.skip import skipped

CATEGORY = "iam"
UNKNOWN = p.UNKNOWN

_ALLOWED_RESOURCES = skip.config()
_JUDGE_CONDITIONAL = {
    "judgeConditionalStatements": {
        "type": "boolean",
        "default": False,
        "description": "Also judge statements carrying a Condition here (by default they are reported by "
        "the advisory aws-iam-conditional-broad-statement instead).",
    }
}
_SENSITIVE = {
    "sensitiveServices": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(catalog.SENSITIVE_SERVICES),
        "description": "Services whose `<service>:*` on every resource is refused like `*`.",
    }
}

_ALL_ROLES = re.compile(catalog.ALL_ROLES_RESOURCE)
_MANAGED_ARN = re.compile(catalog.AWS_MANAGED_POLICY_ARN)
_ISSUER_SUBJECTS = {host: re.compile(pattern) for host, (_, pattern) in catalog.OIDC_ISSUERS.items()}


@dataclass(frozen=True)
class Hit:
    document: Document
    statement: Statement
    reason: str

    def describe(self) -> str:
        conditional = " under a Condition" if self.statement.conditional else ""
        return f"`{self.document.path}` {self.statement.label}{conditional}: {self.reason}."


# -- statement predicates ------------------------------------------------------------------------


def _all_resources(st: Statement) -> bool:
    """The statement applies to every resource: ``Resource: "*"`` or any ``NotResource``."""
    if st.not_resources:
        return True
    return "*" in st.known(st.resources)


def _action_covers(pattern: str, action: str) -> bool:
    return matches(action, pattern)


def _wildcard_reason(st: Statement, cfg: Mapping[str, Any]) -> str | None:
    if st.not_actions:
        return "allows every action except those listed (NotAction) on every resource"
    actions = st.known(st.actions)
    if "*" in actions or "*:*" in actions:
        return "allows every action (`*`) on every resource"
    sensitive = [s.lower() for s in cfg.get("sensitiveServices") or ()]
    broad = sorted(a for a in actions if a.endswith(":*") and a[:-2] in sensitive)
    if broad:
        return f"allows {', '.join(f'`{a}`' for a in broad)} on every resource"
    return None


def _identity_statements(documents: list[Document]) -> Iterator[tuple[Document, Statement]]:
    for document in documents:
        if document.kind != catalog.IDENTITY or document.statements is UNKNOWN:
            continue
        for st in document.statements:
            if st.allows:
                yield document, st


def _wildcard_hits(documents: list[Document], cfg: Mapping[str, Any]) -> Iterator[Hit]:
    for document, st in _identity_statements(documents):
        if not _all_resources(st):
            continue
        reason = _wildcard_reason(st, cfg)
        if reason:
            yield Hit(document, st, reason)


def _passrole_hits(documents: list[Document], cfg: Mapping[str, Any]) -> Iterator[Hit]:
    for document, st in _identity_statements(documents):
        actions = st.known(st.actions)
        if st.not_actions or "*" in actions or "*:*" in actions:
            continue  # every action: aws-iam-no-wildcard-actions reports it once
        if not any(_action_covers(a, catalog.PASS_ROLE_ACTION) for a in actions):
            continue
        if st.not_resources or any(_ALL_ROLES.match(r) for r in st.known(st.resources)):
            yield Hit(
                document,
                st,
                "allows iam:PassRole on every role: the holder can hand any role, "
                "admin included, to a service it controls",
            )


def _public_hits(documents: list[Document], cfg: Mapping[str, Any]) -> Iterator[Hit]:
    for document in documents:
        if document.kind not in (catalog.RESOURCE, catalog.TRUST) or document.statements is UNKNOWN:
            continue
        for st in document.statements:
            if not st.allows or not st.public_principal:
                continue
            if document.kind == catalog.TRUST:
                if not any(
                    _action_covers(a, x) for a in st.known(st.actions) for x in catalog.ASSUME_ACTIONS
                ):
                    continue
                reason = "lets any AWS principal in any account assume the role"
            else:
                reason = "lets any principal (any AWS account, anonymous users) use the resource"
            if st.not_principals:
                reason += " (NotPrincipal allows everyone not listed)"
            yield Hit(document, st, reason)


def _federated_issuer(st: Statement) -> str | None:
    """The CI OIDC issuer host a statement trusts: from the Federated ARN, or from condition keys."""
    for arn in st.known(st.principal_values("federated")):
        for host in catalog.OIDC_ISSUERS:
            if arn.endswith(f":oidc-provider/{host}"):
                return host
    if st.principal_values("federated") is UNKNOWN or not st.known(st.principal_values("federated")):
        condition = st.condition if isinstance(st.condition, Mapping) else {}
        for operands in condition.values():
            for key in operands if isinstance(operands, Mapping) else ():
                host = str(key).rpartition(":")[0]
                if host in catalog.OIDC_ISSUERS:
                    return host
    return None


def _subject_values(st: Statement, host: str) -> Any:
    """Values of every ``<host>:sub`` condition (StringEquals/StringLike and their set forms)."""
    condition = st.condition if isinstance(st.condition, Mapping) else {}
    values: list[Any] = []
    for operator, operands in condition.items():
        op = str(operator).split(":")[-1].lower()
        if not isinstance(operands, Mapping) or op not in ("stringequals", "stringlike"):
            continue
        for key, value in operands.items():
            if str(key).lower() == f"{host}:sub":
                if value is UNKNOWN:
                    return UNKNOWN
                values.extend(value if isinstance(value, list) else [value])
    return values


def subject_pinned(value: Any, pattern: re.Pattern[str]) -> bool:
    """A subject names one repository: its literal prefix (before any wildcard) matches ``pattern``
    and, when a wildcard follows, the prefix ends at a claim separator (``repo:org/app:*``)."""
    if value is UNKNOWN:
        return True  # judged when known
    if not isinstance(value, str):
        return False
    cut = min((i for i in (value.find("*"), value.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return bool(pattern.match(value))
    prefix = value[:cut]
    return prefix.endswith(":") and bool(pattern.match(prefix))


def _oidc_hits(documents: list[Document], cfg: Mapping[str, Any]) -> Iterator[Hit]:
    for document in documents:
        if document.kind != catalog.TRUST or document.statements is UNKNOWN:
            continue
        for st in document.statements:
            if not st.allows:
                continue
            host = _federated_issuer(st)
            if host is None:
                continue
            label = catalog.OIDC_ISSUERS[host][0]
            values = _subject_values(st, host)
            if values is UNKNOWN:
                continue
            if not values:
                yield Hit(
                    document,
                    st,
                    f"trusts {label} tokens without a `{host}:sub` condition: any "
                    "repository on the platform can assume the role",
                )
                continue
            allowed = cfg.get("allowedSubjects")
            loose = [
                v
                for v in values
                if not subject_pinned(v, _ISSUER_SUBJECTS[host]) and not matches_any(v, allowed)
            ]
            if loose:
                yield Hit(
                    document,
                    st,
                    f"`{host}:sub` does not pin one repository ({len(loose)} subject value(s) match many)",
                )


# -- resource-level rules over documents ------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRule:
    rule: Rule
    hits: Callable[[list[Document], Mapping[str, Any]], Iterator[Hit]]
    conditional_aware: bool = True  # skips conditional statements unless judgeConditionalStatements


def _document_validator(check: DocumentRule) -> Callable[..., None]:
    defaults = check.rule.defaults()

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        documents = read_documents(args.resource_type, args.props)
        if documents is None:
            return
        cfg = settings(args, defaults)
        if skipped(args, cfg.get("allowedResources")):
            return
        judge_conditional = not check.conditional_aware or cfg.get("judgeConditionalStatements")
        for hit in check.hits(documents, cfg):
            if hit.statement.conditional and not judge_conditional:
                continue
            report_violation(hit.describe())
        unknown = [d.unknown_path for d in documents if d.statements is UNKNOWN and d.unknown_path]
        if unknown:
            p.raise_if_unknown(args.props, unknown)

    return validate


# every type that carries a policy document (Rule.resource_types of the document rules)
DOCUMENT_TYPES: tuple[str, ...] = tuple(catalog.POLICY_DOCUMENTS)


DOCUMENT_RULES: tuple[DocumentRule, ...] = (
    DocumentRule(
        Rule(
            name="aws-iam-no-wildcard-actions",
            title="No `*` or sensitive `service:*` actions on every resource",
            description=(
                "AWS identity policies (managed, inline, role/user/group policies) must not Allow `*`, a "
                "sensitive `service:*` (iam, sts, kms, organizations, ...) or a NotAction on `Resource: *` "
                "(a NotResource counts as every resource)."
            ),
            category=CATEGORY,
            severity="critical",
            enforcement="mandatory",
            remediation=(
                "List the actions the identity needs and the ARNs they apply to; use AWS managed "
                "job-function "
                "policies or a permissions boundary instead of `*`."
            ),
            references=("CIS AWS 1.16", "CKV_AWS_1", "Trivy AVD-AWS-0057"),
            config={**_SENSITIVE, **_JUDGE_CONDITIONAL, **_ALLOWED_RESOURCES},
            resource_types=DOCUMENT_TYPES,
        ),
        _wildcard_hits,
    ),
    DocumentRule(
        Rule(
            name="aws-iam-no-passrole-on-all",
            title="No iam:PassRole on every role",
            description=(
                "AWS identity policies must not Allow iam:PassRole (or a wildcard covering it) on `*` or on "
                "every role of an account."
            ),
            category=CATEGORY,
            severity="high",
            enforcement="mandatory",
            remediation=(
                "Name the role ARNs the identity may pass, and add an `iam:PassedToService` condition."
            ),
            references=(),
            config={**_JUDGE_CONDITIONAL, **_ALLOWED_RESOURCES},
            resource_types=DOCUMENT_TYPES,
        ),
        _passrole_hits,
    ),
    DocumentRule(
        Rule(
            name="aws-no-public-principal",
            title="No `Principal: *` without a condition in resource and trust policies",
            description=(
                "Bucket, queue, topic, key, repository, secret and file-system policies and role trust "
                'policies must not Allow `Principal: "*"` (or `{AWS: "*"}`, or a NotPrincipal) without a '
                "Condition scoping it to an account, organisation or source."
            ),
            category=CATEGORY,
            severity="critical",
            enforcement="mandatory",
            remediation=(
                "Name the principals (account, role or service ARNs), or scope the statement with a "
                "condition "
                "such as aws:PrincipalOrgID, aws:SourceArn or aws:SourceAccount."
            ),
            references=("CKV_AWS_70",),
            config={**_JUDGE_CONDITIONAL, **_ALLOWED_RESOURCES},
            resource_types=DOCUMENT_TYPES,
        ),
        _public_hits,
    ),
    DocumentRule(
        Rule(
            name="aws-iam-oidc-trust-pinned-subject",
            title="CI OIDC trust policies pin the repository",
            description=(
                "A role trusting GitHub Actions or GitLab CI OIDC tokens must carry a `<issuer>:sub` "
                "condition "
                "naming one repository (e.g. `repo:org/app:ref:refs/heads/main`, `repo:org/app:*`), or any "
                "repository on the platform can assume it."
            ),
            category=CATEGORY,
            severity="high",
            enforcement="mandatory",
            remediation="Add `StringEquals`/`StringLike` on `token.actions.githubusercontent.com:sub` (or "
            "`gitlab.com:sub`) with `repo:<org>/<repo>:...` (GitLab: `project_path:<group>/<project>:...`).",
            references=("CKV_AWS_358",),
            config={
                "allowedSubjects": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [],
                    "description": "Subject values (globs) approved although they match more than one "
                    "repository, e.g. an organisation-wide read-only role.",
                },
                **_ALLOWED_RESOURCES,
            },
            resource_types=DOCUMENT_TYPES,
        ),
        _oidc_hits,
        conditional_aware=False,  # the condition is what this rule reads
    ),
)


# -- the conditional-statement advisory ----------------------------------------------------------------

CONDITIONAL_RULE = Rule(
    name="aws-iam-conditional-broad-statement",
    title="Broad AWS statements under a Condition",
    description=(
        "A statement an AWS least-privilege rule would refuse is scoped by a Condition; review that the "
        "condition really bounds it."
    ),
    category=CATEGORY,
    severity="medium",
    remediation=(
        "Check the condition (source ARN, organisation, tags, MFA) bounds the statement as intended. Make "
        "this "
        "policy mandatory to refuse conditional broad statements, or disable it to trust conditions."
    ),
    references=("CKV_AWS_1", "CKV_AWS_70"),
    config={**_SENSITIVE, **_ALLOWED_RESOURCES},
    enforcement="advisory",
    resource_types=DOCUMENT_TYPES,
)


def _conditional_validate(args: Any, report_violation: Callable[..., None]) -> None:
    documents = read_documents(args.resource_type, args.props)
    if documents is None:
        return
    cfg = settings(args, CONDITIONAL_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    for check in DOCUMENT_RULES:
        if not check.conditional_aware:
            continue
        for hit in check.hits(documents, {**check.rule.defaults(), **cfg}):
            if hit.statement.conditional:
                report_violation(f"[{check.rule.name}] {hit.describe()}")


# -- managed policy attachments --------------------------------------------------------------------

MANAGED_RULE = Rule(
    name="aws-iam-no-broad-managed-policies",
    title="No AdministratorAccess, PowerUserAccess or IAMFullAccess attachments",
    description=(
        "The AWS managed policies AdministratorAccess, PowerUserAccess and IAMFullAccess must not be "
        "attached "
        "(policy attachments, a role's managedPolicyArns, exclusive attachments, IAM Identity Center "
        "permission sets)."
    ),
    category=CATEGORY,
    severity="critical",
    enforcement="mandatory",
    remediation=(
        "Attach a customer managed policy listing the actions the identity needs, or narrower AWS managed "
        "job-function policies; keep administrator access to a break-glass role via an allowlist entry."
    ),
    references=("CKV_AWS_274", "CKV2_AWS_56"),
    config={
        "allowedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Managed policy names (globs) approved here, e.g. 'PowerUserAccess' in a sandbox.",
        },
        **_ALLOWED_RESOURCES,
    },
    resource_types=tuple(catalog.POLICY_ATTACHMENTS),
)


def _managed_validate(args: Any, report_violation: Callable[..., None]) -> None:
    place = catalog.POLICY_ATTACHMENTS.get(args.resource_type)
    if place is None:
        return
    cfg = settings(args, MANAGED_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    key, many = place
    value = p.to_plain(p.get(args.props, key))
    arns = (value if isinstance(value, list) else []) if many else [value]
    for arn in arns:
        match = _MANAGED_ARN.match(arn) if isinstance(arn, str) else None
        name = match.group("name") if match else None
        if name in catalog.BROAD_MANAGED_POLICIES and not matches_any(name, cfg.get("allowedPolicies")):
            report_violation(
                f"`{key}` attaches the AWS managed policy {name}: {catalog.BROAD_MANAGED_POLICIES[name]}."
            )


# -- EKS cluster admin ---------------------------------------------------------------------------------

EKS_RULE = Rule(
    name="aws-eks-no-cluster-admin",
    title="No EKS cluster-admin access",
    description=(
        "EKS access entries must not associate AmazonEKSClusterAdminPolicy at cluster scope, and the "
        "aws-auth "
        "ConfigMap must not map IAM roles or users to system:masters."
    ),
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation=(
        "Associate AmazonEKSAdminPolicy/AmazonEKSEditPolicy at namespace scope (or a Kubernetes Role via "
        "kubernetesGroups); never map an IAM identity to system:masters."
    ),
    references=(),
    config=dict(_ALLOWED_RESOURCES),
    resource_types=(catalog.EKS_ACCESS_POLICY_ASSOCIATION, *catalog.AWS_AUTH_TYPES),
)


def _aws_auth_groups(text: Any) -> list[str]:
    try:
        entries = yaml.safe_load(text) if isinstance(text, str) else None
    except yaml.YAMLError:
        return []
    groups: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("groups"), list):
            groups.extend(g for g in entry["groups"] if isinstance(g, str))
    return groups


def _eks_validate(args: Any, report_violation: Callable[..., None]) -> None:
    t = args.resource_type
    if t != catalog.EKS_ACCESS_POLICY_ASSOCIATION and t not in catalog.AWS_AUTH_TYPES:
        return
    cfg = settings(args, EKS_RULE.defaults())
    if skipped(args, cfg.get("allowedResources")):
        return
    if t == catalog.EKS_ACCESS_POLICY_ASSOCIATION:
        arn = p.get(args.props, "policyArn")
        scope = p.get(args.props, "accessScope.type")
        if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in catalog.EKS_CLUSTER_ADMIN_POLICIES:
            if scope == "cluster":
                report_violation(
                    f"associates {arn.rsplit('/', 1)[-1]} at cluster scope: full control "
                    "of every namespace and cluster-scoped object."
                )
            elif scope is UNKNOWN:
                p.raise_if_unknown(args.props, ["accessScope.type"])
        return
    if p.get(args.props, "metadata.name") != catalog.AWS_AUTH_NAME:
        return
    if p.get(args.props, "metadata.namespace") != catalog.AWS_AUTH_NAMESPACE:
        return
    for key in catalog.AWS_AUTH_KEYS:
        forbidden = sorted(
            set(_aws_auth_groups(p.get(args.props, ["data", key]))) & set(catalog.AWS_AUTH_FORBIDDEN_GROUPS)
        )
        if forbidden:
            report_violation(
                f"aws-auth `data.{key}` maps an IAM identity to {', '.join(forbidden)}, "
                "which bypasses Kubernetes RBAC."
            )


POLICIES: tuple[Any, ...] = (
    *(resource_policy(check.rule, _document_validator(check)) for check in DOCUMENT_RULES),
    resource_policy(MANAGED_RULE, _managed_validate),
    resource_policy(EKS_RULE, _eks_validate),
    resource_policy(CONDITIONAL_RULE, _conditional_validate),
)
CATALOGS: dict[str, Any] = {"awsIam": catalog.catalog()}
