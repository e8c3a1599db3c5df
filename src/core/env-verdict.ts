// The verdict on a version in an environment: what its verification jobs' statuses say, and the texts monobot writes about it.
import type { StatusState } from "./run-id.js";

export type Verdict =
  | { kind: "waiting"; pending: string[] }
  | { kind: "verified" }
  | { kind: "failed"; failed: { context: string; targetUrl?: string }[] };

/**
 * The verdict of `contexts` (one per verification job): failed as soon as one failed or errored,
 * verified when all succeeded, else waiting. No jobs: waiting for a deployment status from outside.
 */
export function verificationVerdict(
  contexts: readonly string[],
  statuses: readonly { context: string; state: StatusState; targetUrl?: string | null }[],
): Verdict {
  const latest = new Map(statuses.map((s) => [s.context, s]));
  const failed = contexts
    .map((c) => latest.get(c))
    .filter((s) => s !== undefined && (s.state === "failure" || s.state === "error"))
    .map((s) => ({ context: s!.context, ...(s!.targetUrl ? { targetUrl: s!.targetUrl } : {}) }));
  if (failed.length > 0) return { kind: "failed", failed };
  const pending = contexts.filter((c) => latest.get(c)?.state !== "success");
  if (contexts.length > 0 && pending.length === 0) return { kind: "verified" };
  return { kind: "waiting", pending };
}

/** The hidden marker of monobot's one failure comment per deployment on the merged PR. */
export function failureMarker(deploymentId: number): string {
  return `<!-- monobot:deployment-failed ${deploymentId} -->`;
}

/** The comment on the merged PR whose change failed verification in an environment. */
export function failureComment(input: {
  deploymentId: number;
  environment: string;
  component: string;
  version: string;
  failed: readonly { context: string; targetUrl?: string }[];
  outside?: { by: string; description?: string; logUrl?: string };
}): string {
  const lines = [
    failureMarker(input.deploymentId),
    `**${input.component} ${input.version} failed verification in ${input.environment}**, so it will not be promoted from there.`,
    "",
  ];
  for (const f of input.failed) {
    lines.push(`- \`${f.context}\`${f.targetUrl ? `: [the run](${f.targetUrl})` : ""}`);
  }
  if (input.outside) {
    const o = input.outside;
    lines.push(
      `- a deployment status from @${o.by}${o.description ? `: ${o.description}` : ""}${o.logUrl ? ` ([log](${o.logUrl}))` : ""}`,
    );
  }
  lines.push(
    "",
    `Fix it and deploy a new version, or run the jobs again; deployment ${input.deploymentId} records this.`,
  );
  return lines.join("\n");
}
