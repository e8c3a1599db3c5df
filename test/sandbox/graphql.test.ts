// GraphQL in the sandbox: batched file reads at two refs in one query, executed against a real schema.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox, type Octokit } from "./helpers.js";

describe("GraphQL", () => {
  let sandbox: Sandbox;
  let repo: string;
  let octokit: Octokit;
  let base: string;
  let head: string;

  beforeAll(async () => {
    let installationId: number;
    ({ sandbox, repo, installationId } = await standardSandbox());
    octokit = await installationOctokit(sandbox, installationId);
    base = sandbox.branchSha(repo, "main") as string;
    head = sandbox.pushCommit(repo, {
      branch: "bump",
      files: {
        "services/api/VERSION": "1.3.0\n",
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.2.0\n",
        "logo.png": Buffer.from([137, 80, 78, 71, 0, 0, 1]),
      },
    }).sha;
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("reads many files at two refs in one aliased query; a missing path is null", async () => {
    const query = `query($owner: String!, $name: String!) {
      repository(owner: $owner, name: $name) {
        f0: object(expression: "${base}:services/api/VERSION") { ... on Blob { text isBinary byteSize } }
        f1: object(expression: "${head}:services/api/VERSION") { ... on Blob { text isBinary byteSize } }
        f2: object(expression: "${base}:charts/api/Chart.yaml") { ... on Blob { text } }
        f3: object(expression: "${head}:charts/api/Chart.yaml") { ... on Blob { text } }
        f4: object(expression: "${head}:logo.png") { ... on Blob { text isBinary byteSize } }
        f5: object(expression: "bump:services/web/VERSION") { ... on Blob { text oid abbreviatedOid } }
      }
    }`;
    const before = sandbox.mark();
    const data = await octokit.graphql<{
      repository: Record<string, Record<string, unknown> | null>;
    }>(query, {
      owner: "acme",
      name: "mono",
    });
    expect(data.repository).toEqual({
      f0: { text: "1.2.3\n", isBinary: false, byteSize: 6 },
      f1: { text: "1.3.0\n", isBinary: false, byteSize: 6 },
      f2: null,
      f3: { text: "apiVersion: v2\nname: api\nversion: 0.2.0\n" },
      f4: { text: null, isBinary: true, byteSize: 7 },
      f5: expect.objectContaining({
        text: "0.4.0-dev\n",
        abbreviatedOid: expect.stringMatching(/^[0-9a-f]{7}$/),
      }),
    });
    // One HTTP request for all of it, at GitHub Enterprise's GraphQL path.
    expect(sandbox.requests({ since: before }).map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /api/graphql",
    ]);
  });

  it("serves the default branch, trees, commits and the rate limit", async () => {
    const data = await octokit.graphql<{
      repository: {
        name: string;
        owner: { login: string };
        defaultBranchRef: { name: string; target: { oid: string } };
        tree: { entries: Array<{ name: string; type: string; mode: number; path: string }> };
        commit: { oid: string; message: string };
      };
      rateLimit: { cost: number; remaining: number; limit: number; resetAt: string };
    }>(
      `{
        repository(owner: "acme", name: "mono") {
          name
          owner { login }
          defaultBranchRef { name target { oid } }
          tree: object(expression: "main:services") { ... on Tree { entries { name type mode path } } }
          commit: object(oid: "${head}") { ... on Commit { oid message } }
        }
        rateLimit { cost remaining limit resetAt }
      }`,
    );
    expect(data.repository.name).toBe("mono");
    expect(data.repository.owner.login).toBe("acme");
    expect(data.repository.defaultBranchRef).toEqual({ name: "main", target: { oid: base } });
    expect(data.repository.tree.entries).toEqual([
      { name: "api", type: "tree", mode: 0o40000, path: "services/api" },
      { name: "web", type: "tree", mode: 0o40000, path: "services/web" },
    ]);
    expect(data.repository.commit).toEqual({ oid: head, message: "Update files" });
    expect(data.rateLimit).toMatchObject({ cost: 1, limit: 5000 });
    expect(data.rateLimit.remaining).toBeLessThan(5000);
  });

  it("reports an unknown repository like GitHub: data null and a NOT_FOUND error", async () => {
    const err = await octokit
      .graphql(`{ repository(owner: "acme", name: "ghost") { name } }`)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      errors: [
        {
          type: "NOT_FOUND",
          path: ["repository"],
          message: "Could not resolve to a Repository with the name 'acme/ghost'.",
        },
      ],
      data: { repository: null },
    });
  });

  it("rejects a query that does not fit the schema with errors, not a crash", async () => {
    const res = await fetch(sandbox.graphqlUrl, {
      method: "POST",
      headers: {
        authorization: `token ${sandbox.installationToken()}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ query: '{ repository(owner: "acme", name: "mono") { nope } }' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { errors: Array<{ message: string }>; data?: unknown };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]?.message).toMatch(/Cannot query field "nope" on type "Repository"/);
  });

  it("requires a token", async () => {
    const res = await fetch(sandbox.graphqlUrl, {
      method: "POST",
      body: JSON.stringify({ query: "{ rateLimit { cost } }" }),
    });
    expect(res.status).toBe(401);
  });

  it("is not checked against the REST description (no violations for GraphQL)", () => {
    expect(sandbox.violations()).toEqual([]);
  });
  it("history(path:) lists the commits that touched a folder, newest first; file(path:) reads at a commit", async () => {
    const one = sandbox.pushCommit(repo, { branch: "bump", files: { "docs/a.md": "a\n" } }).sha;
    const two = sandbox.pushCommit(repo, {
      branch: "bump",
      files: { "services/api/main.go": "package main\n" },
    }).sha;
    const data = await octokit.graphql<{
      repository: {
        object: {
          api: { nodes: { oid: string }[] };
          docs: { nodes: { oid: string }[] };
          file: { object: { text: string } } | null;
          none: null;
        };
      };
    }>(
      `query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) {
        object(expression: "bump") { ... on Commit {
          api: history(first: 10, path: "services/api") { nodes { oid } }
          docs: history(first: 10, path: "docs") { nodes { oid } }
          file: file(path: "services/api/VERSION") { object { ... on Blob { text } } }
          none: file(path: "nope") { name }
        } }
      } }`,
      { owner: "acme", name: "mono" },
    );
    const api = data.repository.object.api.nodes.map((n) => n.oid);
    expect(api.slice(0, 2)).toEqual([two, head]);
    expect(api).not.toContain(one);
    expect(data.repository.object.docs.nodes.map((n) => n.oid)).toEqual([one]);
    expect(data.repository.object.file?.object.text).toBe("1.3.0\n");
    expect(data.repository.object.none).toBeNull();
  });
});
