// Sealed secrets files for tests, sealed for real with a test key ring (as `monobot secrets seal` does).
import { formatSecretEntry } from "../../src/core/secret-entry-format.js";
import { parseTarget } from "../../src/core/secrets-file.js";
import { sealEnvelope, type SealingKey } from "../../src/secrets/sealing.js";

/** One entry of the secrets file holding `value` sealed to `key` for `name` and `targets`. */
export function sealedEntry(
  key: SealingKey,
  name: string,
  targets: string[],
  value: string,
  options: {
    repoIds?: Record<string, number>;
    sealedFor?: { name?: string; targets?: string[] };
  } = {},
): string {
  const sealedTargets = (options.sealedFor?.targets ?? targets).map((t) => {
    const r = parseTarget(t);
    if (!r.ok) throw new Error(`${t}: ${r.problem}`);
    return r.target.key;
  });
  const sealed = sealEnvelope(
    {
      name: options.sealedFor?.name ?? name,
      targets: sealedTargets,
      value: new Uint8Array(Buffer.from(value, "utf8")),
      ...(options.repoIds ? { repoIds: options.repoIds } : {}),
    },
    key.publicKey,
  );
  return formatSecretEntry({ name, targets, keyId: key.keyId, sealed });
}
