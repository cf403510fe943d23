"""Kubernetes RBAC policies of the least-privilege-iam pack.

Every rule of a Role or ClusterRole is checked, not only the first (CKV_K8S_49 reads ``rules[0]``),
and a ``*`` verb counts as every verb it includes (escalate, bind, impersonate, create on pods/exec).
Values unknown during preview are skipped piece by piece ("can't tell"), never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from tierguard.catalog import iam as catalog
from tierguard.model.globs import matches_any
from tierguard.policies import skip
from tierguard.policies.base import Rule, resource_policy
from tierguard.policies.iam_reader import settings
from tierguard.policies.props import UNKNOWN, get
from tierguard.policies.skip import skipped

CATEGORY = "iam"
_STRINGS = {"type": "array", "items": {"type": "string"}, "default": []}
ALLOWED_RESOURCES = skip.config(
    description="Resources exempt from this rule: globs over metadata.name, the Pulumi name, URN or "
    "type token."
)
ALLOWED_SUBJECTS = {
    "allowedSubjects": {
        **_STRINGS,
        "description": "Approved subjects: globs over 'Kind:name' (User, Group) or "
        "'ServiceAccount:namespace/name'.",
    }
}


# the types the rules judge (Rule.resource_types): the kinds _kind recognises
BINDING_TYPES: tuple[str, ...] = tuple(catalog.RBAC_GROUP + kind for kind in catalog.RBAC_BINDING_KINDS)
ROLE_TYPES: tuple[str, ...] = tuple(catalog.RBAC_GROUP + kind for kind in catalog.RBAC_ROLE_KINDS)


def _kind(resource_type: str) -> str | None:
    if not resource_type.startswith(catalog.RBAC_GROUP):
        return None
    return resource_type[len(catalog.RBAC_GROUP):]


def _is_binding(resource_type: str) -> bool:
    return _kind(resource_type) in catalog.RBAC_BINDING_KINDS


def _is_role(resource_type: str) -> bool:
    return _kind(resource_type) in catalog.RBAC_ROLE_KINDS


def _cluster_wide(resource_type: str) -> bool:
    return (_kind(resource_type) or "").startswith("ClusterRoleBinding")


def _allowed(args: Any, patterns: Any) -> bool:
    if not patterns:  # nothing allowlisted (the default): no need to read the name
        return False
    return skipped(args, patterns) or matches_any(get(args.props, "metadata.name"), patterns)


def _strings(value: Any) -> list[str]:
    """The known strings of a list (unknown entries can't match anything)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _subjects(props: Any) -> Any:
    subjects = get(props, "subjects", [], plain=True)
    return subjects if subjects is UNKNOWN or isinstance(subjects, list) else []


def _subject_key(subject: Mapping[str, Any]) -> str:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return f"ServiceAccount:{subject.get('namespace') or ''}/{name}"
    return f"{kind}:{name}"


def _subject_allowed(subject: Any, patterns: Any) -> bool:
    if not isinstance(subject, Mapping):
        return False
    return matches_any(_subject_key(subject), patterns) or matches_any(subject.get("name"), patterns)


# -- bindings ------------------------------------------------------------------------------------

BROAD_BINDING_RULE = Rule(
    name="k8s-no-broad-role-binding",
    title="No bindings to cluster-admin (or admin/edit cluster-wide)",
    description="RoleBindings and ClusterRoleBindings must not grant cluster-admin; ClusterRoleBindings "
    "must not grant admin or edit (in one namespace through a RoleBinding they are fine).",
    category=CATEGORY,
    severity="critical",
    enforcement="mandatory",
    remediation="Bind a Role (or the edit/view ClusterRole) with a RoleBinding in the namespaces the "
    "subject works in; keep cluster-admin for break-glass access outside the stack.",
    references=("CIS GKE 4.1.1", "Kyverno restrict-binding-clusteradmin", "Trivy KSV-0111"),
    resource_types=BINDING_TYPES,
    config={
        "forbiddenRoles": {
            **_STRINGS,
            "default": list(catalog.RBAC_FORBIDDEN_ROLES),
            "description": "ClusterRoles that may not be bound at all.",
        },
        "clusterWideRoles": {
            **_STRINGS,
            "default": list(catalog.RBAC_CLUSTER_WIDE_ROLES),
            "description": "ClusterRoles that may be bound in a namespace but not by a ClusterRoleBinding.",
        },
        **ALLOWED_SUBJECTS,
        **ALLOWED_RESOURCES,
    },
)


def _broad_binding(args: Any, report_violation: Callable[..., None]) -> None:
    if not _is_binding(args.resource_type):
        return
    cfg = settings(args, BROAD_BINDING_RULE.defaults())
    if _allowed(args, cfg.get("allowedResources")):
        return
    role_kind = get(args.props, "roleRef.kind")
    role = get(args.props, "roleRef.name")
    if not isinstance(role, str) or role_kind not in ("ClusterRole", None, UNKNOWN):
        return
    cluster_wide = _cluster_wide(args.resource_type)
    if role in (cfg.get("forbiddenRoles") or ()):
        why = "full control of the cluster" if cluster_wide else "full control of its namespace"
    elif cluster_wide and role in (cfg.get("clusterWideRoles") or ()):
        why = "it applies in every namespace"
    else:
        return
    subjects = _subjects(args.props)
    if subjects is not UNKNOWN:
        subjects = [s for s in subjects if not _subject_allowed(s, cfg.get("allowedSubjects"))]
        if not subjects:  # no subjects binds nobody
            return
    report_violation(f"binds ClusterRole {role}: {why}.")


SYSTEM_SUBJECTS_RULE = Rule(
    name="k8s-no-system-group-subjects",
    title="No bindings to anonymous, all-authenticated or system:masters subjects",
    description="Bindings must not name system:anonymous, system:unauthenticated, system:authenticated "
    "(on GKE: every Google account) or system:masters.",
    category=CATEGORY,
    severity="critical",
    enforcement="mandatory",
    remediation="Bind named users, groups or service accounts instead.",
    references=(
        "CIS GKE 4.1.7", "Trivy KSV-0122", "Trivy KSV-0123", "Trivy KSV-01011",
        "Kyverno restrict-binding-system-groups", "Gatekeeper K8sDisallowAnonymous",
    ),
    resource_types=BINDING_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _judged_subjects(args: Any, rule: Rule) -> list[Any]:
    """The subjects of a binding this rule judges: none for other types, allowlisted bindings, or
    subjects unknown during preview."""
    if not _is_binding(args.resource_type):
        return []
    cfg = settings(args, rule.defaults())
    subjects = _subjects(args.props)
    if subjects is UNKNOWN or _allowed(args, cfg.get("allowedResources")):
        return []
    return list(subjects)


def _system_subjects(args: Any, report_violation: Callable[..., None]) -> None:
    for subject in _judged_subjects(args, SYSTEM_SUBJECTS_RULE):
        if isinstance(subject, Mapping) and subject.get("name") in catalog.RBAC_FORBIDDEN_SUBJECTS:
            report_violation(f"subject {subject.get('kind')} {subject.get('name')} is bound.")


DEFAULT_SA_RULE = Rule(
    name="k8s-default-service-account-not-bound",
    title="The default ServiceAccount is not bound",
    description="Bindings must not name a namespace's default ServiceAccount (every pod that names no "
    "service account runs as it), nor the group of all service accounts.",
    category=CATEGORY,
    severity="medium",
    enforcement="mandatory",
    remediation="Create a dedicated ServiceAccount for the workload, bind it, and set "
    "serviceAccountName on the pods.",
    references=("CIS GKE 4.1.5", "CKV_K8S_42"),
    resource_types=BINDING_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _default_sa(args: Any, report_violation: Callable[..., None]) -> None:
    for subject in _judged_subjects(args, DEFAULT_SA_RULE):
        if not isinstance(subject, Mapping):
            continue
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "ServiceAccount" and name == "default":
            namespace = subject.get("namespace")
            where = f" of namespace {namespace}" if isinstance(namespace, str) else ""
            report_violation(f"the default ServiceAccount{where} is bound.")
        elif kind == "User" and matches_any(name, ["system:serviceaccount:*:default"]):
            report_violation(f"the default ServiceAccount ({name}) is bound.")
        elif kind == "Group" and name == catalog.RBAC_ALL_SERVICE_ACCOUNTS_GROUP:
            report_violation(f"group {name} (every service account, default ones included) is bound.")


# -- roles -----------------------------------------------------------------------------------------


# The last role read: the role rules judge the same resource's rules one after another.
_last_rules: tuple[Any, tuple[tuple[int, Mapping[str, Any]], ...]] = (None, ())


def _rules(args: Any) -> tuple[tuple[int, Mapping[str, Any]], ...]:
    """The (index, rule) pairs of a Role or ClusterRole, read once per props object."""
    global _last_rules
    if _last_rules[0] is not args.props:
        rules = get(args.props, "rules", [], plain=True)
        listed = rules if isinstance(rules, list) else []
        found = tuple((index, rule) for index, rule in enumerate(listed) if isinstance(rule, Mapping))
        _last_rules = (args.props, found)
    return _last_rules[1]


def _core(rule: Mapping[str, Any]) -> bool:
    """The rule can reach the core API group (where secrets, pods and nodes live)."""
    groups = rule.get("apiGroups")
    if groups is None:
        return True
    known = _strings(groups)
    return "" in known or "*" in known


def _role_policy(rule: Rule, check: Callable[[Mapping[str, Any]], Iterable[str]]) -> Any:
    defaults = rule.defaults()

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        if not _is_role(args.resource_type):
            return
        cfg = settings(args, defaults)
        if _allowed(args, cfg.get("allowedResources")):
            return
        for index, item in _rules(args):
            for problem in check(item):
                report_violation(f"rules[{index}]: {problem}.")

    return resource_policy(rule, validate)


WILDCARD_RULE = Rule(
    name="k8s-no-wildcard-rules",
    title="No '*' in apiGroups, resources or verbs",
    description="No rule of a Role or ClusterRole may use '*' in apiGroups, resources or verbs: it grants "
    "today's and tomorrow's resources alike. Every rule is checked, not only the first.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="List the API groups, resources and verbs the subject needs.",
    references=("CIS GKE 4.1.3", "CKV_K8S_49", "Trivy KSV-0044", "Trivy KSV-0045", "Trivy KSV-0046"),
    resource_types=ROLE_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _wildcards(rule: Mapping[str, Any]) -> Iterator[str]:
    keys = [key for key in ("apiGroups", "resources", "verbs") if "*" in _strings(rule.get(key))]
    if keys:
        yield f"{', '.join(keys)} {'contains' if len(keys) == 1 else 'contain'} '*'"


ESCALATION_RULE = Rule(
    name="k8s-no-escalation-verbs",
    title="No escalate, bind or impersonate",
    description="Roles must not grant escalate, bind or impersonate (a '*' verb on roles, clusterroles, "
    "users, groups or serviceaccounts includes them): each lets the holder gain permissions it lacks.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Remove the verbs; let a reviewed pipeline (this stack) manage RBAC instead of granting "
    "the power to do so.",
    references=("CIS GKE 4.1.8", "CKV_K8S_157", "CKV_K8S_158", "CKV2_K8S_3", "Trivy KSV-0043"),
    resource_types=ROLE_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _escalation(rule: Mapping[str, Any]) -> Iterator[str]:
    verbs = _strings(rule.get("verbs"))
    explicit = [v for v in catalog.RBAC_ESCALATION_VERBS if v in verbs]
    if explicit:
        yield f"verbs {', '.join(explicit)} allow privilege escalation"
        return
    resources = _strings(rule.get("resources"))
    reachable = [r for r in resources if r == "*" or r in catalog.RBAC_ESCALATION_RESOURCES]
    if "*" in verbs and reachable:
        yield f"verb '*' on {', '.join(reachable)} includes escalate, bind and impersonate"


SECRETS_RULE = Rule(
    name="k8s-no-secret-read",
    title="No get/list/watch on secrets without resourceNames",
    description="Roles must not read secrets (get, list, watch, or '*', on secrets or '*') unless limited "
    "to named secrets with resourceNames.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Limit the rule to the secrets the workload needs with resourceNames, or mount the secret "
    "into the pod instead of reading it through the API.",
    references=("CIS GKE 4.1.2", "CKV2_K8S_5", "Trivy KSV-0041", "Trivy KSV-0113"),
    resource_types=ROLE_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _secret_read(rule: Mapping[str, Any]) -> Iterator[str]:
    if not _core(rule):
        return
    resources = _strings(rule.get("resources"))
    target = next((r for r in resources if r in ("secrets", "*")), None)
    verbs = [v for v in _strings(rule.get("verbs")) if v in (*catalog.RBAC_SECRET_READ_VERBS, "*")]
    names = rule.get("resourceNames")
    if target and verbs and (names is None or names == []):
        yield f"{', '.join(verbs)} on {target} without resourceNames"


EXEC_RULE = Rule(
    name="k8s-no-exec-proxy",
    title="No pods/exec or pods/attach",
    description="Roles must not allow create or get on pods/exec or pods/attach (a shell in any "
    "container in reach); get is enough over WebSockets since Kubernetes 1.30. nodes/proxy is one of "
    "the escalation paths of k8s-no-escalation-paths.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Remove the sub-resources; debug through logs, ephemeral containers granted to an on-call "
    "group, or a break-glass role outside the stack.",
    references=("CKV2_K8S_2", "Trivy KSV-0053"),
    resource_types=ROLE_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _exec(rule: Mapping[str, Any]) -> Iterator[str]:
    if not _core(rule):
        return
    resources = _strings(rule.get("resources"))
    wildcard = {"*", "pods/*"}
    targets = [r for r in resources if r in catalog.RBAC_EXEC_RESOURCES or r in wildcard]
    verbs = [v for v in _strings(rule.get("verbs")) if v in (*catalog.RBAC_EXEC_VERBS, "*")]
    if targets and verbs:
        yield f"{', '.join(verbs)} on {', '.join(targets)} gives a shell in the pods"


# -- escalation paths (a table: catalog.RBAC_ESCALATION_PATHS) --------------------------------------


def _groups(rule: Mapping[str, Any]) -> list[str]:
    """A rule's API groups; none given counts as the core group (as _core does)."""
    return _strings(rule.get("apiGroups")) if rule.get("apiGroups") is not None else [""]


def _covers_resource(resources: list[str], wanted: str) -> bool:
    """RBAC's own matching: "*", the exact resource[/subresource], or "*/<subresource>"."""
    if "*" in resources or wanted in resources:
        return True
    _, slash, sub = wanted.partition("/")
    return bool(slash) and f"*/{sub}" in resources


def granted_verbs(rule: Mapping[str, Any], grant: catalog.RbacGrant) -> list[str]:
    """The verbs of ``rule`` that grant ``grant`` ([] when it does not); unknown lists grant nothing."""
    groups = _groups(rule)
    if "*" not in groups and grant.api_group not in groups:
        return []
    if not _covers_resource(_strings(rule.get("resources")), grant.resource):
        return []
    verbs = _strings(rule.get("verbs"))
    if "*" in verbs:
        return ["*"]
    return [v for v in verbs if not grant.verbs or v in grant.verbs]


ESCALATION_PATHS_RULE = Rule(
    name="k8s-no-escalation-paths",
    title="No RBAC privilege-escalation paths",
    description="No rule of a Role or ClusterRole may open one of the privilege-escalation paths the "
    "Kubernetes project lists (RBAC good practices): control of validating or mutating admission "
    "webhooks, CertificateSigningRequest approval with a signer's approve, creating service account "
    "tokens, any verb on nodes/proxy, creating PersistentVolumes (hostPath), modifying namespaces "
    "(Pod Security Admission labels), pods/ephemeralcontainers. Every rule is checked, '*' included.",
    category=CATEGORY,
    severity="high",
    enforcement="mandatory",
    remediation="Remove the grant, or narrow it (resourceNames, read-only verbs). Components that need "
    "such a path (an admission controller managing its own webhook, a CSR approver) belong in the "
    "infra stack with an `allowedResources` entry naming them.",
    references=(
        "Kubernetes RBAC good practices",
        *dict.fromkeys(peer for path in catalog.RBAC_ESCALATION_PATHS for peer in path.peers),
    ),
    resource_types=ROLE_TYPES,
    config={**ALLOWED_RESOURCES},
)


def _escalation_paths(args: Any, report_violation: Callable[..., None]) -> None:
    if not _is_role(args.resource_type):
        return
    cfg = settings(args, ESCALATION_PATHS_RULE.defaults())
    if _allowed(args, cfg.get("allowedResources")):
        return
    cluster_role = (_kind(args.resource_type) or "").startswith("ClusterRole")
    rules = list(_rules(args))
    opened: dict[int, list[str]] = {}
    for row in catalog.RBAC_ESCALATION_PATHS:
        if row.cluster_scoped and not cluster_role:
            continue  # a Role cannot grant a cluster-scoped resource
        companions = all(any(granted_verbs(r, g) for _, r in rules) for g in row.together)
        for index, rule in rules:
            verbs = granted_verbs(rule, row.grant)
            if verbs and companions:
                group = f"{row.grant.api_group}/" if row.grant.api_group else ""
                also = "".join(
                    f" with {', '.join(g.verbs) or '*'} on {g.resource}" for g in row.together
                )
                opened.setdefault(index, []).append(
                    f"{row.id}: {', '.join(verbs)} on {group}{row.grant.resource}{also} {row.reason} "
                    f"({row.reference})"
                )
    for index, paths in opened.items():
        report_violation(f"rules[{index}]: {'; '.join(paths)}.")


POLICIES: tuple[Any, ...] = (
    resource_policy(BROAD_BINDING_RULE, _broad_binding),
    resource_policy(SYSTEM_SUBJECTS_RULE, _system_subjects),
    resource_policy(DEFAULT_SA_RULE, _default_sa),
    _role_policy(WILDCARD_RULE, _wildcards),
    _role_policy(ESCALATION_RULE, _escalation),
    _role_policy(SECRETS_RULE, _secret_read),
    _role_policy(EXEC_RULE, _exec),
    resource_policy(ESCALATION_PATHS_RULE, _escalation_paths),
)
