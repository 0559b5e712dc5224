import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The page's files: a fixed list, so no request path ever reaches the file system. */
const ASSETS = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { route: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
  { route: '/favicon.svg', file: 'favicon.svg', type: 'image/svg+xml' },
] as const;

export interface WebAsset {
  route: string;
  type: string;
  body: Buffer;
}

/**
 * Reads the page once at start. `web/` sits beside `src/` and `dist/`, so the same relative URL
 * finds it from the sources (tests, tsx) and from the built bundle.
 */
export function loadWebAssets(dir: URL = new URL('../web/', import.meta.url)): WebAsset[] {
  return ASSETS.map((a) => ({ route: a.route, type: a.type, body: readFileSync(fileURLToPath(new URL(a.file, dir))) }));
}
