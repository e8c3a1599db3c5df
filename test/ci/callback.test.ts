import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseCallback, signatureFor, verifyCallback } from "../../src/ci/callback.js";
import { encodeRunId } from "../../src/core/run-id.js";

const SECRET = "callback-secret";
const body = '{"run_id":"x","state":"success"}';
const hex = createHmac("sha256", SECRET).update(body).digest("hex");

describe("verifyCallback", () => {
  it.each([
    { name: "the right signature", header: `sha256=${hex}`, raw: body, secret: SECRET, ok: true },
    {
      name: "upper-case hex and spaces around",
      header: ` sha256=${hex.toUpperCase()} `,
      raw: body,
      secret: SECRET,
      ok: true,
    },
    {
      name: "a Buffer body",
      header: `sha256=${hex}`,
      raw: Buffer.from(body),
      secret: SECRET,
      ok: true,
    },
    { name: "another secret", header: `sha256=${hex}`, raw: body, secret: "other", ok: false },
    {
      name: "a changed body",
      header: `sha256=${hex}`,
      raw: body.replace("success", "failure"),
      secret: SECRET,
      ok: false,
    },
    {
      name: "re-serialised JSON",
      header: `sha256=${hex}`,
      raw: JSON.stringify(JSON.parse(body), null, 1),
      secret: SECRET,
      ok: false,
    },
    { name: "no header", header: undefined, raw: body, secret: SECRET, ok: false },
    { name: "no algorithm", header: hex, raw: body, secret: SECRET, ok: false },
    { name: "sha1", header: `sha1=${hex.slice(0, 40)}`, raw: body, secret: SECRET, ok: false },
    {
      name: "a short signature",
      header: `sha256=${hex.slice(0, 63)}`,
      raw: body,
      secret: SECRET,
      ok: false,
    },
    { name: "an empty secret", header: signatureFor(body, ""), raw: body, secret: "", ok: false },
  ])("$name: $ok", ({ header, raw, secret, ok }) => {
    expect(verifyCallback(raw, header, secret)).toBe(ok);
  });

  it("signs the way it verifies", () => {
    expect(signatureFor(body, SECRET)).toBe(`sha256=${hex}`);
  });
});

describe("parseCallback", () => {
  const runId = encodeRunId({
    owner: "acme",
    repo: "mono",
    sha: "0123456789abcdef0123456789abcdef01234567",
    component: "roc-api",
    job: "nightly",
  });
  const run = {
    owner: "acme",
    repo: "mono",
    sha: "0123456789abcdef0123456789abcdef01234567",
    component: "roc-api",
    job: "nightly",
  };

  it.each([
    {
      name: "state",
      body: { run_id: runId, state: "success" },
      want: { runId, run, state: "success" },
    },
    {
      name: "pending",
      body: { run_id: runId, state: "pending" },
      want: { runId, run, state: "pending" },
    },
    {
      name: "url and description",
      body: {
        run_id: runId,
        state: "failure",
        url: "https://jenkins.example.com/job/x/12/",
        description: "3 tests failed",
      },
      want: {
        runId,
        run,
        state: "failure",
        url: "https://jenkins.example.com/job/x/12/",
        description: "3 tests failed",
      },
    },
    {
      name: "Jenkins SUCCESS",
      body: { run_id: runId, result: "SUCCESS" },
      want: { runId, run, state: "success", description: "Jenkins build succeeded" },
    },
    {
      name: "Jenkins UNSTABLE",
      body: { run_id: runId, result: "UNSTABLE" },
      want: {
        runId,
        run,
        state: "failure",
        description: "Jenkins build is unstable (test failures)",
      },
    },
    {
      name: "Jenkins ABORTED",
      body: { run_id: runId, result: "ABORTED" },
      want: { runId, run, state: "error", description: "Jenkins build was aborted" },
    },
    {
      name: "a multi-line, long description as one bounded line",
      body: { run_id: runId, state: "error", description: `line one\nline two ${"x".repeat(200)}` },
      want: {
        runId,
        run,
        state: "error",
        description: expect.stringMatching(/^line one line two x+…$/),
      },
    },
  ])("reads $name", ({ body, want }) => {
    const result = parseCallback(body);
    expect(result).toEqual(want);
    if ("description" in result && result.description)
      expect(result.description.length).toBeLessThanOrEqual(140);
  });

  it.each([
    { name: "not an object", body: [1], error: /must be a JSON object/ },
    { name: "null", body: null, error: /must be a JSON object/ },
    { name: "no run id", body: { state: "success" }, error: /run_id is missing/ },
    {
      name: "a foreign run id",
      body: { run_id: "build-42", state: "success" },
      error: /not a run id monobot made/,
    },
    {
      name: "an unknown state",
      body: { run_id: runId, state: "passed" },
      error: /state must be one of success, failure, error, pending/,
    },
    { name: "no state", body: { run_id: runId }, error: /state is missing/ },
    {
      name: "an unknown Jenkins result",
      body: { run_id: runId, result: "GREEN" },
      error: /state is missing/,
    },
    {
      name: "a javascript: URL",
      body: { run_id: runId, state: "success", url: "javascript:alert(1)" },
      error: /url must be an http\(s\) URL/,
    },
    {
      name: "a URL with credentials",
      body: { run_id: runId, state: "success", url: "https://u:p@ci.example.com" },
      error: /url must be an http\(s\) URL/,
    },
    {
      name: "a description that is not text",
      body: { run_id: runId, state: "success", description: 5 },
      error: /description must be a string/,
    },
  ])("rejects $name", ({ body, error }) => {
    const result = parseCallback(body);
    expect(result).toEqual({ error: expect.stringMatching(error) });
  });
});
