// `monobot secrets public-key` and `monobot secrets seal`: a value sealed for a secret and its targets, with only the public key.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseDocument } from "yaml";
import { formatSecretEntry } from "../core/secret-entry-format.js";
import {
  canonicalSecretName,
  parseTarget,
  SECRET_VALUE_MAX_BYTES,
  secretNameProblem,
  type SecretTarget,
} from "../core/secrets-file.js";
import {
  fromBase64,
  KEY_BYTES,
  keyIdOf,
  publicKeyOf,
  sealEnvelope,
  sodiumReady,
  toBase64,
  wipe,
} from "../secrets/sealing.js";
import { EnvError, readSealingKeys } from "../server/env.js";
import { PUBLIC_KEY_PATH } from "../server/secrets-route.js";

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export const SECRETS_USAGE = `monobot secrets: sealed secrets for the config repo's secrets file

Usage:
  monobot secrets public-key [--from URL | --file FILE]
      Print monobot's public key (base64) and its key id: from the private key in
      MONOBOT_SEALING_KEY or MONOBOT_SEALING_KEY_FILE, from a running monobot (--from
      https://monobot.example.com, which serves ${PUBLIC_KEY_PATH}), or from FILE
      (a private key file, or a public key saved from this command or the server).
  monobot secrets seal --name NAME --to OWNER/REPO[@ENVIRONMENT] [--to ...]
                       [--repo-id OWNER/REPO=ID ...] [--keep-newline]
                       [--public-key BASE64 | --public-key-file FILE]
      Read the value from stdin (trailing CR/LF removed unless --keep-newline, as
      \`gh secret set\` does) and print one entry of the secrets file, to append to it:
        monobot secrets seal --name DB_PASSWORD --to acme/api < pw.txt >> secrets.yml
      The public key comes from --public-key, --public-key-file, MONOBOT_PUBLIC_KEY, or
      the private key when it is set. --repo-id pins a target repository by its id
      (gh api repos/OWNER/REPO --jq .id): a repository re-created under the same name
      does not get the secret.

Exit status: 0 done, 1 the server could not be asked, 2 usage or input error.
`;

/** What the subcommands need from the process; tests give their own. */
export interface SecretsCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  readStdin?: () => Promise<Uint8Array>;
  stdinIsTTY?: boolean;
  fetch?: typeof fetch;
}

class InputError extends Error {}
class RemoteError extends Error {}

