import type { Request, Response } from 'express';
import type { Gateway } from '../app.js';
import { ValidationFailed } from '../errors.js';
import { personOf } from '../identity/people-auth.js';
import { PERSON_ROLES } from '../identity/principal.js';
import { kindsFor, NOTIFICATION_KINDS } from '../notifications/types.js';
import { asBody } from './forms/form-values.js';
import type { PageRouter } from './page-router.js';
import type { PageRenderer } from './render.js';

/**
 * /account/notifications: which messages a person gets (every kind their roles can receive; on
 * unless turned off). /dev/mailbox: what the development mailbox received, for administrators,
 * only while the transport is the development mailbox (which production refuses).
 */

export interface NotificationPagesDeps {
  g: Pick<Gateway, 'notifications'>;
  render: PageRenderer;
}

const EVERYONE = PERSON_ROLES;

function checkedKinds(req: Request): Set<string> {
  const body = asBody(req.body);
  const raw = body.kinds;
  return new Set(Array.isArray(raw) ? raw : raw ? [raw] : []);
}

export function notificationPages(pages: PageRouter, deps: NotificationPagesDeps): void {
  const { g, render } = deps;

  async function show(res: Response, saved: boolean) {
    const person = personOf(res)!;
    const kinds = kindsFor(person.roles);
    const prefs = await g.notifications.preferences(person.userId);
    render.page(res, 'account/notifications.njk', {
      title: 'Notifications',
      navPath: '/account',
      kinds: kinds.map((k) => ({ value: k, text: NOTIFICATION_KINDS[k].label, hint: { text: NOTIFICATION_KINDS[k].hint }, checked: prefs[k] })),
      transportOff: !g.notifications.enabled,
      ...(saved ? { flash: { type: 'success', text: 'Your notification choices are saved.' } } : {}),
    });
  }

  pages.get('/account/notifications', EVERYONE, async (req, res) => {
    await show(res, req.query.saved === '1');
  });

  pages.post('/account/notifications', EVERYONE, async (req, res) => {
    const person = personOf(res)!;
    // The form says it is this form: a post without it changes nothing.
    if (asBody(req.body).form !== 'notification-preferences') {
      throw new ValidationFailed('Not the notification preferences form', { problems: [{ path: '/form', code: 'required', message: 'missing' }] });
    }
    const chosen = checkedKinds(req);
    const kinds = kindsFor(person.roles);
    const unknown = [...chosen].filter((k) => !kinds.includes(k as never));
    if (unknown.length > 0) {
      throw new ValidationFailed('Not a notification you can choose', { problems: [{ path: '/kinds', code: 'enum', message: 'unknown kind' }] });
    }
    await g.notifications.setPreferences(person.userId, Object.fromEntries(kinds.map((k) => [k, chosen.has(k)])));
    res.redirect(303, '/account/notifications?saved=1');
  });

  if (g.notifications.transport === 'dev-smtp') {
    pages.get('/dev/mailbox', ['admin'], (_req, res) => {
      const box = g.notifications.mailbox();
      render.page(res, 'dev/mailbox.njk', {
        title: 'Development mailbox',
        running: box !== undefined,
        smtp: box ? box.url : undefined,
        messages: box ? box.messages() : [],
      });
    });
  }
}
