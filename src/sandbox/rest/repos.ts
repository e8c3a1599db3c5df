// REST routes of the sandbox for repositories: contents, commits, compare, branches, collaborators, statuses.
import { ApiError, notFound, unprocessable, validationFailed } from "../errors.js";
import { isSha, type TreeEntry } from "../git-objects.js";
import type { Repository } from "../state.js";
import {
  json,
  noContent,
  paginate,
  str,
  type RestContext,
  type RestResponse,
  type Route,
} from "./context.js";

const LEGACY_PERMISSION: Record<string, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** GitHub wraps base64 content at 60 characters per line. */
function wrapBase64(buf: Buffer): string {
  const b64 = buf.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 60) lines.push(b64.slice(i, i + 60));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function contentTypeOf(e: TreeEntry): string {
  if (e.type === "tree") return "dir";
  if (e.type === "commit") return "submodule";
  if (e.mode === "120000") return "symlink";
  return "file";
}

function contentEntry(
  ctx: RestContext,
  repo: Repository,
  ref: string,
  path: string,
  e: TreeEntry,
): Record<string, unknown> {
  const full = `${repo.owner.login}/${repo.name}`;
  const self = ctx.view.urls.apiUrl(
    `/repos/${full}/contents/${encodePath(path)}?ref=${encodeURIComponent(ref)}`,
  );
  const kind = contentTypeOf(e);
  const git = ctx.view.urls.apiUrl(
    `/repos/${full}/git/${kind === "dir" ? "trees" : "blobs"}/${e.sha}`,
  );
  const html = ctx.view.urls.html(
    `/${full}/${kind === "dir" ? "tree" : "blob"}/${ref}/${encodePath(path)}`,
  );
  const size = e.type === "blob" ? (ctx.state.store.blob(e.sha)?.length ?? 0) : 0;
  return {
    type: kind,
    size,
    name: path.split("/").pop() ?? path,
    path,
    sha: e.sha,
    url: self,
    git_url: kind === "submodule" ? null : git,
    html_url: kind === "submodule" ? null : html,
    download_url:
      kind === "file" || kind === "symlink"
        ? ctx.view.urls.html(`/${full}/raw/${ref}/${encodePath(path)}`)
        : null,
    _links: { self, git, html },
  };
}

function fileContent(
  ctx: RestContext,
  repo: Repository,
  ref: string,
  path: string,
  e: TreeEntry,
): Record<string, unknown> {
  const out = contentEntry(ctx, repo, ref, path, e);
  const buf = ctx.state.store.blob(e.sha) ?? Buffer.alloc(0);
  if (out.type === "symlink") return { ...out, target: buf.toString("utf8") };
  if (out.type === "submodule") return { ...out, submodule_git_url: null };
  // Between 1 MB and 100 MB GitHub leaves the content out of the JSON form.
  if (buf.length > 1024 * 1024) return { ...out, content: "", encoding: "none" };
  return { ...out, content: wrapBase64(buf), encoding: "base64" };
}

function wantsRaw(ctx: RestContext): boolean {
  return /application\/vnd\.github(\.v3)?\.raw/i.test(ctx.accept());
}

