// Evaluates a change: one read of files, commits and paths, one batched content read, then every check.
import { enabledChecks, type CheckDefinition } from "../core/checks/registry.js";
import { componentReport } from "../core/components.js";
import type { Policy } from "../core/policy.js";
import { releaseTagPrefix } from "../core/versions.js";
import {
  contentKey,
  type ChangeSnapshot,
  type CheckResult,
  type ComponentsReport,
  type FileRequest,
  type PullRequestInfo,
} from "../core/types.js";
import { fileAtKey, type ChangeReader, type FileAt } from "../forge/port.js";

export interface ComponentVersions {
  base: string | null;
  head: string | null;
}

export interface Evaluation {
  snapshot: ChangeSnapshot;
  components: ComponentsReport;
  /** VERSION contents (trimmed first line) by component name, for the components read. */
  versions: Map<string, ComponentVersions>;
  results: CheckResult[];
}

export interface EvaluateInput {
  reader: ChangeReader;
  policy: Policy;
  checks: readonly CheckDefinition[];
  repo: { owner: string; name: string; defaultBranch: string };
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  pr?: PullRequestInfo;
  /** Read VERSION files of every component (the CLI), not only of the affected ones (the bot). */
  allVersions?: boolean;
  /** The bot's facts about the sealed secrets file (keys, targets), asked once contents are read. */
  sealedSecrets?: SealedSecretsFacts;
}

/** What the shell looks up for monobot/secrets (`snapshot.sealedSecrets`); undefined: nothing. */
export type SealedSecretsFacts = (
  snapshot: ChangeSnapshot,
  policy: Policy,
) => Promise<ChangeSnapshot["sealedSecrets"] | undefined>;

export async function evaluateChange(input: EvaluateInput): Promise<Evaluation> {
  const { reader, policy } = input;
  const wantsTags = enabledChecks(input.checks, policy).some((c) => c.id === "versions");
  const [listing, commits, headPaths, releaseTags] = await Promise.all([
    reader.changedFiles(),
    reader.commits(),
    reader.paths(input.head.sha),
    wantsTags ? reader.tags(releaseTagPrefix(policy.versions.tag)) : Promise.resolve(undefined),
  ]);
  const components = componentReport(headPaths, listing.files, policy, input.repo.name);
  const base: Omit<ChangeSnapshot, "contents"> = {
    repo: input.repo,
    base: input.base,
    head: input.head,
    files: listing.files,
    truncated: listing.truncated,
    commits,
    headPaths,
    ...(input.pr ? { pr: input.pr } : {}),
    ...(releaseTags ? { releaseTags } : {}),
  };
  const checks = enabledChecks(input.checks, policy);

  const versioned = input.allVersions
    ? components.components
    : components.affected.map((a) => a.component);
  const requests: FileRequest[] = versioned.flatMap((c) => [
    { side: "base" as const, path: c.versionFile },
    { side: "head" as const, path: c.versionFile },
  ]);
  for (const check of checks) {
    if (check.needs) requests.push(...check.needs({ snapshot: base, policy, components }));
  }
  const shaOf = (side: FileRequest["side"]) => (side === "base" ? input.base.sha : input.head.sha);
  const wanted: FileAt[] = requests.map((r) => ({ sha: shaOf(r.side), path: r.path }));
  const read =
    wanted.length > 0 ? await reader.readFiles(wanted) : new Map<string, string | null>();
  const contents = new Map<string, string | null>();
  for (const r of requests) {
    contents.set(
      contentKey(r.side, r.path),
      read.get(fileAtKey({ sha: shaOf(r.side), path: r.path })) ?? null,
    );
  }
  const snapshot: ChangeSnapshot = { ...base, contents };
  const sealed = input.sealedSecrets ? await input.sealedSecrets(snapshot, policy) : undefined;
  if (sealed) snapshot.sealedSecrets = sealed;

  const versions = new Map<string, ComponentVersions>();
  for (const c of versioned) {
    versions.set(c.name, {
      base: firstLine(contents.get(contentKey("base", c.versionFile)) ?? null),
      head: firstLine(contents.get(contentKey("head", c.versionFile)) ?? null),
    });
  }

  const results = checks.map((check) => runCheck(check, { snapshot, policy, components }));
  return { snapshot, components, versions, results };
}

function firstLine(text: string | null): string | null {
  if (text === null) return null;
  return (text.split(/\r?\n/)[0] ?? "").trim();
}

/** A check that throws is a bug in monobot, not in the change: report it, never crash the event. */
function runCheck(
  check: CheckDefinition,
  input: Parameters<CheckDefinition["run"]>[0],
): CheckResult {
  try {
    return check.run(input);
  } catch (e) {
    return {
      name: check.name,
      conclusion: "neutral",
      title: "monobot could not run this check",
      summary: `The check stopped with an internal error (${(e as Error).name}). This is a bug in monobot, not in your change; a \`recheck\` comment runs it again.`,
      annotations: [],
    };
  }
}
