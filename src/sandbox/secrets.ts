// Actions secrets for the sandbox: per-scope libsodium key pairs, and opening sealed values so tests can read them.
import { randomInt } from "node:crypto";
import sodium from "libsodium-wrappers";

export interface StoredSecret {
  name: string;
  /** Base64 sealed box, exactly as the client sent it. */
  encryptedValue: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
}

/** The key pair and secrets of one repository or one environment. */
export interface SecretScope {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  /** Earlier key pairs: a stale key id is refused for new secrets, but stored secrets still open. */
  retired: Array<{ keyId: string; publicKey: Uint8Array; privateKey: Uint8Array }>;
  secrets: Map<string, StoredSecret>;
}

/** libsodium loads its WebAssembly asynchronously; everything else here is synchronous once this resolved. */
export async function secretsReady(): Promise<void> {
  await sodium.ready;
}

function newKeyId(): string {
  // GitHub's key ids are long decimal strings.
  return `${randomInt(100_000_000, 999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}

export function newSecretScope(): SecretScope {
  const kp = sodium.crypto_box_keypair();
  return {
    keyId: newKeyId(),
    publicKey: kp.publicKey,
    privateKey: kp.privateKey,
    retired: [],
    secrets: new Map(),
  };
}

/** Replaces the key pair (as GitHub may); secrets sealed for the old key stay stored as they were. */
export function rotateKey(scope: SecretScope): void {
  const kp = sodium.crypto_box_keypair();
  scope.retired.push({
    keyId: scope.keyId,
    publicKey: scope.publicKey,
    privateKey: scope.privateKey,
  });
  scope.keyId = newKeyId();
  scope.publicKey = kp.publicKey;
  scope.privateKey = kp.privateKey;
}

export function publicKeyBase64(scope: SecretScope): string {
  return sodium.to_base64(scope.publicKey, sodium.base64_variants.ORIGINAL);
}

/** Seals a value for a scope's current key, as a client such as monobot does. */
export function sealForScope(scope: SecretScope, value: string): string {
  return sodium.to_base64(
    sodium.crypto_box_seal(value, scope.publicKey),
    sodium.base64_variants.ORIGINAL,
  );
}

/** Opens a sealed value with the scope's key `keyId` (default: the current one); undefined when it does not open. */
export function openSealed(
  scope: SecretScope,
  encryptedValue: string,
  keyId = scope.keyId,
): string | undefined {
  const key = keyId === scope.keyId ? scope : scope.retired.find((k) => k.keyId === keyId);
  if (!key) return undefined;
  try {
    const ct = sodium.from_base64(encryptedValue, sodium.base64_variants.ORIGINAL);
    return sodium.to_string(sodium.crypto_box_seal_open(ct, key.publicKey, key.privateKey));
  } catch {
    return undefined;
  }
}
