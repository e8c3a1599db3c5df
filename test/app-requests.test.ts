// GitHub API requests per event through the whole app (every handler of the event) against the sandbox:
// the counts are pinned, so a change that reads the policy twice, or reads more per event, fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../src/sandbox/driver.js";
import { sandboxApp, type SandboxApp } from "./helpers/sandbox-app.js";

const SIGN_OFF = "Signed-off-by: Alice Liddell <alice@example.com>";
const POLICY = ".github/monobot.yml";

let sandbox: Sandbox;
let app: SandboxApp;

/** Requests since `mark`, by GitHub operation, and how many read the policy file. */
function counted(mark: number) {
  const requests = sandbox.requests({ since: mark });
  const byOperation: Record<string, number> = {};
  for (const r of requests) {
    const op = r.operationId ?? `${r.method} ${r.path}`;
    byOperation[op] = (byOperation[op] ?? 0) + 1;
  }
  const policyReads = requests.filter((r) => decodeURIComponent(r.url).includes(POLICY)).length;
  return { total: requests.length, policyReads, byOperation };
}

beforeAll(async () => {
  sandbox = await startSandbox();
  sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
  sandbox.createOrg("acme", { members: ["alice"] });
  const files: Record<string, string> = {
    LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
    "README.md": "# Monorepo\n",
    [POLICY]: "versions:\n  prerelease: allow\n",
  };
  for (let i = 0; i < 3; i++) {
    files[`services/svc-${i}/VERSION`] = "1.0.0\n";
    files[`services/svc-${i}/main.go`] =
      `// SPDX-License-Identifier: Apache-2.0\npackage svc${i}\n`;
  }
  sandbox.createRepo({ owner: "acme", name: "mono", installation: true, files });
  app = await sandboxApp(sandbox);
  // A warm-up event, so the installation token and the App's identity are not counted below.
  sandbox.pushCommit("acme/mono", { branch: "main", author: "alice", files: { "x.txt": "x\n" } });
  await app.receive(sandbox.events.push({ repo: "acme/mono", ref: "main" }));
});

afterAll(async () => {
  await sandbox.stop();
});

describe("API requests per event", () => {
  it("pull_request.opened reads the policy once, in a pinned number of requests", async () => {
    sandbox.pushCommit("acme/mono", {
      branch: "change",
      author: "alice",
      message: `svc-0: 1.1.0\n\n${SIGN_OFF}`,
      files: {
        "services/svc-0/main.go":
          "// SPDX-License-Identifier: Apache-2.0\npackage svc0\n\nconst V = 1\n",
        "services/svc-0/VERSION": "1.1.0\n",
      },
    });
    const pr = sandbox.openPullRequest("acme/mono", { head: "change", user: "alice" });
    const mark = sandbox.mark();
    await app.receive(
      sandbox.events.pullRequest({ repo: "acme/mono", number: pr.number, action: "opened" }),
    );
    expect(app.failures).toEqual([]);
    const seen = counted(mark);
    // Before the policy was read once per event, both the verification and the gate read it (16).
    expect(seen.policyReads).toBe(1);
    expect(seen.byOperation).toEqual({
      "repos/get-content": 1,
      "checks/list-for-ref": 1,
      "issues/list-comments": 1,
      "pulls/list-files": 1,
      "pulls/list-commits": 1,
      "git/get-tree": 1,
      "git/list-matching-refs": 1,
      graphql: 1,
      "checks/create": 6,
      "issues/create-comment": 1,
    });
    expect(seen.total).toBe(15);
  });

  it("a push to the default branch reads the policy once, in a pinned number of requests", async () => {
    const pushed = sandbox.pushCommit("acme/mono", {
      branch: "main",
      author: "alice",
      message: `svc-1: 1.0.1, a values file\n\n${SIGN_OFF}`,
      files: { "services/svc-1/VERSION": "1.0.1\n", "services/svc-1/values.yaml": "a: 1\n" },
    });
    const mark = sandbox.mark();
    await app.receive(sandbox.events.push({ repo: "acme/mono", ref: "main", after: pushed.sha }));
    expect(app.failures).toEqual([]);
    const seen = counted(mark);
    // Before, the merge and the secrets sync each read it (9).
    expect(seen.policyReads).toBe(1);
    expect(seen.byOperation).toEqual({
      "repos/get-content": 1,
      "git/list-matching-refs": 1,
      "repos/compare-commits": 1,
      "git/get-tree": 1,
      "repos/get-combined-status-for-ref": 1,
      graphql: 1,
      "git/get-ref": 1,
      "git/create-ref": 1,
    });
    expect(seen.total).toBe(8);
  });
});
