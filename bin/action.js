#!/usr/bin/env node
// The GitHub Action's entry point (action.yml): the bundled src/action-main.ts.
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- bin/ is CommonJS (bin/package.json) */
require("./run-bundle.js").runBundle("action");
