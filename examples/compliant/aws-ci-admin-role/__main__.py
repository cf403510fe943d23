"""Compliant twin of examples/violations/aws-ci-admin-role: the trust policy pins `sub` to the one
repository (and its main branch) that deploys, and the role may update only the app's Lambda
functions and pass only the app's execution role."""

import json

import pulumi
import pulumi_aws as aws

repository = pulumi.Config().require("githubRepository")

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
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": f"repo:{repository}:ref:refs/heads/main",
                    }
                },
            }
        ],
    },
)

aws.iam.RolePolicy(
    "deployer-ci-deploy",
    role=deployer.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"],
                    "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:shop-*",
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": "arn:aws:iam::123456789012:role/shop-app-execution",
                },
            ],
        }
    ),
)

aws.iam.RolePolicyAttachment(
    "deployer-ci-read",
    role=deployer.name,
    policy_arn=aws.iam.ManagedPolicy.READ_ONLY_ACCESS,
)

pulumi.export("deployerRoleArn", deployer.arn)
