// JSON Schema of `deploy.environments` (the promotion list, or the older chart -> environments map) and of freeze windows.

/** One freeze window, as `deploy.freeze` and an environment's own `freeze` write it. */
export const freezeWindowSchema = {
  type: "object",
  additionalProperties: false,
  required: ["reason"],
  properties: {
    days: {
      type: "array",
      minItems: 1,
      uniqueItems: true,
      items: { enum: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] },
    },
    from: { type: "string", minLength: 1 },
    to: { type: "string", minLength: 1 },
    timezone: { type: "string", minLength: 1 },
    reason: { type: "string", minLength: 1 },
  },
} as const;

/** Units in descending order, so `1h30m` reads one way only. */
export const DURATION_PATTERN = "^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$";

const environmentSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "pins"],
  properties: {
    name: {
      type: "string",
      pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
      description:
        "must be an environment name of letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. staging",
    },
    production: { type: "boolean" },
    pins: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["file", "key"],
        properties: {
          file: {
            type: "string",
            pattern: "^[^/\\s][^\\s]*$",
            description:
              "must be a relative path in the config repo, e.g. envs/{environment}/values.yaml",
          },
          key: { type: "string", minLength: 1 },
        },
      },
    },
    verify: {
      type: "object",
      additionalProperties: false,
      properties: {
        jobs: {
          type: "array",
          uniqueItems: true,
          items: { type: "string", minLength: 1 },
        },
        soak: {
          type: "string",
          pattern: DURATION_PATTERN,
          description: "must be a duration such as 20s, 10m, 1h or 1h30m",
        },
      },
    },
    auto_merge: { type: "boolean" },
    freeze: { type: "array", items: freezeWindowSchema },
  },
} as const;

/**
 * `deploy.environments`: a list of environments in promotion order, or (older form, still
 * accepted) a map of chart folder -> environment names for the deploy preview. A type union
 * instead of `anyOf`, so an error inside either form is reported once, at its own key.
 */
export const environmentsSchema = {
  type: ["object", "array"],
  additionalProperties: { type: "array", items: { type: "string", minLength: 1 } },
  items: environmentSchema,
} as const;
