import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  correlateWorkflowRun,
  decodeRunId,
  encodeRunId,
  runIdFromWorkflowRun,
  workflowRunStatus,
  type RunIdFields,
  type WorkflowRunLike,
} from "../../src/core/run-id.js";
import { examplePayload } from "../helpers/payloads.js";

const allExamples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples/api.github.com/index.json",
) as {
  name: string;
  examples: {
    action: string;
    workflow_run: WorkflowRunLike & Record<string, unknown>;
    repository: { full_name: string };
  }[];
}[];

const SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625";
const fields: RunIdFields = {
  owner: "octo-org",
  repo: "octo-repo",
  sha: SHA,
  component: "roc-api",
  job: "verify",
  pr: 42,
};

describe("encodeRunId / decodeRunId", () => {
  it.each([
    { name: "with a pull request", f: fields },
    { name: "without a pull request", f: { ...fields, pr: undefined } },
    { name: "a SHA-256 repository", f: { ...fields, sha: "ab".repeat(32) } },
    { name: "odd component names", f: { ...fields, component: "svc with spaces/ünïcode {x}" } },
    {
      name: "long names",
      f: { ...fields, owner: "o".repeat(39), repo: "r".repeat(100), component: "c".repeat(200) },
    },
  ])("round-trips $name", ({ f }) => {
    const id = encodeRunId(f);
    const want: RunIdFields = { ...f };
    if (want.pr === undefined) delete want.pr;
    expect(decodeRunId(id)).toEqual(want);
  });

  it("is one printable line a run-name and a Jenkins parameter keep as is", () => {
    const id = encodeRunId({ ...fields, component: "a\"b$c'd`e" });
    expect(id).toMatch(/^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/);
    expect(id).not.toMatch(/["'`$\\{}]/);
    expect(id.length).toBeLessThan(200);
    expect(id).toMatch(/^a-b-c-d-e\/verify 3484a3f #42 monobot:[A-Za-z0-9_-]+$/);
  });

  it("upper-case SHAs are stored lower-case", () => {
    expect(decodeRunId(encodeRunId({ ...fields, sha: SHA.toUpperCase() }))?.sha).toBe(SHA);
  });

  it("finds the id inside a longer run name", () => {
    const id = encodeRunId(fields);
    const token = id.slice(id.indexOf("monobot:"));
    expect(decodeRunId(`Verify roc-api ${token}`)).toEqual(fields);
    expect(decodeRunId(`${token} (attempt 2)`)).toEqual(fields);
  });

  it("refuses to encode fields no id can carry", () => {
    expect(() => encodeRunId({ ...fields, sha: "abc" })).toThrow(/cannot make a run id/);
    expect(() => encodeRunId({ ...fields, job: "has space" })).toThrow(/cannot make a run id/);
    expect(() => encodeRunId({ ...fields, component: "" })).toThrow(/cannot make a run id/);
  });

  const good = encodeRunId(fields);
  const token = good.slice(good.indexOf("monobot:") + "monobot:".length);
  const forge = (bytes: Buffer) => `monobot:${bytes.toString("base64url")}`;
  const sha = Buffer.from(SHA, "hex");
  it.each([
    { name: "nothing", text: "" },
    { name: "null", text: null },
    {
      name: "a title without an id",
      text: "ci(action): update actions/setup-node digest to 8c91899",
    },
    { name: "the marker alone", text: "monobot:" },
    { name: "not base64url", text: "monobot:@@@@" },
    { name: "a truncated token", text: `monobot:${token.slice(0, 20)}` },
    { name: "a token with a byte appended", text: `monobot:${token}A` },
    { name: "two different ids", text: `${good} ${encodeRunId({ ...fields, job: "other" })}` },
    { name: "a marker glued to a word", text: `xmonobot:${token}` },
    { name: "an over-long text", text: `${"x".repeat(3000)} ${good}` },
    { name: "an over-long token", text: `monobot:${"A".repeat(1000)}` },
    {
      name: "another version",
      text: forge(Buffer.concat([Buffer.from([2, 20]), sha, Buffer.from("a\0b\0c\0d\0")])),
    },
    {
      name: "a wrong SHA length",
      text: forge(
        Buffer.concat([Buffer.from([1, 19]), sha.subarray(0, 19), Buffer.from("a\0b\0c\0d\0")]),
      ),
    },
    {
      name: "too few fields",
      text: forge(Buffer.concat([Buffer.from([1, 20]), sha, Buffer.from("a\0b\0c")])),
    },
    {
      name: "a bad owner",
      text: forge(Buffer.concat([Buffer.from([1, 20]), sha, Buffer.from("a b\0b\0c\0d\0")])),
    },
    {
      name: "a zero PR",
      text: forge(Buffer.concat([Buffer.from([1, 20]), sha, Buffer.from("a\0b\0c\0d\x000")])),
    },
    {
      name: "control characters",
      text: forge(Buffer.concat([Buffer.from([1, 20]), sha, Buffer.from("a\0b\0c\nx\0d\0")])),
    },
    {
      name: "invalid UTF-8",
      text: forge(
        Buffer.concat([
          Buffer.from([1, 20]),
          sha,
          Buffer.from([0x61, 0, 0x62, 0, 0xff, 0, 0x64, 0]),
        ]),
      ),
    },
  ])("rejects $name", ({ text }) => {
    expect(decodeRunId(text)).toBeNull();
  });

  it("accepts the same id twice in one text", () => {
    expect(decodeRunId(`${good} ${good}`)).toEqual(fields);
  });
});

describe("workflow_run correlation (real payload from @octokit/webhooks-examples)", () => {
  type Payload = {
    workflow_run: WorkflowRunLike & Record<string, unknown>;
    repository: { full_name: string };
  };

  it("reads the run id from display_title and maps the conclusion", () => {
    const payload = finishedExample();
    expect(payload.workflow_run.conclusion).toBe("success");
    expect(payload.workflow_run.repository?.full_name).toBe("octo-org/octo-repo");
    payload.workflow_run.display_title = encodeRunId(fields);
    payload.workflow_run.event = "workflow_dispatch";
    const result = correlateWorkflowRun(payload.workflow_run);
    expect(result).toEqual({
      run: fields,
      status: {
        state: "success",
        description: "GitHub Actions run succeeded",
        targetUrl: "https://github.com/octo-org/octo-repo/actions/runs/289782451",
      },
    });
  });

  it("works for repository_dispatch runs as the example has them", () => {
    const payload = finishedExample();
    expect(payload.workflow_run.event).toBe("repository_dispatch");
    payload.workflow_run.display_title = `Verify ${encodeRunId(fields)}`;
    expect(runIdFromWorkflowRun(payload.workflow_run)).toEqual(fields);
  });

  it("ignores the example as it is: its title is a commit message", () => {
    expect(correlateWorkflowRun(finishedExample().workflow_run)).toBeNull();
  });

  it.each([
    {
      name: "a pull_request run (a fork could forge its title)",
      change: { event: "pull_request" },
    },
    { name: "a push run", change: { event: "push" } },
    {
      name: "a run in another repository",
      change: { repository: { full_name: "octo-org/other" } },
    },
    {
      name: "a run from another head repository",
      change: { head_repository: { full_name: "fork/octo-repo" } },
    },
  ])("rejects $name", ({ change }) => {
    const payload = finishedExample();
    payload.workflow_run.display_title = encodeRunId(fields);
    Object.assign(payload.workflow_run, change);
    expect(runIdFromWorkflowRun(payload.workflow_run)).toBeNull();
  });

  it("matches the repository case-insensitively", () => {
    const payload = finishedExample();
    payload.workflow_run.display_title = encodeRunId({ ...fields, owner: "Octo-Org" });
    expect(runIdFromWorkflowRun(payload.workflow_run)?.owner).toBe("Octo-Org");
  });

  it.each([
    { conclusion: "success", state: "success" },
    { conclusion: "neutral", state: "success" },
    { conclusion: "failure", state: "failure" },
    { conclusion: "timed_out", state: "failure" },
    { conclusion: "startup_failure", state: "failure" },
    { conclusion: "cancelled", state: "error" },
    { conclusion: "skipped", state: "error" },
    { conclusion: "stale", state: "error" },
    { conclusion: "action_required", state: "error" },
    { conclusion: "something_new", state: "error" },
  ])("maps conclusion $conclusion to $state", ({ conclusion, state }) => {
    const status = workflowRunStatus({ status: "completed", conclusion, html_url: "https://x/1" });
    expect(status.state).toBe(state);
    expect(status.description.length).toBeLessThanOrEqual(140);
    expect(status.targetUrl).toBe("https://x/1");
    if (state === "error")
      expect(status.description).toMatch(/cancelled|skipped|stale|approval|ended/);
  });

  it("a run that is not completed is pending", () => {
    const requested = examplePayload<Payload>("workflow_run", "requested");
    expect(workflowRunStatus(requested.workflow_run).state).toBe("pending");
    expect(workflowRunStatus({ status: "completed", conclusion: null }).state).toBe("pending");
  });
});

/** The real `workflow_run.completed` example that finished with a conclusion (a success). */
function finishedExample() {
  const group = allExamples.find((g) => g.name === "workflow_run");
  const found = group?.examples.find(
    (e) => e.action === "completed" && e.workflow_run.conclusion !== null,
  );
  if (!found) throw new Error("no finished workflow_run example");
  return structuredClone(found);
}

describe("run ids of deployed jobs carry their environment", () => {
  it("round-trips the environment; ids without one are as before", () => {
    const withEnv = { ...fields, pr: undefined, environment: "staging" };
    expect(decodeRunId(encodeRunId(withEnv))).toEqual({
      ...fields,
      pr: undefined,
      environment: "staging",
    });
    const plain = encodeRunId({ ...fields });
    expect(decodeRunId(plain)).toEqual(fields);
    expect(decodeRunId(plain)).not.toHaveProperty("environment");
    expect(encodeRunId(withEnv)).not.toBe(encodeRunId({ ...fields, pr: undefined }));
  });

  it("refuses an environment no policy allows", () => {
    expect(() => encodeRunId({ ...fields, environment: "has space" })).toThrow(
      /cannot make a run id/,
    );
    expect(() => encodeRunId({ ...fields, environment: "" })).toThrow(/cannot make a run id/);
  });
});
