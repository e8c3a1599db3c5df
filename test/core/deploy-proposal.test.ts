// The deploy PR's refuse/skip/propose decisions as a table over plain data.
import { describe, expect, it } from "vitest";
import { deployMarker } from "../../src/core/deploy-pr.js";
import {
  decideProposal,
  type ProposalFacts,
  type ProposalPull,
} from "../../src/core/deploy-proposal.js";

const BASE = "b".repeat(40);
const OLD_BASE = "a".repeat(40);

function pull(number: number, component: string, version: string, merged = false): ProposalPull {
  return {
    number,
    url: `https://github.com/acme/config/pull/${number}`,
    body: `Deploy\n\n${deployMarker({ component, version })}\n`,
    merged,
  };
}

function tip(component: string | null, version: string, parent = BASE) {
  return {
    sha: "c".repeat(40),
    message: component
      ? `Deploy ${component} ${version}\n\nMonobot-Deploy: component=${component} version=${version}`
      : "hand-made fix",
    parents: [parent],
  };
}

function facts(over: Partial<ProposalFacts> = {}): ProposalFacts {
  return {
    key: "roc-api",
    version: "1.4.0",
    label: "roc-api 1.4.0",
    branch: "monobot/deploy-roc-api",
    where: "acme/config",
    closed: [],
    plan: { problems: [] },
    baseSha: BASE,
    tip: null,
    ...over,
  };
}

const cases: {
  name: string;
  facts: Partial<ProposalFacts>;
  status: string;
  message?: RegExp;
  pull?: number;
  upToDate?: boolean;
}[] = [
  { name: "nothing there yet: propose", facts: {}, status: "propose", upToDate: false },
  {
    name: "another component's PR on the same branch: refuse",
    facts: { open: pull(3, "roc-web", "1.3.0") },
    status: "refused",
    message: /carries #3 for roc-web, another component whose name gives the same branch/,
    pull: 3,
  },
  {
    name: "a newer version proposed already: skip",
    facts: { open: pull(3, "roc-api", "1.5.0") },
    status: "skipped",
    message: /^acme\/config#3 proposes roc-api 1\.5\.0 already, newer than 1\.4\.0; left as is\.$/,
    pull: 3,
  },
  {
    name: "an older version proposed: propose over it",
    facts: { open: pull(3, "roc-api", "1.3.0"), tip: tip("roc-api", "1.3.0", OLD_BASE) },
    status: "propose",
    upToDate: false,
  },
  {
    name: "a plan with problems: refuse, listing them",
    facts: { plan: { problems: ["charts/roc-api has no Chart.yaml"] } },
    status: "refused",
    message:
      /cannot propose roc-api 1\.4\.0 on acme\/config:\n- charts\/roc-api has no Chart\.yaml$/,
  },
  {
    name: "a rollback: skip",
    facts: { plan: { problems: [], skipped: { reason: "1.4.0 would be a rollback" } } },
    status: "skipped",
    message: /^roc-api 1\.4\.0 on acme\/config: 1\.4\.0 would be a rollback$/,
  },
  {
    name: "nothing left to change in the PR of this version: skip, and say it can be closed",
    facts: {
      open: pull(3, "roc-api", "1.4.0"),
      plan: { problems: [], skipped: { reason: "main runs 1.4.0 already" } },
    },
    status: "skipped",
    message: /#3, which proposes it, has nothing left to change and can be closed\.$/,
    pull: 3,
  },
  {
    name: "a PR of this version was merged: not proposed again",
    facts: { closed: [pull(2, "roc-api", "1.4.0", true)] },
    status: "skipped",
    message: /#2 proposed roc-api 1\.4\.0 and was merged; monobot does not propose it again\./,
    pull: 2,
  },
  {
    name: "a PR of an older version was closed: propose",
    facts: { closed: [pull(2, "roc-api", "1.3.0")] },
    status: "propose",
    upToDate: false,
  },
  {
    name: "a tip monobot did not write: refuse, never overwrite",
    facts: { open: pull(3, "roc-api", "1.3.0"), tip: tip(null, "") },
    status: "refused",
    message: /has a commit monobot did not write \(ccccccc\).*Merge or close #3/,
    pull: 3,
  },
  {
    name: "monobot's commit of this version on this base: up to date",
    facts: { open: pull(3, "roc-api", "1.4.0"), tip: tip("roc-api", "1.4.0") },
    status: "propose",
    upToDate: true,
  },
  {
    name: "monobot's commit of this version on an older base: rebuild",
    facts: { open: pull(3, "roc-api", "1.4.0"), tip: tip("roc-api", "1.4.0", OLD_BASE) },
    status: "propose",
    upToDate: false,
  },
];

describe("decideProposal", () => {
  it.each(cases)("$name", ({ facts: over, status, message, pull: number, upToDate }) => {
    const d = decideProposal(facts(over));
    expect(d.status).toBe(status);
    if (d.status === "propose") {
      expect(d.upToDate).toBe(upToDate);
      return;
    }
    expect(d.message).toMatch(message as RegExp);
    expect(d.pull?.number).toBe(number);
  });

  it("the pull request rules first: a colliding branch is refused before the plan is looked at", () => {
    const d = decideProposal(
      facts({ open: pull(3, "roc-web", "1.3.0"), plan: { problems: ["broken"] } }),
    );
    expect(d).toMatchObject({ status: "refused", planned: false });
  });
});
