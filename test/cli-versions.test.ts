import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { versionsCheck } from "../src/core/checks/versions.js";
import { defaultPolicyObject, mergePolicy, type Policy } from "../src/core/policy.js";
import { GitHubRepo } from "../src/forge/github.js";
import { evaluateChange } from "../src/workflows/evaluate-change.js";
import { tempRepo, type TempRepo } from "./helpers/git-repo.js";
import { TestOctokit } from "./helpers/probot.js";

type Files = Record<string, string | null>;

interface JsonOut {
  checks: {
    name: string;
    conclusion: string;
    summary: string;
    annotations: { path: string; start_line: number; level: string; message: string }[];
  }[];
}

let repos: TempRepo[] = [];

afterEach(() => {
  for (const r of repos) r.remove();
  repos = [];
  nock.cleanAll();
  nock.enableNetConnect();
});

/** A real repository: `base` committed on main, `head` committed on a branch `feature`. */
function repoWith(base: Files, head: Files, message = "change"): TempRepo {
  const repo = tempRepo();
  repos.push(repo);
  repo.commit(base, "base");
  repo.git("checkout", "-q", "-b", "feature");
  repo.commit(head, message);
  return repo;
}

async function cli(repo: TempRepo, extra: string[] = []) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(
    ["check", "--repo", ".", "--base", "main", "--head", "feature", "--format", "json", ...extra],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: repo.dir },
    [versionsCheck],
  );
  if (code === 2) throw new Error(`usage or config error: ${stderr}${stdout}`);
  const out = JSON.parse(stdout) as JsonOut;
  const versions = out.checks.find((c) => c.name === "monobot/versions");
  if (!versions) throw new Error("no monobot/versions in the output");
  return { code, versions };
}

const MONOREPO: Files = {
  "services/roc-api/VERSION": "1.2.3\n",
  "services/roc-api/main.go": "package main\n",
  "services/roc-api/README.md": "# roc-api\n",
  "services/roc-api/plugins/auth/VERSION": "0.1.0\n",
  "services/roc-api/plugins/auth/auth.go": "package auth\n",
  "libs/proto/VERSION": "2.0.0\n",
  "libs/proto/api.proto": 'syntax = "proto3";\n',
  "services/web/VERSION": "0.9.0\n",
  "services/web/index.ts": "export {};\n",
  ".github/monobot.yml": "components:\n  define:\n    web:\n      depends_on: [proto]\n",
};

const chart = (name: string, version: string, extra = "") =>
  `apiVersion: v2\nname: ${name}\ndescription: ${name}\nversion: ${version}\n${extra}`;

const CONFIG_REPO: Files = {
  "charts/root/Chart.yaml": chart(
    "root",
    "3.1.0",
    "dependencies:\n  - name: aether\n    version: 2.0.0\n    repository: file://../aether\n",
  ),
  "charts/aether/Chart.yaml": chart(
    "aether",
    "2.0.0",
    "dependencies:\n  - name: roc-api\n    version: 1.2.3\n    repository: file://../roc-api\n",
  ),
  "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3", 'appVersion: "1.2.3"\n'),
  "charts/roc-api/values.yaml": "image: roc-api\n",
  "charts/roc-api/README.md": "# chart\n",
  "charts/roc-api/.helmignore": "ci/\n",
  "charts/roc-api/ci/values.yaml": "x: 1\n",
};

const AETHER_BUMPED = (CONFIG_REPO["charts/aether/Chart.yaml"] as string)
  .replace("version: 1.2.3", "version: 1.2.4")
  .replace("version: 2.0.0", "version: 2.0.1");
const ROOT_BUMPED = (CONFIG_REPO["charts/root/Chart.yaml"] as string)
  .replace("version: 2.0.0", "version: 2.0.1")
  .replace("version: 3.1.0", "version: 3.1.1");

interface Case {
  name: string;
  base: Files;
  head: Files;
  message?: string;
  config?: string;
  code: 0 | 1;
  annotations: [string, number, string, RegExp][];
}

