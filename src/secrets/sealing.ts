// monobot's sealing key: X25519 key pairs named by key id, sealed envelopes bound to a name and targets, and opening them.
import { createHash } from "node:crypto";
import sodium from "libsodium-wrappers";
import { canonicalSecretName, SECRET_VALUE_MAX_BYTES } from "../core/secrets-file.js";

/** Bytes of an X25519 private or public key. */
export const KEY_BYTES = 32;

let ready = false;

/** libsodium loads its WebAssembly asynchronously: await this once before anything else here. */
export async function sodiumReady(): Promise<void> {
  await sodium.ready;
  ready = true;
}

function requireReady(): void {
  if (!ready) throw new Error("libsodium is not loaded yet: await sodiumReady() first");
}

/** One sealing key pair and its id. */
export interface SealingKey {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** The current key (new seals) and the previous ones (still opened, so a rotation breaks nothing). */
export interface KeyRing {
  current: SealingKey;
  previous: SealingKey[];
}

/** A public key as the CLI prints it and the server serves it. */
export interface PublicKeyInfo {
  public_key: string;
  key_id: string;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Strict base64 of exactly `bytes` bytes, or undefined. */
export function fromBase64(text: string, bytes?: number): Uint8Array | undefined {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0 || t.length === 0) return undefined;
  const out = new Uint8Array(Buffer.from(t, "base64"));
  if (bytes !== undefined && out.length !== bytes) return undefined;
  return out;
}

/** The key id: the first 16 hex digits of the SHA-256 of the public key. */
export function keyIdOf(publicKey: Uint8Array): string {
  return createHash("sha256").update(publicKey).digest("hex").slice(0, 16);
}

/** The X25519 public key of a private key (any 32 bytes are a private key: X25519 clamps them). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  requireReady();
  if (privateKey.length !== KEY_BYTES) throw new RangeError("a sealing key is 32 bytes");
  return sodium.crypto_scalarmult_base(privateKey);
}

export function sealingKey(privateKey: Uint8Array): SealingKey {
  const publicKey = publicKeyOf(privateKey);
  return { keyId: keyIdOf(publicKey), publicKey, privateKey };
}

export function keyRing(current: Uint8Array, previous: readonly Uint8Array[] = []): KeyRing {
  const cur = sealingKey(current);
  const prev = previous.map(sealingKey).filter((k) => k.keyId !== cur.keyId);
  return { current: cur, previous: prev };
}

export function keyIdsOf(ring: KeyRing): string[] {
  return [ring.current.keyId, ...ring.previous.map((k) => k.keyId)];
}

export function publicKeyInfo(publicKey: Uint8Array): PublicKeyInfo {
  return { public_key: toBase64(publicKey), key_id: keyIdOf(publicKey) };
}

/** A new random private key (for tests and key generation). */
export function newPrivateKey(): Uint8Array {
  requireReady();
  return sodium.randombytes_buf(KEY_BYTES);
}

/** Overwrites bytes that held a plaintext or a key. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  requireReady();
  for (const b of buffers) if (b) sodium.memzero(b);
}

// ---------------------------------------------------------------------------------------------
// The envelope.
//
// A sealed box is anonymous: anyone with the public key can seal, and nothing in the box says for
// what. So monobot seals an envelope that names the secret and its targets, and writes a value
// only where the file's entry says the same. Its bytes are one JSON header line and the value:
//
//   {"v":1,"name":"DB_PASSWORD","targets":["acme/api","acme/api@production"],"repo_ids":{"acme/api":42}}\n<value bytes>
//
// The header is canonical (name upper-cased, targets lower-cased, unique and sorted, keys in this
// order) and holds no part of the value; the value stays bytes, so it can be wiped after use.
// `repo_ids` is optional: a repository pinned by id is written only while it has that id, so a
// repository deleted and re-created under the same name (by someone else) does not get the secret.

export interface EnvelopeHeader {
  name: string;
  targets: string[];
  repoIds?: Record<string, number>;
}

export interface Envelope extends EnvelopeHeader {
  /** The plaintext: wipe it (wipe(envelope.value)) once it is written. */
  value: Uint8Array;
}

function headerJson(h: EnvelopeHeader): string {
  const targets = [...new Set(h.targets.map((t) => t.toLowerCase()))].sort();
  const ids = h.repoIds
    ? Object.fromEntries(
        Object.entries(h.repoIds)
          .map(([k, v]) => [k.toLowerCase(), v] as const)
          .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      )
    : undefined;
  return JSON.stringify({
    v: 1,
    name: canonicalSecretName(h.name),
    targets,
    ...(ids && Object.keys(ids).length > 0 ? { repo_ids: ids } : {}),
  });
}

