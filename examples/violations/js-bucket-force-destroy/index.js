// tierguard-expect: storage-deletion-guards
// tierguard-expect-advisory: storage-protect-option
//
// The JavaScript version of ../bucket-force-destroy. `pulumi destroy` of the dev stack failed on a
// non-empty bucket, so forceDestroy went in. The flag is copied to the prod stack with the rest of
// the code: a destroy, or a rename that replaces the bucket, now deletes every object in it without a
// prompt.
"use strict";
const pulumi = require("@pulumi/pulumi");
const gcp = require("@pulumi/gcp");

const project = new pulumi.Config("gcp").require("project");
const region = new pulumi.Config("gcp").require("region");

const media = new gcp.storage.Bucket("media", {
    name: `${project}-media`,
    location: region.toUpperCase(),
    uniformBucketLevelAccess: true,
    publicAccessPrevention: "enforced",
    versioning: { enabled: true },
    forceDestroy: true,
});

exports.bucketName = media.name;
