"""Compliant twin of examples/violations/aws-dynamodb-in-app-stack: the app stack holds only the
function; the table is the infra stack's, passed in by ARN."""

import pulumi
import pulumi_aws as aws

table_arn = pulumi.Config().require("cartTableArn")

aws.lambda_.Function(
    "cart-api",
    runtime="python3.12",
    handler="app.handler",
    role="arn:aws:iam::123456789012:role/cart-api",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(event, context):\n    return {}\n")}),
    environment=aws.lambda_.FunctionEnvironmentArgs(variables={"TABLE_ARN": table_arn}),
)
