/**
 * A private Redis for fault tests: a `redis-server` child on a free port with no persistence, so
 * a test can kill it and start it again on the same port without touching the machine's shared
 * Redis (other test files use that one in parallel).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: every connection drops at once, nothing is saved (an empty Redis comes back). */
  kill(): Promise<void>;
  start(): Promise<void>;
  running(): boolean;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) return;
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.once('exit', () => {
      if (child === c) child = undefined;
    });
    // Ready when it accepts a PING.
    const until = Date.now() + 10_000;
    for (;;) {
      if (await ping(port)) return;
      if (!child || Date.now() > until) throw new Error(`private redis on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    running: () => child !== undefined,
    async kill() {
      const c = child;
      if (!c) return;
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    },
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
