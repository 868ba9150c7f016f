/**
 * A gateway in a child process, for fault tests that kill it with SIGKILL. Reads its world (env,
 * database URL, TLS material) from the JSON file named by GATEWAY_CHILD_SPEC, prints READY.
 * With `clockStepMs` in the spec, each SIGUSR2 moves the gateway's clock that far forward (a test
 * lets time pass on the gateway without waiting for it, as the in-process helper's clock does).
 */
import { readFileSync } from 'node:fs';
import { createGateway } from '../../gateway/src/app.js';
import { loadConfig } from '../../gateway/src/config.js';
import { silentLogger } from '../../gateway/src/logger.js';

const spec = JSON.parse(readFileSync(process.env.GATEWAY_CHILD_SPEC!, 'utf8'));
let offsetMs = 0;
if (typeof spec.clockStepMs === 'number') process.on('SIGUSR2', () => (offsetMs += spec.clockStepMs));
const gateway = await createGateway({
  config: loadConfig(spec.env),
  logger: silentLogger,
  databaseUrl: spec.databaseUrl,
  tls: spec.tls,
  workers: true,
  ...(typeof spec.clockStepMs === 'number' ? { now: () => new Date(Date.now() + offsetMs) } : {}),
});
await gateway.start();
process.stdout.write(`READY ${gateway.agencyUrl}\n`);
