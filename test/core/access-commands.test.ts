import { describe, expect, it } from "vitest";
import { commandRules, commandTeams, mayRunCommand } from "../../src/core/access-commands.js";
import type { TeamMembers } from "../../src/core/access.js";
import type { AccessConfig } from "../../src/core/policy-schema.js";
import type { ChangedFile } from "../../src/core/types.js";

const access: AccessConfig = {
  rules: [
    {
      name: "infrastructure",
      paths: ["infra/**"],
      approve: { count: 2, teams: ["acme/platform"] },
      commands: ["bump", "recheck"],
    },
    {
      name: "site values",
      paths: ["sites/{site}/**"],
      approve: { count: 1, teams: ["acme/site-{site}-admins"] },
      commands: ["bump"],
    },
    {
      name: "production",
      environments: ["production"],
      approve: { count: 1, teams: ["acme/sre"] },
      commands: ["deploy-anyway"],
    },
  ],
  owners: { teams: ["acme/platform"] },
};

const teams = new Map<string, TeamMembers>([
  ["acme/platform", { ok: true, members: new Set(["pia"]) }],
  ["acme/site-emea-admins", { ok: true, members: new Set(["emma", "pia"]) }],
  ["acme/sre", { ok: true, members: new Set(["sam"]) }],
  ["acme/site-apac-admins", { ok: false, reason: "GitHub answered 403" }],
]);

const file = (path: string): ChangedFile => ({
  path,
  status: "modified",
  additions: 1,
  deletions: 0,
});
const ADMIN_FALLBACK = { allowed: false, reason: "only admins of this repository may use it." };
const WRITE_FALLBACK = { allowed: true, reason: "trusted: write permission." };

describe("may this actor run this command here (table)", () => {
  const cases: {
    name: string;
    command: string;
    actor: string;
    files?: string[];
    environments?: string[];
    access?: AccessConfig;
    fallback: { allowed: boolean; reason: string };
    allowed: boolean;
    rule?: string;
    reason?: RegExp;
  }[] = [
    {
      name: "no access section: the usual permission decides",
      command: "deploy-anyway",
      actor: "sam",
      environments: ["production"],
      fallback: ADMIN_FALLBACK,
      allowed: false,
      reason: /only admins/,
    },
    {
      name: "the environment's rule lets SRE run it (no admin needed)",
      command: "deploy-anyway",
      actor: "sam",
      environments: ["production"],
      access,
      fallback: ADMIN_FALLBACK,
      allowed: true,
    },
    {
      name: "the environment's rule refuses a non-member, naming the rule",
      command: "deploy-anyway",
      actor: "pia",
      environments: ["production"],
      access,
      fallback: { allowed: true, reason: "admin" },
      allowed: false,
      rule: "production",
      reason:
        /the access rule "production" covers environment production and lets only members of @acme\/sre run it/,
    },
    {
      name: "another environment: no rule decides, the usual permission stands",
      command: "deploy-anyway",
      actor: "pia",
      environments: ["staging"],
      access,
      fallback: { allowed: true, reason: "admin" },
      allowed: true,
    },
    {
      name: "a command no rule names: the usual permission stands",
      command: "retest",
      actor: "wes",
      files: ["infra/a.tf"],
      access,
      fallback: WRITE_FALLBACK,
      allowed: true,
    },
    {
      name: "a path rule with captured segments: that site's admins",
      command: "bump",
      actor: "emma",
      files: ["sites/emea/values.yaml"],
      access,
      fallback: WRITE_FALLBACK,
      allowed: true,
    },
    {
      name: "AND across rules: infra and a site, the site admin is not platform",
      command: "bump",
      actor: "emma",
      files: ["sites/emea/values.yaml", "infra/a.tf"],
      access,
      fallback: WRITE_FALLBACK,
      allowed: false,
      rule: "infrastructure",
      reason: /covers `infra\/a\.tf` and lets only members of @acme\/platform/,
    },
    {
      name: "AND across rules: a member of both",
      command: "bump",
      actor: "pia",
      files: ["sites/emea/values.yaml", "infra/a.tf"],
      access,
      fallback: WRITE_FALLBACK,
      allowed: true,
    },
    {
      name: "an unreadable team refuses and says why",
      command: "bump",
      actor: "abe",
      files: ["sites/apac/values.yaml"],
      access,
      fallback: WRITE_FALLBACK,
      allowed: false,
      rule: "site values",
      reason: /@acme\/site-apac-admins could not be read \(GitHub answered 403\)/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const rules = commandRules({
        access: c.access,
        command: c.command,
        ...(c.files ? { files: c.files.map(file) } : {}),
        ...(c.environments ? { environments: c.environments } : {}),
      });
      const decision = mayRunCommand({
        command: c.command,
        actor: c.actor,
        rules,
        teams,
        fallback: c.fallback,
      });
      expect(decision.allowed).toBe(c.allowed);
      if (c.rule) expect(decision.rule).toBe(c.rule);
      if (c.reason) expect(decision.reason).toMatch(c.reason);
    });
  }

  it("lists the distinct teams to read, captures filled in", () => {
    const rules = commandRules({
      access,
      command: "bump",
      files: [file("infra/a.tf"), file("infra/b.tf"), file("sites/emea/x"), file("sites/apac/y")],
    });
    expect(commandTeams(rules).sort()).toEqual([
      "acme/platform",
      "acme/site-apac-admins",
      "acme/site-emea-admins",
    ]);
  });
});
