// Reads the server's environment; a missing or malformed variable is one clear line, not a stack trace.
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { stateDirFrom } from "../runtime/state-dir.js";
import { inspect } from "node:util";

export interface ServerEnv {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  port: number;
  host: string;
  /** GitHub's REST base URL; `GHE_HOST` makes it `{GHE_PROTOCOL}://{GHE_HOST}/api/v3`. */
  baseUrl?: string;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  webhookPath: string;
  /** How long SIGTERM waits for work in flight before handing the rest back. */
  drainSeconds: number;
  /** Jobs of different pull requests run at once (`MONOBOT_CONCURRENCY`, default 16). */
  concurrency: number;
  /** GitHub's web address, for links (`{protocol}://{GHE_HOST}` or https://github.com). */
  serverUrl: string;
  /** monobot's own public URL, for CI callbacks (`MONOBOT_PUBLIC_URL`). */
  publicUrl?: string;
  /**
   * The durable state's folder (`MONOBOT_STATE_DIR`, default `.monobot` in the working directory):
   * the journal of accepted deliveries, run timeouts and schedule fires.
   */
  stateDir: string;
  /**
   * `MONOBOT_JOURNAL=off`: no journal, the queue and timers in memory (lost on a restart); for
   * benchmarks and throwaway runs. Ignored with REDIS_URL.
   */
  journal: boolean;
  /** Whether the scheduler runs (`MONOBOT_SCHEDULER=off` turns it off, e.g. on extra replicas). */
  scheduler: boolean;
  /** Several replicas share this Redis (`REDIS_URL`); absent, one process keeps a journal. */
  redisUrl?: string;
  /**
   * How long a replica may go silent before another takes over its running job
   * (`MONOBOT_REDIS_LOCK_SECONDS`, default 5; Redis mode only).
   */
  redisLockSeconds: number;
  /**
   * Time between two writes (and GraphQL queries) of one installation (`MONOBOT_WRITE_SPACING_MS`,
   * default 1000 as GitHub asks; lower only where no such limit applies, e.g. the sandbox).
   */
  writeSpacingMs: number;
  /** Whether the redelivery sweep runs (`MONOBOT_REDELIVERY_SWEEP=off` turns it off). */
  redeliverySweep: boolean;
  /** The sealed-secrets key (`MONOBOT_SEALING_KEY` or `_FILE`, `_PREVIOUS`); absent when not set. */
  sealing?: SealingKeyMaterial;
  /** Sign-in with GitHub for the status page (`GITHUB_CLIENT_ID` and `GITHUB_CLIENT_SECRET`). */
  oauth?: OAuthCredentials;
  /** Logins that see the status page's operator views (`MONOBOT_ADMINS`, comma-separated). */
  admins: string[];
  /** Signs session cookies (`MONOBOT_SESSION_SECRET`); absent, a random key per process. */
  sessionSecret?: string;
}

export class EnvError extends Error {}

/**
 * The raw sealing keys. They print as `[sealing keys]` in logs, JSON and `util.inspect`, so a
 * logged environment never carries them.
 */
export class SealingKeyMaterial {
  constructor(
    /** 32 bytes: the current X25519 private key. */
    readonly current: Uint8Array,
    /** Earlier private keys, still used to open entries sealed to them. */
    readonly previous: readonly Uint8Array[],
  ) {}
  toJSON(): string {
    return "[sealing keys]";
  }
  toString(): string {
    return "[sealing keys]";
  }
  [inspect.custom](): string {
    return "[sealing keys]";
  }
}

const KEY_HINT = "the base64 of 32 random bytes, e.g. from `openssl rand -base64 32`";

function decodeKey(text: string, variable: string): Uint8Array {
  const t = text.trim();
  // Never echo the value: only say what is wrong with it.
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(t))
    throw new EnvError(`${variable} must be ${KEY_HINT}; the value given is not.`);
  return new Uint8Array(Buffer.from(t, "base64"));
}

