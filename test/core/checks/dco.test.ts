// Tests for monobot/dco: sign-off trailers, exemptions, squash messages and the fix commands.
import { describe, expect, it } from "vitest";
import { dcoCheck, judgeCommit, signOffsOf } from "../../../src/core/checks/dco.js";
import { resolvePolicy, type Policy } from "../../../src/core/policy.js";
import type {
  ChangeSnapshot,
  CheckResult,
  CommitInfo,
  PullRequestInfo,
} from "../../../src/core/types.js";

function policyFrom(yaml = ""): Policy {
  const r = resolvePolicy(yaml ? [{ file: ".github/monobot.yml", text: yaml }] : []);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

const BASE_SHA = "0123456789abcdef0123456789abcdef01234567";

function commit(
  sha: string,
  message: string,
  author: { name?: string; email: string; login?: string } = { email: "ada@example.com" },
  parents = 1,
): CommitInfo {
  return {
    sha: sha.padEnd(40, "0"),
    message,
    author: { name: author.name ?? "Ada", email: author.email, login: author.login ?? "ada" },
    parents,
  };
}

function pr(body: string, author = "ada"): PullRequestInfo {
  return {
    number: 7,
    title: "Add the thing",
    body,
    author,
    authorAssociation: "CONTRIBUTOR",
    draft: false,
    fromFork: true,
    maintainerCanModify: true,
    headRef: "topic",
    baseRef: "main",
  };
}

function dco(
  commits: CommitInfo[],
  opts: { policy?: string; pr?: PullRequestInfo } = {},
): CheckResult {
  const snapshot: ChangeSnapshot = {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    base: { ref: "main", sha: BASE_SHA },
    head: { ref: "topic", sha: "f".repeat(40) },
    files: [],
    truncated: false,
    commits,
    headPaths: [],
    contents: new Map(),
    ...(opts.pr ? { pr: opts.pr } : {}),
  };
  return dcoCheck.run({
    snapshot,
    policy: policyFrom(opts.policy),
    components: { components: [], affected: [], outside: [], errors: [] },
  });
}

const SIGNED = "Fix it\n\nSigned-off-by: Ada Lovelace <ada@example.com>";

describe("judgeCommit", () => {
  const exempt = new Set(["dependabot[bot]", "release@acme.example"]);
  const cases: { name: string; commit: CommitInfo; ok: boolean; problem?: string }[] = [
    { name: "signed off by the author", commit: commit("a1", SIGNED), ok: true },
    {
      name: "emails compare case-insensitively",
      commit: commit("a2", "x\n\nSigned-off-by: Ada <ADA@Example.COM>"),
      ok: true,
    },
    {
      name: "one of several trailers matches",
      commit: commit(
        "a3",
        "x\n\nSigned-off-by: Bob <bob@example.com>\nSigned-off-by: Ada <ada@example.com>",
      ),
      ok: true,
    },
    { name: "no trailer", commit: commit("a4", "Fix it"), ok: false, problem: "missing" },
    {
      name: "a trailer by someone else",
      commit: commit("a5", "x\n\nSigned-off-by: Bob <bob@example.com>"),
      ok: false,
      problem: "mismatch",
    },
    {
      name: "a trailer without an email does not count",
      commit: commit("a6", "x\n\nSigned-off-by: Ada"),
      ok: false,
      problem: "missing",
    },
    {
      name: "the words in the middle of a line do not count",
      commit: commit("a7", "x\n\nnot Signed-off-by: Ada <ada@example.com>"),
      ok: false,
      problem: "missing",
    },
    {
      name: "a merge commit is exempt",
      commit: commit("a8", "Merge branch 'main'", undefined, 2),
      ok: true,
    },
    {
      name: "a configured bot login is exempt",
      commit: commit("a9", "Bump x", {
        email: "49699333+dependabot[bot]@users.noreply.github.com",
        login: "dependabot[bot]",
      }),
      ok: true,
    },
    {
      name: "a configured email is exempt",
      commit: commit("aa", "Release", { email: "Release@Acme.example", login: "someone" }),
      ok: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = judgeCommit(c.commit, exempt);
      expect(v.ok).toBe(c.ok);
      if (!v.ok) expect(v.problem).toBe(c.problem);
    });
  }

  it("reads every trailer's name and email", () => {
    expect(signOffsOf("t\n\nSigned-off-by: A B <a@b.c>\r\nsigned-off-by: C <c@d.e>\n")).toEqual([
      { name: "A B", email: "a@b.c" },
      { name: "C", email: "c@d.e" },
    ]);
  });
});

