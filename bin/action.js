#!/usr/bin/env node
// The GitHub Action's entry point (action.yml): the bundled src/action-main.ts.
import { runBundle } from "./run-bundle.js";

runBundle("action");
