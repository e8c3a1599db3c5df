// Key rotation: every entry re-sealed to the new key, only its sealed value and key id lines changed.
import { beforeAll, describe, expect, it } from "vitest";
import { checkSecretsFile } from "../../src/core/secrets-file.js";
import { resealFile } from "../../src/secrets/reseal.js";
import {
  keyRing,
  newPrivateKey,
  openEnvelope,
  sodiumReady,
  type KeyRing,
} from "../../src/secrets/sealing.js";
import { sealedEntry } from "../helpers/sealed-secrets.js";

let old: KeyRing;
let next: KeyRing;

beforeAll(async () => {
  await sodiumReady();
  old = keyRing(newPrivateKey());
  // After the rotation: the new key is current, the old one previous.
  next = keyRing(newPrivateKey(), [old.current.privateKey]);
});

function valueOf(text: string, index: number, ring: KeyRing): string {
  const e = checkSecretsFile(text).entries[index];
  const opened = openEnvelope(e?.sealed ?? "", e?.keyId ?? "", ring);
  if (!opened.ok) throw new Error(opened.message);
  return Buffer.from(opened.envelope.value).toString("utf8");
}

describe("resealFile", () => {
  it("re-seals every entry to the new key and changes nothing else", () => {
    const quoted = sealedEntry(old.current, "QUOTED", ["acme/web"], "q").replace(
      /sealed: (\S+)/,
      'sealed: "$1"',
    );
    const text =
      "# Sealed secrets of the platform: append `monobot secrets seal` output.\n" +
      sealedEntry(old.current, "DB_PASSWORD", ["acme/api", "acme/api@production"], "pg-pass") +
      "\n# the web tier\n" +
      sealedEntry(old.current, "API_TOKEN", ["Acme/Web"], "tok") +
      quoted;
    const r = resealFile(text, next, next.current);
    if (!r.ok) throw new Error(r.reason);
    expect(r.resealed).toEqual(["DB_PASSWORD", "API_TOKEN", "QUOTED"]);
    expect(r.skipped).toEqual([]);
    const a = text.split("\n");
    const b = r.text.split("\n");
    expect(b).toHaveLength(a.length);
    const changed = a.flatMap((line, i) => (line === b[i] ? [] : [i + 1]));
    // Exactly the key_id and sealed lines of the three entries.
    const expectedLines = a.flatMap((line, i) =>
      /^ {2}(key_id|sealed):/.test(line) ? [i + 1] : [],
    );
    expect(changed).toEqual(expectedLines);
    for (const i of changed) {
      expect(b[i - 1]?.replace(/:.*/, "")).toBe(a[i - 1]?.replace(/:.*/, ""));
    }
    expect(b.filter((l) => l.startsWith("  key_id:"))).toEqual(
      Array(3).fill(`  key_id: "${next.current.keyId}"`),
    );
    expect(b.at(-2)).toMatch(/^ {2}sealed: "[A-Za-z0-9+/=]+"$/);
    // Opened with the new key alone, each entry gives the value it had.
    const newOnly = { current: next.current, previous: [] };
    expect([0, 1, 2].map((i) => valueOf(r.text, i, newOnly))).toEqual(["pg-pass", "tok", "q"]);
    expect(
      checkSecretsFile(r.text, { keyIds: [{ ids: [next.current.keyId], source: "k" }] }).problems,
    ).toEqual([]);
  });

  it("leaves entries on the new key, invalid ones and ones it cannot open as they were, saying why", () => {
    const stranger = keyRing(newPrivateKey());
    const onNew = sealedEntry(next.current, "ALREADY", ["acme/api"], "x");
    const foreign = sealedEntry(stranger.current, "FOREIGN", ["acme/api"], "y");
    const invalid = sealedEntry(old.current, "BROKEN", ["acme/api"], "z") + "  value: oops\n";
    const copied = sealedEntry(old.current, "COPIED", ["acme/evil"], "w", {
      sealedFor: { targets: ["acme/api"] },
    });
    const text = onNew + foreign + invalid + copied;
    const r = resealFile(text, next, next.current);
    if (!r.ok) throw new Error(r.reason);
    expect(r.text).toBe(text);
    expect(r.resealed).toEqual([]);
    expect(r.skipped.map((s) => [s.name, s.reason])).toEqual([
      ["ALREADY", "already sealed to the new key"],
      ["FOREIGN", expect.stringMatching(/which monobot does not have/)],
      ["BROKEN", expect.stringMatching(/not valid/)],
      ["COPIED", expect.stringMatching(/sealed for the targets acme\/api, not acme\/evil/)],
    ]);
  });

  it("refuses a file it cannot read", () => {
    expect(resealFile("- name: x\n\t- y\n", next, next.current)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot be read: line 2/),
    });
  });
});
