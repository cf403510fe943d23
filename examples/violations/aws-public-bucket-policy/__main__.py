# tierguard-expect: aws-no-public-principal
"""The marketing site needed its images public, and the order events needed a producer in another team.

`Principal: "*"` without a condition opens the bucket to anyone on the internet and lets any AWS
account in the world send to the queue. The compliant twin serves the bucket through CloudFront
(origin access control, scoped by `aws:SourceArn`) and lets only the account's SNS topic send.
"""

import pulumi
import pulumi_aws as aws

media = aws.s3.Bucket("media", bucket="acme-shop-media")

aws.s3.BucketPolicy(
    "media-public-read",
    bucket=media.id,
    policy={
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": media.arn.apply(lambda arn: f"{arn}/*"),
            }
        ],
    },
)

events = aws.sqs.Queue(
    "order-events",
    policy="""{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "*"}
  ]
}""",
)

pulumi.export("bucket", media.bucket)
