import { readFileSync } from 'node:fs';
import type pg from 'pg';
import path from 'node:path';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/samples');

export function sample<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as T;
}

/** The sample case, in the Essex area (the sample agreements' coordinator). */
export function sampleCase(overrides: Record<string, unknown> = {}): any {
  return { ...sample('case.json'), maracArea: 'essex', ...overrides };
}

/** A sample response with the placeholder subject ids replaced by the case's real ones. */
export function sampleResponse(file: string, ids: { v1: string; p1: string; c1: string }): any {
  const text = readFileSync(path.join(DIR, file), 'utf8')
    .replaceAll('subj_victim', ids.v1)
    .replaceAll('subj_perp', ids.p1)
    .replaceAll('subj_child', ids.c1);
  return JSON.parse(text);
}

export function subjectIds(created: { subjects: { key: string; subjectId: string }[] }): { v1: string; p1: string; c1: string } {
  const by: Record<string, string> = Object.fromEntries(created.subjects.map((s) => [s.key, s.subjectId]));
  return { v1: by.v1!, p1: by.p1!, c1: by.c1! };
}

export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, stepMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Waits until at least `n` sessions of the test database wait for a lock (the step a race test holds open). */
export async function lockWaiters(pool: pg.Pool, n: number): Promise<void> {
  await eventually(async () => {
    const r = await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    return r.rows[0].n >= n;
  }, 15_000, 20);
}
