// A throwaway RSA key pair for a test GitHub App.
import { createHmac, generateKeyPairSync } from "node:crypto";

let cached: string | undefined;

export function testPrivateKey(): string {
  cached ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    type: "pkcs1",
    format: "pem",
  }) as string;
  return cached;
}

/** X-Hub-Signature-256 of a body, as GitHub computes it. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
