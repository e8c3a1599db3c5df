// JSON Schema of the merged policy; `policies/default.yml` documents each key in words.

const globList = {
  type: "array",
  items: { type: "string", minLength: 1 },
} as const;

const componentDefinition = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: { type: "string" },
    image: { type: "string", minLength: 1 },
    chart: { type: "string", minLength: 1 },
    depends_on: { type: "array", items: { type: "string", minLength: 1 } },
  },
} as const;

// Sections owned by features still to come are open mappings until those features define them.
const openSection = { type: "object" } as const;

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
      required: ["ignore", "prerelease", "tag"],
      properties: {
        ignore: globList,
        prerelease: { enum: ["allow", "forbid"] },
        tag: {
          type: "string",
          pattern: "\\{version\\}",
          description: "must contain the {version} placeholder, e.g. {component}/v{version}",
        },
      },
    },
    charts: {
      type: "object",
      additionalProperties: false,
      required: ["paths", "ignore"],
      properties: { paths: globList, ignore: globList },
    },
    checks: {
      type: "object",
      required: ["disabled", "max_annotations"],
      properties: {
        disabled: {
          type: "array",
          items: {
            enum: ["config", "components", "lint", "license", "dco", "versions", "secrets"],
          },
        },
        max_annotations: { type: "integer", minimum: 1, maximum: 10000 },
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
    jobs: openSection,
    deploy: openSection,
    secrets: openSection,
  },
} as const;
