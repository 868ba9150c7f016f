/**
 * The social care adapter, runnable on its own as children's or adults' services (two agencies at
 * the gateway, one export):
 *   node --import tsx adapters/social-care --service children|adults --gateway https://... --cert ... --key ... --ca ... [--data dir]
 * See adapters/README.md for every option.
 */
import { fileURLToPath } from 'node:url';
import { runAdapterMain } from '../sdk/cli.js';
import { adultSocialCareMapping, childrensSocialCareMapping } from './map.js';

const argv = process.argv.slice(2);
const i = argv.findIndex((a) => a === '--service' || a.startsWith('--service='));
const service = i < 0 ? undefined : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
if (service !== 'children' && service !== 'adults') {
  process.stderr.write('social-care adapter: --service children|adults is required\n');
  process.exitCode = 2;
} else {
  const rest = argv.filter((_, j) => j !== i && (argv[i]!.includes('=') || j !== i + 1));
  await runAdapterMain({
    name: service === 'children' ? 'childrens-social-care' : 'adult-social-care',
    mapping: service === 'children' ? childrensSocialCareMapping : adultSocialCareMapping,
    dataDir: fileURLToPath(new URL('./data/', import.meta.url)),
  }, rest);
}
