// Authentication for the sandbox: the app's RS256 JWT, installation tokens and personal tokens, as GitHub checks them.
import { createPublicKey, verify as verifySignature } from "node:crypto";
import type { Auth } from "./rest/context.js";
import type { SandboxState } from "./state.js";

export interface JwtCheck {
  ok: boolean;
  /** GitHub's message when the token is refused. */
  message?: string;
}

function base64urlJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Verifies an app JWT: RS256 signed by the app's private key, `iss` the app id (or client id), `iat` not in the
 * future (60 s of clock drift allowed) and `exp` in the future but at most 10 minutes after `iat`.
 */
export function verifyAppJwt(
  state: SandboxState,
  token: string,
  nowMs = state.now().getTime(),
): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, message: "A JSON web token could not be decoded" };
  const [h, p, s] = parts as [string, string, string];
  const header = base64urlJson(h);
  const payload = base64urlJson(p);
  if (!header || typeof header !== "object" || !payload || typeof payload !== "object")
    return { ok: false, message: "A JSON web token could not be decoded" };
  const hdr = header as Record<string, unknown>;
  if (hdr.alg !== "RS256") return { ok: false, message: "A JSON web token could not be decoded" };
  const key = createPublicKey(state.app.publicKeyPem);
  const valid = verifySignature(
    "RSA-SHA256",
    Buffer.from(`${h}.${p}`),
    key,
    Buffer.from(s, "base64url"),
  );
  if (!valid) return { ok: false, message: "A JSON web token could not be decoded" };
  const claims = payload as Record<string, unknown>;
  const iss = claims.iss;
  if (String(iss) !== String(state.app.id) && iss !== state.app.clientId)
    return { ok: false, message: "'Issuer' claim ('iss') must be an Integer" };
  const now = Math.floor(nowMs / 1000);
  const iat = claims.iat;
  const exp = claims.exp;
  if (typeof iat !== "number" || iat > now + 60)
    return {
      ok: false,
      message: "'Issued at' claim ('iat') must be an Integer representing a time in the past",
    };
  if (typeof exp !== "number" || exp <= now)
    return {
      ok: false,
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    };
  if (exp - iat > 600 + 60)
    return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
  return { ok: true };
}

/** Who the `Authorization` header says the caller is; `none` carries the reason a protected route gives. */
export function authenticate(state: SandboxState, header: string | undefined): Auth {
  if (!header) return { kind: "none", reason: "Requires authentication" };
  const m = /^(token|bearer)\s+(\S+)$/i.exec(header.trim());
  if (!m) return { kind: "none", reason: "Bad credentials" };
  const credential = m[2] as string;
  if (credential.split(".").length === 3) {
    const check = verifyAppJwt(state, credential);
    return check.ok
      ? { kind: "app" }
      : { kind: "none", reason: check.message ?? "Bad credentials" };
  }
  const inst = state.tokens.get(credential);
  if (inst) {
    if (Date.parse(inst.expiresAt) <= state.now().getTime())
      return { kind: "none", reason: "Bad credentials" };
    const installation = state.installations.get(inst.installationId);
    if (!installation) return { kind: "none", reason: "Bad credentials" };
    return { kind: "installation", installation, token: inst };
  }
  const login = state.userTokens.get(credential);
  const user = login ? state.user(login) : undefined;
  if (user) return { kind: "user", user };
  return { kind: "none", reason: "Bad credentials" };
}
