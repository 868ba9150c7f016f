import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { GOVUK_DIST } from './render.js';

/**
 * Static files under `/assets`: GOV.UK Frontend's compiled CSS and JS, its fonts and images
 * (the CSS refers to `/assets/fonts/...`), and our own small stylesheet (screen and print) and
 * script. Nothing here is personal, so these may be cached; pages are not.
 */
const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const GOVUK = path.join(GOVUK_DIST, 'govuk');

/** The files served by explicit routes (the rest are static folders), for the route table. */
export const ASSET_ROUTES = ['/assets/govuk-frontend.min.css', '/assets/govuk-frontend.min.js', '/assets/redoc/redoc.standalone.js'];

/** Where Redoc's bundle sits in @redocly/cli, the release scripts/docs-api.ts renders the page with. */
export const REDOC_BUNDLE_IN_CLI = path.join('node_modules', '@redocly', 'cli', 'lib', 'chunks', 'redoc.standalone.js');

/**
 * Redoc's 2 MB bundle is not kept in the repository: `npm run build` copies it beside the compiled
 * static files (a production install has no CLI), and a development checkout serves it from the
 * installed CLI, found from this file upwards. Undefined when neither is there: the reference page
 * then shows its prerendered text without the interactive parts.
 */
export function redocBundleFile(staticDir = STATIC_DIR): string | undefined {
  const built = path.join(staticDir, 'redoc', 'redoc.standalone.js');
  if (existsSync(built)) return built;
  for (let dir = path.dirname(staticDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, REDOC_BUNDLE_IN_CLI);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function assetRoutes(): Router {
  const router = express.Router();
  const opts = { index: false, fallthrough: true, redirect: false, maxAge: '1h' } as const;
  // Fonts and images carry content hashes or never change within a GOV.UK Frontend release.
  // GDS Transport is licensed for GOV.UK services only, and this gateway is not one: its font files
  // are not served, so GOV.UK Frontend's font stack falls back to Arial (docs/decisions/0007).
  router.use('/assets/fonts', (_req, res) => void res.status(404).end());
  router.use('/assets/images', express.static(path.join(GOVUK, 'assets', 'images'), opts));
  // The stylesheet is served without its GDS Transport font faces, so no page asks for a font
  // that would answer 404 (one failed request per weight on every page before).
  let css: string | undefined;
  router.get('/assets/govuk-frontend.min.css', (_req, res) => {
    css ??= withoutGovukFont(readFileSync(path.join(GOVUK, 'govuk-frontend.min.css'), 'utf8'));
    res.set('Cache-Control', 'public, max-age=3600').type('text/css').send(css);
  });
  router.get('/assets/govuk-frontend.min.js', (_req, res, next) => {
    res.sendFile(path.join(GOVUK, 'govuk-frontend.min.js'), { maxAge: '1h' }, (err) => err && next(err));
  });
  let redoc: string | undefined;
  router.get('/assets/redoc/redoc.standalone.js', (_req, res, next) => {
    redoc ??= redocBundleFile();
    if (!redoc) return void res.status(404).end();
    res.sendFile(redoc, { maxAge: '1h', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }, (err) => err && next(err));
  });
  router.use('/assets', express.static(STATIC_DIR, opts));
  return router;
}

/** GOV.UK Frontend's compiled CSS with its GDS Transport @font-face rules removed and the font
 * stacks starting at Arial, as `$govuk-include-default-font-face: false` would compile it. */
export function withoutGovukFont(css: string): string {
  return css
    .replace(/@font-face\{font-family:"?GDS Transport"?;[^}]*\}/g, '')
    .replace(/font-family:"?GDS Transport"?,/g, 'font-family:');
}
