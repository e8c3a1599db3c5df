// The sandbox's OAuth web flow for the app's client: authorize (approved at once as a chosen user) and token exchange.
import { randomBytes } from "node:crypto";
import type { RestResponse } from "./rest/context.js";
import type { SandboxState } from "./state.js";

/** How long an authorization code may wait to be exchanged (GitHub: 10 minutes). */
const CODE_MS = 10 * 60_000;

interface Grant {
  login: string;
  redirectUri: string | null;
  expiresAt: number;
}

function text(status: number, body: string): RestResponse {
  return { status, raw: body, contentType: "text/plain; charset=utf-8" };
}

/** GitHub answers token errors with 200 and an `error` field, and so does the sandbox. */
function tokenError(error: string, description: string): RestResponse {
  return {
    status: 200,
    body: { error, error_description: description, error_uri: "https://docs.github.com/apps" },
  };
}

export class SandboxOAuth {
  /** The app's client secret (the app's client id is `state.app.clientId`). */
  readonly clientSecret = `sandbox_secret_${randomBytes(20).toString("hex")}`;
  /** Who `/login/oauth/authorize` signs in when the request names nobody (`login=`). */
  signInAs: string | undefined;
  readonly #codes = new Map<string, Grant>();

  constructor(private readonly state: SandboxState) {}

  /** `/login/oauth/*`: the browser's authorize step and the server's code exchange. */
  handle(method: string, url: URL, body: Buffer, contentType: string): RestResponse {
    if (url.pathname === "/login/oauth/authorize" && method === "GET") return this.#authorize(url);
    if (url.pathname === "/login/oauth/access_token" && method === "POST")
      return this.#exchange(this.#params(body, contentType, url));
    return text(404, "Not Found");
  }

  #authorize(url: URL): RestResponse {
    const q = url.searchParams;
    if (q.get("client_id") !== this.state.app.clientId)
      return text(404, "no application with this client_id in the sandbox");
    const login = q.get("login") || this.signInAs;
    const user = login ? this.state.user(login) : undefined;
    if (!user)
      return text(
        400,
        "the sandbox signs in a chosen user: call sandbox.signInAs(login) or pass login=",
      );
    const redirect = q.get("redirect_uri");
    if (!redirect) return text(400, "redirect_uri is required by the sandbox");
    const code = randomBytes(10).toString("hex");
    this.#codes.set(code, {
      login: user.login,
      redirectUri: redirect,
      expiresAt: this.state.now().getTime() + CODE_MS,
    });
    const to = new URL(redirect);
    to.searchParams.set("code", code);
    const state = q.get("state");
    if (state !== null) to.searchParams.set("state", state);
    return { status: 302, headers: { location: to.href }, raw: "", contentType: "text/html" };
  }

  #params(body: Buffer, contentType: string, url: URL): Record<string, string> {
    const out: Record<string, string> = Object.fromEntries(url.searchParams);
    const raw = body.toString("utf8");
    if (!raw) return out;
    if (contentType.includes("json")) {
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (parsed && typeof parsed === "object")
          for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out[k] = v;
      } catch {
        // Treated as no parameters: the exchange then says which one is missing.
      }
      return out;
    }
    return { ...out, ...Object.fromEntries(new URLSearchParams(raw)) };
  }

  #exchange(p: Record<string, string>): RestResponse {
    if (p.client_id !== this.state.app.clientId || p.client_secret !== this.clientSecret)
      return tokenError(
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
      );
    const grant = p.code ? this.#codes.get(p.code) : undefined;
    // A code works once.
    if (p.code) this.#codes.delete(p.code);
    if (!grant || grant.expiresAt <= this.state.now().getTime())
      return tokenError("bad_verification_code", "The code passed is incorrect or expired.");
    if (p.redirect_uri && grant.redirectUri && p.redirect_uri !== grant.redirectUri)
      return tokenError(
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
      );
    return {
      status: 200,
      body: {
        access_token: this.state.issueUserToken(grant.login),
        token_type: "bearer",
        scope: "",
      },
    };
  }
}
