// The sandbox's control API under /_sandbox/: the driver's functions over HTTP (JSON), for another process.
import type { Sandbox } from "./driver.js";
import type { FaultKind, FaultSpec } from "./faults.js";
import type { FileContent, Role } from "./state.js";
import type { ControlHandler, ControlResponse } from "./server.js";
import type { WebhookEvent } from "./webhooks.js";

type Body = Record<string, unknown>;
type Action = (sandbox: Sandbox, body: Body, query: URLSearchParams) => unknown;

function obj(body: unknown): Body {
  if (body === undefined) return {};
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new Error("expected a JSON object");
  return body as Body;
}

function s(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== "string" || v === "") throw new Error(`"${key}" (string) is required`);
  return v;
}

function optS(body: Body, key: string): string | undefined {
  const v = body[key];
  return typeof v === "string" ? v : undefined;
}

function n(body: Body, key: string): number {
  const v = Number(body[key]);
  if (!Number.isFinite(v)) throw new Error(`"${key}" (number) is required`);
  return v;
}

function q(query: URLSearchParams, key: string): string {
  const v = query.get(key);
  if (!v) throw new Error(`query parameter "${key}" is required`);
  return v;
}

/** `files` over JSON: a string is UTF-8 text, `{base64}` bytes, `{content|base64, mode}` with a mode, null deletes. */
function files(value: unknown): Record<string, FileContent | null> {
  if (!value || typeof value !== "object")
    throw new Error(`"files" (object of path -> content) is required`);
  const out: Record<string, FileContent | null> = {};
  for (const [path, v] of Object.entries(value as Body)) {
    if (v === null || typeof v === "string") out[path] = v;
    else if (v && typeof v === "object") {
      const o = v as Body;
      const content =
        typeof o.base64 === "string" ? Buffer.from(o.base64, "base64") : String(o.content ?? "");
      out[path] = typeof o.mode === "string" ? { content, mode: o.mode as "100644" } : content;
    } else throw new Error(`bad content for ${path}`);
  }
  return out;
}

function faultSpec(body: Body): FaultSpec {
  const pattern = s(body, "pathPattern");
  const kind = body.kind;
  if (!kind || typeof kind !== "object") throw new Error(`"kind" is required`);
  return {
    ...(optS(body, "method") ? { method: optS(body, "method") } : {}),
    pathPattern: body.regex === true ? new RegExp(pattern) : pattern,
    times: body.times === undefined ? 1 : n(body, "times"),
    kind: kind as FaultKind,
  };
}

/** Builds the event named by `event` with the builder of the same name, from the rest of the body. */
function buildEvent(sandbox: Sandbox, body: Body): WebhookEvent {
  const event = s(body, "event");
  const b = sandbox.events;
  const repo = s(body, "repo");
  const sender = optS(body, "sender");
  const common = { repo, ...(sender ? { sender } : {}) };
  switch (event) {
    case "pull_request":
      return b.pullRequest({
        ...common,
        number: n(body, "number"),
        action: s(body, "action"),
        ...(optS(body, "before") ? { before: optS(body, "before") } : {}),
      });
    case "issue_comment":
      return b.issueComment({ ...common, commentId: n(body, "commentId") });
    case "check_run":
      return b.checkRun({ ...common, checkRunId: n(body, "checkRunId") });
    case "check_suite":
      return b.checkSuite({ ...common, checkSuiteId: n(body, "checkSuiteId") });
    case "push":
      return b.push({
        ...common,
        ref: s(body, "ref"),
        ...(optS(body, "before") ? { before: optS(body, "before") } : {}),
        ...(optS(body, "after") ? { after: optS(body, "after") } : {}),
      });
    case "workflow_run":
      return b.workflowRun({ ...common, runId: n(body, "runId") });
    case "repository_dispatch":
      return b.repositoryDispatch({ ...common, eventType: s(body, "eventType") });
    default:
      throw new Error(`no payload builder for event ${event}`);
  }
}

