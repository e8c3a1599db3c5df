import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { exampleFiles } from "./helpers/env-config.js";
import { tempRepo, type TempRepo } from "./helpers/git-repo.js";

const POLICY = `access:
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
  unmatched: require
  owners: { teams: [acme/platform] }
`;

let repo: TempRepo;
let base: string;

beforeAll(() => {
  repo = tempRepo();
  base = repo.commit({ ".github/monobot.yml": POLICY, "infra/net.tf": "a\n", "README.md": "x\n" });
  repo.git("checkout", "-q", "-b", "change");
  repo.commit({ "infra/net.tf": "b\n", "sites/emea/values.yaml": "v: 1\n" });
  repo.git("checkout", "-q", "-b", "loosen", base);
  repo.commit({ ".github/monobot.yml": POLICY.replace("count: 2", "count: 0") });
  repo.git("checkout", "-q", "main");
});
afterAll(() => repo.remove());

async function explain(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["access", "explain", "--repo", repo.dir, ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: repo.dir,
  });
  return { code, stdout, stderr };
}

describe("monobot access explain", () => {
  it("prints which rules apply and what they need; exit 1 while approvals are missing", async () => {
    const r = await explain("--base", "main", "--head", "change");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Access rules from .github/monobot.yml at main:");
    expect(r.stdout).toContain("MISSING infrastructure: 0 of 2 approvals from @acme/platform");
    expect(r.stdout).toContain(
      "MISSING site values (site: emea): 0 of 1 approval from @acme/site-emea-admins or @acme/platform",
    );
    expect(r.stdout).toContain("files: infra/net.tf");
  });

  it("team membership from the command line: the same core decides", async () => {
    const r = await explain(
      "--base",
      "main",
      "--head",
      "change",
      "--approved-by",
      "pia@acme/platform",
      "--approved-by",
      "pat@acme/platform,acme/sre",
      "--author",
      "dev",
    );
    expect(r.stdout).toContain(
      "ok      infrastructure: 2 of 2 approvals from @acme/platform; approved by @pia, @pat",
    );
    expect(r.code).toBe(0);
  });

  it("the author's own approval and a non-member's do not count", async () => {
    const r = await explain(
      "--base",
      "main",
      "--head",
      "change",
      "--approved-by",
      "pia@acme/platform",
      "--approved-by",
      "dev@acme/platform",
      "--approved-by",
      "emma",
      "--author",
      "dev",
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("infrastructure: 1 of 2 approvals");
    expect(r.stdout).toContain("not counted: @dev: the author cannot approve");
  });

  it("an environment's pins: its rule applies", async () => {
    const r = await explain(
      "--base",
      "main",
      "--head",
      "change",
      "--environment",
      "production",
      "--approved-by",
      "pia@acme/platform",
      "--approved-by",
      "pat@acme/platform",
    );
    expect(r.stdout).toContain("MISSING production: 0 of 1 approval from @acme/sre");
    expect(r.stdout).toContain("environments: production");
    expect(r.code).toBe(1);
  });

  it("a change to the rules: the proposed file is invalid, the owners must approve", async () => {
    const r = await explain("--base", "main", "--head", "loosen", "--approved-by", "wes");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("The proposed .github/monobot.yml at loosen is invalid");
    expect(r.stdout).toMatch(
      /\.github\/monobot\.yml:5:\d+: access\.rules\.0\.approve\.count must be >= 1/,
    );
    expect(r.stdout).toContain("MISSING access owners: 0 of 1 approval from @acme/platform");
  });

  it("bad input: exit 2 with what to fix", async () => {
    const r = await explain("--base", "main", "--head", "change", "--approved-by", "pia@platform");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"platform" is not a team as org/team-slug');
    const noBase = await explain("--head", "change");
    expect(noBase.code).toBe(2);
    expect(noBase.stderr).toContain("needs --base REF and --head REF");
  });
});

describe("monobot access explain on a config repo with environments", () => {
  let config: TempRepo;
  beforeAll(() => {
    const files = exampleFiles(undefined);
    files[".github/monobot.yml"] = `${files[".github/monobot.yml"] ?? ""}\n${POLICY}`;
    config = tempRepo();
    config.commit(files);
    const fleet = files["fleet/aether/fleet.yaml"] ?? "";
    config.git("checkout", "-q", "-b", "to-production");
    config.commit({ "fleet/aether/fleet.yaml": fleet.replace('tag: "1.2.3"', 'tag: "1.3.0"') });
    config.git("checkout", "-q", "-b", "to-staging", "main");
    config.commit({ "fleet/aether/fleet.yaml": fleet.replace("tag: 2.1.0", "tag: 2.1.1") });
    config.git("checkout", "-q", "main");
  });
  afterAll(() => config.remove());

  async function explainIn(...args: string[]) {
    let stdout = "";
    const code = await runCli(["access", "explain", "--repo", config.dir, ...args], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
      cwd: config.dir,
    });
    return { code, stdout };
  }

  it("reads the environments whose pins the change moves, as the bot does", async () => {
    const prod = await explainIn("--base", "main", "--head", "to-production");
    expect(prod.stdout).toContain("MISSING production: 0 of 1 approval from @acme/sre");
    expect(prod.stdout).toContain("environments: production");
    expect(prod.code).toBe(1);
    const sre = await explainIn(
      "--base",
      "main",
      "--head",
      "to-production",
      "--approved-by",
      "sam@acme/sre",
      "--approved-by",
      "pat",
    );
    expect(sre.stdout).toContain(
      "ok      production: 1 of 1 approval from @acme/sre; approved by @sam",
    );
    // Staging's pin is covered by no rule here: `unmatched: require` asks one approval with write.
    const staging = await explainIn("--base", "main", "--head", "to-staging");
    expect(staging.stdout).not.toContain("production:");
  });
});
