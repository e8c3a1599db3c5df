// JSON Schema of the merged policy, and the Policy type derived from it (one source: the two
// cannot drift); `policies/default.yml` documents each key in words.
import type { FromSchema } from "json-schema-to-ts";
import { environmentsSchema, freezeWindowSchema } from "./environments-schema.js";

const globList = {
  type: "array",
  items: { type: "string", minLength: 1 },
} as const;

/** A dotted path into a chart's values.yaml, e.g. image.tag. */
const valuesKey = {
  type: "string",
  pattern: "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$",
  description: "must be a dotted path of keys into values.yaml, e.g. image.tag",
} as const;

const componentDefinition = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: { type: "string" },
    image: { type: "string", minLength: 1 },
    chart: {
      description: "must be a chart folder in the config repo, or a list of them",
      anyOf: [
        { type: "string", minLength: 1 },
        { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
      ],
    },
    depends_on: { type: "array", items: { type: "string", minLength: 1 } },
    values_key: valuesKey,
  },
} as const;

/** Inputs of a job: names to strings (workflow_dispatch inputs are strings). */
const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;

/** Credential names point into the server's environment, never at values. */
const credentialName = (variable: string, example: string) =>
  ({
    type: "string",
    pattern: "^[A-Z][A-Z0-9_]*$",
    description: `must be the NAME in ${variable}, in capitals, e.g. ${example}`,
  }) as const;

/** Keys of a job's backend, shared by the job and its per-component overrides. */
const backendProperties = {
  type: { enum: ["github-actions", "repository-dispatch", "jenkins", "webhook"] },
  workflow: { type: "string", minLength: 1 },
  ref: { type: "string", minLength: 1 },
  return_run_details: { type: "boolean" },
  event_type: { type: "string", minLength: 1 },
  url: { type: "string", minLength: 1 },
  job: { type: "string", minLength: 1 },
  credentials: credentialName("MONOBOT_CI_<NAME>_USER and _TOKEN", "JENKINS"),
  crumb: { type: "boolean" },
  secret: credentialName("MONOBOT_CI_<NAME>_SECRET", "HOOK"),
} as const;

/**
 * Commands an access rule may name: the names of the command table (src/core/commands.ts, which
 * cannot be imported here without a circle; test/core/access-config.test.ts keeps the two equal).
 */
export const ACCESS_COMMANDS = [
  "recheck",
  "retest",
  "test",
  "ok-to-test",
  "bump",
  "sync-secrets",
  "deploy-anyway",
  "promote",
  "rollback",
  "hold",
  "unhold",
  "help",
] as const;

/** A team as `org/team-slug`; `{name}` stands for a segment a rule's paths capture. */
const accessTeams = {
  type: "array",
  minItems: 1,
  items: {
    type: "string",
    pattern: "^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9{}._-]+$",
    description: "must name a team as org/team-slug, e.g. acme/platform",
  },
} as const;

/** `access`: who must approve changes to which paths or environments (docs/access.md). */
const accessSection = {
  type: "object",
  additionalProperties: false,
  required: ["rules", "owners"],
  properties: {
    rules: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "approve"],
        properties: {
          name: { type: "string", minLength: 1 },
          paths: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
          environments: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
          approve: {
            type: "object",
            additionalProperties: false,
            required: ["count", "teams"],
            properties: {
              count: { type: "integer", minimum: 1, maximum: 50 },
              teams: accessTeams,
            },
          },
          commands: { type: "array", uniqueItems: true, items: { enum: ACCESS_COMMANDS } },
        },
      },
    },
    unmatched: { enum: ["require", "allow", "deny"] },
    owners: {
      type: "object",
      additionalProperties: false,
      required: ["teams"],
      properties: {
        teams: accessTeams,
        count: { type: "integer", minimum: 1, maximum: 50 },
      },
    },
  },
} as const;