describe("monobot/dco", () => {
  it("passes when every commit is signed off, merges and bots exempt", () => {
    const result = dco([
      commit("c1", SIGNED),
      commit("c2", "Merge main", undefined, 2),
      commit("c3", "Bump", { email: "bot@x", login: "renovate[bot]" }),
    ]);
    expect(result.conclusion).toBe("success");
    expect(result.name).toBe("monobot/dco");
    expect(result.title).toBe("All commits signed off");
    expect(result.summary).toMatch(/Exempt: 1 merge commit, 1 commit by exempt accounts/);
    expect(result.annotations).toEqual([]);
  });

  it("lists the offending commits and the rebase command when an earlier commit lacks it", () => {
    const result = dco([commit("bad1", "First | try"), commit("c2", SIGNED)]);
    expect(result.conclusion).toBe("failure");
    expect(result.title).toBe("1 commit without a matching sign-off");
    expect(result.summary).toContain(
      "| bad1000 | First \\| try | ada@example.com | no `Signed-off-by:` |",
    );
    expect(result.summary).toContain(`git rebase --signoff ${BASE_SHA}`);
    expect(result.summary).toContain("git commit --amend --signoff");
    expect(result.summary).toContain("git push --force-with-lease");
  });

  it("gives the amend command when only the last commit lacks it", () => {
    const result = dco([commit("c1", SIGNED), commit("bad2", "Last")]);
    expect(result.conclusion).toBe("failure");
    expect(result.summary).toMatch(
      /```sh\ngit commit --amend --signoff --no-edit\ngit push --force-with-lease\n```/,
    );
  });

  it("explains an email that does not match the author", () => {
    const result = dco([commit("c1", "x\n\nSigned-off-by: Ada <ada@home.example>")]);
    expect(result.conclusion).toBe("failure");
    expect(result.summary).toMatch(/signed off by ada@home\.example, not the author/);
    expect(result.summary).toMatch(/git config user\.email/);
  });

  it("passes with no commits to check", () => {
    const result = dco([]);
    expect(result.conclusion).toBe("success");
    expect(result.title).toBe("No commits to check");
  });

  const squash = "checks:\n  dco:\n    squash: true\n";
  const squashCases: {
    name: string;
    body: string;
    author?: string;
    conclusion: "success" | "failure";
  }[] = [
    {
      name: "a squash-merging repository needs a sign-off in the PR body",
      body: "Adds the thing.",
      conclusion: "failure",
    },
    {
      name: "a PR body signed off by the PR author passes",
      body: "Adds the thing.\n\nSigned-off-by: Ada <ada@example.com>",
      conclusion: "success",
    },
    {
      name: "a PR body signed off by someone else fails",
      body: "Signed-off-by: Eve <eve@example.com>",
      conclusion: "failure",
    },
    { name: "a bot's PR is exempt", body: "", author: "dependabot[bot]", conclusion: "success" },
  ];
  for (const c of squashCases) {
    it(c.name, () => {
      const result = dco([commit("c1", SIGNED)], { policy: squash, pr: pr(c.body, c.author) });
      expect(result.conclusion).toBe(c.conclusion);
      if (c.conclusion === "failure") {
        expect(result.summary).toMatch(/Squash merge.*PR title and description/s);
        expect(result.summary).toContain("Signed-off-by: Your Name <ada@example.com>");
      }
    });
  }

  it("ignores the PR body when the repository does not squash-merge", () => {
    expect(dco([commit("c1", SIGNED)], { pr: pr("no sign-off") }).conclusion).toBe("success");
  });
});
