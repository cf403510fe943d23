"""App tier on AKS: one application's workload, and nothing else.

Everything here lives in the namespace the infra stack created for the application: no datastore,
no cloud IAM, nothing cluster-scoped. The pods run as the application's user-assigned managed
identity (AKS Workload Identity: the identity stack federated it with this service account), and log
in to PostgreSQL and Blob Storage with its Entra tokens, so the stack holds no credentials at all.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
org = config.require("org")
app = config.get("appName") or "shop"
infra = pulumi.StackReference(
    "infra", stack_name=f"{org}/tierguard-azure-infra/{config.get('infraStack') or pulumi.get_stack()}"
)
identity = pulumi.StackReference(
    "identity",
    stack_name=f"{org}/tierguard-azure-identity/{config.get('identityStack') or pulumi.get_stack()}",
)

namespace = infra.require_output("namespaces").apply(lambda namespaces: namespaces[app])
database_secret = infra.require_output("databaseSecretName")
storage_account = infra.require_output("storageAccountName")
assets_container = infra.require_output("assetsContainer")
client_id = identity.require_output("appClientIds").apply(lambda ids: ids[app])

# The kubeconfig authenticates as whoever runs `pulumi up` with kubelogin (the app CI identity, which
# infra gave AKS RBAC Writer in this namespace only).
provider = k8s.Provider("aks", kubeconfig=infra.require_output("kubeconfig"), namespace=namespace)
opts = pulumi.ResourceOptions(provider=provider)

port = config.get_int("containerPort") or 8080
health_path = config.get("healthPath") or "/healthz"
labels = {
    "app.kubernetes.io/name": app,
    "app.kubernetes.io/part-of": app,
    "app.kubernetes.io/managed-by": "pulumi",
}
selector = {"app.kubernetes.io/name": app}


def metadata(name: str, **extra: object) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=labels, **extra)


# Restricted Pod Security Standard, per container: no root, no privilege escalation, no capabilities.
locked_down = k8s.core.v1.SecurityContextArgs(
    run_as_non_root=True,
    read_only_root_filesystem=True,
    allow_privilege_escalation=False,
    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
)

service_account = k8s.core.v1.ServiceAccount(
    "workload",
    # Same name as the app: identity federated system:serviceaccount:<app>:<app> with this client id.
    metadata=metadata(app, annotations={"azure.workload.identity/client-id": client_id}),
    automount_service_account_token=False,
    opts=opts,
)

settings = k8s.core.v1.ConfigMap(
    "settings",
    metadata=metadata(f"{app}-settings"),
    data={
        "APP_NAME": app,
        "APP_ENV": pulumi.get_stack(),
        "LOG_LEVEL": config.get("logLevel") or "info",
        "PORT": str(port),
        "AZURE_STORAGE_ACCOUNT": storage_account,
        "AZURE_STORAGE_CONTAINER": assets_container,
    },
    opts=opts,
)

application = k8s.core.v1.ContainerArgs(
    name=app,
    image=config.require("image"),
    ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=port, protocol="TCP")],
    env_from=[
        k8s.core.v1.EnvFromSourceArgs(
            config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name=settings.metadata.name)
        ),
        # PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE, written by the infra stack (no password: the
        # app sends an Entra token of its workload identity as the PostgreSQL password).
        k8s.core.v1.EnvFromSourceArgs(secret_ref=k8s.core.v1.SecretEnvSourceArgs(name=database_secret)),
    ],
    readiness_probe=k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=health_path, port="http"),
        period_seconds=5,
        failure_threshold=3,
    ),
    liveness_probe=k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=health_path, port="http"),
        initial_delay_seconds=10,
        period_seconds=10,
        failure_threshold=3,
    ),
    resources=k8s.core.v1.ResourceRequirementsArgs(
        requests={
            "cpu": config.get("cpuRequest") or "250m",
            "memory": config.get("memoryRequest") or "256Mi",
        },
        limits={"cpu": config.get("cpuLimit") or "1", "memory": config.get("memoryLimit") or "512Mi"},
    ),
    security_context=locked_down,
    volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
)

deployment = k8s.apps.v1.Deployment(
    "workload",
    metadata=metadata(app),
    spec=k8s.apps.v1.DeploymentSpecArgs(
        # No replicas: the HorizontalPodAutoscaler owns the count.
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
        strategy=k8s.apps.v1.DeploymentStrategyArgs(
            type="RollingUpdate",
            rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge="25%", max_unavailable=0),
        ),
        template=k8s.core.v1.PodTemplateSpecArgs(
            # The Workload Identity webhook projects a token for the annotated service account and
            # sets AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE in the pod.
            metadata=k8s.meta.v1.ObjectMetaArgs(labels={**labels, "azure.workload.identity/use": "true"}),
            spec=k8s.core.v1.PodSpecArgs(
                service_account_name=service_account.metadata.name,
                # The webhook mounts its own audience-bound token; no Kubernetes API token in the pod.
                automount_service_account_token=False,
                security_context=k8s.core.v1.PodSecurityContextArgs(
                    run_as_non_root=True,
                    run_as_user=65532,
                    run_as_group=65532,
                    fs_group=65532,
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                containers=[application],
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi")
                    )
                ],
                topology_spread_constraints=[
                    k8s.core.v1.TopologySpreadConstraintArgs(
                        max_skew=1,
                        topology_key="topology.kubernetes.io/zone",
                        when_unsatisfiable="ScheduleAnyway",
                        label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                    )
                ],
                termination_grace_period_seconds=30,
            ),
        ),
    ),
    opts=opts,
)

service = k8s.core.v1.Service(
    "workload",
    metadata=metadata(app),
    spec=k8s.core.v1.ServiceSpecArgs(
        type="ClusterIP",
        selector=selector,
        ports=[k8s.core.v1.ServicePortArgs(name="http", port=80, target_port="http", protocol="TCP")],
    ),
    opts=opts,
)

k8s.autoscaling.v2.HorizontalPodAutoscaler(
    "workload",
    metadata=metadata(app),
    spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
        scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
            api_version="apps/v1", kind="Deployment", name=deployment.metadata.name
        ),
        min_replicas=config.get_int("minReplicas") or 2,
        max_replicas=config.get_int("maxReplicas") or 6,
        metrics=[
            k8s.autoscaling.v2.MetricSpecArgs(
                type="Resource",
                resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                    name="cpu",
                    target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=70),
                ),
            )
        ],
    ),
    opts=opts,
)

k8s.policy.v1.PodDisruptionBudget(
    "workload",
    metadata=metadata(app),
    spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
        max_unavailable=1,
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
        unhealthy_pod_eviction_policy="AlwaysAllow",
    ),
    opts=opts,
)

pulumi.export("namespace", namespace)
pulumi.export("deployment", deployment.metadata.name)
pulumi.export("service", service.metadata.name)
pulumi.export("serviceAccount", service_account.metadata.name)
pulumi.export(
    "internalUrl",
    pulumi.Output.concat("http://", service.metadata.name, ".", namespace, ".svc.cluster.local"),
)
