// `monobot secrets public-key` and `seal`, and the server's public key route they read with --from.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { runSecretsCli, type SecretsCliIo } from "../src/cli/secrets.js";
import { checkSecretsFile } from "../src/core/secrets-file.js";
import { silentLog } from "../src/log.js";
import {
  keyRing,
  newPrivateKey,
  openEnvelope,
  sodiumReady,
  toBase64,
  type KeyRing,
} from "../src/secrets/sealing.js";
import { createMonobotServer, type MonobotServer } from "../src/server/http-server.js";
import { PUBLIC_KEY_PATH, secretsPublicKeyRoute } from "../src/server/secrets-route.js";
import { makeProbot } from "./helpers/probot.js";

const RFC_PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
const RFC_PUBLIC = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
const RFC_KEY_ID = "300c9c9603b92a4b";

let dir: string;
let ring: KeyRing;
const servers: MonobotServer[] = [];

beforeAll(async () => {
  await sodiumReady();
  ring = keyRing(newPrivateKey());
  dir = mkdtempSync(join(tmpdir(), "monobot-secrets-cli-"));
});
afterAll(async () => {
  for (const s of servers) await s.shutdown(100);
  rmSync(dir, { recursive: true, force: true });
});

async function run(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string | Uint8Array } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: SecretsCliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: dir,
    env: opts.env ?? {},
    stdinIsTTY: false,
    readStdin: () =>
      Promise.resolve(
        typeof opts.stdin === "string"
          ? new Uint8Array(Buffer.from(opts.stdin, "utf8"))
          : (opts.stdin ?? new Uint8Array()),
      ),
  };
  const code = await runSecretsCli(argv, io);
  return { code, stdout, stderr };
}

