import type { ActionStatus, CaseAction, Meeting, ReleasedMinutes } from '../meetings/types.js';
import { describeCode } from '../ui/labels.js';
import { docDate, docDateTime } from './format.js';
import { CONFIDENTIALITY_STATEMENT, MARKING, type Block, type DocumentModel } from './model.js';

/**
 * The minutes of one case at one meeting, with its action plan, as a document for one
 * recipient agency: built from that agency's ReleasedMinutes (meetings/release.ts), so it holds
 * only what the agreement releases to it, and says by name what is not shown to it. Laid out
 * after the SafeLives minutes template: the victim's voice first, then risks, information
 * shared, decisions, crimes disclosed, information not shared and why, then the action plan.
 */

export const ACTION_STATUS_TEXT: Record<ActionStatus, string> = {
  OPEN: 'Open',
  DONE: 'Done',
  NOT_POSSIBLE_CHANGE: 'Not done: circumstances changed',
  NOT_DONE_AGENCY: 'Not done by the agency',
};

const PART_LABELS: Record<string, string> = {
  victimVoice: 'Victim’s voice (presented by the IDVA)',
  risks: 'Risks identified',
  informationShared: 'Information shared',
  decisions: 'Decisions',
  crimesDisclosed: 'Crimes disclosed at the meeting',
  notShared: 'Information not shared, and why',
};

const ACTION_FIELDS: Record<string, string> = {
  description: 'what is to be done',
  ownerAgencyId: 'owner',
  dueOn: 'due date',
  status: 'status',
  updates: 'updates',
  kind: 'kind',
  id: 'reference',
  meetingId: 'meeting',
};

/** `minutes.victimVoice` → "Victim’s voice…", `actions[2].description` → "Action 3: what is to be done". */
export function minutesPathLabel(path: string): string {
  if (path === 'minutes') return 'The minutes';
  if (path === 'actions') return 'The action plan';
  const m = /^minutes\.([A-Za-z]+)(?:\[(\d+)\])?(?:\.([A-Za-z]+))?$/.exec(path);
  if (m) {
    const part = PART_LABELS[m[1]!] ?? m[1]!;
    if (m[2] === undefined) return part;
    return `${part}, item ${Number(m[2]) + 1}${m[3] ? `: ${m[3] === 'agencyId' ? 'agency' : m[3] === 'requestId' ? 'research request' : m[3]}` : ''}`;
  }
  const a = /^actions\[(\d+)\](?:\.([A-Za-z]+))?/.exec(path);
  if (a) return `Action ${Number(a[1]) + 1}${a[2] ? `: ${ACTION_FIELDS[a[2]] ?? a[2]}` : ''}`;
  return path;
}

/** What the document says of the meeting: its date always; area, chair and venue when the release gives them. */
export type MinutesMeeting = Pick<Meeting, 'id' | 'startsAt'> & Partial<Pick<Meeting, 'maracArea' | 'chair' | 'venue'>>;

export interface MinutesDocumentInput {
  meeting: MinutesMeeting;
  released: ReleasedMinutes;
  recipient: { agencyId: string; name: string };
  agencyName: (id: string) => string;
  producedAt: Date;
}

function actionRow(a: Partial<CaseAction>, i: number, notShown: string, agencyName: (id: string) => string): string[] {
  const desc = a.description ?? notShown;
  const latest = a.updates?.length ? a.updates[a.updates.length - 1] : undefined;
  return [
    String(i + 1),
    `${a.kind === 'SURVIVOR_FEEDBACK' ? 'Feedback to the survivor: ' : ''}${desc}`,
    a.ownerAgencyId ? agencyName(a.ownerAgencyId) : notShown,
    a.dueOn ? docDate(a.dueOn) : notShown,
    a.status ? ACTION_STATUS_TEXT[a.status] ?? a.status : notShown,
    latest ? `${docDate(latest.at)}${latest.byAgencyId ? `, ${agencyName(latest.byAgencyId)}` : ''}: ${ACTION_STATUS_TEXT[latest.status] ?? latest.status}${latest.note ? `. ${latest.note}` : ''}` : '',
  ];
}

