// The shared commit step and pull request step over small fakes: what they write, and when nothing.
import { describe, expect, it } from "vitest";
import type { DeployPull } from "../../src/forge/config-repo.js";
import { commitEdits, type CommitPlan, type CommitPort } from "../../src/workflows/commit-step.js";
import { openOrUpdatePull, type PullPort } from "../../src/workflows/open-or-update-pr.js";

const BASE = { sha: "b".repeat(40), treeSha: "t".repeat(40) };
const TIP = { sha: "c".repeat(40) };

/** A fake of the writes, logging each; `moves` answers each branch move in turn. */
function fakePort(moves: ("updated" | "rejected" | "created" | "exists")[] = []) {
  const log: string[] = [];
  let n = 0;
  const next = <T>(fallback: T): T => (moves[n++] as T | undefined) ?? fallback;
  const port: CommitPort = {
    git: {
      createTree: async (base, files) => {
        log.push(`tree ${base.slice(0, 1)} ${files.map((f) => f.path).join(",")}`);
        return "e".repeat(40);
      },
      createCommit: async (input) => {
        log.push(`commit ${input.parents.map((p) => p.slice(0, 1)).join(",")}`);
        return `${n}`.repeat(40);
      },
      updateBranch: async (branch) => {
        log.push(`fast-forward ${branch}`);
        return next("updated");
      },
      replaceBranch: async (branch, expected) => {
        log.push(`swap ${branch} from ${expected.slice(0, 1)}`);
        return next("updated");
      },
    },
    createBranch: async (branch) => {
      log.push(`create ${branch}`);
      return next("created");
    },
  };
  return { port, log };
}

function plan(over: Partial<CommitPlan> = {}): CommitPlan {
  return {
    base: BASE,
    tip: TIP,
    edits: [{ path: "VERSION", content: "1.2.4\n" }],
    message: "bump",
    join: "rebuild",
    upToDate: false,
    ...over,
  };
}

describe("commitEdits", () => {
  it("writes nothing when the branch holds the edits already", async () => {
    const { port, log } = fakePort();
    const r = await commitEdits({
      port,
      branch: "b",
      attempts: 3,
      read: async () => ({ plan: plan({ upToDate: true }), context: 1 }),
    });
    expect(r).toEqual({ unchanged: true, context: 1, attempts: 1 });
    expect(log).toEqual([]);
  });

  it("joins as asked: a new branch is created, a rebuild swapped, a merge fast-forwarded", async () => {
    const cases: [Partial<CommitPlan>, string[]][] = [
      [{ tip: null }, ["tree t VERSION", "commit b", "create b"]],
      [{}, ["tree t VERSION", "commit b", "swap b from c"]],
      [{ join: "merge" }, ["tree t VERSION", "commit c,b", "fast-forward b"]],
      [
        { join: "extend", base: { sha: TIP.sha, treeSha: BASE.treeSha } },
        ["tree t VERSION", "commit c", "fast-forward b"],
      ],
    ];
    for (const [over, expected] of cases) {
      const { port, log } = fakePort();
      const r = await commitEdits({
        port,
        branch: "b",
        attempts: 1,
        read: async () => ({ plan: plan(over), context: null }),
      });
      expect("committed" in r).toBe(true);
      expect(log).toEqual(expected);
    }
  });

  it("a lost race reads again and commits on the new base; bounded, it says what it lost", async () => {
    const { port, log } = fakePort(["rejected", "updated"]);
    const reads: number[] = [];
    const r = await commitEdits({
      port,
      branch: "b",
      attempts: 3,
      read: async (n) => {
        reads.push(n);
        return { plan: plan(), context: n };
      },
    });
    expect(reads).toEqual([1, 2]);
    expect(r).toMatchObject({ context: 2, attempts: 2 });
    expect(log.filter((l) => l.startsWith("swap"))).toHaveLength(2);

    const lost = await commitEdits({
      port: fakePort(["exists", "exists"]).port,
      branch: "b",
      attempts: 2,
      read: async () => ({ plan: plan({ tip: null }), context: null }),
    });
    expect(lost).toEqual({ lost: "ref b: exists", attempts: 2 });
  });

  it("a stop from the read writes nothing; GitHub's refusal is a sentence, not a throw", async () => {
    const { port, log } = fakePort();
    const stop = await commitEdits({
      port,
      branch: "b",
      attempts: 3,
      read: async () => ({ stop: "nothing to do" }),
    });
    expect(stop).toEqual({ stop: "nothing to do", attempts: 1 });
    expect(log).toEqual([]);
    const refusing: CommitPort = {
      ...port,
      git: {
        ...port.git,
        createTree: async () => {
          throw Object.assign(new Error("Resource not accessible by integration"), { status: 403 });
        },
      },
    };
    const refused = await commitEdits({
      port: refusing,
      branch: "b",
      attempts: 3,
      what: "the commit",
      read: async () => ({ plan: plan(), context: null }),
    });
    expect(refused).toEqual({
      refused: "GitHub refused the commit (HTTP 403: Resource not accessible by integration)",
      attempts: 1,
    });
  });
});

function pullOf(number: number, title: string, body: string): DeployPull {
  return {
    number,
    state: "open",
    merged: false,
    title,
    body,
    headRef: "monobot/x",
    headSha: "1".repeat(40),
    baseRef: "main",
    url: `https://github.com/acme/config/pull/${number}`,
  };
}

describe("openOrUpdatePull", () => {
  const text = { branch: "monobot/x", base: "main", title: "T", body: "B" };

  function fakePulls(listed: DeployPull[], create: DeployPull | "exists") {
    const log: string[] = [];
    const port: PullPort = {
      pullsForBranch: async () => {
        log.push("list");
        return listed;
      },
      createPull: async () => {
        log.push("create");
        return create;
      },
      updatePull: async (n, input) => {
        log.push(`update #${n} ${Object.keys(input).join(",")}`);
      },
    };
    return { port, log };
  }

  it("an unchanged title and body are not rewritten; a changed body alone is", async () => {
    const same = fakePulls([pullOf(1, "T", "B")], "exists");
    expect((await openOrUpdatePull(same.port, text)).status).toBe("unchanged");
    expect(same.log).toEqual(["list"]);
    const body = fakePulls([], "exists");
    expect((await openOrUpdatePull(body.port, text, pullOf(1, "T", "old"))).status).toBe("updated");
    expect(body.log).toEqual(["update #1 body"]);
  });

  it("opens one when none is open; when another run opened it meanwhile, updates that one", async () => {
    const fresh = fakePulls([], pullOf(2, "T", "B"));
    expect(await openOrUpdatePull(fresh.port, text, null)).toMatchObject({
      status: "opened",
      pull: { number: 2 },
    });
    const raced = fakePulls([pullOf(3, "T", "other")], "exists");
    expect(await openOrUpdatePull(raced.port, text, null)).toMatchObject({
      status: "updated",
      pull: { number: 3, body: "B" },
    });
    expect(raced.log).toEqual(["create", "list", "update #3 body"]);
  });
});
