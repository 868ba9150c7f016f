/** Worked example entry: `node --import tsx adapters/examples/mental-health --config adapters/examples/mental-health/mental-health.config.example.json` */
import { fileURLToPath } from 'node:url';
import { runAdapterMain } from '@marac/adapter-sdk';
import { mentalHealthMapping } from './map.js';

await runAdapterMain({ name: 'mental-health', mapping: mentalHealthMapping, dataDir: fileURLToPath(new URL('./data/', import.meta.url)) }, process.argv.slice(2));
