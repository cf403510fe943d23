// tierguard-expect: aws-iam-oidc-trust-pinned-subject
// tierguard-expect: aws-iam-no-broad-managed-policies
// tierguard-expect: aws-iam-no-wildcard-actions
//
// The Go version of ../aws-ci-admin-role: the deploy workflow needed a role, and the quickest way
// to a green pipeline was the broadest one. The trust policy checks only the audience, so a
// workflow in *any* GitHub repository can assume the role; AdministratorAccess and an inline `*` on
// `*` make that a takeover of the account. The compliant twin pins `sub` to one repository and
// grants the deploy actions on the stack's own resources.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		github, err := iam.NewOpenIdConnectProvider(ctx, "github", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String("https://token.actions.githubusercontent.com"),
			ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
		})
		if err != nil {
			return err
		}
		deployer, err := iam.NewRole(ctx, "deployer-ci", &iam.RoleArgs{
			// An object, not an ApplyT to JSON: the provider ARN is unknown during preview, and an
			// object keeps the rest of the document readable by policies.
			AssumeRolePolicy: pulumi.Map{
				"Version": pulumi.String("2012-10-17"),
				"Statement": pulumi.Array{pulumi.Map{
					"Effect":    pulumi.String("Allow"),
					"Principal": pulumi.Map{"Federated": github.Arn},
					"Action":    pulumi.String("sts:AssumeRoleWithWebIdentity"),
					"Condition": pulumi.Map{"StringEquals": pulumi.Map{
						"token.actions.githubusercontent.com:aud": pulumi.String("sts.amazonaws.com"),
					}},
				}},
			},
			InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{
				Name:   pulumi.String("everything"),
				Policy: pulumi.String(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`),
			}},
		})
		if err != nil {
			return err
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, "deployer-ci-admin", &iam.RolePolicyAttachmentArgs{
			Role:      deployer.Name,
			PolicyArn: iam.ManagedPolicyAdministratorAccess,
		}); err != nil {
			return err
		}
		ctx.Export("deployerRoleArn", deployer.Arn)
		return nil
	})
}
