# tierguard-expect: k8s-no-broad-role-binding
"""Helm kept failing on RBAC errors, so the deploy identity was bound to cluster-admin.

cluster-admin is every verb on every resource in every namespace, including Secrets and RBAC
itself: whoever holds the deploy identity owns the cluster. Bind ClusterRole edit with a
RoleBinding in the one namespace the pipeline deploys to (see reference_stacks/gcp/infra).
"""

import pulumi
import pulumi_kubernetes as k8s

deployer = pulumi.Config().require("deployer")

k8s.rbac.v1.ClusterRoleBinding(
    "ci-deployer-cluster-admin",
    metadata=k8s.meta.v1.ObjectMetaArgs(name="ci-deployer-cluster-admin"),
    role_ref=k8s.rbac.v1.RoleRefArgs(
        api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"
    ),
    subjects=[k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="User", name=deployer)],
)
