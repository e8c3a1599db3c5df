// End to end: an operator seals a secret with the CLI and the server's public key, merges it into the
// config repo, and the real server process writes it to the monorepo's Actions secrets.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSecretsCli } from "../../src/cli/secrets.js";
import { newPrivateKey, sodiumReady, toBase64 } from "../../src/secrets/sealing.js";
import {
  E2E_TIMEOUT_MS,
  deliverAndWait,
  startWorld,
  violationLines,
  type World,
} from "./harness.js";

const VALUE = "pg-e2e-Passw0rd";

interface RunView {
  name: string;
  conclusion: string | null;
  output: { title: string | null; summary: string | null };
}

describe("sealed secrets, end to end", () => {
  let world: World;
  let dir: string;

  beforeAll(async () => {
    await sodiumReady();
    dir = mkdtempSync(join(tmpdir(), "monobot-secrets-e2e-"));
    world = await startWorld({
      env: { MONOBOT_SCHEDULER: "off", MONOBOT_SEALING_KEY: toBase64(newPrivateKey()) },
    });
  }, E2E_TIMEOUT_MS);
  afterAll(async () => {
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    "sealed with the CLI, merged into the config repo, written to the monorepo's Actions secrets",
    async () => {
      const { sandbox } = world;
      // The monorepo names its config repo: the only repository that may write its secrets.
      const policy = sandbox.readFile(world.repo, "main", ".github/monobot.yml") ?? "";
      sandbox.pushCommit(world.repo, {
        branch: "main",
        author: "alice",
        files: { ".github/monobot.yml": `${policy}deploy:\n  config_repo: acme/config\n` },
      });
      sandbox.createRepo({
        owner: "acme",
        name: "config",
        installation: true,
        files: { "README.md": "# acme config\n" },
      });

      // The operator: the public key from the server, then one sealed entry.
      const out: string[] = [];
      const err: string[] = [];
      const io = {
        stdout: (t: string) => out.push(t),
        stderr: (t: string) => err.push(t),
        cwd: dir,
        env: {},
        stdinIsTTY: false,
        readStdin: () => Promise.resolve(new Uint8Array(Buffer.from(`${VALUE}\n`, "utf8"))),
      };
      expect(await runSecretsCli(["public-key", "--from", world.server.url], io)).toBe(0);
      writeFileSync(join(dir, "monobot-public-key.yml"), out.join(""));
      out.length = 0;
      const sealArgs = ["seal", "--name", "DB_PASSWORD", "--to", world.repo];
      const keyFile = ["--public-key-file", join(dir, "monobot-public-key.yml")];
      expect(await runSecretsCli([...sealArgs, ...keyFile], io)).toBe(0);
      const entry = out.join("");

      // A pull request on the config repo: monobot/secrets checks the entry and its target.
      sandbox.pushCommit("acme/config", {
        branch: "db-password",
        author: "alice",
        message: "Add DB_PASSWORD\n\nSigned-off-by: Alice Liddell <alice@example.com>",
        files: { "secrets.yml": entry },
      });
      const pr = sandbox.openPullRequest("acme/config", { head: "db-password", user: "alice" });
      await deliverAndWait(
        world,
        sandbox.events.pullRequest({ repo: "acme/config", number: pr.number, action: "opened" }),
      );
      const runs = (sha: string) => sandbox.checkRuns("acme/config", sha) as unknown as RunView[];
      const check = runs(pr.headSha).find((r) => r.name === "monobot/secrets");
      expect(check?.conclusion, check?.output.summary ?? "").toBe("success");
      expect(check?.output.summary).toContain("1 entry for 1 target: every entry is well-formed");

      // The merge: the push job and the secrets-sync job.
      const merged = sandbox.mergePullRequest("acme/config", pr.number);
      // The push, the deploy scan and the secrets sync: every job the delivery queued.
      await deliverAndWait(
        world,
        sandbox.events.push({ repo: "acme/config", ref: "main", after: merged }),
      );

      expect(sandbox.secrets(world.repo)).toEqual({ DB_PASSWORD: VALUE });
      const sync = runs(merged).find((r) => r.name === "monobot/secrets-sync");
      expect(sync?.conclusion).toBe("success");
      expect(sync?.output.title).toBe("Sealed secrets: 1 written");
      const logs = JSON.stringify(world.server.logs()) + world.server.stderr();
      expect(logs).toContain("sealed secrets synced");
      expect(logs).not.toContain(VALUE);
      expect(violationLines(world)).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );
});
