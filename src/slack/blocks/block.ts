/** One Block Kit block, as JSON: the builders are pure and Slack validates the shape. */
export type Block = Record<string, unknown>;
