import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  assertUrlAllowed,
  callbackSecret,
  CredentialError,
  credentialVariable,
  jenkinsCredentials,
  readCredential,
  requireCredential,
  webhookCredentials,
} from "../../src/ci/credentials.js";

const TOKEN = "11a7c0ffee5ecret70ken";
const SECRET = "whsec-very-private-value";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "monobot-cred-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The message of what `fn` throws, checked to be a CredentialError. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CredentialError);
    return (e as Error).message;
  }
  throw new Error("expected a CredentialError");
}

describe("readCredential", () => {
  it("reads MONOBOT_CI_<NAME>_<PART> from the environment", () => {
    expect(credentialVariable("JENKINS", "TOKEN")).toBe("MONOBOT_CI_JENKINS_TOKEN");
    expect(readCredential({ MONOBOT_CI_JENKINS_TOKEN: TOKEN }, "JENKINS", "TOKEN")).toBe(TOKEN);
    expect(readCredential({}, "JENKINS", "TOKEN")).toBeUndefined();
    expect(readCredential({ MONOBOT_CI_JENKINS_TOKEN: "" }, "JENKINS", "TOKEN")).toBeUndefined();
  });

  it("reads a mounted file named by the _FILE variable, without its trailing newline", () => {
    const path = file("token", `${TOKEN}\n`);
    expect(readCredential({ MONOBOT_CI_JENKINS_TOKEN_FILE: path }, "JENKINS", "TOKEN")).toBe(TOKEN);
    const crlf = file("token-crlf", `${TOKEN}\r\n`);
    expect(readCredential({ MONOBOT_CI_JENKINS_TOKEN_FILE: crlf }, "JENKINS", "TOKEN")).toBe(TOKEN);
  });

  it.each([
    {
      name: "both the variable and the file",
      env: () => ({ MONOBOT_CI_J_TOKEN: TOKEN, MONOBOT_CI_J_TOKEN_FILE: file("t", TOKEN) }),
      message: /both MONOBOT_CI_J_TOKEN and MONOBOT_CI_J_TOKEN_FILE are set: set only one/,
    },
    {
      name: "a file that does not exist",
      env: () => ({ MONOBOT_CI_J_TOKEN_FILE: join(dir, "missing") }),
      message: /MONOBOT_CI_J_TOKEN_FILE names a file monobot cannot read \(ENOENT\)/,
    },
    {
      name: "an empty file",
      env: () => ({ MONOBOT_CI_J_TOKEN_FILE: file("empty", "\n") }),
      message: /the file named by MONOBOT_CI_J_TOKEN_FILE is empty/,
    },
  ])("refuses $name", ({ env, message }) => {
    expect(failure(() => readCredential(env(), "J", "TOKEN"))).toMatch(message);
  });

  it.each(["jenkins", "JEN KINS", "1JENKINS", "", "A-B"])("refuses the name %j", (name) => {
    expect(failure(() => readCredential({}, name, "TOKEN"))).toMatch(
      /is not a credentials name: use capitals/,
    );
  });

  it("says which variable to set when a part is missing", () => {
    expect(failure(() => requireCredential({}, "HOOK", "SECRET", "the shared secret"))).toBe(
      "MONOBOT_CI_HOOK_SECRET is not set: set it (or MONOBOT_CI_HOOK_SECRET_FILE, the path of a file holding it) to the shared secret",
    );
  });
});

describe("Jenkins and webhook credentials", () => {
  const env = {
    MONOBOT_CI_JENKINS_USER: "monobot",
    MONOBOT_CI_JENKINS_TOKEN: TOKEN,
    MONOBOT_CI_JENKINS_URL: "https://jenkins.example.com/ci",
    MONOBOT_CI_HOOK_SECRET: SECRET,
    MONOBOT_CI_HOOK_URL: "https://hooks.example.com",
  };

  it("reads user, token and the URL they may be sent to", () => {
    const creds = jenkinsCredentials(env, "JENKINS");
    expect(creds.user).toBe("monobot");
    expect(creds.token).toBe(TOKEN);
    expect(creds.base.href).toBe("https://jenkins.example.com/ci");
    expect(webhookCredentials(env, "HOOK").secret).toBe(SECRET);
  });

  it.each([
    { drop: "MONOBOT_CI_JENKINS_USER", message: /MONOBOT_CI_JENKINS_USER is not set/ },
    { drop: "MONOBOT_CI_JENKINS_TOKEN", message: /MONOBOT_CI_JENKINS_TOKEN is not set.*API token/ },
    {
      drop: "MONOBOT_CI_JENKINS_URL",
      message: /MONOBOT_CI_JENKINS_URL is not set.*URL these credentials may be sent to/,
    },
  ])("requires $drop", ({ drop, message }) => {
    const partial: Record<string, string> = { ...env };
    delete partial[drop];
    expect(failure(() => jenkinsCredentials(partial, "JENKINS"))).toMatch(message);
  });

  it.each([
    { url: "jenkins.example.com", message: /MONOBOT_CI_JENKINS_URL is not a URL/ },
    { url: "ftp://jenkins.example.com", message: /must be an http\(s\) URL/ },
    { url: `https://monobot:${TOKEN}@jenkins.example.com`, message: /without user or password/ },
  ])("refuses the allowed URL $url", ({ url, message }) => {
    const text = failure(() =>
      jenkinsCredentials({ ...env, MONOBOT_CI_JENKINS_URL: url }, "JENKINS"),
    );
    expect(text).toMatch(message);
    expect(text).not.toContain(TOKEN);
  });

  it("reads the callback secret", () => {
    expect(callbackSecret({ MONOBOT_CI_CALLBACK_SECRET: SECRET })).toBe(SECRET);
    expect(failure(() => callbackSecret({}))).toMatch(/MONOBOT_CI_CALLBACK_SECRET is not set/);
  });
});

describe("assertUrlAllowed", () => {
  const base = new URL("https://jenkins.example.com/ci");
  it.each([
    { url: "https://jenkins.example.com/ci", ok: true },
    { url: "https://jenkins.example.com/ci/", ok: true },
    { url: "https://jenkins.example.com/ci/job/a/buildWithParameters", ok: true },
    { url: "https://jenkins.example.com:443/ci/queue/item/1/", ok: true },
    { url: "https://jenkins.example.com/cia", ok: false },
    { url: "https://jenkins.example.com/", ok: false },
    { url: "http://jenkins.example.com/ci", ok: false },
    { url: "https://jenkins.example.com.evil.example/ci", ok: false },
    { url: "https://jenkins.example.com:8443/ci", ok: false },
    { url: "https://evil.example/ci", ok: false },
  ])("$url allowed: $ok", ({ url, ok }) => {
    if (ok)
      expect(() =>
        assertUrlAllowed(url, base, "JENKINS", "jobs.templates.v.backend.url"),
      ).not.toThrow();
    else {
      expect(
        failure(() => assertUrlAllowed(url, base, "JENKINS", "jobs.templates.v.backend.url")),
      ).toMatch(
        /jobs\.templates\.v\.backend\.url .* is not under MONOBOT_CI_JENKINS_URL \(https:\/\/jenkins\.example\.com\/ci\), the only place credentials JENKINS may be sent/,
      );
    }
  });
});
