/**
 * Every environment setting of the gateway, declared once: name, type, default, limits and what it
 * means. `config.ts` reads the environment only through these declarations (its readers take a
 * name, nothing else), and `npm run docs:config` writes `docs/configuration.md` and `.env.example`
 * from them, so the documentation cannot describe a default the loader does not use.
 *
 * To add a setting: declare it here, read it in config.ts, run `npm run docs:config`.
 * (test/unit/config-docs.test.ts fails until all three agree.)
 */
export type SettingType = 'string' | 'integer' | 'boolean' | 'enum' | 'url' | 'path' | 'list' | 'secret';

/** A default that differs by MARAC_MODE. */
export interface ModeDefault<T> {
  development: T;
  production: T;
}

export interface Setting {
  group: SettingGroup;
  type: SettingType;
  description: string;
  default?: string | number | boolean | ModeDefault<string | number | boolean>;
  /** When the default is computed from other settings, the rule in words (no `default` then). */
  defaultText?: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  protocols?: readonly string[];
  /** The loader refuses production without it (or without what `requiredText` says). */
  requiredInProduction?: boolean;
  requiredText?: string;
  /** Keys and passwords: never given an example value in `.env.example`. */
  secret?: boolean;
  /** A value shown (commented) in `.env.example` when there is no default. */
  example?: string;
}

export const SETTING_GROUPS = [
  'Mode and storage',
  'Listeners',
  'Proxies',
  'Keys and audit',
  'Audit witnesses',
  'Delivery and deadlines',
  'People sign-in (OIDC) and sessions',
  'Notifications',
  'Development',
] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

const PORT = { min: 0, max: 65535 } as const;

