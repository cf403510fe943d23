// Compliant twin of ../../violations/go-oversized-stack: the same 90 partner networks as the
// entries of one ConfigMap: one resource, a plan a reviewer reads.
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
		cidrs := pulumi.StringMap{}
		for i := 0; i < partners; i++ {
			cidrs[fmt.Sprintf("partner-%03d", i)] = pulumi.Sprintf("10.%d.%d.0/24", 100+i/256, i%256)
		}
		_, err := corev1.NewConfigMap(ctx, "partners", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("partners"), Namespace: pulumi.String(namespace)},
			Data:     cidrs,
		})
		return err
	})
}
