import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { versionsCheck } from "../../src/core/checks/versions.js";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../src/core/policy.js";
import { GitHubGitData } from "../../src/forge/git-data.js";
import { GitHubRepo } from "../../src/forge/github.js";
import {
  bumpPullRequest,
  gitHubBumpPort,
  type BumpWorkflowRequest,
} from "../../src/workflows/bump.js";
import { evaluateChange } from "../../src/workflows/evaluate-change.js";
import { pullRequestInfo } from "../../src/forge/github.js";
import { TestOctokit } from "../helpers/probot.js";
import { installationOctokit, standardSandbox } from "../sandbox/helpers.js";

const API = "https://api.github.com";
const BASE_SHA = "b".repeat(40);
const HEAD_SHA = "c".repeat(40);
const TREE_SHA = "7".repeat(40);
const NEW_TREE = "8".repeat(40);
const NEW_COMMIT = "9".repeat(40);

type Tree = Record<string, string>;

function policyWith(over: unknown = {}): Policy {
  return mergePolicy(defaultPolicyObject(), over) as Policy;
}

function octokit() {
  return new TestOctokit({ auth: { token: "ghs_test" } });
}

interface Fake {
  /** Requests answered, by name. */
  calls: Record<string, number>;
  tree?: {
    base_tree: string;
    tree: { path: string; mode: string; type: string; content: string }[];
  };
  commit?: { message: string; tree: string; parents: string[] };
  ref?: { sha: string; force: boolean };
  total(): number;
}

/**
 * A GitHub that serves one pull request (#7, branch `feature`) of `acme/mono` from two trees,
 * and takes the Git Data writes on `writeRepo` (the fork for a fork's pull request).
 */
function fakeGitHub(
  base: Tree,
  head: Tree,
  options: { branchSha?: string; updateRef?: 200 | 422; writeRepo?: string; treeStatus?: 403 } = {},
): Fake {
  const repo = "/repos/acme/mono";
  const write = `/repos/${options.writeRepo ?? "acme/mono"}`;
  const fake: Fake = {
    calls: {},
    total() {
      return Object.values(this.calls).reduce((a, b) => a + b, 0);
    },
  };
  const count = (name: string) => {
    fake.calls[name] = (fake.calls[name] ?? 0) + 1;
  };
  const files = [...new Set([...Object.keys(base), ...Object.keys(head)])]
    .filter((p) => base[p] !== head[p])
    .sort()
    .map((p) => ({
      filename: p,
      status: base[p] === undefined ? "added" : head[p] === undefined ? "removed" : "modified",
      additions: 1,
      deletions: 1,
      changes: 2,
      patch: "@@ -1 +1 @@\n-a\n+b",
    }));
  nock(API)
    .persist()
    .get(`${write}/branches/feature`)
    .reply(200, () => {
      count("get branch");
      return {
        name: "feature",
        commit: { sha: options.branchSha ?? HEAD_SHA, commit: { tree: { sha: TREE_SHA } } },
      };
    })
    .get(`${repo}/pulls/7/files`)
    .query(true)
    .reply(200, () => {
      count("list files");
      return files;
    })
    .get(`${repo}/pulls/7/commits`)
    .query(true)
    .reply(200, () => {
      count("list commits");
      return [
        {
          sha: HEAD_SHA,
          parents: [{ sha: BASE_SHA }],
          author: { login: "alice" },
          committer: { login: "alice" },
          commit: {
            message: "fix: things",
            author: { name: "Alice", email: "alice@example.com" },
            committer: { name: "Alice", email: "alice@example.com" },
          },
        },
      ];
    })
    .get(`${repo}/git/trees/${HEAD_SHA}`)
    .query({ recursive: "1" })
    .reply(200, () => {
      count("get tree");
      return {
        sha: TREE_SHA,
        truncated: false,
        tree: Object.keys(head).map((path) => ({
          path,
          type: "blob",
          mode: "100644",
          sha: "0".repeat(40),
        })),
      };
    })
    .get(/\/git\/matching-refs\/tags/)
    .query(true)
    .reply(200, () => {
      count("list tags");
      return [];
    })
    .post("/graphql")
    .reply(200, (_uri, body) => {
      count("graphql");
      const vars = (body as { variables: Record<string, string> }).variables;
      const repository: Record<string, { text: string; isBinary: boolean } | null> = {};
      for (const [k, v] of Object.entries(vars)) {
        if (!/^e\d+$/.test(k)) continue;
        const sha = v.slice(0, v.indexOf(":"));
        const path = v.slice(v.indexOf(":") + 1);
        const text = (sha === HEAD_SHA ? head : base)[path];
        repository[`f${k.slice(1)}`] = text === undefined ? null : { text, isBinary: false };
      }
      return { data: { repository } };
    })
    .post(`${write}/git/trees`)
    .reply((_uri, body) => {
      count("create tree");
      if (options.treeStatus) {
        return [options.treeStatus, { message: "Resource not accessible by integration" }];
      }
      fake.tree = body as Fake["tree"];
      return [201, { sha: NEW_TREE, tree: [] }];
    })
    .post(`${write}/git/commits`)
    .reply(201, (_uri, body) => {
      count("create commit");
      fake.commit = body as Fake["commit"];
      return { sha: NEW_COMMIT };
    })
    .patch(`${write}/git/refs/heads%2Ffeature`)
    .reply((_uri, body) => {
      count("update ref");
      fake.ref = body as Fake["ref"];
      return options.updateRef === 422
        ? [422, { message: "Update is not a fast forward" }]
        : [200, { ref: "refs/heads/feature", object: { sha: NEW_COMMIT } }];
    });
  return fake;
}

