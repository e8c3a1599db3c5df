// REST routes of the sandbox for a signed-in user: the app's installations they can reach and their repositories.
import { ApiError, notFound } from "../errors.js";
import type { Repository, SandboxState, User } from "../state.js";
import { json, paginate, type RestContext, type Route } from "./context.js";

/**
 * Whether the user has explicit access to a repository: owner, collaborator or organization member.
 * GitHub lists only those here; a public repository alone does not count.
 */
function explicitlyReaches(state: SandboxState, repo: Repository, user: User): boolean {
  const key = user.login.toLowerCase();
  if (repo.owner.login.toLowerCase() === key) return true;
  if (repo.collaborators.has(key)) return true;
  if (repo.owner.type === "Organization" && repo.owner.members.has(key))
    return repo.owner.members.get(key) === "admin" || state.roleOf(repo, user.login) !== "none";
  return false;
}

function userOf(ctx: RestContext): User {
  if (ctx.auth.kind !== "user")
    throw new ApiError(
      403,
      "You must authenticate with an access token authorized to a GitHub App",
    );
  return ctx.auth.user;
}

function reachable(ctx: RestContext, user: User, installationId?: number): Repository[] {
  return [...ctx.state.repos.values()]
    .filter(
      (r) =>
        r.installationId !== undefined &&
        (installationId === undefined || r.installationId === installationId) &&
        explicitlyReaches(ctx.state, r, user),
    )
    .sort((a, b) => a.id - b.id);
}

export const userInstallationRoutes: Route[] = [
  {
    operationId: "apps/list-installations-for-authenticated-user",
    handle: (ctx) => {
      const user = userOf(ctx);
      const ids = new Set(reachable(ctx, user).map((r) => r.installationId));
      const installations = [...ctx.state.installations.values()].filter((i) => ids.has(i.id));
      const page = paginate(ctx, installations);
      return json(
        200,
        {
          total_count: installations.length,
          installations: page.items.map((i) => ctx.view.installation(i)),
        },
        page.headers,
      );
    },
  },
  {
    operationId: "apps/list-installation-repos-for-authenticated-user",
    handle: (ctx) => {
      const user = userOf(ctx);
      const id = ctx.intParam("installation_id");
      const repos = reachable(ctx, user, id);
      // GitHub answers 404 for an installation the user cannot reach at all.
      if (repos.length === 0) throw notFound();
      const page = paginate(ctx, repos);
      return json(
        200,
        {
          total_count: repos.length,
          repository_selection: "selected",
          repositories: page.items.map((r) => ctx.view.repo(r)),
        },
        page.headers,
      );
    },
  },
];
