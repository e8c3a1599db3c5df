import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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

  it("links only to files that exist, from the front page and every guide in docs/", () => {
    const root = dirname(dirname(fileURLToPath(import.meta.url)));
    const pages = ["README.md", ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`)];
    const broken: string[] = [];
    for (const page of pages.filter((p) => p.endsWith(".md"))) {
      const text = readFileSync(join(root, page), "utf8");
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(root, dirname(page), target))) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("is a front page: each feature's guide lives in docs/ and the table links to it", () => {
    const table = readme.slice(readme.indexOf("## What it does"), readme.indexOf("## Commands"));
    expect(table).toMatch(/\(docs\/[a-z-]+\.md\)/);
    expect(readme.split("\n").length).toBeLessThan(200);
  });
});
