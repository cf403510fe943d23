// tierguard-expect: storage-deletion-guards
//
// The Go version of ../aws-unprotected-aurora: the orders database was created from a tutorial
// that tears everything down at the end. `DeletionProtection: false` and `SkipFinalSnapshot: true`
// let one careless replace drop the Aurora cluster with no snapshot; the DynamoDB table has no
// deletion protection (default false) and `ForceDestroy: true` empties the bucket before deleting
// it. The compliant twin turns every guard on.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		if _, err := rds.NewCluster(ctx, "orders", &rds.ClusterArgs{
			Engine:                   pulumi.String("aurora-postgresql"),
			DatabaseName:             pulumi.String("orders"),
			MasterUsername:           pulumi.String("orders"),
			ManageMasterUserPassword: pulumi.Bool(true),
			DeletionProtection:       pulumi.Bool(false),
			SkipFinalSnapshot:        pulumi.Bool(true),
		}); err != nil {
			return err
		}
		if _, err := dynamodb.NewTable(ctx, "order-events", &dynamodb.TableArgs{
			HashKey:     pulumi.String("id"),
			BillingMode: pulumi.String("PAY_PER_REQUEST"),
			Attributes:  dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
		}); err != nil {
			return err
		}
		exports, err := s3.NewBucket(ctx, "order-exports", &s3.BucketArgs{
			Bucket:       pulumi.String("acme-order-exports"),
			ForceDestroy: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		ctx.Export("exportsBucket", exports.Bucket)
		return nil
	})
}
