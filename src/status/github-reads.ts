// What the status page reads from GitHub: the viewer's login and repositories, and open deploy PRs.
import type { DeployPull } from "./snapshot.js";

/** The one Octokit call the readers need, so tests and the sandbox can stand behind it. */
export type RequestFn = (
  route: string,
  params?: Record<string, unknown>,
) => Promise<{ data: unknown }>;

/** Bounds on what one viewer's listing reads: installations, and pages of 100 repositories each. */
const MAX_INSTALLATIONS = 50;
const MAX_REPO_PAGES = 10;

export interface ViewerRepositories {
  /** `owner/name`, lower case. */
  names: Set<string>;
  installations: number[];
}

/** The user's login (GET /user) with their token. */
export async function readLogin(request: RequestFn): Promise<string> {
  const { data } = await request("GET /user");
  const login = (data as { login?: unknown }).login;
  if (typeof login !== "string") throw new Error("GitHub's GET /user answered without a login");
  return login;
}

/**
 * The repositories the user's token can read through the app's installations: what GitHub shows
 * the user, never more (GET /user/installations, then each installation's repositories).
 */
export async function readViewerRepositories(request: RequestFn): Promise<ViewerRepositories> {
  const { data } = await request("GET /user/installations", { per_page: 100 });
  const installations = ((data as { installations?: { id: number }[] }).installations ?? [])
    .map((i) => i.id)
    .slice(0, MAX_INSTALLATIONS);
  const names = new Set<string>();
  for (const id of installations) {
    for (let page = 1; page <= MAX_REPO_PAGES; page++) {
      const res = await request("GET /user/installations/{installation_id}/repositories", {
        installation_id: id,
        per_page: 100,
        page,
      });
      const repos = (res.data as { repositories?: { full_name: string }[] }).repositories ?? [];
      for (const r of repos) names.add(r.full_name.toLowerCase());
      if (repos.length < 100) break;
    }
  }
  return { names, installations };
}

/** PRs read per config repo, and config repos read per refresh. */
const MAX_PULLS = 20;
export const MAX_CONFIG_REPOS = 10;

const FAILED = new Set(["failure", "timed_out", "cancelled", "action_required", "startup_failure"]);

interface PullData {
  number: number;
  title: string;
  html_url: string;
  draft?: boolean;
  head: { ref: string; sha: string };
}

interface CheckRunData {
  name: string;
  status: string;
  conclusion: string | null;
  output?: { title?: string | null };
}

interface StatusData {
  context: string;
  state: string;
  description?: string | null;
}

/** Why a PR waits, in words, from its head's check runs and commit statuses. */
export function waitingReasons(
  pull: Pick<PullData, "draft">,
  checks: readonly CheckRunData[],
  statuses: readonly StatusData[],
): string[] {
  const out: string[] = [];
  if (pull.draft) out.push("draft: mark it ready for review");
  for (const c of [...checks].sort((a, b) => a.name.localeCompare(b.name))) {
    const title = c.output?.title ? `: ${c.output.title}` : "";
    if (c.status !== "completed") out.push(`${c.name} pending`);
    else if (c.conclusion && FAILED.has(c.conclusion)) out.push(`${c.name} failed${title}`);
  }
  for (const s of [...statuses].sort((a, b) => a.context.localeCompare(b.context))) {
    const why = s.description ? `: ${s.description}` : "";
    if (s.state === "pending") out.push(`${s.context} pending${why}`);
    else if (s.state === "failure" || s.state === "error") out.push(`${s.context} failed${why}`);
  }
  return out;
}

/** The open `monobot/deploy-*` and `monobot/promote-*` PRs of one config repo and why each waits. */
export async function readDeployPulls(
  request: RequestFn,
  repository: string,
): Promise<DeployPull[]> {
  const [owner, repo] = repository.split("/");
  const { data } = await request("GET /repos/{owner}/{repo}/pulls", {
    owner,
    repo,
    state: "open",
    per_page: 100,
  });
  const pulls = (data as PullData[])
    .filter((p) => /^monobot\/(deploy|promote)-/.test(p.head.ref))
    .slice(0, MAX_PULLS);
  const out: DeployPull[] = [];
  for (const p of pulls) {
    const ref = { owner, repo, ref: p.head.sha, per_page: 100 };
    const [checks, statuses] = await Promise.all([
      request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", ref),
      request("GET /repos/{owner}/{repo}/commits/{ref}/status", ref),
    ]);
    out.push({
      repository,
      number: p.number,
      title: p.title,
      url: p.html_url,
      branch: p.head.ref,
      kind: p.head.ref.startsWith("monobot/promote-") ? "promotion" : "deploy",
      waiting: waitingReasons(
        p,
        (checks.data as { check_runs?: CheckRunData[] }).check_runs ?? [],
        (statuses.data as { statuses?: StatusData[] }).statuses ?? [],
      ),
    });
  }
  return out;
}
