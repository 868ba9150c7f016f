import { NOTIFICATION_KINDS, type NotificationKind } from './types.js';

/**
 * The words of a notification: a fixed sentence per kind, the link (a page by opaque id) and the
 * reference. Nothing else can reach a message: no name, date of birth, identifier, address or
 * phone number of anyone in a case, and no field a person typed (DESIGN invariant 4 for
 * notifications). The link's path comes from derive.ts's LINKS only.
 */
export function composeMessage(kind: NotificationKind, reference: string, link: string): { subject: string; body: string } {
  const k = NOTIFICATION_KINDS[kind];
  const body = [
    k.body,
    '',
    'Open it in the MARAC information sharing service (you will be asked to sign in):',
    link,
    '',
    `Reference: ${reference}`,
    '',
    'This message holds no details of the case on purpose. Do not reply to it.',
    'You can choose which messages you get at /account/notifications.',
  ].join('\n');
  return { subject: k.subject, body };
}

/** The absolute link for a path, on the gateway's public address. */
export function absoluteLink(publicUrl: string, linkPath: string): string {
  return new URL(linkPath, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).toString();
}
