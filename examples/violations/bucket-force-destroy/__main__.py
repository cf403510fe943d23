# tierguard-expect: storage-deletion-guards
"""`pulumi destroy` of the dev stack failed on a non-empty bucket, so force_destroy went in.

The flag is copied to the prod stack with the rest of the code: a destroy, or a rename that
replaces the bucket, now deletes every object in it without a prompt.
"""

import pulumi
import pulumi_gcp as gcp

project = pulumi.Config("gcp").require("project")
region = pulumi.Config("gcp").require("region")

gcp.storage.Bucket(
    "media",
    name=f"{project}-media",
    location=region.upper(),
    uniform_bucket_level_access=True,
    public_access_prevention="enforced",
    versioning=gcp.storage.BucketVersioningArgs(enabled=True),
    force_destroy=True,
)