const cases: Case[] = [
  {
    name: "changed component not bumped",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "package main // x\n" },
    code: 1,
    annotations: [
      [
        "services/roc-api/VERSION",
        1,
        "failure",
        /^services\/roc-api changed \(1 file\) but VERSION is still 1\.2\.3: write 1\.2\.4 \(patch\)/,
      ],
    ],
  },
  {
    name: "changed component bumped",
    base: MONOREPO,
    head: {
      "services/roc-api/main.go": "package main // x\n",
      "services/roc-api/VERSION": "1.2.4\n",
    },
    code: 0,
    annotations: [],
  },
  {
    name: "feat commit suggests minor",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "package main // x\n" },
    message: "feat(api): add an endpoint",
    code: 1,
    annotations: [
      ["services/roc-api/VERSION", 1, "failure", /write 1\.3\.0 \(minor\).*`\/bump minor`/],
    ],
  },
  {
    name: "regression",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.2\n" },
    code: 1,
    annotations: [["services/roc-api/VERSION", 1, "failure", /a regression/]],
  },
  {
    name: "invalid VERSION (leading v)",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "v1.2.4\n" },
    code: 1,
    annotations: [["services/roc-api/VERSION", 1, "failure", /starts with "v"; write 1\.2\.4/]],
  },
  {
    name: "invalid VERSION (second line)",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4\n1.2.5\n" },
    code: 1,
    annotations: [["services/roc-api/VERSION", 2, "failure", /has 2 lines/]],
  },
  {
    name: "pre-release forbidden",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4-dev\n" },
    config: "versions:\n  prerelease: forbid\n",
    code: 1,
    annotations: [["services/roc-api/VERSION", 1, "failure", /forbids/]],
  },
  {
    name: "pre-release allowed",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4-dev\n" },
    code: 0,
    annotations: [],
  },
  {
    name: "skipped version",
    base: MONOREPO,
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.5\n" },
    code: 0,
    annotations: [["services/roc-api/VERSION", 1, "notice", /skipping 1\.2\.4/]],
  },
  {
    name: "new component",
    base: MONOREPO,
    head: { "services/new/VERSION": "0.1.0\n", "services/new/main.go": "package main\n" },
    code: 0,
    annotations: [],
  },
  {
    name: "new component with an invalid version",
    base: MONOREPO,
    head: { "services/new/VERSION": "0.1\n", "services/new/main.go": "package main\n" },
    code: 1,
    annotations: [["services/new/VERSION", 1, "failure", /write 0\.1\.0/]],
  },
  {
    name: "removed component",
    base: MONOREPO,
    head: {
      "services/roc-api/plugins/auth/VERSION": null,
      "services/roc-api/plugins/auth/auth.go": null,
    },
    code: 0,
    annotations: [],
  },
  {
    name: "ignored files only",
    base: MONOREPO,
    head: { "services/roc-api/README.md": "# new\n" },
    code: 0,
    annotations: [],
  },
  {
    name: "dependant of a changed component",
    base: MONOREPO,
    head: { "libs/proto/api.proto": "// x\n", "libs/proto/VERSION": "2.0.1\n" },
    code: 0,
    annotations: [],
  },
  {
    name: "nested component changed, not bumped",
    base: MONOREPO,
    head: { "services/roc-api/plugins/auth/auth.go": "package auth // x\n" },
    code: 1,
    annotations: [["services/roc-api/plugins/auth/VERSION", 1, "failure", /still 0\.1\.0/]],
  },
  {
    name: "nested component changed and bumped",
    base: MONOREPO,
    head: {
      "services/roc-api/plugins/auth/auth.go": "package auth // x\n",
      "services/roc-api/plugins/auth/VERSION": "0.2.0\n",
    },
    code: 0,
    annotations: [],
  },
  {
    name: "service chart bumped, umbrellas not",
    base: CONFIG_REPO,
    head: {
      "charts/roc-api/values.yaml": "image: v2\n",
      "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "1.2.3"\n'),
    },
    code: 1,
    annotations: [
      [
        "charts/aether/Chart.yaml",
        4,
        "failure",
        /^charts\/roc-api 1\.2\.3 -> 1\.2\.4 requires charts\/aether to bump/,
      ],
      [
        "charts/root/Chart.yaml",
        4,
        "failure",
        /requires charts\/aether to bump, which requires charts\/root to bump/,
      ],
    ],
  },
  {
    name: "service chart and umbrellas bumped and pinned",
    base: CONFIG_REPO,
    head: {
      "charts/roc-api/values.yaml": "image: v2\n",
      "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "1.2.3"\n'),
      "charts/aether/Chart.yaml": AETHER_BUMPED,
      "charts/root/Chart.yaml": ROOT_BUMPED,
    },
    code: 0,
    annotations: [],
  },
  {
    name: "chart changed in files .helmignore and charts.ignore leave out",
    base: CONFIG_REPO,
    head: { "charts/roc-api/ci/values.yaml": "x: 2\n", "charts/roc-api/README.md": "# new\n" },
    code: 0,
    annotations: [],
  },
  {
    name: "chart changed, not bumped",
    base: CONFIG_REPO,
    head: { "charts/roc-api/values.yaml": "image: v2\n" },
    code: 1,
    annotations: [
      ["charts/aether/Chart.yaml", 4, "failure", /requires charts\/aether to bump/],
      [
        "charts/roc-api/Chart.yaml",
        4,
        "failure",
        /^charts\/roc-api changed \(1 file\) but its version is still 1\.2\.3/,
      ],
      ["charts/root/Chart.yaml", 4, "failure", /requires charts\/root to bump/],
    ],
  },
  {
    name: "chart that is not valid YAML",
    base: CONFIG_REPO,
    head: {
      "charts/roc-api/Chart.yaml": "apiVersion: v2\nname: roc-api\nversion: 1.2.4\n  bad: indent\n",
    },
    code: 1,
    annotations: [["charts/roc-api/Chart.yaml", 3, "failure", /is not valid YAML/]],
  },
  {
    name: "appVersion not following its component",
    base: { ...MONOREPO, ...CONFIG_REPO },
    head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4\n" },
    config: "charts:\n  app_version:\n    charts/roc-api: roc-api\n",
    code: 1,
    annotations: [
      [
        "charts/aether/Chart.yaml",
        4,
        "failure",
        /^charts\/roc-api 1\.2\.3 -> 1\.2\.4 requires charts\/aether to bump/,
      ],
      [
        "charts/roc-api/Chart.yaml",
        5,
        "failure",
        /has appVersion 1\.2\.3 but roc-api is at 1\.2\.4 .*write appVersion: "1\.2\.4", and then the chart's version must go up/,
      ],
      ["charts/root/Chart.yaml", 4, "failure", /requires charts\/root to bump/],
    ],
  },
];

