export * from '../../src/local/slack-signing.js';
