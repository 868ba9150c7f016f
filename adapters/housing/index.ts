/**
 * The housing adapter, runnable on its own:
 *   node --import tsx adapters/housing --gateway https://gateway:8443 --cert agency.pem --key agency-key.pem --ca ca.pem [--data dir]
 * See adapters/README.md for every option (config file, push mode, state directory, --check).
 */
import { fileURLToPath } from 'node:url';
import { runAdapterMain } from '../sdk/cli.js';
import { housingDocumentMapping } from './documents.js';

await runAdapterMain({ name: 'housing', mapping: housingDocumentMapping, dataDir: fileURLToPath(new URL('./data/', import.meta.url)) }, process.argv.slice(2));
