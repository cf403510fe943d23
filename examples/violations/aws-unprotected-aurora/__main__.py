# tierguard-expect: storage-deletion-guards
"""The orders database was created from a tutorial that tears everything down at the end.

`deletion_protection=False` and `skip_final_snapshot=True` let one careless replace drop the Aurora
cluster with no snapshot; the DynamoDB table has no deletion protection (default false) and
`force_destroy=True` empties the bucket before deleting it. The compliant twin turns every guard on.
"""

import pulumi
import pulumi_aws as aws

aws.rds.Cluster(
    "orders",
    engine="aurora-postgresql",
    database_name="orders",
    master_username="orders",
    manage_master_user_password=True,
    deletion_protection=False,
    skip_final_snapshot=True,
)

aws.dynamodb.Table(
    "order-events",
    hash_key="id",
    billing_mode="PAY_PER_REQUEST",
    attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
)

exports = aws.s3.Bucket("order-exports", bucket="acme-order-exports", force_destroy=True)

pulumi.export("exportsBucket", exports.bucket)
