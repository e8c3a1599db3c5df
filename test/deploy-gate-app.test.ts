// The deployment gate through the app: freeze windows at a fixed clock, their edges and DST days,
// the re-evaluation at the next transition, /deploy-anyway, forged markers and auto-merge.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployOverrideMarker, SUMMARY_MARKER } from "../src/core/pr-state.js";
import comment from "../src/handlers/comment.js";
import deployGate, { gateTimerKey } from "../src/handlers/deploy-gate.js";
import { API, CONFIG, HEAD, REPO, prComment } from "./helpers/github-nock.js";
import { ManualTimers } from "./helpers/manual-timers.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";

const REPO_REF = { owner: "Codertocat", name: "Hello-World" };
const TIMER = gateTimerKey(REPO_REF, 2);
const BOT = "monobot[bot]";
const NEW_HEAD = "1".repeat(40);

const WEEKEND = `deploy:
  freeze:
    - days: [Fri]
      from: "17:00"
      to: "Mon 08:00"
      timezone: America/Los_Angeles
      reason: no deploys into the weekend
`;

interface CheckRunBody {
  name: string;
  head_sha: string;
  conclusion: string;
  external_id?: string;
  output: { title: string; summary: string; text?: string };
}

interface Comment {
  id: number;
  body: string;
  user: { login: string };
}

/** A stateful stand-in for the GitHub API of the example repository's pull request #2. */
class FakeGitHub {
  config = WEEKEND;
  files: { filename: string; status?: string; previous_filename?: string }[] = [
    { filename: "charts/aether/values.yaml" },
  ];
  tree = ["charts/aether/Chart.yaml", "charts/aether/values.yaml", "README.md"];
  comments: Comment[] = [];
  permissions: Record<string, string> = {};
  pr = {
    state: "open",
    headSha: HEAD,
    headRef: "changes",
    author: "Codertocat",
    draft: false,
  };
  /** What GitHub answers to enablePullRequestAutoMerge: "ok", or an error message. */
  autoMerge = "ok";
  readonly checkRuns: CheckRunBody[] = [];
  readonly checkRunUpdates: { id: number; output: CheckRunBody["output"] }[] = [];
  readonly merges: { sha: string; merge_method: string }[] = [];
  readonly requests: string[] = [];
  #nextId = 1000;

