/**
 * A gateway in a child process, for fault tests that kill it with SIGKILL. Reads its world (env,
 * database URL, TLS material) from the JSON file named by GATEWAY_CHILD_SPEC, prints READY.
 */
import { readFileSync } from 'node:fs';
import { createGateway } from '../../gateway/src/app.js';
import { loadConfig } from '../../gateway/src/config.js';
import { silentLogger } from '../../gateway/src/logger.js';

const spec = JSON.parse(readFileSync(process.env.GATEWAY_CHILD_SPEC!, 'utf8'));
const gateway = await createGateway({
  config: loadConfig(spec.env),
  logger: silentLogger,
  databaseUrl: spec.databaseUrl,
  tls: spec.tls,
  workers: true,
});
await gateway.start();
process.stdout.write(`READY ${gateway.agencyUrl}\n`);
