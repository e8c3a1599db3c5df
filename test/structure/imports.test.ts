// The layout's rules, checked on the source: no import circles outside the sandbox, and no module
// importing upward (the core imports nothing of the shell; nothing imports the app or main; a
// handler imports no other handler and a workflow no handler).
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

  it("keeps handlers apart: a handler imports no other handler, a workflow no handler", () => {
    // handlers/handler.ts is what a handler is (not a handler); the registry lists them all.
    const allowed = (from: string, to: string) =>
      from === "handlers/index.ts" || to === "handlers/handler.ts";
    const crossing: string[] = [];
    for (const [file, deps] of graph) {
      const from = name(file);
      const shell = from.startsWith("handlers/") || from.startsWith("workflows/");
      if (!shell) continue;
      for (const dep of deps) {
        const to = name(dep);
        if (!to.startsWith("handlers/")) continue;
        if (from.startsWith("workflows/") || !allowed(from, to)) crossing.push(`${from} -> ${to}`);
      }
    }
    expect(crossing).toEqual([]);
  });

  it("keeps the job context out of handlers/: workflows take it from workflows/job-context.ts", () => {
    const context = graph.get(resolve(SRC, "workflows/job-context.ts")) ?? [];
    expect(context.map(name).filter((to) => to.startsWith("handlers/"))).toEqual([]);
  });
});