const ACTIONS: Record<string, Action> = {
  "GET /info": (sb) => ({
    url: sb.url,
    apiBaseUrl: sb.apiBaseUrl,
    graphqlUrl: sb.graphqlUrl,
    appId: sb.appId,
    appSlug: sb.appSlug,
    botLogin: sb.botLogin,
    privateKeyPem: sb.privateKeyPem,
    webhookSecret: sb.webhookSecret,
    webhookUrl: sb.webhookUrl ?? null,
    env: sb.env(),
  }),
  "POST /webhook-url": (sb, b) => {
    sb.webhookUrl = s(b, "url");
    return { webhookUrl: sb.webhookUrl };
  },
  "POST /users": (sb, b) =>
    sb.createUser(s(b, "login"), {
      ...(optS(b, "name") ? { name: optS(b, "name") } : {}),
      ...(optS(b, "email") ? { email: optS(b, "email") } : {}),
    }),
  "POST /orgs": (sb, b) =>
    sb.createOrg(s(b, "login"), {
      members: Array.isArray(b.members) ? (b.members as string[]) : [],
    }),
  "POST /orgs/members": (sb, b) => {
    sb.addOrgMember(s(b, "org"), s(b, "login"), b.role === "admin" ? "admin" : "member");
    return {};
  },
  "POST /repos": (sb, b) => {
    const info = sb.createRepo({
      owner: s(b, "owner"),
      name: s(b, "name"),
      ...(b.installation !== undefined ? { installation: b.installation as boolean | number } : {}),
      ...(typeof b.private === "boolean" ? { private: b.private } : {}),
      ...(optS(b, "defaultBranch") ? { defaultBranch: optS(b, "defaultBranch") } : {}),
      ...(b.files ? { files: files(b.files) as Record<string, FileContent> } : {}),
    });
    const directory = optS(b, "directory");
    const sha = directory
      ? sb.seedFromDirectory(info.fullName, directory)
      : sb.branchSha(info.fullName, info.defaultBranch);
    return { ...info, headSha: sha ?? null };
  },
  "POST /forks": (sb, b) => sb.fork(s(b, "repo"), s(b, "owner"), optS(b, "name")),
  "POST /seed": (sb, b) => ({
    sha: sb.seedFromDirectory(s(b, "repo"), s(b, "directory"), {
      ...(optS(b, "branch") ? { branch: optS(b, "branch") } : {}),
      ...(optS(b, "message") ? { message: optS(b, "message") } : {}),
    }),
  }),
  "POST /commits": (sb, b) =>
    sb.pushCommit(s(b, "repo"), {
      branch: s(b, "branch"),
      files: files(b.files),
      ...(optS(b, "message") ? { message: optS(b, "message") } : {}),
      ...(optS(b, "author") ? { author: optS(b, "author") } : {}),
      ...(optS(b, "from") ? { from: optS(b, "from") } : {}),
    }),
  "POST /branches": (sb, b) => ({
    sha: sb.createBranch(s(b, "repo"), s(b, "branch"), optS(b, "from")),
  }),
  "POST /tags": (sb, b) => ({
    sha: sb.createTag(s(b, "repo"), s(b, "tag"), s(b, "rev"), {
      ...(optS(b, "message") !== undefined ? { message: optS(b, "message") } : {}),
    }),
  }),
  "POST /pulls": (sb, b) =>
    sb.openPullRequest(s(b, "repo"), {
      head: s(b, "head"),
      user: s(b, "user"),
      ...(optS(b, "base") ? { base: optS(b, "base") } : {}),
      ...(optS(b, "title") ? { title: optS(b, "title") } : {}),
      ...(optS(b, "body") ? { body: optS(b, "body") } : {}),
      ...(typeof b.draft === "boolean" ? { draft: b.draft } : {}),
      ...(optS(b, "association") ? { association: optS(b, "association") as "NONE" } : {}),
      ...(optS(b, "fromFork") ? { fromFork: optS(b, "fromFork") } : {}),
    }),
  "PATCH /pulls": (sb, b) =>
    sb.updatePullRequest(s(b, "repo"), n(b, "number"), {
      ...(optS(b, "title") ? { title: optS(b, "title") } : {}),
      ...(optS(b, "body") ? { body: optS(b, "body") } : {}),
      ...(typeof b.draft === "boolean" ? { draft: b.draft } : {}),
      ...(b.state === "open" || b.state === "closed" ? { state: b.state } : {}),
    }),
  "POST /pulls/merge": (sb, b) => ({
    sha: sb.mergePullRequest(s(b, "repo"), n(b, "number"), {
      ...(optS(b, "user") ? { user: optS(b, "user") } : {}),
      ...(b.method === "squash" ? { method: "squash" as const } : {}),
    }),
  }),
  "GET /pulls": (sb, _b, query) => sb.pullRequest(q(query, "repo"), Number(q(query, "number"))),
  "POST /comments": (sb, b) =>
    sb.comment(s(b, "repo"), n(b, "number"), {
      user: s(b, "user"),
      body: s(b, "body"),
      ...(optS(b, "association") ? { association: optS(b, "association") as "NONE" } : {}),
    }),
  "GET /comments": (sb, _b, query) => sb.comments(q(query, "repo"), Number(q(query, "number"))),
  "POST /collaborators": (sb, b) => {
    sb.setPermission(s(b, "repo"), s(b, "user"), s(b, "permission") as Role);
    return {};
  },
  "POST /environments": (sb, b) => {
    sb.createEnvironment(s(b, "repo"), s(b, "name"));
    return {};
  },
  "POST /secrets/rotate": (sb, b) => ({
    keyId: sb.rotateSecretsKey(s(b, "repo"), {
      ...(optS(b, "environment") ? { environment: optS(b, "environment") } : {}),
    }),
  }),
  "GET /secrets": (sb, _b, query) =>
    sb.secrets(q(query, "repo"), {
      ...(query.get("environment") ? { environment: query.get("environment") as string } : {}),
    }),
  "GET /check-runs": (sb, _b, query) =>
    sb.checkRuns(q(query, "repo"), query.get("sha") ?? undefined),
  "GET /statuses": (sb, _b, query) => sb.statuses(q(query, "repo"), q(query, "sha")),
  "GET /dispatches": (sb, _b, query) => ({
    workflows: sb.workflowDispatches(q(query, "repo")),
    repository: sb.repositoryDispatches(q(query, "repo")),
  }),
  "POST /workflow-runs/complete": (sb, b) => {
    sb.completeWorkflowRun(n(b, "runId"), (optS(b, "conclusion") ?? "success") as "success");
    return {};
  },
  "GET /refs": (sb, _b, query) => sb.refs(q(query, "repo")),
  "POST /tokens": (sb, b) => ({
    token: optS(b, "user")
      ? sb.userToken(s(b, "user"))
      : sb.installationToken(b.installationId === undefined ? undefined : n(b, "installationId")),
  }),
  "GET /log": (sb, _b, query) =>
    sb.requests({
      ...(query.get("method") ? { method: query.get("method") as string } : {}),
      ...(query.get("operationId") ? { operationId: query.get("operationId") as string } : {}),
      ...(query.get("since") ? { since: Number(query.get("since")) } : {}),
    }),
  "DELETE /log": (sb) => {
    sb.resetRequests();
    return {};
  },
  "GET /violations": (sb) => sb.violations(),
  "DELETE /violations": (sb) => {
    sb.resetViolations();
    return {};
  },
  "GET /faults": (sb) =>
    sb.server.faults.list().map((f) => ({
      id: f.id,
      method: f.spec.method ?? null,
      pathPattern: String(f.spec.pathPattern),
      remaining: f.remaining,
      hits: f.hits,
      kind: f.spec.kind,
    })),
  "POST /faults": (sb, b) => {
    const h = sb.injectFault(faultSpec(b));
    return { id: h.id, remaining: h.remaining() };
  },
  "DELETE /faults": (sb) => {
    sb.clearFaults();
    return {};
  },
  "POST /deliveries": async (sb, b) => {
    const deliveredAt = optS(b, "deliveredAt");
    if (deliveredAt !== undefined && Number.isNaN(Date.parse(deliveredAt)))
      throw new Error(`"deliveredAt" must be an ISO 8601 time, got ${JSON.stringify(deliveredAt)}`);
    const d = await sb.deliver(buildEvent(sb, b), {
      ...(optS(b, "deliveryId") ? { deliveryId: optS(b, "deliveryId") } : {}),
      ...(optS(b, "url") ? { url: optS(b, "url") } : {}),
      ...(deliveredAt !== undefined ? { deliveredAt: new Date(deliveredAt) } : {}),
    });
    return {
      id: d.id,
      event: d.event,
      status: d.status,
      response: d.response,
      durationMs: d.durationMs,
      deliveredAt: d.deliveredAt,
      redelivery: d.redelivery,
      hookDeliveryId: d.hookDeliveryId ?? null,
      error: d.error ?? null,
    };
  },
  "GET /deliveries": (sb) =>
    sb.deliveries().map((d) => ({
      id: d.id,
      event: d.event,
      action: d.action ?? null,
      status: d.status,
      durationMs: d.durationMs,
      deliveredAt: d.deliveredAt,
      redelivery: d.redelivery,
      hookDeliveryId: d.hookDeliveryId ?? null,
    })),
  "POST /deliveries/settle": async (sb) => {
    await sb.settleRedeliveries();
    return {};
  },
};

/** The list of control endpoints (`METHOD /path` under /_sandbox), for the README and `GET /_sandbox/`. */
export const CONTROL_ENDPOINTS = Object.keys(ACTIONS);

export function createControlHandler(sandbox: Sandbox): ControlHandler {
  return async (method, path, query, body): Promise<ControlResponse> => {
    const key = `${method} ${path.replace(/\/+$/, "") || "/"}`;
    if (key === "GET /") return { status: 200, body: { endpoints: CONTROL_ENDPOINTS } };
    const action = ACTIONS[key];
    if (!action)
      return {
        status: 404,
        body: { message: `no control endpoint ${key}`, endpoints: CONTROL_ENDPOINTS },
      };
    const result = await action(sandbox, obj(body), query);
    return { status: 200, body: result ?? {} };
  };
}