function request(
  over: Partial<BumpWorkflowRequest> = {},
  policy = policyWith(),
): BumpWorkflowRequest {
  return {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    pr: {
      number: 7,
      title: "Change roc-api",
      body: "",
      author: "alice",
      authorAssociation: "MEMBER",
      draft: false,
      fromFork: false,
      maintainerCanModify: false,
      headRef: "feature",
      baseRef: "main",
      headSha: HEAD_SHA,
      baseSha: BASE_SHA,
    },
    headRepo: { owner: "acme", name: "mono" },
    policy,
    level: "patch",
    names: [],
    requestedBy: "alice",
    ...over,
  };
}

function port(headRepo = { owner: "acme", name: "mono" }) {
  return gitHubBumpPort(new GitHubRepo(octokit(), "acme", "mono"), 7, headRepo);
}

const chart = (name: string, version: string, extra = "") =>
  `apiVersion: v2\nname: ${name}\nversion: ${version}\n${extra}`;

/** A monorepo with `n` components and its charts: root -> group -> one chart per component. */
function repository(n: number): Tree {
  const tree: Tree = {};
  const deps: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${String(i).padStart(2, "0")}`;
    tree[`services/${name}/VERSION`] = "1.2.3\n";
    tree[`services/${name}/main.go`] = "package main\n";
    tree[`charts/${name}/Chart.yaml`] = chart(name, "1.2.3", 'appVersion: "1.2.3"\n');
    tree[`charts/${name}/values.yaml`] = `image: ${name}\n`;
    deps.push(`  - name: ${name}\n    version: 1.2.3\n    repository: file://../${name}\n`);
  }
  tree["charts/group/Chart.yaml"] = chart("group", "2.0.0", `dependencies:\n${deps.join("")}`);
  tree["charts/root/Chart.yaml"] = chart(
    "root",
    "3.0.0",
    "dependencies:\n  - name: group\n    version: 2.0.0\n    repository: file://../group\n",
  );
  return tree;
}

