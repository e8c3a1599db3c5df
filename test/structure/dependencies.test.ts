// The package's dependencies, checked on the source: what the server imports at run time is a
// production dependency, what only the sandbox, the demo or the types need is a dev dependency.
import { builtinModules } from "node:module";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The sandbox and the demo are development tools: `npm run demo` runs after a full `npm ci`. */
const devOnly = (file: string) => /^(sandbox\/|demo)/.test(relative(SRC, file));

interface Import {
  file: string;
  name: string;
  typeOnly: boolean;
}

/** Statements end with `;` (Prettier): Go and shell snippets inside template strings do not. */
const IMPORT =
  /^\s*(?:import|export)(\s+type)?\s[^'"]*?from\s+["']([^"']+)["'](?:\s+with\s+\{[^}]*\})?;|^\s*import\s+["']([^"']+)["'];/gm;

const imports: Import[] = sources(SRC).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(IMPORT)].flatMap((m) => {
    const spec = m[2] ?? m[3] ?? "";
    if (spec.startsWith(".") || spec.startsWith("node:") || builtinModules.includes(spec))
      return [];
    const name = spec.startsWith("@")
      ? spec.split("/").slice(0, 2).join("/")
      : (spec.split("/")[0] ?? spec);
    return [{ file: relative(SRC, file), name, typeOnly: m[1] !== undefined }];
  }),
);

describe("the package's dependencies", () => {
  it("declare every package the server imports at run time as a production dependency", () => {
    const missing = imports
      .filter((i) => !i.typeOnly && !devOnly(join(SRC, i.file)))
      .filter((i) => !(i.name in pkg.dependencies))
      .map((i) => `${i.file}: ${i.name}`);
    expect(missing).toEqual([]);
  });

  it("declare every other import (types, sandbox, demo) in one of the two lists", () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    expect(imports.filter((i) => !(i.name in all)).map((i) => `${i.file}: ${i.name}`)).toEqual([]);
  });

  it("keep out of the production list what the server never imports at run time", () => {
    const used = new Set(
      imports.filter((i) => !i.typeOnly && !devOnly(join(SRC, i.file))).map((i) => i.name),
    );
    expect(Object.keys(pkg.dependencies).filter((d) => !used.has(d))).toEqual([]);
  });

  it("keep the sandbox and the demo out of the server's and the CLI's imports", () => {
    const graph = new Map<string, string[]>(
      sources(SRC).map((file) => [
        file,
        [...readFileSync(file, "utf8").matchAll(IMPORT)]
          .map((m) => m[2] ?? m[3] ?? "")
          .filter((s) => s.startsWith("."))
          .map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts"))),
      ]),
    );
    const reached = new Set<string>();
    const visit = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const d of graph.get(f) ?? []) visit(d);
    };
    for (const entry of ["main.ts", "cli-main.ts", "action-main.ts"]) visit(join(SRC, entry));
    expect([...reached].filter(devOnly).map((f) => relative(SRC, f))).toEqual([]);
  });
});
