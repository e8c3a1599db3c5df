// monobot/dco: every commit of a PR signed off (Developer Certificate of Origin) by its author.
import type { Policy } from "../policy.js";
import { redactResult } from "../redact.js";
import type { CheckResult, CommitInfo, PullRequestInfo } from "../types.js";
import { fitSummary, plural } from "./annotations.js";
import type { CheckDefinition, CheckInput } from "./registry.js";

type DcoPolicy = Policy["checks"]["dco"];

export interface SignOff {
  name: string;
  email: string;
}

const SIGN_OFF = /^[ \t]*Signed-off-by:[ \t]*(.*?)[ \t]*<([^<>\s]+)>[ \t]*$/gim;

/** The `Signed-off-by:` trailers of a commit message. */
export function signOffsOf(message: string): SignOff[] {
  const out: SignOff[] = [];
  SIGN_OFF.lastIndex = 0;
  for (let m = SIGN_OFF.exec(message); m; m = SIGN_OFF.exec(message)) {
    out.push({ name: m[1] ?? "", email: m[2] ?? "" });
  }
  return out;
}

export type CommitVerdict =
  | { ok: true; exempt?: "merge" | "bot" }
  | { ok: false; problem: "missing" | "mismatch"; signOffs: SignOff[] };

function exemptSet(dco: DcoPolicy): Set<string> {
  return new Set(dco.exempt.map((e) => e.toLowerCase()));
}

function isExempt(author: CommitInfo["author"], exempt: Set<string>): boolean {
  return (
    (author.login !== undefined && exempt.has(author.login.toLowerCase())) ||
    exempt.has(author.email.toLowerCase())
  );
}

/** Whether one commit satisfies the DCO rule. */
export function judgeCommit(commit: CommitInfo, exempt: Set<string>): CommitVerdict {
  if (commit.parents > 1) return { ok: true, exempt: "merge" };
  if (isExempt(commit.author, exempt)) return { ok: true, exempt: "bot" };
  const signOffs = signOffsOf(commit.message);
  if (signOffs.length === 0) return { ok: false, problem: "missing", signOffs };
  const email = commit.author.email.toLowerCase();
  if (signOffs.some((s) => s.email.toLowerCase() === email)) return { ok: true };
  return { ok: false, problem: "mismatch", signOffs };
}

/**
 * The squash commit GitHub writes when the repository squash-merges with the PR title and
 * description as the message: its author is the PR author, so the description must carry a
 * sign-off by an email the PR author committed with.
 */
export function judgeSquash(
  pr: PullRequestInfo,
  commits: readonly CommitInfo[],
  exempt: Set<string>,
): { ok: true } | { ok: false; expected: string[] } {
  if (exempt.has(pr.author.toLowerCase())) return { ok: true };
  const own = commits.filter((c) => c.author.login?.toLowerCase() === pr.author.toLowerCase());
  const pool = (own.length > 0 ? own : commits).filter((c) => !isExempt(c.author, exempt));
  const expected = [...new Set(pool.map((c) => c.author.email.toLowerCase()))];
  if (expected.length === 0) return { ok: true };
  const signOffs = signOffsOf(`${pr.title}\n\n${pr.body}`);
  if (signOffs.some((s) => expected.includes(s.email.toLowerCase()))) return { ok: true };
  return { ok: false, expected };
}

