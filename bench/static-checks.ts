// Benchmark of the four static checks on a synthetic 3,000-file PR with 100,000 added lines.
import { pathToFileURL } from "node:url";
import { dcoCheck } from "../src/core/checks/dco.js";
import { licenseCheck } from "../src/core/checks/license.js";
import { lintCheck } from "../src/core/checks/lint.js";
import type { CheckDefinition } from "../src/core/checks/registry.js";
import { secretsCheck } from "../src/core/checks/secrets.js";
import { resolvePolicy, type Policy } from "../src/core/policy.js";
import {
  contentKey,
  type ChangeSnapshot,
  type ChangedFile,
  type CommitInfo,
  type ComponentsReport,
} from "../src/core/types.js";

const FILES = 3_000;
const ADDED_LINES = 100_000;
const RUNS = 7;

/** A small deterministic generator, so every run measures the same PR. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = [
  {
    ext: "ts",
    comment: "//",
    line: (i: number) => `  const value${i} = compute(${i}, "item-${i}");`,
  },
  { ext: "py", comment: "#", line: (i: number) => `    value_${i} = compute(${i}, "item-${i}")` },
  { ext: "go", comment: "//", line: (i: number) => `\tvalue${i} := compute(${i}, "item-${i}")` },
  { ext: "yaml", comment: "#", line: (i: number) => `key_${i}: "value ${i}"` },
  { ext: "json", comment: "", line: (i: number) => `  "key_${i}": ${i},` },
  { ext: "md", comment: "", line: (i: number) => `Some documentation line ${i} with text.` },
] as const;

interface Synthetic {
  base: Omit<ChangeSnapshot, "contents">;
  head: Map<string, string>;
}

/** The PR: mostly new files, a third modified with hunks away from line 1, a few findings. */
function syntheticPr(): Synthetic {
  const rand = prng(42);
  const files: ChangedFile[] = [];
  const head = new Map<string, string>();
  const perFile = Math.floor(ADDED_LINES / FILES);
  let remaining = ADDED_LINES;
  for (let f = 0; f < FILES; f++) {
    const kind = KINDS[f % KINDS.length] as (typeof KINDS)[number];
    const path = `services/svc-${f % 60}/src/mod${f}/file${f}.${kind.ext}`;
    const n = f === FILES - 1 ? remaining : perFile;
    remaining -= n;
    const lines: string[] = [];
    if (kind.ext === "json") lines.push("{");
    if (kind.comment) lines.push(`${kind.comment} SPDX-License-Identifier: Apache-2.0`);
    while (lines.length < n - (kind.ext === "json" ? 2 : 0)) {
      let text = kind.line(lines.length);
      const r = rand();
      if (r < 0.01) text += "  "; // trailing whitespace
      if (r > 0.9995) text = `token = "ghp_${"Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2".slice(0, 36)}"`;
      lines.push(text);
    }
    if (kind.ext === "json") lines.push('  "end": true', "}");
    const modified = f % 3 === 1;
    const body = lines.join("\n") + "\n";
    if (modified) {
      // The same lines, added in the middle of an existing file of 40 more lines.
      const start = 21;
      const patch =
        `@@ -18,6 +18,${lines.length + 6} @@ func context() {\n` +
        " ctx1\n ctx2\n ctx3\n" +
        lines.map((l) => `+${l}`).join("\n") +
        "\n ctx4\n ctx5\n ctx6";
      files.push({ path, status: "modified", additions: lines.length, deletions: 0, patch });
      const prefix = [
        ...(kind.comment ? [`${kind.comment} SPDX-License-Identifier: MIT`] : []),
        ...Array.from({ length: start - 1 - (kind.comment ? 1 : 0) }, (_, i) => `old ${i}`),
      ];
      head.set(path, [...prefix, ...lines, "ctx4", "ctx5", "ctx6"].join("\n") + "\n");
    } else {
      const patch = `@@ -0,0 +1,${lines.length} @@\n` + lines.map((l) => `+${l}`).join("\n");
      files.push({ path, status: "added", additions: lines.length, deletions: 0, patch });
      head.set(path, body);
    }
  }
  const commits: CommitInfo[] = Array.from({ length: 40 }, (_, i) => ({
    sha: i.toString(16).padStart(40, "0"),
    message: `Change ${i}\n\nSigned-off-by: Dev <dev@example.com>`,
    author: { name: "Dev", email: "dev@example.com", login: "dev" },
    parents: 1,
  }));
  return {
    base: {
      repo: { owner: "acme", name: "mono", defaultBranch: "main" },
      base: { ref: "main", sha: "b".repeat(40) },
      head: { ref: "topic", sha: "c".repeat(40) },
      files,
      truncated: false,
      commits,
      headPaths: ["LICENSE", ...files.map((f) => f.path)],
    },
    head,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** A fresh copy of the files, so parsed patches are not reused from an earlier run. */
function freshSnapshot(
  base: Omit<ChangeSnapshot, "contents">,
  contents: ChangeSnapshot["contents"],
) {
  return { ...base, files: base.files.map((f) => ({ ...f })), contents };
}

export async function benchStaticChecks(): Promise<{
  rows: Array<Record<string, string | number>>;
}> {
  const resolved = resolvePolicy([]);
  if (!resolved.ok) throw new Error("the default policy does not validate");
  const policy: Policy = resolved.policy;
  const components: ComponentsReport = { components: [], affected: [], outside: [], errors: [] };
  const { base, head } = syntheticPr();
  const checks: CheckDefinition[] = [lintCheck, licenseCheck, dcoCheck, secretsCheck];

  // What the pipeline would read in its one batch.
  const contents = new Map<string, string | null>();
  const readsPerCheck = new Map<string, number>();
  for (const check of checks) {
    const requests = check.needs?.({ snapshot: base, policy, components }) ?? [];
    readsPerCheck.set(check.id, requests.length);
    for (const r of requests) contents.set(contentKey(r.side, r.path), head.get(r.path) ?? null);
  }
  const addedLines = base.files.reduce((n, f) => n + f.additions, 0);

  const rows: Array<Record<string, string | number>> = [];
  const measure = (label: string, run: () => number, reads: number): void => {
    const wall: number[] = [];
    const cpu: number[] = [];
    let annotations = 0;
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      annotations = run();
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    rows.push({
      check: label,
      files: base.files.length,
      added_lines: addedLines,
      files_read_whole: reads,
      annotations,
      median_ms: Number(median(wall).toFixed(1)),
      median_cpu_ms: Number(median(cpu).toFixed(1)),
    });
  };

  for (const check of checks) {
    measure(
      check.name,
      () =>
        check.run({ snapshot: freshSnapshot(base, contents), policy, components }).annotations
          .length,
      readsPerCheck.get(check.id) ?? 0,
    );
  }
  measure(
    "all four (needs + run, patches parsed once)",
    () => {
      const snapshot = freshSnapshot(base, contents);
      let n = 0;
      for (const check of checks) {
        check.needs?.({ snapshot, policy, components });
        n += check.run({ snapshot, policy, components }).annotations.length;
      }
      return n;
    },
    contents.size,
  );
  return { rows };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchStaticChecks();
  console.table(rows);
}
