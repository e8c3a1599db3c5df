// The deployment gate per environment: the freeze windows that hold a pull request moving some environments' pins, and whether monobot may merge its own pull request into them.
import { DEPLOY_BRANCH_PREFIX } from "./deploy-pr.js";
import { environmentList } from "./environments.js";
import type { FreezeWindowConfig, Policy } from "./policy.js";

/** The branch of the promotion pull request of `component` into `environment` (automatic or `/promote`). */
export const PROMOTE_BRANCH_PREFIX = "monobot/promote-";
/** The branch of a `/rollback` pull request. */
export const ROLLBACK_BRANCH_PREFIX = "monobot/rollback-";

export function promotionBranch(component: string, environment: string): string {
  return `${PROMOTE_BRANCH_PREFIX}${component}-${environment}`;
}

export function rollbackBranch(component: string, environment: string): string {
  return `${ROLLBACK_BRANCH_PREFIX}${component}-${environment}`;
}

/**
 * The freeze windows that hold a pull request moving the pins of `touched` environments: the
 * repository's `deploy.freeze`, then each touched environment's own `freeze`, its reason naming the
 * environment so the check says whose window it is.
 */
export function gateFreeze(
  deploy: Pick<Policy["deploy"], "freeze" | "environments">,
  touched: readonly string[],
): FreezeWindowConfig[] {
  const out: FreezeWindowConfig[] = [...deploy.freeze];
  for (const env of environmentList(deploy.environments)) {
    if (!touched.includes(env.name)) continue;
    for (const w of env.freeze ?? []) out.push({ ...w, reason: `${w.reason} (${env.name})` });
  }
  return out;
}

/** Whether any freeze window could ever hold a pull request of this repository. */
export function hasAnyFreeze(deploy: Pick<Policy["deploy"], "freeze" | "environments">): boolean {
  return (
    deploy.freeze.length > 0 ||
    environmentList(deploy.environments).some((e) => (e.freeze ?? []).length > 0)
  );
}

/** Whether monobot may merge its own pull requests anywhere in this repository. */
export function hasAnyAutoMerge(
  deploy: Pick<Policy["deploy"], "auto_merge" | "environments">,
): boolean {
  return (
    deploy.auto_merge || environmentList(deploy.environments).some((e) => e.auto_merge === true)
  );
}

/**
 * Whether monobot merges its own pull request once the gate is open: a pull request that moves
 * environments' pins only when every one of them allows it (an environment's `auto_merge`, else
 * `deploy.auto_merge`); one that moves none (a deploy without environments) by `deploy.auto_merge`.
 */
export function autoMergeAllowed(
  deploy: Pick<Policy["deploy"], "auto_merge" | "environments">,
  touched: readonly string[],
): boolean {
  if (touched.length === 0) return deploy.auto_merge;
  const list = environmentList(deploy.environments);
  return touched.every((name) => {
    const env = list.find((e) => e.name === name);
    return (env?.auto_merge ?? deploy.auto_merge) === true;
  });
}

/** Whether a pull request is one of monobot's own into the config repo (deploy, promotion, rollback), not from a fork. */
export function isOwnEnvironmentPull(
  pr: { headRef: string; author: string; fromFork: boolean },
  botLogin: string,
): boolean {
  if (pr.fromFork || pr.author !== botLogin) return false;
  return [DEPLOY_BRANCH_PREFIX, PROMOTE_BRANCH_PREFIX, ROLLBACK_BRANCH_PREFIX].some((p) =>
    pr.headRef.startsWith(p),
  );
}
