import { describe, expect, it } from "vitest";
import type { HistoryCommit } from "../../src/core/release-notes.js";
import type { ReleaseHistoryPort, TagRef } from "../../src/forge/release-history.js";
import {
  componentNotePaths,
  gatherReleaseNotes,
  MAX_PULL_LOOKUPS,
} from "../../src/workflows/release-notes.js";
import { resolvePolicy } from "../../src/core/policy.js";

const sha = (n: number) => n.toString(16).padStart(40, "0");

/** A monorepo's history in memory, counting what is asked. */
function fakeHistory(input: {
  tags: TagRef[];
  commits?: HistoryCommit[];
  pulls?: Record<string, { number: number; title: string }>;
  annotated?: Record<string, string>;
  compareStatus?: number;
  /** Per folder, the commits that touched it (newest first). */
  history?: Record<string, string[]>;
}) {
  const asked: string[] = [];
  const port: ReleaseHistoryPort = {
    owner: "acme",
    name: "mono",
    async tags(prefix) {
      asked.push(`tags ${prefix}`);
      return input.tags.filter((t) => t.name.startsWith(prefix));
    },
    async tagCommit(tag) {
      asked.push(`tagCommit ${tag}`);
      return input.annotated?.[tag] ?? null;
    },
    async compare(base, head) {
      asked.push(`compare ${base}...${head}`);
      if (input.compareStatus) throw Object.assign(new Error("x"), { status: input.compareStatus });
      return {
        commits: input.commits ?? [],
        total: input.commits?.length ?? 0,
        url: `https://ghe.example.com/acme/mono/compare/${base}...${head}`,
      };
    },
    async pullsOfCommit(s) {
      asked.push(`pulls ${s.slice(-2)}`);
      const pull = input.pulls?.[s];
      return pull ? [pull] : [];
    },
    async touching(rev, paths, first) {
      asked.push(`touching ${rev} ${paths.join(",")} first=${first}`);
      return new Set(paths.flatMap((p) => (input.history?.[p] ?? []).slice(0, first)));
    },
  };
  return { port, asked };
}

const tags: TagRef[] = [
  { name: "roc-api/v1.2.3", sha: sha(1), annotated: false },
  { name: "roc-api/v1.3.0", sha: sha(2), annotated: false },
  { name: "roc-api/v1.3.1-rc.1", sha: sha(3), annotated: false },
  { name: "roc-api-gw/v9.9.9", sha: sha(2), annotated: false },
];

