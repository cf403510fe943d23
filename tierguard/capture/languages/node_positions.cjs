// tierguard: preloaded (NODE_OPTIONS --require) into a Node.js program captured offline, so that
// resources declared at the top level of an ES module keep their source position.
//
// Why: @pulumi/pulumi (resource.ts, Resource.callsites) parses `new Error().stack` line by line
// with Resource.framePositionRegExp, /^\s*at .* \((file):(line):(column)\)$/. V8 prints the
// top-level frame of an ES module without a function name or parentheses
// ("    at file:///app/index.ts:5:16"), so that frame does not match: the user's frame, which is
// the one sent as `sourcePosition`, is left empty. Frames of ES modules that do match carry a
// file:// URL, which the SDK then turns into a URL again (url.pathToFileURL) and garbles. This is
// the route ts-node takes for a TypeScript project whose package.json says "type": "module",
// and every ESM JavaScript program.
//
// The fix replaces that one matcher (it is only ever used as `.exec(frame)?.groups`) with one that
// also reads the unnamed form and gives back a file path for a file:// URL. Nothing else of the
// SDK, the program or the stack traces it prints is changed. Only the SDK's Resource classes are
// touched: each copy of @pulumi/pulumi (there may be several) is patched as it is loaded.
"use strict";

const Module = require("module");
const url = require("url");

const FRAME = /^\s*at (?:.* \()?(?:async )?(?<file>.*?):(?<line>[0-9]+):(?<column>[0-9]+)\)?$/;

// An ES module's frames are not source-mapped: source-map-support (which cmd/run installs) maps a
// frame through the maps ts-node keeps in this thread, but ts-node's ESM loader runs in the loader
// thread (module.register), so a TypeScript ES module's frames keep the compiled lines. Node's own
// source-map cache, turned on here before anything loads, holds the inline map ts-node emits.
process.setSourceMapsEnabled(true);

function toPath(file) {
    return file.startsWith("file://") ? url.fileURLToPath(file) : file;
}

// The original position of a frame in an ES module (a CommonJS module is in require.cache, and
// source-map-support has already mapped its frames).
function original(file, line, column) {
    if (require.cache[file] !== undefined) {
        return null;
    }
    const map = Module.findSourceMap(url.pathToFileURL(file).href) || Module.findSourceMap(file);
    const entry = map && map.findEntry(line - 1, column - 1);
    if (!entry || entry.originalSource === undefined) {
        return null;
    }
    return { file: toPath(entry.originalSource), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

const matcher = {
    exec(frame) {
        const found = FRAME.exec(frame);
        if (!found) {
            return null;
        }
        let position;
        try {
            const file = toPath(found.groups.file);
            const line = parseInt(found.groups.line, 10);
            const column = parseInt(found.groups.column, 10);
            position = original(file, line, column) || { file, line, column };
        } catch (err) {
            return null;
        }
        return { groups: { file: position.file, line: String(position.line), column: String(position.column) } };
    },
};

const patched = new WeakSet();
const load = Module._load;
Module._load = function (request, parent, isMain) {
    const exported = load.apply(this, arguments);
    const resource = exported && exported.Resource;
    if (typeof resource === "function" && resource.framePositionRegExp instanceof RegExp && !patched.has(resource)) {
        resource.framePositionRegExp = matcher;
        patched.add(resource);
    }
    return exported;
};
