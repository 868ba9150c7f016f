import net from 'node:net';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpBalancer, type TcpBalancer } from './tcp-balancer.js';

/** A TCP server that answers each connection with its name and closes. */
async function namedServer(name: string) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (d: Buffer) => s.end(`${name}:${d.toString()}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** One round trip through the balancer: the bytes come back from whichever backend took it. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(text));
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks).toString()));
    c.on('error', reject);
  });
}

describe('the test TCP balancer', () => {
  const closers: (() => Promise<void>)[] = [];
  let lb: TcpBalancer | undefined;
  afterAll(async () => {
    await lb?.close();
    await Promise.all(closers.map((c) => c()));
  });

  it('passes bytes through untouched, round-robin, and skips a backend that refuses connections', async () => {
    const servers = await Promise.all(['a', 'b', 'c'].map(namedServer));
    closers.push(...servers.map((s) => s.close));
    lb = await startTcpBalancer(servers.map((s) => s.port));

    const first = [];
    for (let i = 0; i < 6; i++) first.push(await roundTrip(lb.port, `m${i}`));
    expect(first).toEqual(['a:m0', 'b:m1', 'c:m2', 'a:m3', 'b:m4', 'c:m5']);
    expect(lb.hits).toEqual([2, 2, 2]);

    // b dies: every connection still gets an answer, from a or c.
    await servers[1]!.close();
    const after = [];
    for (let i = 0; i < 6; i++) after.push(await roundTrip(lb.port, `n${i}`));
    expect(after.every((r) => /^[ac]:n\d$/.test(r))).toBe(true);
    expect(after.map((r) => r.slice(2))).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    expect(lb.refused[1]).toBeGreaterThan(0);
    expect(lb.hits[1]).toBe(2);
  });
});