describe("gatherReleaseNotes", () => {
  it("the release tag at the published commit, the one before it, the commits between: one listing, one compare", async () => {
    const { port, asked } = fakeHistory({
      tags,
      commits: [
        { sha: sha(10), message: "Retry the upstream on 503 (#42)", author: "alice" },
        { sha: sha(11), message: "Merge pull request #43 from bob/x\n\nAdd a health check" },
      ],
    });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
    });
    expect(found).toEqual({
      ok: true,
      notes: {
        version: "1.3.0",
        tag: "roc-api/v1.3.0",
        previous: { tag: "roc-api/v1.2.3", version: "1.2.3" },
        webUrl: "https://ghe.example.com",
        changes: [
          {
            sha: sha(10),
            title: "Retry the upstream on 503 (#42)",
            author: "alice",
            pr: { number: 42, title: "Retry the upstream on 503" },
          },
          {
            sha: sha(11),
            title: "Merge pull request #43 from bob/x",
            pr: { number: 43, title: "Add a health check" },
          },
        ],
      },
    });
    expect(asked).toEqual(["tags roc-api/v", "compare roc-api/v1.2.3...roc-api/v1.3.0"]);
  });

  it("no message names a pull request: the pulls API, for the newest commits only", async () => {
    const commits = Array.from({ length: 14 }, (_, i) => ({ sha: sha(100 + i), message: `c${i}` }));
    const { port, asked } = fakeHistory({
      tags,
      commits,
      pulls: { [sha(113)]: { number: 7, title: "Rebased PR" } },
    });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      version: "1.4.0",
    });
    expect(found.ok && found.notes.changes.at(-1)?.pr).toEqual({ number: 7, title: "Rebased PR" });
    expect(found.ok && found.notes.previous?.tag).toBe("roc-api/v1.3.0");
    expect(asked.filter((a) => a.startsWith("pulls"))).toHaveLength(MAX_PULL_LOOKUPS);
  });

  it.each([
    {
      name: "no release tag at the commit",
      query: { sha: sha(9) },
      reason: /no release tag of roc-api \(roc-api\/vVERSION\) points at 0000000/,
    },
    {
      name: "a template without {version}",
      query: { sha: sha(2), tagTemplate: "{component}" },
      reason: /versions\.tag "\{component\}" must contain \{version\} once/,
    },
  ])("refuses $name", async ({ query, reason }) => {
    const { port } = fakeHistory({ tags });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      ...query,
    });
    expect(found.ok).toBe(false);
    expect(!found.ok && found.reason).toMatch(reason);
  });

  it("the first release: no previous tag, no compare", async () => {
    const { port, asked } = fakeHistory({ tags: [tags[0] as TagRef] });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(1),
    });
    expect(found).toEqual({
      ok: true,
      notes: { version: "1.2.3", tag: "roc-api/v1.2.3", changes: [] },
    });
    expect(asked).toEqual(["tags roc-api/v"]);
  });

  it("an annotated release tag is followed to its commit", async () => {
    const { port } = fakeHistory({
      tags: [tags[0] as TagRef, { name: "roc-api/v1.3.0", sha: sha(77), annotated: true }],
      annotated: { "roc-api/v1.3.0": sha(2) },
    });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
    });
    expect(found.ok && found.notes.version).toBe("1.3.0");
  });

  it("a tag gone between listing and compare: the deploy goes on without the list", async () => {
    const { port } = fakeHistory({ tags, compareStatus: 404 });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
    });
    expect(found.ok && found.notes.changes).toEqual([]);
  });
});

