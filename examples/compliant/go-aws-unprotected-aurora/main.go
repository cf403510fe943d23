// Compliant twin of ../../violations/go-aws-unprotected-aurora: deletion protection on the cluster
// and the table, the final snapshot kept, nothing force-destroyed (and `protect`, required in prod).
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		keep := pulumi.Protect(true)
		if _, err := rds.NewCluster(ctx, "orders", &rds.ClusterArgs{
			Engine:                   pulumi.String("aurora-postgresql"),
			DatabaseName:             pulumi.String("orders"),
			MasterUsername:           pulumi.String("orders"),
			ManageMasterUserPassword: pulumi.Bool(true),
			DeletionProtection:       pulumi.Bool(true),
			FinalSnapshotIdentifier:  pulumi.String("orders-final"),
		}, keep); err != nil {
			return err
		}
		if _, err := dynamodb.NewTable(ctx, "order-events", &dynamodb.TableArgs{
			HashKey:                   pulumi.String("id"),
			BillingMode:               pulumi.String("PAY_PER_REQUEST"),
			Attributes:                dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
			DeletionProtectionEnabled: pulumi.Bool(true),
		}, keep); err != nil {
			return err
		}
		exports, err := s3.NewBucket(ctx, "order-exports", &s3.BucketArgs{Bucket: pulumi.String("acme-order-exports")}, keep)
		if err != nil {
			return err
		}
		ctx.Export("exportsBucket", exports.Bucket)
		return nil
	})
}
