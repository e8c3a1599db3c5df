// The comment decision, table-driven: who may run what, each command's outcome, a closed pull request.
import { describe, expect, it } from "vitest";
import { mayRunCommand, needsPermission, type ActorFacts } from "../../src/core/command-access.js";
import { commentNeedsPermission, decideComment } from "../../src/core/comment-commands.js";
import { commandTable, parseCommands, type CommandName } from "../../src/core/commands.js";
import { resolvePolicy, type Policy } from "../../src/core/policy.js";

function policyOf(yaml = ""): Policy {
  const r = resolvePolicy(yaml ? [{ file: ".github/monobot.yml", text: yaml }] : []);
  if (!r.ok) throw new Error("bad test policy");
  return r.policy;
}

const POLICY = policyOf(
  "jobs:\n  templates:\n    verify:\n      on: pull_request\n      backend: { type: github-actions, workflow: ci.yml }\n",
);
const spec = (name: CommandName) => commandTable.find((c) => c.name === name)!;
const member: ActorFacts = {
  login: "alice",
  association: "MEMBER",
  isPrAuthor: false,
  prFromFork: false,
};
const stranger: ActorFacts = { ...member, login: "eve", association: "NONE", permission: null };

describe("mayRunCommand", () => {
  it.each<[string, CommandName, ActorFacts, boolean]>([
    ["a member reruns", "recheck", member, true],
    ["a stranger may not rerun", "recheck", stranger, false],
    [
      "a write collaborator reruns",
      "retest",
      { ...stranger, association: "COLLABORATOR", permission: "write" },
      true,
    ],
    [
      "a read collaborator may not",
      "retest",
      { ...stranger, association: "COLLABORATOR", permission: "read" },
      false,
    ],
    ["the author bumps their own PR", "bump", { ...stranger, isPrAuthor: true }, true],
    [
      "a fork's author may not bump",
      "bump",
      { ...stranger, isPrAuthor: true, prFromFork: true },
      false,
    ],
    ["anyone asks for help", "help", stranger, true],
    ["an admin overrides the gate", "deploy-anyway", { ...member, permission: "admin" }, true],
    [
      "a member with write may not override",
      "deploy-anyway",
      { ...member, permission: "write" },
      false,
    ],
    ["an admin syncs secrets", "sync-secrets", { ...member, permission: "admin" }, true],
  ])("%s", (_what, name, actor, allowed) => {
    expect(mayRunCommand(spec(name), actor, POLICY).allowed).toBe(allowed);
  });

  it("says why in the words the commenter reads", () => {
    expect(
      mayRunCommand(spec("deploy-anyway"), { ...member, permission: "write" }, POLICY).reason,
    ).toContain("only admins of this repository may override the deployment gate");
  });

  it.each<[CommandName, ActorFacts, boolean]>([
    ["help", stranger, false],
    ["recheck", member, false],
    ["recheck", stranger, true],
    ["deploy-anyway", member, true],
  ])("%s: asks the permission API: %s", (name, actor, asked) => {
    expect(needsPermission(spec(name), actor, POLICY)).toBe(asked);
  });
});

describe("decideComment", () => {
  const facts = (actor: ActorFacts = member, open = true) => ({
    policy: POLICY,
    pr: { headSha: "abc1234def", open },
    actor,
  });
  const decide = (body: string, actor?: ActorFacts, open?: boolean) =>
    decideComment(parseCommands(body, POLICY), facts(actor, open));

  it.each<[string, string, object]>([
    ["recheck", "recheck", { ci: { kind: "rerun-failed" }, replies: [] }],
    ["/retest names", "/retest roc-api", { ci: { kind: "components", components: ["roc-api"] } }],
    [
      "/test a job",
      "/test verify roc-api",
      { ci: { kind: "job", job: "verify", components: ["roc-api"] } },
    ],
    [
      "/ok-to-test",
      "/ok-to-test",
      { ci: { kind: "push" }, approval: { sha: "abc1234def", by: "alice" } },
    ],
    ["/bump", "/bump minor roc-api", { bumps: [{ level: "minor", names: ["roc-api"] }] }],
    ["two CI requests: the wider wins", "/retest a\n/ok-to-test", { ci: { kind: "push" } }],
    ["/sync-secrets has its own job", "/sync-secrets", { replies: [], bumps: [] }],
  ])("%s", (_what, body, expected) => {
    expect(decide(body)).toMatchObject(expected);
  });

  it("answers an unknown job with the jobs there are", () => {
    expect(decide("/test nightly").replies).toEqual([
      "there is no job named `nightly`; the jobs are `verify`.",
    ]);
  });

  it("refuses a stranger with the reason, and runs nothing", () => {
    const d = decide("/retest", stranger);
    expect(d.ci).toBeUndefined();
    expect(d.replies).toHaveLength(1);
  });

  it("runs nothing on a closed pull request, and says so", () => {
    expect(decide("/bump patch", member, false)).toEqual({
      replies: ["this pull request is closed: nothing was run."],
      bumps: [],
      environments: [],
    });
  });

  it("asks the permission API only when a command needs it", () => {
    const parsed = (body: string) => parseCommands(body, POLICY).commands;
    expect(commentNeedsPermission(parsed("recheck"), member, POLICY)).toBe(false);
    expect(commentNeedsPermission(parsed("/sync-secrets"), member, POLICY)).toBe(false);
    expect(commentNeedsPermission(parsed("/deploy-anyway hotfix"), member, POLICY)).toBe(true);
  });
});

