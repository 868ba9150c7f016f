/**
 * The bare Express baseline (exchange-baseline.ts) in a process of its own, so that an open-loop
 * comparison puts it on the same footing as a gateway in a child process: neither shares an event
 * loop with the load generator. Reads the TLS material from the JSON file named by
 * BASELINE_CHILD_SPEC ({ caPem, serverCertPem, serverKeyPem }) and prints `READY <url>`.
 */
import { readFileSync } from 'node:fs';
import { httpsServerOptions } from '../../gateway/src/identity/mtls.js';
import { startBaselineServer } from './exchange-baseline.js';

const spec = JSON.parse(readFileSync(process.env.BASELINE_CHILD_SPEC!, 'utf8'));
const server = await startBaselineServer(httpsServerOptions(spec));
process.stdout.write(`READY ${server.baseUrl}\n`);