function tiesFor(n: number) {
  const ties: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const name = `svc-${String(i).padStart(2, "0")}`;
    ties[`charts/${name}`] = name;
  }
  return { charts: { app_version: ties } };
}

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("/bump on a same-repository branch", () => {
  it("commits every edit in ONE commit on the expected head, and moves the branch without force", async () => {
    const base = repository(3);
    const head = { ...base, "services/svc-01/main.go": "package main // fix\n" };
    const fake = fakeGitHub(base, head);
    const policy = policyWith(tiesFor(3));
    const outcome = await bumpPullRequest(port(), request({}, policy));

    expect(outcome.status).toBe("committed");
    expect(outcome.commitSha).toBe(NEW_COMMIT);
    expect(fake.tree?.base_tree).toBe(TREE_SHA);
    expect(fake.tree?.tree.map((t) => [t.path, t.mode, t.type])).toEqual([
      ["services/svc-01/VERSION", "100644", "blob"],
      ["charts/svc-01/Chart.yaml", "100644", "blob"],
      ["charts/group/Chart.yaml", "100644", "blob"],
      ["charts/root/Chart.yaml", "100644", "blob"],
    ]);
    expect(fake.tree?.tree[0]?.content).toBe("1.2.4\n");
    expect(fake.tree?.tree[1]?.content).toBe(chart("svc-01", "1.2.4", 'appVersion: "1.2.4"\n'));
    expect(fake.commit?.parents).toEqual([HEAD_SHA]);
    expect(fake.commit?.tree).toBe(NEW_TREE);
    expect(fake.commit?.message).toMatch(/^Bump 1 component and 3 charts \(\/bump patch\)\n/);
    expect(fake.commit?.message).toContain("Requested by @alice with `/bump patch` on #7.");
    expect(fake.ref).toEqual({ sha: NEW_COMMIT, force: false });
    expect(outcome.reply).toBe(
      `committed ${NEW_COMMIT} to \`feature\` (4 files): svc-01 1.2.3 → 1.2.4, charts/svc-01 1.2.3 → 1.2.4, charts/group 2.0.0 → 2.0.1, charts/root 3.0.0 → 3.0.1. monobot/versions runs again on the new commit.`,
    );
    expect(fake.calls).toEqual({
      "get branch": 1,
      "list files": 1,
      "list commits": 1,
      "get tree": 1,
      graphql: 1,
      "create tree": 1,
      "create commit": 1,
      "update ref": 1,
    });
  });

  it("the committed head passes monobot/versions", async () => {
    const base = repository(3);
    const head = { ...base, "services/svc-01/main.go": "package main // fix\n" };
    fakeGitHub(base, head);
    const policy = policyWith(tiesFor(3));
    const outcome = await bumpPullRequest(port(), request({}, policy));
    const after: Tree = { ...head };
    for (const e of outcome.plan?.edits ?? []) after[e.path] = e.after;
    nock.cleanAll();
    fakeGitHub(base, after);
    const evaluation = await evaluateChange({
      reader: new GitHubRepo(octokit(), "acme", "mono").pullRequestReader(7),
      policy,
      checks: [versionsCheck],
      repo: { owner: "acme", name: "mono", defaultBranch: "main" },
      base: { ref: "main", sha: BASE_SHA },
      head: { ref: "feature", sha: HEAD_SHA },
    });
    expect(evaluation.results[0]?.conclusion).toBe("success");
  });

  it("bumps a named component and says so", async () => {
    const base = repository(2);
    const fake = fakeGitHub(base, {
      ...base,
      "services/svc-00/main.go": "x\n",
      "services/svc-00/VERSION": "1.2.4\n",
    });
    const outcome = await bumpPullRequest(port(), request({ level: "minor", names: ["svc-01"] }));
    expect(outcome.status).toBe("committed");
    expect(fake.tree?.tree.map((t) => [t.path, t.content])).toEqual([
      ["services/svc-01/VERSION", "1.3.0\n"],
    ]);
    expect(fake.commit?.message.split("\n")[0]).toBe("Bump svc-01 to 1.3.0 (/bump minor svc-01)");
  });

  it("answers that there is nothing to bump, without writing", async () => {
    const base = repository(2);
    const fake = fakeGitHub(base, {
      ...base,
      "services/svc-00/main.go": "x\n",
      "services/svc-00/VERSION": "1.2.4\n",
    });
    const outcome = await bumpPullRequest(port(), request());
    expect(outcome.status).toBe("nothing");
    expect(outcome.reply).toMatch(/nothing to bump\. .*e\.g\. `\/bump patch NAME`/);
    expect(fake.calls["create tree"]).toBeUndefined();
  });

  it("refuses an unknown name, without writing", async () => {
    const base = repository(2);
    const fake = fakeGitHub(base, base);
    const outcome = await bumpPullRequest(port(), request({ names: ["svc-99"] }));
    expect(outcome.status).toBe("refused");
    expect(outcome.reply).toMatch(
      /^`\/bump patch svc-99` was not run, nothing was committed:\n- there is no component or chart named `svc-99`/,
    );
    expect(fake.calls["create commit"]).toBeUndefined();
  });

  it("refuses /bump prerelease where pre-releases are forbidden, without a request", async () => {
    const outcome = await bumpPullRequest(
      port(),
      request({ level: "prerelease" }, policyWith({ versions: { prerelease: "forbid" } })),
    );
    expect(outcome).toMatchObject({
      status: "refused",
      reply: expect.stringMatching(/forbids pre-release versions/),
    });
  });
});

