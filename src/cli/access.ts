// `monobot access explain`: which access rules a local change matches and what they need, offline.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ReviewRecord } from "../core/access-approvals.js";
import { accessSectionChanged } from "../core/access-rules.js";
import {
  accessNeeds,
  evaluateAccess,
  verdictLine,
  type AccessVerdict,
  type TeamMembers,
} from "../core/access.js";
import { formatPolicyErrors, resolvePolicy, type PolicyResult } from "../core/policy.js";
import { LocalGit } from "../forge/local-git.js";
import { CONFIG_PATH } from "../forge/policy-loader.js";
import { movedEnvironments } from "../workflows/promotion-check.js";

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export const ACCESS_USAGE = `monobot access explain: which access rules a change matches, and what they need

Usage:
  monobot access explain --repo PATH --base REF --head REF
                         [--approved-by LOGIN[@ORG/TEAM,...]]... [--author LOGIN]
                         [--environment NAME]...
      Evaluate the \`access\` rules of ${CONFIG_PATH} at BASE (as the bot reads them from
      the pull request's base branch) on the change from BASE to HEAD, as if each
      --approved-by LOGIN had approved HEAD, being a member of the teams after @
      (offline, team membership comes from the command line). Approvers count as
      having write access for \`unmatched: require\`. --author's own approval does not
      count. The environments whose pins the change moves are read from the change, as
      the bot reads them; --environment names them instead.

Exit status: 0 every rule is satisfied, 1 some approvals are missing, 2 usage or
configuration error.
`;

export interface AccessCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

class AccessUsageError extends Error {}

/** `--approved-by alice@acme/platform,acme/sre` -> alice, member of both teams. */
export function parseApprover(value: string): { login: string; teams: string[] } {
  const at = value.indexOf("@");
  const login = (at < 0 ? value : value.slice(0, at)).trim();
  const teams =
    at < 0
      ? []
      : value
          .slice(at + 1)
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean);
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/.test(login)) {
    throw new AccessUsageError(`--approved-by "${value}": "${login}" is not a GitHub login`);
  }
  const bad = teams.find((t) => !/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t));
  if (bad !== undefined) {
    throw new AccessUsageError(`--approved-by "${value}": "${bad}" is not a team as org/team-slug`);
  }
  return { login, teams };
}

export async function runAccessCli(args: string[], io: AccessCliIo): Promise<number> {
  try {
    const [sub, ...rest] = args;
    if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
      io.stdout(ACCESS_USAGE);
      return sub ? EXIT_OK : EXIT_USAGE;
    }
    if (sub !== "explain") throw new AccessUsageError(`unknown command "access ${sub}"`);
    return await explain(rest, io);
  } catch (e) {
    if (e instanceof AccessUsageError || isArgError(e)) {
      io.stderr(`monobot: ${(e as Error).message}\nRun \`monobot access --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

function isArgError(e: unknown): boolean {
  return String((e as { code?: string } | null)?.code).startsWith("ERR_PARSE_ARGS");
}

async function explain(args: string[], io: AccessCliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      repo: { type: "string", default: "." },
      base: { type: "string" },
      head: { type: "string" },
      "approved-by": { type: "string", multiple: true, default: [] },
      author: { type: "string", default: "" },
      environment: { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.base || !values.head) {
    throw new AccessUsageError("access explain needs --base REF and --head REF");
  }
  const approvers = values["approved-by"].map(parseApprover);
  const git = new LocalGit(resolve(io.cwd, values.repo));
  const change = await git.openChange(values.base, values.head);
  try {
    const { baseTip, headSha, reader } = change;
    const texts = await reader.readFiles([
      { sha: baseTip, path: CONFIG_PATH },
      { sha: headSha, path: CONFIG_PATH },
    ]);
    const policyAt = (sha: string): PolicyResult => {
      const text = texts.get(`${sha}:${CONFIG_PATH}`);
      return resolvePolicy(typeof text === "string" ? [{ file: CONFIG_PATH, text }] : []);
    };
    const base = policyAt(baseTip);
    if (!base.ok) {
      io.stderr(`${values.base}: ${formatPolicyErrors(base.errors)}\n`);
      return EXIT_USAGE;
    }
    const access = base.policy.access;
    if (!access) {
      io.stdout(`${CONFIG_PATH} at ${values.base} has no \`access\` section: no rule applies.\n`);
      return EXIT_OK;
    }
    const out: string[] = [];
    const head =
      texts.get(`${baseTip}:${CONFIG_PATH}`) === texts.get(`${headSha}:${CONFIG_PATH}`)
        ? base
        : policyAt(headSha);
    if (!head.ok) {
      out.push(`The proposed ${CONFIG_PATH} at ${values.head} is invalid (monobot/config fails):`);
      out.push(
        ...formatPolicyErrors(head.errors)
          .split("\n")
          .map((l) => `  ${l}`),
        "",
      );
    }
    const listing = await reader.changedFiles();
    // Without --environment, the environments are those whose pins the change moves, as the bot reads them.
    const environments =
      values.environment.length > 0
        ? values.environment
        : await movedEnvironments(
            reader,
            { baseSha: baseTip, headSha },
            base.policy,
            listing.files,
          );
    const reviews: ReviewRecord[] = approvers.map((a, i) => ({
      id: i + 1,
      user: a.login,
      state: "APPROVED",
      commitId: headSha,
    }));
    const needs = accessNeeds({
      access,
      files: listing.files,
      truncated: listing.truncated,
      environments,
      accessChanged: accessSectionChanged(
        access,
        head.ok ? { ok: true, access: head.policy.access } : { ok: false },
      ),
      policyFile: CONFIG_PATH,
      author: values.author,
      headSha,
      reviews,
    });
    const teams = new Map<string, TeamMembers>();
    for (const team of needs.teams) {
      const members = approvers
        .filter((a) => a.teams.some((t) => t.toLowerCase() === team.toLowerCase()))
        .map((a) => a.login.toLowerCase());
      teams.set(team.toLowerCase(), { ok: true, members: new Set(members) });
    }
    const permissions = new Map(needs.permissions.map((p) => [p.toLowerCase(), "write"]));
    const verdict = evaluateAccess(needs, { teams, permissions }, listing.truncated);
    out.push(...explainText(verdict, values.base));
    io.stdout(`${out.join("\n")}\n`);
    return verdict.satisfied && head.ok ? EXIT_OK : EXIT_FAILED;
  } finally {
    change.close();
  }
}

/** The verdict as plain text: one line per requirement, its files, and reviews that do not count. */
export function explainText(verdict: AccessVerdict, baseRef: string): string[] {
  const out = [`Access rules from ${CONFIG_PATH} at ${baseRef}:`];
  if (verdict.verdicts.length === 0) out.push("  no rule applies to this change");
  for (const v of verdict.verdicts) {
    out.push(`  ${(v.satisfied ? "ok" : "MISSING").padEnd(8)}${verdictLine(v)}`);
    const r = v.requirement;
    if (r.files.length > 0) out.push(`          files: ${r.files.join(", ")}`);
    if (r.environments.length > 0) out.push(`          environments: ${r.environments.join(", ")}`);
    if (r.kind === "owners") {
      out.push("          (this change edits the access rules: the base branch's rules apply)");
    }
  }
  if (verdict.truncated) {
    out.push("  MISSING more than 3,000 changed files: the rules of the others are unknown");
  }
  for (const i of verdict.approvals.ignored) out.push(`  not counted: @${i.user}: ${i.reason}`);
  return out;
}
