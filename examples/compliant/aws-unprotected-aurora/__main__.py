"""Compliant twin of examples/violations/aws-unprotected-aurora: deletion protection on the cluster and
the table, the final snapshot kept, nothing force-destroyed (and `protect`, required in prod)."""

import pulumi
import pulumi_aws as aws

keep = pulumi.ResourceOptions(protect=True)

aws.rds.Cluster(
    "orders",
    engine="aurora-postgresql",
    database_name="orders",
    master_username="orders",
    manage_master_user_password=True,
    deletion_protection=True,
    final_snapshot_identifier="orders-final",
    opts=keep,
)

aws.dynamodb.Table(
    "order-events",
    hash_key="id",
    billing_mode="PAY_PER_REQUEST",
    attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
    deletion_protection_enabled=True,
    opts=keep,
)

exports = aws.s3.Bucket("order-exports", bucket="acme-order-exports", opts=keep)

pulumi.export("exportsBucket", exports.bucket)
