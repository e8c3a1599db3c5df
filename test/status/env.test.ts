// The status page's environment: OAuth both halves or neither, admin logins, session secret length.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { EnvError, readStatusPageEnv } from "../../src/server/env.js";

describe("readStatusPageEnv", () => {
  it("takes OAuth as optional", () => {
    expect(readStatusPageEnv({})).toEqual({ admins: [] });
    const env = readStatusPageEnv({
      GITHUB_CLIENT_ID: "Iv1.abc",
      GITHUB_CLIENT_SECRET: "s3cr3t-value",
      MONOBOT_ADMINS: "alice, bob",
    });
    expect(env.oauth?.clientId).toBe("Iv1.abc");
    expect(env.admins).toEqual(["alice", "bob"]);
    // A logged environment never carries the client secret.
    expect(JSON.stringify(env)).not.toContain("s3cr3t-value");
    expect(inspect(env)).not.toContain("s3cr3t-value");
  });

  it.each([
    [{ GITHUB_CLIENT_ID: "Iv1.abc" }, /GITHUB_CLIENT_SECRET is not set/],
    [{ GITHUB_CLIENT_SECRET: "x" }, /GITHUB_CLIENT_ID is not set/],
    [{ MONOBOT_ADMINS: "alice,<script>" }, /MONOBOT_ADMINS must be GitHub logins/],
    [{ MONOBOT_SESSION_SECRET: "short" }, /at least 32 characters/],
  ])("stops start-up with one clear line for %o", (env, message) => {
    expect(() => readStatusPageEnv(env)).toThrow(EnvError);
    expect(() => readStatusPageEnv(env)).toThrow(message);
  });
});
