/**
 * The minutes of a case and its action plan as documents the policy engine releases under
 * MARAC_ACTION_REVIEW (docs/decisions/0027): the coordinator circulates them to each partner as
 * the agreement lets that partner see them. The message schemas do not define them, so the policy
 * catalog adds these top-level fields itself, as it does the transfer bundle (transfer-bundle.ts).
 *
 * An action plan is split before it is released: `ownActions` are the recipient's own actions
 * (owner agency = recipient), `actions` every other agency's. The agreement names each, so "a
 * party sees its own actions in full and others' as owner, due date and status" is written in
 * the agreement, where an IG officer reads it, not in code.
 *
 * Tags follow the canonical model, so the system guardrails apply unchanged: everything a person
 * typed is FT (G-FREE-TEXT, G-LOCATION-IN-TEXT and the location-in-text matcher), views and
 * judgements are OPN, crimes disclosed at the meeting are criminal offence data (CO:
 * G-CRIMINAL-OFFENCE).
 */
import type { FieldInfo } from './types.js';

const f = (path: string, type: FieldInfo['type'], sensitivity: FieldInfo['sensitivity'] = [], extra: Partial<FieldInfo> = {}): FieldInfo =>
  Object.freeze({ path, type, sensitivity, clinicalNarrative: false, ...extra });

const STATUS = ['OPEN', 'DONE', 'NOT_POSSIBLE_CHANGE', 'NOT_DONE_AGENCY'] as const;
const KIND = ['ACTION', 'SURVIVOR_FEEDBACK'] as const;

/** The fields of one action list (`actions` or `ownActions`). */
function actionFields(root: 'actions' | 'ownActions'): FieldInfo[] {
  return [
    f(root, 'array', [], { itemType: 'object' }),
    f(`${root}[].id`, 'string'),
    f(`${root}[].meetingId`, 'string'),
    f(`${root}[].kind`, 'string', [], { enum: KIND }),
    f(`${root}[].ownerAgencyId`, 'string'),
    f(`${root}[].dueOn`, 'date'),
    f(`${root}[].status`, 'string', [], { enum: STATUS }),
    f(`${root}[].description`, 'string', ['FT']),
    f(`${root}[].updates`, 'array', [], { itemType: 'object' }),
    f(`${root}[].updates[].at`, 'date-time'),
    f(`${root}[].updates[].byAgencyId`, 'string'),
    f(`${root}[].updates[].status`, 'string', [], { enum: STATUS }),
    f(`${root}[].updates[].note`, 'string', ['FT']),
  ];
}

export const MINUTES_FIELDS: readonly FieldInfo[] = [
  f('minutes', 'object'),
  f('minutes.victimVoice', 'string', ['OPN', 'FT']),
  f('minutes.risks', 'string', ['OPN', 'FT']),
  f('minutes.decisions', 'string', ['FT']),
  f('minutes.crimesDisclosed', 'string', ['CO', 'FT']),
  f('minutes.informationShared', 'array', [], { itemType: 'object' }),
  f('minutes.informationShared[].agencyId', 'string'),
  f('minutes.informationShared[].requestId', 'string'),
  f('minutes.informationShared[].note', 'string', ['FT']),
  f('minutes.notShared', 'array', [], { itemType: 'object' }),
  f('minutes.notShared[].what', 'string', ['FT']),
  f('minutes.notShared[].why', 'string', ['FT']),
  ...actionFields('actions'),
  ...actionFields('ownActions'),
];
