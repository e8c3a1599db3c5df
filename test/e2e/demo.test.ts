// End to end: `npm run demo` plays its whole story (environments included) against the sandbox and
// the built server, and exits 0; every step checks what it expects and the sandbox its OpenAPI.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo.js";
import { MAIN_PATH } from "./harness.js";

describe("npm run demo", () => {
  it("plays publish -> staging -> soak -> a frozen promotion let through -> production, and a failing version held back", async () => {
    if (!existsSync(MAIN_PATH))
      throw new Error("dist/main.js is missing: run `npm run build` first");
    const lines: string[] = [];
    const code = await runDemo((text) => lines.push(text));
    const out = lines.join("\n");
    // On a failure the demo's last lines say which step and what it saw instead.
    expect(code, out.slice(-4000)).toBe(0);
    expect(out).toContain("Deploys to staging; production keeps 1.2.3 until promoted.");
    expect(out).toMatch(
      /Deployment \d+ \(staging, roc-api 1\.3\.0\): success, "verified and soaked 2s"/,
    );
    // Its number follows the config repo's dashboard issue, opened when the first pin moved.
    expect(out).toMatch(/PR #\d+ "Promote roc-api 1\.3\.0 to production"/);
    expect(out).toMatch(/✘ monobot\/deploy-gate\s+failure\s+Deploy freeze until .*\(production\)/);
    expect(out).toMatch(/○ monobot\/deploy-gate\s+neutral\s+Freeze overridden by @alice/);
    expect(out).toMatch(/Deployment \d+ \(production, roc-api 1\.3\.0\): success/);
    expect(out).toMatch(
      /Step 10: .*1\.3\.1.* failure, no promotion PR, production keeps 1\.3\.0 ✔/,
    );
    expect(out).toContain("OpenAPI violations recorded by the sandbox: 0");
  }, 240_000);
});
