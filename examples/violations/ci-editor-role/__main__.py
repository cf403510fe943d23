# tierguard-expect: gcp-no-basic-roles
# tierguard-expect: gcp-no-privileged-service-accounts
"""The deploy pipeline failed on a missing permission, so someone gave its service account Editor.

roles/editor at project scope lets the CI identity change (almost) everything in the project,
including resources other tiers own; a leaked CI token becomes a project takeover. Grant the
narrow predefined or custom roles the tier needs instead (see reference_stacks/gcp/identity).
"""

import pulumi
import pulumi_gcp as gcp

project = pulumi.Config("gcp").require("project")

ci = gcp.serviceaccount.Account("deployer-ci", account_id="deployer-ci", display_name="CI/CD deployer")

gcp.projects.IAMMember(
    "deployer-ci-editor",
    project=project,
    role="roles/editor",
    member=ci.email.apply(lambda email: f"serviceAccount:{email}"),
)
