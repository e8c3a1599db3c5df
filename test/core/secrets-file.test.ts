// The sealed secrets file: names and targets as GitHub takes them, each problem on its line, the
// plan of a push, and the monobot/secrets check validating the file when a change touches it.
import { describe, expect, it } from "vitest";
import { secretsCheck } from "../../src/core/checks/secrets.js";
import { planSecretSync } from "../../src/core/secret-sync-plan.js";
import {
  canonicalTargets,
  checkSecretsFile,
  parseTarget,
  secretNameProblem,
  targetsOf,
} from "../../src/core/secrets-file.js";
import type { SecretTargetStatus } from "../../src/core/types.js";
import { resolvePolicy } from "../../src/core/policy.js";
import { addedFile, runCheckOn } from "../helpers/check-harness.js";

const KEY = "0123456789abcdef";
/** Base64 of 120 bytes: the size of a small sealed value (the check cannot open it). */
const SEALED = Buffer.alloc(120, 7).toString("base64");
const SEALED2 = Buffer.alloc(120, 9).toString("base64");

function entry(name: string, targets: string[], sealed = SEALED, keyId = KEY): string {
  return [
    `- name: "${name}"`,
    "  targets:",
    ...targets.map((t) => `    - ${t}`),
    `  key_id: "${keyId}"`,
    `  sealed: ${sealed}`,
    "",
  ].join("\n");
}

describe("secret names", () => {
  it.each([
    ["DB_PASSWORD", undefined],
    ["db_password", undefined],
    ["_X1", undefined],
    ["", /empty/],
    ["1PASSWORD", /digit/],
    ["GITHUB_TOKEN", /GITHUB_/],
    ["github_thing", /GITHUB_/],
    ["DB-PASSWORD", /A-Z/],
    ["DB PASSWORD", /A-Z/],
    ["PÄSSWORD", /A-Z/],
  ])("%j", (name, problem) => {
    const got = secretNameProblem(name);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });
});

