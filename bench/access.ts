// Benchmark: GitHub API requests of one monobot/access evaluation as rules, teams and changed files grow.
import { pathToFileURL } from "node:url";
import type { ReviewRecord } from "../src/core/access-approvals.js";
import type { TeamMembers } from "../src/core/access.js";
import { resolvePolicy } from "../src/core/policy.js";
import type { ChangedFile } from "../src/core/types.js";
import type { PullRequestData } from "../src/forge/github.js";
import type { LoadedPolicy } from "../src/forge/policy-loader.js";
import type { Log } from "../src/log.js";
import { runAccessCheck, type AccessCheckPort } from "../src/workflows/access-check.js";

const HEAD = "a".repeat(40);
/** GitHub pages of list endpoints monobot asks for (per_page=100). */
const PAGE = 100;

interface Scenario {
  rules: number;
  teams: number;
  files: number;
  approvers: number;
}

const SCENARIOS: Scenario[] = [
  { rules: 1, teams: 1, files: 10, approvers: 2 },
  { rules: 10, teams: 1, files: 10, approvers: 2 },
  { rules: 100, teams: 1, files: 10, approvers: 2 },
  { rules: 100, teams: 10, files: 10, approvers: 2 },
  { rules: 100, teams: 10, files: 1_000, approvers: 2 },
  { rules: 100, teams: 10, files: 3_000, approvers: 2 },
  { rules: 100, teams: 10, files: 3_000, approvers: 0 },
  { rules: 1_000, teams: 50, files: 3_000, approvers: 5 },
];

/** A policy of `rules` rules over `teams` teams; every changed file matches some rule. */
function policy(s: Scenario): LoadedPolicy {
  const lines = ["access:", "  rules:"];
  for (let i = 0; i < s.rules; i++) {
    lines.push(
      `    - name: area ${i}`,
      `      paths: ["area-${i}/{part}/**"]`,
      `      approve: { count: 1, teams: [acme/team-${i % s.teams}] }`,
    );
  }
  lines.push("  owners: { teams: [acme/team-0] }");
  const result = resolvePolicy([{ file: ".github/monobot.yml", text: `${lines.join("\n")}\n` }]);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { result, files: [".github/monobot.yml"], repoFile: ".github/monobot.yml" };
}

/** A port that answers from memory and counts the requests GitHub's REST API would take. */
function countingPort(s: Scenario, loaded: LoadedPolicy) {
  const counts = { requests: 0, teamReads: 0 };
  const files: ChangedFile[] = Array.from({ length: s.files }, (_, i) => ({
    path: `area-${i % s.rules}/part-${i % 3}/file-${i}.yaml`,
    status: "modified",
    additions: 1,
    deletions: 0,
  }));
  const reviews: ReviewRecord[] = Array.from({ length: s.approvers }, (_, i) => ({
    id: i + 1,
    user: `user-${i}`,
    state: "APPROVED",
    commitId: HEAD,
  }));
  const port: AccessCheckPort = {
    loadPolicy: async () => {
      counts.requests += 1;
      return loaded;
    },
    pullRequestFiles: async () => {
      counts.requests += Math.max(1, Math.ceil(files.length / PAGE));
      return { files, truncated: false };
    },
    pullRequestReviews: async () => {
      counts.requests += 1;
      return reviews;
    },
    teamMembers: async (): Promise<TeamMembers> => {
      counts.requests += 1;
      counts.teamReads += 1;
      return { ok: true, members: new Set(reviews.map((r) => r.user)) };
    },
    permission: async () => {
      counts.requests += 1;
      return "write";
    },
    listCheckRuns: async () => {
      counts.requests += 1;
      return [];
    },
    createCheckRun: async () => {
      counts.requests += 1;
      return 1;
    },
    updateCheckRun: async () => {
      counts.requests += 1;
    },
    listComments: async () => [],
    createComment: async () => 1,
    updateComment: async () => {},
    deleteComment: async () => {},
  };
  return { port, counts };
}

const silent: Log = {
  info: () => {},
  warn: () => {},
  error: () => {},
  debug: () => {},
  child: () => silent,
} as unknown as Log; // the workflow logs through these four methods only

const PR: PullRequestData = {
  number: 1,
  title: "change",
  body: "",
  author: "alice",
  authorAssociation: "MEMBER",
  draft: false,
  fromFork: false,
  maintainerCanModify: false,
  headRef: "change",
  baseRef: "main",
  headSha: HEAD,
  baseSha: "b".repeat(40),
};

export async function benchAccess(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const rows: Array<Record<string, string | number>> = [];
  for (const s of SCENARIOS) {
    const { port, counts } = countingPort(s, policy(s));
    const started = performance.now();
    const outcome = await runAccessCheck(port, { pr: PR, deliveryId: "bench" }, silent);
    const ms = performance.now() - started;
    rows.push({
      rules: s.rules,
      teams: s.teams,
      "changed files": s.files,
      approvers: s.approvers,
      "API requests": counts.requests,
      "of which team reads": counts.teamReads,
      "files listing pages": Math.max(1, Math.ceil(s.files / PAGE)),
      conclusion: outcome.result?.conclusion ?? "none",
      "core + workflow ms": Number(ms.toFixed(1)),
    });
  }
  return { rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  void benchAccess().then(({ rows }) => console.table(rows));
}