describe("/bump on a fork's branch", () => {
  it("refuses when the fork does not allow edits by maintainers, without a request", async () => {
    const req = request({
      pr: { ...request().pr, fromFork: true, maintainerCanModify: false },
      headRepo: { owner: "mallory", name: "mono" },
    });
    const outcome = await bumpPullRequest(port({ owner: "mallory", name: "mono" }), req);
    expect(outcome.status).toBe("refused");
    expect(outcome.reply).toBe(
      '`/bump patch` was not run: the head branch `feature` is in the fork mallory/mono, which does not allow edits by maintainers. Tick "Allow edits by maintainers" on this pull request and comment `/bump patch` again, or write the versions in the branch yourself.',
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("writes to the fork when it allows edits by maintainers", async () => {
    const base = repository(1);
    const fake = fakeGitHub(
      base,
      { ...base, "services/svc-00/main.go": "x\n" },
      { writeRepo: "bob/mono" },
    );
    const req = request({
      pr: { ...request().pr, fromFork: true, maintainerCanModify: true },
      headRepo: { owner: "bob", name: "mono" },
    });
    const outcome = await bumpPullRequest(port({ owner: "bob", name: "mono" }), req);
    expect(outcome.status).toBe("committed");
    expect(fake.calls["create commit"]).toBe(1);
    expect(fake.ref).toEqual({ sha: NEW_COMMIT, force: false });
  });

  it("refuses when the fork is gone", async () => {
    const outcome = await bumpPullRequest(port(), request({ headRepo: null }));
    expect(outcome.reply).toMatch(/head branch no longer exists/);
  });
});

describe("/bump when the head moved", () => {
  it("refuses before reading when the branch is not at the checked head", async () => {
    const base = repository(1);
    const fake = fakeGitHub(base, base, { branchSha: "d".repeat(40) });
    const outcome = await bumpPullRequest(port(), request());
    expect(outcome.status).toBe("refused");
    expect(outcome.reply).toBe(
      "`/bump patch` was not run: the head of this pull request moved since monobot checked it (checked ccccccc, `feature` is now at ddddddd). Wait for monobot/versions on the new head, then comment `/bump patch` again.",
    );
    expect(fake.calls).toEqual({ "get branch": 1 });
  });

  it("refuses when the check ran on an older head than the branch's", async () => {
    const base = repository(1);
    fakeGitHub(base, base);
    const outcome = await bumpPullRequest(port(), request({ checkedSha: "e".repeat(40) }));
    expect(outcome.reply).toMatch(/checked eeeeeee, `feature` is now at ccccccc/);
  });

  it("refuses when a push lands between the read and the ref update (422), never forcing", async () => {
    const base = repository(1);
    const fake = fakeGitHub(
      base,
      { ...base, "services/svc-00/main.go": "x\n" },
      { updateRef: 422 },
    );
    const outcome = await bumpPullRequest(port(), request());
    expect(outcome.status).toBe("refused");
    expect(outcome.reply).toBe(
      "`/bump patch` was not run: `feature` moved while monobot was committing the bump (a push came in after ccccccc), and monobot never force-pushes. Nothing was committed; comment `/bump patch` again once monobot/versions has run on the new head.",
    );
    expect(fake.ref?.force).toBe(false);
    expect(fake.calls["update ref"]).toBe(1);
  });

  it("turns GitHub's refusal of a write into a reply", async () => {
    const base = repository(1);
    const fake = fakeGitHub(
      base,
      { ...base, "services/svc-00/main.go": "x\n" },
      { treeStatus: 403 },
    );
    const outcome = await bumpPullRequest(port(), request());
    expect(outcome.status).toBe("refused");
    expect(outcome.reply).toMatch(
      /GitHub refused the commit \(HTTP 403: Resource not accessible by integration\) on acme\/mono/,
    );
    expect(fake.calls["create commit"]).toBeUndefined();
  });
});

describe("cost: GitHub requests per event do not grow with components or charts", () => {
  it.each([1, 5, 40])(
    "/bump with %i components, their charts and a two-level umbrella: 8 requests",
    async (n) => {
      const base = repository(n);
      const head = { ...base };
      for (let i = 0; i < n; i++)
        head[`services/svc-${String(i).padStart(2, "0")}/main.go`] = "changed\n";
      const fake = fakeGitHub(base, head);
      const outcome = await bumpPullRequest(port(), request({}, policyWith(tiesFor(n))));
      expect(outcome.status).toBe("committed");
      // n VERSION files, n service charts, the group chart and the root chart.
      expect(outcome.plan?.edits).toHaveLength(2 * n + 2);
      expect(fake.total()).toBe(8);
    },
  );

  it.each([1, 5, 40])("the check's reads with %i components and charts: 5 requests", async (n) => {
    const base = repository(n);
    const head = { ...base };
    for (let i = 0; i < n; i++)
      head[`services/svc-${String(i).padStart(2, "0")}/main.go`] = "changed\n";
    const fake = fakeGitHub(base, head);
    const evaluation = await evaluateChange({
      reader: new GitHubRepo(octokit(), "acme", "mono").pullRequestReader(7),
      policy: policyWith(tiesFor(n)),
      checks: [versionsCheck],
      repo: { owner: "acme", name: "mono", defaultBranch: "main" },
      base: { ref: "main", sha: BASE_SHA },
      head: { ref: "feature", sha: HEAD_SHA },
    });
    expect(evaluation.results[0]?.conclusion).toBe("failure");
    expect(fake.calls).toEqual({
      "list files": 1,
      "list commits": 1,
      "get tree": 1,
      "list tags": 1,
      graphql: 1,
    });
  });

  it("lists release tags with ONE matching-refs request", async () => {
    nock(API)
      .get("/repos/acme/mono/git/matching-refs/tags%2F")
      .query(true)
      .reply(200, [
        { ref: "refs/tags/svc-00/v1.2.3", object: { sha: "1".repeat(40) } },
        { ref: "refs/tags/svc-01/v0.1.0", object: { sha: "2".repeat(40) } },
      ]);
    const tags = await new GitHubGitData(octokit(), "acme", "mono").matchingTags("");
    expect(tags).toEqual(["svc-00/v1.2.3", "svc-01/v0.1.0"]);
    expect(nock.isDone()).toBe(true);
  });
});

describe("/bump against the sandbox: real git objects, requests checked against GitHub's OpenAPI", () => {
  beforeEach(() => {
    nock.enableNetConnect("127.0.0.1");
  });

  async function setup() {
    const { sandbox, repo, installationId } = await standardSandbox(repository(3));
    sandbox.pushCommit(repo, {
      branch: "feature/svc-01",
      from: "main",
      files: { "services/svc-01/main.go": "package main // fix\n" },
      author: "alice",
      message: "fix: svc-01",
    });
    const opened = sandbox.openPullRequest(repo, { head: "feature/svc-01", user: "alice" });
    const octokit = await installationOctokit(sandbox, installationId);
    const pr = pullRequestInfo(
      sandbox.pullRequest(repo, opened.number) as unknown as Parameters<typeof pullRequestInfo>[0],
    );
    const req = request({ pr }, policyWith(tiesFor(3)));
    const bumpPort = gitHubBumpPort(new GitHubRepo(octokit, "acme", "mono"), pr.number, {
      owner: "acme",
      name: "mono",
    });
    return { sandbox, repo, req, bumpPort };
  }

  it("commits to a branch whose name has a slash, in 8 requests, and the new head passes", async () => {
    const { sandbox, repo, req, bumpPort } = await setup();
    try {
      const mark = sandbox.mark();
      const outcome = await bumpPullRequest(bumpPort, req);
      expect(outcome.status).toBe("committed");
      expect(sandbox.requests({ since: mark })).toHaveLength(8);
      expect(sandbox.branchSha(repo, "feature/svc-01")).toBe(outcome.commitSha);
      expect(sandbox.readFile(repo, "feature/svc-01", "services/svc-01/VERSION")).toBe("1.2.4\n");
      expect(sandbox.readFile(repo, "feature/svc-01", "charts/svc-01/Chart.yaml")).toBe(
        chart("svc-01", "1.2.4", 'appVersion: "1.2.4"\n'),
      );
      expect(sandbox.readFile(repo, "feature/svc-01", "charts/root/Chart.yaml")).toContain(
        "version: 3.0.1\n",
      );
      expect(sandbox.readFile(repo, "feature/svc-01", "services/svc-00/main.go")).toBe(
        "package main\n",
      );
      sandbox.assertNoViolations();
    } finally {
      await sandbox.stop();
    }
  });

  it("refuses when a push landed after the pull request was read", async () => {
    const { sandbox, repo, req, bumpPort } = await setup();
    try {
      const pushed = sandbox.pushCommit(repo, {
        branch: "feature/svc-01",
        files: { "services/svc-01/more.go": "package main\n" },
        author: "alice",
      });
      const outcome = await bumpPullRequest(bumpPort, req);
      expect(outcome.status).toBe("refused");
      expect(outcome.reply).toContain(`is now at ${pushed.sha.slice(0, 7)}`);
      expect(sandbox.branchSha(repo, "feature/svc-01")).toBe(pushed.sha);
      sandbox.assertNoViolations();
    } finally {
      await sandbox.stop();
    }
  });
});
