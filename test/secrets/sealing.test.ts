// Sealing: the key derivation against RFC 7748 and node:crypto, envelopes that round-trip, and
// values refused when re-targeted, renamed, truncated or sealed to another key.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { inspect } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bindingProblem,
  keyIdOf,
  keyRing,
  loadKeyRing,
  newPrivateKey,
  openEnvelope,
  publicKeyInfo,
  publicKeyOf,
  sealEnvelope,
  sealingKey,
  sodiumReady,
  toBase64,
  wipe,
  type Envelope,
} from "../../src/secrets/sealing.js";
import { EnvError, readSealingKeys, readServerEnv } from "../../src/server/env.js";
import { testPrivateKey } from "../helpers/keys.js";

// RFC 7748, section 6.1: Alice's X25519 private key and the public key it gives.
const RFC_PRIVATE_HEX = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const RFC_PUBLIC_HEX = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
// `echo $RFC_PUBLIC_HEX | xxd -r -p | sha256sum | cut -c1-16`
const RFC_KEY_ID = "300c9c9603b92a4b";

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));
const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");

/** node:crypto's own X25519 derivation, from a raw private key wrapped in PKCS#8. */
function nodePublicKey(privateKey: Uint8Array): Uint8Array {
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), privateKey]);
  const key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const jwk = createPublicKey(key).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

function envelope(over: Partial<Envelope> = {}): Envelope {
  return {
    name: "DB_PASSWORD",
    targets: ["acme/api", "acme/api@production"],
    value: bytes("correct horse battery staple"),
    ...over,
  };
}

beforeAll(async () => {
  await sodiumReady();
});