describe("monobot check with monobot/versions on real git repositories", () => {
  it.each(cases)("$name: exit $code", async (c) => {
    const repo = repoWith(c.base, c.head, c.message);
    const extra: string[] = [];
    if (c.config) {
      const file = `${repo.dir}/../monobot.yml`;
      const base = (c.base[".github/monobot.yml"] ?? "") as string;
      const { writeFileSync } = await import("node:fs");
      writeFileSync(file, `${base}${c.config}`);
      extra.push("--config", file);
    }
    const { code, versions } = await cli(repo, extra);
    expect(code).toBe(c.code);
    expect(versions.conclusion).toBe(c.code === 0 ? "success" : "failure");
    expect(versions.annotations.map((a) => [a.path, a.start_line, a.level])).toEqual(
      c.annotations.map(([path, line, level]) => [path, line, level]),
    );
    c.annotations.forEach(([, , , message], i) =>
      expect(versions.annotations[i]?.message).toMatch(message),
    );
  });

  it("checks release tags from the repository's tags, both ways", async () => {
    const repo = repoWith(MONOREPO, {
      "services/roc-api/main.go": "x\n",
      "services/roc-api/VERSION": "1.2.4\n",
    });
    const fresh = await cli(repo);
    expect(fresh.versions.summary).toMatch(/Release tags: checked against/);
    expect(fresh.versions.conclusion).toBe("success");
    repo.git("tag", "roc-api/v1.2.4", "main");
    const tagged = await cli(repo);
    expect(tagged.code).toBe(1);
    expect(tagged.versions.annotations[0]?.message).toMatch(/roc-api 1\.2\.4 was released already/);
  });
});

