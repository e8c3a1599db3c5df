// A `deployed` verification job that never reports back: its Deployment fails, naming the job, and the version is not promoted.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployedRunOf } from "../../src/workflows/verify-job.js";
import { CONFIG, startDeployWorld, type DeployWorld } from "../helpers/deploy-world.js";
import { exampleFiles } from "../helpers/env-config.js";
import { ManualTimers } from "../helpers/manual-timers.js";

const FLEET = "fleet/aether/fleet.yaml";
const DAY = 24 * 60 * 60_000;

type Dep = { id: number; environment: string; statuses: Array<Record<string, unknown>> };

describe("a verification job that times out", () => {
  let world: DeployWorld;
  beforeEach(() => {
    nock.enableNetConnect("127.0.0.1");
  });
  afterEach(async () => {
    await world?.close();
  });

  it("fails the Deployment with the job's name, comments once, and blocks promotion (a late success changes nothing)", async () => {
    const timers = new ManualTimers();
    world = await startDeployWorld({ config: exampleFiles(undefined), timers });
    const fleet = world.sandbox.readFile(CONFIG, "main", FLEET) as string;
    const merged = await world.merge(
      CONFIG,
      { [FLEET]: fleet.replace('tag: "1.3.0"', 'tag: "1.4.0"') },
      "Deploy roc-api 1.4.0",
    );
    const deployments = () => world.sandbox.deployments(CONFIG) as unknown as Dep[];
    expect(deployments()[0]?.statuses[0]).toMatchObject({ state: "in_progress" });
    expect(timers.timers.size).toBe(1);

    // Nothing reports back; the job's timeout (120 minutes by default) passes.
    expect(await timers.fireDue(Date.now() + DAY)).toHaveLength(1);
    expect(world.errors()).toEqual([]);
    const status = world.sandbox
      .statuses(CONFIG, merged)
      .find((s) => s.context === "ci/roc-api/api-tests@staging");
    expect(status).toMatchObject({
      state: "error",
      description: "timed out: no result after 120 minutes",
    });
    expect(deployments()).toHaveLength(1);
    expect(deployments()[0]?.statuses[0]).toMatchObject({
      state: "failure",
      description:
        "verification timed out: ci/roc-api/api-tests@staging (api-tests) gave no result after 120 minutes",
    });
    const comments = world.sandbox.comments(CONFIG, 1);
    expect(comments).toHaveLength(1);
    expect(String(comments[0]?.body)).toContain("roc-api 1.4.0 failed verification in staging");
    expect(String(comments[0]?.body)).toContain("`ci/roc-api/api-tests@staging`");

    // The run reports success after all: the verdict is taken, nothing is promoted.
    await world.completeRun(CONFIG, "api-tests.yml", "success");
    expect(deployments()[0]?.statuses[0]).toMatchObject({ state: "failure" });
    expect(world.sandbox.branchSha(CONFIG, "monobot/promote-roc-api-production")).toBeUndefined();
    expect(world.sandbox.comments(CONFIG, 1)).toHaveLength(1);
    expect(world.errors()).toEqual([]);
  });

  it("reads a deployed job's status context, and only that", () => {
    expect(deployedRunOf("ci/roc-api/api-tests@staging")).toEqual({
      component: "roc-api",
      job: "api-tests",
      environment: "staging",
    });
    expect(deployedRunOf("ci/roc-api/unit")).toBeUndefined();
  });
});
