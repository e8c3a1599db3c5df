// The status page in the real server process (dist/main.js): OAuth from its environment, jobs recorded as they run.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMonobot, waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { exampleFiles } from "../helpers/env-config.js";
import { Client } from "./world.js";

const MAIN_PATH = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

let sandbox: Sandbox;
let server: MonobotProcess | undefined;

beforeAll(async () => {
  if (!existsSync(MAIN_PATH))
    throw new Error("dist/main.js is missing: this test runs the built server (`npm run build`)");
  sandbox = await startSandbox();
  sandbox.createUserWithRepos("carol", ["notes"]);
  sandbox.createUser("opal");
  // A config repo with environments: its merges reach the status page's "what runs where".
  sandbox.createRepo({
    owner: "carol",
    name: "aether-config",
    installation: true,
    files: exampleFiles(undefined),
  });
  server = await startMonobot({
    env: {
      ...sandbox.env(),
      GITHUB_CLIENT_ID: sandbox.oauthClient().clientId,
      GITHUB_CLIENT_SECRET: sandbox.oauthClient().clientSecret,
      MONOBOT_ADMINS: "opal",
      MONOBOT_SCHEDULER: "off",
    },
    mainPath: MAIN_PATH,
  });
  sandbox.webhookUrl = server.webhookUrl;
}, 60_000);

afterAll(async () => {
  await server?.stop(10_000);
  await sandbox?.stop();
});

describe("status page of the server process", () => {
  it("signs in with the App's OAuth client and records the jobs it runs", async () => {
    const url = server?.url ?? "";
    const opal = new Client(url);
    await opal.signIn(sandbox, "opal");
    const page = await (await opal.get("/")).text();
    expect(page).toContain("opal (operator)");

    sandbox.pushCommit("carol/notes", {
      branch: "idea",
      author: "carol",
      files: { "notes.md": "an idea\n" },
    });
    const pr = sandbox.openPullRequest("carol/notes", { head: "idea", user: "carol" });
    await sandbox.deliver(
      sandbox.events.pullRequest({ repo: "carol/notes", number: pr.number, action: "opened" }),
    );
    const entries = await waitUntil(
      async () => {
        const res = await opal.get("/api/monobot/status/activity");
        const body = (await res.json()) as {
          data: { entries: { event: string; repository: string; outcome: string }[] };
        };
        // The delivery queues several jobs (verification, gate, access): wait for the verification.
        return body.data.entries.some((e) => e.event === "pull-request")
          ? body.data.entries
          : undefined;
      },
      {
        timeoutMs: 45_000,
        what: "the pull request's job on the status page",
        seen: () =>
          JSON.stringify({
            deliveries: sandbox.deliveries().map((d) => [d.event, d.status]),
            log: server?.logs().slice(-5),
          }),
      },
    );
    expect(entries.find((e) => e.event === "pull-request")).toMatchObject({
      event: "pull-request",
      repository: "carol/notes",
    });

    const carol = new Client(url);
    await carol.signIn(sandbox, "carol");
    expect((await carol.get("/api/monobot/status/activity")).status).toBe(403);
    expect((await fetch(`${url}/api/monobot/status/deploys`)).status).toBe(401);
  }, 90_000);

  it("shows a merge on the config repo in what runs where, to the repository's owner", async () => {
    const url = server?.url ?? "";
    const repo = "carol/aether-config";
    const fleetPath = "fleet/aether/fleet.yaml";
    const fleet = sandbox.readFile(repo, "main", fleetPath) ?? "";
    const moved = fleet.replace("image: { tag: 2.1.0 }", "image: { tag: 2.2.0 }");
    expect(moved).not.toBe(fleet);
    const pushed = sandbox.pushCommit(repo, {
      branch: "main",
      author: "carol",
      message: "Deploy web 2.2.0 to staging",
      files: { [fleetPath]: moved },
    });
    await sandbox.deliver(sandbox.events.push({ repo, ref: "main", after: pushed.sha }));
    const carol = new Client(url);
    await carol.signIn(sandbox, "carol");
    type Rows = {
      data: {
        boards: {
          repository: string;
          environments: { name: string; production: boolean }[];
          rows: { component: string; cells: ({ version?: string; state?: string } | null)[] }[];
        }[];
      };
    };
    const board = await waitUntil(
      async () => {
        const res = await carol.get(`/api/monobot/status/environments?repository=${repo}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as Rows;
        const b = body.data.boards.find((x) => x.repository === repo);
        const web = b?.rows.find((r) => r.component === "web");
        return web?.cells.some((c) => c?.version === "2.2.0") ? b : undefined;
      },
      {
        timeoutMs: 45_000,
        what: "web 2.2.0 in staging on the status page",
        seen: () => JSON.stringify(server?.logs().slice(-5)),
      },
    );
    const staging = board.environments.findIndex((e) => e.name === "staging");
    const production = board.environments.findIndex((e) => e.name === "production");
    const web = board.rows.find((r) => r.component === "web");
    // Recorded as a Deployment and being verified by the environment's API tests.
    expect(web?.cells[staging]).toMatchObject({ version: "2.2.0", state: "verifying" });
    // Production keeps what it ran: the merge moved staging only.
    expect(web?.cells[production]).toMatchObject({ version: "2.0.1" });
    // Signed out, no repository data.
    expect((await fetch(`${url}/api/monobot/status/environments`)).status).toBe(401);
  }, 90_000);
});
