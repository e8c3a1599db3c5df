// The environments flow through the real app against the sandbox: a merge that moves pins records
// Deployments and dispatches verification; results, outside statuses and the soak settle them.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nock from "nock";
import { waitUntil } from "../../src/demo.js";
import { CONFIG, startDeployWorld, type DeployWorld } from "../helpers/deploy-world.js";
import { exampleFiles } from "../helpers/env-config.js";

const FLEET = "fleet/aether/fleet.yaml";

type Dep = Record<string, unknown> & {
  id: number;
  environment: string;
  payload: Record<string, unknown>;
  statuses: Array<Record<string, unknown>>;
};

describe("environments: record, verify, settle (the app against the sandbox)", () => {
  let world: DeployWorld;
  beforeEach(() => {
    nock.enableNetConnect("127.0.0.1");
  });
  afterEach(async () => {
    await world?.close();
  });

  const deployments = () => world.sandbox.deployments(CONFIG) as Dep[];
  const fleet = () => world.sandbox.readFile(CONFIG, "main", FLEET) as string;
  const openPull = (branch: string) => {
    // Pull requests only: the dashboard issue takes a number among them.
    for (const { number: n } of world.sandbox.pullInfos(CONFIG)) {
      const p = world.sandbox.pullRequest(CONFIG, n) as unknown as {
        number: number;
        state: string;
        title: string;
        body: string;
        head: { ref: string };
      };
      if (p.state === "open" && p.head.ref === branch) return p;
    }
    throw new Error(`no open pull request from ${branch}`);
  };

  it("a merge moving staging's pin: one Deployment in progress, api-tests dispatched; success settles it; the push again duplicates nothing", async () => {
    world = await startDeployWorld({ config: exampleFiles(undefined) });
    const merged = await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      "Deploy roc-api 1.4.0",
    );
    expect(world.errors()).toEqual([]);
    const [d, ...rest] = deployments();
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      environment: "staging",
      sha: merged,
      task: "deploy",
      payload: { component: "roc-api", version: "1.4.0", chart: "charts/roc-api" },
      production_environment: false,
    });
    expect(d?.statuses[0]).toMatchObject({ state: "in_progress" });
    const dispatches = world.sandbox.workflowDispatches(CONFIG);
    expect(dispatches.map((x) => x.inputs)).toEqual([
      expect.objectContaining({ environment: "staging", component: "roc-api", version: "1.4.0" }),
    ]);
    expect(world.sandbox.statuses(CONFIG, merged).map((s) => s.context)).toEqual([
      "ci/roc-api/api-tests@staging",
    ]);

    // The same push under another delivery id: the deployment is found, nothing is written.
    const before = world.sandbox.mark();
    const parent = (await world.configCommit(merged)).parents[0] as string;
    await world.deliver(
      world.sandbox.events.push({
        repo: CONFIG,
        ref: "refs/heads/main",
        before: parent,
        after: merged,
      }),
    );
    const writes = world.sandbox
      .requests({ since: before })
      .filter(
        (r) => r.method !== "GET" && r.path !== "/graphql" && !r.path.includes("access_tokens"),
      );
    expect(writes).toEqual([]);
    expect(deployments()).toHaveLength(1);
    expect(world.sandbox.workflowDispatches(CONFIG)).toHaveLength(1);

    const settling = world.sandbox.mark();
    await world.completeRun(CONFIG, "api-tests.yml", "success");
    expect(world.errors()).toEqual([]);
    expect(deployments()[0]?.statuses[0]).toMatchObject({
      state: "success",
      description: "verified",
    });
    // The deployment, production's holds and the commit's statuses come in the one GraphQL read.
    const reads = world.sandbox.requests({ since: settling }).map((r) => r.operationId);
    expect(reads).not.toContain("repos/list-deployments");
    expect(reads).not.toContain("repos/get-combined-status-for-ref");

    // The promotion PR: production's pin only, with the evidence.
    const pr = openPull("monobot/promote-roc-api-production");
    expect(pr.title).toBe("Promote roc-api 1.4.0 to production");
    expect(pr.body).toContain("Supersedes roc-api 1.2.3 in production.");
    expect(pr.body).toContain("`ci/roc-api/api-tests@staging`: success");
    const proposed = world.sandbox.readFile(
      CONFIG,
      "monobot/promote-roc-api-production",
      FLEET,
    ) as string;
    expect(proposed).toBe(
      fleet().replace(/(replicaCount: 5\n\s+image:\n\s+tag: )"1\.2\.3"/, '$1"1.4.0"'),
    );

    // Merged: production records its Deployment; an outside success settles it; it is the last.
    const before2 = world.sandbox.branchSha(CONFIG, "main") as string;
    const mergedPromotion = world.sandbox.mergePullRequest(CONFIG, pr.number, {
      user: "alice",
      method: "squash",
    });
    await world.deliver(
      world.sandbox.events.push({
        repo: CONFIG,
        ref: "refs/heads/main",
        before: before2,
        after: mergedPromotion,
      }),
    );
    const prod = deployments()[0] as Dep;
    expect(prod).toMatchObject({ environment: "production", payload: { version: "1.4.0" } });
    world.sandbox.setDeploymentStatus(CONFIG, prod.id, { state: "success", user: "alice" });
    await world.deliver(
      world.sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: prod.id }),
    );
    expect(deployments()[0]?.statuses[0]).toMatchObject({ state: "success" });
    expect(world.errors()).toEqual([]);
    expect(world.sandbox.violations()).toEqual([]);
  });

  it("a newer version verified upstream replaces the pending one in the same PR; a hold stops it", async () => {
    world = await startDeployWorld({ config: exampleFiles(undefined) });
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      "roc-api 1.4.0",
    );
    await world.completeRun(CONFIG, "api-tests.yml", "success");
    const first = openPull("monobot/promote-roc-api-production");
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace('tag: "1.4.0"', 'tag: "1.5.0"') },
      "roc-api 1.5.0",
    );
    await world.completeRun(CONFIG, "api-tests.yml", "success", (i) => i.version === "1.5.0");
    const second = openPull("monobot/promote-roc-api-production");
    expect(second.number).toBe(first.number);
    expect(second.title).toBe("Promote roc-api 1.5.0 to production");
    expect(second.body).toContain("Replaces the pending promotion of 1.4.0");
    // The older version's result again changes nothing (queue of one, newest wins).
    await world.completeRun(CONFIG, "api-tests.yml", "success", (i) => i.version === "1.4.0");
    expect(openPull("monobot/promote-roc-api-production").title).toBe(second.title);

    // A hold on production for web: web's verified version opens no PR, and says so.
    world.sandbox.createDeployment(CONFIG, {
      ref: "main",
      environment: "production",
      task: "monobot:hold",
      payload: { component: "web", hold: true, reason: "INC-9", by: "alice" },
      requiredContexts: [],
      user: "alice",
    });
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace("image: { tag: 2.1.0 }", "image: { tag: 2.2.0 }") },
      "web 2.2.0",
    );
    await world.completeRun(CONFIG, "api-tests.yml", "success", (i) => i.component === "web");
    expect(() => openPull("monobot/promote-web-production")).toThrow();
    const web = deployments().find((d) => d.task === "deploy" && d.payload.component === "web");
    expect(web?.statuses[0]).toMatchObject({
      state: "success",
      description: "verified; promotion to production held: INC-9",
    });

    // 100 newer deployments in production hide the hold from the one GraphQL read: the holds
    // are then read by task, and the hold still stops web 2.3.0.
    for (let i = 0; i < 100; i++)
      world.sandbox.createDeployment(CONFIG, {
        ref: "main",
        environment: "production",
        payload: { component: "other", version: `0.0.${i}` },
        requiredContexts: [],
        user: "alice",
      });
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace("image: { tag: 2.2.0 }", "image: { tag: 2.3.0 }") },
      "web 2.3.0",
    );
    const late = world.sandbox.mark();
    await world.completeRun(
      CONFIG,
      "api-tests.yml",
      "success",
      (i) => i.component === "web" && i.version === "2.3.0",
    );
    expect(world.sandbox.requests({ since: late }).map((r) => r.operationId)).toContain(
      "repos/list-deployments",
    );
    expect(() => openPull("monobot/promote-web-production")).toThrow();
    const held = deployments().find(
      (d) => d.task === "deploy" && d.payload.component === "web" && d.payload.version === "2.3.0",
    );
    expect(held?.statuses[0]).toMatchObject({
      state: "success",
      description: "verified; promotion to production held: INC-9",
    });
    expect(world.errors()).toEqual([]);
  });

  it("a failed verification sets failure and comments once on the merged PR, naming the run", async () => {
    world = await startDeployWorld({ config: exampleFiles(undefined) });
    // The config repo's first pull request.
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace("image: { tag: 2.1.0 }", "image: { tag: 2.2.0 }") },
      "Deploy web 2.2.0",
    );
    const { event } = await world.completeRun(CONFIG, "api-tests.yml", "failure");
    expect(deployments()[0]?.statuses[0]).toMatchObject({ state: "failure" });
    // The failed run is the status's log: the Environments page and the dashboard link to it.
    expect(String(deployments()[0]?.statuses[0]?.log_url)).toMatch(/\/actions\/runs\/\d+/);
    const pulls = [1];
    const comments = world.sandbox.comments(CONFIG, pulls[0] as number);
    expect(comments).toHaveLength(1);
    expect(String(comments[0]?.body)).toContain("web 2.2.0 failed verification in staging");
    expect(String(comments[0]?.body)).toContain("`ci/web/api-tests@staging`: [the run](");
    // The result again: still one comment, no second failure status.
    await world.deliver(event);
    expect(world.sandbox.comments(CONFIG, pulls[0] as number)).toHaveLength(1);
    expect(deployments()[0]?.statuses.filter((s) => s.state === "failure")).toHaveLength(1);
    expect(world.errors()).toEqual([]);
  });

  it("a deployment status from someone else is the verdict (production has no verify jobs)", async () => {
    world = await startDeployWorld({ config: exampleFiles(undefined) });
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace('tag: "1.2.3"', 'tag: "1.3.0"') },
      "Promote roc-api 1.3.0 to production",
    );
    const d = deployments()[0] as Dep;
    expect(d).toMatchObject({ environment: "production", production_environment: true });
    expect(d.statuses[0]).toMatchObject({ state: "in_progress" });
    expect(world.sandbox.workflowDispatches(CONFIG)).toEqual([]);
    world.sandbox.setDeploymentStatus(CONFIG, d.id, {
      state: "success",
      user: "alice",
      description: "Argo CD: healthy",
    });
    await world.deliver(
      world.sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: d.id }),
    );
    expect(deployments()[0]?.statuses[0]).toMatchObject({
      state: "success",
      description: "verified",
    });
    // monobot's own status comes back as a webhook too: it is not a verdict.
    const mark = world.sandbox.mark();
    await world.deliver(
      world.sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: d.id }),
    );
    // Only the dashboard looks (its policy read and its issue listing, then it waits for its
    // spacing): nothing settles the deployment again.
    expect(
      world.sandbox
        .requests({ since: mark })
        .map((r) => `${r.method} ${r.operationId ?? r.path}`)
        .filter((r) => r !== "GET repos/get-content" && r !== "GET issues/list-for-repo"),
    ).toEqual([]);
    expect(world.errors()).toEqual([]);
  });

  it("the soak is a timer: verified -> in progress until it fires -> success", async () => {
    world = await startDeployWorld({ config: exampleFiles("1s") });
    await world.merge(
      CONFIG,
      { [FLEET]: fleet().replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      "Deploy roc-api 1.4.0",
    );
    await world.completeRun(CONFIG, "api-tests.yml", "success");
    expect(deployments()[0]?.statuses[0]).toMatchObject({ state: "in_progress" });
    expect(String(deployments()[0]?.statuses[0]?.description)).toMatch(/^verified; soaking until /);
    await waitUntil(() => deployments()[0]?.statuses[0]?.state === "success" || undefined, {
      timeoutMs: 15_000,
      what: "the end of the soak",
    });
    expect(world.errors()).toEqual([]);
  });
});