export const policySchema = {
  type: "object",
  additionalProperties: false,
  required: ["components", "versions", "charts", "checks", "triggers", "jobs", "deploy", "secrets"],
  properties: {
    components: {
      type: "object",
      additionalProperties: false,
      required: ["discover", "exclude", "define"],
      properties: {
        discover: globList,
        exclude: globList,
        define: {
          type: "object",
          additionalProperties: componentDefinition,
          propertyNames: {
            pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]*$",
          },
        },
      },
    },
    versions: {
      type: "object",
      additionalProperties: false,
      required: ["ignore", "prerelease", "tag", "preid", "every_change"],
      properties: {
        ignore: globList,
        prerelease: { enum: ["allow", "forbid"] },
        tag: {
          type: "string",
          pattern: "\\{version\\}",
          description: "must contain the {version} placeholder, e.g. {component}/v{version}",
        },
        preid: {
          type: "string",
          pattern: "^[0-9]*[A-Za-z-][0-9A-Za-z-]*$",
          description:
            "must be one pre-release identifier of letters, digits and hyphens with at least one letter, e.g. dev or rc",
        },
        every_change: { type: "boolean" },
      },
    },
    charts: {
      type: "object",
      additionalProperties: false,
      required: ["paths", "ignore", "app_version"],
      properties: {
        paths: globList,
        ignore: globList,
        app_version: {
          type: "object",
          additionalProperties: {
            type: "string",
            pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]*$",
            description: "must be a component name, e.g. roc-api",
          },
        },
      },
    },
    checks: {
      type: "object",
      required: ["disabled", "max_annotations", "lint", "license", "dco", "secrets"],
      properties: {
        disabled: {
          type: "array",
          items: {
            enum: ["config", "components", "lint", "license", "dco", "versions", "secrets"],
          },
        },
        max_annotations: { type: "integer", minimum: 1, maximum: 10000 },
        lint: {
          type: "object",
          additionalProperties: false,
          required: ["rules", "overrides", "max_file_kb", "forbid", "jsonc", "generated", "binary"],
          properties: {
            rules: {
              type: "object",
              additionalProperties: false,
              required: [
                "parse",
                "conflict_markers",
                "max_size",
                "forbidden_path",
                "final_newline",
                "trailing_whitespace",
              ],
              properties: {
                parse: { enum: ["failure", "warning", "notice", "off"] },
                conflict_markers: { enum: ["failure", "warning", "notice", "off"] },
                max_size: { enum: ["failure", "warning", "notice", "off"] },
                forbidden_path: { enum: ["failure", "warning", "notice", "off"] },
                final_newline: { enum: ["failure", "warning", "notice", "off"] },
                trailing_whitespace: { enum: ["failure", "warning", "notice", "off"] },
              },
            },
            overrides: {
              type: "array",
              items: {
                type: "object",
                additionalProperties: false,
                required: ["paths", "rules"],
                properties: {
                  paths: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
                  rules: {
                    type: "object",
                    additionalProperties: false,
                    properties: {
                      parse: { enum: ["failure", "warning", "notice", "off"] },
                      conflict_markers: { enum: ["failure", "warning", "notice", "off"] },
                      max_size: { enum: ["failure", "warning", "notice", "off"] },
                      forbidden_path: { enum: ["failure", "warning", "notice", "off"] },
                      final_newline: { enum: ["failure", "warning", "notice", "off"] },
                      trailing_whitespace: { enum: ["failure", "warning", "notice", "off"] },
                    },
                  },
                },
              },
            },
            max_file_kb: { type: "integer", minimum: 1 },
            forbid: { type: "array", items: { type: "string", minLength: 1 } },
            jsonc: { type: "array", items: { type: "string", minLength: 1 } },
            generated: { type: "array", items: { type: "string", minLength: 1 } },
            binary: { type: "array", items: { type: "string", minLength: 1 } },
          },
        },
        license: {
          type: "object",
          additionalProperties: false,
          required: [
            "level",
            "scope",
            "within_lines",
            "allowed",
            "copyright",
            "exclude",
            "require_license_file",
          ],
          properties: {
            level: { enum: ["failure", "warning", "notice", "off"] },
            scope: { enum: ["added", "changed"] },
            within_lines: { type: "integer", minimum: 1, maximum: 100 },
            allowed: {
              type: "array",
              minItems: 1,
              items: {
                type: "string",
                pattern: "^[A-Za-z0-9][A-Za-z0-9.+-]*$",
                description:
                  "must be an SPDX license identifier such as Apache-2.0 or LicenseRef-Acme",
              },
            },
            copyright: { type: "string" },
            exclude: { type: "array", items: { type: "string", minLength: 1 } },
            require_license_file: { type: "boolean" },
          },
        },
        dco: {
          type: "object",
          additionalProperties: false,
          required: ["exempt", "squash"],
          properties: {
            exempt: { type: "array", items: { type: "string", minLength: 1 } },
            squash: { type: "boolean" },
          },
        },
        secrets: {
          type: "object",
          additionalProperties: false,
          required: ["rules", "allow", "min_length", "min_entropy"],
          properties: {
            rules: {
              type: "object",
              additionalProperties: false,
              required: ["private_key", "token", "assignment"],
              properties: {
                private_key: { enum: ["failure", "warning", "notice", "off"] },
                token: { enum: ["failure", "warning", "notice", "off"] },
                assignment: { enum: ["failure", "warning", "notice", "off"] },
              },
            },
            allow: { type: "array", items: { type: "string", minLength: 1 } },
            min_length: { type: "integer", minimum: 6, maximum: 200 },
            min_entropy: { type: "number", minimum: 0, maximum: 8 },
          },
        },
      },
    },
    triggers: {
      type: "object",
      additionalProperties: false,
      required: ["recheck", "trusted_associations", "trusted_permission", "skip_drafts"],
      properties: {
        recheck: { type: "string", minLength: 1 },
        trusted_associations: {
          type: "array",
          // Every association GitHub sends is accepted (configs written before the rule changed stay
          // valid), but only OWNER and MEMBER are a fast path: the others, COLLABORATOR included
          // (it covers read-only outside collaborators), are confirmed against trusted_permission.
          items: {
            enum: [
              "OWNER",
              "MEMBER",
              "COLLABORATOR",
              "CONTRIBUTOR",
              "FIRST_TIME_CONTRIBUTOR",
              "FIRST_TIMER",
              "MANNEQUIN",
              "NONE",
            ],
          },
        },
        trusted_permission: { enum: ["read", "triage", "write", "maintain", "admin"] },
        skip_drafts: { type: "boolean" },
      },
    },
    jobs: {
      type: "object",
      additionalProperties: false,
      required: ["variables", "max_dispatch_inputs", "timeout_minutes", "templates"],
      properties: {
        variables: {
          type: "object",
          propertyNames: {
            pattern: "^[A-Za-z_][A-Za-z0-9_-]*$",
            description:
              "names variables with letters, digits, _ and -, starting with a letter or _, e.g. api-version",
          },
          additionalProperties: { type: "string" },
        },
        max_dispatch_inputs: { type: "integer", minimum: 1, maximum: 25 },
        timeout_minutes: { type: "integer", minimum: 1, maximum: 10080 },
        templates: {
          type: "object",
          propertyNames: {
            pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
            description:
              "names jobs with up to 100 letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. verify",
          },
          additionalProperties: {
            type: "object",
            additionalProperties: false,
            required: ["on", "backend"],
            properties: {
              on: {
                anyOf: [
                  {
                    enum: [
                      "pull_request",
                      "postmerge",
                      "release",
                      "schedule",
                      "chart_release",
                      "deployed",
                    ],
                  },
                  {
                    type: "array",
                    minItems: 1,
                    uniqueItems: true,
                    items: {
                      enum: [
                        "pull_request",
                        "postmerge",
                        "release",
                        "schedule",
                        "chart_release",
                        "deployed",
                      ],
                    },
                  },
                ],
              },
              cron: { type: "string", minLength: 1 },
              timezone: { type: "string", minLength: 1 },
              backend: {
                type: "object",
                additionalProperties: false,
                required: ["type"],
                properties: backendProperties,
              },
              inputs: stringMap,
              components: { type: "array", items: { type: "string", minLength: 1 } },
              paths: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
              overrides: {
                type: "object",
                additionalProperties: {
                  type: "object",
                  additionalProperties: false,
                  properties: {
                    inputs: stringMap,
                    backend: {
                      type: "object",
                      additionalProperties: false,
                      properties: backendProperties,
                    },
                  },
                },
              },
              timeout_minutes: { type: "integer", minimum: 1, maximum: 10080 },
            },
          },
        },
      },
    },
    deploy: {
      type: "object",
      additionalProperties: false,
      required: [
        "config_repo",
        "values_key",
        "chart_bump",
        "environments",
        "auto_merge",
        "merge_method",
        "freeze",
      ],
      properties: {
        config_repo: {
          type: "string",
          pattern: "^$|^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
          description:
            'must be owner/name of the config repository, e.g. acme/aether-config ("" for none)',
        },
        values_key: valuesKey,
        chart_bump: { enum: ["patch", "follow"] },
        environments: environmentsSchema,
        auto_merge: { type: "boolean" },
        merge_method: { enum: ["merge", "squash", "rebase"] },
        freeze: { type: "array", items: freezeWindowSchema },
        dashboard: { type: "boolean" },
      },
    },
    access: accessSection,
    secrets: {
      type: "object",
      additionalProperties: false,
      required: ["file", "prune", "key_ids"],
      properties: {
        file: {
          type: "string",
          pattern: "^[^/\\s][^\\s]*\\.ya?ml$",
          description: "must be a relative path to a .yml or .yaml file, e.g. secrets.yml",
        },
        prune: { type: "boolean" },
        key_ids: {
          type: "array",
          uniqueItems: true,
          items: {
            type: "string",
            pattern: "^[0-9a-f]{16}$",
            description:
              "must be a key id as `monobot secrets public-key` prints it (16 hex digits)",
          },
        },
      },
    },
  },
} as const;

/** The merged policy, as the schema above describes it. */
export type Policy = FromSchema<typeof policySchema>;

export type ComponentDefinition = Policy["components"]["define"][string];
/** One freeze window of `deploy.freeze`: weekly (`days`) or one-off (date-times). */
export type FreezeWindowConfig = Policy["deploy"]["freeze"][number];
/** The `access` section, when a repository sets one. */
export type AccessConfig = NonNullable<Policy["access"]>;
