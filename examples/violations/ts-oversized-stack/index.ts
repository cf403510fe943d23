// tierguard-expect: stack-size-limit
//
// The TypeScript version of ../oversized-stack: one firewall rule per partner network, generated in a
// loop. 131 resources is over the infra tier's limit of 120: nobody reads a plan that long, so the
// one rule in it that opens 0.0.0.0/0 -- or the delete of the network -- goes through unnoticed.
// Express the list as data instead: one rule with many source ranges
// (../../compliant/ts-oversized-stack).
import * as gcp from "@pulumi/gcp";

const partners = 130;

const network = new gcp.compute.Network("edge", { name: "edge", autoCreateSubnetworks: false });

for (let i = 0; i < partners; i++) {
    const n = String(i).padStart(3, "0");
    // 10.100.0.0/24, 10.100.1.0/24, ... one partner each
    new gcp.compute.Firewall(`partner-${n}`, {
        name: `allow-partner-${n}`,
        network: network.id,
        direction: "INGRESS",
        sourceRanges: [`10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`],
        allows: [{ protocol: "tcp", ports: ["443"] }],
    });
}