function resolveOr404(ctx: RestContext, repo: Repository, ref: string): string {
  const sha = ctx.state.resolveCommit(repo, ref);
  if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`);
  return sha;
}

function parseSide(
  ctx: RestContext,
  repo: Repository,
  side: string,
): { repo: Repository; sha: string } {
  let target = repo;
  let ref = side;
  const colon = side.indexOf(":");
  if (colon > 0) {
    const owner = side.slice(0, colon);
    ref = side.slice(colon + 1);
    const fork = [...ctx.state.repos.values()].find(
      (r) =>
        r.owner.login.toLowerCase() === owner.toLowerCase() &&
        (r === repo ||
          r.parent === repo ||
          repo.parent === r ||
          (r.parent && r.parent === repo.parent)),
    );
    if (!fork) throw notFound();
    target = fork;
  }
  const sha = ctx.state.resolveCommit(target, ref);
  if (!sha) throw notFound();
  return { repo: target, sha };
}

function compare(ctx: RestContext, baseSpec: string, headSpec: string): RestResponse {
  const repo = ctx.repo();
  const base = parseSide(ctx, repo, baseSpec);
  const head = parseSide(ctx, repo, headSpec);
  const store = ctx.state.store;
  const mergeBase = store.mergeBase(base.sha, head.sha);
  const ahead = store.commitsBetween(base.sha, head.sha);
  const behind = store.commitsBetween(head.sha, base.sha);
  let status: string;
  if (base.sha === head.sha) status = "identical";
  else if (behind.length === 0) status = "ahead";
  else if (ahead.length === 0) status = "behind";
  else status = "diverged";
  const full = `${repo.owner.login}/${repo.name}`;
  const page = paginate(ctx, ahead, { maxPerPage: 250 });
  const out: Record<string, unknown> = {
    url: ctx.view.urls.apiUrl(`/repos/${full}/compare/${baseSpec}...${headSpec}`),
    html_url: ctx.view.urls.html(`/${full}/compare/${baseSpec}...${headSpec}`),
    permalink_url: ctx.view.urls.html(`/${full}/compare/${base.sha}...${head.sha}`),
    diff_url: ctx.view.urls.html(`/${full}/compare/${baseSpec}...${headSpec}.diff`),
    patch_url: ctx.view.urls.html(`/${full}/compare/${baseSpec}...${headSpec}.patch`),
    base_commit: ctx.view.commit(base.repo, base.sha),
    merge_base_commit: mergeBase ? ctx.view.commit(repo, mergeBase) : null,
    status,
    ahead_by: ahead.length,
    behind_by: behind.length,
    total_commits: ahead.length,
    commits: page.items.map((sha) => ctx.view.commit(head.repo, sha)),
  };
  const pageNumber = Number(ctx.query.get("page") ?? "1");
  if (pageNumber <= 1) {
    // GitHub lists at most 300 files in a comparison.
    const files = ctx.state.changedFiles(mergeBase, head.sha).slice(0, 300);
    out.files = files.map((f) => ctx.view.file(head.repo, head.sha, f));
  }
  return json(200, out, page.headers);
}

function splitBasehead(basehead: string): [string, string] {
  const i = basehead.indexOf("...");
  if (i > 0) return [basehead.slice(0, i), basehead.slice(i + 3)];
  const j = basehead.indexOf("..");
  if (j > 0) return [basehead.slice(0, j), basehead.slice(j + 2)];
  throw notFound();
}

function writeFile(ctx: RestContext, deleting: boolean): RestResponse {
  const repo = ctx.repo();
  const body = ctx.bodyObject();
  const path = ctx.param("path");
  const branch = str(body, "branch") ?? repo.defaultBranch;
  const tip = ctx.state.branchSha(repo, branch);
  if (!tip && ctx.state.branchSha(repo, repo.defaultBranch))
    throw new ApiError(404, `Branch ${branch} not found`);
  const existing = tip ? ctx.state.store.lookup(ctx.state.treeOf(tip), path) : undefined;
  const sha = str(body, "sha");
  if (existing && existing.type === "tree") throw unprocessable(`${path} is a directory`);
  if (deleting && !existing) throw notFound();
  if (existing && !sha) throw unprocessable(`"sha" wasn't supplied.`);
  if (existing && sha !== existing.sha) throw new ApiError(409, `${path} does not match ${sha}`);
  const actor = ctx.actor();
  const person = (key: string) => {
    const p = body[key];
    if (p && typeof p === "object") {
      const o = p as Record<string, unknown>;
      if (typeof o.name === "string" && typeof o.email === "string")
        return { name: o.name, email: o.email };
    }
    return undefined;
  };
  const author = person("author") ??
    person("committer") ?? { name: actor.name, email: actor.email };
  const committer = person("committer") ?? author;
  const content = deleting ? null : Buffer.from(str(body, "content") ?? "", "base64");
  const commitSha = ctx.state.commitFiles(repo, {
    branch,
    files: { [path]: content },
    message: str(body, "message") ?? "",
    author,
    committer,
  });
  const entry = ctx.state.store.lookup(ctx.state.treeOf(commitSha), path);
  return json(deleting ? 200 : existing ? 200 : 201, {
    content: entry ? contentEntry(ctx, repo, branch, path, entry) : null,
    commit: ctx.view.gitCommit(repo, commitSha),
  });
}

