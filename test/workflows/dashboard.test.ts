// The dashboard issue through the real app against the sandbox: one issue, edited in place, no
// write when nothing changed, spaced writes, ticks carried over, ticked boxes run as their author.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitUntil } from "../../src/demo.js";
import { DASHBOARD_MARKER } from "../../src/core/dashboard.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { exampleFiles } from "../helpers/env-config.js";
import { sandboxApp, type SandboxApp } from "../helpers/sandbox-app.js";

const CONFIG = "acme/aether-config";
const PROMOTE = "promote roc-api 1.3.0 to production";

describe("the dashboard issue (the app against the sandbox)", () => {
  let sandbox: Sandbox;
  let app: SandboxApp;
  /** How far the sandbox's clock runs behind: a minute makes every earlier write look old. */
  let behind = 60_000;

  beforeEach(async () => {
    nock.enableNetConnect("127.0.0.1");
    behind = 60_000;
    sandbox = await startSandbox({ now: () => new Date(Date.now() - behind) });
    sandbox.createUser("alice");
    sandbox.createUser("bob");
    sandbox.createOrg("acme", { members: ["alice"] });
    sandbox.createRepo({
      owner: "acme",
      name: "aether-config",
      installation: true,
      files: exampleFiles(undefined),
    });
    sandbox.setPermission(CONFIG, "alice", "admin");
    app = await sandboxApp(sandbox);
  });
  afterEach(async () => {
    await sandbox.stop();
  });

  const dashboards = () =>
    sandbox.issues(CONFIG).filter((i) => (i.body ?? "").includes(DASHBOARD_MARKER));
  const body = () => (dashboards()[0]?.body ?? "") as string;
  const issueWrites = (since: number) =>
    sandbox
      .requests({ since })
      .filter((r) => r.method !== "GET" && /\/issues(\/\d+)?$/.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/^.*\/repos\/acme\/aether-config/, "")}`);

  /** roc-api 1.3.0 verified in staging, recorded as monobot records it; its status event delivered. */
  async function verifiedInStaging(): Promise<number> {
    const id = sandbox.createDeployment(CONFIG, {
      ref: "main",
      environment: "staging",
      task: "deploy",
      payload: { component: "roc-api", version: "1.3.0", chart: "charts/roc-api" },
      user: "alice",
    });
    sandbox.setDeploymentStatus(CONFIG, id, { state: "success", user: "alice" });
    await app.receive(sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: id }));
    return id;
  }

  async function holdProduction(): Promise<void> {
    const id = sandbox.createDeployment(CONFIG, {
      ref: "main",
      environment: "production",
      task: "monobot:hold",
      payload: { component: "web", hold: true, reason: "memory leak", by: "alice" },
      user: "alice",
    });
    sandbox.setDeploymentStatus(CONFIG, id, { state: "success", user: "alice" });
    await app.receive(sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: id }));
  }

  it("one issue, created once, edited in place; no write when the text is unchanged", async () => {
    const start = sandbox.mark();
    await verifiedInStaging();
    expect(app.failures).toEqual([]);
    expect(dashboards()).toHaveLength(1);
    expect(issueWrites(start)).toEqual(["POST /issues"]);
    const first = dashboards()[0] as unknown as { number: number; title: string };
    expect(first.title).toBe("Deployments dashboard");
    expect(body()).toContain(`- [ ] ${PROMOTE}`);
    expect(body()).toMatch(
      /\| roc-api \| \[1\.3\.0\]\([^)]*\/deployments\/staging\) verified since /,
    );
    expect(body().indexOf("## Waiting")).toBeLessThan(body().indexOf("## What runs where"));

    // The same state again: read, rendered, not written.
    const again = sandbox.mark();
    const staging = sandbox.deployments(CONFIG).find((d) => d.environment === "staging");
    await app.receive(
      sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: staging?.id as number }),
    );
    expect(issueWrites(again)).toEqual([]);

    // A hold changes the board: the same issue is edited.
    const held = sandbox.mark();
    await holdProduction();
    expect(issueWrites(held)).toEqual([`PATCH /issues/${first.number}`]);
    expect(dashboards()).toHaveLength(1);
    expect(body()).toContain("**on hold**");
    expect(app.failures).toEqual([]);
    sandbox.assertNoViolations();
  });

  it("a change right after a write waits for the gap, then is written once", async () => {
    behind = 0;
    await verifiedInStaging();
    expect(dashboards()).toHaveLength(1);
    const mark = sandbox.mark();
    await holdProduction();
    await holdProduction();
    expect(issueWrites(mark)).toEqual([]);
    await waitUntil(() => body().includes("**on hold**"), {
      timeoutMs: 15_000,
      what: "the deferred render",
    });
    expect(issueWrites(mark)).toHaveLength(1);
    expect(app.failures).toEqual([]);
  }, 30_000);

  it("a tick made while monobot renders is carried over", async () => {
    await verifiedInStaging();
    const number = dashboards()[0]?.number as number;
    // Ticked, its event not yet handled, when a render runs.
    await sandbox.editIssue(
      CONFIG,
      number,
      body().replace(`- [ ] ${PROMOTE}`, `- [x] ${PROMOTE}`),
      "alice",
    );
    await holdProduction();
    expect(body()).toContain("**on hold**");
    expect(body()).toContain(`- [x] ${PROMOTE}`);
  });

  it("a tick by someone the rules refuse changes nothing, says why, and is cleared", async () => {
    await verifiedInStaging();
    const number = dashboards()[0]?.number as number;
    const { event } = await sandbox.editIssue(
      CONFIG,
      number,
      body().replace(`- [ ] ${PROMOTE}`, `- [x] ${PROMOTE}`),
      "bob",
    );
    await app.receive(event);
    expect(app.failures).toEqual([]);
    const replies = sandbox.comments(CONFIG, number).map((c) => c.body as string);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^@bob "promote roc-api 1\.3\.0 to production" was not run/);
    expect(replies[0]).toContain("admin");
    expect(sandbox.pullInfos(CONFIG)).toEqual([]);
    expect(body()).toContain(`- [ ] ${PROMOTE}`);
  });

  it("a tick by an admin opens the promotion as from /promote, answers once, and is cleared; the bot's own edit runs nothing", async () => {
    await verifiedInStaging();
    const number = dashboards()[0]?.number as number;
    const { event } = await sandbox.editIssue(
      CONFIG,
      number,
      body().replace(`- [ ] ${PROMOTE}`, `- [x] ${PROMOTE}`),
      "alice",
    );
    const id = await app.receive(event);
    expect(app.failures).toEqual([]);
    const pulls = sandbox.pullInfos(CONFIG);
    expect(pulls.map((p) => sandbox.pullRequest(CONFIG, p.number).title)).toEqual([
      "Promote roc-api 1.3.0 to production",
    ]);
    const replies = sandbox.comments(CONFIG, number).map((c) => c.body as string);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^@alice Promote roc-api 1\.3\.0 to production: opened /);
    expect(body()).toContain(`- [ ] ${PROMOTE}`);
    expect(body()).not.toContain("- [x]");

    // The same delivery again (at least once): no second reply, no second pull request.
    await app.receive(event, id);
    expect(sandbox.comments(CONFIG, number)).toHaveLength(1);
    expect(sandbox.pullInfos(CONFIG)).toHaveLength(1);

    // The bot's own edit: no job at all.
    const jobs = app.jobs.length;
    await app.receive(
      sandbox.events.issues({
        repo: CONFIG,
        number,
        action: "edited",
        sender: sandbox.botLogin,
        changes: { body: { from: "" } },
      }),
    );
    expect(app.jobs.slice(jobs).filter((j) => j.handler === "dashboard")).toEqual([]);
  });
  it("a ticked retry dispatches the environment's verification again for that deployment", async () => {
    const id = sandbox.createDeployment(CONFIG, {
      ref: "main",
      environment: "staging",
      task: "deploy",
      payload: { component: "web", version: "2.1.0", chart: "charts/web" },
      user: "alice",
    });
    sandbox.setDeploymentStatus(CONFIG, id, {
      state: "failure",
      user: "alice",
      logUrl: "https://ci.example/run/1",
    });
    await app.receive(sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: id }));
    const retry = "retry verification of web 2.1.0 in staging";
    expect(body()).toContain(`- [ ] ${retry}`);
    expect(body()).toMatch(/web 2\.1\.0 → production\*\* \(verification\)/);
    const number = dashboards()[0]?.number as number;
    const { event } = await sandbox.editIssue(
      CONFIG,
      number,
      body().replace(`- [ ] ${retry}`, `- [x] ${retry}`),
      "alice",
    );
    await app.receive(event);
    expect(app.failures).toEqual([]);
    expect(sandbox.workflowDispatches(CONFIG).map((d) => d.inputs)).toEqual([
      expect.objectContaining({ environment: "staging", component: "web", version: "2.1.0" }),
    ]);
    const d = sandbox.deployments(CONFIG).find((x) => x.id === id);
    expect(d?.statuses[0]).toMatchObject({ state: "in_progress" });
    expect(sandbox.comments(CONFIG, number).map((c) => c.body)).toEqual([
      expect.stringMatching(
        /^@alice verifying web 2\.1\.0 in staging again: `api-tests` dispatched\./,
      ),
    ]);
    // Verifying again: no retry box until it fails again.
    expect(body()).not.toContain(retry);
    sandbox.assertNoViolations();
  });
  it("a push to the config repo's default branch that moves a pin renders the new version", async () => {
    await verifiedInStaging();
    const fleet = sandbox.readFile(CONFIG, "main", "fleet/aether/fleet.yaml") as string;
    const before = sandbox.branchSha(CONFIG, "main") as string;
    const pushed = sandbox.pushCommit(CONFIG, {
      branch: "main",
      author: "alice",
      message: "web 2.2.0 in staging",
      files: { "fleet/aether/fleet.yaml": fleet.replace("tag: 2.1.0", "tag: 2.2.0") },
    });
    const mark = sandbox.mark();
    await app.receive(
      sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after: pushed.sha }),
    );
    expect(app.failures).toEqual([]);
    // The same push records web 2.2.0's Deployment in staging (the environments flow).
    expect(body()).toMatch(
      /\| web \| \[2\.2\.0\]\([^)]*\/deployments\/staging\) (pinned|verifying) /,
    );
    expect(issueWrites(mark)).toEqual([`PATCH /issues/${dashboards()[0]?.number}`]);
  });
});
