"""STAND-IN resource provider for the e2e tests: the cloud API is the only thing not real.

The `pulumi` CLI, its engine (step generation, protect, replace, aliases, the analyzer host), the
Python SDK running the program, pulumi-policy and the packs are all real. The real pulumi-gcp
provider's Go module is not served by the module proxy here, and the real Kubernetes provider needs a
cluster (or a long build), and neither are aws or azure-native here, so the e2e workspaces install
this as `pulumi-resource-{gcp,kubernetes,aws,azure-native}` instead. It speaks the engine's
ResourceProvider gRPC protocol:

- CheckConfig/Configure accept anything; Check returns the inputs unchanged.
- Diff reports the changed top-level keys, and asks for a replace when a key (or path) in the
  `REPLACE_ON` table below changed — the way real providers mark properties ForceNew.
- Create/Update/Read echo the inputs as outputs, plus a few computed outputs (`COMPUTED`) that the
  reference stacks export to each other; Delete does nothing.
- Invoke answers the few invokes the reference stacks make (`INVOKES`: AKS's user kubeconfig) and
  `{}` to any other.
- GetSchema answers a STAND-IN schema derived from the installed Python SDK of the package
  (standin_schema.py: its resource and function tokens and camelCase property names, every type
  `Any`), so Pulumi YAML programs resolve their `type:` tokens and properties as they would against
  the real provider's schema.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import uuid
from collections.abc import Callable
from concurrent import futures
from importlib import metadata, resources
from typing import Any

import grpc
import standin_schema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = "4dabf18193072939515e22adb298388d"

# Properties whose change forces a replacement, per type token (dotted paths into the inputs).
# "*gcp" / "*kubernetes" apply to every type of that package; entries for a type add to them.
REPLACE_ON: dict[str, tuple[str, ...]] = {
    "*gcp": ("name", "project"),
    "*kubernetes": ("metadata.name", "metadata.namespace", "apiVersion", "kind"),
    "*aws": (),
    "*azure-native": ("resourceGroupName", "location"),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:s3/bucketV2:BucketV2": ("bucket",),
    "aws:rds/cluster:Cluster": ("clusterIdentifier", "engine"),
    "aws:dynamodb/table:Table": ("name",),
    "gcp:storage/bucket:Bucket": ("location",),
    "gcp:sql/databaseInstance:DatabaseInstance": ("region", "databaseVersion", "masterInstanceName"),
    "gcp:sql/database:Database": ("instance",),
    "gcp:sql/user:User": ("instance",),
    "gcp:container/cluster:Cluster": ("location", "network", "subnetwork"),
    "gcp:container/nodePool:NodePool": ("location", "cluster"),
    "gcp:compute/subnetwork:Subnetwork": ("region", "network"),
    "gcp:compute/network:Network": ("autoCreateSubnetworks",),
    "gcp:compute/router:Router": ("region", "network"),
    "gcp:compute/routerNat:RouterNat": ("region", "router"),
    "gcp:compute/globalAddress:GlobalAddress": ("network", "purpose", "addressType", "prefixLength"),
    "gcp:serviceaccount/account:Account": ("accountId",),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ("workloadIdentityPoolId",),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        "workloadIdentityPoolId",
        "workloadIdentityPoolProviderId",
    ),
    "gcp:projects/iAMCustomRole:IAMCustomRole": ("roleId",),
    "gcp:redis/instance:Instance": ("region", "tier", "memorySizeGb"),
}


def _plain(value: Any) -> Any:
    """The value inside a secret envelope (None when unknown)."""
    if isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
        return _plain(value.get("value"))
    return None if value == UNKNOWN else value


def _format(template: str) -> Callable[[dict[str, Any]], Any]:
    def compute(inputs: dict[str, Any]) -> Any:
        values = {k: _plain(v) for k, v in inputs.items()}
        if any(values.get(k) is None for k in _fields(template)):
            return UNKNOWN
        return template.format(**values)

    return compute


def _fields(template: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


# Computed outputs the reference stacks read back (exports, StackReferences), per type token.
COMPUTED: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "gcp:serviceaccount/account:Account": {
        "email": _format("{accountId}@{project}.iam.gserviceaccount.com"),
        "member": _format("serviceAccount:{accountId}@{project}.iam.gserviceaccount.com"),
        "name": _format("projects/{project}/serviceAccounts/{accountId}@{project}.iam.gserviceaccount.com"),
    },
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": {
        "name": _format("projects/{project}/locations/global/workloadIdentityPools/{workloadIdentityPoolId}"),
    },
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": {
        "name": _format(
            "projects/{project}/locations/global/workloadIdentityPools/{workloadIdentityPoolId}"
            "/providers/{workloadIdentityPoolProviderId}"
        ),
    },
    "gcp:projects/iAMCustomRole:IAMCustomRole": {"name": _format("projects/{project}/roles/{roleId}")},
    "gcp:sql/databaseInstance:DatabaseInstance": {
        "connectionName": _format("{project}:{region}:{name}"),
        "privateIpAddress": lambda _: "10.99.0.3",
    },
    "gcp:container/cluster:Cluster": {
        "endpoint": lambda _: "203.0.113.10",
        "masterAuth": lambda _: {"clusterCaCertificate": "c3RhbmQtaW4tY2E="},
    },
    "gcp:compute/network:Network": {"selfLink": _format("projects/{project}/global/networks/{name}")},
    # STAND-IN values for the AWS reference stacks: a fixed account and endpoints, never a real one.
    "aws:iam/role:Role": {"arn": _format("arn:aws:iam::123456789012:role/{name}")},
    "aws:eks/cluster:Cluster": {
        "endpoint": lambda _: "https://STANDIN.gr7.eu-west-1.eks.amazonaws.com",
        "certificateAuthority": lambda _: {"data": "c3RhbmQtaW4tY2E="},
    },
    "aws:rds/cluster:Cluster": {
        "endpoint": _format("{clusterIdentifier}.cluster-standin.eu-west-1.rds.amazonaws.com"),
        "readerEndpoint": _format("{clusterIdentifier}.cluster-ro-standin.eu-west-1.rds.amazonaws.com"),
        "masterUserSecrets": lambda _: [
            {"secretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-standin"}
        ],
    },
    # azure-native names a resource by a `<kind>Name` input and returns it as `name`; managed
    # identities get stand-in (deterministic) principal and client ids.
    "azure-native:resources:ResourceGroup": {"name": _format("{resourceGroupName}")},
    "azure-native:managedidentity:UserAssignedIdentity": {
        "name": _format("{resourceName}"),
        "principalId": lambda inputs: _standin_guid("principal", inputs.get("resourceName")),
        "clientId": lambda inputs: _standin_guid("client", inputs.get("resourceName")),
    },
    "azure-native:containerservice:ManagedCluster": {
        "name": _format("{resourceName}"),
        "oidcIssuerProfile": lambda inputs: {
            "enabled": True,
            "issuerURL": _format("https://standin.oic.example/{resourceName}/")(inputs),
        },
    },
    "azure-native:dbforpostgresql:Server": {
        "name": _format("{serverName}"),
        "fullyQualifiedDomainName": _format("{serverName}.postgres.database.azure.com"),
    },
    "azure-native:dbforpostgresql:Database": {"name": _format("{databaseName}")},
    "azure-native:storage:StorageAccount": {"name": _format("{accountName}")},
    "azure-native:storage:BlobContainer": {"name": _format("{containerName}")},
    "azure-native:network:VirtualNetwork": {"name": _format("{virtualNetworkName}")},
    "azure-native:privatedns:PrivateZone": {"name": _format("{privateZoneName}")},
}


def _standin_guid(kind: str, name: Any) -> Any:
    """A stable stand-in object/client id for a named resource (unknown until the name is known)."""
    name = _plain(name)
    return UNKNOWN if name is None else str(uuid.uuid5(uuid.NAMESPACE_URL, f"standin:{kind}:{name}"))


def _standin_kubeconfig(args: dict[str, Any]) -> dict[str, Any]:
    """listManagedClusterUserCredentials: a kubeconfig naming a stand-in API server (JSON is YAML)."""
    name = str(_plain(args.get("resourceName")) or "standin")
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": "https://203.0.113.20:443",
                    "certificate-authority-data": "c3RhbmQtaW4tY2E=",
                },
            }
        ],
        "users": [{"name": f"clusterUser_{name}", "user": {}}],
    }
    value = base64.b64encode(json.dumps(kubeconfig).encode()).decode()
    return {"kubeconfigs": [{"name": "clusterUser", "value": value}]}


# Answers of the invokes the reference stacks make, per token (any other invoke answers {}).
INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "azure-native:containerservice:listManagedClusterUserCredentials": _standin_kubeconfig,
}


def _get(props: dict[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        value = _plain(value)
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def _to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


class StandInProvider(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, package: str) -> None:
        self.package = package

    def _replace_paths(self, type_: str) -> tuple[str, ...]:
        return REPLACE_ON.get(f"*{self.package}", ()) + REPLACE_ON.get(type_, ())

    def _outputs(self, type_: str, inputs: dict[str, Any], preview: bool) -> dict[str, Any]:
        outputs = dict(inputs)
        if self.package == "aws":
            # pulumi-aws takes a policy document as an object or as JSON text and returns JSON text
            for key, value in inputs.items():
                if isinstance(value, dict) and (key == "policy" or key.endswith("Policy")):
                    text = json.dumps(value)
                    outputs[key] = UNKNOWN if UNKNOWN in text else text
        for key, compute in COMPUTED.get(type_, {}).items():
            if key not in inputs:
                outputs[key] = UNKNOWN if preview else compute(inputs)
        return outputs

    def _diff(self, type_: str, olds: dict[str, Any], news: dict[str, Any], replaces: bool):
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))
        paths = self._replace_paths(type_) if replaces else ()
        forcing = [p for p in paths if _get(olds, p) != _get(news, p)]
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
            replaces=forcing,
        )

    # --- configuration -------------------------------------------------------------------------
    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=_sdk_version(self.package))

    def GetSchema(self, request, context):
        try:
            schema = standin_schema.schema_json(self.package)
        except ModuleNotFoundError:  # no Python SDK of this package installed: no resources to name
            schema = json.dumps({"name": self.package, "version": _sdk_version(self.package)})
        return provider_pb2.GetSchemaResponse(schema=schema)

    def CheckConfig(self, request, context):
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request, context):
        return self._diff("", _to_dict(request.olds), _to_dict(request.news), replaces=False)

    def Configure(self, request, context):
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=True)

    def Cancel(self, request, context):
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        answer = INVOKES.get(request.tok)
        result = answer(_to_dict(request.args)) if answer else {}
        return provider_pb2.InvokeResponse(**{"return": _to_struct(result)})

    # --- resources -----------------------------------------------------------------------------
    def Check(self, request, context):
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request, context):
        olds = _to_dict(request.old_inputs) if request.HasField("old_inputs") else _to_dict(request.olds)
        return self._diff(request.type or _type_of(request.urn), olds, _to_dict(request.news), replaces=True)

    def Create(self, request, context):
        type_ = request.type or _type_of(request.urn)
        inputs = _to_dict(request.properties)
        ident = "" if request.preview else str(_plain(inputs.get("name")) or request.urn.rsplit("::", 1)[-1])
        return provider_pb2.CreateResponse(
            id=ident, properties=_to_struct(self._outputs(type_, inputs, request.preview))
        )

    def Read(self, request, context):
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Update(self, request, context):
        type_ = request.type or _type_of(request.urn)
        news = _to_dict(request.news)
        return provider_pb2.UpdateResponse(properties=_to_struct(self._outputs(type_, news, request.preview)))

    def Delete(self, request, context):
        return empty_pb2.Empty()


def _type_of(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1]


def _sdk_version(package: str) -> str:
    """Report the version of the installed Python SDK's plugin, so the engine sees what it asked for."""
    try:
        module = f"pulumi_{package.replace('-', '_')}"
        spec = json.loads(resources.files(module).joinpath("pulumi-plugin.json").read_text())
        return spec.get("version") or metadata.version(module)
    except (ModuleNotFoundError, FileNotFoundError, metadata.PackageNotFoundError):
        return "0.0.0"


def _exit_quietly_on_signals() -> None:
    """The engine interrupts its plugins when it is done with them: leave without a traceback."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: os._exit(0))


def serve(package: str) -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandInProvider(package), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    _exit_quietly_on_signals()
    server.wait_for_termination()


if __name__ == "__main__":
    serve(sys.argv[1])