export async function runSecretsCli(argv: string[], io: SecretsCliIo): Promise<number> {
  const [sub, ...args] = argv;
  try {
    if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
      io.stdout(SECRETS_USAGE);
      return sub ? EXIT_OK : EXIT_USAGE;
    }
    await sodiumReady();
    if (sub === "public-key") return await publicKeyCommand(args, io);
    if (sub === "seal") return await sealCommand(args, io);
    throw new InputError(`unknown command "secrets ${sub}"`);
  } catch (e) {
    if (e instanceof InputError || e instanceof EnvError || isArgError(e)) {
      io.stderr(`monobot: ${(e as Error).message}\nRun \`monobot secrets --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof RemoteError) {
      io.stderr(`monobot: ${e.message}\n`);
      return EXIT_FAILED;
    }
    throw e;
  }
}

function isArgError(e: unknown): boolean {
  return String((e as { code?: unknown } | null)?.code).startsWith("ERR_PARSE_ARGS");
}

function env(io: SecretsCliIo): NodeJS.ProcessEnv {
  return io.env ?? process.env;
}

function printKey(io: SecretsCliIo, publicKey: Uint8Array): void {
  io.stdout(`public_key: ${toBase64(publicKey)}\nkey_id: "${keyIdOf(publicKey)}"\n`);
}

function readText(io: SecretsCliIo, file: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

/** A saved public key: `{public_key, key_id}` as YAML or JSON; its key id must match the key. */
function savedPublicKey(text: string, where: string): Uint8Array | undefined {
  const doc = parseDocument(text);
  const js: unknown = doc.errors.length === 0 ? doc.toJS() : undefined;
  if (typeof js !== "object" || js === null || !("public_key" in js)) return undefined;
  const { public_key: pk, key_id: id } = js as { public_key?: unknown; key_id?: unknown };
  const key = typeof pk === "string" ? fromBase64(pk, KEY_BYTES) : undefined;
  if (!key) throw new InputError(`${where}: public_key is not the base64 of 32 bytes`);
  if (id !== undefined && id !== keyIdOf(key))
    throw new InputError(`${where}: key_id does not match public_key (the file was edited?)`);
  return key;
}

function privateKeyFromEnv(io: SecretsCliIo): Uint8Array | undefined {
  const material = readSealingKeys(env(io));
  return material ? publicKeyOf(material.current) : undefined;
}

async function publicKeyCommand(args: string[], io: SecretsCliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { from: { type: "string" }, file: { type: "string" } },
  });
  if (values.from && values.file) throw new InputError("give --from or --file, not both");
  if (values.from) {
    printKey(io, await fetchPublicKey(values.from, io));
    return EXIT_OK;
  }
  if (values.file) {
    const text = readText(io, values.file);
    const saved = savedPublicKey(text, values.file);
    if (saved) {
      printKey(io, saved);
      return EXIT_OK;
    }
    const priv = fromBase64(text, KEY_BYTES);
    if (!priv)
      throw new InputError(
        `${values.file} holds neither a private key (the base64 of 32 bytes) nor a saved public key (public_key: ...)`,
      );
    printKey(io, publicKeyOf(priv));
    wipe(priv);
    return EXIT_OK;
  }
  const pub = privateKeyFromEnv(io);
  if (!pub)
    throw new InputError(
      "no key: set MONOBOT_SEALING_KEY (or MONOBOT_SEALING_KEY_FILE), or ask the server with --from URL",
    );
  printKey(io, pub);
  return EXIT_OK;
}

async function fetchPublicKey(from: string, io: SecretsCliIo): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(from);
  } catch {
    throw new InputError(
      `--from must be monobot's URL, e.g. https://monobot.example.com, got "${from}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InputError(`--from must be an http(s) URL, got "${from}"`);
  if (url.pathname === "/" || url.pathname === "") url.pathname = PUBLIC_KEY_PATH;
  let res: Response;
  try {
    res = await (io.fetch ?? fetch)(url, { signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new RemoteError(`cannot reach ${url.href}: ${(e as Error).message}`);
  }
  const body = await res.text().catch(() => "");
  if (!res.ok)
    throw new RemoteError(`${url.href} answered ${res.status}: ${body.slice(0, 200).trim()}`);
  const key = (() => {
    try {
      return savedPublicKey(body, url.href);
    } catch (e) {
      throw new RemoteError((e as Error).message);
    }
  })();
  if (!key) throw new RemoteError(`${url.href} did not answer {public_key, key_id}`);
  return key;
}

function publicKeyForSeal(
  values: { "public-key"?: string; "public-key-file"?: string },
  io: SecretsCliIo,
): Uint8Array {
  if (values["public-key"] && values["public-key-file"])
    throw new InputError("give --public-key or --public-key-file, not both");
  if (values["public-key"] !== undefined) {
    const key = fromBase64(values["public-key"], KEY_BYTES);
    if (!key) throw new InputError("--public-key must be the base64 of 32 bytes");
    return key;
  }
  if (values["public-key-file"] !== undefined) {
    const file = values["public-key-file"];
    const text = readText(io, file);
    const key = savedPublicKey(text, file) ?? fromBase64(text, KEY_BYTES);
    if (!key)
      throw new InputError(`${file} must hold a public key: public_key: ... or one base64 line`);
    return key;
  }
  const fromEnv = env(io).MONOBOT_PUBLIC_KEY;
  if (fromEnv) {
    const key = fromBase64(fromEnv, KEY_BYTES);
    if (!key) throw new InputError("MONOBOT_PUBLIC_KEY must be the base64 of 32 bytes");
    return key;
  }
  const derived = privateKeyFromEnv(io);
  if (derived) return derived;
  throw new InputError(
    "no public key: pass --public-key (from `monobot secrets public-key --from URL`), --public-key-file, or set MONOBOT_PUBLIC_KEY",
  );
}

function parseTargets(list: readonly string[]): SecretTarget[] {
  if (list.length === 0)
    throw new InputError("seal needs at least one --to OWNER/REPO[@ENVIRONMENT]");
  const out: SecretTarget[] = [];
  for (const text of list) {
    const r = parseTarget(text);
    if (!r.ok) throw new InputError(`--to ${text} ${r.problem}`);
    if (out.some((t) => t.key === r.target.key))
      throw new InputError(`--to ${text} is given twice`);
    out.push(r.target);
  }
  return out;
}

function parseRepoIds(list: readonly string[], targets: SecretTarget[]): Record<string, number> {
  const ids: Record<string, number> = {};
  for (const text of list) {
    const m = /^([^=]+)=(\d{1,15})$/.exec(text);
    if (!m) throw new InputError(`--repo-id must be OWNER/REPO=ID, got "${text}"`);
    const repo = (m[1] ?? "").toLowerCase();
    if (!targets.some((t) => t.repoKey === repo))
      throw new InputError(`--repo-id ${m[1]}: that repository is not one of the --to targets`);
    ids[repo] = Number(m[2]);
  }
  return ids;
}

async function defaultStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const all = new Uint8Array(Buffer.concat(chunks));
  for (const c of chunks) c.fill(0);
  return all;
}

/** The value without trailing CR and LF, as `gh secret set` strips them (a view, not a copy). */
function stripNewlines(value: Uint8Array): Uint8Array {
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0x0a || value[end - 1] === 0x0d)) end--;
  return value.subarray(0, end);
}

async function sealCommand(args: string[], io: SecretsCliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: "string" },
      to: { type: "string", multiple: true },
      "repo-id": { type: "string", multiple: true },
      "keep-newline": { type: "boolean", default: false },
      "public-key": { type: "string" },
      "public-key-file": { type: "string" },
    },
  });
  if (values.name === undefined) throw new InputError("seal needs --name NAME");
  const nameProblem = secretNameProblem(values.name);
  if (nameProblem) throw new InputError(`--name ${values.name} ${nameProblem}`);
  const targets = parseTargets(values.to ?? []);
  const repoIds = parseRepoIds(values["repo-id"] ?? [], targets);
  const publicKey = publicKeyForSeal(values, io);

  if (io.stdinIsTTY ?? (!io.readStdin && process.stdin.isTTY)) {
    io.stderr("Reading the value from stdin; end it with Ctrl-D (it is not echoed to a file).\n");
  }
  const raw = await (io.readStdin ?? defaultStdin)();
  try {
    const value = values["keep-newline"] ? raw : stripNewlines(raw);
    if (value.length === 0) throw new InputError("the value read from stdin is empty");
    if (value.length > SECRET_VALUE_MAX_BYTES)
      throw new InputError(
        `the value is ${value.length} bytes; GitHub keeps secrets of at most 48 KB (${SECRET_VALUE_MAX_BYTES} bytes)`,
      );
    const name = canonicalSecretName(values.name);
    const sealed = sealEnvelope(
      { name, targets: targets.map((t) => t.key), repoIds, value },
      publicKey,
    );
    io.stdout(
      formatSecretEntry({
        name,
        targets: targets.map((t) => t.text),
        keyId: keyIdOf(publicKey),
        sealed,
      }),
    );
    io.stderr(
      `Sealed ${name} (${value.length} bytes) for ${targets.map((t) => t.text).join(", ")} to key ${keyIdOf(publicKey)}.\n`,
    );
    return EXIT_OK;
  } finally {
    wipe(raw);
  }
}
