// Benchmark of component discovery and affected components on a synthetic monorepo.
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { affectedComponents, discoverComponents } from "../src/core/components.js";
import { resolvePolicy, type ComponentDefinition, type Policy } from "../src/core/policy.js";
import type { ChangedFile } from "../src/core/types.js";

interface Scenario {
  components: number;
  changed: number;
}

interface Monorepo {
  paths: string[];
  changed: ChangedFile[];
  policy: Policy;
}

/** A small deterministic generator (mulberry32), so every run measures the same repository. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `components` components under `services/group-NN/svc-NNNN` (every tenth has a nested plugin
 * component), about ten files each plus shared files outside, a root VERSION, and `depends_on`
 * chains among the libraries (`lib-0 <- lib-1 <- ...`) that many services depend on.
 */
function buildMonorepo({ components, changed }: Scenario): Monorepo {
  const next = random(components * 31 + changed);
  const paths: string[] = ["VERSION", "Makefile", "README.md", ".github/workflows/ci.yml"];
  const define: Record<string, ComponentDefinition> = {};
  const libraries = Math.max(2, Math.floor(components / 20));
  const services = components - libraries;
  const folders: string[] = [];
  for (let i = 0; i < libraries; i++) {
    const folder = `libs/lib-${i}`;
    folders.push(folder);
    paths.push(
      `${folder}/VERSION`,
      `${folder}/lib.go`,
      `${folder}/lib_test.go`,
      `${folder}/README.md`,
    );
    if (i > 0) define[`lib-${i}`] = { depends_on: [`lib-${i - 1}`] };
  }
  for (let i = 0; i < services; i++) {
    const nested = i % 10 === 9;
    const parent = `services/group-${String(i % 50).padStart(2, "0")}/svc-${String(i - (nested ? 1 : 0)).padStart(4, "0")}`;
    const folder = nested ? `${parent}/plugins/plugin-${i}` : parent;
    folders.push(folder);
    paths.push(`${folder}/VERSION`);
    for (const file of [
      "main.go",
      "handler.go",
      "handler_test.go",
      "go.mod",
      "Dockerfile",
      "README.md",
    ]) {
      paths.push(`${folder}/${file}`);
    }
    paths.push(`${folder}/internal/store/store.go`, `${folder}/docs/design.md`);
    const name = nested ? `plugin-${i}` : `svc-${String(i).padStart(4, "0")}`;
    if (i % 3 === 0) {
      define[name] = {
        image: `ghcr.io/acme/${name}`,
        depends_on: [`lib-${Math.floor(next() * libraries)}`],
      };
    }
  }
  for (let i = 0; i < components; i++) paths.push(`shared/config/file-${i}.yaml`);
  paths.push("vendor/github.com/acme/dep/VERSION", "web/node_modules/left-pad/VERSION");

  const files: ChangedFile[] = [];
  for (let i = 0; i < changed; i++) {
    const folder = folders[Math.floor(next() * folders.length)] ?? "";
    const roll = next();
    if (roll < 0.05) {
      files.push({ path: `shared/changed-${i}.yaml`, status: "added", additions: 3, deletions: 0 });
    } else if (roll < 0.15) {
      files.push({
        path: `${folder}/docs/page-${i}.md`,
        status: "added",
        additions: 9,
        deletions: 0,
      });
    } else if (roll < 0.2) {
      const target = folders[Math.floor(next() * folders.length)] ?? "";
      files.push({
        path: `${target}/moved-${i}.go`,
        previousPath: `${folder}/old-${i}.go`,
        status: "renamed",
        additions: 0,
        deletions: 0,
      });
    } else {
      files.push({
        path: `${folder}/src/file-${i}.go`,
        status: "modified",
        additions: 4,
        deletions: 2,
      });
    }
  }

  const resolved = resolvePolicy([]);
  if (!resolved.ok) throw new Error("the shipped default policy is invalid");
  const policy: Policy = {
    ...resolved.policy,
    components: { ...resolved.policy.components, define },
  };
  return { paths, changed: files, policy };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** A full garbage collection, without needing `node --expose-gc`, so heap figures are retained memory. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function measure(scenario: Scenario, runs: number): Record<string, string | number> {
  const repo = buildMonorepo(scenario);
  const discoverMs: number[] = [];
  const affectedMs: number[] = [];
  let found = 0;
  let affected = 0;
  let errors = 0;
  // Warm-up, so the median measures optimised code rather than the first compilation.
  for (let run = 0; run < 3; run++) {
    const warm = discoverComponents(repo.paths, repo.policy, "monorepo");
    affectedComponents(warm.components, repo.changed, repo.policy);
  }
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const keep: unknown[] = [];
  for (let run = 0; run < runs; run++) {
    let start = performance.now();
    const discovered = discoverComponents(repo.paths, repo.policy, "monorepo");
    discoverMs.push(performance.now() - start);
    start = performance.now();
    const result = affectedComponents(discovered.components, repo.changed, repo.policy);
    affectedMs.push(performance.now() - start);
    found = discovered.components.length;
    errors = discovered.errors.length;
    affected = result.affected.length;
    keep.push(discovered, result);
  }
  collectGarbage();
  // What one discovery and its affected components keep alive, averaged over the runs' results.
  const heapDeltaMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024 / runs;
  keep.length = 0;
  return {
    paths: repo.paths.length,
    components: found,
    changed: repo.changed.length,
    affected,
    errors,
    "discover ms (median)": round(median(discoverMs), 2),
    "affected ms (median)": round(median(affectedMs), 2),
    "heap MB delta": round(heapDeltaMb, 2),
  };
}

/** Rows for `npm run bench`: a 2,000-component monorepo and a 200-component one for scaling. */
export async function benchComponents(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const rows = [
    measure({ components: 200, changed: 1_000 }, 15),
    measure({ components: 2_000, changed: 10_000 }, 15),
  ];
  return { rows };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchComponents();
  console.table(rows);
}
