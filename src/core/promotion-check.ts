// monobot/promotion: a config-repo pull request may move an environment's pin only to a version verified in the environment before it.
import type { PinChange } from "./env-pin-edits.js";
import { isVerified, verifiedVersions, type DeploymentRecord } from "./env-record.js";
import { environmentList, previousEnvironment, type EnvironmentsConfig } from "./environments.js";
import type { DeployOverride } from "./freeze.js";
import type { Annotation, CheckResult } from "./types.js";

export const PROMOTION_CHECK = "monobot/promotion";

/** How monobot/promotion judges one moved pin. */
export type PinVerdict =
  | { kind: "first"; change: PinChange }
  | { kind: "removed"; change: PinChange }
  | { kind: "verified"; change: PinChange; previous: string }
  | { kind: "unverified"; change: PinChange; previous: string; verified: string[] }
  | { kind: "unknown-environment"; change: PinChange };

export interface PromotionCheckInput {
  environments: EnvironmentsConfig;
  /** The pins the pull request moves, base -> head (changedPins). */
  moved: readonly PinChange[];
  /** The config repo's deployments (tasks `deploy`), newest or not. */
  records: readonly DeploymentRecord[];
  /** An admin's `/deploy-anyway` given for the current head. */
  override?: DeployOverride;
}

/** The verdict on each moved pin, in the order given. */
export function judgePins(input: PromotionCheckInput): PinVerdict[] {
  const names = new Set(environmentList(input.environments).map((e) => e.name));
  return input.moved.map((change): PinVerdict => {
    if (!names.has(change.environment)) return { kind: "unknown-environment", change };
    const previous = previousEnvironment(input.environments, change.environment);
    if (!previous) return { kind: "first", change };
    if (change.to === undefined) return { kind: "removed", change };
    if (isVerified(input.records, previous.name, change.component, change.to)) {
      return { kind: "verified", change, previous: previous.name };
    }
    return {
      kind: "unverified",
      change,
      previous: previous.name,
      verified: verifiedVersions(input.records, previous.name, change.component).slice(0, 3),
    };
  });
}

function line(v: PinVerdict): string {
  const c = v.change;
  const move = `${c.component} in ${c.environment}: ${c.from ?? "(none)"} -> ${c.to ?? "(removed)"}`;
  switch (v.kind) {
    case "first":
      return `- ${move}: ${c.environment} is the first environment, written by deploy pull requests`;
    case "removed":
      return `- ${move}: the pin is removed, nothing to verify`;
    case "verified":
      return `- ${move}: verified in ${v.previous}`;
    case "unknown-environment":
      return `- ${move}: not an environment of deploy.environments`;
    case "unverified":
      return `- ${move}: **not verified in ${v.previous}**`;
  }
}

function annotation(v: Extract<PinVerdict, { kind: "unverified" }>): Annotation {
  const c = v.change;
  const known =
    v.verified.length > 0
      ? ` Verified there: ${v.verified.join(", ")}.`
      : ` No version of ${c.component} is verified there yet.`;
  return {
    path: c.file,
    start_line: c.line,
    end_line: c.line,
    level: "failure",
    message: `${c.environment} takes only versions verified in ${v.previous}, and ${c.component} ${c.to ?? ""} is not (its newest deployment there has not succeeded).${known} Deploy it to ${v.previous} first, or use /promote ${c.component} ${c.environment}.`,
  };
}

/**
 * monobot/promotion for a pull request: success when each moved pin of a later environment holds
 * a version verified in the environment before it (the first environment's pins need nothing),
 * failure otherwise with an annotation on each refused pin, neutral when an admin overrode it for
 * this head.
 */
export function promotionCheck(input: PromotionCheckInput): CheckResult {
  const verdicts = judgePins(input);
  const base = { name: PROMOTION_CHECK };
  if (verdicts.length === 0) {
    return {
      ...base,
      conclusion: "success",
      title: "No environment's pins change",
      summary: "This pull request moves no pin of `deploy.environments`, so nothing is promoted.",
      annotations: [],
    };
  }
  const refused = verdicts.filter(
    (v): v is Extract<PinVerdict, { kind: "unverified" }> => v.kind === "unverified",
  );
  const lines = verdicts.map(line);
  if (refused.length === 0) {
    return {
      ...base,
      conclusion: "success",
      title: `${verdicts.length} pin${verdicts.length === 1 ? "" : "s"} moved, each allowed`,
      summary: ["Every moved pin takes a version verified where it comes from:", "", ...lines].join(
        "\n",
      ),
      annotations: [],
    };
  }
  const first = refused[0] as Extract<PinVerdict, { kind: "unverified" }>;
  const what = `${first.change.component} ${first.change.to ?? ""} is not verified in ${first.previous}`;
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more)` : "";
  if (input.override) {
    return {
      ...base,
      conclusion: "neutral",
      title: `Overridden by @${input.override.by}: ${what}${more}`.slice(0, 200),
      summary: [
        `**Promotion check overridden.** @${input.override.by} let this head through with \`/deploy-anyway\`: ${input.override.reason}`,
        "",
        ...lines,
      ].join("\n"),
      annotations: refused.map((v) => ({ ...annotation(v), level: "warning" as const })),
    };
  }
  return {
    ...base,
    conclusion: "failure",
    title: `${what}${more}`,
    summary: [
      "An environment after the first takes only versions verified in the environment before it (its newest deployment of that version succeeded), recomputed on this pull request's head:",
      "",
      ...lines,
      "",
      "To let this head through anyway, an admin comments `/deploy-anyway REASON`.",
    ].join("\n"),
    annotations: refused.map(annotation),
  };
}
