// Known credential formats: secretlint's recommended rules (maintained upstream, with their own
// allow-lists) run synchronously on a line, behind a keyword pre-filter, plus the few formats that
// preset lacks. monobot/secrets and the redaction of logs and outputs both use this one list.
import { rules as presetRules } from "@secretlint/secretlint-rule-preset-recommend";

/** A token-format match in a line: the span to mask and what replaces it. */
export interface TokenMatch {
  kind: string;
  start: number;
  end: number;
  /** The public part of the format followed by `****`, e.g. `ghp_****`; never the secret. */
  masked: string;
}

/** How monobot runs one rule: its keywords, its names, the public part of what it finds. */
export interface TokenRule {
  /** `secretlint:<rule>` for an upstream rule, `monobot:<name>` for a supplement. */
  id: string;
  /** Lower-case strings of which a line must hold one for the rule to possibly match. */
  keywords: readonly string[];
  find(line: string): TokenMatch[];
}

// ---------------------------------------------------------------------------------------------
// The shape of a secretlint rule, as far as monobot uses it (the package's own type module is not
// one of its dependencies).

interface UpstreamReport {
  message: string;
  range: readonly [number, number];
}

interface UpstreamSource {
  content: string;
  ext: string;
  contentType: "text";
}

interface UpstreamContext {
  createTranslator(messages: unknown): (messageId: string, props?: unknown) => string;
  report(report: UpstreamReport): void;
  ignore(): void;
}

interface UpstreamRule {
  meta: { id: string };
  create(context: UpstreamContext, options: object): { file?: (source: UpstreamSource) => unknown };
}

/** How a message id of a rule is named; `null` drops it (not a secret, e.g. an AWS account id). */
type Kinds = Record<string, string | ((match: string) => string) | null>;

interface UpstreamInfo {
  keywords: string[];
  kinds: Kinds | string;
  /** The public start of a match, shown before `****`. */
  prefix?: RegExp;
  /** `url`: only the password of `scheme://user:password@host` is masked. */
  shape?: "url";
  options?: object;
}

const GITHUB_KINDS: Record<string, string> = {
  ghp: "GitHub personal access token",
  gho: "GitHub OAuth access token",
  ghu: "GitHub user-to-server token",
  ghs: "GitHub App installation token",
  ghr: "GitHub refresh token",
  github_pat: "GitHub fine-grained personal access token",
};

const STRIPE = "Stripe secret key";
const VERCEL = "Vercel token";
const CLOUDFLARE = "Cloudflare API token";
const TAILSCALE = "Tailscale key";

/**
 * monobot's names, keywords and public prefixes for each upstream rule. The keywords come from the
 * fixed prefix every match of the rule carries; a test fails when an upstream rule is missing here.
 */
