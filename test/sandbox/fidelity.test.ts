// Every request is checked against GitHub's OpenAPI description; violations are recorded, never silently passed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { loadOpenApi } from "../../src/sandbox/openapi.js";
import { ROUTES } from "../../src/sandbox/server.js";
import { standardSandbox } from "./helpers.js";

describe("OpenAPI fidelity", () => {
  let sandbox: Sandbox;
  let token: string;

  beforeAll(async () => {
    ({ sandbox } = await standardSandbox());
    token = sandbox.installationToken();
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => sandbox.resetViolations());

  async function call(method: string, path: string, body?: unknown, rawBody?: string) {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      ...(rawBody !== undefined
        ? { body: rawBody }
        : body !== undefined
          ? { body: JSON.stringify(body) }
          : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  it("records an unknown path and answers 404", async () => {
    const res = await call("GET", "/api/v3/repos/acme/mono/not-a-thing");
    expect(res.status).toBe(404);
    expect(sandbox.violations()).toEqual([
      expect.objectContaining({
        method: "GET",
        path: "/repos/acme/mono/not-a-thing",
        kind: "unknown-path",
      }),
    ]);
  });

  it("records a method the path does not have", async () => {
    const res = await call("DELETE", "/api/v3/repos/acme/mono/pulls/1");
    expect(res.status).toBe(404);
    expect(sandbox.violations()).toEqual([
      expect.objectContaining({
        kind: "unknown-method",
        problem: expect.stringContaining("/repos/{owner}/{repo}/pulls/{pull_number}"),
      }),
    ]);
  });

  it("records a body that does not match the operation's schema and answers 422", async () => {
    const head = sandbox.branchSha("acme/mono", "main");
    const res = await call("POST", "/api/v3/repos/acme/mono/check-runs", {
      head_sha: head,
      status: "done",
      output: { title: 1 },
    });
    expect(res.status).toBe(422);
    const problems = sandbox.violations().map((v) => [v.operationId, v.kind, v.problem]);
    expect(problems).toEqual(
      expect.arrayContaining([
        ["checks/create", "invalid-body", "body must have required property 'name'"],
        [
          "checks/create",
          "invalid-body",
          expect.stringContaining("/status must be equal to one of the allowed values"),
        ],
        ["checks/create", "invalid-body", "/output/title must be string"],
        ["checks/create", "invalid-body", "/output must have required property 'summary'"],
      ]),
    );
    expect(sandbox.checkRuns("acme/mono")).toEqual([]);
  });

  it("handles nullable fields (sha: null deletes a path in a tree) without a violation", async () => {
    const main = sandbox.branchSha("acme/mono", "main") as string;
    const res = await call("POST", "/api/v3/repos/acme/mono/git/trees", {
      base_tree: sandbox.state.treeOf(main),
      tree: [{ path: "README.md", mode: "100644", type: "blob", sha: null }],
    });
    expect(res.status).toBe(201);
    expect(sandbox.violations()).toEqual([]);
  });

  it("records a query parameter of the wrong type but still serves the request", async () => {
    const res = await call("GET", "/api/v3/repos/acme/mono/pulls?state=merged&per_page=ten");
    expect(res.status).toBe(200);
    expect(sandbox.violations().map((v) => v.kind)).toEqual(["invalid-query", "invalid-query"]);
  });

  it.each([
    {
      name: "a paging parameter on an operation that takes none (matching-refs answers all at once)",
      path: "/api/v3/repos/acme/mono/git/matching-refs/tags?per_page=100",
      problems: [
        "query parameter per_page is not defined for git/list-matching-refs (it takes none)",
      ],
    },
    {
      name: "a made-up parameter next to documented ones",
      path: "/api/v3/repos/acme/mono/pulls?state=open&per_page=5&colour=blue",
      problems: [
        expect.stringMatching(
          /^query parameter colour is not defined for pulls\/list \(it takes .*state.*per_page/,
        ),
      ],
    },
    {
      name: "a parameter given twice is one problem",
      path: "/api/v3/repos/acme/mono?x=1&x=2",
      problems: ["query parameter x is not defined for repos/get (it takes none)"],
    },
    {
      name: "only documented parameters",
      path: "/api/v3/repos/acme/mono/pulls?state=all&sort=created&page=2",
      problems: [],
    },
  ])(
    "records an unknown query parameter, still serving the request: $name",
    async ({ path, problems }) => {
      const res = await call("GET", path);
      expect(res.status).toBe(200);
      expect(sandbox.violations().map((v) => [v.kind, v.problem])).toEqual(
        problems.map((p) => ["invalid-query", p]),
      );
    },
  );

  it("records a body that is not JSON and answers 400", async () => {
    const res = await call(
      "POST",
      "/api/v3/repos/acme/mono/issues/1/comments",
      undefined,
      "{not json",
    );
    expect(res.status).toBe(400);
    expect(sandbox.violations()).toEqual([expect.objectContaining({ kind: "invalid-json" })]);
  });

  it("records calls outside /api/v3 (a wrong base URL)", async () => {
    const res = await call("GET", "/repos/acme/mono");
    expect(res.status).toBe(404);
    expect(sandbox.violations()).toEqual([
      expect.objectContaining({ kind: "unknown-path", path: "/repos/acme/mono" }),
    ]);
  });

  it("records a real GitHub operation the sandbox does not serve, so it gets added", async () => {
    const res = await call("GET", "/api/v3/repos/acme/mono/releases");
    expect(res.status).toBe(404);
    expect(sandbox.violations()).toEqual([
      expect.objectContaining({ kind: "unimplemented", operationId: "repos/list-releases" }),
    ]);
    expect(() => sandbox.assertNoViolations()).toThrow(/repos\/list-releases/);
  });

  it("logs every API request with its operation id and status", async () => {
    sandbox.resetRequests();
    await call("GET", "/api/v3/repos/acme/mono");
    await call("GET", "/api/v3/repos/acme/mono/contents/services%2Fapi%2FVERSION");
    const log = sandbox.requests();
    expect(log.map((e) => [e.method, e.path, e.operationId, e.status])).toEqual([
      ["GET", "/repos/acme/mono", "repos/get", 200],
      ["GET", "/repos/acme/mono/contents/services/api/VERSION", "repos/get-content", 200],
    ]);
    expect(log[0]?.auth).toBe("installation");
    expect(Date.parse(log[0]?.time ?? "")).not.toBeNaN();
  });

  it("maps every served route to a real operation of the description", () => {
    const index = loadOpenApi();
    const missing = [...ROUTES.keys()].filter((id) => !index.hasOperation(id));
    expect(missing).toEqual([]);
    expect(ROUTES.size).toBeGreaterThan(80);
  });

  it("loads the description once per process, fast enough for tests", () => {
    const stats = sandbox.openApiStats();
    expect(stats.operations).toBeGreaterThan(1000);
    expect(stats.loadMs).toBeGreaterThan(0);
    // Loading again returns the cached index.
    expect(loadOpenApi()).toBe(loadOpenApi());
    console.info(
      `OpenAPI description: read+parse ${stats.loadMs.toFixed(0)} ms, index ${stats.indexMs.toFixed(0)} ms, ` +
        `${stats.operations} operations, ${stats.compiledValidators} body validators compiled so far`,
    );
  });
});
