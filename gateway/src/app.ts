import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type pg from 'pg';
import type { Worker } from 'bullmq';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import { createPool, isDatabaseUnavailable } from './store/db.js';
import { ServiceUnavailable } from './errors.js';
import { prepareDatabase } from './store/prepare.js';
import { createSchemaRegistry } from './schema/registry.js';
import { createSealer } from './store/sealed-box.js';
import { createCaseKeys, withCaseKeys } from './store/case-keys.js';
import { createCasePurge, type CasePurge } from './exchange/case-purge.js';
import { createRetentionQueue, scanOnce, startRetentionWorker } from './queue/retention-queue.js';
import { defaultDeadline, addWorkingDays } from './exchange/working-days.js';
import { createAgencyRegistry, type AgencyRegistry } from './identity/agency-registry.js';
import { createAccessionService, type AccessionService } from './policy/accession/service.js';
import { createAgencyAuthenticator, httpsServerOptions, pinPeerPerConnection } from './identity/mtls.js';
import { requireCurrentCertificate } from './identity/delivery-check.js';
import type { GatewayTls } from './dev/dev-pki.js';
import { createInboxSignal } from './exchange/inbox-signal.js';
import { createCaseService } from './exchange/case-service.js';
import { createCaseSearchTokens } from './exchange/case-search.js';
import { createCaseLifecycle, type CaseLifecycle } from './exchange/case-lifecycle.js';
import { createRequestService } from './exchange/request-service.js';
import { createInboxService } from './exchange/inbox-service.js';
import { createResponseService } from './exchange/response-service.js';
import { createPackService } from './exchange/pack-service.js';
import { createDeadlineService } from './exchange/deadline-service.js';
import { createPushClient, createPushDelivery } from './exchange/push-delivery.js';
import type { ExchangeDeps } from './exchange/deps.js';
import type { AgencyDirectory } from './exchange/ports.js';
import { createQueueBackend } from './queue/backend.js';
import { createDeliveryQueue, startDeliveryWorker } from './queue/delivery-queue.js';
import { createDeadlineQueue, startDeadlineWorker } from './queue/deadline-queue.js';
import { createMaintenanceQueue, startMaintenanceWorker, sweep } from './queue/maintenance-queue.js';
import { createNotificationQueue, startNotificationWorker } from './queue/notification-queue.js';
import { createNotifications, type Notifications } from './notifications/service.js';
import { apiSecurityHeaders } from './http/api-headers.js';
import { createAgencyRouter } from './http/agency-routes.js';
import { createAgencyLimiter } from './http/agency-limits.js';
import { createInFlight } from './http/in-flight.js';
import { createMetrics, createOpsRouter, createPublicInfoRouter } from './http/ops-routes.js';
import { clientErrorResponder, errorHandler, notFoundHandler, requireJson } from './http/problem.js';
import { requestContext } from './http/request-id.js';
import { rejectDuplicateKeys } from './http/strict-json.js';
import { createAuditLog, createCheckpointer, tokensForSubject } from './audit/index.js';
import { createWitnessing, parseWitnessEndpoints, type Witnessing } from './audit/witnessing.js';
import { createPolicyPort } from './wiring/policy-port.js';
import { createAgreementService } from './policy/lifecycle/index.js';
import { loadGuardrails } from './policy/index.js';
import { fieldCatalog } from './schema/catalog.js';
import { existsSync, readFileSync } from 'node:fs';
import { createReferralService, type ReferralService } from './referrals/service.js';
import { defaultReferralCriteria, loadReferralCriteria } from './referrals/criteria-config.js';
import { createReferralAgencyRouter } from './http/referral-routes.js';
import { createDataReturnService, type DataReturnService } from './reporting/data-return.js';
import { createDashboardService, type DashboardService } from './reporting/dashboard.js';
import { createReportRouter } from './http/report-routes.js';
import { createMeetingService, type MeetingService } from './meetings/meeting-service.js';
import { createMeetingAgencyRouter } from './http/meeting-routes.js';
import { createMinutesService, type MinutesService } from './meetings/minutes-service.js';
import { createActionService, type ActionService } from './meetings/action-service.js';
import { createActionAgencyRouter } from './http/action-routes.js';
import { createCirculationService, type CirculationService } from './meetings/circulation-service.js';
import { circulatedPackForDocument } from './meetings/circulated-pack-document.js';
import { createCirculationAgencyRouter } from './http/circulation-routes.js';
import { createMeetingCirculation, type MeetingCirculation } from './meetings/meeting-circulation.js';
import { createMeetingCirculationRouter } from './http/meeting-circulation-routes.js';
import { createTransferAgencyRouter } from './http/transfer-routes.js';
import { createTransferService, type TransferService } from './transfers/transfer-service.js';
import { createDocumentService, type DocumentService } from './documents/document-service.js';
import { createDocumentAgencyRouter } from './http/document-routes.js';


