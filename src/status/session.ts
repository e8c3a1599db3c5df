// Status-page sessions: a random id in a signed, HttpOnly cookie; the user's token stays in memory here.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const SESSION_COOKIE = "monobot_session";
export const STATE_COOKIE = "monobot_oauth_state";

/** Sessions end after a working day; the user signs in again (GitHub approves at once). */
const SESSION_MS = 12 * 3600_000;
/** The sign-in round trip must finish within this. */
export const STATE_MS = 10 * 60_000;
/** Sessions kept at most; the oldest go first, so a flood of sign-ins cannot exhaust memory. */
const MAX_SESSIONS = 10_000;

export interface Session {
  login: string;
  admin: boolean;
  /** The user's GitHub token: never rendered, logged or sent to the browser. */
  token: string;
  expiresAt: number;
  /** The viewer's readable repositories (`owner/name`, lower case), cached a short while. */
  repositories?: { names: ReadonlySet<string>; installations: number[]; readAt: number };
}

/** Signs and checks cookie values with an HMAC key; a value without a valid signature is refused. */
export class CookieSigner {
  constructor(private readonly key: Buffer) {}

  sign(value: string): string {
    return `${value}.${this.#mac(value)}`;
  }

  /** The value, or null when the signature is missing or wrong. */
  unsign(signed: string | undefined): string | null {
    if (!signed) return null;
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return null;
    const value = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    const expected = Buffer.from(this.#mac(value));
    return given.length === expected.length && timingSafeEqual(given, expected) ? value : null;
  }

  #mac(value: string): string {
    return createHmac("sha256", this.key).update(value).digest("base64url");
  }
}

/** Cookies of a request, by name (first value wins). */
export function readCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
      } catch {
        // A cookie that is not valid percent-encoding is ignored, like a missing one.
      }
    }
  }
  return out;
}

/** A Set-Cookie value with the attributes every status cookie carries. */
export function cookie(
  name: string,
  value: string,
  options: { secure: boolean; maxAgeSeconds: number },
): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}

/** The sessions of this process (a restart signs everyone out, which costs one click). */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    readonly signer: CookieSigner,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a session; returns the signed cookie value. */
  create(input: Omit<Session, "expiresAt">): string {
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const id = randomBytes(24).toString("base64url");
    this.#sessions.set(id, { ...input, expiresAt: this.now() + SESSION_MS });
    return this.signer.sign(id);
  }

  /** The session a request's cookie names, if the cookie is signed by us and not expired. */
  get(req: IncomingMessage): Session | null {
    const id = this.signer.unsign(readCookies(req).get(SESSION_COOKIE));
    if (!id) return null;
    const s = this.#sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.#sessions.delete(id);
      return null;
    }
    return s;
  }

  end(req: IncomingMessage): void {
    const id = this.signer.unsign(readCookies(req).get(SESSION_COOKIE));
    if (id) this.#sessions.delete(id);
  }

  static get maxAgeSeconds(): number {
    return SESSION_MS / 1000;
  }
}
