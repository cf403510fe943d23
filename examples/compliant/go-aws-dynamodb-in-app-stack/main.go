// Compliant twin of ../../violations/go-aws-dynamodb-in-app-stack: the app stack holds only the
// function; the table is the infra stack's, passed in by ARN.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		tableArn := config.Require(ctx, "cartTableArn")
		_, err := lambda.NewFunction(ctx, "cart-api", &lambda.FunctionArgs{
			Runtime: pulumi.String("python3.12"),
			Handler: pulumi.String("app.handler"),
			Role:    pulumi.String("arn:aws:iam::123456789012:role/cart-api"),
			Code: pulumi.NewAssetArchive(map[string]interface{}{
				"app.py": pulumi.NewStringAsset("def handler(event, context):\n    return {}\n"),
			}),
			Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{"TABLE_ARN": pulumi.String(tableArn)}},
		})
		return err
	})
}