export const repoRoutes: Route[] = [
  {
    operationId: "repos/get",
    permission: "metadata",
    handle: (ctx) => {
      // An installation token reads a public repository's metadata outside its installation too.
      const found = ctx.state.repo(ctx.param("owner"), ctx.param("repo"));
      const repo = found && !found.private && ctx.viaApp() ? found : ctx.repo();
      const out = ctx.view.repo(repo, { withParent: true });
      if (ctx.auth.kind === "user") {
        const role = ctx.state.roleOf(repo, ctx.auth.user.login);
        out.permissions = {
          admin: role === "admin",
          maintain: role === "admin" || role === "maintain",
          push: ["admin", "maintain", "write"].includes(role),
          triage: role !== "read" && role !== "none",
          pull: role !== "none",
        };
      }
      return json(200, out);
    },
  },
  {
    operationId: "repos/get-content",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const ref = ctx.query.get("ref") ?? repo.defaultBranch;
      const path = ctx.param("path").replace(/^\/+|\/+$/g, "");
      const sha = resolveOr404(ctx, repo, ref);
      const entry = ctx.state.store.lookup(ctx.state.treeOf(sha), path);
      if (!entry) throw notFound();
      if (entry.type === "tree") {
        const entries = ctx.state.store.tree(entry.sha) ?? [];
        return json(
          200,
          entries.map((e) => contentEntry(ctx, repo, ref, path ? `${path}/${e.name}` : e.name, e)),
        );
      }
      if (wantsRaw(ctx) && entry.type === "blob") {
        const buf = ctx.state.store.blob(entry.sha) ?? Buffer.alloc(0);
        const binary = buf.subarray(0, 8000).includes(0);
        return {
          status: 200,
          raw: buf,
          contentType: binary ? "application/octet-stream" : "text/plain; charset=utf-8",
          headers: { etag: `"${entry.sha}"` },
        };
      }
      return json(200, fileContent(ctx, repo, ref, path, entry), { etag: `"${entry.sha}"` });
    },
  },
  {
    operationId: "repos/create-or-update-file-contents",
    permission: "contents",
    handle: (ctx) => writeFile(ctx, false),
  },
  {
    operationId: "repos/delete-file",
    permission: "contents",
    handle: (ctx) => writeFile(ctx, true),
  },
  {
    operationId: "repos/get-commit",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const ref = ctx.param("ref");
      const sha = ctx.state.resolveCommit(repo, ref);
      if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`);
      const parent = ctx.state.store.commit(sha)?.parents[0];
      const files = ctx.state.changedFiles(parent, sha).slice(0, 300);
      return json(200, ctx.view.commit(repo, sha, files));
    },
  },
  {
    operationId: "repos/list-commits",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const start = ctx.query.get("sha") ?? repo.defaultBranch;
      const sha = ctx.state.resolveCommit(repo, start);
      if (!sha) {
        if (repo.refs.size === 0) throw new ApiError(409, "Git Repository is empty.");
        throw notFound();
      }
      let commits = ctx.state.store.commitsBetween(undefined, sha).reverse();
      const path = ctx.query.get("path");
      if (path) {
        commits = commits.filter((c) => {
          const parent = ctx.state.store.commit(c)?.parents[0];
          const here = ctx.state.store.lookup(ctx.state.treeOf(c), path)?.sha;
          const before = parent
            ? ctx.state.store.lookup(ctx.state.treeOf(parent), path)?.sha
            : undefined;
          return here !== before;
        });
      }
      const author = ctx.query.get("author");
      if (author) {
        const user = ctx.state.user(author);
        commits = commits.filter((c) => {
          const email = ctx.state.store.commit(c)?.author.email.toLowerCase();
          return (
            email === author.toLowerCase() ||
            (user !== undefined && email === user.email.toLowerCase())
          );
        });
      }
      const page = paginate(ctx, commits);
      return json(
        200,
        page.items.map((c) => ctx.view.commit(repo, c)),
        page.headers,
      );
    },
  },
  {
    operationId: "repos/compare-commits-with-basehead",
    permission: "contents",
    handle: (ctx) => {
      const [base, head] = splitBasehead(ctx.param("basehead"));
      return compare(ctx, base, head);
    },
  },
  {
    operationId: "repos/compare-commits",
    permission: "contents",
    handle: (ctx) => compare(ctx, ctx.param("base"), ctx.param("head")),
  },
  {
    operationId: "repos/get-branch",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const name = ctx.param("branch");
      const sha = ctx.state.branchSha(repo, name);
      if (!sha) throw new ApiError(404, "Branch not found");
      const full = `${repo.owner.login}/${repo.name}`;
      return json(200, {
        name,
        commit: ctx.view.commit(repo, sha),
        _links: {
          self: ctx.view.urls.apiUrl(`/repos/${full}/branches/${encodeURIComponent(name)}`),
          html: ctx.view.urls.html(`/${full}/tree/${name}`),
        },
        protected: false,
        protection: {
          enabled: false,
          required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
        },
        protection_url: ctx.view.urls.apiUrl(
          `/repos/${full}/branches/${encodeURIComponent(name)}/protection`,
        ),
      });
    },
  },
  {
    operationId: "repos/list-branches",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const branches = [...repo.refs]
        .filter(([ref]) => ref.startsWith("refs/heads/"))
        .map(([ref, sha]) => ({ name: ref.slice("refs/heads/".length), sha }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const page = paginate(ctx, branches);
      const full = `${repo.owner.login}/${repo.name}`;
      return json(
        200,
        page.items.map((b) => ({
          name: b.name,
          commit: { sha: b.sha, url: ctx.view.urls.apiUrl(`/repos/${full}/commits/${b.sha}`) },
          protected: false,
        })),
        page.headers,
      );
    },
  },
  {
    operationId: "repos/list-pull-requests-associated-with-commit",
    permission: "pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = ctx.param("commit_sha");
      const pulls = [...repo.issues.values()].filter((i) => {
        const pr = i.pull;
        if (!pr) return false;
        if (pr.headSha === sha || pr.mergeCommitSha === sha) return true;
        return (
          i.state === "open" && ctx.state.store.commitsBetween(pr.baseSha, pr.headSha).includes(sha)
        );
      });
      const page = paginate(ctx, pulls);
      return json(
        200,
        page.items.map((i) => ctx.view.pull(i as typeof i & { pull: NonNullable<typeof i.pull> })),
        page.headers,
      );
    },
  },
  {
    operationId: "repos/get-collaborator-permission-level",
    permission: "metadata",
    handle: (ctx) => {
      const repo = ctx.repo();
      const user = ctx.state.user(ctx.param("username"));
      if (!user) throw new ApiError(404, `${ctx.param("username")} is not a user`);
      const role = ctx.state.roleOf(repo, user.login);
      const permission = LEGACY_PERMISSION[role] ?? "none";
      return json(200, {
        permission,
        role_name: role,
        user: {
          ...ctx.view.user(user),
          permissions: {
            admin: role === "admin",
            maintain: role === "admin" || role === "maintain",
            push: ["admin", "maintain", "write"].includes(role),
            triage: ["admin", "maintain", "write", "triage"].includes(role),
            pull: role !== "none",
          },
          role_name: role,
        },
      });
    },
  },
  {
    operationId: "repos/check-collaborator",
    permission: "metadata",
    handle: (ctx) => {
      const repo = ctx.repo();
      const login = ctx.param("username").toLowerCase();
      const isCollaborator =
        repo.collaborators.has(login) ||
        repo.owner.login.toLowerCase() === login ||
        (repo.owner.type === "Organization" && repo.owner.members.has(login));
      if (!isCollaborator) throw notFound();
      return noContent();
    },
  },
  {
    operationId: "repos/list-collaborators",
    permission: "metadata",
    handle: (ctx) => {
      const repo = ctx.repo();
      const logins = new Set<string>([
        repo.owner.login.toLowerCase(),
        ...repo.collaborators.keys(),
      ]);
      if (repo.owner.type === "Organization") {
        logins.delete(repo.owner.login.toLowerCase());
        for (const m of repo.owner.members.keys()) logins.add(m);
      }
      const users = [...logins].flatMap((l) => {
        const u = ctx.state.user(l);
        return u ? [u] : [];
      });
      const page = paginate(ctx, users);
      return json(
        200,
        page.items.map((u) => ({
          ...ctx.view.user(u),
          role_name: ctx.state.roleOf(repo, u.login),
        })),
        page.headers,
      );
    },
  },
  {
    operationId: "repos/create-commit-status",
    permission: "statuses",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const state = str(body, "state");
      if (state !== "error" && state !== "failure" && state !== "pending" && state !== "success")
        throw validationFailed([{ resource: "Status", field: "state", code: "invalid" }]);
      const ref = ctx.param("sha");
      const sha = isSha(ref) ? ref : ctx.state.resolveCommit(repo, ref);
      if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`);
      const status = ctx.state.addStatus(repo, sha, ctx.actor(), {
        state,
        context: str(body, "context"),
        description: str(body, "description") ?? null,
        target_url: str(body, "target_url") ?? null,
      });
      return json(201, ctx.view.status(repo, status));
    },
  },
  {
    operationId: "repos/get-combined-status-for-ref",
    permission: "statuses",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = resolveOr404(ctx, repo, ctx.param("ref"));
      const combined = ctx.state.combinedStatus(repo, sha);
      const page = paginate(ctx, combined.statuses);
      const full = `${repo.owner.login}/${repo.name}`;
      return json(
        200,
        {
          state: combined.state,
          statuses: page.items.map((s) => ctx.view.status(repo, s)),
          sha,
          total_count: combined.statuses.length,
          repository: ctx.view.repo(repo),
          commit_url: ctx.view.urls.apiUrl(`/repos/${full}/commits/${sha}`),
          url: ctx.view.urls.apiUrl(`/repos/${full}/commits/${sha}/status`),
        },
        page.headers,
      );
    },
  },
  {
    operationId: "repos/list-commit-statuses-for-ref",
    permission: "statuses",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = resolveOr404(ctx, repo, ctx.param("ref"));
      const all = repo.statuses.filter((s) => s.sha === sha).reverse();
      const page = paginate(ctx, all);
      return json(
        200,
        page.items.map((s) => ctx.view.status(repo, s)),
        page.headers,
      );
    },
  },
  {
    operationId: "repos/create-dispatch-event",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const eventType = str(body, "event_type");
      if (!eventType)
        throw validationFailed([
          { resource: "Repository", field: "event_type", code: "missing_field" },
        ]);
      const payload = body.client_payload;
      repo.repositoryDispatches.push({
        eventType,
        clientPayload:
          payload && typeof payload === "object" ? (payload as Record<string, unknown>) : {},
        actor: ctx.actor().login,
        at: ctx.state.isoNow(),
      });
      return noContent();
    },
  },
];
