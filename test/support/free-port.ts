export * from '../../src/local/free-port.js';
