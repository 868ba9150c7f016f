import { describe, expect, it } from 'vitest';
import { detectPersonalData } from '../../../gateway/src/audit/pii-guard.js';
import { type ConfigError, loadConfig } from '../../../gateway/src/config.js';
import { absoluteLink, composeMessage } from '../../../gateway/src/notifications/content.js';
import { deriveFromEvent, LINKS, londonDay } from '../../../gateway/src/notifications/derive.js';
import { parseMessage } from '../../../gateway/src/notifications/mailbox.js';
import { parseTeamMailboxes, validEmail } from '../../../gateway/src/notifications/people-directory.js';
import { messageIdFor } from '../../../gateway/src/notifications/transports.js';
import { KINDS, kindsFor, NOTIFICATION_KINDS } from '../../../gateway/src/notifications/types.js';
import type { Queryable } from '../../../gateway/src/store/db.js';

const noDb: Queryable = { query: () => Promise.reject(new Error('no database in a unit test')) } as unknown as Queryable;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe('messages', () => {
  it('say a fixed sentence, the link and the reference: nothing the guard takes for personal data', () => {
    for (const kind of KINDS) {
      const link = absoluteLink('https://marac.example.gov.uk', LINKS.agencyRequest(`req_${'a'.repeat(32)}`));
      const { subject, body } = composeMessage(kind, `ntf_${'b'.repeat(32)}`, link);
      expect(subject).toBe(NOTIFICATION_KINDS[kind].subject);
      expect(body).toContain(link);
      expect(body).toContain(`Reference: ntf_${'b'.repeat(32)}`);
      expect(detectPersonalData(`${subject}\n${body}`)).toBeNull();
    }
  });

  it('links by opaque id on the public address', () => {
    expect(absoluteLink('http://127.0.0.1:3000', '/agency/actions/act_1')).toBe('http://127.0.0.1:3000/agency/actions/act_1');
    expect(LINKS.referral('ref_x/../y')).toBe('/referrals/ref_x%2F..%2Fy');
  });

  it('each kind goes to roles that can see it, and a person is offered only those', () => {
    expect(kindsFor(['coordinator'])).toEqual(['ANSWER_OVERDUE', 'REFERRAL_RECEIVED']);
    expect(kindsFor(['agency_representative'])).toEqual(['PACK_CIRCULATED', 'MINUTES_CIRCULATED', 'ACTION_ASSIGNED', 'ACTION_DUE', 'ACTION_OVERDUE']);
    expect(kindsFor(['auditor'])).toEqual([]);
  });
});

