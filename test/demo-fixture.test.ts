// The demo's config repo (examples/config-repo): staging then production on one Fleet bundle, and
// the production freeze window the demo puts around "now".
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { findEnvironment, soakMs } from "../src/core/environments.js";
import { resolvePolicy } from "../src/core/policy.js";
import { demoFreezeWindow, withProductionFreeze } from "../src/demo-lifecycle.js";

const EXAMPLES = fileURLToPath(new URL("../examples", import.meta.url));
const POLICY = readFileSync(
  new URL("../examples/config-repo/.github/monobot.yml", import.meta.url),
  "utf8",
);

describe("the demo's config repo", () => {
  it("runs roc-api 1.2.3 in staging and production, pinned in the Fleet bundle's targets", async () => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(["envs", "--repo", "config-repo"], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd: EXAMPLES,
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toBe(
      [
        "Environments in promotion order: staging -> production; the pins hold image tags.",
        "",
        "COMPONENT  CHART           STAGING                           PRODUCTION (production)",
        "roc-api    charts/roc-api  1.2.3 fleet/aether/fleet.yaml:15  1.2.3 fleet/aether/fleet.yaml:25",
        "",
      ].join("\n"),
    );
  });

  it("gets the demo's freeze window on production alone, and stays a valid policy", () => {
    const window = demoFreezeWindow(new Date("2026-12-04T16:30:00Z"));
    expect(window).toEqual({ from: "2026-12-04T15:30", to: "2026-12-04T17:30" });
    const text = withProductionFreeze(POLICY, window);
    const result = resolvePolicy([{ file: ".github/monobot.yml", text }]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const envs = result.policy.deploy.environments;
    const staging = findEnvironment(envs, "staging");
    const production = findEnvironment(envs, "production");
    expect(staging?.freeze ?? []).toEqual([]);
    expect(soakMs(staging!)).toBe(2_000);
    expect(staging?.verify?.jobs).toEqual(["api-tests"]);
    expect(production?.production).toBe(true);
    expect(production?.freeze).toEqual([
      expect.objectContaining({ ...window, timezone: "UTC", reason: "release freeze" }),
    ]);
    // The example's own weekend window is replaced, not kept beside the demo's.
    expect(text).not.toContain("weekend");
  });

  it("says so when the policy has no freeze list to replace", () => {
    expect(() => withProductionFreeze("deploy:\n  freeze: []\n", demoFreezeWindow())).toThrow(
      "no freeze list to replace",
    );
  });
});
