# tierguard-expect: stack-size-limit
"""One firewall rule per partner network, generated in a loop: 300 resources in one stack.

Nobody reads a 300-line plan, so the one rule in it that opens 0.0.0.0/0 -- or the delete of the
network -- goes through unnoticed. Split the stack, or express the list as data (one rule with many
source ranges, a firewall policy, an address group).
"""

import pulumi
import pulumi_gcp as gcp

partners = pulumi.Config().get_int("partners") or 300

network = gcp.compute.Network("edge", name="edge", auto_create_subnetworks=False)

for i in range(partners):
    # 10.100.0.0/24, 10.100.1.0/24, ... one partner each
    gcp.compute.Firewall(
        f"partner-{i:03d}",
        name=f"allow-partner-{i:03d}",
        network=network.id,
        direction="INGRESS",
        source_ranges=[f"10.{100 + i // 256}.{i % 256}.0/24"],
        allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=["443"])],
    )