const UPSTREAM: Record<string, UpstreamInfo> = {
  aws: {
    keywords: ["akia", "asia", "a3t", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "secret"],
    kinds: {
      AWSAccessKeyID: "AWS access key ID",
      AWSSecretAccessKey: "AWS secret access key",
      AWSAccountID: null,
    },
    prefix: /^A(?:3T[A-Z0-9]|KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA)/,
    options: { enableIDScanRule: true },
  },
  npm: {
    keywords: ["npm_", "x-oauth-basic", "_authtoken"],
    kinds: {
      NPM_ACCESS_TOKEN: "npm access token",
      PackageJSON_xOauthToken: "GitHub token in a package URL",
      Npmrc_authToken: "npm auth token",
    },
    prefix: /^npm_/,
  },
  basicauth: {
    keywords: ["://"],
    kinds: "password in a URL (basic authentication)",
    shape: "url",
  },
  slack: {
    keywords: ["xox", "xapp-", "hooks.slack.com"],
    kinds: { SLACK_TOKEN: "Slack token", IncomingWebhook: "Slack webhook URL" },
    prefix: /^(?:xox[a-z]-|xapp-|https:\/\/hooks\.slack\.com\/services\/)/i,
  },
  sendgrid: { keywords: ["sg."], kinds: "SendGrid API key", prefix: /^SG\./ },
  shopify: { keywords: ["shp"], kinds: "Shopify access token", prefix: /^shp[a-z]{2}_/ },
  stripe: {
    keywords: ["k_live_", "k_test_"],
    kinds: STRIPE,
    prefix: /^[rs]k_(?:live|test)_/,
  },
  github: {
    keywords: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    kinds: {
      GITHUB_TOKEN: (m) =>
        GITHUB_KINDS[/^(github_pat|gh[pousr])_/.exec(m)?.[1] ?? ""] ?? "GitHub token",
    },
    prefix: /^(?:github_pat_|gh[pousr]_)/,
  },
  gitlab: { keywords: ["glpat-"], kinds: "GitLab personal access token", prefix: /^glpat-/ },
  grafana: { keywords: ["glc_", "glsa_"], kinds: "Grafana token", prefix: /^gl(?:c|sa)_/ },
  openai: {
    keywords: ["t3blbkfj"],
    kinds: "OpenAI API key",
    prefix: /^sk-(?:(?:proj|svcacct|admin)-)?/,
  },
  anthropic: { keywords: ["sk-ant-"], kinds: "Anthropic API key", prefix: /^sk-ant-api0\d-/ },
  groq: { keywords: ["gsk_"], kinds: "Groq API key", prefix: /^gsk_/ },
  huggingface: { keywords: ["hf_"], kinds: "Hugging Face access token", prefix: /^hf_/ },
  linear: { keywords: ["lin_api_"], kinds: "Linear API key", prefix: /^lin_api_/ },
  notion: { keywords: ["ntn_"], kinds: "Notion integration token", prefix: /^ntn_/ },
  "1password": { keywords: ["ops_ey"], kinds: "1Password service account token", prefix: /^ops_/ },
  "database-connection-string": {
    keywords: ["mongodb", "mysql", "postgres"],
    kinds: {
      MongoDBConnection: "MongoDB connection string with a password",
      MySQLConnection: "MySQL connection string with a password",
      PostgreSQLConnection: "PostgreSQL connection string with a password",
    },
    shape: "url",
  },
  "hashicorp-vault": {
    keywords: ["hvs.", "hvb.", "hvr."],
    kinds: "HashiCorp Vault token",
    prefix: /^hv[sbr]\./,
  },
  vercel: {
    keywords: ["vcp_", "vci_", "vca_", "vcr_", "vck_"],
    kinds: VERCEL,
    prefix: /^vc[a-z]_/,
  },
  databricks: { keywords: ["dapi"], kinds: "Databricks access token", prefix: /^dapi/ },
  docker: { keywords: ["dckr_pat_"], kinds: "Docker personal access token", prefix: /^dckr_pat_/ },
  figma: { keywords: ["figd_"], kinds: "Figma personal access token", prefix: /^figd_/ },
  cloudflare: {
    keywords: ["cfk_", "cfut_", "cfat_"],
    kinds: CLOUDFLARE,
    prefix: /^cf[a-z]{1,2}t?_/,
  },
  tailscale: { keywords: ["tskey-"], kinds: TAILSCALE, prefix: /^tskey-[a-z]{2,20}-/ },
};

/**
 * Upstream rules monobot does not run, and why: each is covered otherwise or needs more than a
 * line. A test fails when the preset gains a rule that is in neither list.
 */
export const UPSTREAM_NOT_RUN: Record<string, string> = {
  privatekey:
    "needs the whole BEGIN..END block; monobot's own PEM rule flags the BEGIN line of any private key",
  gcp: "reads .p12 files from disk and parses whole JSON files; a service account's private_key is a PEM block",
  "filter-comments": "monobot's own marker `monobot:allow-secret` allows a line",
};

// Token characters past a reported range: one upstream rule reports a range that starts at the
// variable name, so the span is widened to the end of the value it found.
const TOKEN_CHAR = /[A-Za-z0-9+/=_.-]/;

