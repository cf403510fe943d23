# tierguard-expect: aws-iam-oidc-trust-pinned-subject
# tierguard-expect: aws-iam-no-broad-managed-policies
# tierguard-expect: aws-iam-no-wildcard-actions
"""The deploy workflow needed a role, and the quickest way to a green pipeline was the broadest one.

The trust policy checks only the audience, so a workflow in *any* GitHub repository can assume the
role; AdministratorAccess and an inline `*` on `*` make that a takeover of the account. The
compliant twin (examples/compliant/aws-ci-admin-role) pins `sub` to one repository and grants the
deploy actions on the stack's own resources.
"""

import json

import pulumi
import pulumi_aws as aws

github = aws.iam.OpenIdConnectProvider(
    "github",
    url="https://token.actions.githubusercontent.com",
    client_id_lists=["sts.amazonaws.com"],
)

deployer = aws.iam.Role(
    "deployer-ci",
    # An object, not `.apply(json.dumps)`: the provider ARN is unknown during preview, and an object
    # keeps the rest of the document readable by policies.
    assume_role_policy={
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": github.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
                },
            }
        ],
    },
    inline_policies=[
        aws.iam.RoleInlinePolicyArgs(
            name="everything",
            policy=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
    ],
)

aws.iam.RolePolicyAttachment(
    "deployer-ci-admin",
    role=deployer.name,
    policy_arn=aws.iam.ManagedPolicy.ADMINISTRATOR_ACCESS,
)

pulumi.export("deployerRoleArn", deployer.arn)
