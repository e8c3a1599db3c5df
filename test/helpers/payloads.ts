// Real webhook payloads from @octokit/webhooks-examples, cloned so a test can adapt them.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

const groups = require("@octokit/webhooks-examples/api.github.com/index.json") as ExampleGroup[];

/** The first example of `event` (and `action`) that carries an installation id. */
export function examplePayload<T = Record<string, unknown>>(event: string, action?: string): T {
  const group = groups.find((g) => g.name === event);
  if (!group) throw new Error(`no examples for ${event}`);
  const found =
    group.examples.find((e) => (!action || e.action === action) && e.installation) ??
    group.examples.find((e) => !action || e.action === action);
  if (!found) throw new Error(`no example of ${event}.${action ?? ""}`);
  const copy = structuredClone(found) as Record<string, unknown>;
  copy.installation ??= { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return copy as T;
}
