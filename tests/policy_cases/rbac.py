"""least-privilege-iam, Kubernetes RBAC: bindings (broad roles, system subjects, default service
accounts) and roles (wildcards, escalation verbs, secret reads, exec, the escalation-path table).

Every row of the RBAC tables (forbidden roles and subjects, escalation verbs and the resources a '*'
verb makes them meaningful on, exec sub-resources and verbs, escalation paths) has a violating case
here, written out by hand and not derived from the table: removing a row fails its case."""

from __future__ import annotations

from policy_cases import UNKNOWN, M, case, r, secret

BROAD = "k8s-no-broad-role-binding"
SYSTEM = "k8s-no-system-group-subjects"
DEFAULT_SA = "k8s-default-service-account-not-bound"
WILDCARD = "k8s-no-wildcard-rules"
ESCALATION = "k8s-no-escalation-verbs"
SECRETS = "k8s-no-secret-read"
EXEC = "k8s-no-exec-proxy"
PATHS = "k8s-no-escalation-paths"

RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
CRB = RBAC + "ClusterRoleBinding"
RB = RBAC + "RoleBinding"
CR = RBAC + "ClusterRole"
ROLE = RBAC + "Role"
ADMISSION = "admissionregistration.k8s.io"
CERTS = "certificates.k8s.io"

APP_CI = {
    "kind": "User",
    "name": "ci-app@shop-identity.iam.gserviceaccount.com",
    "apiGroup": "rbac.authorization.k8s.io",
}


def binding(role: str, *subjects: object, kind: str = "ClusterRole") -> dict:
    return {
        "metadata": {"name": "b", "namespace": "shop"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
        "subjects": list(subjects) if subjects else [APP_CI],
    }


def role(*rules: object, name: str = "r") -> dict:
    return {"metadata": {"name": name, "namespace": "shop"}, "rules": list(rules)}


def rule(groups: object, resources: object, verbs: object, **extra: object) -> dict:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **extra}


READ_PODS = rule([""], ["pods", "services"], ["get", "list", "watch"])
SIGNERS = rule([CERTS], ["signers"], ["approve"], resourceNames=["kubernetes.io/kube-apiserver-client"])


def _subject(kind: str, name: str) -> dict:
    return {"kind": kind, "name": name}


