// Hygiene: a distinctive plaintext goes through seal, check and sync (errors and a key rotation
// included); it must appear in no log line, no request sent to GitHub, no sandbox log entry, and
// no check output, in clear or encoded.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runSecretsCli } from "../../src/cli/secrets.js";
import { secretsCheck } from "../../src/core/checks/secrets.js";
import { renderSecretSyncReport } from "../../src/core/secrets-sync-report.js";
import { GitHubActionsSecrets } from "../../src/forge/actions-secrets.js";
import type { Log } from "../../src/log.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import {
  keyRing,
  newPrivateKey,
  sodiumReady,
  toBase64,
  type KeyRing,
} from "../../src/secrets/sealing.js";
import { syncSecrets, type SyncSecretsRequest } from "../../src/workflows/sync-secrets.js";
import { addedFile, runCheckOn } from "../helpers/check-harness.js";
import { sandboxApp } from "../helpers/sandbox-app.js";
import { sealedEntry } from "../helpers/sealed-secrets.js";
import { installationOctokit, type Octokit } from "../sandbox/helpers.js";

const CANARY = `canary-${randomUUID()}-ŝ€cret-välue`;

/** The plaintext in clear and in every encoding a careless line could carry it in. */
function forms(plain: string): string[] {
  const bytes = Buffer.from(plain, "utf8");
  const out = [
    plain,
    bytes.toString("hex"),
    encodeURIComponent(plain),
    JSON.stringify(plain).slice(1, -1),
  ];
  // Base64 of the value inside a larger text depends on its alignment: take each alignment's
  // stable middle, which any base64 holding the value contains.
  for (const variant of ["base64", "base64url"] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const text = bytes.subarray(shift).toString(variant);
      out.push(text.slice(4, text.length - 4));
    }
  }
  return out;
}

function leaks(text: string): string[] {
  return forms(CANARY).filter((f) => text.includes(f));
}

