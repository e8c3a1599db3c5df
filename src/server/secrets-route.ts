// GET /api/monobot/secrets/public-key: monobot's sealing public key and its id, for `monobot secrets public-key --from`.
import type { KeyRing } from "../secrets/sealing.js";
import { publicKeyInfo } from "../secrets/sealing.js";
import { send, type Route } from "./http-server.js";

export const PUBLIC_KEY_PATH = "/api/monobot/secrets/public-key";

/**
 * Serves `{public_key, key_id}` of the current sealing key (public by nature: anyone may seal,
 * only monobot opens). Without a key configured it answers 404 saying so.
 */
export function secretsPublicKeyRoute(keys: KeyRing | undefined): Route {
  const body = keys
    ? `${JSON.stringify(publicKeyInfo(keys.current.publicKey))}\n`
    : `${JSON.stringify({ error: "monobot has no sealing key: set MONOBOT_SEALING_KEY on the server" })}\n`;
  return {
    path: PUBLIC_KEY_PATH,
    method: "GET",
    handle(_req, res) {
      send(res, keys ? 200 : 404, body, "application/json");
      return Promise.resolve();
    },
  };
}
