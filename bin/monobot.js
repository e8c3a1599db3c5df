#!/usr/bin/env node
// The `monobot` CLI: one bundled file, built by `npm run build` (which `npm ci` runs through `prepare`).
import { runBundle } from "./run-bundle.js";

runBundle("monobot");