/** The bot's reads of the same change, served from the git repository through nock. */
function serveAsGitHub(repo: TempRepo): { base: string; head: string } {
  const base = repo.git("rev-parse", "main").trim();
  const head = repo.git("rev-parse", "feature").trim();
  const show = (sha: string, path: string): string | null => {
    try {
      return repo.git("show", `${sha}:${path}`);
    } catch {
      return null;
    }
  };
  const files = repo
    .git("diff", "--name-status", "--no-renames", base, head)
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [status = "M", path = ""] = line.split("\t");
      return {
        filename: path,
        status: status === "A" ? "added" : status === "D" ? "removed" : "modified",
        additions: 1,
        deletions: 1,
        changes: 2,
        patch: "@@ -1 +1 @@\n-a\n+b",
      };
    });
  const paths = repo.git("ls-tree", "-r", "--name-only", head).trim().split("\n");
  const tags = repo.git("tag", "--list").trim().split("\n").filter(Boolean);
  const message = repo.git("log", "-1", "--format=%B", head).trim();
  nock("https://api.github.com")
    .get("/repos/acme/mono/pulls/1/files")
    .query(true)
    .reply(200, files)
    .get("/repos/acme/mono/pulls/1/commits")
    .query(true)
    .reply(200, [
      {
        sha: head,
        parents: [{ sha: base }],
        author: null,
        committer: null,
        commit: { message, author: { name: "Dev", email: "dev@example.com" }, committer: null },
      },
    ])
    .get(`/repos/acme/mono/git/trees/${head}`)
    .query({ recursive: "1" })
    .reply(200, {
      sha: head,
      truncated: false,
      tree: paths.map((path) => ({ path, type: "blob" })),
    })
    .get(/\/repos\/acme\/mono\/git\/matching-refs\/tags/)
    .query(true)
    .reply(
      200,
      tags.map((t) => ({ ref: `refs/tags/${t}`, object: { sha: base, type: "commit" } })),
    )
    .post("/graphql")
    .reply(200, (_uri, body) => {
      const vars = (body as { variables: Record<string, string> }).variables;
      const repository: Record<string, { text: string; isBinary: boolean } | null> = {};
      for (const [k, v] of Object.entries(vars)) {
        if (!/^e\d+$/.test(k)) continue;
        const text = show(v.slice(0, 40), v.slice(41));
        repository[`f${k.slice(1)}`] = text === null ? null : { text, isBinary: false };
      }
      return { data: { repository } };
    });
  return { base, head };
}

describe("the CLI and the bot give the same verdicts on the same change", () => {
  it.each(cases.filter((c) => !c.config))("$name", async (c) => {
    const repo = repoWith(c.base, c.head, c.message);
    const { versions } = await cli(repo);
    nock.disableNetConnect();
    const { base, head } = serveAsGitHub(repo);
    const config = c.base[".github/monobot.yml"];
    const policy = mergePolicy(
      defaultPolicyObject(),
      config ? (await import("yaml")).parse(config) : {},
    ) as Policy;
    const bot = await evaluateChange({
      reader: new GitHubRepo(
        new TestOctokit({ auth: { token: "t" } }),
        "acme",
        "mono",
      ).pullRequestReader(1),
      policy,
      checks: [versionsCheck],
      repo: { owner: "acme", name: "mono", defaultBranch: "main" },
      base: { ref: "main", sha: base },
      head: { ref: "feature", sha: head },
    });
    const result = bot.results[0];
    expect(result?.conclusion).toBe(versions.conclusion);
    expect(result?.annotations.map((a) => [a.path, a.start_line, a.level, a.message])).toEqual(
      versions.annotations.map((a) => [a.path, a.start_line, a.level, a.message]),
    );
  });
});

/** monobot/versions on one commit of a history, as a pull request that landed as that commit. */
async function checkCommit(repo: TempRepo, sha: string, extra: string[] = []) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(
    ["check", "--repo", ".", "--base", `${sha}^`, "--head", sha, "--format", "json", ...extra],
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: repo.dir },
    [versionsCheck],
  );
  if (code === 2) throw new Error(`usage or config error: ${stderr}${stdout}`);
  const versions = (JSON.parse(stdout) as JsonOut).checks.find(
    (c) => c.name === "monobot/versions",
  );
  if (!versions) throw new Error("no monobot/versions in the output");
  return {
    code,
    annotations: versions.annotations.map((a) => `${a.level} ${a.path}: ${a.message}`),
  };
}

interface Step {
  what: string;
  files: Files;
  /** Paths to move with `git mv` before writing `files`: [from, to]. */
  moves?: [string, string][];
  code: 0 | 1;
  /** One pattern per annotation, in the check's order (failures first, then by path). */
  annotations: RegExp[];
}