function subject(message: string): string {
  const first = message.split("\n", 1)[0] ?? "";
  const short = first.length > 72 ? `${first.slice(0, 69)}...` : first;
  return short.replace(/[|`\\]/g, (c) => `\\${c}`).replace(/[<>]/g, "");
}

function runDco({ snapshot, policy }: CheckInput): CheckResult {
  const dco = policy.checks.dco;
  const exempt = exemptSet(dco);
  const commits = snapshot.commits;
  const bad: {
    commit: CommitInfo;
    index: number;
    verdict: Extract<CommitVerdict, { ok: false }>;
  }[] = [];
  let merges = 0;
  let bots = 0;
  commits.forEach((commit, index) => {
    const verdict = judgeCommit(commit, exempt);
    if (verdict.ok) {
      if (verdict.exempt === "merge") merges++;
      if (verdict.exempt === "bot") bots++;
    } else bad.push({ commit, index, verdict });
  });
  const squash = dco.squash && snapshot.pr ? judgeSquash(snapshot.pr, commits, exempt) : undefined;
  const failed = bad.length > 0 || (squash !== undefined && !squash.ok);

  const out: string[] = [];
  const checkedCount = commits.length - merges - bots;
  if (commits.length === 0) {
    out.push("No commits to check.");
  } else {
    out.push(
      `${plural(checkedCount, "commit")} checked for a \`Signed-off-by:\` trailer matching the author's email: ${
        bad.length === 0 ? "all signed off" : `${bad.length} not`
      }.`,
    );
  }
  const exemptNotes: string[] = [];
  if (merges > 0) exemptNotes.push(`${plural(merges, "merge commit")}`);
  if (bots > 0)
    exemptNotes.push(`${plural(bots, "commit")} by exempt accounts (checks.dco.exempt)`);
  if (exemptNotes.length > 0) out.push(`Exempt: ${exemptNotes.join(", ")}.`);

  if (bad.length > 0) {
    out.push("");
    out.push("| commit | subject | author | problem |");
    out.push("|---|---|---|---|");
    for (const { commit, verdict } of bad) {
      const problem =
        verdict.problem === "missing"
          ? "no `Signed-off-by:`"
          : `signed off by ${verdict.signOffs.map((s) => s.email).join(", ")}, not the author`;
      out.push(
        `| ${commit.sha.slice(0, 7)} | ${subject(commit.message)} | ${commit.author.email} | ${problem} |`,
      );
    }
    out.push("");
    out.push(
      "**How to fix**: sign off each commit with the same email as its author, then force-push:",
    );
    out.push("");
    const onlyLast = bad.length === 1 && bad[0]?.index === commits.length - 1;
    out.push("```sh");
    if (onlyLast) {
      out.push("git commit --amend --signoff --no-edit");
    } else {
      out.push(`git rebase --signoff ${snapshot.base.sha}`);
    }
    out.push("git push --force-with-lease");
    out.push("```");
    if (onlyLast) {
      out.push("");
      out.push(
        `Only the last commit is missing its sign-off, so \`git commit --amend --signoff\` fixes it; for earlier commits use \`git rebase --signoff ${snapshot.base.sha}\` (the PR's base).`,
      );
    } else {
      out.push("");
      out.push(
        `\`git rebase --signoff ${snapshot.base.sha}\` adds your sign-off to every commit since the PR's base (\`${snapshot.base.ref}\`); for the last commit alone \`git commit --amend --signoff\` is enough.`,
      );
    }
    if (bad.some((b) => b.verdict.problem === "mismatch")) {
      out.push("");
      out.push(
        "The sign-off must use the commit author's email. Set it with `git config user.email <author email>` before signing off, or fix the author with `git commit --amend --reset-author --signoff`.",
      );
    }
    out.push("");
    out.push(
      "By signing off you certify the Developer Certificate of Origin (https://developercertificate.org/).",
    );
  }
  if (squash !== undefined && !squash.ok) {
    out.push("");
    out.push(
      `**Squash merge**: this repository squash-merges, and GitHub writes the squash commit's message from the PR title and description, which carry no sign-off by the PR author (${squash.expected.join(" or ")}). Add this line at the end of the PR description:`,
    );
    out.push("");
    out.push("```");
    out.push(`Signed-off-by: Your Name <${squash.expected[0] ?? "you@example.com"}>`);
    out.push("```");
  }

  return redactResult({
    name: "monobot/dco",
    conclusion: failed ? "failure" : "success",
    title: failed
      ? bad.length > 0
        ? `${plural(bad.length, "commit")} without a matching sign-off`
        : "The squash message has no sign-off"
      : commits.length === 0
        ? "No commits to check"
        : "All commits signed off",
    summary: fitSummary(out.join("\n")),
    annotations: [],
  });
}

export const dcoCheck: CheckDefinition = {
  id: "dco",
  name: "monobot/dco",
  run: runDco,
};
