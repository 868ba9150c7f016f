import type { ResearchRequestInput } from '../../exchange/request-service.js';
import { PURPOSES, REQUEST_DOMAINS } from '../labels.js';
import { checked, dateInput, FormErrors, londonTimeOn, oneOf, wholeNumber, type FormBody } from './form-values.js';

/**
 * "Send research request": recipients chosen from the registered agencies, the purpose, an
 * optional deadline (default: the gateway's working-day rule before the meeting) and the scope:
 * everything the agreements allow unless the coordinator narrows it to some domains, or chooses
 * an identity check only. Nothing ticked never silently means "identity check only".
 */

export const PURPOSE_CODES = Object.keys(PURPOSES);
/** ALL: every domain; SOME: the domains ticked; IDENTITY: does the agency know these people, nothing more. */
export const SCOPES = ['ALL', 'SOME', 'IDENTITY'] as const;
export const DOMAIN_CODES = Object.keys(REQUEST_DOMAINS);
/** Research is due by the end of the working day. */
export const DEADLINE_HOUR = 17;

export type RequestFormResult = { ok: true; body: ResearchRequestInput } | { ok: false; errors: FormErrors };

export function parseRequestForm(
  body: FormBody,
  opts: { agencies: readonly string[]; meetingDate: string; today: string; now: Date },
): RequestFormResult {
  const errors = new FormErrors();
  const recipients = checked(body, 'recipients', opts.agencies);
  if (recipients.length === 0) errors.add('recipients', 'Select at least one agency to ask');
  const purpose = oneOf(body, 'purpose', PURPOSE_CODES);
  if (!purpose) errors.add('purpose', 'Select the purpose of the request');

  let deadline: string | undefined;
  const d = dateInput(body, 'deadline');
  if (d.kind === 'invalid') errors.add('deadline-day', `Deadline ${d.message}`);
  else if (d.kind === 'date') {
    if (d.iso > opts.meetingDate) errors.add('deadline-day', 'Deadline must be on or before the date of the meeting');
    else {
      deadline = londonTimeOn(d.iso, DEADLINE_HOUR);
      if (new Date(deadline) <= opts.now) errors.add('deadline-day', 'Deadline must be in the future');
    }
  }
  const lookback = wholeNumber(body, 'lookbackMonths', 1, 120);
  if (lookback.kind === 'invalid') errors.add('lookbackMonths', 'Months to look back must be a whole number from 1 to 120');
  const scope = body.scope === undefined || body.scope === '' ? 'ALL' : oneOf(body, 'scope', SCOPES);
  if (!scope) errors.add('scope', 'Select what you want the agencies to research');
  const domains = checked(body, 'requestedDomains', DOMAIN_CODES);
  if (scope === 'SOME' && domains.length === 0) errors.add('requestedDomains', 'Select at least one thing you need to know, or choose everything');

  if (errors.any) return { ok: false, errors };
  return {
    ok: true,
    body: {
      purpose: purpose!,
      recipients,
      ...(scope === 'SOME' ? { requestedDomains: domains } : scope === 'IDENTITY' ? { requestedDomains: [] } : {}),
      lookbackMonths: lookback.kind === 'int' ? lookback.value : 12,
      ...(deadline ? { deadline } : {}),
    },
  };
}
