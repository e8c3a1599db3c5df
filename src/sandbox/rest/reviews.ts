// Pull request reviews and organisation teams in the sandbox: their state, the REST routes that read them.
import { notFound } from "../errors.js";
import type { Repository, SandboxState, User } from "../state.js";
import { json, paginate, type RestContext, type Route } from "./context.js";

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";

export interface Review {
  id: number;
  user: User;
  state: ReviewState;
  commitId: string;
  body: string;
  submittedAt: string;
}

/** Reviews by repository and pull request, and teams by organisation; kept beside the state. */
export interface ReviewsAndTeams {
  reviews: Map<string, Review[]>;
  /** `org/slug` in lower case -> member logins (lower case). */
  teams: Map<string, { org: User; slug: string; members: Set<string> }>;
}

const stores = new WeakMap<SandboxState, ReviewsAndTeams>();

export function reviewsAndTeams(state: SandboxState): ReviewsAndTeams {
  let store = stores.get(state);
  if (!store) {
    store = { reviews: new Map(), teams: new Map() };
    stores.set(state, store);
  }
  return store;
}

export function pullKey(repo: Repository, number: number): string {
  return `${repo.id}#${number}`;
}

function reviewJson(ctx: RestContext, repo: Repository, number: number, r: Review) {
  const html = ctx.view.urls.html(
    `/${repo.owner.login}/${repo.name}/pull/${number}#pullrequestreview-${r.id}`,
  );
  return {
    id: r.id,
    node_id: Buffer.from(`PullRequestReview:${r.id}`).toString("base64"),
    user: ctx.view.user(r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: ctx.view.urls.apiUrl(
      `/repos/${repo.owner.login}/${repo.name}/pulls/${number}`,
    ),
    _links: { html: { href: html }, pull_request: { href: html } },
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
    author_association: ctx.state.associationOf(repo, r.user),
  };
}

export const reviewRoutes: Route[] = [
  {
    operationId: "pulls/list-reviews",
    permission: "pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const number = ctx.intParam("pull_number");
      if (!ctx.state.pull(repo, number)) throw notFound();
      const list = reviewsAndTeams(ctx.state).reviews.get(pullKey(repo, number)) ?? [];
      const page = paginate(ctx, list);
      return json(
        200,
        page.items.map((r) => reviewJson(ctx, repo, number, r)),
        page.headers,
      );
    },
  },
  {
    operationId: "teams/list-members-in-org",
    permission: "members",
    handle: (ctx) => {
      const key = `${ctx.param("org")}/${ctx.param("team_slug")}`.toLowerCase();
      const team = reviewsAndTeams(ctx.state).teams.get(key);
      // GitHub hides a team of an organisation the caller cannot see, as it hides a missing one.
      if (!team) throw notFound();
      if (ctx.auth.kind === "installation" && ctx.auth.installation.account !== team.org) {
        throw notFound();
      }
      const members = [...team.members]
        .map((login) => ctx.state.user(login))
        .filter((u): u is User => u !== undefined);
      const page = paginate(ctx, members);
      return json(
        200,
        page.items.map((u) => ctx.view.user(u)),
        page.headers,
      );
    },
  },
];
