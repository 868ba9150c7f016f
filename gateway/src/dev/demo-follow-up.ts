/**
 * What a demo agency's system does after answering (issue 15): it polls the actions it owns
 * (SDK listActions) and marks each open one done with a short note (SDK updateAction), and it
 * reads the research pack circulated to it for each case it is party to, and the minutes of the
 * meetings its actions came from (SDK getCirculatedPack, getMinutes). Logs carry ids and counts
 * only: never a description, a note or anything of a pack.
 */
import { createGatewayClient, type GatewayClient } from '../../../adapters/sdk/client.js';
import { GatewayRejected } from '../../../adapters/sdk/errors.js';

export type FollowUpLog = (line: Record<string, string | number | boolean>) => void;

export interface DemoFollowUp {
  /** A case this agency was asked about (from its inbox): its circulated pack is read on the next round. */
  noteCase(caseId: string): void;
  /** One round, awaited (tests call this instead of waiting for the timer). */
  runOnce(): Promise<{ actionsUpdated: number; packsRead: number; minutesRead: number }>;
  stop(): Promise<void>;
}

/** The note a demo system leaves on an action it completes: fixed text, nothing of the case. */
export const DEMO_ACTION_NOTE = 'Completed in the agency system (demo adapter).';

export function startDemoFollowUp(opts: {
  agencyId: string;
  client?: GatewayClient;
  gateway?: { baseUrl: string; certPem: string; keyPem: string; caPem: string };
  /** Seconds between rounds; 0 or less: no timer (runOnce only). */
  everySeconds: number;
  log: FollowUpLog;
}): DemoFollowUp {
  const client = opts.client ?? createGatewayClient(opts.gateway!);
  const ownClient = !opts.client;
  const cases = new Set<string>();
  const packsRead = new Set<string>();
  const minutesRead = new Set<string>();
  // What was refused as not yet circulated is asked for again only after ten rounds, as a system
  // told nothing would poll: each refusal is an audited ACCESS_DENIED in the gateway's log.
  const notBefore = new Map<string, number>();
  const waitAfterRefusalMs = Math.max(0, opts.everySeconds) * 10_000;
  const due = (key: string) => (notBefore.get(key) ?? 0) <= Date.now();
  const refused = (key: string) => void notBefore.set(key, Date.now() + waitAfterRefusalMs);
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  /** A 404 (not this agency's) or a 409 *_NOT_CIRCULATED (decision 0033: not circulated to it yet): try again next round. */
  async function orNotFound<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof GatewayRejected && (e.status === 404 || (e.status === 409 && e.code.endsWith('_NOT_CIRCULATED')))) return undefined;
      throw e;
    }
  }

  async function round() {
    let actionsUpdated = 0;
    // All its actions, not only the open ones: the minutes of an action's meeting may be circulated
    // after the agency has done it (decision 0033), and are read then.
    const actions = await client.listActions('all');
    for (const a of actions) {
      cases.add(a.caseId);
      if (a.ownerAgencyId !== opts.agencyId || a.status !== 'OPEN') continue;
      await client.updateAction(a.id, { status: 'DONE', note: DEMO_ACTION_NOTE });
      actionsUpdated++;
    }
    let packs = 0;
    let minutes = 0;
    for (const caseId of cases) {
      if (packsRead.has(caseId) || !due(`pack/${caseId}`)) continue;
      const pack = await orNotFound(() => client.getCirculatedPack(caseId));
      if (!pack) {
        refused(`pack/${caseId}`);
        continue;
      }
      packsRead.add(caseId);
      packs++;
      opts.log({ event: 'circulated-pack-read', caseId, sections: Array.isArray(pack.sections) ? pack.sections.length : 0 });
    }
    for (const a of actions) {
      const key = a.meetingId ? `${a.meetingId}/${a.caseId}` : undefined;
      if (!key || minutesRead.has(key) || !due(`minutes/${key}`)) continue;
      const m = await orNotFound(() => client.getMinutes(a.meetingId!, a.caseId));
      if (!m || m.recorded !== true) {
        refused(`minutes/${key}`);
        continue;
      }
      minutesRead.add(key);
      minutes++;
      opts.log({ event: 'minutes-read', caseId: a.caseId, meetingId: a.meetingId!, actions: Array.isArray(m.actions) ? m.actions.length : 0 });
    }
    if (actionsUpdated > 0 || packs > 0 || minutes > 0) opts.log({ event: 'follow-up', actions: actions.length, actionsUpdated, packsRead: packs, minutesRead: minutes });
    return { actionsUpdated, packsRead: packs, minutesRead: minutes };
  }

  function runOnce() {
    const p = running.then(round, round);
    running = p.catch(() => undefined);
    return p;
  }

  const timer = opts.everySeconds > 0
    ? setInterval(() => {
      if (stopped) return;
      runOnce().catch((e: unknown) => opts.log({ event: 'follow-up-failed', code: e instanceof GatewayRejected ? e.code : e instanceof Error ? e.name : 'ERROR' }));
    }, opts.everySeconds * 1000)
    : undefined;
  timer?.unref();

  return {
    noteCase: (caseId) => void cases.add(caseId),
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
      if (ownClient) client.close();
    },
  };
}
