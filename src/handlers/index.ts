// The handler registry: adding a handler is one file in this folder and one line here.
import access from "./access.js";
import checkRerun from "./check-rerun.js";
import ciResult from "./ci-result.js";
import comment from "./comment.js";
import dashboard from "./dashboard.js";
import deployGate from "./deploy-gate.js";
import deploy from "./deploy.js";
import envFlow from "./env-flow.js";
import type { RegisteredHandler } from "./handler.js";
import pullRequest from "./pull-request.js";
import push from "./push.js";
import secretsSync from "./secrets-sync.js";

export const handlers: readonly RegisteredHandler[] = [
  pullRequest,
  comment,
  checkRerun,
  ciResult,
  push,
  secretsSync,
  deployGate,
  deploy,
  envFlow,
  access,
  dashboard,
];
