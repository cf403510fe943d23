# tierguard-expect: no-datastore-in-app-tier
"""The cart service shipped its own table and database with the service code.

A DynamoDB table and an Aurora cluster in the app stack live and die with every application
deploy: a rename or a replaced stack deletes the data. They belong in the infra stack; the app gets
the table's ARN through config or a StackReference (the compliant twin).
"""

import json

import pulumi
import pulumi_aws as aws

table = aws.dynamodb.Table(
    "cart",
    hash_key="id",
    billing_mode="PAY_PER_REQUEST",
    attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
)

aws.rds.Cluster(
    "cart-sessions",
    engine="aurora-postgresql",
    master_username="cart",
    manage_master_user_password=True,
    deletion_protection=True,
)

aws.lambda_.Function(
    "cart-api",
    runtime="python3.12",
    handler="app.handler",
    role="arn:aws:iam::123456789012:role/cart-api",
    code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(event, context):\n    return {}\n")}),
    environment=aws.lambda_.FunctionEnvironmentArgs(variables={"TABLE": table.name}),
    tags={"routes": json.dumps(["/cart"])},
)