async function server(keys: KeyRing | undefined): Promise<string> {
  const { probot, queue, metrics } = await makeProbot();
  const s = createMonobotServer({
    probot,
    queue,
    metrics,
    log: silentLog,
    webhookPath: "/api/github/webhooks",
    routes: [secretsPublicKeyRoute(keys)],
  });
  servers.push(s);
  await new Promise<void>((r) => s.server.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
}

function opened(entryText: string, keys: KeyRing = ring): { value: string; header: object } {
  const file = checkSecretsFile(entryText);
  expect(file.problems).toEqual([]);
  const e = file.entries[0];
  const r = openEnvelope(e?.sealed ?? "", e?.keyId ?? "", keys);
  if (!r.ok) throw new Error(r.message);
  const { value, ...header } = r.envelope;
  return { value: Buffer.from(value).toString("utf8"), header };
}

describe("monobot secrets public-key", () => {
  it("prints the public key and key id of the private key in the environment", async () => {
    const r = await run(["public-key"], { env: { MONOBOT_SEALING_KEY: RFC_PRIVATE } });
    expect(r).toEqual({
      code: 0,
      stdout: `public_key: ${RFC_PUBLIC}\nkey_id: "${RFC_KEY_ID}"\n`,
      stderr: "",
    });
    writeFileSync(join(dir, "key"), `${RFC_PRIVATE}\n`);
    const fromFile = await run(["public-key"], {
      env: { MONOBOT_SEALING_KEY_FILE: join(dir, "key") },
    });
    expect(fromFile.stdout).toBe(r.stdout);
  });

  it("reads a private key file or a saved public key with --file", async () => {
    writeFileSync(join(dir, "backup.key"), RFC_PRIVATE);
    const priv = await run(["public-key", "--file", "backup.key"]);
    expect(priv.stdout).toContain(`key_id: "${RFC_KEY_ID}"`);
    writeFileSync(join(dir, "public.yml"), priv.stdout);
    expect((await run(["public-key", "--file", "public.yml"])).stdout).toBe(priv.stdout);
    writeFileSync(join(dir, "edited.yml"), priv.stdout.replace(RFC_KEY_ID, "0000000000000000"));
    const edited = await run(["public-key", "--file", "edited.yml"]);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/key_id does not match public_key/);
    writeFileSync(join(dir, "junk"), "hello\n");
    expect((await run(["public-key", "--file", "junk"])).stderr).toMatch(/neither a private key/);
  });

  it("asks a running monobot with --from, which serves GET only", async () => {
    const url = await server(ring);
    const r = await run(["public-key", "--from", url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `public_key: ${toBase64(ring.current.publicKey)}\nkey_id: "${ring.current.keyId}"\n`,
    );
    const json = (await (await fetch(`${url}${PUBLIC_KEY_PATH}`)).json()) as object;
    expect(json).toEqual({
      public_key: toBase64(ring.current.publicKey),
      key_id: ring.current.keyId,
    });
    expect((await fetch(`${url}${PUBLIC_KEY_PATH}`, { method: "POST" })).status).toBe(405);
    // The full route URL works too.
    expect((await run(["public-key", "--from", `${url}${PUBLIC_KEY_PATH}`])).stdout).toBe(r.stdout);
  });

  it("says so when the server has no key or cannot be reached (exit 1)", async () => {
    const url = await server(undefined);
    const r = await run(["public-key", "--from", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/answered 404: .*no sealing key/);
    const down = await run(["public-key", "--from", "http://127.0.0.1:9"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach/);
  });

  it("is a usage error without any key, and never echoes a malformed one", async () => {
    const none = await run(["public-key"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no key: set MONOBOT_SEALING_KEY/);
    const bad = await run(["public-key"], { env: { MONOBOT_SEALING_KEY: "my-secret-but-wrong" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain("my-secret-but-wrong");
  });
});

describe("monobot secrets seal", () => {
  const pub = (): string => toBase64(ring.current.publicKey);

  it("prints one entry that opens to the value, bound to the name and targets", async () => {
    const r = await run(
      [
        "seal",
        "--name",
        "db_password",
        "--to",
        "acme/api",
        "--to",
        "Acme/API@production",
        "--public-key",
        pub(),
      ],
      { stdin: "hunter2-value\r\n\n" },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^\\n- name: "DB_PASSWORD"\\n  targets:\\n    - acme/api\\n    - Acme/API@production\\n  key_id: "${ring.current.keyId}"\\n  sealed: [A-Za-z0-9+/=]+\\n$`,
      ),
    );
    expect(r.stdout).not.toContain("hunter2");
    expect(r.stderr).toMatch(/Sealed DB_PASSWORD \(13 bytes\)/);
    expect(opened(r.stdout)).toEqual({
      value: "hunter2-value",
      header: { name: "DB_PASSWORD", targets: ["acme/api", "acme/api@production"] },
    });
  });

  it("keeps the newline with --keep-newline, and pins repository ids", async () => {
    const r = await run(
      [
        "seal",
        "--name",
        "CERT",
        "--to",
        "acme/api",
        "--repo-id",
        "Acme/Api=4242",
        "--keep-newline",
        "--public-key",
        pub(),
      ],
      { stdin: "line\n" },
    );
    expect(opened(r.stdout)).toEqual({
      value: "line\n",
      header: { name: "CERT", targets: ["acme/api"], repoIds: { "acme/api": 4242 } },
    });
  });

  it("takes the public key from a saved file, MONOBOT_PUBLIC_KEY or the private key", async () => {
    writeFileSync(
      join(dir, "monobot-public-key.yml"),
      `public_key: ${pub()}\nkey_id: "${ring.current.keyId}"\n`,
    );
    const argv = ["seal", "--name", "X", "--to", "acme/api"];
    for (const [extra, env] of [
      [["--public-key-file", "monobot-public-key.yml"], {}],
      [[], { MONOBOT_PUBLIC_KEY: pub() }],
      [[], { MONOBOT_SEALING_KEY: toBase64(ring.current.privateKey) }],
    ] as const) {
      const r = await run([...argv, ...extra], { env, stdin: "v" });
      expect(r.code, r.stderr).toBe(0);
      expect(opened(r.stdout).value).toBe("v");
    }
  });

  it("prints entries that append to a valid file, even to one without a final newline", async () => {
    const file = join(dir, "secrets.yml");
    writeFileSync(file, "# sealed secrets");
    for (const name of ["A", "B"]) {
      const r = await run(["seal", "--name", name, "--to", "acme/api", "--public-key", pub()], {
        stdin: name,
      });
      writeFileSync(file, readFileSync(file, "utf8") + r.stdout);
    }
    const parsed = checkSecretsFile(readFileSync(file, "utf8"));
    expect(parsed.problems).toEqual([]);
    expect(parsed.entries.map((e) => e.nameKey)).toEqual(["A", "B"]);
  });

  it.each([
    [["--to", "acme/api"], "", /needs --name/],
    [["--name", "1X", "--to", "acme/api"], "v", /must not start with a digit/],
    [["--name", "GITHUB_TOKEN", "--to", "acme/api"], "v", /GITHUB_/],
    [["--name", "DB-PASS", "--to", "acme/api"], "v", /A-Z and a-z/],
    [["--name", "X"], "v", /at least one --to/],
    [["--name", "X", "--to", "acme"], "v", /not a repository/],
    [["--name", "X", "--to", "acme/api", "--to", "ACME/api"], "v", /given twice/],
    [
      ["--name", "X", "--to", "acme/api", "--repo-id", "acme/web=1"],
      "v",
      /not one of the --to targets/,
    ],
    [["--name", "X", "--to", "acme/api"], "\n\r\n", /empty/],
    [["--name", "X", "--to", "acme/api"], "x".repeat(48 * 1024 + 1), /at most 48 KB/],
    [["--name", "X", "--to", "acme/api", "--bogus"], "v", /bogus/],
  ])("refuses %j (exit 2)", async (args, stdin, message) => {
    const r = await run(["seal", ...args, "--public-key", pub()], { stdin });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("accepts a value of exactly 48 KB", async () => {
    const r = await run(["seal", "--name", "BIG", "--to", "acme/api", "--public-key", pub()], {
      stdin: "x".repeat(48 * 1024),
    });
    expect(r.code).toBe(0);
    expect(checkSecretsFile(r.stdout).problems).toEqual([]);
  });

  it("needs a public key", async () => {
    const r = await run(["seal", "--name", "X", "--to", "acme/api"], { stdin: "v" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no public key: pass --public-key/);
  });
});

describe("monobot secrets through the main CLI", () => {
  it("dispatches to the secrets commands, with the CLI's exit codes", async () => {
    let out = "";
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (out += t), cwd: dir };
    expect(await runCli(["secrets", "--help"], io)).toBe(0);
    expect(out).toMatch(/monobot secrets seal --name NAME/);
    expect(await runCli(["secrets", "nope"], io)).toBe(2);
    expect(out).toMatch(/unknown command "secrets nope"/);
  });
});