describe('circulation events', () => {
  const base = { seq: 7, action: 'CIRCULATED', caseId: `case_${'c'.repeat(32)}`, requestId: null, messageId: null, actorAgencyId: 'essex-marat', ts: '2026-12-07T23:30:00Z' };
  it('tell the representatives of the agency it went to, once per case, agency, document and London day', async () => {
    const d = await deriveFromEvent(noDb, { ...base, agencyIds: ['safe-steps-idva'], decision: 'PERMIT', detail: { kind: 'circulated-pack' } });
    expect(d).toEqual([{ sourceKey: `circulated:PACK_CIRCULATED:${base.caseId}:safe-steps-idva:2026-12-07`, kind: 'PACK_CIRCULATED', agencyId: 'safe-steps-idva', roles: ['agency_representative'], linkPath: `/agency/cases/${base.caseId}`, caseId: base.caseId }]);
    const m = await deriveFromEvent(noDb, { ...base, agencyIds: ['safe-steps-idva'], decision: 'PERMIT', detail: { kind: 'actions' } });
    expect(m[0]!.kind).toBe('MINUTES_CIRCULATED');
  });
  it('tell no one when nothing was released, and never the circulating agency', async () => {
    expect(await deriveFromEvent(noDb, { ...base, agencyIds: ['essex-police'], decision: 'DENY', detail: { kind: 'circulated-pack' } })).toEqual([]);
    expect(await deriveFromEvent(noDb, { ...base, agencyIds: ['essex-marat'], decision: 'PERMIT', detail: { kind: 'minutes' } })).toEqual([]);
  });
  it('the acting person is not told of their own act', async () => {
    const d = await deriveFromEvent(noDb, { ...base, agencyIds: ['safe-steps-idva'], decision: 'PERMIT', actorUserId: 'coordinator@essex-marat', detail: { kind: 'minutes' } });
    expect(d[0]!.notUserId).toBe('coordinator@essex-marat');
  });
  it('days are London days', () => {
    expect(londonDay(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(londonDay(new Date('2026-12-31T23:30:00Z'))).toBe('2026-12-31');
  });
});

describe('the development mailbox reads what nodemailer writes', () => {
  it('headers, an encoded subject and a quoted-printable body', () => {
    const raw = [
      'From: MARAC <no-reply@marac.invalid>', 'To: a@b.example', 'Subject: =?UTF-8?Q?Caf=C3=A9_note?=', 'Message-ID: <ntf_1@marac.example>',
      'X-MARAC-Reference: ntf_1', 'Content-Transfer-Encoding: quoted-printable', '', 'A line that is long enough to be wrapped by the encoder at seve=', 'nty-six characters =E2=80=94 done.', '',
    ].join('\r\n');
    const m = parseMessage(raw);
    expect(m.subject).toBe('Café note');
    expect(m.headers.get('x-marac-reference')).toBe('ntf_1');
    expect(m.text).toBe('A line that is long enough to be wrapped by the encoder at seventy-six characters — done.');
    expect(messageIdFor('ntf_1', 'marac.example')).toBe('<ntf_1@marac.example>');
  });
});

describe('settings', () => {
  const dev = { SEALING_KEYS: `k1:${Buffer.alloc(32).toString('base64')}` };
  it('the development default is the mailbox inside the gateway; production sends nothing unless told how', () => {
    expect(loadConfig({}).notifications.transport).toBe('dev-smtp');
    expect(problems({ MARAC_MODE: 'production', NOTIFICATIONS_TRANSPORT: 'dev-smtp' })).toContain('NOTIFICATIONS_TRANSPORT=dev-smtp is refused in production (use notify or smtp)');
  });
  it('each transport needs its own settings', () => {
    expect(problems({ ...dev, NOTIFICATIONS_TRANSPORT: 'notify' })).toEqual([
      'NOTIFY_API_KEY (the whole key, <name>-<service id>-<secret>) is required with NOTIFICATIONS_TRANSPORT=notify',
      'NOTIFY_TEMPLATE_ID is required with NOTIFICATIONS_TRANSPORT=notify',
    ]);
    expect(problems({ NOTIFICATIONS_TRANSPORT: 'smtp' })).toEqual(['SMTP_URL is required with NOTIFICATIONS_TRANSPORT=smtp']);
    expect(problems({ NOTIFICATIONS_TRANSPORT: 'smtp', SMTP_URL: 'http://relay.example' })).toEqual(['SMTP_URL must use smtp: or smtps: (got http:)']);
    expect(problems({ NOTIFICATIONS_TRANSPORT: 'pigeon' })[0]).toMatch(/^NOTIFICATIONS_TRANSPORT must be notify, smtp, dev-smtp, off/);
    expect(problems({ NOTIFY_TEMPLATE_IDS: 'NOT_A_KIND=f33517ff-2a88-4f6e-b855-c550268ce08a' })).toEqual(['NOTIFY_TEMPLATE_IDS: "NOT_A_KIND=f33517ff-2a88-4f6e-b855-c550268ce08a" is not <KIND>=<template id>']);
    const key = `k-${'1'.repeat(8)}-1111-1111-1111-${'1'.repeat(12)}-${'2'.repeat(8)}-2222-2222-2222-${'2'.repeat(12)}`;
    const n = loadConfig({ NOTIFICATIONS_TRANSPORT: 'notify', NOTIFY_API_KEY: key, NOTIFY_TEMPLATE_ID: 't1', NOTIFY_TEMPLATE_IDS: 'ACTION_DUE=f33517ff-2a88-4f6e-b855-c550268ce08a' }).notifications;
    expect(n.notify).toEqual({ apiKey: key, templateId: 't1', templates: { ACTION_DUE: 'f33517ff-2a88-4f6e-b855-c550268ce08a' }, baseUrl: 'https://api.notifications.service.gov.uk' });
  });
  it('team mailboxes are agency, role and address', () => {
    const p: string[] = [];
    expect(parseTeamMailboxes('essex-police:agency_researcher=research@police.example; safe-steps-idva:*=marac@idva.example', p)).toEqual([
      { agencyId: 'essex-police', role: 'agency_researcher', address: 'research@police.example' },
      { agencyId: 'safe-steps-idva', role: '*', address: 'marac@idva.example' },
    ]);
    expect(p).toEqual([]);
    parseTeamMailboxes('essex-police=someone', p);
    expect(p).toHaveLength(1);
    expect(validEmail('Jane Sampleton <jane@example.com>')).toBeUndefined();
    expect(validEmail(' researcher@essex-police.example ')).toBe('researcher@essex-police.example');
  });
});
