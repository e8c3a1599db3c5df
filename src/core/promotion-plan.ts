// The pull requests `/promote` and `/rollback` open: which version goes where, the pin edits, and what the pull request says.
import type { EnvCell, EnvPin } from "./env-matrix.js";
import { promotionBranch, rollbackBranch } from "./env-gate.js";
import { planPinMove, type PinEdit } from "./env-pin-edits.js";
import { holdOf, verifiedVersions, type DeploymentRecord } from "./env-record.js";
import {
  environmentNames,
  findEnvironment,
  previousEnvironment,
  type EnvironmentsConfig,
} from "./environments.js";

export interface EnvironmentPrInput {
  environments: EnvironmentsConfig;
  /** Every environment's pins of every component (expandEnvironmentPins). */
  pins: readonly EnvPin[];
  /** What each environment runs now, on the default branch (environmentMatrix's cells). */
  cells: readonly EnvCell[];
  /** Deployments of the environments involved. */
  records: readonly DeploymentRecord[];
  component: string;
  environment: string;
  /** `/rollback`'s version, when named. */
  version?: string;
  by: string;
}

export type EnvironmentPrPlan =
  | {
      ok: true;
      branch: string;
      version: string;
      edits: PinEdit[];
      title: string;
      body: string;
      commitMessage: string;
    }
  | { ok: false; reply: string };

function refuse(reply: string): EnvironmentPrPlan {
  return { ok: false, reply };
}

/** The environment and component exist and the environment pins the component. */
export function environmentCommandProblem(
  input: Pick<EnvironmentPrInput, "environments" | "pins" | "component" | "environment">,
  command: string,
): EnvironmentPrPlan | undefined {
  const names = environmentNames(input.environments);
  if (names.length === 0) {
    return refuse(
      `\`/${command}\` works on a config repo with \`deploy.environments\` in its .github/monobot.yml; this repository has none.`,
    );
  }
  if (!findEnvironment(input.environments, input.environment)) {
    return refuse(
      `there is no environment "${input.environment}"; the environments are ${names.join(", ")}.`,
    );
  }
  if (
    !input.pins.some((p) => p.component === input.component && p.environment === input.environment)
  ) {
    const components = [...new Set(input.pins.map((p) => p.component))].sort();
    return refuse(
      `${input.environment} pins no component "${input.component}"; it pins ${components.join(", ") || "nothing yet"}.`,
    );
  }
  return undefined;
}

function current(input: EnvironmentPrInput): string | undefined {
  return input.cells.find(
    (c) => c.component === input.component && c.environment === input.environment,
  )?.version;
}

function plan(
  input: EnvironmentPrInput,
  branch: string,
  version: string,
  title: string,
  body: string[],
): EnvironmentPrPlan {
  const edits = planPinMove(input.pins, {
    environment: input.environment,
    component: input.component,
    version,
  });
  return {
    ok: true,
    branch,
    version,
    edits,
    title,
    body: body.join("\n"),
    commitMessage: `${title}\n\nRequested by @${input.by}.`,
  };
}

/**
 * `/promote C E`: the newest version of C verified in the environment before E, now (the soak is
 * skipped, the verification never). The first environment is written by deploy pull requests.
 */
export function planPromotion(input: EnvironmentPrInput): EnvironmentPrPlan {
  const problem = environmentCommandProblem(input, "promote");
  if (problem) return problem;
  const previous = previousEnvironment(input.environments, input.environment);
  if (!previous) {
    return refuse(
      `${input.environment} is the first environment: deploy pull requests write it, nothing is promoted into it.`,
    );
  }
  const [version] = verifiedVersions(input.records, previous.name, input.component);
  if (version === undefined) {
    return refuse(
      `no version of ${input.component} is verified in ${previous.name} yet, so there is nothing to promote into ${input.environment}.`,
    );
  }
  const now = current(input);
  if (now === version) {
    return refuse(
      `${input.environment} runs ${input.component} ${version} already, the newest version verified in ${previous.name}.`,
    );
  }
  const record = holdOf(input.records, input.environment, input.component);
  const hold = record?.held ? record : undefined;
  const title = `Promote ${input.component} ${version} to ${input.environment}`;
  return plan(input, promotionBranch(input.component, input.environment), version, title, [
    `Promotes **${input.component}** from ${now ?? "(none)"} to **${version}** in **${input.environment}**: the newest version verified in ${previous.name}.`,
    "",
    `Requested by @${input.by} with \`/promote\` (the soak is skipped; \`monobot/promotion\` still checks the verification).`,
    ...(hold
      ? [
          "",
          `Note: ${input.environment} holds ${input.component} (@${hold.by}: ${hold.reason}); automation would not promote it.`,
        ]
      : []),
  ]);
}

/**
 * `/rollback C E [V]`: V, or the newest version verified in E that is not the one E runs now; the
 * environment is put on hold for C by the caller, so automation does not promote the bad version
 * again.
 */
export function planRollback(input: EnvironmentPrInput): EnvironmentPrPlan {
  const problem = environmentCommandProblem(input, "rollback");
  if (problem) return problem;
  const now = current(input);
  const version =
    input.version ??
    verifiedVersions(input.records, input.environment, input.component).find((v) => v !== now);
  if (version === undefined) {
    return refuse(
      `no earlier version of ${input.component} is verified in ${input.environment}; name one: \`/rollback ${input.component} ${input.environment} VERSION\`.`,
    );
  }
  if (version === now) {
    return refuse(`${input.environment} runs ${input.component} ${version} already.`);
  }
  const title = `Roll back ${input.component} to ${version} in ${input.environment}`;
  return plan(input, rollbackBranch(input.component, input.environment), version, title, [
    `Rolls **${input.component}** back from ${now ?? "(none)"} to **${version}** in **${input.environment}**.`,
    "",
    `Requested by @${input.by} with \`/rollback\`. ${input.environment} is on hold for ${input.component}: automation promotes no version of it there until someone comments \`/unhold ${input.component} ${input.environment}\`.`,
  ]);
}
