// tierguard-expect: stack-size-limit
//
// The Go version of ../oversized-stack, on Kubernetes: one ConfigMap per partner network,
// generated in a loop. 90 resources is over the app tier's limit of 80: nobody reads a plan that
// long, so the one change in it that matters goes through unnoticed. Express the list as data
// instead: one ConfigMap with an entry per partner (../../compliant/go-oversized-stack).
package main

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	partners  = 90
	namespace = "partners" // the platform team's, in the infra stack
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		for i := 0; i < partners; i++ {
			// 10.100.0.0/24, 10.100.1.0/24, ... one partner each
			if _, err := corev1.NewConfigMap(ctx, fmt.Sprintf("partner-%03d", i), &corev1.ConfigMapArgs{
				Metadata: &metav1.ObjectMetaArgs{Name: pulumi.Sprintf("partner-%03d", i), Namespace: pulumi.String(namespace)},
				Data:     pulumi.StringMap{"cidr": pulumi.Sprintf("10.%d.%d.0/24", 100+i/256, i%256)},
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
