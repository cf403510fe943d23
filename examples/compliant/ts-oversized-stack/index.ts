// The same 130 partner networks as the source ranges of one rule: two resources, a plan a reviewer
// reads.
import * as gcp from "@pulumi/gcp";

const partners = 130;

const network = new gcp.compute.Network("edge", { name: "edge", autoCreateSubnetworks: false });

new gcp.compute.Firewall("partners", {
    name: "allow-partners",
    network: network.id,
    direction: "INGRESS",
    sourceRanges: Array.from({ length: partners }, (_, i) => `10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`),
    allows: [{ protocol: "tcp", ports: ["443"] }],
});
