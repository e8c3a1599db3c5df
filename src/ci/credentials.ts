// CI backend credentials by NAME, from monobot's environment or mounted files, never from a repository.
//
// A policy names credentials (`credentials: JENKINS`, `secret: HOOK`); the values live in
//   MONOBOT_CI_<NAME>_USER, MONOBOT_CI_<NAME>_TOKEN    Jenkins user and API token
//   MONOBOT_CI_<NAME>_SECRET                           HMAC secret of a webhook
//   MONOBOT_CI_<NAME>_URL                              where these credentials may be sent
// or, for each, a `..._FILE` variable with the path of a file holding the value (a mounted
// Kubernetes or Docker secret). `_URL` is required: a repository's policy chooses the backend
// URL, and without the pin anyone who can edit the policy could send the token elsewhere.
// Errors name the variables, never their values.
import { readFileSync } from "node:fs";

export class CredentialError extends Error {
  override name = "CredentialError";
}

export type CredentialPart = "USER" | "TOKEN" | "SECRET" | "URL";

const NAME = /^[A-Z][A-Z0-9_]*$/;

/** The environment variable holding one part of the credentials `name`. */
export function credentialVariable(name: string, part: CredentialPart): string {
  return `MONOBOT_CI_${name}_${part}`;
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new CredentialError(
      `"${name}" is not a credentials name: use capitals, digits and _, e.g. JENKINS (read from MONOBOT_CI_JENKINS_USER and _TOKEN)`,
    );
  }
}

/**
 * One part of the credentials `name`, from `MONOBOT_CI_<NAME>_<PART>` or the file named by
 * `..._FILE` (one trailing newline dropped), or undefined when neither is set.
 */
export function readCredential(
  env: NodeJS.ProcessEnv,
  name: string,
  part: CredentialPart,
): string | undefined {
  checkName(name);
  const variable = credentialVariable(name, part);
  const fileVariable = `${variable}_FILE`;
  const direct = env[variable];
  const file = env[fileVariable];
  if (direct !== undefined && direct !== "" && file !== undefined && file !== "") {
    throw new CredentialError(`both ${variable} and ${fileVariable} are set: set only one of them`);
  }
  if (file !== undefined && file !== "") {
    let content: string;
    try {
      content = readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
      throw new CredentialError(
        `${fileVariable} names a file monobot cannot read (${code}): mount the secret there or correct the path`,
      );
    }
    const value = content.replace(/\r?\n$/, "");
    if (value === "") {
      throw new CredentialError(`the file named by ${fileVariable} is empty: put the value in it`);
    }
    return value;
  }
  if (direct === undefined || direct === "") return undefined;
  return direct;
}

/** Like readCredential, but a missing part is an error saying which variable to set. */
export function requireCredential(
  env: NodeJS.ProcessEnv,
  name: string,
  part: CredentialPart,
  what: string,
): string {
  const value = readCredential(env, name, part);
  if (value === undefined) {
    const variable = credentialVariable(name, part);
    throw new CredentialError(
      `${variable} is not set: set it (or ${variable}_FILE, the path of a file holding it) to ${what}`,
    );
  }
  return value;
}

/** The base URL the credentials `name` may be sent to, checked to be http(s). */
function allowedBase(env: NodeJS.ProcessEnv, name: string, service: string): URL {
  const text = requireCredential(
    env,
    name,
    "URL",
    `the ${service} URL these credentials may be sent to, e.g. https://ci.example.com`,
  );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CredentialError(
      `${credentialVariable(name, "URL")} is not a URL: write it in full, e.g. https://ci.example.com`,
    );
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password) {
    throw new CredentialError(
      `${credentialVariable(name, "URL")} must be an http(s) URL without user or password`,
    );
  }
  return url;
}

/**
 * Throws unless `target` lies under the credentials' `_URL`: same scheme, host and port, and a
 * path inside its path. Called before anything is sent to `target`.
 */
export function assertUrlAllowed(target: string, base: URL, name: string, key: string): void {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new CredentialError(`${key} is not a URL: write it in full, e.g. ${base.origin}`);
  }
  const basePath = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  if (url.origin !== base.origin || !path.startsWith(basePath)) {
    throw new CredentialError(
      `${key} (${url.origin}${url.pathname}) is not under ${credentialVariable(name, "URL")} (${base.origin}${base.pathname}), ` +
        `the only place credentials ${name} may be sent: correct the URL in the policy, or ask the operator to change ${credentialVariable(name, "URL")}`,
    );
  }
}

export interface JenkinsCredentials {
  user: string;
  token: string;
  /** Where the token may be sent. */
  base: URL;
}

/** Jenkins user, API token and allowed URL of the credentials `name`. */
export function jenkinsCredentials(env: NodeJS.ProcessEnv, name: string): JenkinsCredentials {
  checkName(name);
  return {
    user: requireCredential(env, name, "USER", "the Jenkins user monobot starts builds as"),
    token: requireCredential(env, name, "TOKEN", "an API token of that Jenkins user"),
    base: allowedBase(env, name, "Jenkins"),
  };
}

export interface WebhookCredentials {
  secret: string;
  base: URL;
}

/** HMAC secret and allowed URL of the webhook credentials `name`. */
export function webhookCredentials(env: NodeJS.ProcessEnv, name: string): WebhookCredentials {
  checkName(name);
  return {
    secret: requireCredential(
      env,
      name,
      "SECRET",
      "the secret the webhook's receiver verifies signatures with",
    ),
    base: allowedBase(env, name, "webhook"),
  };
}

/** The secret completion callbacks from Jenkins and webhook jobs are signed with: MONOBOT_CI_CALLBACK_SECRET. */
export function callbackSecret(env: NodeJS.ProcessEnv): string {
  return requireCredential(
    env,
    "CALLBACK",
    "SECRET",
    "the secret Jenkins and webhook jobs sign their completion callbacks with",
  );
}
