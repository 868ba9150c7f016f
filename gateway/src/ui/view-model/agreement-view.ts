import YAML from 'yaml';
import type { AgreementDiff, AgreementListing, PreviewResult } from '../../policy/lifecycle/index.js';
import { AGENCY_TYPES, AGREEMENT_STATUSES, describeCode, operatorLabel, SUBJECT_ROLES } from '../labels.js';
import type { FieldCatalog } from '../../schema/catalog.js';
import { displayGroups } from './released-view.js';
import type { Tag } from './pack-view.js';

/** View models for the IG officer pages: the agreement list, a diff, a preview. */

const STATUS_TAG: Record<string, string> = {
  draft: 'govuk-tag--grey',
  approved: 'govuk-tag--blue',
  active: 'govuk-tag--green',
  suspended: 'govuk-tag--orange',
  expired: 'govuk-tag--red',
  superseded: 'govuk-tag--grey',
};

export function statusTag(status: string): Tag {
  return { text: AGREEMENT_STATUSES[status] ?? status, classes: STATUS_TAG[status] ?? 'govuk-tag--grey' };
}

/** Review and expiry warnings start this many days ahead. */
export const WARN_DAYS = 90;
const DAY = 86_400_000;

function dateOf(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function dateWarnings(doc: Record<string, unknown>, now: Date): Tag[] {
  const tags: Tag[] = [];
  const review = dateOf(doc.reviewBy);
  const expires = dateOf(doc.expiresAt);
  if (expires && expires <= now) tags.push({ text: 'Expired', classes: 'govuk-tag--red' });
  else if (expires && expires.getTime() - now.getTime() <= WARN_DAYS * DAY) tags.push({ text: 'Expires soon', classes: 'govuk-tag--orange' });
  if (review && review <= now && !(expires && expires <= now)) tags.push({ text: 'Review overdue', classes: 'govuk-tag--red' });
  else if (review && review > now && review.getTime() - now.getTime() <= WARN_DAYS * DAY) tags.push({ text: 'Review due soon', classes: 'govuk-tag--yellow' });
  return tags;
}

export function agreementRows(list: AgreementListing[], docs: Map<string, Record<string, unknown>>, now: Date) {
  return list.map((a) => {
    const doc = docs.get(a.id) ?? {};
    const latest = a.versions.find((v) => v.version === a.latestVersion);
    return {
      id: a.id,
      title: a.title,
      activeVersion: a.activeVersion,
      latestVersion: a.latestVersion,
      latestTag: latest ? statusTag(latest.status) : undefined,
      pendingDraft: a.versions.some((v) => v.status === 'draft' || v.status === 'approved'),
      effectiveFrom: doc.effectiveFrom,
      reviewBy: doc.reviewBy,
      expiresAt: doc.expiresAt,
      warnings: a.activeVersion !== null ? dateWarnings(doc, now) : [],
    };
  });
}

function yamlText(v: unknown): string {
  if (v === undefined) return '';
  return YAML.stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

const unescape = (s: string) => s.replaceAll('~1', '/').replaceAll('~0', '~');

export function diffView(d: AgreementDiff) {
  const isRelease = (p: string) => /^\/flows\/[^/]+\/release(\/|$)/.test(p) || /^\/flows\/[^/]+$/.test(p);
  const other = [
    ...d.added.map((e) => ({ kind: 'Added', classes: 'govuk-tag--green', path: e.path, before: '', after: yamlText(e.after) })),
    ...d.removed.map((e) => ({ kind: 'Removed', classes: 'govuk-tag--red', path: e.path, before: yamlText(e.before), after: '' })),
    ...d.changed.map((e) => ({ kind: 'Changed', classes: 'govuk-tag--yellow', path: e.path, before: yamlText(e.before), after: yamlText(e.after) })),
  ]
    .filter((e) => !isRelease(e.path) || !d.releaseChanges.length)
    .map((e) => ({ ...e, path: e.path.split('/').slice(1).map(unescape).join(' › ') }))
    .sort((a, b) => a.path.localeCompare(b.path));
  return {
    fromVersion: d.fromVersion,
    toVersion: d.toVersion,
    release: d.releaseChanges.map((c) => ({
      flowId: c.flowId,
      field: c.field,
      kind: c.change === 'added' ? 'Now released' : c.change === 'removed' ? 'No longer released' : 'Released differently',
      classes: c.change === 'added' ? 'govuk-tag--orange' : c.change === 'removed' ? 'govuk-tag--green' : 'govuk-tag--yellow',
      before: yamlText(c.before),
      after: yamlText(c.after),
    })),
    other,
    empty: d.added.length + d.removed.length + d.changed.length === 0,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each recipient's view beside the original, per subject. */
export function previewView(r: PreviewResult, sample: unknown, agencyName: (id: string) => string, catalog: Pick<FieldCatalog, 'get'>) {
  const sampleResults = isObj(sample) && Array.isArray(sample.subjectResults) ? sample.subjectResults.filter(isObj) : [];
  const agencyWithheld = new Map(sampleResults.map((s) => [String(s.subjectId), Array.isArray(s.withheld) ? s.withheld.filter(isObj) : []]));
  return {
    at: r.at,
    purpose: describeCode(r.purpose),
    provider: { name: agencyName(r.provider.agencyId), type: AGENCY_TYPES[r.provider.agencyType] ?? r.provider.agencyType },
    recipients: r.recipients.map((x, i) => ({
      anchor: `recipient-${i + 1}`,
      agencyId: x.agencyId,
      name: agencyName(x.agencyId),
      type: AGENCY_TYPES[x.agencyType] ?? x.agencyType,
      permitted: x.decision === 'PERMIT',
      reason: x.decision === 'DENY' ? { code: x.reason, text: describeCode(x.reason) } : undefined,
      flows: x.decision === 'PERMIT' ? x.flowIds.join(', ') : '',
      subjects: x.decision === 'PERMIT'
        ? x.subjects.map((s) => {
            const { withheld: _w, ...original } = s.original;
            return {
              heading: SUBJECT_ROLES[s.role] ?? s.role,
              original: displayGroups(original, { catalog }),
              view: displayGroups(s.view, { catalog, transformed: s.explanation.transformed }),
              transformed: s.explanation.transformed.filter((t) => t.op !== 'keep').map((t) => ({ path: t.path, op: t.op, opText: operatorLabel(t.op) })),
              withheld: [
                ...s.explanation.withheld.map((w) => ({ path: w.path, reason: w.reason, reasonText: describeCode(w.reason), by: 'Policy', byAgency: false })),
                ...(agencyWithheld.get(s.subjectId) ?? []).map((w) => ({
                  path: String(w.fieldPath ?? ''), reason: String(w.reason ?? ''), reasonText: describeCode(String(w.reason ?? '')), by: 'Agency', byAgency: true,
                })),
              ],
            };
          })
        : [],
    })),
  };
}
