// The layout's rules, checked on the source: no import circles outside the sandbox, and no module
// importing upward (the core imports nothing of the shell; nothing imports the app or main).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of each file (type-only imports included: they shape the layout too). */
const graph = new Map<string, string[]>(
  sources(SRC).map((file) => {
    const text = readFileSync(file, "utf8");
    const deps = [
      ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+["'](\.[^"']+)["']/gm),
    ].map((m) => resolve(dirname(file), (m[1] ?? "").replace(/\.js$/, ".ts")));
    return [file, deps];
  }),
);
const name = (f: string) => relative(SRC, f);

describe("the source layout", () => {
  it("has no import circles outside the sandbox", () => {
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const circles: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      stack.push(file);
      for (const dep of graph.get(file) ?? []) {
        if (!graph.has(dep)) continue;
        if (state.get(dep) === "open") {
          circles.push(stack.slice(stack.indexOf(dep)).map(name).join(" -> "));
        } else if (!state.has(dep)) visit(dep);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(circles.filter((c) => !c.startsWith("sandbox/"))).toEqual([]);
  });

  it("keeps the core pure and nothing importing the app or the entry points", () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const from = name(file);
        const to = name(dep);
        if (from.startsWith("core/") && !to.startsWith("core/")) upward.push(`${from} -> ${to}`);
        if (["app.ts", "main.ts", "cli-main.ts", "demo.ts"].includes(to) && from !== "main.ts")
          upward.push(`${from} -> ${to}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
