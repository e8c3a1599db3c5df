import { describe, expect, it } from "vitest";
import type { ReviewRecord } from "../../src/core/access-approvals.js";
import {
  ACCESS_CHECK,
  accessNeeds,
  annotatable,
  evaluateAccess,
  renderAccess,
  type AccessChange,
  type AccessFacts,
  type TeamMembers,
} from "../../src/core/access.js";
import { accessSectionChanged } from "../../src/core/access-rules.js";
import type { AccessConfig } from "../../src/core/policy-schema.js";
import type { ChangedFile } from "../../src/core/types.js";

const HEAD = "a".repeat(40);
const OLD = "b".repeat(40);

const access: AccessConfig = {
  rules: [
    {
      name: "infrastructure",
      paths: ["infra/**"],
      approve: { count: 2, teams: ["acme/platform"] },
    },
    {
      name: "site values",
      paths: ["sites/{site}/**"],
      approve: { count: 1, teams: ["acme/site-{site}-admins", "acme/platform"] },
    },
    {
      name: "production",
      environments: ["production"],
      approve: { count: 1, teams: ["acme/sre"] },
      commands: ["deploy-anyway"],
    },
  ],
  unmatched: "require",
  owners: { teams: ["acme/platform"] },
};

const TEAMS: Record<string, string[]> = {
  "acme/platform": ["pia", "pat", "pam"],
  "acme/site-emea-admins": ["emma"],
  "acme/site-apac-admins": ["abe"],
  "acme/sre": ["sam"],
};

const PERMISSIONS: Record<string, string | null> = {
  pia: "admin",
  pat: "write",
  pam: "write",
  emma: "write",
  abe: "write",
  sam: "maintain",
  rita: "read",
  wes: "write",
};

function modified(path: string): ChangedFile {
  return { path, status: "modified", additions: 1, deletions: 0 };
}

let reviewId = 0;
function approve(user: string, commitId = HEAD, extra: Partial<ReviewRecord> = {}): ReviewRecord {
  reviewId += 1;
  return {
    id: reviewId,
    user,
    state: "APPROVED",
    commitId,
    submittedAt: new Date(Date.UTC(2026, 0, 1, 0, reviewId)).toISOString(),
    ...extra,
  };
}
function review(user: string, state: string, commitId = HEAD): ReviewRecord {
  return approve(user, commitId, { state });
}

/** The shell's part, done from tables: read exactly what accessNeeds asks for. */
function evaluate(
  change: Partial<AccessChange> & Pick<AccessChange, "files">,
  reads: string[] = [],
) {
  const full: AccessChange = {
    access,
    author: "alice",
    headSha: HEAD,
    reviews: [],
    ...change,
  };
  const needs = accessNeeds(full);
  const teams = new Map<string, TeamMembers>();
  for (const t of needs.teams) {
    reads.push(t);
    const members = TEAMS[t.toLowerCase()];
    teams.set(
      t.toLowerCase(),
      members
        ? { ok: true, members: new Set(members) }
        : { ok: false, reason: "GitHub answered 404: no such team, or monobot may not read it" },
    );
  }
  const facts: AccessFacts = {
    teams,
    permissions: new Map(needs.permissions.map((p) => [p.toLowerCase(), PERMISSIONS[p] ?? null])),
  };
  const verdict = evaluateAccess(needs, facts, change.truncated ?? false);
  return { verdict, needs, result: renderAccess(verdict, { baseRef: "main", maxAnnotations: 50 }) };
}

function byName(v: ReturnType<typeof evaluate>["verdict"]) {
  return Object.fromEntries(v.verdicts.map((x) => [x.requirement.name, x.satisfied]));
}