  constructor() {
    const log = (method: string, uri: string) => {
      this.requests.push(`${method} ${uri.replace(/\?.*$/, "")}`);
    };
    nock(API)
      .persist()
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_test", permissions: {} })
      .get((p) => p.startsWith(REPO) && CONFIG.test(p))
      .reply(() => {
        log("GET", "config");
        return [
          200,
          this.config,
          { "content-type": "application/vnd.github.v3.raw; charset=utf-8" },
        ];
      })
      .get(`${REPO}/pulls/2/files`)
      .query(true)
      .reply((uri) => {
        log("GET", uri);
        return [
          200,
          this.files.map((f) => ({
            status: "modified",
            additions: 1,
            deletions: 0,
            changes: 1,
            ...f,
          })),
        ];
      })
      .get(new RegExp(`^${REPO}/git/trees/[0-9a-f]{40}`))
      .query(true)
      .reply((uri) => {
        log("GET", uri);
        return [
          200,
          {
            sha: this.pr.headSha,
            truncated: false,
            tree: this.tree.map((path) => ({ path, type: "blob", mode: "100644", sha: HEAD })),
          },
        ];
      })
      .get(`${REPO}/pulls/2/commits`)
      .query(true)
      .reply((uri) => {
        log("GET", uri);
        return [
          200,
          [
            {
              sha: this.pr.headSha,
              parents: [{ sha: "f".repeat(40) }],
              author: { login: "Codertocat" },
              committer: { login: "Codertocat" },
              commit: {
                message: "chore: bump\n\nSigned-off-by: Codertocat <c@example.com>",
                author: { name: "Codertocat", email: "c@example.com" },
                committer: { name: "Codertocat", email: "c@example.com" },
              },
            },
          ],
        ];
      })
      .get(new RegExp(`^${REPO}/commits/[0-9a-f]{40}/check-runs`))
      .query(true)
      .reply((uri) => {
        log("GET", uri);
        return [200, { total_count: 0, check_runs: [] }];
      })
      .get(`${REPO}/pulls/2`)
      .reply((uri) => {
        log("GET", uri);
        return [200, this.pullRequestPayload().pull_request];
      })
      .get(`${REPO}/pulls`)
      .query(true)
      .reply((uri) => {
        log("GET", uri);
        const pr = this.pullRequestPayload().pull_request;
        return [200, [pr]];
      })
      .get(`${REPO}/issues/2/comments`)
      .query(true)
      .reply((uri) => {
        log("GET", uri);
        return [200, this.comments];
      })
      .post(`${REPO}/issues/2/comments`)
      .reply((uri, body) => {
        log("POST", uri);
        const id = this.#nextId++;
        this.comments.push({ id, body: (body as { body: string }).body, user: { login: BOT } });
        return [201, { id }];
      })
      .patch(/\/repos\/Codertocat\/Hello-World\/issues\/comments\/\d+$/)
      .reply((uri, body) => {
        log("PATCH", uri);
        const id = Number(uri.split("/").pop());
        const c = this.comments.find((x) => x.id === id);
        if (c) c.body = (body as { body: string }).body;
        return [200, {}];
      })
      .get(/\/repos\/Codertocat\/Hello-World\/collaborators\/[^/]+\/permission$/)
      .reply((uri) => {
        log("GET", uri);
        const login = decodeURIComponent(uri.split("/").at(-2) ?? "");
        const role = this.permissions[login];
        if (!role) return [404, { message: "Not Found" }];
        return [200, { permission: role, role_name: role, user: { login } }];
      })
      .post(`${REPO}/check-runs`)
      .reply((uri, body) => {
        log("POST", uri);
        this.checkRuns.push(body as CheckRunBody);
        return [201, { id: this.#nextId++ }];
      })
      .patch(/\/repos\/Codertocat\/Hello-World\/check-runs\/\d+$/)
      .reply((uri, body) => {
        log("PATCH", uri);
        const b = body as { output: CheckRunBody["output"] };
        this.checkRunUpdates.push({ id: Number(uri.split("/").pop()), output: b.output });
        return [200, {}];
      })
      .post("/graphql")
      .reply((uri, body) => {
        log("POST", uri);
        const query = (body as { query: string }).query;
        if (!query.includes("enablePullRequestAutoMerge")) return [400, {}];
        if (this.autoMerge === "ok") {
          return [200, { data: { enablePullRequestAutoMerge: { clientMutationId: null } } }];
        }
        return [200, { data: null, errors: [{ type: "UNPROCESSABLE", message: this.autoMerge }] }];
      })
      .put(`${REPO}/pulls/2/merge`)
      .reply((uri, body) => {
        log("PUT", uri);
        this.merges.push(body as { sha: string; merge_method: string });
        return [200, { sha: "m".repeat(40).replace(/m/g, "9"), merged: true, message: "merged" }];
      });
  }

  /** The pull_request webhook payload (and the REST pull request) as the fake holds it. */
  pullRequestPayload(action = "opened") {
    const payload = examplePayload<{
      action: string;
      pull_request: Record<string, unknown> & {
        head: { sha: string; ref: string };
        user: { login: string };
      };
    }>("pull_request", "opened");
    payload.action = action;
    const pr = payload.pull_request;
    pr.state = this.pr.state;
    pr.draft = this.pr.draft;
    pr.head.sha = this.pr.headSha;
    pr.head.ref = this.pr.headRef;
    pr.user.login = this.pr.author;
    pr.node_id = "PR_kwDOtest2";
    return payload;
  }

  summary(): Comment | undefined {
    return this.comments.find((c) => c.user.login === BOT && c.body.startsWith(SUMMARY_MARKER));
  }
}

let github: FakeGitHub;

beforeEach(() => {
  nock.disableNetConnect();
  github = new FakeGitHub();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** The app with the gate and the comment handler, a clock the test sets and timers it fires. */
async function gateApp(now: string) {
  const timers = new ManualTimers();
  // No static checks: where a comment also verifies the PR, only the gate's part is looked at.
  const app = await makeProbot({ handlers: [deployGate, comment], later: timers, checks: [] });
  let clock = Date.parse(now);
  app.services.now = () => new Date(clock);
  let deliveries = 0;
  const receive = async (name: string, payload: unknown) => {
    await app.probot.receive({
      id: `delivery-${++deliveries}`,
      name,
      payload,
    } as Parameters<typeof app.probot.receive>[0]);
    await app.queue.idle();
  };
  return {
    ...app,
    timers,
    receive,
    opened: () => receive("pull_request", github.pullRequestPayload("opened")),
    /** Moves the clock and fires the timers due by then, as the durable timer store does. */
    advance: async (to: string) => {
      clock = Date.parse(to);
      const fired = await timers.fireDue(clock);
      await app.queue.idle();
      return fired;
    },
  };
}

function lastRun(): CheckRunBody {
  const run = github.checkRuns.at(-1);
  if (!run) throw new Error("no check run was posted");
  return run;
}

describe("monobot/deploy-gate on a pull request that changes a deployed chart", () => {
  it("outside a window: passes, and queues its next evaluation for when the freeze begins", async () => {
    // Friday 2026-03-06 16:00 in Los Angeles (PST, UTC-8).
    const app = await gateApp("2026-03-07T00:00:00Z");
    await app.opened();
    expect(github.checkRuns).toHaveLength(1);
    const run = lastRun();
    expect(run).toMatchObject({
      name: "monobot/deploy-gate",
      head_sha: HEAD,
      conclusion: "success",
    });
    expect(run.output.summary).toContain(
      "begins Fri 2026-03-06 17:00 America/Los_Angeles (UTC-08:00), Sat 2026-03-07 01:00 UTC",
    );
    expect(run.output.summary).toContain("`charts/aether/values.yaml` (the chart `charts/aether`)");
    expect(app.timers.due(TIMER)).toBe(Date.parse("2026-03-07T01:00:00Z"));
    // Few requests: the policy, the files, the head tree (values.yaml alone does not tell), one check run.
    expect(github.requests).toEqual([
      "GET config",
      `GET ${REPO}/pulls/2/files`,
      `GET ${REPO}/git/trees/${HEAD}`,
      `POST ${REPO}/check-runs`,
    ]);
  });

  it("inside a window: fails and says which window, why, and when it ends (local and UTC)", async () => {
    const app = await gateApp("2026-03-07T20:00:00Z"); // Saturday noon in Los Angeles
    github.files = [{ filename: "charts/aether/Chart.yaml" }];
    await app.opened();
    const run = lastRun();
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe(
      "Deploy freeze until Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00): no deploys into the weekend",
    );
    expect(run.output.summary).toContain(
      "| every Fri 17:00 to Mon 08:00 (America/Los_Angeles) | no deploys into the weekend | Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00) | Mon 2026-03-09 15:00 UTC |",
    );
    // The DST change on Sunday 2026-03-08 moves the end to 15:00 UTC, not 16:00.
    expect(app.timers.due(TIMER)).toBe(Date.parse("2026-03-09T15:00:00Z"));
    // A Chart.yaml among the files decides it without the tree; inside a freeze the comments
    // are read for an override.
    expect(github.requests).toEqual([
      "GET config",
      `GET ${REPO}/pulls/2/files`,
      `GET ${REPO}/issues/2/comments`,
      `POST ${REPO}/check-runs`,
    ]);
  });

  // [clock, conclusion]: `from` is inside the window, `to` is not.
  it.each([
    ["2026-03-07T00:59:59.999Z", "success"], // Fri 16:59:59.999 PST
    ["2026-03-07T01:00:00.000Z", "failure"], // Fri 17:00 PST
    ["2026-03-09T14:59:59.999Z", "failure"], // Mon 07:59:59.999 PDT
    ["2026-03-09T15:00:00.000Z", "success"], // Mon 08:00 PDT
  ])("at the window's edge %s: %s", async (now, conclusion) => {
    const app = await gateApp(now);
    await app.opened();
    expect(lastRun().conclusion).toBe(conclusion);
  });

  // A Sunday window across the hour that the clocks skip or repeat, in Los Angeles.
  const SUNDAY_NIGHT = `deploy:
  freeze:
    - { days: [Sun], from: "01:30", to: "03:00", timezone: America/Los_Angeles, reason: maintenance }
`;
  it.each([
    // Spring forward, 2026-03-08: 01:30 PST is 09:30 UTC; 03:00 PDT is 10:00 UTC (02:00-03:00 never happens).
    ["2026-03-08T09:29:59Z", "success", "2026-03-08T09:30:00Z"],
    ["2026-03-08T09:30:00Z", "failure", "2026-03-08T10:00:00Z"],
    ["2026-03-08T09:59:59Z", "failure", "2026-03-08T10:00:00Z"],
    ["2026-03-08T10:00:00Z", "success", "2026-03-15T08:30:00Z"],
    // Fall back, 2026-11-01: 01:30 happens twice and counts at its first (PDT) occurrence, 08:30
    // UTC; 03:00 PST is 11:00 UTC, so this night's window lasts two and a half hours.
    ["2026-11-01T08:29:59Z", "success", "2026-11-01T08:30:00Z"],
    ["2026-11-01T08:30:00Z", "failure", "2026-11-01T11:00:00Z"],
    ["2026-11-01T09:45:00Z", "failure", "2026-11-01T11:00:00Z"], // the second 01:45, PST
    ["2026-11-01T10:59:59Z", "failure", "2026-11-01T11:00:00Z"],
    ["2026-11-01T11:00:00Z", "success", "2026-11-08T09:30:00Z"],
  ])("on a DST change day at %s: %s, evaluated again at %s", async (now, conclusion, next) => {
    github.config = SUNDAY_NIGHT;
    const app = await gateApp(now);
    await app.opened();
    expect(lastRun().conclusion).toBe(conclusion);
    expect(app.timers.due(TIMER)).toBe(Date.parse(next));
  });
});

describe("the gate's re-evaluation at the next freeze transition", () => {
  it("turns red when the freeze begins and green by itself when it ends", async () => {
    const app = await gateApp("2026-03-06T20:00:00Z"); // Friday noon PST
    await app.opened();
    expect(lastRun().conclusion).toBe("success");
    expect(app.timers.due(TIMER)).toBe(Date.parse("2026-03-07T01:00:00Z"));

    // Nothing is due before the window opens.
    expect(await app.advance("2026-03-07T00:59:00Z")).toEqual([]);
    expect(github.checkRuns).toHaveLength(1);

    expect(await app.advance("2026-03-07T01:00:00Z")).toEqual([TIMER]);
    expect(github.checkRuns).toHaveLength(2);
    expect(lastRun()).toMatchObject({
      conclusion: "failure",
      head_sha: HEAD,
      external_id: `deploy-gate@2026-03-07T01:00:00.000Z:Codertocat/Hello-World#2`,
    });
    expect(app.timers.due(TIMER)).toBe(Date.parse("2026-03-09T15:00:00Z"));

    expect(await app.advance("2026-03-09T15:00:00Z")).toEqual([TIMER]);
    expect(github.checkRuns).toHaveLength(3);
    expect(lastRun().conclusion).toBe("success");
    expect(lastRun().output.title).toBe("No deploy freeze now");
    // One pending re-evaluation per pull request, now for the next Friday.
    expect(await app.timers.pending()).toBe(1);
    expect(app.timers.due(TIMER)).toBe(Date.parse("2026-03-14T00:00:00Z"));
  });

  it("evaluates at the transition even when the timer fires a moment early", async () => {
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    // The timer store fires on the wall clock; the job carries the instant it stands for.
    const fired = await app.advance("2026-03-07T00:59:59.999Z");
    expect(fired).toEqual([]);
    const due = app.timers.due(TIMER) ?? 0;
    await app.timers.fireDue(due);
    await app.queue.idle();
    expect(lastRun().conclusion).toBe("failure");
  });

  it("replaces the pending timer on every evaluation: one per pull request", async () => {
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    github.pr.headSha = NEW_HEAD;
    await app.receive("pull_request", github.pullRequestPayload("synchronize"));
    expect(github.checkRuns.map((r) => r.head_sha)).toEqual([HEAD, NEW_HEAD]);
    expect(app.timers.timers.size).toBe(1);
  });

  it("does not evaluate a closed or merged pull request again", async () => {
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    github.pr.state = "closed";
    const before = github.requests.length;
    expect(await app.advance("2026-03-07T01:00:00Z")).toEqual([TIMER]);
    expect(github.checkRuns).toHaveLength(1);
    expect(github.requests.slice(before)).toEqual(["GET config", `GET ${REPO}/pulls/2`]);
    expect(await app.timers.pending()).toBe(0);
  });

  it("forgets the pending timer when the pull request is closed, without a request", async () => {
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    expect(await app.timers.pending()).toBe(1);
    const before = github.requests.length;
    github.pr.state = "closed";
    await app.receive("pull_request", github.pullRequestPayload("closed"));
    expect(await app.timers.pending()).toBe(0);
    expect(github.requests.slice(before)).toEqual([]);
  });

  it("runs again on the Checks tab's Re-run of monobot/deploy-gate, not of another check", async () => {
    const app = await gateApp("2026-03-07T20:00:00Z");
    const rerun = (name: string) => {
      const payload = examplePayload<{
        check_run: { name: string; pull_requests: { number: number }[] };
        repository: unknown;
      }>("check_run", "rerequested");
      payload.repository = examplePayload<{ repository: unknown }>("pull_request").repository;
      payload.check_run.name = name;
      payload.check_run.pull_requests = [{ number: 2 }];
      return payload;
    };
    await app.receive("check_run", rerun("monobot/lint"));
    expect(github.requests).toEqual([]);
    await app.receive("check_run", rerun("monobot/deploy-gate"));
    expect(lastRun()).toMatchObject({ name: "monobot/deploy-gate", conclusion: "failure" });
    expect(github.requests).toContain(`GET ${REPO}/pulls/2`);
  });

  it("runs again on recheck by a trusted user", async () => {
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.receive("issue_comment", prComment("recheck", "MEMBER", "bob"));
    expect(github.checkRuns.filter((r) => r.name === "monobot/deploy-gate")).toHaveLength(1);
    expect(github.checkRuns.find((r) => r.name === "monobot/deploy-gate")?.conclusion).toBe(
      "failure",
    );
    // The verification ran too (monobot/config) and wrote the one summary comment.
    expect(github.checkRuns.map((r) => r.name)).toContain("monobot/config");
    expect(github.comments.filter((c) => c.body.startsWith(SUMMARY_MARKER))).toHaveLength(1);
  });
});

describe("which pull requests the gate holds", () => {
  it("posts nothing in a repository without freeze windows: one policy read", async () => {
    github.config = "deploy:\n  freeze: []\n";
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(github.checkRuns).toEqual([]);
    expect(github.requests).toEqual(["GET config"]);
    expect(await app.timers.pending()).toBe(0);
  });

  it("passes a pull request that changes no deployed chart, and queues nothing", async () => {
    github.files = [{ filename: "docs/runbook.md" }, { filename: "scripts/lint.sh" }];
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(lastRun()).toMatchObject({
      conclusion: "success",
      output: { title: "No deployed chart changes" },
    });
    expect(await app.timers.pending()).toBe(0);
  });

  it("holds a file moved out of a chart (its old path counts), read from the head tree", async () => {
    github.files = [
      {
        filename: "archive/values.yaml",
        status: "renamed",
        previous_filename: "charts/aether/values.yaml",
      },
    ];
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(lastRun().conclusion).toBe("failure");
    expect(lastRun().output.summary).toContain(
      "changes deployed files (in a chart folder, with a Chart.yaml, or a Fleet bundle, with a fleet.yaml):\n- `charts/aether/values.yaml` (the chart `charts/aether`)",
    );
  });

  it("holds a change to a Fleet bundle's fleet.yaml without reading the tree", async () => {
    github.files = [{ filename: "fleet/prod/fleet.yaml" }, { filename: "fleet/prod/extra.yaml" }];
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(lastRun().conclusion).toBe("failure");
    expect(lastRun().output.summary).toContain(
      "among them:\n- `fleet/prod/fleet.yaml` (the Fleet bundle `fleet/prod`)",
    );
    expect(github.requests.some((r) => r.includes("/git/trees/"))).toBe(false);
  });

  it("skips a draft until it is ready for review", async () => {
    github.pr.draft = true;
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(github.checkRuns).toEqual([]);
    github.pr.draft = false;
    await app.receive("pull_request", github.pullRequestPayload("ready_for_review"));
    expect(lastRun().conclusion).toBe("failure");
  });
});

describe("/deploy-anyway", () => {
  const SUMMARY = `${SUMMARY_MARKER}\n### monobot · \`ec26c3e\`\n\nall good\n<!-- monobot:verified sha=${HEAD} -->`;

  it("by an admin inside a freeze: neutral, with who and why, recorded in the summary for this head", async () => {
    github.comments = [{ id: 7, body: SUMMARY, user: { login: BOT } }];
    github.permissions = { dana: "admin" };
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.receive(
      "issue_comment",
      prComment("/deploy-anyway hotfix for INC-42", "MEMBER", "dana"),
    );
    const run = lastRun();
    expect(run.conclusion).toBe("neutral");
    expect(run.output.title).toBe("Freeze overridden by @dana: hotfix for INC-42");
    expect(run.output.summary).toContain(
      "@dana let this pull request through with `/deploy-anyway`: hotfix for INC-42",
    );
    expect(run.output.summary).toContain("given for commit ec26c3e, the current head");
    expect(github.summary()?.body).toBe(
      `${SUMMARY}\n${deployOverrideMarker({ sha: HEAD, by: "dana", reason: "hotfix for INC-42" })}`,
    );
    const replies = github.comments.filter((c) => c.id !== 7);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toMatch(/^@dana the deploy freeze is overridden for commit ec26c3e/);

    // The override holds for later evaluations of the same head (the freeze's end, a re-run)...
    await app.opened();
    expect(lastRun().conclusion).toBe("neutral");
    // ...and not for a new push.
    github.pr.headSha = NEW_HEAD;
    await app.receive("pull_request", github.pullRequestPayload("synchronize"));
    expect(lastRun().conclusion).toBe("failure");
    expect(lastRun().output.summary).toContain(
      "@dana's `/deploy-anyway` was for commit ec26c3e; the pull request is now at 1111111",
    );
  });

  it("by an admin outside a freeze: success, the override recorded for a freeze that begins", async () => {
    github.permissions = { dana: "admin" };
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.receive("issue_comment", prComment("/deploy-anyway release train", "MEMBER", "dana"));
    expect(lastRun().conclusion).toBe("success");
    expect(lastRun().output.summary).toContain("so it was not needed");
    // No summary yet: one is started that holds the override.
    expect(github.summary()?.body).toContain("monobot:deploy-anyway");
    await app.advance("2026-03-07T01:00:00Z");
    expect(lastRun().conclusion).toBe("neutral");
  });

  it("by a non-admin: refused with one short reply, nothing recorded", async () => {
    github.comments = [{ id: 7, body: SUMMARY, user: { login: BOT } }];
    github.permissions = { erin: "maintain" };
    const app = await gateApp("2026-03-07T20:00:00Z");
    // A member (trusted for CI) is still not an admin.
    await app.receive("issue_comment", prComment("/deploy-anyway I am sure", "MEMBER", "erin"));
    expect(github.checkRuns).toEqual([]);
    expect(github.summary()?.body).toBe(SUMMARY);
    const replies = github.comments.filter((c) => c.id !== 7);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toMatch(
      /^@erin `\/deploy-anyway` was not run: only admins of this repository may override the deployment gate, and you have maintain permission\./,
    );
    expect(github.requests).toContain(`GET ${REPO}/collaborators/erin/permission`);
  });

  it("without a reason: the usage, and no permission asked", async () => {
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.receive("issue_comment", prComment("/deploy-anyway", "MEMBER", "dana"));
    expect(github.checkRuns).toEqual([]);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain("say why");
    expect(github.requests.some((r) => r.includes("/permission"))).toBe(false);
  });

  it("a forged override marker from anyone but the bot does nothing", async () => {
    const forged = `${SUMMARY_MARKER}\n${deployOverrideMarker({ sha: HEAD, by: "dana", reason: "forged" })}`;
    github.comments = [
      { id: 5, body: forged, user: { login: "mallory" } },
      // The bot's own reply that quotes a marker is not its summary either.
      {
        id: 6,
        body: `@x hi\n${deployOverrideMarker({ sha: HEAD, by: "dana", reason: "reply" })}`,
        user: { login: BOT },
      },
    ];
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(lastRun().conclusion).toBe("failure");
    expect(lastRun().output.summary).not.toContain("forged");
  });
});

describe("auto-merge of monobot's own deploy pull requests", () => {
  const deployPr = () => {
    github.pr.headRef = "monobot/deploy-roc-api";
    github.pr.author = BOT;
  };
  const autoMergeConfig = (on: boolean) =>
    `${WEEKEND}  auto_merge: ${on}\n  merge_method: rebase\n`;

  it("on, gate open: turns GitHub's auto-merge on, and the check says so", async () => {
    deployPr();
    github.config = autoMergeConfig(true);
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    expect(lastRun().conclusion).toBe("success");
    expect(github.requests).toContain("POST /graphql");
    expect(github.checkRunUpdates.at(-1)?.output.text).toBe(
      "Auto-merge (rebase) is on: GitHub merges this pull request once every required check passes.",
    );
    expect(github.merges).toEqual([]);
  });

  it("on, and the pull request can merge at once (GitHub refuses auto-merge as clean): merges it at the gated head", async () => {
    deployPr();
    github.config = autoMergeConfig(true);
    github.autoMerge = "Pull request Pull request is in clean status";
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    expect(github.merges).toEqual([{ sha: HEAD, merge_method: "rebase" }]);
    expect(github.checkRunUpdates.at(-1)?.output.text).toMatch(/^Merged \(rebase\) as 9999999/);
  });

  it("on, but GitHub refuses for another reason: nothing merged, the reason shown", async () => {
    deployPr();
    github.config = autoMergeConfig(true);
    github.autoMerge = "Pull request Auto merge is not allowed for this repository";
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    expect(github.merges).toEqual([]);
    expect(github.checkRunUpdates.at(-1)?.output.text).toBe(
      "Auto-merge could not be turned on: Pull request Auto merge is not allowed for this repository.",
    );
  });

  it("on, inside a freeze: no auto-merge until the gate opens by itself", async () => {
    deployPr();
    github.config = autoMergeConfig(true);
    const app = await gateApp("2026-03-07T20:00:00Z");
    await app.opened();
    expect(lastRun().conclusion).toBe("failure");
    expect(github.requests).not.toContain("POST /graphql");
    await app.advance("2026-03-09T15:00:00Z");
    expect(lastRun().conclusion).toBe("success");
    expect(github.requests).toContain("POST /graphql");
  });

  it("off (the default): no auto-merge request", async () => {
    deployPr();
    github.config = autoMergeConfig(false);
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    expect(lastRun().conclusion).toBe("success");
    expect(github.requests.filter((r) => r.includes("graphql") || r.includes("merge"))).toEqual([]);
    expect(github.checkRunUpdates).toEqual([]);
  });

  it("on, but a human's pull request on a monobot/deploy- branch is never merged by monobot", async () => {
    github.pr.headRef = "monobot/deploy-roc-api";
    github.config = autoMergeConfig(true);
    const app = await gateApp("2026-03-06T20:00:00Z");
    await app.opened();
    expect(github.requests).not.toContain("POST /graphql");
    expect(github.merges).toEqual([]);
  });
});
