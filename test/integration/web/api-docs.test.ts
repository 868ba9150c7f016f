/**
 * The API reference (Redoc) at /docs/api on the web listener: public, the API's title in the
 * served HTML, no inline script and nothing from another host, a Content-Security-Policy that
 * allows exactly the page's own inline styles (by hash) and Redoc's run-time stylesheet (by a
 * fresh nonce), and the committed page and assets are what `npm run docs:api` makes from the
 * current document (drift). That the served /openapi.json passes `redocly lint` is
 * test/integration/ops/openapi-routes.test.ts; that Redoc runs under this policy in a browser is
 * test/e2e/api-docs.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOpenApiDocument } from '../../../gateway/src/schema/openapi.js';
import { inlineStyleHashes } from '../../../gateway/src/ui/api-docs.js';
import { ASSET_DIR, generate, PAGE_FILE } from '../../../scripts/docs-api.js';
import { startWebWorld, type WebWorld } from './world.js';

let w: WebWorld;
beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const csp = (res: Response) => Object.fromEntries((res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
  const [name = '', ...values] = d.trim().split(/\s+/);
  return [name, values];
}));

describe('GET /docs/api', () => {
  it('serves the reference to anyone, with the API title, under a policy with no inline script', async () => {
    const res = await w.page('/docs/api');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const title = (loadOpenApiDocument().info as { title: string }).title;
    expect(html).toContain(`<title>${title}</title>`);
    expect(html).toContain('id="redoc"');

    const policy = csp(res);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['default-src']).toEqual(["'none'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(res.headers.get('content-security-policy')).not.toContain("'unsafe-inline'");
    // Redoc's styled-components reads the nonce from the meta tag; it is fresh for each response.
    const nonce = /<meta property="csp-nonce" content="([^"]+)">/.exec(html)?.[1];
    expect(nonce).toBeTruthy();
    expect(policy['style-src']).toContain(`'nonce-${nonce}'`);
    const again = /<meta property="csp-nonce" content="([^"]+)">/.exec(await (await w.page('/docs/api')).text())?.[1];
    expect(again).not.toBe(nonce);
    // Every inline style the page holds is allowed by its hash; no inline script at all.
    for (const h of inlineStyleHashes(html)) expect(policy['style-src']).toContain(h);
    expect([...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].filter((m) => m[1]!.trim() !== '')).toEqual([]);
    // Nothing loaded from another host: Redoc's bundle is served from here. (Links to other sites,
    // such as Redocly's "API docs by" badge, are only links.)
    expect([...html.matchAll(/<(?:script|link|img|iframe|source)\b[^>]*\s(?:src|href|srcset)="(?:https?:)?\/\/[^"]*"/g)].map((m) => m[0])).toEqual([]);
    expect(html).not.toContain('cdn.redoc');
  });

  it('the scripts it loads are served from this origin, the bundle matching its integrity', async () => {
    const html = await (await w.page('/docs/api')).text();
    const urls = [...html.matchAll(/<(?:script|link)\b[^>]*\s(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls.sort()).toEqual(['/assets/redoc/color-mode.js', '/assets/redoc/init.js', '/assets/redoc/redoc.standalone.js']);
    for (const u of urls) {
      const res = await fetch(`${w.base}${u}`);
      expect(res.status, u).toBe(200);
      expect(res.headers.get('content-type'), u).toMatch(/javascript/);
      const body = Buffer.from(await res.arrayBuffer());
      if (u.endsWith('redoc.standalone.js')) {
        const integrity = /<link rel="modulepreload" href="[^"]+" integrity="([^"]+)"/.exec(html)?.[1];
        expect(integrity).toBe(`sha384-${createHash('sha384').update(body).digest('base64')}`);
      }
    }
    // The interactive page hydrates from the served document.
    expect(readFileSync(path.join(ASSET_DIR, 'init.js'), 'utf8')).toContain("fetch('/openapi.json'");
  });

  it('the committed page and assets are what `npm run docs:api` makes from the current document', async () => {
    const out = await generate();
    const stale: string[] = [];
    const same = (file: string, content: string | Buffer) => readFileSync(file).equals(Buffer.from(content)) || stale.push(path.basename(file));
    same(PAGE_FILE, out.page);
    same(path.join(ASSET_DIR, 'color-mode.js'), out.colorModeJs);
    same(path.join(ASSET_DIR, 'init.js'), out.initJs);
    // Redoc's bundle is served from the installed CLI (not committed); the page pins it by hash.
    expect(/<link rel="modulepreload" href="[^"]+" integrity="([^"]+)"/.exec(out.page)?.[1]).toBe(`sha384-${createHash('sha384').update(out.bundle).digest('base64')}`);
    expect(stale, 'run `npm run docs:api` and commit the result').toEqual([]);
  }, 120_000);
});