describe("targets", () => {
  it.each([
    ["acme/api", { owner: "acme", repo: "api", key: "acme/api" }],
    ["Acme/API@Production", { environment: "Production", key: "acme/api@production" }],
    ["acme/my.repo_x-1@staging eu", { key: "acme/my.repo_x-1@staging eu" }],
  ])("reads %j", (text, want) => {
    const r = parseTarget(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.target).toMatchObject({ text, ...want });
  });

  it.each([
    ["acme", /not a repository/],
    ["acme/api/x", /not a repository/],
    ["-acme/api", /invalid owner/],
    ["acme/", /invalid repository/],
    ["acme/..", /invalid repository/],
    ["acme/api@", /environment/],
    ["acme/api@ prod", /surrounding spaces/],
  ])("refuses %j", (text, problem) => {
    const r = parseTarget(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(problem);
  });

  it("canonicalises targets: lower-cased, unique, sorted", () => {
    const ts = ["acme/web", "Acme/API@prod", "ACME/api"].map((t) => {
      const r = parseTarget(t);
      if (!r.ok) throw new Error(r.problem);
      return r.target;
    });
    expect(canonicalTargets(ts)).toEqual(["acme/api", "acme/api@prod", "acme/web"]);
  });
});

describe("checkSecretsFile", () => {
  it("reads a valid file, with the spans of the sealed value and key id", () => {
    const text = `# sealed secrets\n${entry("DB_PASSWORD", ["acme/api", "acme/api@production"])}\n${entry("API_TOKEN", ["acme/web"])}`;
    const file = checkSecretsFile(text);
    expect(file.problems).toEqual([]);
    expect(file.entries.map((e) => [e.nameKey, e.line, e.targets.map((t) => t.key)])).toEqual([
      ["DB_PASSWORD", 2, ["acme/api", "acme/api@production"]],
      ["API_TOKEN", 9, ["acme/web"]],
    ]);
    const first = file.entries[0]!;
    expect(text.slice(first.spans.sealed!.start, first.spans.sealed!.end)).toBe(SEALED);
    expect(text.slice(first.spans.keyId!.start, first.spans.keyId!.end)).toBe(`"${KEY}"`);
    expect(targetsOf(file).map((t) => t.key)).toEqual([
      "acme/api",
      "acme/api@production",
      "acme/web",
    ]);
  });

  it.each(["", "\n", "# no secrets yet\n"])("takes an empty file %j as no entries", (text) => {
    expect(checkSecretsFile(text)).toEqual({ entries: [], problems: [], readable: true });
  });

  // Each case: the file, the line of the problem, and what the message says.
  it.each([
    ["not YAML", "- name: x\n\t- y\n", 2, /invalid YAML: Tabs/],
    ["a mapping", "DB_PASSWORD: x\n", 1, /YAML list of entries/],
    ["an entry that is a string", "- DB_PASSWORD\n", 1, /must be a mapping/],
    [
      "a plaintext value",
      `${entry("DB_PASSWORD", ["acme/api"])}  value: hunter2\n`,
      6,
      /`value` holds a value in clear.*rotate the secret/,
    ],
    [
      "a plaintext under another key",
      `${entry("DB_PASSWORD", ["acme/api"])}  stringData: hunter2\n`,
      6,
      /`stringData` holds a value in clear/,
    ],
    ["an unknown key", `${entry("DB_PASSWORD", ["acme/api"])}  note: x\n`, 6, /unknown key `note`/],
    ["a bad name", entry("1PASS", ["acme/api"]), 1, /"1PASS" must not start with a digit/],
    ["a reserved name", entry("GITHUB_X", ["acme/api"]), 1, /GITHUB_/],
    ["a name that is not a string", entry("X", ["acme/api"]).replace('"X"', "null"), 1, /quote it/],
    ["a bad target", entry("X", ["acme"]), 3, /target "acme" is not a repository/],
    ["a twice-listed target", entry("X", ["acme/api", "ACME/api"]), 4, /listed twice/],
    ["no targets", entry("X", []).replace("  targets:\n", "  targets: []\n"), 2, /non-empty list/],
    ["a bad key id", entry("X", ["acme/api"], SEALED, "12"), 4, /16 hex digits/],
    [
      "a numeric key id",
      entry("X", ["acme/api"]).replace(`"${KEY}"`, "1234567890123456"),
      4,
      /16 hex/,
    ],
    ["bad base64", entry("X", ["acme/api"], "not base64!"), 5, /not valid base64/],
    ["a truncated value", entry("X", ["acme/api"], SEALED.slice(0, 40)), 5, /truncated/],
    [
      "an oversize value",
      entry("X", ["acme/api"], Buffer.alloc(70_000).toString("base64")),
      5,
      /48 KB/,
    ],
    [
      "a missing sealed value",
      entry("X", ["acme/api"]).replace(/ {2}sealed:.*\n/, ""),
      1,
      /has no `sealed`/,
    ],
    ["a duplicate key", `${entry("X", ["acme/api"])}  name: Y\n`, 6, /invalid YAML/],
  ])("reports %s on its line", (_what, text, line, message) => {
    const file = checkSecretsFile(text);
    expect(file.problems.length).toBeGreaterThan(0);
    const p = file.problems.find((x) => message.test(x.message));
    expect(p, JSON.stringify(file.problems)).toBeDefined();
    expect(p?.line).toBe(line);
    expect(p?.level).toBe("failure");
    expect(file.entries.every((e) => !e.valid)).toBe(true);
  });

  it("never repeats a plaintext value in its messages", () => {
    const file = checkSecretsFile(
      `${entry("DB_PASSWORD", ["acme/api"])}  value: Sup3rS3cretValue!\n  password: An0therOne\n`,
    );
    expect(file.problems).toHaveLength(2);
    expect(JSON.stringify(file.problems)).not.toMatch(/Sup3r|An0ther/);
  });

  it("finds case-insensitive duplicates for the same target, on both entries", () => {
    const text =
      entry("DB_PASSWORD", ["acme/api"]) + entry("db_password", ["Acme/Api", "acme/web"]);
    const file = checkSecretsFile(text);
    expect(file.problems.map((p) => [p.line, p.message])).toEqual([
      [1, expect.stringMatching(/DB_PASSWORD for Acme\/Api is also set by the entry at line 6/)],
      [6, expect.stringMatching(/also set by the entry at line 1/)],
    ]);
    // The same name for different targets is fine.
    expect(checkSecretsFile(entry("X", ["acme/api"]) + entry("X", ["acme/web"])).problems).toEqual(
      [],
    );
  });

  it("refuses a 101st secret for one repository or environment", () => {
    let text = "";
    for (let i = 0; i < 101; i++) text += entry(`S${i}`, ["acme/api", "acme/web@prod"]);
    const file = checkSecretsFile(text);
    expect(file.problems).toHaveLength(2);
    expect(file.problems[0]?.message).toMatch(
      /S100 is the 101st secret of acme\/api .*100 per repository/,
    );
    expect(file.problems[1]?.message).toMatch(/acme\/web@prod .*100 per environment/);
    expect(file.entries.filter((e) => !e.valid).map((e) => e.nameKey)).toEqual(["S100"]);
  });

  it("checks key ids and targets against what the shell knows", () => {
    const text =
      entry("A", ["acme/api"]) +
      entry("B", ["acme/gone"]) +
      entry("C", ["acme/other"]) +
      entry("D", ["acme/api@nope"]) +
      entry("E", ["acme/api"], SEALED, "fedcba9876543210");
    const targets = new Map<string, SecretTargetStatus>([
      ["acme/api", { exists: true, installed: true }],
      ["acme/gone", { exists: false, installed: false }],
      ["acme/other", { exists: true, installed: false }],
      ["acme/api@nope", { exists: true, installed: true, environment: false }],
    ]);
    const file = checkSecretsFile(text, {
      keyIds: [{ ids: [KEY], source: "monobot's keys" }],
      targets,
    });
    expect(file.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/acme\/gone does not exist/),
      expect.stringMatching(/monobot is not installed on acme\/other/),
      expect.stringMatching(/has no environment "nope"/),
      expect.stringMatching(/sealed to key fedcba9876543210, which is not among monobot's keys/),
    ]);
    expect(file.entries.map((e) => e.valid)).toEqual([true, false, false, false, false]);
  });
});

