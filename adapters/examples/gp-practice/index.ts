/** Worked example entry: `node --import tsx adapters/examples/gp-practice --config adapters/examples/gp-practice/gp-practice.config.example.json` */
import { fileURLToPath } from 'node:url';
import { runAdapterMain } from '@marac/adapter-sdk';
import { gpPracticeMapping } from './map.js';

// dataDir is unused with a `source` in the config; it is the default for --data.
await runAdapterMain({ name: 'gp-practice', mapping: gpPracticeMapping, dataDir: fileURLToPath(new URL('./exports/', import.meta.url)) }, process.argv.slice(2));
