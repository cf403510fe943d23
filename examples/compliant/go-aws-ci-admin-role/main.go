// Compliant twin of ../../violations/go-aws-ci-admin-role: the trust policy pins `sub` to the one
// repository (and its main branch) that deploys, and the role may update only the app's Lambda
// functions and pass only the app's execution role.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

const deployPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"],
      "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:shop-*"
    },
    {
      "Effect": "Allow",
      "Action": "iam:PassRole",
      "Resource": "arn:aws:iam::123456789012:role/shop-app-execution"
    }
  ]
}`

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		repository := config.Require(ctx, "githubRepository")
		github, err := iam.NewOpenIdConnectProvider(ctx, "github", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String("https://token.actions.githubusercontent.com"),
			ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
		})
		if err != nil {
			return err
		}
		deployer, err := iam.NewRole(ctx, "deployer-ci", &iam.RoleArgs{
			AssumeRolePolicy: pulumi.Map{
				"Version": pulumi.String("2012-10-17"),
				"Statement": pulumi.Array{pulumi.Map{
					"Effect":    pulumi.String("Allow"),
					"Principal": pulumi.Map{"Federated": github.Arn},
					"Action":    pulumi.String("sts:AssumeRoleWithWebIdentity"),
					"Condition": pulumi.Map{"StringEquals": pulumi.Map{
						"token.actions.githubusercontent.com:aud": pulumi.String("sts.amazonaws.com"),
						"token.actions.githubusercontent.com:sub": pulumi.String("repo:" + repository + ":ref:refs/heads/main"),
					}},
				}},
			},
		})
		if err != nil {
			return err
		}
		if _, err := iam.NewRolePolicy(ctx, "deployer-ci-deploy", &iam.RolePolicyArgs{
			Role:   deployer.ID(),
			Policy: pulumi.String(deployPolicy),
		}); err != nil {
			return err
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, "deployer-ci-read", &iam.RolePolicyAttachmentArgs{
			Role:      deployer.Name,
			PolicyArn: iam.ManagedPolicyReadOnlyAccess,
		}); err != nil {
			return err
		}
		ctx.Export("deployerRoleArn", deployer.Arn)
		return nil
	})
}
