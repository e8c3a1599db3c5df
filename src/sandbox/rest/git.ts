// REST routes of the sandbox for the Git database API: blobs, trees, commits, refs and tags.
import { notFound, unprocessable } from "../errors.js";
import {
  isSha,
  parseSignatureDate,
  type EntryMode,
  type EntryType,
  type PathChange,
  type Signature,
} from "../git-objects.js";
import { nodeId } from "../representations.js";
import type { Repository } from "../state.js";
import { json, noContent, str, type RestContext, type Route } from "./context.js";

/** GitHub stops listing a recursive tree at 100,000 entries and says so with `truncated: true`. */
const RECURSIVE_TREE_LIMIT = 100_000;

function gitUrl(ctx: RestContext, repo: Repository, path: string): string {
  return ctx.view.urls.apiUrl(`/repos/${repo.owner.login}/${repo.name}/git${path}`);
}

function refJson(
  ctx: RestContext,
  repo: Repository,
  ref: string,
  sha: string,
): Record<string, unknown> {
  const obj = ctx.state.store.get(sha);
  const type = obj?.type ?? "commit";
  const kind =
    type === "tag" ? "tags" : type === "tree" ? "trees" : type === "blob" ? "blobs" : "commits";
  return {
    ref,
    node_id: nodeId("Ref", `${repo.id}:${ref}`),
    url: gitUrl(ctx, repo, `/${ref}`),
    object: { sha, type, url: gitUrl(ctx, repo, `/${kind}/${sha}`) },
  };
}

function treeJson(
  ctx: RestContext,
  repo: Repository,
  sha: string,
  recursive: boolean,
): Record<string, unknown> {
  const store = ctx.state.store;
  const entries = recursive
    ? store.listRecursive(sha)
    : (store.tree(sha) ?? []).map((e) => ({
        path: e.name,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
      }));
  const truncated = entries.length > RECURSIVE_TREE_LIMIT;
  return {
    sha,
    url: gitUrl(ctx, repo, `/trees/${sha}`),
    tree: entries.slice(0, RECURSIVE_TREE_LIMIT).map((e) => {
      const out: Record<string, unknown> = { path: e.path, mode: e.mode, type: e.type, sha: e.sha };
      if (e.type === "blob") {
        out.size = store.blob(e.sha)?.length ?? 0;
        out.url = gitUrl(ctx, repo, `/blobs/${e.sha}`);
      } else if (e.type === "tree") out.url = gitUrl(ctx, repo, `/trees/${e.sha}`);
      return out;
    }),
    truncated,
  };
}