class RecordingLog implements Log {
  constructor(
    readonly lines: string[],
    private readonly bindings: Record<string, unknown> = {},
  ) {}
  private write(level: string, obj: object | string, msg?: string): void {
    this.lines.push(JSON.stringify({ level, ...this.bindings, obj, msg }));
  }
  debug(obj: object | string, msg?: string): void {
    this.write("debug", obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.write("info", obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.write("warn", obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.write("error", obj, msg);
  }
  child(bindings: Record<string, unknown>): Log {
    return new RecordingLog(this.lines, { ...this.bindings, ...bindings });
  }
}

let sandbox: Sandbox;
let octokit: Octokit;
let ring: KeyRing;
const sent: string[] = [];

beforeAll(async () => {
  await sodiumReady();
  ring = keyRing(newPrivateKey());
  sandbox = await startSandbox();
  sandbox.createOrg("acme");
  const info = sandbox.createRepo({ owner: "acme", name: "config", installation: true });
  sandbox.createRepo({ owner: "acme", name: "api", installation: true });
  sandbox.createEnvironment("acme/api", "production");
  octokit = await installationOctokit(sandbox, info.installationId as number);
  // Every request monobot's code sends: method, URL, headers and body as Octokit gives them.
  octokit.hook.before("request", (options) => {
    sent.push(JSON.stringify(options));
  });
});
afterAll(async () => {
  await sandbox.stop();
});

describe("a distinctive plaintext through seal, check and sync", () => {
  it("never shows up outside the target's Actions secrets", async () => {
    const console_: string[] = [];
    for (const m of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => {
        console_.push(a.map(String).join(" "));
      });
    }
    const cliOut: string[] = [];
    const seal = async (name: string, to: string[]): Promise<string> => {
      const code = await runSecretsCli(
        [
          "seal",
          "--name",
          name,
          ...to.flatMap((t) => ["--to", t]),
          "--public-key",
          toBase64(ring.current.publicKey),
        ],
        {
          stdout: (t) => cliOut.push(t),
          stderr: (t) => cliOut.push(t),
          cwd: process.cwd(),
          env: {},
          stdinIsTTY: false,
          readStdin: () => Promise.resolve(new Uint8Array(Buffer.from(`${CANARY}\n`, "utf8"))),
        },
      );
      expect(code).toBe(0);
      return cliOut.at(-2) ?? "";
    };
    const good = await seal("DB_PASSWORD", ["acme/api", "acme/api@production"]);
    const missing = await seal("TO_NOWHERE", ["acme/gone", "acme/api@nope"]);
    // The same sealed value copied into an entry naming another repository: refused.
    const copied = good.replace("- acme/api\n    - acme/api@production", "- acme/evil");
    const file = `# secrets\n${good}${missing}${copied}`;

    // The pull request's check on the file.
    const check = runCheckOn(secretsCheck, [addedFile("secrets.yml", file.trimEnd().split("\n"))], {
      head: { "secrets.yml": file },
    }).result;

    // The sync, with GitHub rotating acme/api's key between monobot's read and write (422, retry).
    let rotated = false;
    const portFor: SyncSecretsRequest["portFor"] = (owner, name) => {
      const real = new GitHubActionsSecrets(octokit, owner, name);
      return {
        publicKey: async (env) => {
          const key = await real.publicKey(env);
          if (!rotated && name === "api") {
            rotated = true;
            sandbox.rotateSecretsKey("acme/api");
          }
          return key;
        },
        putSecret: (...a) => real.putSecret(...a),
        listSecretNames: (env) => real.listSecretNames(env),
        deleteSecret: (...a) => real.deleteSecret(...a),
        repositoryId: () => real.repositoryId(),
      };
    };
    const logLines: string[] = [];
    const report = await syncSecrets({
      path: "secrets.yml",
      before: null,
      after: file,
      keys: ring,
      prune: false,
      portFor,
      log: new RecordingLog(logLines),
    });
    const output = renderSecretSyncReport(report);

    // The value did reach its targets (so the scans below looked at a real run) ...
    expect(sandbox.secrets("acme/api")).toEqual({ DB_PASSWORD: CANARY });
    expect(sandbox.secrets("acme/api", { environment: "production" })).toEqual({
      DB_PASSWORD: CANARY,
    });
    expect(report.results.map((r) => r.status)).toEqual([
      "ok",
      "ok",
      "failed",
      "failed",
      "refused",
    ]);
    expect(rotated).toBe(true);
    expect(logLines.length).toBeGreaterThan(4);

    // ... and went nowhere else.
    const controlLog = await (await fetch(`${sandbox.url}/_sandbox/log`)).text();
    const violations = await (await fetch(`${sandbox.url}/_sandbox/violations`)).text();
    const places: Record<string, string> = {
      "CLI output": cliOut.join(""),
      "the secrets file": file,
      "check output": JSON.stringify(check),
      "log lines": logLines.join("\n"),
      console: console_.join("\n"),
      "requests sent to GitHub": sent.join("\n"),
      "sandbox request log": controlLog,
      "sandbox violations": violations,
      "sync report": JSON.stringify(report),
      "check run output": JSON.stringify(output),
    };
    expect(sent.length).toBeGreaterThan(5);
    expect(JSON.parse(controlLog)).not.toHaveLength(0);
    for (const [where, text] of Object.entries(places)) expect(leaks(text), where).toEqual([]);
    // The scan itself finds the canary where it is (a control).
    expect(leaks(`x${Buffer.from(`ab${CANARY}`).toString("base64")}y`).length).toBeGreaterThan(0);
    vi.restoreAllMocks();
  });
});

describe("a distinctive plaintext through the bot's handlers", () => {
  it("reaches the targets, and no log line, check run, comment, pull request, job spec or request", async () => {
    const console_: string[] = [];
    for (const m of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => {
        console_.push(a.map(String).join(" "));
      });
    }
    const logLines: string[] = [];
    const appSent: string[] = [];
    // The bot runs with a new key and the canary's key as the previous one: a rotation is due.
    const rotated = keyRing(newPrivateKey(), [ring.current.privateKey]);
    const app = await sandboxApp(sandbox, {
      sealingKeys: rotated,
      log: new RecordingLog(logLines),
      onRequest: (o) => appSent.push(JSON.stringify(o)),
    });
    sandbox.createUser("admin");
    sandbox.createUser("oscar");
    sandbox.setPermission("acme/config", "admin", "admin");
    sandbox.pushCommit("acme/api", {
      branch: "main",
      files: { ".github/monobot.yml": "deploy:\n  config_repo: acme/config\n" },
    });
    const file =
      sealedEntry(ring.current, "CANARY_SECRET", ["acme/api", "acme/api@production"], CANARY) +
      sealedEntry(ring.current, "CANARY_COPY", ["acme/gone"], CANARY);

    // A pull request adding the file: monobot/secrets with the targets looked up.
    sandbox.pushCommit("acme/config", { branch: "main", files: { "README.md": "config\n" } });
    sandbox.pushCommit("acme/config", { branch: "add", files: { "secrets.yml": file } });
    const pr = sandbox.openPullRequest("acme/config", { head: "add", user: "admin" });
    await app.receive(
      sandbox.events.pullRequest({ repo: "acme/config", number: pr.number, action: "opened" }),
    );
    // The merge: the sync, and the re-seal pull request.
    const merged = sandbox.mergePullRequest("acme/config", pr.number);
    const push = sandbox.events.push({ repo: "acme/config", ref: "main", after: merged });
    const pushId = await app.receive(push);
    await app.receive(push, pushId);
    // A full sync asked for on an issue, and refused for someone else.
    const issue = sandbox.createIssue("acme/config", { user: "admin", title: "sync" });
    for (const user of ["admin", "oscar"]) {
      const c = sandbox.comment("acme/config", issue, { user, body: "/sync-secrets" });
      await app.receive(sandbox.events.issueComment({ repo: "acme/config", commentId: c.id }));
    }
    expect(app.failures).toEqual([]);

    // It did reach its targets ...
    expect(sandbox.secrets("acme/api").CANARY_SECRET).toBe(CANARY);
    expect(sandbox.secrets("acme/api", { environment: "production" }).CANARY_SECRET).toBe(CANARY);
    const runs = sandbox.checkRuns("acme/config");
    expect(runs.map((r) => r.name)).toEqual(
      expect.arrayContaining(["monobot/secrets", "monobot/secrets-sync"]),
    );
    const pulls = [1, 2, 3, 4, 5, 6].flatMap((n) => {
      try {
        return [sandbox.pullRequest("acme/config", n)];
      } catch {
        return [];
      }
    });
    expect(pulls.some((p) => String(p.title).startsWith("Re-seal"))).toBe(true);
    const comments = [pr.number, issue].flatMap((n) => sandbox.comments("acme/config", n));
    expect(comments.length).toBeGreaterThan(1);

    // ... and nowhere else.
    const controlLog = await (await fetch(`${sandbox.url}/_sandbox/log`)).text();
    const places: Record<string, string> = {
      "log lines": logLines.join("\n"),
      console: console_.join("\n"),
      "check runs": JSON.stringify(runs),
      comments: JSON.stringify(comments),
      "pull requests": JSON.stringify(pulls),
      "job specs": JSON.stringify(app.jobs),
      "requests the app sent": appSent.join("\n"),
      "sandbox request log": controlLog,
    };
    expect(logLines.length).toBeGreaterThan(5);
    // The sync's own lines were recorded (names and targets, never values).
    expect(logLines.join("\n")).toContain('"secret":"CANARY_SECRET"');
    expect(app.jobs.length).toBeGreaterThan(4);
    expect(appSent.length).toBeGreaterThan(20);
    for (const [where, text] of Object.entries(places)) expect(leaks(text), where).toEqual([]);
    vi.restoreAllMocks();
  });
});