/** Reads MONOBOT_SEALING_KEY (or MONOBOT_SEALING_KEY_FILE) and MONOBOT_SEALING_KEY_PREVIOUS. */
export function readSealingKeys(env: NodeJS.ProcessEnv): SealingKeyMaterial | undefined {
  const inline = env.MONOBOT_SEALING_KEY;
  const file = env.MONOBOT_SEALING_KEY_FILE;
  if (inline && file)
    throw new EnvError("Set MONOBOT_SEALING_KEY or MONOBOT_SEALING_KEY_FILE, not both.");
  let current: Uint8Array | undefined;
  if (inline) current = decodeKey(inline, "MONOBOT_SEALING_KEY");
  else if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new EnvError(
        `MONOBOT_SEALING_KEY_FILE=${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? "error"}.`,
      );
    }
    current = decodeKey(text, `the file MONOBOT_SEALING_KEY_FILE=${file}`);
  }
  const previousText = env.MONOBOT_SEALING_KEY_PREVIOUS?.trim();
  if (!current) {
    if (previousText)
      throw new EnvError(
        "MONOBOT_SEALING_KEY_PREVIOUS is set without MONOBOT_SEALING_KEY: set the current key too.",
      );
    return undefined;
  }
  const previous = (previousText ? previousText.split(",") : [])
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p, i) => decodeKey(p, `MONOBOT_SEALING_KEY_PREVIOUS (key ${i + 1}, comma-separated)`));
  return new SealingKeyMaterial(current, previous);
}

/** The App's OAuth client; prints without its secret, so a logged environment never carries it. */
export class OAuthCredentials {
  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}
  toJSON(): string {
    return `[OAuth client ${this.clientId}]`;
  }
  toString(): string {
    return this.toJSON();
  }
  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** The status page's variables: OAuth is optional, but both halves or neither. */