describe("keys", () => {
  it("derives the RFC 7748 public key and its key id", () => {
    const pub = publicKeyOf(hex(RFC_PRIVATE_HEX));
    expect(Buffer.from(pub).toString("hex")).toBe(RFC_PUBLIC_HEX);
    expect(Buffer.from(nodePublicKey(hex(RFC_PRIVATE_HEX))).toString("hex")).toBe(RFC_PUBLIC_HEX);
    expect(keyIdOf(pub)).toBe(RFC_KEY_ID);
    expect(publicKeyInfo(pub)).toEqual({
      public_key: "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=",
      key_id: RFC_KEY_ID,
    });
  });

  it("agrees with node:crypto on random keys", () => {
    for (let i = 0; i < 20; i++) {
      const priv = newPrivateKey();
      expect(toBase64(publicKeyOf(priv))).toBe(toBase64(nodePublicKey(priv)));
    }
  });

  it("reads the key ring from the environment, and never echoes a malformed key", () => {
    const env = {
      MONOBOT_SEALING_KEY: "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=",
      MONOBOT_SEALING_KEY_PREVIOUS: ` ${toBase64(newPrivateKey())}, ${toBase64(newPrivateKey())} `,
    };
    const material = readSealingKeys(env);
    expect(material?.previous).toHaveLength(2);
    const ring = keyRing(material!.current, material!.previous);
    expect(ring.current.keyId).toBe(RFC_KEY_ID);
    expect(JSON.stringify({ material })).not.toContain("dwdt");
    expect(inspect(material)).toBe("[sealing keys]");
    expect(readSealingKeys({})).toBeUndefined();
    const bad = "not-a-key-but-a-secret-value-0123456789abcd";
    for (const e of [
      { MONOBOT_SEALING_KEY: bad },
      { MONOBOT_SEALING_KEY: env.MONOBOT_SEALING_KEY, MONOBOT_SEALING_KEY_PREVIOUS: bad },
    ]) {
      let err: unknown;
      try {
        readSealingKeys(e);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(EnvError);
      expect((err as Error).message).toMatch(/MONOBOT_SEALING_KEY/);
      expect((err as Error).message).not.toContain(bad);
    }
  });
});

describe("the server's environment", () => {
  const base = () => ({ APP_ID: "12", PRIVATE_KEY: testPrivateKey(), WEBHOOK_SECRET: "s3cret" });

  it("carries the sealing keys when set, and leaves them out otherwise", async () => {
    const env = readServerEnv({
      ...base(),
      MONOBOT_SEALING_KEY: "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=",
    });
    const ring = await loadKeyRing(env.sealing);
    expect(ring?.current.keyId).toBe(RFC_KEY_ID);
    expect(JSON.stringify(env)).not.toContain("dwdtCnMY");
    expect(readServerEnv(base()).sealing).toBeUndefined();
    expect(await loadKeyRing(undefined)).toBeUndefined();
  });

  it.each([
    [
      { MONOBOT_SEALING_KEY: "c2hvcnQ=" },
      /MONOBOT_SEALING_KEY must be the base64 of 32 random bytes/,
    ],
    [{ MONOBOT_SEALING_KEY: "x", MONOBOT_SEALING_KEY_FILE: "/k" }, /not both/],
    [{ MONOBOT_SEALING_KEY_FILE: "/no/such/file" }, /cannot be read: ENOENT/],
    [
      { MONOBOT_SEALING_KEY_PREVIOUS: "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=" },
      /without MONOBOT_SEALING_KEY/,
    ],
  ])("stops start-up with one line for %j", (extra, message) => {
    expect(() => readServerEnv({ ...base(), ...extra })).toThrow(message);
  });
});

describe("envelopes", () => {
  it("round-trips a value, also with binary bytes and targets in another order and case", () => {
    const key = sealingKey(newPrivateKey());
    const ring = { current: key, previous: [] };
    const value = new Uint8Array([0, 10, 13, 255, 1, 2, 10]);
    const sealed = sealEnvelope(envelope({ value, repoIds: { "Acme/API": 42 } }), key.publicKey);
    const opened = openEnvelope(sealed, key.keyId, ring);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect([...opened.envelope.value]).toEqual([...value]);
    expect(opened.envelope.name).toBe("DB_PASSWORD");
    expect(opened.envelope.targets).toEqual(["acme/api", "acme/api@production"]);
    expect(opened.envelope.repoIds).toEqual({ "acme/api": 42 });
    expect(
      bindingProblem(opened.envelope, {
        name: "db_password",
        targets: ["ACME/api@Production", "acme/API"],
      }),
    ).toBeUndefined();
    wipe(opened.envelope.value);
    expect([...opened.envelope.value].every((b) => b === 0)).toBe(true);
  });

  it("opens values sealed to a previous key, by key id", () => {
    const old = newPrivateKey();
    const ring = keyRing(newPrivateKey(), [old]);
    const sealed = sealEnvelope(envelope(), publicKeyOf(old));
    const opened = openEnvelope(sealed, keyIdOf(publicKeyOf(old)), ring);
    expect(opened.ok && text(opened.envelope.value)).toBe("correct horse battery staple");
    // The current key does not open it: the key id decides which key is tried.
    expect(openEnvelope(sealed, ring.current.keyId, ring)).toMatchObject({
      ok: false,
      reason: "does-not-open",
    });
  });

  it.each([
    [
      "renamed",
      { name: "API_TOKEN", targets: ["acme/api", "acme/api@production"] },
      /secret DB_PASSWORD, not API_TOKEN/,
    ],
    [
      "re-targeted",
      { name: "DB_PASSWORD", targets: ["evil/api", "acme/api@production"] },
      /targets acme\/api, acme\/api@production, not/,
    ],
    ["a target dropped", { name: "DB_PASSWORD", targets: ["acme/api"] }, /sealed for the targets/],
    [
      "a target added",
      { name: "DB_PASSWORD", targets: ["acme/api", "acme/api@production", "acme/web"] },
      /sealed for the targets/,
    ],
  ])("refuses an entry %s", (_what, entry, message) => {
    const key = sealingKey(newPrivateKey());
    const opened = openEnvelope(sealEnvelope(envelope(), key.publicKey), key.keyId, {
      current: key,
      previous: [],
    });
    if (!opened.ok) throw new Error(opened.message);
    expect(bindingProblem(opened.envelope, entry)).toMatch(message);
  });

  it("refuses truncated, edited, foreign-key and unknown-key values", () => {
    const key = sealingKey(newPrivateKey());
    const ring = { current: key, previous: [] };
    const sealed = sealEnvelope(envelope(), key.publicKey);
    const raw = Buffer.from(sealed, "base64");
    const truncated = raw.subarray(0, raw.length - 1).toString("base64");
    const flipped = Buffer.from(raw);
    flipped[60] = (flipped[60] ?? 0) ^ 1;
    const other = sealEnvelope(envelope(), publicKeyOf(newPrivateKey()));
    expect(openEnvelope(truncated, key.keyId, ring)).toMatchObject({ reason: "does-not-open" });
    expect(openEnvelope(flipped.toString("base64"), key.keyId, ring)).toMatchObject({
      reason: "does-not-open",
    });
    expect(openEnvelope(other, key.keyId, ring)).toMatchObject({ reason: "does-not-open" });
    expect(openEnvelope(sealed, "0000000000000000", ring)).toMatchObject({
      reason: "unknown-key",
    });
    expect(openEnvelope("@@@", key.keyId, ring)).toMatchObject({ reason: "malformed" });
  });

  it("refuses a box that opens but holds no envelope", async () => {
    const sodium = (await import("libsodium-wrappers")).default;
    const key = sealingKey(newPrivateKey());
    const plain = toBase64(sodium.crypto_box_seal(bytes("just a value"), key.publicKey));
    expect(openEnvelope(plain, key.keyId, { current: key, previous: [] })).toMatchObject({
      ok: false,
      reason: "malformed",
    });
  });

  it("refuses to seal a value over GitHub's 48 KB", () => {
    const key = sealingKey(newPrivateKey());
    expect(() =>
      sealEnvelope(envelope({ value: new Uint8Array(48 * 1024 + 1) }), key.publicKey),
    ).toThrow(/48/);
    expect(() =>
      sealEnvelope(envelope({ value: new Uint8Array(48 * 1024) }), key.publicKey),
    ).not.toThrow();
  });
});