export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  databaseUrl: string;
  /** The migration owner's URL (else config's MIGRATION_DATABASE_URL); see store/prepare.ts. */
  migrationDatabaseUrl?: string;
  tls: GatewayTls;
  now?: () => Date;
  /** Run BullMQ workers in this process (default true). */
  workers?: boolean;
  /** Extra routers for the people-facing listener (UI, OIDC), mounted by main.ts or tests. */
  web?: (app: Express, g: Gateway) => void | Promise<void>;
}

export interface Gateway {
  pool: pg.Pool;
  registry: AgencyRegistry;
  agreements: ReturnType<typeof createAgreementService>;
  /** Providers joining or leaving agreements in force (policy/accession). */
  accessions: AccessionService;
  audit: ReturnType<typeof createAuditLog>;
  checkpointer: ReturnType<typeof createCheckpointer>;
  /** Sends checkpoints to the audit witnesses; reports how far the log is witnessed. */
  witness: Witnessing;
  exchange: {
    cases: ReturnType<typeof createCaseService>;
    requests: ReturnType<typeof createRequestService>;
    inbox: ReturnType<typeof createInboxService>;
    responses: ReturnType<typeof createResponseService>;
    packs: ReturnType<typeof createPackService>;
    deadlines: ReturnType<typeof createDeadlineService>;
    /** Edit, withdraw, close and reopen a case. */
    lifecycle: CaseLifecycle;
    /** Retention of whole cases (exchange/case-purge.ts); `scanNow` runs one scan and purges what is due, in-process. */
    retention: CasePurge & { scanNow(): Promise<unknown> };
  };
  referrals: ReferralService;
  /** Notifications derived from the audit log, their outbox and transports (notifications/). */
  notifications: Notifications;
  /** The SafeLives data return and the steering-group dashboard (reporting/). */
  reports: { dataReturn: DataReturnService; dashboard: DashboardService };
  /** Meetings, their agendas and attendance (meetings/meeting-service.ts). */
  meetings: MeetingService;
  /** Minutes of a case at a meeting, and the case's action plan (meetings/). */
  minutes: MinutesService;
  actions: ActionService;
  /** Minutes, actions and the research pack released to each partner under MARAC_ACTION_REVIEW (docs/decisions/0027). */
  circulation: CirculationService;
  /** The coordinator circulating a meeting's packs or minutes to every party agency (meetings/meeting-circulation.ts). */
  meetingCirculation: MeetingCirculation;
  /** MARAC-to-MARAC transfers under inter-area agreements (transfers/; docs/decisions/0029). */
  transfers: TransferService;
  /** Word and PDF documents of the pack and the minutes, each for one recipient agency (documents/). */
  documents: DocumentService;
  sweepNow(): Promise<unknown>;
  /** The delivery queue (tests inspect jobs; nothing else should reach past the services). */
  deliveryJobs: ReturnType<typeof createDeliveryQueue>;
  agencyApp: Express;
  webApp: Express;
  opsApp: Express;
  agencyUrl: string;
  webUrl: string;
  /** The operations listener (/readyz, /metrics), http://127.0.0.1:<OPS_PORT> by default. */
  opsUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The composition root: every service built by hand, in one place (Unleash style). Nothing here
 * decides anything; it only connects the parts.
 */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config: cfg, logger } = opts;
  const now = opts.now ?? (() => new Date());
  const pool = createPool(opts.databaseUrl, 20);
  // Migrations as the owner; production refuses a runtime role that could alter the audit log.
  const migrationUrl = opts.migrationDatabaseUrl ?? cfg.migrationDatabaseUrl;
  await prepareDatabase({ pool, ...(migrationUrl ? { migrationUrl } : {}), production: cfg.mode === 'production', logger }).catch(async (err) => {
    await pool.end().catch(() => {});
    throw err;
  });

  const schemas = createSchemaRegistry();
  const catalog = fieldCatalog();
  const guardrails = loadGuardrails(readFileSync(path.join(cfg.policiesDir, 'guardrails.yaml'), 'utf8'));
  // The master sealer wraps each case's own data key (store/case-keys.ts; decision 0024).
  const masterSealer = createSealer({ keys: cfg.keys.sealing, currentKeyId: cfg.keys.currentSealingKeyId });
  const sealer = withCaseKeys(masterSealer, createCaseKeys({ master: masterSealer }));
  // The checkpointer integrates pending events before signing; the log nudges it every N events.
  let auditRef: ReturnType<typeof createAuditLog> | undefined;
  const checkpointer = createCheckpointer({
    pool,
    signingKeyPem: cfg.keys.auditSigningKeyPem!,
    keyId: cfg.keys.auditKeyId,
    origin: 'marac-gateway',
    now,
    integrate: () => auditRef!.integrate(pool),
  });
  const audit = createAuditLog({ hmacKey: cfg.keys.hmac, now, pool, checkpointer, checkpointEvery: cfg.checkpoint.everyEvents, logger });
  const witness = createWitnessing({
    pool,
    endpoints: parseWitnessEndpoints(cfg.witness.endpoints.map((e) => e.url), cfg.witness.endpoints.map((e) => e.key)),
    now,
    timeoutMs: cfg.witness.timeoutMs,
    maxBackoffMs: cfg.witness.maxBackoffMs,
    logger,
  });
  auditRef = audit;
  const registry = createAgencyRegistry({ pool, audit, ca: opts.tls.ca });
  const agreements = createAgreementService({ pool, audit, catalog, guardrails, now });
  const accessions = createAccessionService({ pool, audit, agreements, registry, now });
  const policy = createPolicyPort({ agreements, hmacKey: cfg.keys.hmac });

  // Cached rows (NOTIFY-invalidated like certificate status): every answered message looks up its
  // sender, and every fan-out its recipients.
  const agencies: AgencyDirectory = {
    async getAgency(id, q) {
      const a = await registry.lookupAgency(id, q);
      if (!a) return undefined;
      return { id: a.id, type: a.type, deliveryMode: a.deliveryMode, ...(a.pushUrl ? { pushUrl: a.pushUrl } : {}), ...(a.maracArea ? { maracArea: a.maracArea } : {}), disabled: a.disabledAt !== null };
    },
  };

  const backend = createQueueBackend({
    ...(cfg.redisUrl ? { redisUrl: cfg.redisUrl } : {}),
    postgresUrl: opts.databaseUrl,
    prefix: cfg.queuePrefix,
  });
  const deliveryQueue = createDeliveryQueue(backend, cfg.delivery);
  const deadlineQueue = createDeadlineQueue(backend);
  const maintenanceQueue = createMaintenanceQueue(backend);
  const notificationQueue = createNotificationQueue(backend);
  const inboxSignal = createInboxSignal(pool);

  const deps: ExchangeDeps = {
    pool,
    audit,
    policy,
    agencies,
    // Jobs are added after commit; while Redis is away the client queues the command until it
    // returns. Do not hold the HTTP answer hostage to that: the row is committed, the job add
    // completes when Redis is back (idempotent by jobId), and the sweeper covers a lost one.
    jobs: {
      enqueueDelivery: (id) => boundedWait(deliveryQueue.add(id), ENQUEUE_WAIT_MS),
      scheduleDeadline: (id, reminderAt, deadline) => boundedWait(deadlineQueue.schedule(id, reminderAt, deadline), ENQUEUE_WAIT_MS),
    },
    sealer,
    validate: (name, data) => schemas.assertValid(name, data),
    subjectTokens: (s) => tokensForSubject(cfg.keys.hmac, s as Parameters<typeof tokensForSubject>[1]),
    caseSearch: createCaseSearchTokens(cfg.keys.hmac),
    now,
    deadlines: {
      defaultDeadline: (meetingDate) =>
        defaultDeadline(meetingDate, { workingDaysBefore: cfg.deadlines.workingDaysBefore, cutoffHour: cfg.deadlines.cutoffHour, timeZone: 'Europe/London' }),
      // The same time of day, n working days earlier.
      reminderAt: (deadline) => new Date(`${addWorkingDays(deadline, -cfg.deadlines.reminderWorkingDaysBefore)}T${deadline.toISOString().slice(11)}`),
    },
    inboxSignal,
  };
  const cases = createCaseService(deps);
  const requests = createRequestService(deps);
  const inbox = createInboxService({ ...deps, inboxWait: inboxSignal.wait });
  const responses = createResponseService(deps);
  const packs = createPackService(deps);
  const lifecycle = createCaseLifecycle({ ...deps, validateCase: (name, data) => schemas.assertValid(name, data) });
  const deadlines = createDeadlineService(deps);
  const casePurge = createCasePurge({ pool, audit, policy, caseKeys: sealer.caseKeys, now });
  const retentionQueue = createRetentionQueue(backend);
  // Referral criteria per area (policies/referrals/criteria.yaml): checked at start-up, every problem listed.
  const criteriaFile = path.join(cfg.policiesDir, 'referrals', 'criteria.yaml');
  const referrals = createReferralService({
    exchange: deps,
    criteria: existsSync(criteriaFile) ? loadReferralCriteria(readFileSync(criteriaFile, 'utf8')) : defaultReferralCriteria(),
    validate: (name, data) => schemas.assertValid(name, data),
  });
  const minutesActionsDeps = { pool, audit, sealer, agencies, now, validate: (name: 'case-minutes' | 'case-action' | 'case-action-update', data: unknown) => schemas.assertValid(name, data) };
  const minutes = createMinutesService(minutesActionsDeps);
  const actions = createActionService({ ...minutesActionsDeps, policy });
  const circulation = createCirculationService({ pool, audit, policy, agencies, sealer, now });
  const meetingCirculation = createMeetingCirculation({ pool, audit, agencies, circulation, now, validate: (name, data) => schemas.assertValid(name, data) });
  const transfers = createTransferService({ exchange: deps, validate: (name, data) => schemas.assertValid(name, data) });
  const documents = createDocumentService({
    packs, agencies: registry, catalog, now,
    // The release for one recipient, read and audited as DOCUMENT_PRODUCED in one transaction.
    releaseMinutes: async (actor, meetingId, caseId, format, recipientAgencyId) => {
      const m = await circulation.minutesFor(actor, meetingId, caseId, {
        audit: 'DOCUMENT_PRODUCED', detail: { document: 'minutes', format }, ...(recipientAgencyId ? { recipientAgencyId } : {}),
      });
      return { meeting: { id: m.meeting.id, startsAt: m.meeting.startsAt }, released: m };
    },
    releaseCirculatedPack: circulatedPackForDocument({ pool, sealer, now, circulation }),
  });
  const meetings = createMeetingService({ pool, audit, sealer, agencies, now, validate: (name, data) => schemas.assertValid(name, data) });
  const dataReturn = createDataReturnService({ pool, audit, sealer, agencies, now });
  const reports = { dataReturn, dashboard: createDashboardService({ pool, audit, sealer, agencies, now, returns: dataReturn }) };
  const push = createPushClient(
    { certPem: opts.tls.clientCertPem, keyPem: opts.tls.clientKeyPem, caPem: opts.tls.ca.certPem },
    cfg.delivery.timeoutMs,
  );
  const pushDelivery = createPushDelivery({ ...deps, inbox, push });
  // Push messages parked while their agency had no valid certificate go out once it has one again
  // (a certificate issued by another process is picked up by the sweeper when the parked job expires).
  registry.onCertificateIssued((agencyId) => {
    pushDelivery.parkedFor(agencyId)
      .then((ids) => Promise.all(ids.map((id) => deliveryQueue.retry(id))))
      .catch((err) => logger.warn('could not resume parked push deliveries', { err }));
  });
  const maintenanceDeps = {
    pool,
    deadlines,
    delivery: pushDelivery,
    deliveryQueue,
    // The witness round runs beside the job, never holding it (or any request) up.
    checkpoint: async () => {
      const signed = await checkpointer.tick();
      witness.nudge();
      return signed;
    },
    expireAgreements: () => agreements.expireDue(),
    maxAttempts: cfg.delivery.maxAttempts,
    logger,
  };

  const notifications = createNotifications({
    pool, audit, now, logger, publicUrl: cfg.web.publicUrl, config: cfg.notifications,
    leaseMs: Math.max(cfg.delivery.workerLockMs, 2 * cfg.notifications.timeoutMs),
  });
  const notificationSchedule = { dispatchMs: cfg.notifications.pollMs, sweepMs: NOTIFICATION_SWEEP_MS };

  const metrics = createMetrics(pool, {
    now,
    queues: { delivery: deliveryQueue.queue, deadline: deadlineQueue.queue, maintenance: maintenanceQueue.queue },
    certificates: { ca: opts.tls.ca.certPem, server: opts.tls.serverCertPem, 'push-client': opts.tls.clientCertPem },
  });
  const ops = createOpsRouter({
    pool,
    metrics,
    queuePing: async () => {
      await deliveryQueue.queue.getJobCounts('waiting');
    },
    witness: () => witness.report(),
  });

  // Prototype-polluting keys are refused by the schema registry before validation (FORBIDDEN_KEY).
  // A key repeated in one object (at any depth, after unescaping) is refused: DUPLICATE_JSON_KEY.
  const jsonBody: RequestHandler = express.json({ limit: '512kb', strict: true, type: 'application/json', verify: rejectDuplicateKeys });

  // Agency API: HTTPS with client certificates. Identity is the certificate, nothing else.
  const agencyApp = express();
  const agencyLimiter = createAgencyLimiter(cfg.agencyLimits);
  agencyApp.disable('x-powered-by');
  agencyApp.set('trust proxy', false);
  // No ETag: every agency answer is an action's result or no-store, never revalidated, and Express
  // would hash each body for it.
  agencyApp.set('etag', false);
  // Shutdown waits for requests still being handled before it closes the pool.
  const inFlight = createInFlight();
  // First: the request id, returned on every answer and carried by every log line of the request.
  agencyApp.use(requestContext({ listener: 'agency', logger, trustedProxies: cfg.trustedProxy?.trustedCidrs ?? [] }));
  agencyApp.use(inFlight.track);
  agencyApp.use(apiSecurityHeaders);
  agencyApp.use(metrics.middleware);
  agencyApp.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  agencyApp.use(
    createAgencyAuthenticator({
      registry,
      logger,
      ...(cfg.trustedProxy ? { trustedProxy: cfg.trustedProxy } : {}),
    }),
  );
  // Per certificate, before any body is read or any work done (http/agency-limits.ts).
  agencyApp.use(agencyLimiter.middleware);
  agencyApp.use(requireJson, jsonBody);
  // Research leaves only to a certificate the database still says is good (a revocation made on
  // another instance counts at once, whatever this instance's authentication cache holds).
  agencyApp.get(['/v1/cases/:caseId/research', '/v1/cases/:caseId/research/export', '/v1/meetings/:meetingId/cases/:caseId/minutes/document'], requireCurrentCertificate(pool));
  agencyApp.use(createAgencyRouter({ cases, requests, inbox, responses, packs, lifecycle, documents }));
  agencyApp.use(createDocumentAgencyRouter(documents));
  agencyApp.use(createReferralAgencyRouter(referrals));
  agencyApp.use(createReportRouter(dataReturn, now));
  agencyApp.use(createMeetingAgencyRouter(meetings));
  agencyApp.use(createActionAgencyRouter({ minutes, actions }));
  // Circulated research and minutes, likewise, leave only to a certificate still good in the database.
  agencyApp.get(['/v1/cases/:caseId/circulated-pack', '/v1/meetings/:meetingId/cases/:caseId/minutes/released'], requireCurrentCertificate(pool));
  agencyApp.use(createCirculationAgencyRouter(circulation));
  agencyApp.use(createMeetingCirculationRouter(meetingCirculation));
  agencyApp.use(createTransferAgencyRouter(transfers));
  agencyApp.use(notFoundHandler);
  agencyApp.use(databaseUnavailable);
  agencyApp.use(errorHandler(logger));

  // People: browser UI and people APIs (agreements, audit), OIDC sessions. Mounted by opts.web.
  const webApp = express();
  webApp.disable('x-powered-by');
  // X-Forwarded-For is believed only from the configured reverse proxies (req.ip, which the
  // sign-in limiter keys on); otherwise req.ip is the socket's address.
  webApp.set('trust proxy', cfg.web.trustedProxies.length > 0 ? cfg.web.trustedProxies : false);
  webApp.use(requestContext({ listener: 'web', logger, trustedProxies: cfg.web.trustedProxies }));
  webApp.use(inFlight.track);
  webApp.use(metrics.middleware);
  webApp.use(createPublicInfoRouter());

  // Operations: readiness and metrics on their own listener (127.0.0.1 by default), not the web's.
  const opsApp = express();
  opsApp.disable('x-powered-by');
  opsApp.set('etag', false);
  // Probes and scrapes every few seconds: their lines go at debug.
  opsApp.use(requestContext({ listener: 'ops', logger, trustedProxies: [], level: 'debug' }));
  opsApp.use(ops);
  opsApp.use(notFoundHandler);
  opsApp.use(errorHandler(logger));

  const agencyServer = https.createServer(
    httpsServerOptions({ caPem: opts.tls.ca.certPem, serverCertPem: opts.tls.serverCertPem, serverKeyPem: opts.tls.serverKeyPem }),
    agencyApp,
  );
  pinPeerPerConnection(agencyServer);
  // Connections beyond the cap are closed at accept, before a TLS handshake costs anything.
  agencyServer.maxConnections = cfg.agencyLimits.maxConnections;
  // Long-polls last up to 30 s; keep idle sockets a little longer than that.
  agencyServer.keepAliveTimeout = 35_000;
  agencyServer.headersTimeout = 40_000;
  agencyServer.requestTimeout = 60_000;
  const webServer = http.createServer(webApp);
  const opsServer = http.createServer(opsApp);
  // Unparseable requests get problem+json with a stable code too, not Node's bare status line.
  agencyServer.on('clientError', clientErrorResponder);
  webServer.on('clientError', clientErrorResponder);
  opsServer.on('clientError', clientErrorResponder);

  const workers: Worker[] = [];
  let scheduleWatch: NodeJS.Timeout | undefined;
  const gateway: Gateway = {
    pool,
    registry,
    agreements,
    accessions,
    audit,
    checkpointer,
    witness,
    exchange: {
      cases, requests, inbox, responses, packs, deadlines, lifecycle,
      retention: { ...casePurge, scanNow: () => scanOnce(casePurge, async (id) => { await casePurge.purgeCase(id); }) },
    },
    referrals,
    notifications,
    reports,
    meetings,
    minutes,
    actions,
    circulation,
    meetingCirculation,
    transfers,
    documents,
    sweepNow: () => sweep(maintenanceDeps, 0),
    deliveryJobs: deliveryQueue,
    agencyApp,
    webApp,
    opsApp,
    agencyUrl: '',
    webUrl: '',
    opsUrl: '',
    async start() {
      await audit.start();
      await inboxSignal.start();
      await registry.listenForChanges(opts.databaseUrl).catch((err) => logger.warn('identity LISTEN failed', { err }));
      if (opts.web) await opts.web(webApp, gateway);
      webApp.use(notFoundHandler);
      webApp.use(databaseUnavailable);
      webApp.use(errorHandler(logger));
      if (opts.workers !== false) {
        workers.push(startDeliveryWorker(backend, pushDelivery, logger, { maxAttempts: cfg.delivery.maxAttempts, lockMs: cfg.delivery.workerLockMs }));
        workers.push(startDeadlineWorker(backend, deadlines, logger));
        workers.push(startMaintenanceWorker(backend, maintenanceDeps));
        workers.push(startRetentionWorker(backend, casePurge, retentionQueue, logger));
        await retentionQueue.schedule(RETENTION_SCAN_MS);
        if (notifications.enabled) {
          await notifications.start();
          workers.push(startNotificationWorker(backend, notifications, logger));
          await notificationQueue.schedule(notificationSchedule);
        }
        const schedule = { sweepMs: cfg.delivery.sweepIntervalMs, purgeMs: 3_600_000, checkpointMs: cfg.checkpoint.intervalMs, expireMs: 3_600_000 };
        await maintenanceQueue.schedule(schedule);
        // Redis can come back empty (no persistence, failover, eviction): put lost schedules back.
        let checking = false;
        scheduleWatch = setInterval(() => {
          if (checking) return;
          checking = true;
          maintenanceQueue.ensureScheduled(schedule)
            .then(async (n) => n + (notifications.enabled ? await notificationQueue.ensureScheduled(notificationSchedule) : 0))
            .then(async (n) => n + ((await retentionQueue.ensureScheduled(RETENTION_SCAN_MS)) ? 1 : 0))
            .then((n) => n > 0 && logger.warn('maintenance schedules were lost by the queue store and re-created', { restored: n }))
            .catch(() => {})
            .finally(() => (checking = false));
        }, Math.max(SCHEDULE_CHECK_MS, cfg.delivery.sweepIntervalMs));
        scheduleWatch.unref();
      }
      await listen(agencyServer, cfg.agencyApi.port, cfg.agencyApi.host);
      await listen(webServer, cfg.web.port, cfg.web.host);
      await listen(opsServer, cfg.ops.port, cfg.ops.host);
      gateway.agencyUrl = `https://localhost:${(agencyServer.address() as { port: number }).port}`;
      gateway.webUrl = `http://${cfg.web.host === '0.0.0.0' ? '127.0.0.1' : cfg.web.host}:${(webServer.address() as { port: number }).port}`;
      gateway.opsUrl = `http://${urlHost(cfg.ops.host)}:${(opsServer.address() as { port: number }).port}`;
    },
    async stop() {
      // Stop taking work, let in-flight requests and jobs finish, then close connections.
      if (scheduleWatch) clearInterval(scheduleWatch);
      const closing = [close(agencyServer), close(webServer), close(opsServer)];
      agencyServer.closeIdleConnections();
      webServer.closeIdleConnections();
      opsServer.closeAllConnections();
      setTimeout(() => {
        agencyServer.closeAllConnections();
        webServer.closeAllConnections();
      }, 5000).unref();
      // Sends in progress end (each stays in the outbox, marked uncertain) before the workers close.
      await notifications.stop().catch(() => {});
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled(closing);
      // A handler whose socket was cut (a long-poll at the forced close) may still query.
      await inFlight.drained(IN_FLIGHT_DRAIN_MS);
      await Promise.allSettled([deliveryQueue.queue.close(), deadlineQueue.queue.close(), maintenanceQueue.queue.close(), notificationQueue.queue.close(), retentionQueue.queue.close()]);
      await inboxSignal.close();
      await audit.stop().catch(() => {});
      await registry.close().catch(() => {});
      push.close();
      await pool.end();
    },
  };
  return gateway;
}

/** A database outage is a retryable 503 with a stable code, not an opaque 500. */
const databaseUnavailable: ErrorRequestHandler = (err, _req, _res, next) => {
  next(isDatabaseUnavailable(err) ? new ServiceUnavailable('The service is temporarily unavailable; retry shortly', { cause: err }) : err);
};

/** How long shutdown waits for requests still being handled after the listeners closed. */
const IN_FLIGHT_DRAIN_MS = 10_000;
/** How long an HTTP answer waits for a job to reach the queue after commit. */
const ENQUEUE_WAIT_MS = 1000;
/** How often open actions are checked for being due or overdue (keyed by due date: repeats add nothing). */
const NOTIFICATION_SWEEP_MS = 3_600_000;
/** How often the retention scan looks for cases, referrals and idempotency rows past retention. */
const RETENTION_SCAN_MS = 3_600_000;

/** How often each process checks that the maintenance schedules still exist in the queue store. */
const SCHEDULE_CHECK_MS = 5000;

/** Waits at most `ms` for `p`; a late failure is ignored (the sweeper re-adds lost jobs). */
function boundedWait(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    p.then(() => {
      clearTimeout(timer);
      resolve();
    }, (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function close(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