export function readStatusPageEnv(
  env: NodeJS.ProcessEnv,
): Pick<ServerEnv, "oauth" | "admins" | "sessionSecret"> {
  const clientId = env.GITHUB_CLIENT_ID?.trim();
  const clientSecret = env.GITHUB_CLIENT_SECRET?.trim();
  if (Boolean(clientId) !== Boolean(clientSecret)) {
    throw new EnvError(
      `${clientId ? "GITHUB_CLIENT_SECRET" : "GITHUB_CLIENT_ID"} is not set: sign-in with GitHub needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the App's client id and a client secret), or neither.`,
    );
  }
  const admins = (env.MONOBOT_ADMINS ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  const bad = admins.find((a) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(a));
  if (bad !== undefined) {
    throw new EnvError(
      `MONOBOT_ADMINS must be GitHub logins separated by commas, got "${bad.slice(0, 40)}".`,
    );
  }
  const sessionSecret = env.MONOBOT_SESSION_SECRET;
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    // Never echo the value: only say what is wrong with it.
    throw new EnvError(
      "MONOBOT_SESSION_SECRET must be at least 32 characters, e.g. from `openssl rand -base64 32`.",
    );
  }
  return {
    ...(clientId && clientSecret ? { oauth: new OAuthCredentials(clientId, clientSecret) } : {}),
    admins,
    ...(sessionSecret !== undefined ? { sessionSecret } : {}),
  };
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

export function readServerEnv(env: NodeJS.ProcessEnv): ServerEnv {
  const appIdText = env.APP_ID?.trim();
  if (!appIdText)
    throw new EnvError(
      "APP_ID is not set: set it to your GitHub App's numeric ID (app settings page).",
    );
  if (!/^\d+$/.test(appIdText))
    throw new EnvError(`APP_ID must be a number, got "${appIdText.slice(0, 20)}".`);

  let privateKey = env.PRIVATE_KEY;
  if (!privateKey && env.PRIVATE_KEY_PATH) {
    try {
      privateKey = readFileSync(env.PRIVATE_KEY_PATH, "utf8");
    } catch (e) {
      throw new EnvError(
        `PRIVATE_KEY_PATH=${env.PRIVATE_KEY_PATH} cannot be read: ${(e as NodeJS.ErrnoException).code ?? "error"}.`,
      );
    }
  }
  if (!privateKey) {
    throw new EnvError(
      "PRIVATE_KEY or PRIVATE_KEY_PATH must be set to the GitHub App's private key (PEM).",
    );
  }
  // Keys pasted into one-line variables often carry literal "\n".
  privateKey = privateKey.includes("\\n") ? privateKey.replace(/\\n/g, "\n") : privateKey;
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== "rsa") throw new Error("not RSA");
  } catch {
    // Never echo the key: only say what is wrong with it.
    throw new EnvError(
      `${env.PRIVATE_KEY ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH"} does not hold an RSA private key in PEM format (-----BEGIN RSA PRIVATE KEY-----).`,
    );
  }

  const webhookSecret = env.WEBHOOK_SECRET;
  if (!webhookSecret)
    throw new EnvError(
      "WEBHOOK_SECRET is not set: set it to the webhook secret of your GitHub App.",
    );

  const portText = env.PORT ?? "3000";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new EnvError(`PORT must be a port number, got "${portText}".`);

  let baseUrl: string | undefined;
  let serverUrl = "https://github.com";
  if (env.GHE_HOST) {
    const protocol = env.GHE_PROTOCOL ?? "https";
    if (protocol !== "http" && protocol !== "https")
      throw new EnvError(`GHE_PROTOCOL must be http or https, got "${protocol}".`);
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(env.GHE_HOST)) {
      throw new EnvError(
        `GHE_HOST must be a host name with an optional port (like github.example.com), got "${env.GHE_HOST}".`,
      );
    }
    baseUrl = `${protocol}://${env.GHE_HOST}/api/v3`;
    serverUrl = `${protocol}://${env.GHE_HOST}`;
  }

  const logLevel = (env.LOG_LEVEL ?? "info") as ServerEnv["logLevel"];
  if (!LEVELS.includes(logLevel))
    throw new EnvError(`LOG_LEVEL must be one of ${LEVELS.join(", ")}, got "${env.LOG_LEVEL}".`);

  const redisUrl = env.REDIS_URL?.trim();
  if (redisUrl && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new EnvError(
      "REDIS_URL must be redis://[user:password@]host:port[/db] (or rediss:// for TLS).",
    );
  }
  const concurrencyText = env.MONOBOT_CONCURRENCY ?? "16";
  const concurrency = Number(concurrencyText);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new EnvError(
      `MONOBOT_CONCURRENCY must be a whole number from 1 to 256, got "${concurrencyText.slice(0, 20)}".`,
    );
  }
  const drainText = env.MONOBOT_DRAIN_SECONDS ?? "25";
  const drainSeconds = Number(drainText);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
    throw new EnvError(`MONOBOT_DRAIN_SECONDS must be a number of seconds, got "${drainText}".`);
  }

  const journalText = env.MONOBOT_JOURNAL?.trim() ?? "on";
  if (journalText !== "on" && journalText !== "off") {
    throw new EnvError(
      `MONOBOT_JOURNAL must be on (the default) or off, got "${journalText.slice(0, 20)}".`,
    );
  }
  const lockText = env.MONOBOT_REDIS_LOCK_SECONDS ?? "5";
  const redisLockSeconds = Number(lockText);
  if (!Number.isFinite(redisLockSeconds) || redisLockSeconds < 1 || redisLockSeconds > 3600) {
    throw new EnvError(
      `MONOBOT_REDIS_LOCK_SECONDS must be a number of seconds from 1 to 3600, got "${lockText.slice(0, 20)}".`,
    );
  }

  const spacingText = env.MONOBOT_WRITE_SPACING_MS ?? "1000";
  const writeSpacingMs = Number(spacingText);
  if (!Number.isInteger(writeSpacingMs) || writeSpacingMs < 0 || writeSpacingMs > 60_000) {
    throw new EnvError(
      `MONOBOT_WRITE_SPACING_MS must be a whole number of milliseconds from 0 to 60000, got "${spacingText.slice(0, 20)}".`,
    );
  }

  let publicUrl: string | undefined;
  if (env.MONOBOT_PUBLIC_URL) {
    let url: URL | undefined;
    try {
      url = new URL(env.MONOBOT_PUBLIC_URL);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new EnvError(
        `MONOBOT_PUBLIC_URL must be an http(s) URL, got "${env.MONOBOT_PUBLIC_URL}".`,
      );
    }
    publicUrl = url.toString().replace(/\/$/, "");
  }

  const sealing = readSealingKeys(env);
  const statusPage = readStatusPageEnv(env);

  return {
    appId: Number(appIdText),
    privateKey,
    webhookSecret,
    port,
    host: env.HOST ?? "0.0.0.0",
    ...(baseUrl ? { baseUrl } : {}),
    logLevel,
    webhookPath: "/api/github/webhooks",
    drainSeconds,
    concurrency,
    serverUrl,
    ...(publicUrl ? { publicUrl } : {}),
    stateDir: stateDirFrom(env),
    journal: journalText === "on",
    scheduler: env.MONOBOT_SCHEDULER !== "off",
    redeliverySweep: env.MONOBOT_REDELIVERY_SWEEP !== "off",
    redisLockSeconds,
    writeSpacingMs,
    ...(redisUrl ? { redisUrl } : {}),
    ...(sealing ? { sealing } : {}),
    ...statusPage,
  };
}
