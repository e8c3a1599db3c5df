// The deploy story through the real app against the sandbox: a publish opens ONE PR on the config repo, and it lives on.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDeployMarker } from "../../src/core/deploy-pr.js";
import { CONFIG, MONO, startDeployWorld, type DeployWorld } from "../helpers/deploy-world.js";

const BRANCH = "monobot/deploy-roc-api";

let world: DeployWorld;

beforeEach(async () => {
  world = await startDeployWorld();
});

afterEach(async () => {
  expect(world.errors()).toEqual([]);
  world.sandbox.assertNoViolations();
  await world.close();
});

function pulls(repo = CONFIG) {
  const out = [];
  for (let n = 1; n < 100; n++) {
    try {
      out.push(
        world.sandbox.pullRequest(repo, n) as {
          number: number;
          title: string;
          body: string;
          state: string;
          head: { ref: string };
        },
      );
    } catch {
      break;
    }
  }
  return out;
}

describe("deploy PRs, end to end through the app", () => {
  it("publish success -> ONE PR on the config repo with the right files, body and branch", async () => {
    const { sandbox } = world;
    const merged = await world.merge(MONO, { "services/roc-api/VERSION": "1.3.0\n" }, "Retry the upstream on 503");
    expect(sandbox.refs(MONO)).toHaveProperty(["refs/tags/roc-api/v1.3.0"], merged);
    expect(pulls()).toEqual([]);
    const mark = sandbox.mark();
    await world.completeRun(MONO, "publish.yml", "success");
    const cost = sandbox.requests({ since: mark }).map((r) => `${r.method} ${r.operationId}`);
    console.log(cost);
    const [pr] = pulls();
    expect(pr).toMatchObject({ title: "Deploy roc-api 1.3.0", state: "open", head: { ref: BRANCH } });
    expect(parseDeployMarker(pr?.body)).toEqual({ component: "roc-api", version: "1.3.0" });
    expect(pr?.body).toContain("- acme/mono#1 Retry the upstream on 503");
    expect(sandbox.readFile(CONFIG, BRANCH, "charts/roc-api/values.yaml")).toContain("tag: 1.3.0");
  });
});
