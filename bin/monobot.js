#!/usr/bin/env node
// The `monobot` CLI: one bundled file (`npm run build`, which `npm ci` runs through `prepare`).
import "../dist/bundle/monobot.js";
