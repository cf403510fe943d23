// tierguard-expect: no-datastore-in-app-tier
//
// The Go version of ../aws-dynamodb-in-app-stack: the cart service shipped its own table and
// database with the service code. A DynamoDB table and an Aurora cluster in the app stack live and
// die with every application deploy: a rename or a replaced stack deletes the data. They belong in
// the infra stack; the app gets the table's ARN through config or a StackReference (the compliant
// twin, ../../compliant/go-aws-dynamodb-in-app-stack).
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		table, err := dynamodb.NewTable(ctx, "cart", &dynamodb.TableArgs{
			HashKey:     pulumi.String("id"),
			BillingMode: pulumi.String("PAY_PER_REQUEST"),
			Attributes:  dynamodb.TableAttributeArray{dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
		})
		if err != nil {
			return err
		}
		if _, err := rds.NewCluster(ctx, "cart-sessions", &rds.ClusterArgs{
			Engine:                   pulumi.String("aurora-postgresql"),
			MasterUsername:           pulumi.String("cart"),
			ManageMasterUserPassword: pulumi.Bool(true),
			DeletionProtection:       pulumi.Bool(true),
		}); err != nil {
			return err
		}
		_, err = lambda.NewFunction(ctx, "cart-api", &lambda.FunctionArgs{
			Runtime: pulumi.String("python3.12"),
			Handler: pulumi.String("app.handler"),
			Role:    pulumi.String("arn:aws:iam::123456789012:role/cart-api"),
			Code: pulumi.NewAssetArchive(map[string]interface{}{
				"app.py": pulumi.NewStringAsset("def handler(event, context):\n    return {}\n"),
			}),
			Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{"TABLE": table.Name}},
			Tags:        pulumi.StringMap{"routes": pulumi.String(`["/cart"]`)},
		})
		return err
	})
}
