import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** What a witness remembers per log: the latest checkpoint it cosigned. */
export interface WitnessedLog {
  size: number;
  /** Base64 root of that checkpoint. */
  root: string;
  /** The checkpoint as cosigned: body, the log's signature line(s), this witness's cosignature. */
  note: string;
  /** Unix seconds of the cosignature. */
  cosignedAt: number;
}

/** A refused submission whose log signature was valid: possible evidence of a log misbehaving. */
export interface Evidence {
  at: number;
  origin: string;
  code: string;
  oldSize: number;
  size: number;
  root: string;
  proof: string[];
  note: string;
}

export interface WitnessStore {
  get(origin: string): WitnessedLog | undefined;
  /** Durable before it returns: the witness answers only after the new state is on disk. */
  put(origin: string, log: WitnessedLog): void;
  recordEvidence(e: Evidence): void;
  evidence(): Evidence[];
  close(): void;
}

interface StateFile {
  format: 'marac-witness-state';
  version: 1;
  logs: Record<string, WitnessedLog>;
  evidence: Evidence[];
}

/** Refused submissions kept for the operator (oldest dropped first). */
const MAX_EVIDENCE = 200;

/**
 * The witness's own storage: one JSON file, replaced atomically (write a temporary file, fsync,
 * rename, fsync the folder), so a crash leaves the old state or the new one, never half of each.
 * A lock file holding the process id keeps a second witness process off the same state: two
 * processes cosigning from one file could each accept a different fork.
 */
export function openFileStore(file: string): WitnessStore {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = `${file}.lock`;
  takeLock(lock);
  let state: StateFile;
  try {
    state = existsSync(file) ? readState(file) : { format: 'marac-witness-state', version: 1, logs: {}, evidence: [] };
  } catch (err) {
    rmSync(lock, { force: true });
    throw err;
  }

  function persist(): void {
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(state, null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    try {
      const d = openSync(dir, 'r');
      fsyncSync(d);
      closeSync(d);
    } catch {
      // Some platforms cannot fsync a folder; the rename is still atomic.
    }
  }

  return {
    get: (origin) => (Object.hasOwn(state.logs, origin) ? { ...state.logs[origin]! } : undefined),
    put(origin, log) {
      state.logs[origin] = { ...log };
      persist();
    },
    recordEvidence(e) {
      state.evidence.push(e);
      if (state.evidence.length > MAX_EVIDENCE) state.evidence.splice(0, state.evidence.length - MAX_EVIDENCE);
      persist();
    },
    evidence: () => state.evidence.map((e) => ({ ...e })),
    close() {
      rmSync(lock, { force: true });
    },
  };
}

function readState(file: string): StateFile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  if (parsed?.format !== 'marac-witness-state' || parsed.version !== 1 || typeof parsed.logs !== 'object') {
    throw new Error(`${file} is not a witness state file`);
  }
  parsed.evidence ??= [];
  return parsed;
}

function takeLock(lock: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`another witness process (pid ${pid}) holds ${lock}`);
      }
      if (pid === process.pid) throw new Error(`this process already has ${lock} open`);
      // Left behind by a process that is gone.
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`could not lock ${lock}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** In memory, for unit tests of the witness logic. */
export function memoryStore(): WitnessStore {
  const logs = new Map<string, WitnessedLog>();
  const ev: Evidence[] = [];
  return {
    get: (o) => (logs.has(o) ? { ...logs.get(o)! } : undefined),
    put: (o, l) => void logs.set(o, { ...l }),
    recordEvidence: (e) => void ev.push(e),
    evidence: () => [...ev],
    close: () => {},
  };
}