export const SETTINGS = {
  // ---- Mode and storage
  MARAC_MODE: {
    group: 'Mode and storage', type: 'enum', values: ['development', 'production'], default: 'development',
    description: 'production refuses every development convenience (embedded database, generated keys and PKI, demo provider and adapters) and requires the keys and services marked below.',
  },
  LOG_LEVEL: {
    group: 'Mode and storage', type: 'enum', values: ['error', 'warn', 'info', 'debug'], default: 'info',
    description: 'Lowest level written to the JSON log on stdout (warn and error go to stderr). `info` includes one line per request.',
  },
  MARAC_DATA_DIR: {
    group: 'Mode and storage', type: 'path', default: '.data',
    description: 'Folder for the embedded database, the development PKI and development keys (relative to the working directory).',
  },
  DATABASE_URL: {
    group: 'Mode and storage', type: 'url', protocols: ['postgres:', 'postgresql:'], requiredInProduction: true, secret: true,
    defaultText: 'none: the embedded PostgreSQL in `MARAC_DATA_DIR/pg` (development only)',
    example: 'postgres://marac@db.internal:5432/marac',
    description: 'PostgreSQL connection URL (may hold a password).',
  },
  MIGRATION_DATABASE_URL: {
    group: 'Mode and storage', type: 'url', protocols: ['postgres:', 'postgresql:'], secret: true,
    defaultText: 'none: production applies no migrations and refuses to start while any is pending; development migrates with DATABASE_URL',
    example: 'postgres://marac_owner@db.internal:5432/marac',
    description: 'PostgreSQL URL of the migration owner (owns the tables). Used only to migrate at start-up; the gateway then runs as DATABASE_URL, the runtime role (see SECURITY.md "Database roles").',
  },
  EMBEDDED_PG_PORT: {
    group: 'Mode and storage', type: 'integer', default: 54329, min: 1024, max: 65535,
    description: 'Port of the embedded PostgreSQL started when there is no DATABASE_URL.',
  },
  REDIS_URL: {
    group: 'Mode and storage', type: 'url', protocols: ['redis:', 'rediss:'], secret: true,
    defaultText: 'none: the queues run on BullMQ\'s PostgreSQL backend in the same database',
    example: 'redis://cache.internal:6379/0',
    description: 'Redis for the BullMQ queues (one endpoint; may hold a password).',
  },
  QUEUE_PREFIX: {
    group: 'Mode and storage', type: 'string', default: 'marac',
    description: 'Prefix of every queue key; instances that share work must share it.',
  },
  POLICIES_DIR: {
    group: 'Mode and storage', type: 'path', default: 'policies',
    description: 'Folder with guardrails.yaml, the sample agreements and referrals/criteria.yaml.',
  },

  // ---- Listeners
  AGENCY_API_HOST: {
    group: 'Listeners', type: 'string', default: '127.0.0.1',
    description: 'Address the agency API (HTTPS with client certificates) listens on.',
  },
  AGENCY_API_PORT: { group: 'Listeners', type: 'integer', default: 8443, ...PORT, description: 'Port of the agency API (0: any free port).' },
  AGENCY_MAX_CONNECTIONS: {
    group: 'Listeners', type: 'integer', default: 512, min: 1, max: 100_000,
    description: 'Open connections the agency API accepts at once (all agencies); further connections are closed at once.',
  },
  AGENCY_RATE_PER_SECOND: {
    group: 'Listeners', type: 'integer', default: 20, min: 1, max: 1_000_000,
    description: 'Requests per second each agency certificate may make on average (token bucket); beyond it 429 AGENCY_RATE_LIMITED with Retry-After.',
  },
  AGENCY_RATE_BURST: {
    group: 'Listeners', type: 'integer', default: 60, min: 1, max: 1_000_000,
    description: 'Requests an agency certificate may make at once above its rate (the bucket size).',
  },
  AGENCY_MAX_CONCURRENT: {
    group: 'Listeners', type: 'integer', default: 8, min: 1, max: 100_000,
    description: 'Requests one agency certificate may have in progress at once (long-polls not counted); beyond it 429 AGENCY_CONCURRENCY_LIMITED.',
  },
  AGENCY_MAX_LONG_POLLS: {
    group: 'Listeners', type: 'integer', default: 4, min: 1, max: 10_000,
    description: 'Inbox long-polls (`GET /v1/inbox?wait=N`, N > 0) one agency certificate may hold open at once; beyond it 429 AGENCY_LONG_POLL_LIMITED.',
  },
  AGENCY_LIMITS: {
    group: 'Listeners', type: 'string',
    defaultText: 'none: every agency gets the four limits above',
    example: 'kss-probation:rate=5,burst=10,concurrent=2,polls=1;essex-police:rate=50',
    description: 'Per-agency overrides of the limits above: `<agency-id>:<key>=<n>,...` separated by `;`, keys rate, burst, concurrent, polls.',
  },
  WEB_HOST: {
    group: 'Listeners', type: 'string', default: '127.0.0.1',
    description: 'Address the web listener (people: pages, people APIs, sign-in; plain HTTP behind the reverse proxy) listens on.',
  },
  WEB_PORT: { group: 'Listeners', type: 'integer', default: 3000, ...PORT, description: 'Port of the web listener (0: any free port).' },
  PUBLIC_URL: {
    group: 'Listeners', type: 'url', protocols: ['http:', 'https:'],
    defaultText: '`http://<WEB_HOST>:<WEB_PORT>` (127.0.0.1 for 0.0.0.0)',
    example: 'https://marac.example.gov.uk',
    description: 'The address people\'s browsers use: OIDC redirect, cookie scope, the Origin check on forms.',
  },
  OPS_HOST: {
    group: 'Listeners', type: 'string', default: '127.0.0.1',
    description: 'Address of the operations listener (/healthz, /readyz, /metrics); never expose it to users.',
  },
  OPS_PORT: { group: 'Listeners', type: 'integer', default: 9464, ...PORT, description: 'Port of the operations listener (0: any free port).' },

  // ---- Proxies
  WEB_TRUSTED_PROXIES: {
    group: 'Proxies', type: 'list', default: '', example: '10.0.1.5,10.0.1.6',
    description: 'Comma-separated IP addresses or CIDR blocks of the reverse proxies in front of the web listener. Only from them are X-Forwarded-For (client address for the sign-in limit) and X-Request-Id believed. Names, `*` and `/0` are refused. Empty: believe no one.',
  },
  TRUSTED_PROXY_CERT_HEADER: {
    group: 'Proxies', type: 'string', example: 'x-ssl-client-cert',
    defaultText: 'none: TLS passthrough, the gateway checks client certificates itself',
    description: 'Header in which a TLS-terminating proxy forwards the agency\'s client certificate (URL-encoded PEM). Needs TRUSTED_PROXY_CIDRS.',
  },
  TRUSTED_PROXY_CIDRS: {
    group: 'Proxies', type: 'list', example: '10.0.0.5/32', defaultText: 'none (required with TRUSTED_PROXY_CERT_HEADER)',
    description: 'Comma-separated addresses or CIDR blocks of the proxy allowed to send TRUSTED_PROXY_CERT_HEADER (and X-Request-Id on the agency API); from anywhere else both are ignored.',
  },
  LOGIN_RATE_WINDOW_SECONDS: {
    group: 'Proxies', type: 'integer', default: 300, min: 1, max: 86_400,
    description: 'Window of the per-client-address sign-in limit, in seconds.',
  },
  LOGIN_RATE_LIMIT: {
    group: 'Proxies', type: 'integer', default: 300, min: 1, max: 1_000_000,
    description: 'Sign-ins started per client address per window (an office behind one NAT address shares it).',
  },

  // ---- Keys and audit
  PKI_DIR: {
    group: 'Keys and audit', type: 'path', defaultText: '`MARAC_DATA_DIR/pki`',
    description: 'Folder with ca-cert.pem, server-cert.pem/server-key.pem and the push-client certificate and key. Production only reads it (never ca-key.pem, never generates); development creates it.',
  },
  SEALING_KEYS: {
    group: 'Keys and audit', type: 'secret', secret: true, requiredInProduction: true,
    defaultText: 'development: generated in MARAC_DATA_DIR',
    description: 'AES-256-GCM keys for research at rest: `<id>:<base64 of 32 bytes>`, comma-separated. Keep old ids while rows sealed under them exist.',
  },
  SEALING_KEY_ID: {
    group: 'Keys and audit', type: 'string', defaultText: 'the first id in SEALING_KEYS (`dev-1` in development)',
    description: 'Which SEALING_KEYS entry seals new research.',
  },
  SUBJECT_HMAC_KEY: {
    group: 'Keys and audit', type: 'secret', secret: true, requiredInProduction: true,
    defaultText: 'development: generated in MARAC_DATA_DIR',
    description: 'Base64 of at least 32 bytes: keys the subject tokens in the audit log and the pseudonymise operator. Changing it unlinks every earlier token.',
  },
  AUDIT_SIGNING_KEY_PEM: {
    group: 'Keys and audit', type: 'secret', secret: true, requiredInProduction: true,
    defaultText: 'development: generated in MARAC_DATA_DIR',
    description: 'Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints; one per instance.',
  },
  AUDIT_KEY_ID: {
    group: 'Keys and audit', type: 'string', default: 'gateway-1',
    description: 'Name of this instance\'s checkpoint key in signed checkpoints (distinct per instance, e.g. gateway-<host>).',
  },
  CHECKPOINT_INTERVAL_MS: {
    group: 'Keys and audit', type: 'integer', default: 1000, min: 100, max: 3_600_000,
    description: 'How often pending audit events are integrated and a checkpoint signed.',
  },
  CHECKPOINT_EVERY_EVENTS: {
    group: 'Keys and audit', type: 'integer', default: 1000, min: 1, max: 1_000_000,
    description: 'Also sign a checkpoint after this many new audit events.',
  },

  // ---- Audit witnesses
  AUDIT_WITNESS_URLS: {
    group: 'Audit witnesses', type: 'list', example: 'https://witness.auditors.example/',
    requiredInProduction: true, requiredText: 'production (or AUDIT_WITNESS_DISABLED=true)',
    defaultText: 'none: development starts an embedded witness on loopback',
    description: 'Comma-separated http(s) URLs of the witnesses (c2sp.org/tlog-witness) that cosign audit checkpoints; one witness at another organisation at least.',
  },
  AUDIT_WITNESS_KEYS: {
    group: 'Audit witnesses', type: 'list', example: 'witness.auditors.example/w1+1234abcd+AAAA...',
    requiredInProduction: true, requiredText: 'with AUDIT_WITNESS_URLS', defaultText: 'none',
    description: 'The witnesses\' verifier keys, comma-separated, in the same order as AUDIT_WITNESS_URLS.',
  },
  AUDIT_WITNESS_DISABLED: {
    group: 'Audit witnesses', type: 'boolean', default: false,
    description: 'true: run without any witness (the only way production runs unwitnessed); contradicts AUDIT_WITNESS_URLS.',
  },
  AUDIT_WITNESS_TIMEOUT_MS: {
    group: 'Audit witnesses', type: 'integer', default: 5000, min: 100, max: 60_000,
    description: 'Deadline of one request to a witness.',
  },
  AUDIT_WITNESS_MAX_BACKOFF_MS: {
    group: 'Audit witnesses', type: 'integer', default: 30_000, min: 100, max: 3_600_000,
    description: 'Longest wait between attempts while a witness is unreachable.',
  },

  // ---- Delivery and deadlines
  DELIVERY_MAX_ATTEMPTS: {
    group: 'Delivery and deadlines', type: 'integer', default: 6, min: 1, max: 100,
    description: 'Push delivery attempts before a message is dead-lettered (state failed).',
  },
  DELIVERY_BACKOFF_MS: {
    group: 'Delivery and deadlines', type: 'integer', default: 1000, min: 10, max: 600_000,
    description: 'First retry delay of a push delivery; doubles each attempt.',
  },
  DELIVERY_TIMEOUT_MS: {
    group: 'Delivery and deadlines', type: 'integer', default: 10_000, min: 100, max: 120_000,
    description: 'One deadline for a whole push exchange with an adapter.',
  },
  SWEEP_INTERVAL_MS: {
    group: 'Delivery and deadlines', type: 'integer', default: 5000, min: 100, max: 3_600_000,
    description: 'How often the outbox sweeper re-queues lost jobs and marks overdue messages.',
  },
  WORKER_LOCK_MS: {
    group: 'Delivery and deadlines', type: 'integer', default: 30_000, min: 1000, max: 600_000,
    description: 'How long a job may run before another worker may take it over (crashed worker).',
  },
  DEADLINE_WORKING_DAYS_BEFORE: {
    group: 'Delivery and deadlines', type: 'integer', default: 1, min: 0, max: 20,
    description: 'Default answer deadline: this many working days (England and Wales) before the meeting.',
  },
  DEADLINE_CUTOFF_HOUR: {
    group: 'Delivery and deadlines', type: 'integer', default: 17, min: 0, max: 23,
    description: 'Hour of that day (Europe/London) the default deadline falls at.',
  },
  REMINDER_WORKING_DAYS_BEFORE: {
    group: 'Delivery and deadlines', type: 'integer', default: 1, min: 0, max: 10,
    description: 'Reminder to agencies that have not answered: this many working days before the deadline.',
  },

  // ---- People sign-in (OIDC) and sessions
  OIDC_ISSUER_URL: {
    group: 'People sign-in (OIDC) and sessions', type: 'url', protocols: ['https:', 'http:'], example: 'https://login.example.gov.uk',
    requiredInProduction: true, requiredText: 'production (unless the demo provider is forced)', defaultText: 'none: the development OIDC provider',
    description: 'The organisation\'s OpenID provider.',
  },
  OIDC_CLIENT_ID: { group: 'People sign-in (OIDC) and sessions', type: 'string', default: 'marac-gateway', description: 'The gateway\'s client id at the provider.' },
  OIDC_CLIENT_SECRET: {
    group: 'People sign-in (OIDC) and sessions', type: 'secret', secret: true, requiredText: 'with OIDC_ISSUER_URL', defaultText: 'none',
    description: 'The gateway\'s client secret at the provider.',
  },
  OIDC_ROLE_CLAIM: { group: 'People sign-in (OIDC) and sessions', type: 'string', default: 'marac_roles', description: 'ID-token claim holding the person\'s gateway roles.' },
  OIDC_AGENCY_CLAIM: { group: 'People sign-in (OIDC) and sessions', type: 'string', default: 'agency', description: 'ID-token claim holding the person\'s agency id.' },
  OIDC_SCOPES: { group: 'People sign-in (OIDC) and sessions', type: 'list', default: 'openid profile marac', description: 'Scopes requested at sign-in, space-separated.' },
  SESSION_COOKIE_NAME: {
    group: 'People sign-in (OIDC) and sessions', type: 'string', default: { development: 'marac_session', production: '__Host-marac' },
    description: 'Name of the session cookie (`__Host-` needs HTTPS).',
  },
  SESSION_SECURE_COOKIES: {
    group: 'People sign-in (OIDC) and sessions', type: 'boolean', default: { development: false, production: true },
    description: 'Mark cookies Secure (HTTPS only).',
  },
  SESSION_IDLE_MINUTES: {
    group: 'People sign-in (OIDC) and sessions', type: 'integer', default: 30, min: 1, max: 1440,
    description: 'A session ends after this long without a request.',
  },
  SESSION_ABSOLUTE_HOURS: {
    group: 'People sign-in (OIDC) and sessions', type: 'integer', default: 10, min: 1, max: 168,
    description: 'A session ends this long after sign-in, however active.',
  },

  // ---- Notifications
  NOTIFICATIONS_TRANSPORT: {
    group: 'Notifications', type: 'enum', values: ['notify', 'smtp', 'dev-smtp', 'off'], default: { development: 'dev-smtp', production: 'off' },
    description: 'How people are told of requests, deadlines, circulated packs and minutes, actions and referrals (a link and a reference only): `notify` GOV.UK Notify, `smtp` an SMTP relay, `dev-smtp` a mailbox inside the gateway shown at /dev/mailbox (refused in production), `off` nothing is derived or sent.',
  },
  NOTIFY_API_KEY: {
    group: 'Notifications', type: 'secret', secret: true, requiredText: 'with NOTIFICATIONS_TRANSPORT=notify', defaultText: 'none',
    description: 'GOV.UK Notify API key (`<name>-<service id>-<secret>`).',
  },
  NOTIFY_BASE_URL: {
    group: 'Notifications', type: 'url', protocols: ['https:', 'http:'], default: 'https://api.notifications.service.gov.uk',
    description: 'GOV.UK Notify API address (http only for a loopback stand-in in tests).',
  },
  NOTIFY_TEMPLATE_ID: {
    group: 'Notifications', type: 'string', requiredText: 'with NOTIFICATIONS_TRANSPORT=notify', defaultText: 'none',
    example: 'f33517ff-2a88-4f6e-b855-c550268ce08a',
    description: 'Notify e-mail template for every kind, with the personalisation fields ((subject)), ((body)), ((link)) and ((reference)).',
  },
  NOTIFY_TEMPLATE_IDS: {
    group: 'Notifications', type: 'string', defaultText: 'none: NOTIFY_TEMPLATE_ID for every kind',
    example: 'REQUEST_NEW=f33517ff-2a88-4f6e-b855-c550268ce08a,ACTION_OVERDUE=0b5d3c3a-5e3c-4b8e-9d8e-2f3f4a5b6c7d',
    description: 'A template per kind instead (`<KIND>=<template id>`, comma-separated): REQUEST_NEW, DEADLINE_NEAR, ANSWER_OVERDUE, PACK_CIRCULATED, MINUTES_CIRCULATED, ACTION_ASSIGNED, ACTION_DUE, ACTION_OVERDUE, REFERRAL_RECEIVED.',
  },
  SMTP_URL: {
    group: 'Notifications', type: 'url', protocols: ['smtp:', 'smtps:'], secret: true, requiredText: 'with NOTIFICATIONS_TRANSPORT=smtp', defaultText: 'none',
    example: 'smtps://marac:password@relay.example.gov.uk:465',
    description: 'SMTP relay for notifications (may hold a password).',
  },
  NOTIFICATIONS_FROM: {
    group: 'Notifications', type: 'string', default: 'MARAC information sharing <no-reply@marac.invalid>',
    description: 'From address of notifications sent by SMTP.',
  },
  NOTIFICATIONS_TEAM_MAILBOXES: {
    group: 'Notifications', type: 'string', defaultText: 'none: only people who have signed in are told',
    example: 'essex-police:agency_researcher=marac.research@police.example;safe-steps-idva:*=marac@idva.example',
    description: 'Shared mailboxes per agency and role (`*`: every role), `;`-separated, told as well as the people of that agency who have signed in (staff who never sign in still hear of a request).',
  },
  NOTIFICATIONS_POLL_MS: {
    group: 'Notifications', type: 'integer', default: 5000, min: 100, max: 3_600_000,
    description: 'How often new audit events are turned into notifications and due notifications are sent; the first retry waits as long, doubling after.',
  },
  NOTIFICATIONS_MAX_ATTEMPTS: {
    group: 'Notifications', type: 'integer', default: 8, min: 1, max: 100,
    description: 'Attempts to send one notification before it is given up (NOTIFICATION_FAILED).',
  },
  NOTIFICATIONS_TIMEOUT_MS: {
    group: 'Notifications', type: 'integer', default: 10_000, min: 100, max: 120_000,
    description: 'Deadline of one send to Notify or the SMTP server.',
  },
  NOTIFICATIONS_ACTION_DUE_DAYS: {
    group: 'Notifications', type: 'integer', default: 2, min: 0, max: 30,
    description: 'An open action is "due" this many days before its due date (and "overdue" the day after it).',
  },

  // ---- Development
  DEV_OIDC: {
    group: 'Development', type: 'boolean', default: { development: true, production: false },
    description: 'Start the in-process OIDC provider with demo people (password "demo").',
  },
  DEV_OIDC_ALLOW_IN_PRODUCTION: {
    group: 'Development', type: 'boolean', default: false,
    description: 'Let DEV_OIDC run in production (demonstrations only; refused otherwise).',
  },
  DEV_OIDC_PORT: { group: 'Development', type: 'integer', default: 3001, ...PORT, description: 'Port of the development OIDC provider.' },
  DEV_SMTP_PORT: { group: 'Development', type: 'integer', default: 0, ...PORT, description: 'Port of the development mailbox\'s SMTP server on 127.0.0.1 (NOTIFICATIONS_TRANSPORT=dev-smtp; 0: any free port).' },
  DEMO_ADAPTERS: {
    group: 'Development', type: 'boolean', default: { development: true, production: false },
    description: 'Start the demo agency adapters in process (they answer research requests from sample records).',
  },
  DEMO_ADAPTER_FOLLOW_UP_SECONDS: {
    group: 'Development', type: 'integer', default: 60, min: 0, max: 86_400,
    description: 'Seconds between a demo adapter\'s follow-up rounds (marks its actions done, reads circulated packs and minutes); 0 turns them off.',
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
type Declared = typeof SETTINGS;
export type SettingOfType<T extends SettingType> = { [K in SettingName]: Declared[K]['type'] extends T ? K : never }[SettingName];

export function setting(name: SettingName): Setting {
  return SETTINGS[name];
}

/** The default the loader uses in this mode, or undefined when there is none (or it is computed). */
export function defaultFor(name: SettingName, production: boolean): string | number | boolean | undefined {
  const d = (SETTINGS[name] as Setting).default;
  if (d === undefined || typeof d !== 'object') return d;
  return production ? d.production : d.development;
}
