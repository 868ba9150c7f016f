import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import { startAdapter, type AdapterDefinition, type RunningAdapter } from '../../../adapters/sdk/cli.js';
import { policeMapping } from '../../../adapters/police/map.js';
import { nhsMapping } from '../../../adapters/nhs/map.js';
import { housingMapping } from '../../../adapters/housing/map.js';
import { adultSocialCareMapping, childrensSocialCareMapping } from '../../../adapters/social-care/map.js';
import { probationMapping } from '../../../adapters/probation/map.js';
import { idvaMapping } from '../../../adapters/idva/map.js';
import type { AgencyCredentials } from './demo-agencies.js';
import { startDemoFollowUp, type DemoFollowUp } from './demo-follow-up.js';

const data = (name: string) => fileURLToPath(new URL(`../../../adapters/${name}/data/`, import.meta.url));

/** Which demo agency runs which adapter (the health agencies share the NHS FHIR adapter). */
const DEMO_ADAPTERS: Record<string, AdapterDefinition> = {
  'essex-police': { name: 'police', mapping: policeMapping, dataDir: data('police') },
  'mse-hospitals': { name: 'nhs', mapping: nhsMapping, dataDir: data('nhs') },
  'essex-gp-federation': { name: 'nhs', mapping: nhsMapping, dataDir: data('nhs') },
  'eput-mental-health': { name: 'nhs', mapping: nhsMapping, dataDir: data('nhs') },
  'chelmsford-housing': { name: 'housing', mapping: housingMapping, dataDir: data('housing') },
  'essex-childrens-services': { name: 'social-care', mapping: childrensSocialCareMapping, dataDir: data('social-care') },
  'essex-adult-social-care': { name: 'social-care', mapping: adultSocialCareMapping, dataDir: data('social-care') },
  'kss-probation': { name: 'probation', mapping: probationMapping, dataDir: data('probation') },
  'safe-steps-idva': { name: 'idva', mapping: idvaMapping, dataDir: data('idva') },
};

/**
 * The embedded default's demo adapters: one pull-mode adapter per demo agency, in this process,
 * over real mTLS with the agency's own certificate, answering from the synthetic data sets.
 */
export async function startDemoAdapters(opts: {
  gatewayUrl: string;
  caPem: string;
  creds: Map<string, AgencyCredentials>;
  logger: Logger;
  /**
   * Seconds between an adapter's follow-up rounds (demo-follow-up.ts: its actions marked done,
   * circulated packs and minutes read): DEMO_ADAPTER_FOLLOW_UP_SECONDS through the config; 0 or
   * absent is off.
   */
  followUpSeconds?: number;
}): Promise<{ stop: () => Promise<void> }> {
  const running: RunningAdapter[] = [];
  const followUps: DemoFollowUp[] = [];
  const every = opts.followUpSeconds ?? 0;
  for (const [agencyId, def] of Object.entries(DEMO_ADAPTERS)) {
    const c = opts.creds.get(agencyId);
    if (!c) continue;
    const followUp = every > 0
      ? startDemoFollowUp({
        agencyId, everySeconds: every,
        gateway: { baseUrl: opts.gatewayUrl, certPem: c.certPem, keyPem: c.keyPem, caPem: opts.caPem },
        log: (line) => opts.logger.debug('demo adapter follow-up', { agencyId, ...line }),
      })
      : undefined;
    if (followUp) followUps.push(followUp);
    running.push(
      await startAdapter(
        def,
        {
          gateway: opts.gatewayUrl,
          certPem: c.certPem,
          keyPem: c.keyPem,
          caPem: opts.caPem,
          dataDir: def.dataDir,
          mode: 'pull',
          gatewayId: 'marac-gateway',
          waitSeconds: 20,
          once: false,
          check: false,
          extra: {},
        },
        // Adapter events carry ids, counts and codes only; keep them at debug level.
        {
          log: (line) => opts.logger.debug('demo adapter', { agencyId, ...line }),
          ...(followUp ? { onMessage: (m: { caseId: string }) => followUp.noteCase(m.caseId) } : {}),
        },
      ),
    );
  }
  opts.logger.info('demo adapters running', { count: running.length });
  return {
    async stop() {
      await Promise.allSettled([...followUps.map((f) => f.stop()), ...running.map((r) => r.stop())]);
    },
  };
}