async function replay(steps: Step[], base: Files, extra: string[] = []) {
  const repo = tempRepo("config");
  repos.push(repo);
  repo.commit(base, "base");
  for (const step of steps) {
    for (const [from, to] of step.moves ?? []) {
      const { mkdirSync } = await import("node:fs");
      mkdirSync(`${repo.dir}/${to.slice(0, to.lastIndexOf("/"))}`, { recursive: true });
      repo.git("mv", from, to);
    }
    const sha = repo.commit(step.files, step.what);
    const got = await checkCommit(repo, sha, extra);
    expect({ step: step.what, code: got.code }).toEqual({ step: step.what, code: step.code });
    expect(got.annotations, step.what).toHaveLength(step.annotations.length);
    step.annotations.forEach((m, i) => expect(got.annotations[i], step.what).toMatch(m));
  }
}

describe("monobot check commit by commit on a three-level umbrella (file://, embedded, repository)", () => {
  const dep = (name: string, version: string, repository?: string) =>
    `  - name: ${name}\n    version: ${version}\n${repository ? `    repository: "${repository}"\n` : ""}`;
  const root = (version: string, aether: string) =>
    chart(
      "root",
      version,
      `dependencies:\n${dep("aether", aether, "file://../aether")}${dep("ran-sim", "1.3.1", "@sdran")}`,
    );
  const aether = (version: string, rocApi: string, sub: string, rocApiChart = "roc-api") =>
    chart(
      "aether",
      version,
      `dependencies:\n${dep(rocApiChart, rocApi, `file://../${rocApiChart}`)}${dep("sub", sub)}`,
    );
  const BASE: Files = {
    "charts/root/Chart.yaml": root("1.0.0", "2.0.0"),
    "charts/aether/Chart.yaml": aether("2.0.0", "1.2.3", "0.1.0"),
    "charts/aether/charts/sub/Chart.yaml": chart("sub", "0.1.0"),
    "charts/aether/charts/sub/values.yaml": "a: 1\n",
    "charts/aether/charts/vendored/Chart.yaml": chart("vendored", "1.0.0"),
    "charts/aether/charts/vendored/templates/cm.yaml": "kind: ConfigMap\n",
    "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3"),
    "charts/roc-api/values.yaml": "a: 1\n",
    "charts/ran-sim/Chart.yaml": chart("ran-sim", "1.3.1"),
    "charts/ran-sim/values.yaml": "a: 1\n",
  };

  it("gives Helm's verdict on each commit", async () => {
    await replay(
      [
        {
          what: "roc-api goes up alone",
          files: {
            "charts/roc-api/values.yaml": "a: 2\n",
            "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4"),
          },
          code: 1,
          annotations: [
            /^failure charts\/aether\/Chart\.yaml: charts\/roc-api 1\.2\.3 -> 1\.2\.4 requires charts\/aether to bump[\s\S]*pins roc-api to 1\.2\.3, which does not admit 1\.2\.4/,
            /^failure charts\/root\/Chart\.yaml: .*which requires charts\/root to bump/,
          ],
        },
        {
          what: "the umbrellas follow up to the root",
          files: {
            "charts/aether/Chart.yaml": aether("2.0.1", "1.2.4", "0.1.0"),
            "charts/root/Chart.yaml": root("1.0.1", "2.0.1"),
          },
          code: 0,
          annotations: [],
        },
        {
          what: "ran-sim goes up: root pins it from @sdran, a notice",
          files: {
            "charts/ran-sim/values.yaml": "a: 2\n",
            "charts/ran-sim/Chart.yaml": chart("ran-sim", "1.3.2"),
          },
          code: 0,
          annotations: [
            /^notice charts\/root\/Chart\.yaml: charts\/root pins ran-sim 1\.3\.1 from @sdran; this repository now has 1\.3\.2 \(charts\/ran-sim\) — update the pin once 1\.3\.2 is published$/,
          ],
        },
        {
          what: "the unlisted embedded chart goes up, its umbrellas do not",
          files: {
            "charts/aether/charts/vendored/templates/cm.yaml": "kind: ConfigMap # 2\n",
            "charts/aether/charts/vendored/Chart.yaml": chart("vendored", "1.0.1"),
          },
          code: 1,
          annotations: [
            /^failure charts\/aether\/Chart\.yaml: charts\/aether\/charts\/vendored 1\.0\.0 -> 1\.0\.1 requires charts\/aether to bump: its version is still 2\.0\.1; write version: 2\.0\.2 \(patch\)/,
            /^failure charts\/root\/Chart\.yaml: .*which requires charts\/root to bump: its version is still 1\.0\.1/,
          ],
        },
        {
          what: "the listed embedded chart goes up with its umbrellas, but its pin stays",
          files: {
            "charts/aether/charts/sub/values.yaml": "a: 2\n",
            "charts/aether/charts/sub/Chart.yaml": chart("sub", "0.1.1"),
            "charts/aether/Chart.yaml": aether("2.0.2", "1.2.4", "0.1.0"),
            "charts/root/Chart.yaml": root("1.0.2", "2.0.2"),
          },
          code: 1,
          annotations: [
            /^failure charts\/aether\/Chart\.yaml: charts\/aether pins sub to 0\.1\.0, which does not admit 0\.1\.1/,
          ],
        },
        {
          what: "the pin follows",
          files: {
            "charts/aether/Chart.yaml": aether("2.0.3", "1.2.4", "0.1.1"),
            "charts/root/Chart.yaml": root("1.0.3", "2.0.3"),
          },
          code: 0,
          annotations: [],
        },
        {
          what: "ran-sim moves to another folder under its name (git mv): the same chart, unchanged",
          moves: [
            ["charts/ran-sim/Chart.yaml", "charts/ran/ran-sim/Chart.yaml"],
            ["charts/ran-sim/values.yaml", "charts/ran/ran-sim/values.yaml"],
          ],
          files: {},
          code: 0,
          annotations: [],
        },
        {
          what: "roc-api becomes a new chart roc-api-v2 in a renamed folder, at a lower version",
          moves: [
            ["charts/roc-api/Chart.yaml", "charts/roc-api-v2/Chart.yaml"],
            ["charts/roc-api/values.yaml", "charts/roc-api-v2/values.yaml"],
          ],
          files: {
            "charts/roc-api-v2/Chart.yaml": chart("roc-api-v2", "0.1.0"),
            "charts/aether/Chart.yaml": aether("2.1.0", "0.1.0", "0.1.1", "roc-api-v2"),
            "charts/root/Chart.yaml": root("1.1.0", "2.1.0"),
          },
          code: 0,
          annotations: [],
        },
        {
          what: "the root changes without its bump",
          files: { "charts/root/values.yaml": "a: 1\n" },
          code: 1,
          annotations: [
            /^failure charts\/root\/Chart\.yaml: charts\/root changed \(1 file\) but its version is still 1\.1\.0/,
          ],
        },
      ],
      BASE,
    );
  });
});