describe("decideComment under access rules", () => {
  const ACCESS = policyOf(
    [
      "access:",
      "  owners: { teams: [acme/platform] }",
      "  rules:",
      "    - name: infrastructure",
      '      paths: ["infra/**"]',
      "      approve: { count: 1, teams: [acme/sre] }",
      "      commands: [deploy-anyway]",
      "",
    ].join("\n"),
  );
  const infra = [
    {
      path: "infra/main.tf",
      status: "modified" as const,
      additions: 1,
      deletions: 0,
    },
  ];
  const docs = [{ path: "docs/a.md", status: "modified" as const, additions: 1, deletions: 0 }];
  const sre = new Map([["acme/sre", { ok: true as const, members: new Set(["sam"]) }]]);
  const run = (actor: ActorFacts, files: typeof infra) =>
    decideComment(parseCommands("/deploy-anyway hotfix", ACCESS), {
      policy: ACCESS,
      pr: { headSha: "a".repeat(40), open: true },
      actor,
      files,
      teams: sre,
    });

  it.each<[string, ActorFacts, typeof infra, boolean]>([
    [
      "an SRE member without admin overrides a change to infra/**",
      { ...member, login: "sam", permission: "write" },
      infra,
      true,
    ],
    ["an admin outside the rule's team may not", { ...member, permission: "admin" }, infra, false],
    [
      "outside the rule's paths an admin may, as without rules",
      { ...member, permission: "admin" },
      docs,
      true,
    ],
    [
      "outside the rule's paths an SRE member without admin may not",
      { ...member, login: "sam", permission: "write" },
      docs,
      false,
    ],
  ])("%s", (_what, actor, files, allowed) => {
    const d = run(actor, files);
    expect(d.deployAnyway !== undefined).toBe(allowed);
    if (!allowed && files === infra)
      expect(d.replies.join("\n")).toMatch(/access rule "infrastructure"/);
  });

  it("asks for the files and teams only when a rule names one of the commands", async () => {
    const { commentNeedsAccessFacts, commentAccessTeams } =
      await import("../../src/core/comment-commands.js");
    expect(
      commentNeedsAccessFacts(parseCommands("/deploy-anyway x", ACCESS).commands, ACCESS),
    ).toBe(true);
    expect(commentNeedsAccessFacts(parseCommands("recheck", ACCESS).commands, ACCESS)).toBe(false);
    expect(
      commentAccessTeams(parseCommands("/deploy-anyway x", ACCESS).commands, ACCESS, infra),
    ).toEqual(["acme/sre"]);
    expect(
      commentAccessTeams(parseCommands("/deploy-anyway x", ACCESS).commands, ACCESS, docs),
    ).toEqual([]);
  });

  const PROD = policyOf(
    [
      "access:",
      "  owners: { teams: [acme/platform] }",
      "  rules:",
      "    - name: production",
      "      environments: [production]",
      "      approve: { count: 1, teams: [acme/sre] }",
      "      commands: [deploy-anyway, promote]",
      "",
    ].join("\n"),
  );

  it.each<[string, ActorFacts, string[], boolean]>([
    [
      "an SRE member overrides a PR moving production's pins",
      { ...member, login: "sam", permission: "write" },
      ["production"],
      true,
    ],
    [
      "an admin outside SRE may not override it",
      { ...member, permission: "admin" },
      ["production"],
      false,
    ],
    [
      "a PR moving only staging: an admin may, as without rules",
      { ...member, permission: "admin" },
      ["staging"],
      true,
    ],
    [
      "a PR moving only staging: the SRE member without admin may not",
      { ...member, login: "sam", permission: "write" },
      ["staging"],
      false,
    ],
  ])("/deploy-anyway under an environment rule: %s", (_what, actor, environments, allowed) => {
    const d = decideComment(parseCommands("/deploy-anyway hotfix", PROD), {
      policy: PROD,
      pr: { headSha: "a".repeat(40), open: true },
      actor,
      files: docs,
      teams: sre,
      environments,
    });
    expect(d.deployAnyway !== undefined).toBe(allowed);
    if (!allowed && environments.includes("production"))
      expect(d.replies.join("\n")).toMatch(/access rule "production"/);
  });

  it("reads the PR's moved environments only when a rule naming a PR command covers environments", async () => {
    const { commentNeedsEnvironments, commentAccessTeams } =
      await import("../../src/core/comment-commands.js");
    expect(commentNeedsEnvironments(parseCommands("/deploy-anyway x", PROD).commands, PROD)).toBe(
      true,
    );
    // /promote names its environment itself: the PR's pins do not decide it.
    expect(
      commentNeedsEnvironments(parseCommands("/promote web production", PROD).commands, PROD),
    ).toBe(false);
    expect(
      commentNeedsEnvironments(parseCommands("/deploy-anyway x", ACCESS).commands, ACCESS),
    ).toBe(false);
    expect(
      commentAccessTeams(parseCommands("/deploy-anyway x", PROD).commands, PROD, docs, [
        "production",
      ]),
    ).toEqual(["acme/sre"]);
  });
});
