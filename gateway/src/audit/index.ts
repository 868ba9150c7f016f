/** The audit module's public surface. */
export type * from './types.js';
export { createAuditLog, type AuditLogHandle, type AuditLogOptions } from './log.js';
export { createCheckpointer, generateSigningKey, type Checkpointer, type CheckpointerOptions, type PublishedKey } from './checkpoint.js';
export {
  createSubjectTokens, tokensForSubject, tokenForQuery, TOKEN_SYSTEMS, type SubjectTokens, type TokenSubject, type TokenSystem,
} from './subject-tokens.js';
export { canonicalize, canonicalBytes } from './jcs.js';
export { prepareEvent, sequenceEvent, eventHash, toAuditActor, GENESIS_HASH } from './event.js';
export { detectPersonalData, scanForPersonalData } from './pii-guard.js';
export * from './errors.js';