describe("monobot check commit by commit on a component with an in-development version", () => {
  const BASE: Files = {
    "models/ric/VERSION": "0.11.13\n",
    "models/ric/ric.yang": "module ric {}\n",
  };
  const steps = (strict: boolean): Step[] => [
    {
      what: "after the release, the next development version",
      files: { "models/ric/VERSION": "0.11.14-dev\n" },
      code: 0,
      annotations: [],
    },
    {
      what: "a change on 0.11.14-dev",
      files: { "models/ric/ric.yang": "module ric { leaf a; }\n" },
      code: strict ? 1 : 0,
      annotations: strict
        ? [
            /^failure models\/ric\/VERSION: models\/ric changed \(1 file\) but VERSION is still 0\.11\.14-dev/,
          ]
        : [],
    },
    {
      what: "another change on 0.11.14-dev",
      files: { "models/ric/ric.yang": "module ric { leaf a; leaf b; }\n" },
      code: strict ? 1 : 0,
      annotations: strict ? [/still 0\.11\.14-dev/] : [],
    },
    {
      what: "the release",
      files: { "models/ric/VERSION": "0.11.14\n" },
      code: 0,
      annotations: [],
    },
    {
      what: "a change on the release without a bump",
      files: { "models/ric/ric.yang": "module ric { leaf c; }\n" },
      code: 1,
      annotations: [
        /^failure models\/ric\/VERSION: models\/ric changed \(1 file\) but VERSION is still 0\.11\.14: write 0\.11\.15 \(patch\)/,
      ],
    },
    {
      what: "back to an older pre-release",
      files: { "models/ric/VERSION": "0.11.14-dev\n" },
      code: 1,
      annotations: [/went from 0\.11\.14 to 0\.11\.14-dev, a regression/],
    },
  ];

  it("lets changes land on the pre-release by default", async () => {
    await replay(steps(false), BASE);
  });

  it("asks for a bump on every change with versions.every_change: true", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const file = `${mkdtempSync(`${tmpdir()}/monobot-policy-`)}/monobot.yml`;
    writeFileSync(file, "versions:\n  every_change: true\n");
    await replay(steps(true), BASE, ["--config", file]);
  });
});
