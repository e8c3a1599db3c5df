import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDeployMarker } from "../../src/core/deploy-pr.js";
import { CONFIG, MONO, startDeployWorld, type DeployWorld } from "../helpers/deploy-world.js";

let world: DeployWorld;

beforeEach(async () => {
  world = await startDeployWorld();
});

afterEach(async () => {
  try {
    expect(world.errors()).toEqual([]);
    world.sandbox.assertNoViolations();
  } finally {
    await world.close();
  }
});

describe("release notes per component, through the app", () => {
  it("the deploy PR lists the commits that touched roc-api, not the monorepo's others", async () => {
    await world.merge(MONO, { "services/roc-web/index.ts": "export const a = 1;\n" }, "Web: a");
    await world.merge(MONO, { "README.md": "# mono, documented\n" }, "Docs: readme");
    await world.merge(MONO, { "services/roc-api/main.go": "package main // x\n" }, "API: retry");
    await world.merge(MONO, { "services/roc-api/VERSION": "1.3.0\n" }, "Release roc-api 1.3.0");
    await world.completeRun(MONO, "publish.yml", "success");

    const pr = world.sandbox.pullRequest(CONFIG, 1) as unknown as { body: string };
    expect(parseDeployMarker(pr.body)).toEqual({ component: "roc-api", version: "1.3.0" });
    expect(pr.body).toContain("- acme/mono#3 API: retry");
    expect(pr.body).toContain("- acme/mono#4 Release roc-api 1.3.0");
    expect(pr.body).not.toContain("Web: a");
    expect(pr.body).not.toContain("Docs: readme");
    // The reader learns that others were left out, and how many.
    expect(pr.body).toMatch(
      /Only the commits that touched roc-api's folders \(`services\/roc-api`\); 2 other commits between the tags did not/,
    );
  });
});
