/**
 * A tiny TCP load balancer on loopback for scale-out tests and the `scale` bench: each client
 * connection goes to the next backend in turn (round-robin) and its bytes are piped both ways
 * untouched, so TLS is end to end and each gateway still reads the agency's client certificate
 * (mTLS identifies the agency, not the balancer). A backend that refuses a connection (its
 * process died) is skipped: the connection is tried on the next backend, and the dead one is
 * left out of the rotation for `downMs` before it is tried again.
 */
import net from 'node:net';
import { once } from 'node:events';

export interface TcpBalancer {
  /** `https://127.0.0.1:<port>`: the address clients call. */
  url: string;
  port: number;
  /** Connections handed to each backend (by index in `backends`). */
  hits: number[];
  /** Connection attempts a backend refused (it was skipped). */
  refused: number[];
  close(): Promise<void>;
}

export async function startTcpBalancer(backends: readonly number[], opts: { host?: string; downMs?: number } = {}): Promise<TcpBalancer> {
  if (backends.length === 0) throw new Error('a balancer needs at least one backend');
  const host = opts.host ?? '127.0.0.1';
  const downMs = opts.downMs ?? 1000;
  const hits = backends.map(() => 0);
  const refused = backends.map(() => 0);
  const downUntil = backends.map(() => 0);
  const sockets = new Set<net.Socket>();
  let next = 0;

  /** The next backend in turn that is not marked down, trying `tried` ones last; -1 when all were tried. */
  function pick(tried: Set<number>): number {
    const now = Date.now();
    for (const allowDown of [false, true]) {
      for (let k = 0; k < backends.length; k++) {
        const i = (next + k) % backends.length;
        if (tried.has(i)) continue;
        if (!allowDown && downUntil[i]! > now) continue;
        next = i + 1;
        return i;
      }
    }
    return -1;
  }

  function track(s: net.Socket): void {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  }

  const server = net.createServer((client) => {
    track(client);
    client.pause();
    client.on('error', () => {});
    const tried = new Set<number>();
    const attempt = () => {
      const i = pick(tried);
      if (i < 0 || client.destroyed) return void client.destroy();
      tried.add(i);
      const upstream = net.connect(backends[i]!, host);
      track(upstream);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        hits[i]!++;
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) {
          refused[i]!++;
          downUntil[i] = Date.now() + downMs;
          upstream.destroy();
          attempt();
        } else {
          client.destroy();
        }
      });
      upstream.on('close', () => connected && client.destroy());
      client.on('close', () => upstream.destroy());
    };
    attempt();
  });
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://${host}:${port}`,
    port,
    hits,
    refused,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