// Values a documentation example uses instead of a real token: `sk_live_xxxxxxxx...`, `${VAR}`.
const PLACEHOLDER_BODY =
  /^(?:x+|\*+|0+|\.+)$|^(?:\$\{|<|\{\{|your[_-])|example|placeholder|changeme|redacted|dummy/i;

/** Shannon entropy of a string, in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function looksLikePlaceholder(body: string): boolean {
  return PLACEHOLDER_BODY.test(body) || (body.length >= 8 && shannonEntropy(body) < 2);
}

function kindOf(kinds: Kinds | string, messageId: string, match: string): string | null {
  if (typeof kinds === "string") return kinds;
  const kind = kinds[messageId];
  if (kind === undefined) return "credential";
  if (kind === null) return null;
  return typeof kind === "string" ? kind : kind(match);
}

function urlMatch(line: string, start: number, end: number, kind: string): TokenMatch | null {
  const text = line.slice(start, end);
  const m = /^(.*?:\/\/[^:/\s@]+:)([^@\s]+)@/.exec(text);
  if (!m?.[1] || !m[2] || looksLikePlaceholder(m[2])) return null;
  return { kind, start, end: start + m[0].length, masked: `${m[1]}****@` };
}

function tokenMatch(
  line: string,
  start: number,
  end: number,
  kind: string,
  prefix: RegExp | undefined,
): TokenMatch | null {
  let to = end;
  while (to < line.length && TOKEN_CHAR.test(line.charAt(to))) to++;
  const text = line.slice(start, to);
  const shown = prefix?.exec(text)?.[0] ?? "";
  if (looksLikePlaceholder(text.slice(shown.length))) return null;
  return { kind, start, end: to, masked: `${shown}****` };
}

/** One upstream rule made line-callable: its handler is created once, reports go to `sink`. */
function upstreamRule(rule: UpstreamRule, name: string, info: UpstreamInfo): TokenRule {
  let sink: UpstreamReport[] = [];
  const context: UpstreamContext = {
    // The message id, never the text: upstream messages quote the secret itself.
    createTranslator: () => (messageId) => messageId,
    report: (report) => sink.push(report),
    ignore: () => undefined,
  };
  const handler = rule.create(context, { allows: [], ...info.options });
  return {
    id: `secretlint:${name}`,
    keywords: info.keywords,
    find(line) {
      sink = [];
      const done = handler.file?.({ content: line, ext: "", contentType: "text" });
      // A rule that answers later cannot serve a synchronous redaction: its reports are ignored.
      if (done instanceof Promise) return [];
      const out: TokenMatch[] = [];
      for (const report of sink) {
        const [start, end] = report.range;
        const kind = kindOf(info.kinds, report.message, line.slice(start, end));
        if (kind === null) continue;
        const match =
          info.shape === "url"
            ? urlMatch(line, start, end, kind)
            : tokenMatch(line, start, end, kind, info.prefix);
        if (match) out.push(match);
      }
      return out;
    },
  };
}

/** The upstream rule's short name: `@secretlint/secretlint-rule-aws` gives `aws`. */
export function upstreamName(rule: { meta: { id: string } }): string {
  return rule.meta.id.replace(/^@secretlint\/secretlint-rule-/, "");
}

// The preset's own type module is not installed with it; its rules have the shape declared above.
const PRESET = presetRules as unknown as readonly UpstreamRule[];

/** Names of the preset's rules, for the test that keeps the two tables above complete. */
export const PRESET_RULE_NAMES: readonly string[] = PRESET.map(upstreamName);

// ---------------------------------------------------------------------------------------------
// Formats the preset lacks (Google API keys, JSON Web Tokens, bearer tokens in headers).

function regexRule(
  id: string,
  keywords: string[],
  kind: string,
  pattern: RegExp,
  options: { prefix?: (m: RegExpExecArray) => string; group?: number; minEntropy?: number } = {},
): TokenRule {
  return {
    id: `monobot:${id}`,
    keywords,
    find(line) {
      const out: TokenMatch[] = [];
      for (const m of line.matchAll(pattern)) {
        // The whole match is masked; `group` is the part whose randomness tells a real secret.
        const secret = options.group === undefined ? m[0] : (m[options.group] ?? "");
        if (options.minEntropy !== undefined && shannonEntropy(secret) < options.minEntropy) {
          continue;
        }
        const shown = options.prefix?.(m as RegExpExecArray) ?? "";
        const body = options.group === undefined ? secret.slice(shown.length) : secret;
        if (looksLikePlaceholder(body)) continue;
        const start = m.index ?? 0;
        out.push({ kind, start, end: start + m[0].length, masked: `${shown}****` });
      }
      return out;
    },
  };
}

const SUPPLEMENT: readonly TokenRule[] = [
  regexRule(
    "bearer",
    ["bearer"],
    "bearer token",
    /\b([Bb]earer)[ \t]+([A-Za-z0-9\-._~+/]{20,}=*)/g,
    { group: 2, minEntropy: 3, prefix: (m) => `${m[1] ?? "Bearer"} ` },
  ),
  regexRule(
    "google-api-key",
    ["aiza"],
    "Google API key",
    /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    {
      prefix: () => "AIza",
    },
  ),
  regexRule(
    "jwt",
    ["eyj"],
    "JSON Web Token",
    /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
    { prefix: () => "eyJ" },
  ),
];

/** Every token rule, in the order their findings win over overlapping ones. */
export const TOKEN_RULES: readonly TokenRule[] = [
  ...PRESET.flatMap((rule) => {
    const name = upstreamName(rule);
    const info = UPSTREAM[name];
    return info ? [upstreamRule(rule, name, info)] : [];
  }),
  ...SUPPLEMENT,
];

/** Names of the upstream rules monobot has keywords for (the test compares them with the preset). */
export const UPSTREAM_RUN: readonly string[] = Object.keys(UPSTREAM);

/** Every keyword of every token rule, lower case. */
export const TOKEN_KEYWORDS: readonly string[] = [
  ...new Set(TOKEN_RULES.flatMap((r) => r.keywords)),
];

// One pass that tells whether any token rule can match at all, before any rule is looked at.
const ANY_KEYWORD = new RegExp(
  TOKEN_KEYWORDS.map((k) => k.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join("|"),
  "i",
);

/** Token findings in one line: only the rules whose keywords the line holds run. */
export function findTokens(line: string): TokenMatch[] {
  if (!ANY_KEYWORD.test(line)) return [];
  const lower = line.toLowerCase();
  const out: TokenMatch[] = [];
  for (const rule of TOKEN_RULES) {
    if (!rule.keywords.some((k) => lower.includes(k))) continue;
    for (const m of rule.find(line)) {
      if (out.some((f) => m.start < f.end && f.start < m.end)) continue;
      out.push(m);
    }
  }
  return out;
}
