// /promote, /rollback, /hold, /unhold: parsing, who may run them (access rules per environment, else
// admins), and the pull requests they plan.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TeamMembers } from "../../src/core/access.js";
import { mayRunCommand, type ActorFacts } from "../../src/core/command-access.js";
import { commentTeams, decideComment } from "../../src/core/comment-commands.js";
import { commandTable, parseCommands, type CommandName } from "../../src/core/commands.js";
import {
  configRepoComponents,
  environmentMatrix,
  expandEnvironmentPins,
} from "../../src/core/env-matrix.js";
import { applyPinEdits } from "../../src/core/env-pin-edits.js";
import type { DeploymentRecord } from "../../src/core/env-record.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../../src/core/policy.js";
import { planPromotion, planRollback } from "../../src/core/promotion-plan.js";

const ROOT = fileURLToPath(new URL("../../examples/config-repo-fleet/", import.meta.url));
const read = (p: string) => readFileSync(`${ROOT}${p}`, "utf8");
const FLEET = "fleet/aether/fleet.yaml";
const ACCESS = `
access:
  rules:
    - name: production
      environments: [production]
      approve: { count: 1, teams: [acme/sre] }
      commands: [promote, rollback, hold, unhold]
  owners: { teams: [acme/platform] }
`;

function policy(extra = ""): Policy {
  const r = resolvePolicy([
    { file: ".github/monobot.yml", text: read(".github/monobot.yml") + extra },
  ]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

const spec = (name: CommandName) => commandTable.find((c) => c.name === name)!;

describe("parsing the environment commands", () => {
  it.each<[string, string[] | string]>([
    ["/promote web production", ["web", "production"]],
    ["/rollback web production", ["web", "production"]],
    ["/rollback web production 2.0.1", ["web", "production", "2.0.1"]],
    [
      "/hold web production waiting for the migration",
      ["web", "production", "waiting for the migration"],
    ],
    ["/unhold web production", ["web", "production"]],
    ["/promote web", "name the component and the environment"],
    ["/promote web production now", "nothing more"],
    ["/rollback web production 1.0 2.0", "at most one version"],
    ["/hold ../x production", "is not a component or environment name"],
  ])("%s", (body, expected) => {
    const parsed = parseCommands(body, policy());
    if (typeof expected === "string") {
      expect(parsed.commands).toEqual([]);
      expect(parsed.errors.join(" ")).toContain(expected);
    } else {
      expect(parsed.errors).toEqual([]);
      expect(parsed.commands[0]?.args).toEqual(expected);
    }
  });
});

describe("who may run them", () => {
  const sre = new Map<string, TeamMembers>([["acme/sre", { ok: true, members: new Set(["sam"]) }]]);
  const actor = (
    login: string,
    permission: string | null,
    teams?: Map<string, TeamMembers>,
  ): ActorFacts => ({
    login,
    association: "MEMBER",
    isPrAuthor: false,
    prFromFork: false,
    permission,
    ...(teams ? { teams } : {}),
  });
  const command = (body: string) => parseCommands(body, policy()).commands[0]!;

  it.each<[string, string, ActorFacts, string, boolean]>([
    ["without access rules an admin may", "/hold web production", actor("ann", "admin"), "", true],
    [
      "without access rules a writer may not",
      "/hold web production",
      actor("wes", "write"),
      "",
      false,
    ],
    [
      "the production rule lets an SRE (not admin) roll back",
      "/rollback web production",
      actor("sam", "write", sre),
      ACCESS,
      true,
    ],
    [
      "the production rule refuses an admin outside the team",
      "/promote web production",
      actor("ann", "admin", sre),
      ACCESS,
      false,
    ],
    [
      "staging has no rule: admins decide",
      "/hold web staging",
      actor("ann", "admin", sre),
      ACCESS,
      true,
    ],
    [
      "staging has no rule: the SRE without admin may not",
      "/hold web staging",
      actor("sam", "write", sre),
      ACCESS,
      false,
    ],
  ])("%s", (_what, body, who, extra, allowed) => {
    const c = command(body);
    const decision = mayRunCommand(spec(c.name), who, policy(extra), c);
    expect(decision.allowed).toBe(allowed);
  });

  it("reads only the teams of the rules covering the named environment", () => {
    const p = policy(ACCESS);
    expect(commentTeams(parseCommands("/promote web production", p).commands, p)).toEqual([
      "acme/sre",
    ]);
    expect(commentTeams(parseCommands("/promote web staging", p).commands, p)).toEqual([]);
  });

  it("the decision carries the action; a refusal says why", () => {
    const p = policy();
    const parsed = parseCommands("/rollback web production 2.0.0\n/hold web staging", p);
    const allowed = decideComment(parsed, {
      policy: p,
      pr: { headSha: "a".repeat(40), open: true },
      actor: actor("ann", "admin"),
    });
    expect(allowed.environments).toEqual([
      { kind: "rollback", component: "web", environment: "production", version: "2.0.0" },
      { kind: "hold", component: "web", environment: "staging", reason: "held by @ann" },
    ]);
    const refused = decideComment(parsed, {
      policy: p,
      pr: { headSha: "a".repeat(40), open: true },
      actor: actor("wes", "write"),
    });
    expect(refused.environments).toEqual([]);
    expect(refused.replies[0]).toMatch(/only admins/);
  });
});

describe("planning the promotion and rollback pull requests", () => {
  const p = policy();
  const files = new Map([
    ["charts/roc-api/Chart.yaml", read("charts/roc-api/Chart.yaml")],
    ["charts/web/Chart.yaml", read("charts/web/Chart.yaml")],
    [FLEET, read(FLEET)],
  ]);
  const components = configRepoComponents(p, files);
  const pins = expandEnvironmentPins(p.deploy.environments, components);
  const { cells } = environmentMatrix({ policy: p, files, components });
  let id = 0;
  const rec = (
    environment: string,
    version: string,
    state: DeploymentRecord["state"],
    at: string,
  ): DeploymentRecord => ({
    id: ++id,
    environment,
    sha: "a".repeat(40),
    ref: "main",
    task: "deploy",
    payload: { component: "web", version },
    createdAt: at,
    state,
  });
  const base = { environments: p.deploy.environments, pins, cells, component: "web", by: "ann" };

  it("/promote takes the newest version verified in the environment before, and edits its pin", () => {
    const plan = planPromotion({
      ...base,
      environment: "production",
      records: [
        rec("staging", "2.1.0", "success", "2026-01-02T00:00:00Z"),
        rec("staging", "2.2.0", "failure", "2026-01-03T00:00:00Z"),
      ],
    });
    if (!plan.ok) throw new Error(plan.reply);
    expect(plan.branch).toBe("monobot/promote-web-production");
    expect(plan.version).toBe("2.1.0");
    const applied = applyPinEdits(files, plan.edits);
    if (!applied.ok) throw new Error(applied.reason);
    expect(applied.changed.get(FLEET)).toContain("image: { tag: 2.1.0 }\n");
    expect(applied.changed.get(FLEET)).not.toContain("tag: 2.0.1");
  });

  it.each<[string, Parameters<typeof planPromotion>[0], RegExp]>([
    [
      "nothing verified",
      { ...base, environment: "production", records: [] },
      /no version of web is verified in staging/,
    ],
    [
      "the first environment",
      { ...base, environment: "staging", records: [] },
      /first environment/,
    ],
    ["an unknown environment", { ...base, environment: "qa", records: [] }, /no environment "qa"/],
    [
      "an unknown component",
      { ...base, component: "nope", environment: "production", records: [] },
      /pins no component "nope"/,
    ],
    [
      "already there",
      {
        ...base,
        environment: "production",
        records: [rec("staging", "2.0.1", "success", "2026-01-01T00:00:00Z")],
      },
      /runs web 2\.0\.1 already/,
    ],
  ])("/promote refuses: %s", (_what, input, reply) => {
    const plan = planPromotion(input);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reply).toMatch(reply);
  });

  it("/rollback pins the last version verified there before the current one, or the one named", () => {
    const records = [
      rec("production", "1.9.0", "success", "2026-01-01T00:00:00Z"),
      rec("production", "2.0.0", "success", "2026-01-02T00:00:00Z"),
      rec("production", "2.0.1", "success", "2026-01-03T00:00:00Z"),
    ];
    const last = planRollback({ ...base, environment: "production", records });
    expect(last.ok && last.version).toBe("2.0.0");
    expect(last.ok && last.branch).toBe("monobot/rollback-web-production");
    const named = planRollback({ ...base, environment: "production", records, version: "1.9.0" });
    expect(named.ok && named.version).toBe("1.9.0");
    const none = planRollback({ ...base, environment: "production", records: records.slice(2) });
    expect(!none.ok && none.reply).toMatch(/no earlier version of web is verified in production/);
  });
});
