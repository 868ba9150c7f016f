/**
 * The police adapter, runnable on its own:
 *   node --import tsx adapters/police --gateway https://gateway:8443 --cert agency.pem --key agency-key.pem --ca ca.pem [--data dir]
 * See adapters/README.md for every option (config file, push mode, state directory, --check); a
 * config file's "source" runs it on the force's SQL views or a CSV export instead of the JSON export.
 */
import { fileURLToPath } from 'node:url';
import { runAdapterMain } from '../sdk/cli.js';
import { policeDocumentMapping } from './documents.js';

await runAdapterMain({ name: 'police', mapping: policeDocumentMapping, dataDir: fileURLToPath(new URL('./data/', import.meta.url)) }, process.argv.slice(2));