describe("planSecretSync", () => {
  const before = checkSecretsFile(
    entry("A", ["acme/api", "acme/web"]) + entry("B", ["acme/api"]) + entry("C", ["acme/api"]),
  );

  it("writes everything on a full sync", () => {
    const plan = planSecretSync(null, before);
    expect(plan.writes.map((w) => [w.entry.nameKey, w.targets.map((t) => t.key)])).toEqual([
      ["A", ["acme/api", "acme/web"]],
      ["B", ["acme/api"]],
      ["C", ["acme/api"]],
    ]);
    expect(plan.removals).toEqual([]);
  });

  it("writes changed and added pairs, lists removed ones, skips unchanged ones", () => {
    const after = checkSecretsFile(
      entry("A", ["acme/api", "acme/ops"]) +
        entry("B", ["acme/api"], SEALED2) +
        entry("D", ["acme/api"]),
    );
    const plan = planSecretSync(before, after);
    expect(
      plan.writes.map((w) => [
        w.entry.nameKey,
        w.targets.map((t) => t.key),
        [...w.previous.keys()],
      ]),
    ).toEqual([
      ["A", ["acme/ops"], []],
      ["B", ["acme/api"], ["acme/api"]],
      ["D", ["acme/api"], []],
    ]);
    expect(plan.unchanged).toBe(1);
    expect(plan.removals.map((r) => [r.name, r.target.key, r.line])).toEqual([
      ["A", "acme/web", 1],
      ["C", "acme/api", 12],
    ]);
  });

  it("does not open invalid entries, and removes nothing when the new file is unreadable", () => {
    const after = checkSecretsFile(entry("A", ["acme/api", "acme/web"]) + "  value: x\n");
    const plan = planSecretSync(before, after);
    expect(plan.writes).toEqual([]);
    expect(plan.invalid.map((i) => i.problems.map((p) => p.line))).toEqual([[7]]);
    // B and C are gone from the file: removals, even though A is invalid.
    expect(plan.removals.map((r) => r.name)).toEqual(["B", "C"]);
    expect(planSecretSync(before, checkSecretsFile("a: [\n")).removals).toEqual([]);
  });
});

