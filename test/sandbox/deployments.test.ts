// Deployments in the sandbox through the forge port: create, statuses, listing with the latest state, the webhook.
import { afterEach, describe, expect, it } from "vitest";
import { GitHubDeployments } from "../../src/forge/deployments.js";
import { GitHubRepo } from "../../src/forge/github.js";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox } from "./helpers.js";

describe("deployments: the forge port against the sandbox", () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  async function port() {
    const s = await standardSandbox();
    sandbox = s.sandbox;
    const octokit = await installationOctokit(s.sandbox, s.installationId);
    return { sandbox: s.sandbox, octokit, repo: new GitHubRepo(octokit, "acme", "mono") };
  }

  it("creates a deployment, reports statuses, lists newest first with the latest state", async () => {
    const { sandbox, repo } = await port();
    const main = sandbox.branchSha("acme/mono", "main") as string;
    const first = await repo.createDeployment({
      ref: main,
      environment: "staging",
      payload: { component: "api", version: "1.2.3", chart: "charts/api" },
      productionEnvironment: false,
    });
    expect(first).toMatchObject({
      environment: "staging",
      sha: main,
      task: "deploy",
      payload: { component: "api", version: "1.2.3", chart: "charts/api" },
      state: "none",
    });
    await repo.setDeploymentStatus(first.id, { state: "in_progress", description: "verifying" });
    await repo.setDeploymentStatus(first.id, {
      state: "success",
      logUrl: "https://ci.example/runs/1",
    });
    const hold = await repo.createDeployment({
      ref: main,
      environment: "production",
      task: "monobot:hold",
      payload: { component: "api", hold: true, reason: "incident", by: "alice" },
    });
    const all = await repo.listDeployments({});
    expect(all.map((d) => d.id)).toEqual([hold.id, first.id]);
    expect(all[1]).toMatchObject({ state: "success", logUrl: "https://ci.example/runs/1" });
    expect(all[0]?.state).toBe("none");
    expect((await repo.listDeployments({ environment: "staging" })).map((d) => d.id)).toEqual([
      first.id,
    ]);
    expect((await repo.listDeployments({ task: "monobot:hold" })).map((d) => d.id)).toEqual([
      hold.id,
    ]);
    expect(await repo.listDeployments({ limit: 1 })).toHaveLength(1);
    expect(sandbox.violations()).toEqual([]);
  });

  it("the GraphQL reader (one request) reads what the REST listing reads: states, payloads, filters, newest first", async () => {
    const { sandbox: s, octokit, repo } = await port();
    const graph = new GitHubDeployments(octokit, "acme", "mono");
    const main = s.branchSha("acme/mono", "main") as string;
    const staging = await repo.createDeployment({
      ref: "main",
      environment: "staging",
      payload: { component: "api", version: "1.2.3" },
    });
    await repo.setDeploymentStatus(staging.id, {
      state: "failure",
      description: "api-tests failed",
    });
    const prod = await repo.createDeployment({
      ref: main,
      environment: "production",
      payload: { component: "api", version: "1.2.2" },
    });
    const strip = (r: {
      id: number;
      environment: string;
      sha: string;
      task: string;
      payload: unknown;
      state: string;
    }) => ({
      id: r.id,
      environment: r.environment,
      sha: r.sha,
      task: r.task,
      payload: r.payload,
      state: r.state,
    });
    const rest = (await repo.listDeployments({})).map(strip);
    const viaGraph = (await graph.listDeployments({})).map(strip);
    expect(viaGraph).toEqual(rest);
    expect(viaGraph.map((d) => d.id)).toEqual([prod.id, staging.id]);
    expect(viaGraph[1]).toMatchObject({
      state: "failure",
      payload: { component: "api", version: "1.2.3" },
    });
    expect((await graph.listDeployments({ environment: "staging" })).map((d) => d.id)).toEqual([
      staging.id,
    ]);
    const [read] = await graph.listDeployments({ environment: "staging" });
    expect(read).toMatchObject({ ref: "main", description: "api-tests failed" });
    expect(s.violations()).toEqual([]);
  });

  it("a newer success in a non-production environment makes the earlier one inactive, as GitHub does", async () => {
    const { sandbox, repo } = await port();
    const main = sandbox.branchSha("acme/mono", "main") as string;
    const a = await repo.createDeployment({ ref: main, environment: "staging", payload: {} });
    await repo.setDeploymentStatus(a.id, { state: "success" });
    const b = await repo.createDeployment({ ref: main, environment: "staging", payload: {} });
    await repo.setDeploymentStatus(b.id, { state: "success" });
    const states = (await repo.listDeployments({ environment: "staging" })).map((d) => d.state);
    expect(states).toEqual(["success", "inactive"]);
  });

  it("an unknown ref is refused with GitHub's 422; an outside status becomes a deployment_status webhook", async () => {
    const { sandbox, repo } = await port();
    await expect(
      repo.createDeployment({ ref: "nope", environment: "staging", payload: {} }),
    ).rejects.toMatchObject({ status: 422 });
    const main = sandbox.branchSha("acme/mono", "main") as string;
    const d = await repo.createDeployment({
      ref: main,
      environment: "staging",
      payload: { component: "api", version: "1.2.3" },
    });
    sandbox.setDeploymentStatus("acme/mono", d.id, {
      state: "failure",
      user: "alice",
      description: "Argo CD: degraded",
    });
    const event = sandbox.events.deploymentStatus({ repo: "acme/mono", deploymentId: d.id });
    expect(event.name).toBe("deployment_status");
    expect(event.payload).toMatchObject({
      action: "created",
      deployment_status: { state: "failure", description: "Argo CD: degraded" },
      deployment: { id: d.id, environment: "staging", payload: { component: "api" } },
      sender: { login: "alice" },
    });
    expect(sandbox.deployments("acme/mono")[0]?.statuses).toHaveLength(1);
  });
});