export function minutesDocument(input: MinutesDocumentInput): DocumentModel {
  const { released, recipient, agencyName } = input;
  const notShown = `Not shown to ${recipient.name}`;
  const withheld = new Set(released.withheld.map((w) => w.path));
  const whole = withheld.has('minutes');
  const m = released.minutes;
  const text = (key: 'victimVoice' | 'risks' | 'decisions' | 'crimesDisclosed') =>
    m[key] ?? (whole || withheld.has(`minutes.${key}`) ? notShown : 'None recorded');

  const body: Block[] = [{ kind: 'heading', level: 2, text: 'Minutes' }];
  body.push({
    kind: 'fields',
    rows: [
      { label: PART_LABELS.victimVoice!, value: text('victimVoice') },
      { label: PART_LABELS.risks!, value: text('risks') },
      {
        label: PART_LABELS.informationShared!,
        value: m.informationShared?.length
          ? m.informationShared.map((s) => [s.agencyId ? agencyName(s.agencyId) : 'An agency', s.note].filter(Boolean).join(': ')).join('\n')
          : whole || withheld.has('minutes.informationShared') ? notShown : 'None recorded',
      },
      { label: PART_LABELS.decisions!, value: text('decisions') },
      { label: PART_LABELS.crimesDisclosed!, value: text('crimesDisclosed') },
    ],
  });
  body.push({ kind: 'heading', level: 3, text: PART_LABELS.notShared! });
  if (m.notShared?.length) {
    body.push({ kind: 'table', columns: ['What', 'Why'], rows: m.notShared.map((r) => [r.what ?? notShown, r.why ?? notShown]) });
  } else {
    body.push({ kind: 'paragraph', text: whole || withheld.has('minutes.notShared') ? notShown : 'Nothing recorded.' });
  }

  body.push({ kind: 'heading', level: 2, text: 'Action plan' });
  if (released.actions.length === 0) {
    body.push({ kind: 'paragraph', text: withheld.has('actions') ? notShown : 'No actions recorded.' });
  } else {
    body.push({
      kind: 'table',
      columns: ['No.', 'Action', 'Owner', 'Due', 'Status', 'Latest update'],
      widths: [1, 7, 3, 3, 3, 5],
      rows: released.actions.map((a, i) => actionRow(a, i, notShown, agencyName)),
    });
  }

  if (released.withheld.length) {
    body.push({ kind: 'heading', level: 2, text: notShown });
    body.push({ kind: 'paragraph', text: `The information sharing agreement does not release these parts to ${recipient.name}. They are recorded in the minutes, and other agencies may see them.` });
    body.push({ kind: 'list', items: released.withheld.map((w) => `${minutesPathLabel(w.path)}: ${describeCode(w.reason)}`) });
  }

  return {
    title: 'MARAC minutes and action plan',
    recipient,
    marking: MARKING,
    confidentiality: CONFIDENTIALITY_STATEMENT,
    summary: [
      { label: 'Meeting', value: docDateTime(input.meeting.startsAt) },
      ...(input.meeting.maracArea ? [{ label: 'MARAC area', value: input.meeting.maracArea }] : []),
      ...(input.meeting.chair ? [{ label: 'Chair', value: input.meeting.chair }] : []),
      ...(input.meeting.venue ? [{ label: 'Venue', value: input.meeting.venue }] : []),
      { label: 'Case reference', value: released.caseId },
      // The minutes are the version circulated to the recipient (decision 0033); the plan is as it stands.
      ...(released.circulated ? [{ label: 'Minutes circulated', value: `${docDateTime(released.circulated.at)} (version ${released.circulated.version})` }] : []),
      { label: 'Produced', value: `${docDateTime(input.producedAt)}, for ${recipient.name}` },
    ],
    body,
  };
}
