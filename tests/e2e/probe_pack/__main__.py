"""A probe analyzer for the e2e tests: records what the real engine sends a policy pack.

Started by the CLI like any Python pack (through the language host's RunPlugin), it serves the
Analyzer protocol with no policies and appends every request, plus its own PULUMI_* environment,
to the JSON file named by TIERGUARD_PROBE_OUT.
"""

from __future__ import annotations

import json
import os
import signal
from concurrent import futures

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

OUT = os.environ["TIERGUARD_PROBE_OUT"]
RECORD: dict = {
    "env": sorted(k for k in os.environ if k.startswith("PULUMI_")),
    "calls": [],
}


def record(name: str, request) -> None:
    RECORD["calls"].append([name, json_format.MessageToDict(request)])
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(RECORD, f)


class Probe(analyzer_pb2_grpc.AnalyzerServicer):
    def Handshake(self, request, context):
        record("Handshake", request)
        return analyzer_pb2.AnalyzerHandshakeResponse()

    def GetAnalyzerInfo(self, request, context):
        return analyzer_pb2.AnalyzerInfo(name="probe", displayName="probe", version="0.0.1")

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version="0.0.1")

    def Configure(self, request, context):
        record("Configure", request)
        return empty_pb2.Empty()

    def ConfigureStack(self, request, context):
        record("ConfigureStack", request)
        return analyzer_pb2.AnalyzerStackConfigureResponse()

    def Analyze(self, request, context):
        record("Analyze", request)
        return analyzer_pb2.AnalyzeResponse()

    def AnalyzeStack(self, request, context):
        record("AnalyzeStack", request)
        return analyzer_pb2.AnalyzeResponse()

    def Remediate(self, request, context):
        record("Remediate", request)
        return analyzer_pb2.RemediateResponse()


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
analyzer_pb2_grpc.add_AnalyzerServicer_to_server(Probe(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda *_: os._exit(0))
server.wait_for_termination()
