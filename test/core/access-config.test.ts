import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { commandTable } from "../../src/core/commands.js";
import { resolvePolicy } from "../../src/core/policy.js";
import { ACCESS_COMMANDS } from "../../src/core/policy-schema.js";

const FILE = ".github/monobot.yml";

function errorsOf(text: string) {
  const result = resolvePolicy([{ file: FILE, text }]);
  return result.ok ? [] : result.errors.map((e) => ({ line: e.line, message: e.message }));
}

const VALID = `access:
  rules:
    - name: infrastructure
      paths: ["infra/**"]
      approve: { count: 2, teams: [acme/platform] }
    - name: site values
      paths: ["sites/{site}/**"]
      approve: { count: 1, teams: ["acme/site-{site}-admins", acme/platform] }
    - name: production
      environments: [production]
      approve: { count: 1, teams: [acme/sre] }
      commands: [deploy-anyway]
  unmatched: require
  owners: { teams: [acme/platform] }
`;

describe("the access section of the policy", () => {
  it("accepts the documented example", () => {
    const result = resolvePolicy([{ file: FILE, text: VALID }]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.policy.access?.rules).toHaveLength(3);
  });

  it("accepts the example documented in policies/default.yml", () => {
    const text = readFileSync(new URL("../../policies/default.yml", import.meta.url), "utf8");
    const example = text
      .slice(text.indexOf("#   access:"))
      .split("\n")
      .filter((l) => l.startsWith("#"))
      .map((l) => l.slice(2))
      .join("\n");
    const result = resolvePolicy([{ file: FILE, text: example }]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.policy.access?.owners.teams).toEqual(["acme/platform"]);
  });

  it("is optional: the shipped defaults have none", () => {
    const result = resolvePolicy([]);
    expect(result.ok && result.policy.access).toBeUndefined();
  });

  const invalid: { name: string; text: string; line: number; message: RegExp }[] = [
    {
      name: "a rule with no paths and no environments",
      text: VALID.replace('      paths: ["infra/**"]\n', ""),
      line: 3,
      message: /needs `paths` or `environments`/,
    },
    {
      name: "an empty team list",
      text: VALID.replace("{ count: 2, teams: [acme/platform] }", "{ count: 2, teams: [] }"),
      line: 5,
      message: /teams must NOT have fewer than 1 items/,
    },
    {
      name: "a count of 0",
      text: VALID.replace("{ count: 2,", "{ count: 0,"),
      line: 5,
      message: /count must be >= 1/,
    },
    {
      name: "a team that is not org/slug",
      text: VALID.replace("teams: [acme/sre]", "teams: [sre]"),
      line: 11,
      message: /must name a team as org\/team-slug/,
    },
    {
      name: "a placeholder no path captures",
      text: VALID.replace('"acme/site-{site}-admins"', '"acme/site-{region}-admins"'),
      line: 8,
      message: /\{region\} is not captured by every path/,
    },
    {
      name: "a capture inside a segment",
      text: VALID.replace('"sites/{site}/**"', '"sites/x-{site}/**"'),
      line: 7,
      message: /a capture must be a whole path segment/,
    },
    {
      name: "a capture after **",
      text: VALID.replace('"sites/{site}/**"', '"sites/**/{site}/x"'),
      line: 7,
      message: /follows "\*\*"/,
    },
    {
      name: "an unknown command",
      text: VALID.replace("commands: [deploy-anyway]", "commands: [deploy-anyhow]"),
      line: 12,
      message: /must be one of .*"deploy-anyway"/,
    },
    {
      name: "no owners",
      text: VALID.replace("  owners: { teams: [acme/platform] }\n", ""),
      line: 1,
      message: /must have required property 'owners'/,
    },
    {
      name: "an unknown unmatched mode",
      text: VALID.replace("unmatched: require", "unmatched: maybe"),
      line: 13,
      message: /must be one of "require", "allow", "deny"/,
    },
  ];
  for (const c of invalid) {
    it(`${c.name}: a config error on its line`, () => {
      const errors = errorsOf(c.text);
      expect(errors).toContainEqual({ line: c.line, message: expect.stringMatching(c.message) });
    });
  }

  it("names exactly the commands of the command table", () => {
    expect([...ACCESS_COMMANDS].sort()).toEqual(commandTable.map((c) => c.name).sort());
  });
});