/** Seals the envelope to a public key; returns the base64 the secrets file holds. */
export function sealEnvelope(envelope: Envelope, publicKey: Uint8Array): string {
  requireReady();
  if (envelope.value.length > SECRET_VALUE_MAX_BYTES)
    throw new RangeError(
      `a secret value is at most 48 KB (${SECRET_VALUE_MAX_BYTES} bytes), GitHub's limit`,
    );
  const header = Buffer.from(`${headerJson(envelope)}\n`, "utf8");
  const message = new Uint8Array(header.length + envelope.value.length);
  message.set(header, 0);
  message.set(envelope.value, header.length);
  try {
    return toBase64(sodium.crypto_box_seal(message, publicKey));
  } finally {
    wipe(message);
  }
}

export type OpenResult =
  | { ok: true; envelope: Envelope; keyId: string }
  | { ok: false; reason: "unknown-key" | "does-not-open" | "malformed"; message: string };

/** Opens a sealed value with the ring's key named `keyId` (current or previous). */
export function openEnvelope(sealed: string, keyId: string, ring: KeyRing): OpenResult {
  requireReady();
  const key = [ring.current, ...ring.previous].find((k) => k.keyId === keyId);
  if (!key)
    return {
      ok: false,
      reason: "unknown-key",
      message: `it is sealed to key ${keyId}, which monobot does not have (its keys: ${keyIdsOf(ring).join(", ")})`,
    };
  const box = fromBase64(sealed);
  if (!box)
    return { ok: false, reason: "malformed", message: "the sealed value is not valid base64" };
  let message: Uint8Array;
  try {
    message = sodium.crypto_box_seal_open(box, key.publicKey, key.privateKey);
  } catch {
    return {
      ok: false,
      reason: "does-not-open",
      message: `the sealed value does not open with key ${keyId} (truncated, edited, or sealed to another key)`,
    };
  }
  const newline = message.indexOf(0x0a);
  const parsed = newline < 0 ? undefined : parseHeader(message.subarray(0, newline));
  if (!parsed) {
    wipe(message);
    return {
      ok: false,
      reason: "malformed",
      message:
        "the sealed value opens but is not a monobot envelope (seal it with `monobot secrets seal`)",
    };
  }
  // The value is a view on `message`: wiping the value wipes what the header left.
  const value = message.subarray(newline + 1);
  message.fill(0, 0, newline + 1);
  return { ok: true, envelope: { ...parsed, value }, keyId };
}

function parseHeader(bytes: Uint8Array): EnvelopeHeader | undefined {
  let h: unknown;
  try {
    h = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof h !== "object" || h === null) return undefined;
  const o = h as Record<string, unknown>;
  if (o.v !== 1 || typeof o.name !== "string" || !Array.isArray(o.targets)) return undefined;
  if (!o.targets.every((t): t is string => typeof t === "string")) return undefined;
  const header: EnvelopeHeader = { name: o.name, targets: o.targets };
  if (o.repo_ids !== undefined) {
    if (typeof o.repo_ids !== "object" || o.repo_ids === null) return undefined;
    const ids: Record<string, number> = {};
    for (const [k, v] of Object.entries(o.repo_ids as Record<string, unknown>)) {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) return undefined;
      ids[k] = v;
    }
    header.repoIds = ids;
  }
  return header;
}

/**
 * Why an opened envelope may not be written for an entry (undefined: it may): the entry's name and
 * targets must be the envelope's, so a sealed value copied into an entry naming another secret or
 * repository is refused.
 */
export function bindingProblem(
  envelope: EnvelopeHeader,
  entry: { name: string; targets: readonly string[] },
): string | undefined {
  const name = canonicalSecretName(entry.name);
  const sealedName = canonicalSecretName(envelope.name);
  if (name !== sealedName)
    return `the value was sealed for the secret ${sealedName}, not ${name}: seal it again for this entry`;
  const want = [...new Set(entry.targets.map((t) => t.toLowerCase()))].sort();
  const got = [...new Set(envelope.targets.map((t) => t.toLowerCase()))].sort();
  if (want.join("\n") !== got.join("\n"))
    return `the value was sealed for the targets ${got.join(", ")}, not ${want.join(", ")}: seal it again with these --to targets`;
  return undefined;
}

/** Seals a value for a GitHub repository's or environment's Actions public key (base64), as GitHub asks. */
export function sealForGitHub(value: Uint8Array, publicKeyBase64: string): string {
  requireReady();
  const key = fromBase64(publicKeyBase64, KEY_BYTES);
  if (!key) throw new Error("GitHub's Actions public key is not 32 bytes of base64");
  return toBase64(sodium.crypto_box_seal(value, key));
}

/** Whether two byte strings are equal, in constant time. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  requireReady();
  return a.length === b.length && sodium.memcmp(a, b);
}

/** The key ring of the server's environment (`ServerEnv.sealing`), or undefined when no key is set. */
export async function loadKeyRing(
  material: { current: Uint8Array; previous: readonly Uint8Array[] } | undefined,
): Promise<KeyRing | undefined> {
  if (!material) return undefined;
  await sodiumReady();
  return keyRing(material.current, material.previous);
}
