// Runs one of the bundles `npm run build` writes (dist/bundle/NAME.cjs), with V8's code cache for it
// when the build left one (dist/bundle/NAME.cjs.cache): a start-up neither parses nor compiles the
// functions a typical run calls. A missing, stale or rejected cache only costs that time back.
// CommonJS (bin/package.json), as the entry points are: Node starts a CommonJS entry faster.
/* global require, module, process, Buffer, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- bin/ is CommonJS (bin/package.json) */
const { createRequire } = require("node:module");
const { crc32 } = require("node:zlib");
const { readFileSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

/** Set by the build's training run: write the cache at exit, with what that run compiled. */
const WRITE_CACHE_ENV = "MONOBOT_WRITE_CODE_CACHE";

/**
 * V8 checks a cache against the source's length only, so the cache starts with the source's CRC-32
 * (zlib's: cheaper to load and to compute than a cryptographic hash, and enough to tell builds apart).
 */
const HASH_BYTES = 4;

function sourceHash(source) {
  const hash = Buffer.alloc(HASH_BYTES);
  hash.writeUInt32BE(crc32(source));
  return hash;
}

/**
 * Compiles dist/bundle/NAME.cjs without running it, and says what became of its code cache:
 * "accepted", "rejected" (by V8: another Node or other flags), "stale" (made for another source),
 * "absent", or "writing" (the training run). Null when the bundle cannot be read.
 */
function compileBundle(name) {
  const filename = join(__dirname, "..", "dist", "bundle", `${name}.cjs`);
  const cacheFile = `${filename}.cache`;
  let source;
  try {
    source = readFileSync(filename, "utf8");
  } catch (e) {
    process.stderr.write(
      `monobot: cannot read ${filename} (${e.code ?? e.message}): run \`npm run build\` first\n`,
    );
    return null;
  }
  const hash = sourceHash(source);
  const writing = process.env[WRITE_CACHE_ENV] === "1";
  const cached = writing ? undefined : cachedFor(cacheFile, hash);
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename, cachedData: cached?.data },
  );
  if (writing) {
    process.once("exit", () => {
      writeFileSync(cacheFile, Buffer.concat([hash, script.createCachedData()]));
    });
  }
  const cache = writing
    ? "writing"
    : cached?.data
      ? script.cachedDataRejected
        ? "rejected"
        : "accepted"
      : cached?.status;
  return { script, filename, cache };
}

function runBundle(name) {
  const compiled = compileBundle(name);
  if (!compiled) {
    process.exitCode = 2;
    return;
  }
  const { script, filename } = compiled;
  const module = { exports: {} };
  script.runInThisContext()(
    module.exports,
    createRequire(filename),
    module,
    filename,
    dirname(filename),
  );
}

/** The cache's V8 data when it was made for exactly this source. */
function cachedFor(cacheFile, hash) {
  let data;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return { status: "absent" };
  }
  if (data.length <= HASH_BYTES || !data.subarray(0, HASH_BYTES).equals(hash)) {
    return { status: "stale" };
  }
  return { data: data.subarray(HASH_BYTES) };
}

module.exports = { WRITE_CACHE_ENV, compileBundle, runBundle };