describe("release notes per component", () => {
  const commits: HistoryCommit[] = [
    { sha: sha(20), message: "Retry the upstream on 503 (#42)" },
    { sha: sha(21), message: "Restyle the web front page (#43)" },
    { sha: sha(22), message: "Shared logger: JSON lines (#44)" },
    { sha: sha(23), message: "Docs only (#45)" },
  ];
  const history = {
    "services/roc-api": [sha(20), sha(1)],
    "libs/log": [sha(22)],
    "services/roc-web": [sha(21)],
  };

  it("lists only the commits that touched the component's folders and its dependencies': one more request", async () => {
    const { port, asked } = fakeHistory({ tags, commits, history });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
      paths: ["libs/log", "services/roc-api"],
    });
    expect(found.ok && found.notes.changes.map((c) => c.pr?.number)).toEqual([42, 44]);
    expect(found.ok && found.notes.filter).toEqual({
      paths: ["libs/log", "services/roc-api"],
      others: 2,
    });
    expect(asked).toEqual([
      "tags roc-api/v",
      "compare roc-api/v1.2.3...roc-api/v1.3.0",
      "touching roc-api/v1.3.0 libs/log,services/roc-api first=100",
    ]);
  });

  it("a promotion names both versions: no tag listing, the folders asked for once there are commits", async () => {
    const { port, asked } = fakeHistory({ tags, commits, history });
    const wanted: string[] = [];
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      version: "1.3.0",
      from: "1.1.0",
      paths: async (tag) => {
        wanted.push(tag);
        return ["services/roc-api"];
      },
    });
    expect(found.ok && found.notes.previous).toEqual({ tag: "roc-api/v1.1.0", version: "1.1.0" });
    expect(found.ok && found.notes.changes.map((c) => c.sha)).toEqual([sha(20)]);
    expect(wanted).toEqual(["roc-api/v1.3.0"]);
    expect(asked).toEqual([
      "compare roc-api/v1.1.0...roc-api/v1.3.0",
      "touching roc-api/v1.3.0 services/roc-api first=100",
    ]);
  });

  it("no commits between the tags: the folders are not looked up", async () => {
    const { port, asked } = fakeHistory({ tags, commits: [] });
    let looked = false;
    await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
      paths: async () => {
        looked = true;
        return ["services/roc-api"];
      },
    });
    expect(looked).toBe(false);
    expect(asked.some((a) => a.startsWith("touching"))).toBe(false);
  });

  it("folders unknown (root component, invalid policy): every commit is listed", async () => {
    const { port, asked } = fakeHistory({ tags, commits, history });
    const found = await gatherReleaseNotes(port, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
      paths: async () => undefined,
    });
    expect(found.ok && found.notes.changes).toHaveLength(4);
    expect(found.ok && found.notes.filter).toBeUndefined();
    expect(asked.some((a) => a.startsWith("touching"))).toBe(false);
  });

  it("componentNotePaths: the policy and one tree listing at the tag give the folders", async () => {
    const resolved = resolvePolicy([
      {
        file: ".github/monobot.yml",
        text: "components:\n  define:\n    roc-api: { depends_on: [log] }\n",
      },
    ]);
    if (!resolved.ok) throw new Error("policy");
    const reads: string[] = [];
    const repo = {
      repo: "mono",
      async loadPolicy(ref?: string) {
        reads.push(`policy ${ref}`);
        return { result: resolved, files: [], repoFile: ".github/monobot.yml" };
      },
      async paths(ref: string) {
        reads.push(`tree ${ref}`);
        return ["services/roc-api/VERSION", "services/roc-web/VERSION", "libs/log/VERSION"];
      },
    };
    expect(await componentNotePaths(repo, "roc-api", "roc-api/v1.3.0")).toEqual([
      "libs/log",
      "services/roc-api",
    ]);
    expect(reads).toEqual(["policy roc-api/v1.3.0", "tree roc-api/v1.3.0"]);

    // The paths the tags differ in name roc-api and log: no tree listing.
    reads.length = 0;
    const changed = ["services/roc-api/VERSION", "libs/log/VERSION", "libs/log/x.go"];
    expect(await componentNotePaths(repo, "roc-api", "roc-api/v1.3.0", undefined, changed)).toEqual(
      ["libs/log", "services/roc-api"],
    );
    expect(reads).toEqual(["policy roc-api/v1.3.0"]);

    // log was not released meanwhile: its folder is not known from them, the tree tells.
    reads.length = 0;
    expect(
      await componentNotePaths(repo, "roc-api", "roc-api/v1.3.0", undefined, [
        "services/roc-api/VERSION",
      ]),
    ).toEqual(["libs/log", "services/roc-api"]);
    expect(reads).toEqual(["policy roc-api/v1.3.0", "tree roc-api/v1.3.0"]);
  });

  it("the paths the compare lists reach the folder lookup (a complete list only)", async () => {
    const { port } = fakeHistory({ tags, commits, history });
    const given: (readonly string[] | undefined)[] = [];
    const withFiles = {
      ...port,
      compare: async (base: string, head: string) => ({
        ...(await port.compare(base, head)),
        files: ["services/roc-api/VERSION"],
      }),
    };
    await gatherReleaseNotes(withFiles, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
      paths: async (_tag, changed) => {
        given.push(changed);
        return ["services/roc-api"];
      },
    });
    const full = {
      ...port,
      compare: async (base: string, head: string) => ({
        ...(await port.compare(base, head)),
        files: Array.from({ length: 300 }, (_, i) => `f${i}`),
      }),
    };
    await gatherReleaseNotes(full, {
      component: "roc-api",
      tagTemplate: "{component}/v{version}",
      sha: sha(2),
      paths: async (_tag, changed) => {
        given.push(changed);
        return ["services/roc-api"];
      },
    });
    expect(given).toEqual([["services/roc-api/VERSION"], undefined]);
  });
});
