import { randomUUID } from 'node:crypto';

/** Opaque, unguessable ids with a readable prefix. Nothing personal is ever encoded in an id. */
export const newId = (prefix: 'case' | 'req' | 'msg' | 'subj'): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;
