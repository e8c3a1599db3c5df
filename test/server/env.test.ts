import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, readServerEnv } from "../../src/server/env.js";
import { testPrivateKey } from "../helpers/keys.js";

const good = () => ({ APP_ID: "12", PRIVATE_KEY: testPrivateKey(), WEBHOOK_SECRET: "s3cret" });

describe("readServerEnv", () => {
  it("reads a complete environment", () => {
    const env = readServerEnv({
      ...good(),
      PORT: "8080",
      GHE_HOST: "127.0.0.1:9000",
      GHE_PROTOCOL: "http",
    });
    expect(env).toMatchObject({
      appId: 12,
      port: 8080,
      baseUrl: "http://127.0.0.1:9000/api/v3",
      logLevel: "info",
      concurrency: 16,
      redisLockSeconds: 5,
      writeSpacingMs: 1000,
    });
    expect(readServerEnv({ ...good(), MONOBOT_WRITE_SPACING_MS: "100" }).writeSpacingMs).toBe(100);
    expect(readServerEnv({ ...good(), MONOBOT_REDIS_LOCK_SECONDS: "30" }).redisLockSeconds).toBe(
      30,
    );
    expect(readServerEnv(good()).journal).toBe(true);
    expect(readServerEnv({ ...good(), MONOBOT_JOURNAL: "off" }).journal).toBe(false);
  });

  it("reads the key from PRIVATE_KEY_PATH and accepts escaped newlines", () => {
    const dir = mkdtempSync(join(tmpdir(), "monobot-env-"));
    const path = join(dir, "key.pem");
    writeFileSync(path, testPrivateKey());
    const { PRIVATE_KEY: _drop, ...rest } = good();
    expect(readServerEnv({ ...rest, PRIVATE_KEY_PATH: path }).privateKey).toContain(
      "BEGIN RSA PRIVATE KEY",
    );
    const escaped = testPrivateKey().replace(/\n/g, "\\n");
    expect(readServerEnv({ ...good(), PRIVATE_KEY: escaped }).privateKey).toBe(testPrivateKey());
  });

  it.each([
    { name: "missing APP_ID", change: { APP_ID: undefined }, message: /^APP_ID is not set/ },
    { name: "non-numeric APP_ID", change: { APP_ID: "abc" }, message: /^APP_ID must be a number/ },
    {
      name: "missing key",
      change: { PRIVATE_KEY: undefined },
      message: /PRIVATE_KEY or PRIVATE_KEY_PATH must be set/,
    },
    {
      name: "garbage key",
      change: { PRIVATE_KEY: "not-a-key-SECRETVALUE" },
      message: /does not hold an RSA private key/,
    },
    {
      name: "unreadable key path",
      change: { PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: "/nonexistent/k.pem" },
      message: /cannot be read: ENOENT/,
    },
    {
      name: "missing secret",
      change: { WEBHOOK_SECRET: undefined },
      message: /^WEBHOOK_SECRET is not set/,
    },
    { name: "bad port", change: { PORT: "70000" }, message: /^PORT must be a port number/ },
    {
      name: "bad protocol",
      change: { GHE_HOST: "h", GHE_PROTOCOL: "ftp" },
      message: /^GHE_PROTOCOL must be http or https/,
    },
    {
      name: "bad host",
      change: { GHE_HOST: "http://h/x" },
      message: /^GHE_HOST must be a host name/,
    },
    { name: "bad log level", change: { LOG_LEVEL: "loud" }, message: /^LOG_LEVEL must be one of/ },
    {
      name: "zero concurrency",
      change: { MONOBOT_CONCURRENCY: "0" },
      message: /^MONOBOT_CONCURRENCY must be a whole number from 1 to 256/,
    },
    {
      name: "a journal neither on nor off",
      change: { MONOBOT_JOURNAL: "no" },
      message: /^MONOBOT_JOURNAL must be on \(the default\) or off/,
    },
    {
      name: "a Redis lock of no time",
      change: { MONOBOT_REDIS_LOCK_SECONDS: "0" },
      message: /^MONOBOT_REDIS_LOCK_SECONDS must be a number of seconds from 1 to 3600/,
    },
    {
      name: "a write spacing that is not whole milliseconds",
      change: { MONOBOT_WRITE_SPACING_MS: "0.5s" },
      message: /^MONOBOT_WRITE_SPACING_MS must be a whole number of milliseconds from 0 to 60000/,
    },
  ])("stops on $name with one clear line", ({ change, message }) => {
    const env = { ...good(), ...change } as Record<string, string | undefined> as NodeJS.ProcessEnv;
    for (const [k, v] of Object.entries(change))
      if (v === undefined) delete (env as Record<string, unknown>)[k];
    let error: unknown;
    try {
      readServerEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    expect(text).not.toContain("\n");
    expect(text).not.toContain("SECRETVALUE");
  });
});
