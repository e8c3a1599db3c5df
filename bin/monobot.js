#!/usr/bin/env node
// The `monobot` CLI: one bundled file, built by `npm run build` (which `npm ci` runs through `prepare`).
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- bin/ is CommonJS (bin/package.json) */
require("./run-bundle.js").runBundle("monobot");
