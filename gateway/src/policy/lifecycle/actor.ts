/** Who may change agreements, and how an actor is recorded in the store. */
import { Forbidden } from '../../errors.js';
import type { Principal } from '../../identity/principal.js';

/** Stable text id: `user:<sub>`, `system:<component>`, `agency:<id>`. Maker-checker compares these. */
export function actorId(p: Principal): string {
  switch (p.kind) {
    case 'person':
      return `user:${p.userId}`;
    case 'system':
      return `system:${p.component}`;
    case 'agency':
      return `agency:${p.agencyId}`;
  }
}

/**
 * Defence in depth behind the router's role check: agreement changes are for IG officers (and the
 * gateway itself when seeding). Agencies never change agreements.
 */
export function assertMayChangeAgreements(p: Principal): void {
  if (p.kind === 'system') return;
  if (p.kind === 'person' && p.roles.includes('ig_officer')) return;
  throw new Forbidden('Only an IG officer may change agreements');
}