CASES = [
    # -- k8s-no-broad-role-binding: RBAC_FORBIDDEN_ROLES anywhere, RBAC_CLUSTER_WIDE_ROLES cluster-wide
    case(BROAD, "cluster-admin-in-a-namespace", [r(RB, "b", binding("cluster-admin"))], [(BROAD, "b", M)]),
    case(BROAD, "admin-cluster-wide", [r(CRB, "b", binding("admin"))], [(BROAD, "b", M)]),
    case(
        BROAD,
        "edit-cluster-wide-unknown-subjects",
        [r(CRB, "b", {**binding("edit"), "subjects": UNKNOWN})],
        [(BROAD, "b", M)],
    ),
    case(BROAD, "edit-in-a-namespace", [r(RB, "b", binding("edit")), r(RB, "a", binding("admin"))]),
    case(BROAD, "secret-subject", [r(CRB, "b", binding("cluster-admin", secret(APP_CI)))], [(BROAD, "b", M)]),
    case(
        BROAD,
        "unknown-role-name",
        [r(CRB, "b", {**binding("view"), "roleRef": {"kind": "ClusterRole", "name": UNKNOWN}})],
    ),
    case(BROAD, "role-named-cluster-admin", [r(RB, "b", binding("cluster-admin", kind="Role"))]),
    case(
        BROAD,
        "allowed-subject",
        [r(CRB, "b", binding("cluster-admin"))],
        config={BROAD: {"allowedSubjects": ["User:ci-app@*"]}},
    ),
    # -- k8s-no-system-group-subjects: a case per RBAC_FORBIDDEN_SUBJECTS row
    *[
        case(
            SYSTEM,
            f"subject-{name}",
            [r(RB, "b", binding("view", APP_CI, _subject(kind, name)))],
            [(SYSTEM, "b", M)],
        )
        for kind, name in [
            ("User", "system:anonymous"),
            ("Group", "system:unauthenticated"),
            ("Group", "system:authenticated"),
            ("Group", "system:masters"),
        ]
    ],
    case(
        SYSTEM,
        "named-and-unknown-subjects",
        [
            r(
                RB,
                "b",
                binding("view", APP_CI, _subject("Group", "app-team@example.com"), _subject("User", UNKNOWN)),
            )
        ],
    ),
    case(
        SYSTEM,
        "secret-system-subject",
        [r(RB, "b", binding("view", secret(_subject("Group", "system:masters"))))],
        [(SYSTEM, "b", M)],
    ),
    # -- k8s-default-service-account-not-bound
    case(
        DEFAULT_SA,
        "default-sa",
        [r(RB, "b", binding("view", {"kind": "ServiceAccount", "name": "default", "namespace": "shop"}))],
        [(DEFAULT_SA, "b", M)],
    ),
    case(
        DEFAULT_SA,
        "all-service-accounts-group",
        [r(RB, "b", binding("view", _subject("Group", "system:serviceaccounts")))],
        [(DEFAULT_SA, "b", M)],
    ),
    case(
        DEFAULT_SA,
        "default-sa-as-user-secret",
        [r(RB, "b", binding("view", secret(_subject("User", "system:serviceaccount:shop:default"))))],
        [(DEFAULT_SA, "b", M)],
    ),
    case(
        DEFAULT_SA,
        "dedicated-and-unknown-sa",
        [
            r(
                RB,
                "b",
                binding(
                    "view",
                    {"kind": "ServiceAccount", "name": "web", "namespace": "shop"},
                    {"kind": "ServiceAccount", "name": UNKNOWN, "namespace": "shop"},
                    _subject("Group", "system:serviceaccounts:shop-ci"),
                ),
            )
        ],
    ),
    # -- k8s-no-wildcard-rules
    case(
        WILDCARD,
        "wildcard-in-a-later-rule",
        [r(ROLE, "r", role(READ_PODS, rule(["apps"], ["*"], ["get"])))],
        [(WILDCARD, "r", M)],
    ),
    case(WILDCARD, "named-rules", [r(ROLE, "r", role(READ_PODS, rule(["apps"], ["deployments"], ["get"])))]),
    case(WILDCARD, "unknown-rules", [r(CR, "r", {"metadata": {"name": "x"}, "rules": UNKNOWN})]),
    case(
        WILDCARD,
        "secret-rules",
        [
            r(
                ROLE,
                "r",
                {"metadata": {"name": "r"}, "rules": secret([rule(["apps"], ["deployments"], ["*"])])},
            )
        ],
        [(WILDCARD, "r", M)],
    ),
    case(
        WILDCARD,
        "allowlisted-system-role",
        [r(ROLE, "r", role(rule(["apps"], ["*"], ["get"]), name="system:x"))],
        config={WILDCARD: {"allowedResources": ["system:*"]}},
    ),
    # -- k8s-no-escalation-verbs: a case per RBAC_ESCALATION_VERBS and RBAC_ESCALATION_RESOURCES row
    *[
        case(
            ESCALATION,
            f"verb-{verb}",
            [r(CR, "r", role(READ_PODS, rule([group], [target], ["get", verb])))],
            [(ESCALATION, "r", M)],
        )
        for verb, group, target in [
            ("escalate", "rbac.authorization.k8s.io", "clusterroles"),
            ("bind", "rbac.authorization.k8s.io", "roles"),
            ("impersonate", "", "users"),
        ]
    ],
    *[
        case(
            ESCALATION,
            f"star-verb-on-{target}",
            [r(CR, "r", role(rule([group], [target], ["*"])))],
            [(ESCALATION, "r", M), (WILDCARD, "r", M)],
        )  # a '*' verb is a wildcard too
        for group, target in [
            ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"),
            ("", "users"),
            ("", "groups"),
            ("", "serviceaccounts"),
            ("authentication.k8s.io", "uids"),
            ("authentication.k8s.io", "userextras/*"),
        ]
    ],
    case(
        ESCALATION,
        "star-verb-on-deployments",
        [r(CR, "r", role(rule(["apps"], ["deployments"], ["*"])))],
        [(WILDCARD, "r", M)],
    ),
    case(
        ESCALATION,
        "unknown-verbs",
        [r(CR, "r", role(rule(["rbac.authorization.k8s.io"], ["roles"], UNKNOWN)))],
    ),
    case(
        ESCALATION,
        "secret-verb",
        [r(CR, "r", role(rule([""], ["users"], [secret("impersonate")])))],
        [(ESCALATION, "r", M)],
    ),
    # -- k8s-no-secret-read (RBAC_SECRET_READ_VERBS, a case per verb)
    *[
        case(
            SECRETS,
            f"{verb}-secrets",
            [r(ROLE, "r", role(READ_PODS, rule([""], ["secrets"], [verb])))],
            [(SECRETS, "r", M)],
        )
        for verb in ("get", "list", "watch")
    ],
    case(
        SECRETS,
        "named-secrets-and-writes",
        [
            r(
                ROLE,
                "r",
                role(
                    rule([""], ["secrets"], ["get"], resourceNames=["db-connection"]),
                    rule([""], ["secrets"], ["create"]),
                    rule(["apps"], ["*"], ["get"]),
                ),
            )
        ],
        [(WILDCARD, "r", M)],
    ),
    case(SECRETS, "unknown-resources", [r(ROLE, "r", role(rule([""], UNKNOWN, ["get"])))]),
    case(
        SECRETS,
        "secret-rule-list",
        [r(ROLE, "r", {"metadata": {"name": "r"}, "rules": secret([rule([""], ["secrets"], ["get"])])})],
        [(SECRETS, "r", M)],
    ),
    case(
        SECRETS,
        "unknown-rule-beside-secret-read",
        [r(CR, "r", {"metadata": {"name": "y"}, "rules": [UNKNOWN, rule([""], ["secrets"], ["list"])]})],
        [(SECRETS, "r", M)],
    ),
    # -- k8s-no-exec-proxy (RBAC_EXEC_RESOURCES x RBAC_EXEC_VERBS, a case per row)
    case(
        EXEC,
        "create-pods-exec",
        [r(CR, "r", role(READ_PODS, rule([""], ["pods/exec"], ["create"])))],
        [(EXEC, "r", M)],
    ),
    case(
        EXEC,
        "get-pods-exec-websocket",
        [r(CR, "r", role(rule([""], ["pods/exec"], ["get"])))],
        [(EXEC, "r", M)],
    ),
    case(
        EXEC,
        "create-pods-attach",
        [r(ROLE, "r", role(rule([""], ["pods/attach"], ["create"])))],
        [(EXEC, "r", M)],
    ),
    case(
        EXEC,
        "logs-and-port-forward",
        [r(ROLE, "r", role(rule([""], ["pods/log", "pods/portforward"], ["get"])))],
    ),
    case(EXEC, "unknown-group", [r(ROLE, "r", role(rule([UNKNOWN], ["pods/exec"], ["create"])))]),
    case(
        EXEC,
        "secret-verb",
        [r(ROLE, "r", role(rule([""], ["pods/exec"], [secret("create")])))],
        [(EXEC, "r", M)],
    ),
    # -- k8s-no-escalation-paths: a case per RBAC_ESCALATION_PATHS row, and its near miss
    case(
        PATHS,
        "validating-webhooks",
        [
            r(
                CR,
                "r",
                role(READ_PODS, rule([ADMISSION], ["validatingwebhookconfigurations"], ["get", "patch"])),
            )
        ],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "validating-webhooks-read-only",
        [r(CR, "r", role(rule([ADMISSION], ["validatingwebhookconfigurations"], ["get", "list", "watch"])))],
    ),
    case(
        PATHS,
        "mutating-webhooks",
        [r(CR, "r", role(rule([ADMISSION], ["mutatingwebhookconfigurations"], ["create"])))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "mutating-webhooks-read-only",
        [r(CR, "r", role(rule([ADMISSION], ["mutatingwebhookconfigurations"], ["list"])))],
    ),
    case(
        PATHS,
        "csr-approval",
        [r(CR, "r", role(rule([CERTS], ["certificatesigningrequests/approval"], ["update"]), SIGNERS))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "csr-approval-without-signer",
        [
            r(
                CR,
                "r",
                role(
                    rule([CERTS], ["certificatesigningrequests/approval"], ["update"]),
                    rule([CERTS], ["certificatesigningrequests"], ["get", "list", "create"]),
                ),
            )
        ],
    ),
    case(
        PATHS,
        "token-request",
        [r(ROLE, "r", role(rule([""], ["serviceaccounts/token"], ["create"])))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "token-request-near-miss",
        [r(ROLE, "r", role(rule([""], ["serviceaccounts"], ["get", "create"])))],
    ),
    case(
        PATHS,
        "node-proxy-any-verb",
        [r(CR, "r", role(rule([""], ["nodes/proxy"], ["list"])))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "node-proxy-in-a-role-grants-nothing",
        [r(ROLE, "r", role(rule([""], ["nodes/proxy"], ["list"])))],
    ),
    case(
        PATHS,
        "persistent-volume-create",
        [r(CR, "r", role(rule([""], ["persistentvolumes"], ["create"])))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "persistent-volume-read",
        [r(CR, "r", role(rule([""], ["persistentvolumes"], ["get", "delete"])))],
    ),
    case(
        PATHS,
        "namespace-modification",
        [r(ROLE, "r", role(rule([""], ["namespaces"], ["patch"])))],
        [(PATHS, "r", M)],
    ),
    case(PATHS, "namespace-read-create", [r(ROLE, "r", role(rule([""], ["namespaces"], ["get", "create"])))]),
    case(
        PATHS,
        "ephemeral-containers",
        [r(ROLE, "r", role(rule([""], ["pods/ephemeralcontainers"], ["update"])))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "ephemeral-containers-read",
        [r(ROLE, "r", role(rule([""], ["pods/ephemeralcontainers"], ["get"])))],
    ),
    case(
        PATHS,
        "unknown-parts",
        [r(CR, "r", role(rule([""], UNKNOWN, ["create"]), rule([UNKNOWN], ["nodes/proxy"], ["get"])))],
    ),
    case(
        PATHS,
        "secret-verb",
        [r(CR, "r", role(rule([""], ["nodes/proxy"], [secret("get")])))],
        [(PATHS, "r", M)],
    ),
    case(
        PATHS,
        "allowlisted",
        [r(CR, "r", role(rule([""], ["nodes/proxy"], ["get"])))],
        config={PATHS: {"allowedResources": ["r"]}},
    ),
]
