// Whether a deploy (or chart follow-up) pull request may be proposed on one read of the config repo: refuse, skip or go.
import { parseDeployMarker, parseDeployTrailer } from "./deploy-pr.js";
import { shortSha } from "./sha.js";
import { compareVersions, isSemver } from "./versions.js";

/** A pull request of the deploy branch, as plain data. */
export interface ProposalPull {
  number: number;
  url: string;
  body: string;
  merged: boolean;
}

/** Everything the decision reads: what is proposed, what the branch and its pull requests hold. */
export interface ProposalFacts {
  /** The marker's `component`: a component's name, or `chart:{name}` for a follow-up. */
  key: string;
  version: string;
  /** How users name it: `roc-api 1.3.0`. */
  label: string;
  branch: string;
  /** `owner/name` of the config repo. */
  where: string;
  open?: ProposalPull;
  /** Closed pull requests of the branch, newest first. */
  closed: readonly ProposalPull[];
  /** The plan's problems and its reason to propose nothing (a rollback, the current version). */
  plan: { problems: readonly string[]; skipped?: { reason: string } };
  /** The default branch's head commit. */
  baseSha: string;
  /** The branch's tip; null when it does not exist. */
  tip: { sha: string; message: string; parents: readonly string[] } | null;
}

export type ProposalDecision =
  | {
      status: "refused" | "skipped";
      message: string;
      pull?: { number: number; url: string };
      /** Whether the plan was looked at (it is not when the pull request rules it out first). */
      planned: boolean;
    }
  /** Propose: `upToDate` when the branch's tip is monobot's commit for this version on this base. */
  | { status: "propose"; upToDate: boolean };

function link(pull: ProposalPull): { number: number; url: string } {
  return { number: pull.number, url: pull.url };
}

/** The refusals and skips that the open pull request decides alone, before any plan. */
function decideOnOpenPull(f: ProposalFacts): ProposalDecision | undefined {
  const open = f.open;
  const proposed = parseDeployMarker(open?.body);
  if (!open || !proposed) return undefined;
  if (proposed.component !== f.key) {
    return {
      status: "refused",
      message: `\`${f.branch}\` on ${f.where} carries #${open.number} for ${proposed.component}, another component whose name gives the same branch; rename one of them in components.define.`,
      pull: link(open),
      planned: false,
    };
  }
  if (isSemver(proposed.version) && compareVersions(proposed.version, f.version) > 0) {
    return {
      status: "skipped",
      message: `${f.where}#${open.number} proposes ${f.key} ${proposed.version} already, newer than ${f.version}; left as is.`,
      pull: link(open),
      planned: false,
    };
  }
  return undefined;
}

/**
 * Decides, from one read of the config repo, whether to propose `facts.label`: refused (a branch
 * another component owns, a plan with problems, a tip monobot did not write), skipped (a newer
 * version proposed, nothing to change, a pull request closed for this version), or proposed.
 */
export function decideProposal(f: ProposalFacts): ProposalDecision {
  const early = decideOnOpenPull(f);
  if (early) return early;
  const { open, where, label } = f;
  const pull = open ? { pull: link(open) } : {};
  if (f.plan.problems.length > 0) {
    return {
      status: "refused",
      message: `monobot cannot propose ${label} on ${where}:\n${f.plan.problems.map((p) => `- ${p}`).join("\n")}`,
      planned: true,
    };
  }
  if (f.plan.skipped) {
    const stale =
      open && parseDeployMarker(open.body)?.version === f.version
        ? ` ${where}#${open.number}, which proposes it, has nothing left to change and can be closed.`
        : "";
    return {
      status: "skipped",
      message: `${label} on ${where}: ${f.plan.skipped.reason}${stale}`,
      ...pull,
      planned: true,
    };
  }
  if (!open) {
    const earlier = f.closed.find((p) => parseDeployMarker(p.body)?.version === f.version);
    if (earlier) {
      return {
        status: "skipped",
        message: `${where}#${earlier.number} proposed ${label} and was ${earlier.merged ? "merged" : "closed without merging"}; monobot does not propose it again.`,
        pull: link(earlier),
        planned: true,
      };
    }
  }
  const tip = f.tip;
  const tipDeploy = tip ? parseDeployTrailer(tip.message) : undefined;
  if (tip && !tipDeploy) {
    return {
      status: "refused",
      message: `\`${f.branch}\` on ${where} has a commit monobot did not write (${shortSha(tip.sha)}), so monobot does not overwrite it with ${label}. Merge or close ${open ? `#${open.number}` : "its pull request"} and delete the branch, and monobot opens a new pull request on the next publish.`,
      ...pull,
      planned: true,
    };
  }
  const upToDate =
    tip !== null &&
    tipDeploy?.component === f.key &&
    tipDeploy.version === f.version &&
    tip.parents.length === 1 &&
    tip.parents[0] === f.baseSha;
  return { status: "propose", upToDate };
}
