// Runs one check the way the pipeline does, on a hand-made change: for table-driven check tests.
import type { CheckDefinition } from "../../src/core/checks/registry.js";
import { resolvePolicy, type Policy } from "../../src/core/policy.js";
import {
  contentKey,
  type ChangeSnapshot,
  type ChangedFile,
  type CheckResult,
} from "../../src/core/types.js";

/** The shipped defaults merged with a repository file; a test's policy must be valid. */
export function policyFrom(yaml = ""): Policy {
  const r = resolvePolicy(yaml ? [{ file: ".github/monobot.yml", text: yaml }] : []);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

/** A new file as the PR files listing shows it. */
export function addedFile(path: string, lines: string[], finalNewline = true): ChangedFile {
  const body = lines.map((l) => `+${l}`).join("\n");
  return {
    path,
    status: "added",
    additions: lines.length,
    deletions: 0,
    patch: `@@ -0,0 +1,${lines.length} @@\n${body}${finalNewline ? "" : "\n\\ No newline at end of file"}`,
  };
}

export interface CheckRunOptions {
  /** Head contents answered to the check's `needs` (a missing path reads as null). */
  head?: Record<string, string>;
  policy?: string;
  /** Every path at the head; defaults to the changed files plus `head`'s. */
  headPaths?: string[];
}

/** Asks the check's needs, answers them from `head`, then runs it. */
export function runCheckOn(
  check: CheckDefinition,
  files: ChangedFile[],
  opts: CheckRunOptions = {},
): { result: CheckResult; requested: string[] } {
  const policy = policyFrom(opts.policy);
  const components = { components: [], affected: [], outside: [], errors: [] };
  const base: Omit<ChangeSnapshot, "contents"> = {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    base: { ref: "main", sha: "b".repeat(40) },
    head: { ref: "topic", sha: "h".repeat(40) },
    files,
    truncated: false,
    commits: [],
    headPaths: opts.headPaths ?? [...files.map((f) => f.path), ...Object.keys(opts.head ?? {})],
  };
  const requests = check.needs?.({ snapshot: base, policy, components }) ?? [];
  const contents = new Map<string, string | null>();
  for (const r of requests) contents.set(contentKey(r.side, r.path), opts.head?.[r.path] ?? null);
  const result = check.run({ snapshot: { ...base, contents }, policy, components });
  return { result, requested: requests.map((r) => r.path) };
}
