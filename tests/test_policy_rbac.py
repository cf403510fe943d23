"""Kubernetes RBAC rules of the least-privilege-iam pack: every rule of a role is read, a '*' verb
includes the dangerous ones, unknown values are skipped piece by piece."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tierguard.model import wire
from tierguard.testing import UNKNOWN, findings, resource, run, stack

PACK = "least-privilege-iam"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"
CRB = RBAC + "ClusterRoleBinding"
RB = RBAC + "RoleBinding"
CR = RBAC + "ClusterRole"
ROLE = RBAC + "Role"

APP_CI = {
    "kind": "User",
    "name": "ci-app@shop-identity.iam.gserviceaccount.com",
    "apiGroup": "rbac.authorization.k8s.io",
}


def fire(type_: str, inputs: dict[str, Any], policy: str | None, config: dict | None = None) -> list:
    return findings(PACK, stack([resource(type_, inputs, name="rbac", line=3)]), config=config, policy=policy)


def binding(
    role: str, *subjects: dict[str, Any], kind: str = "ClusterRole", name: str = "b"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "shop"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
        "subjects": list(subjects) if subjects else [APP_CI],
    }


def role(*rules: dict[str, Any], name: str = "r") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "shop"}, "rules": list(rules)}


def rule(groups: list[str], resources: list[str], verbs: list[str], **extra: Any) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **extra}


READ_PODS = rule([""], ["pods", "services"], ["get", "list", "watch"])
DEPLOYMENTS = rule(["apps"], ["deployments"], ["get", "list", "create", "update", "patch", "delete"])


# -- bindings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", [CRB, RB, CRB + "Patch", RB + "Patch"])
def test_cluster_admin_is_never_bound(type_: str) -> None:
    (finding,) = fire(type_, binding("cluster-admin"), "k8s-no-broad-role-binding")
    assert finding.severity == "critical" and finding.enforcement_level == "mandatory"
    assert "cluster-admin" in finding.message


@pytest.mark.parametrize("role_name", ["admin", "edit"])
def test_admin_and_edit_are_refused_cluster_wide_but_fine_in_one_namespace(role_name: str) -> None:
    assert len(fire(CRB, binding(role_name), "k8s-no-broad-role-binding")) == 1
    # the reference infra stack: the app tier's CI identity gets edit in its namespace only
    assert fire(RB, binding(role_name), None) == []


def test_cluster_wide_roles_are_configurable() -> None:
    config = {"k8s-no-broad-role-binding": {"clusterWideRoles": ["edit"]}}
    assert fire(CRB, binding("admin"), "k8s-no-broad-role-binding", config) == []
    assert len(fire(CRB, binding("edit"), "k8s-no-broad-role-binding", config)) == 1
    config = {"k8s-no-broad-role-binding": {"forbiddenRoles": ["cluster-admin", "admin"]}}
    assert len(fire(RB, binding("admin"), "k8s-no-broad-role-binding", config)) == 1


def test_broad_binding_traps_and_allowlists() -> None:
    # a namespaced Role that happens to be called cluster-admin is not the ClusterRole
    assert fire(RB, binding("cluster-admin", kind="Role"), "k8s-no-broad-role-binding") == []
    # no subjects binds nobody
    assert fire(CRB, {**binding("cluster-admin"), "subjects": []}, "k8s-no-broad-role-binding") == []
    approved = {"k8s-no-broad-role-binding": {"allowedSubjects": ["User:ci-app@*"]}}
    assert fire(CRB, binding("cluster-admin"), "k8s-no-broad-role-binding", approved) == []
    by_name = {"k8s-no-broad-role-binding": {"allowedResources": ["break-glass"]}}
    assert fire(CRB, binding("cluster-admin", name="break-glass"), "k8s-no-broad-role-binding", by_name) == []


def test_broad_binding_with_unknown_subjects_is_still_refused() -> None:
    inputs = {**binding("cluster-admin"), "subjects": UNKNOWN}
    assert len(fire(CRB, inputs, "k8s-no-broad-role-binding")) == 1
    inputs = binding("cluster-admin", {"kind": "User", "name": UNKNOWN})
    assert len(fire(CRB, inputs, "k8s-no-broad-role-binding")) == 1
    # an unknown role name can't be judged, and doesn't crash
    inputs = {**binding("view"), "roleRef": {"kind": "ClusterRole", "name": UNKNOWN}}
    assert fire(CRB, inputs, None) == []


@pytest.mark.parametrize(
    "subject",
    [
        {"kind": "User", "name": "system:anonymous"},
        {"kind": "Group", "name": "system:unauthenticated"},
        {"kind": "Group", "name": "system:authenticated"},
        {"kind": "Group", "name": "system:masters"},
    ],
)
def test_system_subjects_are_refused(subject: dict) -> None:
    (finding,) = fire(RB, binding("view", APP_CI, subject), "k8s-no-system-group-subjects")
    assert subject["name"] in finding.message


def test_named_subjects_pass_the_system_subject_rule() -> None:
    group = {"kind": "Group", "name": "app-team@example.com"}
    assert fire(RB, binding("view", APP_CI, group, {"kind": "User", "name": UNKNOWN}), None) == []
    assert fire(RB, {**binding("view"), "subjects": UNKNOWN}, "k8s-no-system-group-subjects") == []


@pytest.mark.parametrize(
    "subject",
    [
        {"kind": "ServiceAccount", "name": "default", "namespace": "shop"},
        {"kind": "User", "name": "system:serviceaccount:shop:default"},
        {"kind": "Group", "name": "system:serviceaccounts"},
    ],
)
def test_default_service_account_is_not_bound(subject: dict) -> None:
    assert len(fire(RB, binding("view", subject), "k8s-default-service-account-not-bound")) == 1


def test_dedicated_service_account_may_be_bound() -> None:
    subject = {"kind": "ServiceAccount", "name": "web", "namespace": "shop"}
    assert fire(RB, binding("view", subject), None) == []
    group = {"kind": "Group", "name": "system:serviceaccounts:shop-ci"}
    assert fire(RB, binding("view", group), "k8s-default-service-account-not-bound") == []


# -- roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["apiGroups", "resources", "verbs"])
def test_wildcards_are_refused_in_any_rule_not_only_the_first(key: str) -> None:
    wild = {**DEPLOYMENTS, key: ["*"]}
    (finding,) = fire(ROLE, role(READ_PODS, DEPLOYMENTS, wild), "k8s-no-wildcard-rules")
    assert "rules[2]" in finding.message and key in finding.message


def test_named_rules_pass_every_role_rule() -> None:
    for type_ in (ROLE, CR, ROLE + "Patch", CR + "Patch"):
        assert fire(type_, role(READ_PODS, DEPLOYMENTS), None) == []


@pytest.mark.parametrize("verb", ["escalate", "bind", "impersonate"])
def test_escalation_verbs_are_refused(verb: str) -> None:
    target = "users" if verb == "impersonate" else "clusterroles"
    group = "" if verb == "impersonate" else "rbac.authorization.k8s.io"
    assert (
        len(fire(CR, role(READ_PODS, rule([group], [target], ["get", verb])), "k8s-no-escalation-verbs")) == 1
    )


@pytest.mark.parametrize("resources", [["roles"], ["serviceaccounts"], ["*"]])
def test_star_verb_includes_escalation(resources: list[str]) -> None:
    assert len(fire(CR, role(rule(["*"], resources, ["*"])), "k8s-no-escalation-verbs")) == 1


def test_star_verb_on_harmless_resources_is_not_escalation() -> None:
    assert fire(CR, role(rule(["apps"], ["deployments"], ["*"])), "k8s-no-escalation-verbs") == []


@pytest.mark.parametrize(
    "item",
    [
        rule([""], ["secrets"], ["get"]),
        rule([""], ["configmaps", "secrets"], ["list", "watch"]),
        rule([""], ["secrets"], ["*"]),
        rule(["*"], ["*"], ["get"]),
        rule([""], ["secrets"], ["get"], resourceNames=[]),
    ],
)
def test_secret_reads_without_resource_names_are_refused(item: dict) -> None:
    assert len(fire(ROLE, role(READ_PODS, item), "k8s-no-secret-read")) == 1


@pytest.mark.parametrize(
    "item",
    [
        rule([""], ["secrets"], ["get"], resourceNames=["db-connection"]),
        rule([""], ["secrets"], ["create", "update"]),
        rule(["apps"], ["*"], ["get"]),  # not the core group
        rule([""], UNKNOWN, ["get"]),
    ],
)
def test_named_secrets_and_other_groups_pass(item: dict) -> None:
    assert fire(ROLE, role(item), "k8s-no-secret-read") == []


@pytest.mark.parametrize(
    "item",
    [
        rule([""], ["pods", "pods/exec"], ["create"]),
        rule([""], ["pods/exec"], ["get"]),  # WebSocket exec needs only get (Kubernetes >= 1.30)
        rule([""], ["pods/attach"], ["create"]),
        rule([""], ["pods/*"], ["*"]),
    ],
)
def test_exec_and_attach_are_refused(item: dict) -> None:
    assert len(fire(CR, role(READ_PODS, item), "k8s-no-exec-proxy")) == 1


def test_node_proxy_belongs_to_the_escalation_paths_not_exec() -> None:
    item = rule([""], ["nodes/proxy"], ["get"])
    assert fire(CR, role(READ_PODS, item), "k8s-no-exec-proxy") == []
    assert len(fire(CR, role(READ_PODS, item), "k8s-no-escalation-paths")) == 1


def test_pod_logs_are_not_exec() -> None:
    assert fire(ROLE, role(rule([""], ["pods/log", "pods/portforward"], ["get"])), "k8s-no-exec-proxy") == []


def test_unknown_rules_do_not_crash_and_secret_rules_are_read() -> None:
    res = [
        resource(CR, {"metadata": {"name": "x"}, "rules": UNKNOWN}, name="unknown-rules"),
        resource(
            CR,
            {"metadata": {"name": "y"}, "rules": [UNKNOWN, rule([""], ["secrets"], ["list"])]},
            name="mixed",
        ),
        resource(ROLE, role(rule([""], ["secrets"], [UNKNOWN]), rule([UNKNOWN], ["pods/exec"], ["create"]))),
    ]
    result = run(PACK, stack(res))
    assert [(f.policy, f.urn.rsplit("::", 1)[-1]) for f in result.findings] == [
        ("k8s-no-secret-read", "mixed")
    ]


def test_secret_rules_value_is_judged() -> None:
    inputs = {"metadata": {"name": "r"}, "rules": wire.secret([rule([""], ["secrets"], ["get"])])}
    assert len(fire(ROLE, inputs, "k8s-no-secret-read")) == 1


def test_role_allowlist() -> None:
    config = {"k8s-no-wildcard-rules": {"allowedResources": ["system:*"]}}
    inputs = role(rule(["*"], ["*"], ["*"]), name="system:controller:x")
    assert fire(CR, inputs, "k8s-no-wildcard-rules", config) == []
    (finding,) = fire(CR, inputs, "k8s-no-wildcard-rules")
    assert "apiGroups, resources, verbs contain '*'" in finding.message


# -- escalation paths: one violating and one compliant role per row of the table ----------------------

PATHS = "k8s-no-escalation-paths"
ADMISSION = "admissionregistration.k8s.io"
CERTS = "certificates.k8s.io"
SIGNERS = rule([CERTS], ["signers"], ["approve"], resourceNames=["kubernetes.io/kube-apiserver-client"])

# row id -> (role kind, violating rules, compliant rules). Written out by hand, not derived from the
# table: removing a row (or weakening it) makes its violating case pass and this test fail.
ESCALATION_CASES: dict[str, tuple[str, list[dict], list[dict]]] = {
    "validating-webhooks": (
        CR,
        [rule([ADMISSION], ["validatingwebhookconfigurations"], ["get", "patch"])],
        [rule([ADMISSION], ["validatingwebhookconfigurations"], ["get", "list", "watch"])],
    ),
    "mutating-webhooks": (
        CR,
        [rule([ADMISSION], ["mutatingwebhookconfigurations"], ["create"])],
        [rule([ADMISSION], ["mutatingwebhookconfigurations"], ["list"])],
    ),
    "csr-approval": (
        CR,
        [rule([CERTS], ["certificatesigningrequests/approval"], ["update"]), SIGNERS],
        # approval without any signer's approve issues nothing; reading CSRs is harmless
        [rule([CERTS], ["certificatesigningrequests/approval"], ["update"]),
         rule([CERTS], ["certificatesigningrequests"], ["get", "list", "create"])],
    ),
    "token-request": (
        ROLE,
        [rule([""], ["serviceaccounts/token"], ["create"])],
        [rule([""], ["serviceaccounts"], ["get", "list", "create"])],
    ),
    "node-proxy": (
        CR,
        [rule([""], ["nodes/proxy"], ["list"])],  # any verb
        [rule([""], ["nodes", "nodes/status"], ["get", "list"])],
    ),
    "persistent-volume-create": (
        CR,
        [rule([""], ["persistentvolumes"], ["create"])],
        [rule([""], ["persistentvolumes", "persistentvolumeclaims"], ["get", "list", "delete"])],
    ),
    "namespace-modification": (
        ROLE,
        [rule([""], ["namespaces"], ["patch"])],
        [rule([""], ["namespaces"], ["get", "list", "create"])],
    ),
    "ephemeral-containers": (
        ROLE,
        [rule([""], ["pods/ephemeralcontainers"], ["update"])],
        [rule([""], ["pods/ephemeralcontainers", "pods/log"], ["get"])],
    ),
}


def test_every_row_of_the_table_has_cases() -> None:
    from tierguard.catalog.iam import RBAC_ESCALATION_PATHS

    assert [p.id for p in RBAC_ESCALATION_PATHS] == list(ESCALATION_CASES)


@pytest.mark.parametrize("path_id", list(ESCALATION_CASES))
def test_escalation_path_is_refused(path_id: str) -> None:
    kind, violating, _ = ESCALATION_CASES[path_id]
    (finding,) = fire(kind, role(READ_PODS, *violating), PATHS)
    assert finding.enforcement_level == "mandatory" and finding.category == "iam"
    assert f"rules[1]: {path_id}:" in finding.message
    assert "RBAC good practices" in finding.message


@pytest.mark.parametrize("path_id", list(ESCALATION_CASES))
def test_escalation_path_near_miss_passes(path_id: str) -> None:
    kind, _, compliant = ESCALATION_CASES[path_id]
    assert fire(kind, role(READ_PODS, *compliant), PATHS) == []


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        # '*' everywhere opens every path a ClusterRole can open, in one finding for the rule
        (rule(["*"], ["*"], ["*"]), set(ESCALATION_CASES)),
        (rule([""], ["*"], ["create"]), {"token-request", "persistent-volume-create", "node-proxy"}),
        (rule([""], ["*/token"], ["create"]), {"token-request"}),  # RBAC's "*/<subresource>"
        (rule(["*"], ["validatingwebhookconfigurations"], ["*"]), {"validating-webhooks"}),
        (rule([""], ["namespaces", "pods/ephemeralcontainers"], ["*"]),
         {"namespace-modification", "ephemeral-containers"}),
    ],
)
def test_wildcards_open_the_paths_they_cover(item: dict, expected: set[str]) -> None:
    (finding,) = fire(CR, role(READ_PODS, item), PATHS)
    opened = {part.split(":", 1)[0].strip() for part in finding.message.split("rules[1]:", 1)[1].split("; ")}
    assert opened == expected


def test_every_rule_is_judged_and_csr_signers_may_sit_in_another_rule() -> None:
    found = fire(
        CR,
        role(
            READ_PODS,
            rule([CERTS], ["signers"], ["approve"]),
            rule([""], ["serviceaccounts/token"], ["create"]),
            rule([CERTS], ["certificatesigningrequests/approval"], ["patch"]),
        ),
        PATHS,
    )
    assert sorted(re.search(r"rules\[\d+\]", f.message).group(0) for f in found) == ["rules[2]", "rules[3]"]


def test_a_namespaced_role_cannot_grant_cluster_scoped_paths() -> None:
    """Webhooks, CSRs, nodes and PersistentVolumes are cluster-scoped: a Role's rule grants nothing."""
    for path_id in ("validating-webhooks", "node-proxy", "persistent-volume-create", "csr-approval"):
        _, violating, _ = ESCALATION_CASES[path_id]
        assert fire(ROLE, role(*violating), PATHS) == [], path_id
        assert len(fire(CR, role(*violating), PATHS)) == 1, path_id


def test_escalation_paths_with_unknowns_secrets_and_allowlist() -> None:
    res = [
        resource(CR, {"metadata": {"name": "x"}, "rules": UNKNOWN}, name="unknown-rules"),
        resource(CR, role(rule([""], UNKNOWN, ["create"]), rule([UNKNOWN], ["nodes/proxy"], ["get"])),
                 name="unknown-parts"),
        resource(CR, role(rule([""], ["nodes/proxy"], [wire.secret("get")]), name="s"), name="secret-verb"),
    ]
    result = run(PACK, stack(res))
    assert [(f.policy, f.urn.rsplit("::", 1)[-1]) for f in result.findings if f.policy == PATHS] == [
        (PATHS, "secret-verb")
    ]
    config = {PATHS: {"allowedResources": ["secret-verb"]}}
    assert findings(PACK, stack(res), config=config, policy=PATHS) == []