describe("monobot/secrets on the secrets file", () => {
  it("validates the file when the change touches it, with annotations on its lines", () => {
    const text = entry("DB_PASSWORD", ["acme/api"]) + "  value: hunter2hunter2\n";
    const { result, requested } = runCheckOn(
      secretsCheck,
      [addedFile("secrets.yml", text.trimEnd().split("\n"))],
      { head: { "secrets.yml": text } },
    );
    expect(requested).toContain("secrets.yml");
    expect(result.conclusion).toBe("failure");
    expect(result.title).toBe("1 problem in the sealed secrets file");
    expect(result.annotations).toEqual([
      expect.objectContaining({
        path: "secrets.yml",
        start_line: 6,
        level: "failure",
        message: expect.stringMatching(/`value` holds a value in clear/),
      }),
    ]);
    expect(result.summary).toMatch(
      /Sealed secrets file `secrets.yml`: 1 entry for 1 target: 1 problem/,
    );
    expect(JSON.stringify(result)).not.toContain("hunter2hunter2");
  });

  it("passes a valid file, and checks key ids from the policy and from the bot", () => {
    const text = entry("DB_PASSWORD", ["acme/api"]);
    const files = [addedFile("deploy/secrets.yml", text.trimEnd().split("\n"))];
    const ok = runCheckOn(secretsCheck, files, {
      head: { "deploy/secrets.yml": text },
      policy: `secrets:\n  file: deploy/secrets.yml\n  key_ids: ["${KEY}"]\n`,
    }).result;
    expect(ok.conclusion).toBe("success");
    expect(ok.summary).toMatch(/every entry is well-formed/);
    const wrong = runCheckOn(secretsCheck, files, {
      head: { "deploy/secrets.yml": text },
      policy: `secrets:\n  file: deploy/secrets.yml\n  key_ids: ["ffffffffffffffff"]\n`,
    }).result;
    expect(wrong.conclusion).toBe("failure");
    expect(wrong.annotations[0]?.message).toMatch(/not among secrets.key_ids of the policy/);
  });

  it("leaves other files to the scanner alone", () => {
    const { result, requested } = runCheckOn(secretsCheck, [addedFile("README.md", ["hello"])]);
    expect(requested).toEqual([]);
    expect(result.title).toBe("No possible secrets in added lines");
    expect(result.summary).not.toMatch(/Sealed secrets/);
  });
});

describe("the secrets policy", () => {
  it("defaults to secrets.yml, no pruning, any key id", () => {
    const r = resolvePolicy([]);
    expect(r.ok && r.policy.secrets).toEqual({ file: "secrets.yml", prune: false, key_ids: [] });
  });

  it.each([
    ["secrets:\n  key_ids: [abc]\n", /key id as `monobot secrets public-key` prints it/],
    ["secrets:\n  file: /etc/secrets.yml\n", /relative path to a .yml or .yaml file/],
    ["secrets:\n  prune: yes please\n", /boolean/],
    ["secrets:\n  sealed: x\n", /sealed/],
  ])("refuses %j", (text, message) => {
    const r = resolvePolicy([{ file: ".github/monobot.yml", text }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).join("\n")).toMatch(message);
  });
});