describe("access evaluation (table)", () => {
  const cases: {
    name: string;
    files: ChangedFile[];
    reviews: ReviewRecord[];
    environments?: string[];
    unmatched?: AccessConfig["unmatched"];
    accessChanged?: boolean;
    expected: Record<string, boolean>;
    satisfied: boolean;
  }[] = [
    {
      name: "one approval of two from platform: infrastructure still fails",
      files: [modified("infra/net.tf")],
      reviews: [approve("pia")],
      expected: { infrastructure: false },
      satisfied: false,
    },
    {
      name: "two distinct platform approvers satisfy the count",
      files: [modified("infra/net.tf")],
      reviews: [approve("pia"), approve("pat")],
      expected: { infrastructure: true },
      satisfied: true,
    },
    {
      name: "the same approver twice counts once",
      files: [modified("infra/net.tf")],
      reviews: [approve("pia"), approve("pia")],
      expected: { infrastructure: false },
      satisfied: false,
    },
    {
      name: "AND across rules: infra satisfied, site values missing",
      files: [modified("infra/net.tf"), modified("sites/emea/values.yaml")],
      reviews: [approve("pia"), approve("pat")],
      // platform is also listed on the site rule, so pia's approval counts there too (OR)
      expected: { infrastructure: true, "site values (site: emea)": true },
      satisfied: true,
    },
    {
      name: "OR within a rule: the captured site's admins or platform",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("emma")],
      expected: { "site values (site: emea)": true },
      satisfied: true,
    },
    {
      name: "captured segments: another site's admin does not count",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("abe")],
      expected: { "site values (site: emea)": false },
      satisfied: false,
    },
    {
      name: "two sites are two requirements (AND)",
      files: [modified("sites/emea/a.yaml"), modified("sites/apac/b.yaml")],
      reviews: [approve("emma")],
      expected: { "site values (site: emea)": true, "site values (site: apac)": false },
      satisfied: false,
    },
    {
      name: "a stale approval (an earlier commit) does not count",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("emma", OLD)],
      expected: { "site values (site: emea)": false },
      satisfied: false,
    },
    {
      name: "self-approval does not count",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("alice")],
      expected: { "site values (site: emea)": false },
      satisfied: false,
    },
    {
      name: "a bot's approval does not count",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("renovate[bot]", HEAD, { userType: "Bot" })],
      expected: { "site values (site: emea)": false },
      satisfied: false,
    },
    {
      name: "a dismissed review does not count",
      files: [modified("sites/emea/values.yaml")],
      reviews: [review("emma", "DISMISSED")],
      expected: { "site values (site: emea)": false },
      satisfied: false,
    },
    {
      name: "a later changes-requested withdraws the approval",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("emma"), review("emma", "CHANGES_REQUESTED")],
      expected: { "site values (site: emea)": false },
      satisfied: false,
    },
    {
      name: "a later comment-only review keeps the approval",
      files: [modified("sites/emea/values.yaml")],
      reviews: [approve("emma"), review("emma", "COMMENTED")],
      expected: { "site values (site: emea)": true },
      satisfied: true,
    },
    {
      name: "a non-member's approval does not count",
      files: [modified("infra/net.tf")],
      reviews: [approve("wes"), approve("pia")],
      expected: { infrastructure: false },
      satisfied: false,
    },
    {
      name: "unmatched require: one approval from anyone with write",
      files: [modified("README.md")],
      reviews: [approve("wes")],
      expected: { "files no rule covers": true },
      satisfied: true,
    },
    {
      name: "unmatched require: read access is not enough",
      files: [modified("README.md")],
      reviews: [approve("rita")],
      expected: { "files no rule covers": false },
      satisfied: false,
    },
    {
      name: "unmatched allow: nothing to approve",
      files: [modified("README.md")],
      reviews: [],
      unmatched: "allow",
      expected: {},
      satisfied: true,
    },
    {
      name: "unmatched deny: no approval helps",
      files: [modified("README.md")],
      reviews: [approve("pia")],
      unmatched: "deny",
      expected: { "files no rule covers": false },
      satisfied: false,
    },
    {
      name: "rename into a protected path needs that rule",
      files: [{ ...modified("infra/moved.tf"), status: "renamed", previousPath: "docs/moved.tf" }],
      reviews: [approve("wes")],
      expected: { infrastructure: false, "files no rule covers": true },
      satisfied: false,
    },
    {
      name: "rename out of a protected path still needs that rule",
      files: [{ ...modified("docs/moved.tf"), status: "renamed", previousPath: "infra/moved.tf" }],
      reviews: [approve("wes")],
      expected: { infrastructure: false, "files no rule covers": true },
      satisfied: false,
    },
    {
      name: "deleting a protected file needs its rule",
      files: [{ ...modified("infra/old.tf"), status: "removed" }],
      reviews: [approve("pia")],
      expected: { infrastructure: false },
      satisfied: false,
    },
    {
      name: "the access rules change: the owners must approve, base rules still apply",
      files: [modified(".github/monobot.yml")],
      reviews: [approve("wes")],
      accessChanged: true,
      expected: { "files no rule covers": true, "access owners": false },
      satisfied: false,
    },
    {
      name: "the access rules change with an owner's approval",
      files: [modified(".github/monobot.yml")],
      reviews: [approve("pam")],
      accessChanged: true,
      expected: { "files no rule covers": true, "access owners": true },
      satisfied: true,
    },
    {
      name: "an environment's pins move: that environment's rule applies",
      files: [],
      environments: ["production"],
      reviews: [approve("pia")],
      expected: { production: false },
      satisfied: false,
    },
    {
      name: "an environment's pins move, SRE approves",
      files: [],
      environments: ["production", "staging"],
      reviews: [approve("sam")],
      expected: { production: true },
      satisfied: true,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { verdict, result } = evaluate({
        access: { ...access, unmatched: c.unmatched ?? "require" },
        files: c.files,
        reviews: c.reviews,
        ...(c.environments ? { environments: c.environments } : {}),
        ...(c.accessChanged ? { accessChanged: true, policyFile: ".github/monobot.yml" } : {}),
      });
      expect(byName(verdict)).toEqual(c.expected);
      expect(verdict.satisfied).toBe(c.satisfied);
      expect(result.name).toBe(ACCESS_CHECK);
      expect(result.conclusion).toBe(c.satisfied ? "success" : "failure");
    });
  }
});

