import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { withCommands } from "../scripts/readme-commands.js";
import { commandTable } from "../src/core/commands.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("lists exactly the commands of the command table (npm run docs regenerates it)", () => {
    expect(withCommands(readme)).toBe(readme);
    for (const spec of commandTable) expect(readme).toContain(spec.usage);
  });

  it("gives the two commands that set up and test monobot on a fresh machine", () => {
    expect(readme).toContain("npm ci && npm test");
    expect(readme).toContain("npm ci && npm run demo");
  });
});
