// REST routes of the sandbox for GitHub Actions: workflow dispatches, workflow runs, and repository/environment secrets.
import { notFound, unprocessable } from "../errors.js";
import { openSealed, publicKeyBase64, type SecretScope } from "../secrets.js";
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

function workflowFiles(
  ctx: RestContext,
  repo: Repository,
): Array<{ id: number; path: string; name: string }> {
  const sha = ctx.state.resolveCommit(repo, repo.defaultBranch);
  if (!sha) return [];
  const dir = ctx.state.store.lookup(ctx.state.treeOf(sha), ".github/workflows");
  if (!dir || dir.type !== "tree") return [];
  return (ctx.state.store.tree(dir.sha) ?? [])
    .filter((e) => e.type === "blob" && /\.ya?ml$/.test(e.name))
    .map((e) => {
      const path = `.github/workflows/${e.name}`;
      const text = ctx.state.store.blob(e.sha)?.toString("utf8") ?? "";
      const name = /^name:\s*["']?(.+?)["']?\s*$/m.exec(text)?.[1] ?? path;
      return { id: ctx.state.workflowId(repo, path), path, name };
    });
}

function environment(ctx: RestContext, repo: Repository): SecretScope {
  const scope = repo.environments.get(ctx.param("environment_name"));
  if (!scope) throw notFound();
  return scope;
}

function publicKey(scope: SecretScope): RestResponse {
  return json(200, { key_id: scope.keyId, key: publicKeyBase64(scope) });
}

/** Stores a sealed secret the way GitHub accepts it: current key id, a value that opens, a valid name. */
function putSecret(ctx: RestContext, scope: SecretScope): RestResponse {
  const body = ctx.bodyObject();
  const name = ctx.param("secret_name").toUpperCase();
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || name.startsWith("GITHUB_"))
    throw unprocessable(
      "Secret names can only contain alphanumeric characters or underscores, must not start with a number or GITHUB_.",
    );
  const keyId = str(body, "key_id");
  const encrypted = str(body, "encrypted_value");
  if (!keyId || encrypted === undefined)
    throw unprocessable("Bad request: encrypted_value and key_id are required");
  if (keyId !== scope.keyId) {
    const stale = scope.retired.some((k) => k.keyId === keyId);
    throw unprocessable(
      stale
        ? `Bad request: key_id ${keyId} is stale; get the public key again and re-encrypt`
        : `Bad request: key_id ${keyId} is not a known public key`,
    );
  }
  if (openSealed(scope, encrypted, keyId) === undefined)
    throw unprocessable("Bad request: encrypted_value is not a sealed box for this public key");
  const now = ctx.state.isoNow();
  const existing = scope.secrets.get(name);
  scope.secrets.set(name, {
    name,
    encryptedValue: encrypted,
    keyId,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return existing ? noContent() : json(201, {});
}

function secretMeta(s: {
  name: string;
  createdAt: string;
  updatedAt: string;
}): Record<string, unknown> {
  return { name: s.name, created_at: s.createdAt, updated_at: s.updatedAt };
}

function listSecrets(ctx: RestContext, scope: SecretScope): RestResponse {
  const all = [...scope.secrets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = paginate(ctx, all);
  return json(200, { total_count: all.length, secrets: page.items.map(secretMeta) }, page.headers);
}

function getSecret(ctx: RestContext, scope: SecretScope): RestResponse {
  const s = scope.secrets.get(ctx.param("secret_name").toUpperCase());
  if (!s) throw notFound();
  return json(200, secretMeta(s));
}

function deleteSecret(ctx: RestContext, scope: SecretScope): RestResponse {
  if (!scope.secrets.delete(ctx.param("secret_name").toUpperCase())) throw notFound();
  return noContent();
}

export const actionRoutes: Route[] = [
  {
    operationId: "actions/create-workflow-dispatch",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const ref = str(body, "ref");
      if (!ref) throw unprocessable('Invalid request.\n\n"ref" wasn\'t supplied.');
      const inputs =
        body.inputs && typeof body.inputs === "object"
          ? (body.inputs as Record<string, unknown>)
          : {};
      const run = ctx.state.dispatchWorkflow(repo, ctx.param("workflow_id"), {
        ref,
        inputs,
        actor: ctx.actor(),
      });
      if (body.return_run_details === true) {
        const view = ctx.view.workflowRun(run);
        return json(200, { workflow_run_id: run.id, run_url: view.url, html_url: view.html_url });
      }
      return noContent();
    },
  },
  {
    operationId: "actions/list-repo-workflows",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const all = workflowFiles(ctx, repo);
      const page = paginate(ctx, all);
      return json(
        200,
        {
          total_count: all.length,
          workflows: page.items.map((w) => ctx.view.workflow(repo, w.id, w.path, w.name)),
        },
        page.headers,
      );
    },
  },
  {
    operationId: "actions/get-workflow",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const id = ctx.param("workflow_id");
      const w = workflowFiles(ctx, repo).find(
        (x) => String(x.id) === id || x.path.endsWith(`/${id}`),
      );
      if (!w) throw notFound();
      return json(200, ctx.view.workflow(repo, w.id, w.path, w.name));
    },
  },
  {
    operationId: "actions/list-workflow-runs-for-repo",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const runs = [...ctx.state.workflowRuns.values()].filter((r) => r.repo === repo).reverse();
      const page = paginate(ctx, runs);
      return json(
        200,
        { total_count: runs.length, workflow_runs: page.items.map((r) => ctx.view.workflowRun(r)) },
        page.headers,
      );
    },
  },
  {
    operationId: "actions/list-workflow-runs",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const id = ctx.param("workflow_id");
      const runs = [...ctx.state.workflowRuns.values()]
        .filter(
          (r) =>
            r.repo === repo && (String(r.workflowId) === id || r.workflowPath.endsWith(`/${id}`)),
        )
        .reverse();
      const page = paginate(ctx, runs);
      return json(
        200,
        { total_count: runs.length, workflow_runs: page.items.map((r) => ctx.view.workflowRun(r)) },
        page.headers,
      );
    },
  },
  {
    operationId: "actions/get-workflow-run",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const run = ctx.state.workflowRuns.get(ctx.intParam("run_id"));
      if (!run || run.repo !== repo) throw notFound();
      return json(200, ctx.view.workflowRun(run));
    },
  },
  {
    operationId: "actions/get-repo-public-key",
    permission: "secrets",
    handle: (ctx) => publicKey(ctx.repo().secrets),
  },
  {
    operationId: "actions/create-or-update-repo-secret",
    permission: "secrets",
    handle: (ctx) => putSecret(ctx, ctx.repo().secrets),
  },
  {
    operationId: "actions/list-repo-secrets",
    permission: "secrets",
    handle: (ctx) => listSecrets(ctx, ctx.repo().secrets),
  },
  {
    operationId: "actions/get-repo-secret",
    permission: "secrets",
    handle: (ctx) => getSecret(ctx, ctx.repo().secrets),
  },
  {
    operationId: "actions/delete-repo-secret",
    permission: "secrets",
    handle: (ctx) => deleteSecret(ctx, ctx.repo().secrets),
  },
  {
    operationId: "actions/get-environment-public-key",
    permission: "secrets",
    handle: (ctx) => publicKey(environment(ctx, ctx.repo())),
  },
  {
    operationId: "actions/create-or-update-environment-secret",
    permission: "secrets",
    handle: (ctx) => putSecret(ctx, environment(ctx, ctx.repo())),
  },
  {
    operationId: "actions/list-environment-secrets",
    permission: "secrets",
    handle: (ctx) => listSecrets(ctx, environment(ctx, ctx.repo())),
  },
  {
    operationId: "actions/get-environment-secret",
    permission: "secrets",
    handle: (ctx) => getSecret(ctx, environment(ctx, ctx.repo())),
  },
  {
    operationId: "actions/delete-environment-secret",
    permission: "secrets",
    handle: (ctx) => deleteSecret(ctx, environment(ctx, ctx.repo())),
  },
  {
    operationId: "repos/create-or-update-environment",
    permission: "administration",
    handle: (ctx) => {
      const repo = ctx.repo();
      const name = ctx.param("environment_name");
      ctx.state.environmentScope(repo, name);
      const full = `${repo.owner.login}/${repo.name}`;
      return json(200, {
        id: ctx.state.newId(),
        name,
        url: ctx.view.urls.apiUrl(`/repos/${full}/environments/${encodeURIComponent(name)}`),
        html_url: ctx.view.urls.html(
          `/${full}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
        ),
        created_at: repo.createdAt,
        updated_at: ctx.state.isoNow(),
        protection_rules: [],
        deployment_branch_policy: null,
      });
    },
  },
  {
    operationId: "repos/get-environment",
    permission: "actions",
    handle: (ctx) => {
      const repo = ctx.repo();
      const name = ctx.param("environment_name");
      if (!repo.environments.has(name)) throw notFound();
      const full = `${repo.owner.login}/${repo.name}`;
      return json(200, {
        id: repo.id,
        name,
        url: ctx.view.urls.apiUrl(`/repos/${full}/environments/${encodeURIComponent(name)}`),
        html_url: ctx.view.urls.html(`/${full}/deployments`),
        created_at: repo.createdAt,
        updated_at: repo.updatedAt,
        protection_rules: [],
        deployment_branch_policy: null,
      });
    },
  },
];
