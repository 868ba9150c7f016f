/**
 * Durable receipt of messages at the adapter. A message is written here (atomically, fsync'd)
 * before it is acknowledged to the gateway and deleted once it is answered, so an adapter killed
 * between acknowledging and answering picks the message up again on restart. The files hold the
 * request as the gateway showed it (names, dates of birth): the directory is created 0700 and each
 * file 0600, and belongs on an encrypted volume.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { InboxMessage } from './types.js';

export interface Journal {
  put(msg: InboxMessage): void;
  remove(messageId: string): void;
  pending(): InboxMessage[];
  has(messageId: string): boolean;
}

const SAFE = /^[A-Za-z0-9_-]{1,80}$/;

export function createFileJournal(dir: string): Journal {
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox, { recursive: true, mode: 0o700 });
  const file = (id: string) => {
    if (!SAFE.test(id)) throw new Error('unsafe message id for the journal');
    return join(inbox, `${id}.json`);
  };
  return {
    put(msg) {
      const target = file(msg.messageId);
      const tmp = `${target}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(msg));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target);
      const dfd = openSync(inbox, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    },
    remove(messageId) {
      rmSync(file(messageId), { force: true });
    },
    has(messageId) {
      try {
        readFileSync(file(messageId));
        return true;
      } catch {
        return false;
      }
    },
    pending() {
      const out: InboxMessage[] = [];
      for (const name of readdirSync(inbox).sort()) {
        if (!name.endsWith('.json')) {
          // A write interrupted before its rename: the message was never acknowledged, so the
          // gateway offers it again; the partial file is just removed.
          if (name.endsWith('.tmp')) rmSync(join(inbox, name), { force: true });
          continue;
        }
        try {
          out.push(JSON.parse(readFileSync(join(inbox, name), 'utf8')) as InboxMessage);
        } catch {
          rmSync(join(inbox, name), { force: true });
        }
      }
      return out;
    },
  };
}

/** In-memory journal: no durability, for tests and for pull mode without a state directory. */
export function createMemoryJournal(): Journal {
  const m = new Map<string, InboxMessage>();
  return {
    put: (msg) => void m.set(msg.messageId, msg),
    remove: (id) => void m.delete(id),
    has: (id) => m.has(id),
    pending: () => [...m.values()],
  };
}
