// The tests use the same local Slack Web API stand-in that the local mode serves.
export * from '../../src/local/slack-api-standin.js';