describe("what the check says", () => {
  it("names per rule what is satisfied and what is missing, and who approved", () => {
    const { result } = evaluate({
      files: [modified("infra/net.tf"), modified("sites/emea/values.yaml")],
      reviews: [approve("pia"), approve("alice"), approve("emma", OLD)],
    });
    expect(result.summary).toContain(
      "❌ infrastructure: 1 of 2 approvals from @acme/platform; approved by @pia",
    );
    expect(result.summary).toContain(
      "✅ site values (site: emea): 1 of 1 approval from @acme/site-emea-admins or @acme/platform; approved by @pia",
    );
    expect(result.summary).toContain("@alice: the author cannot approve their own pull request");
    expect(result.summary).toContain("@emma: approved an earlier commit (bbbbbbb)");
    expect(result.title).toBe("1 access rule of 2 not satisfied");
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        path: "infra/net.tf",
        level: "warning",
        message: "Needs 2 approvals from @acme/platform on the pull request's latest commit.",
      }),
    );
    expect(result.annotations).toContainEqual(
      expect.objectContaining({ path: "sites/emea/values.yaml", level: "notice" }),
    );
  });

  it("an unknown team counts no approvers and the check says which and why", () => {
    const { result, verdict } = evaluate({
      access: {
        ...access,
        rules: [{ name: "ghosts", paths: ["**"], approve: { count: 1, teams: ["acme/ghosts"] } }],
      },
      files: [modified("a.txt")],
      reviews: [approve("pia")],
    });
    expect(verdict.satisfied).toBe(false);
    expect(result.summary).toContain("@acme/ghosts counts no approvers: GitHub answered 404");
    expect(result.summary).toContain("`members: read`");
  });

  it("a captured segment that is no team name counts no approvers, and is never looked up", () => {
    const reads: string[] = [];
    const { result } = evaluate(
      {
        files: [modified("sites/we ird/values.yaml")],
        reviews: [approve("pia")],
      },
      reads,
    );
    expect(reads).not.toContain("acme/site-we ird-admins");
    expect(result.summary).toContain("`acme/site-we ird-admins` is not a team name");
    // platform is the other team of the rule: pia's approval still counts through it
    expect(result.conclusion).toBe("success");
  });

  it("reads each distinct team once, and no team when nobody approved", () => {
    const reads: string[] = [];
    evaluate(
      {
        files: [modified("infra/a.tf"), modified("infra/b.tf"), modified("sites/emea/x.yaml")],
        reviews: [approve("pia")],
      },
      reads,
    );
    expect(reads.sort()).toEqual(["acme/platform", "acme/site-emea-admins"]);
    const none: string[] = [];
    evaluate({ files: [modified("infra/a.tf")], reviews: [] }, none);
    expect(none).toEqual([]);
  });

  it("a listing cut at 3,000 files fails: the other files' rules are unknown", () => {
    const { result } = evaluate({
      files: [modified("README.md")],
      reviews: [approve("wes")],
      truncated: true,
    });
    expect(result.conclusion).toBe("failure");
    expect(result.summary).toContain("at most 3,000 files");
  });

  it("no annotation on a deleted file (it does not exist at the head)", () => {
    const files: ChangedFile[] = [{ ...modified("infra/old.tf"), status: "removed" }];
    const { result } = evaluate({ files, reviews: [] });
    expect(result.annotations.map((a) => a.path)).toEqual(["infra/old.tf"]);
    expect(annotatable(result, files).annotations).toEqual([]);
    expect(result.summary).toContain("`infra/old.tf`");
  });

  it("no rule applies: success, and says so", () => {
    const { result } = evaluate({
      access: { ...access, unmatched: "allow" },
      files: [modified("README.md")],
    });
    expect(result.conclusion).toBe("success");
    expect(result.title).toBe("No access rule applies");
  });
});

describe("whether a change edits the access rules", () => {
  it("compares the merged sections, not their layout", () => {
    const same = structuredClone(access);
    expect(accessSectionChanged(access, { ok: true, access: same })).toBe(false);
    const looser = structuredClone(access);
    looser.rules[0]!.approve.count = 1;
    expect(accessSectionChanged(access, { ok: true, access: looser })).toBe(true);
    expect(accessSectionChanged(access, { ok: true, access: undefined })).toBe(true);
    expect(accessSectionChanged(undefined, { ok: true, access })).toBe(true);
    expect(accessSectionChanged(access, { ok: false })).toBe(true);
    expect(accessSectionChanged(undefined, { ok: true, access: undefined })).toBe(false);
  });
});
