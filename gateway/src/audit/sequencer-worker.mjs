// @ts-check
// Starts the sequencer's worker thread (sequencer-thread.ts). The gateway's sources are
// TypeScript, run through tsx: a worker thread inherits neither the loader of `npm start` nor a
// test runner's, so it registers tsx itself before loading its entry.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./sequencer-worker-entry.ts', import.meta.url).href);
