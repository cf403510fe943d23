"""Compliant twin of examples/violations/aws-public-bucket-policy: the bucket is readable only by the
CloudFront distribution (`aws:SourceArn`), the queue only by the account's SNS topic."""

import pulumi
import pulumi_aws as aws

media = aws.s3.Bucket("media", bucket="acme-shop-media")
topic = aws.sns.Topic("order-events")
distribution_arn = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHEXAMPLE"

aws.s3.BucketPolicy(
    "media-cdn-read",
    bucket=media.id,
    policy={
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudFrontRead",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": media.arn.apply(lambda arn: f"{arn}/*"),
                "Condition": {"StringEquals": {"aws:SourceArn": distribution_arn}},
            }
        ],
    },
)

aws.sqs.Queue(
    "order-events",
    policy=topic.arn.apply(
        lambda arn: pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": "*",
                        "Condition": {"ArnEquals": {"aws:SourceArn": arn}},
                    }
                ],
            }
        )
    ),
)

pulumi.export("bucket", media.bucket)