function tagJson(ctx: RestContext, repo: Repository, sha: string): Record<string, unknown> {
  const t = ctx.state.store.tag(sha);
  if (!t) throw notFound();
  const kind = t.type === "tag" ? "tags" : `${t.type}s`;
  return {
    node_id: nodeId("Tag", sha),
    tag: t.tag,
    sha,
    url: gitUrl(ctx, repo, `/tags/${sha}`),
    message: t.message,
    tagger: {
      name: t.tagger.name,
      email: t.tagger.email,
      date: new Date(t.tagger.time * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    },
    object: { type: t.type, sha: t.object, url: gitUrl(ctx, repo, `/${kind}/${t.object}`) },
    verification: {
      verified: false,
      reason: "unsigned",
      signature: null,
      payload: null,
      verified_at: null,
    },
  };
}

/** An author/committer/tagger from a request body, defaulting to the acting user at the sandbox's time. */
function signatureFrom(ctx: RestContext, value: unknown, fallback?: Signature): Signature {
  const now = ctx.state.now();
  const actor = ctx.actor();
  const base = fallback ?? ctx.state.signature({ name: actor.name, email: actor.email }, now);
  if (!value || typeof value !== "object") return base;
  const o = value as Record<string, unknown>;
  const sig: Signature = {
    ...base,
    name: typeof o.name === "string" ? o.name : base.name,
    email: typeof o.email === "string" ? o.email : base.email,
  };
  if (typeof o.date === "string") {
    const parsed = parseSignatureDate(o.date);
    if (!parsed) throw unprocessable(`Invalid date: ${o.date}`);
    sig.time = parsed.time;
    sig.tz = parsed.tz;
  }
  return sig;
}

function fullRef(ref: string): string {
  return ref.startsWith("refs/") ? ref : `refs/${ref}`;
}

export const gitRoutes: Route[] = [
  {
    operationId: "git/create-blob",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const content = str(body, "content");
      if (content === undefined)
        throw unprocessable('Invalid request.\n\n"content" wasn\'t supplied.');
      const encoding = str(body, "encoding") ?? "utf-8";
      let buf: Buffer;
      if (encoding === "base64") buf = Buffer.from(content, "base64");
      else if (encoding === "utf-8" || encoding === "utf8") buf = Buffer.from(content, "utf8");
      else throw unprocessable(`encoding must be utf-8 or base64`);
      const sha = ctx.state.store.putBlob(buf);
      return json(201, { url: gitUrl(ctx, repo, `/blobs/${sha}`), sha });
    },
  },
  {
    operationId: "git/get-blob",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = ctx.param("file_sha");
      const buf = ctx.state.store.blob(sha);
      if (!buf) throw notFound();
      const b64 = buf.toString("base64").replace(/(.{60})/g, "$1\n");
      return json(200, {
        sha,
        node_id: nodeId("Blob", sha),
        size: buf.length,
        url: gitUrl(ctx, repo, `/blobs/${sha}`),
        content: b64.endsWith("\n") || b64 === "" ? b64 : `${b64}\n`,
        encoding: "base64",
      });
    },
  },
  {
    operationId: "git/get-tree",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const ref = ctx.param("tree_sha");
      let sha: string | undefined = isSha(ref) ? ref : undefined;
      if (sha && ctx.state.store.commit(sha)) sha = ctx.state.treeOf(sha);
      if (!sha) {
        const commit = ctx.state.resolveCommit(repo, ref);
        sha = commit ? ctx.state.treeOf(commit) : undefined;
      }
      if (!sha || !ctx.state.store.tree(sha)) throw notFound();
      const recursive =
        ctx.query.has("recursive") && !["0", "false"].includes(ctx.query.get("recursive") ?? "");
      return json(200, treeJson(ctx, repo, sha, recursive));
    },
  },
  {
    operationId: "git/create-tree",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const store = ctx.state.store;
      const baseTree = str(body, "base_tree");
      if (baseTree !== undefined && !store.tree(baseTree)) {
        const asCommit = store.commit(baseTree);
        if (!asCommit) throw unprocessable("Invalid request.\n\nbase_tree is not a valid tree");
      }
      const base = baseTree ? (store.tree(baseTree) ? baseTree : ctx.state.treeOf(baseTree)) : null;
      if (!Array.isArray(body.tree))
        throw unprocessable('Invalid request.\n\n"tree" wasn\'t supplied.');
      const changes = new Map<string, PathChange>();
      for (const [i, raw] of body.tree.entries()) {
        if (!raw || typeof raw !== "object") throw unprocessable(`Invalid tree entry ${i}`);
        const e = raw as Record<string, unknown>;
        const path = typeof e.path === "string" ? e.path : "";
        if (!path) throw unprocessable(`tree.path is required (entry ${i})`);
        const mode = (typeof e.mode === "string" ? e.mode : "100644") as EntryMode;
        const type = (
          typeof e.type === "string" ? e.type : mode === "040000" ? "tree" : "blob"
        ) as EntryType;
        const expected: Record<string, EntryType> = {
          "100644": "blob",
          "100755": "blob",
          "120000": "blob",
          "040000": "tree",
          "160000": "commit",
        };
        if (expected[mode] !== type)
          throw unprocessable(`tree.mode ${mode} does not match tree.type ${type}`);
        if ("content" in e && "sha" in e && e.sha !== null)
          throw unprocessable(
            'Invalid request.\n\nOnly one of "content" or "sha" may be supplied.',
          );
        if (e.sha === null) {
          changes.set(path, null);
          continue;
        }
        let sha: string;
        if (typeof e.content === "string") {
          if (type !== "blob") throw unprocessable("tree.content is only valid for blobs");
          sha = store.putBlob(e.content);
        } else if (typeof e.sha === "string") {
          sha = e.sha;
          const obj = store.get(sha);
          if (type !== "commit" && (!obj || obj.type !== type))
            throw unprocessable(`tree.sha ${sha} is not a valid ${type}`);
        } else {
          throw unprocessable(
            `Invalid request.\n\nEither "sha" or "content" must be supplied (entry ${i}).`,
          );
        }
        changes.set(path, { mode, type, sha });
      }
      let sha: string;
      try {
        sha = store.applyChanges(base, changes);
      } catch (err) {
        throw unprocessable(err instanceof Error ? err.message : String(err));
      }
      return json(201, treeJson(ctx, repo, sha, false));
    },
  },
  {
    operationId: "git/get-commit",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = ctx.param("commit_sha");
      if (!ctx.state.store.commit(sha)) throw notFound();
      return json(200, ctx.view.gitCommit(repo, sha));
    },
  },
  {
    operationId: "git/create-commit",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const store = ctx.state.store;
      const tree = str(body, "tree") ?? "";
      if (!store.tree(tree)) throw unprocessable("Tree SHA does not exist");
      const parents = Array.isArray(body.parents) ? body.parents.map(String) : [];
      for (const p of parents)
        if (!store.commit(p))
          throw unprocessable("Parent SHA does not exist or is not a commit object");
      const author = signatureFrom(ctx, body.author);
      const committer = signatureFrom(ctx, body.committer, author);
      const sha = store.putCommit({
        tree,
        parents,
        author,
        committer,
        message: str(body, "message") ?? "",
      });
      return json(201, ctx.view.gitCommit(repo, sha));
    },
  },
  {
    operationId: "git/get-ref",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const ref = fullRef(ctx.param("ref"));
      const sha = repo.refs.get(ref);
      if (!sha) throw notFound();
      return json(200, refJson(ctx, repo, ref, sha));
    },
  },
  {
    operationId: "git/list-matching-refs",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const prefix = fullRef(ctx.param("ref"));
      const refs = [...repo.refs]
        .filter(([ref]) => ref.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return json(
        200,
        refs.map(([ref, sha]) => refJson(ctx, repo, ref, sha)),
      );
    },
  },
  {
    operationId: "git/create-ref",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const ref = str(body, "ref") ?? "";
      const sha = str(body, "sha") ?? "";
      if (!/^refs\/[^/]+\/.+/.test(ref) || ref.endsWith("/") || ref.includes(".."))
        throw unprocessable(
          "Reference name must start with 'refs/' and have at least two slashes.",
        );
      if (repo.refs.has(ref)) throw unprocessable("Reference already exists");
      if (!ctx.state.store.has(sha)) throw unprocessable("Object does not exist");
      ctx.state.setRef(repo, ref, sha, { force: true });
      return json(201, refJson(ctx, repo, ref, sha));
    },
  },
  {
    operationId: "git/update-ref",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const ref = fullRef(ctx.param("ref"));
      const sha = str(body, "sha") ?? "";
      if (!repo.refs.has(ref)) throw unprocessable("Reference does not exist");
      if (!ctx.state.store.has(sha)) throw unprocessable("Object does not exist");
      ctx.state.setRef(repo, ref, sha, { force: body.force === true });
      return json(200, refJson(ctx, repo, ref, sha));
    },
  },
  {
    operationId: "git/delete-ref",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      ctx.state.deleteRef(repo, fullRef(ctx.param("ref")));
      return noContent();
    },
  },
  {
    operationId: "git/create-tag",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const object = str(body, "object") ?? "";
      const type = str(body, "type") ?? "commit";
      const obj = ctx.state.store.get(object);
      if (!obj || obj.type !== type) throw unprocessable("Object does not exist");
      const tagger = signatureFrom(ctx, body.tagger);
      const sha = ctx.state.store.putTag({
        object,
        type: obj.type,
        tag: str(body, "tag") ?? "",
        tagger,
        message: str(body, "message") ?? "",
      });
      return json(201, tagJson(ctx, repo, sha));
    },
  },
  {
    operationId: "git/get-tag",
    permission: "contents",
    handle: (ctx) => {
      const repo = ctx.repo();
      return json(200, tagJson(ctx, repo, ctx.param("tag_sha")));
    },
  },
];
