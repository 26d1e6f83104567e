import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One built file, held in memory: the console is a few small files. */
export interface ConsoleAsset {
  body: Buffer;
  /** Gzip-compressed body, when compressing pays off. */
  gzip: Buffer | null;
  contentType: string;
  etag: string;
  /** Vite names hashed files `name-HASH.ext` under assets/: they never change. */
  immutable: boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

function toAsset(body: Buffer, path: string, immutable: boolean): ConsoleAsset {
  const contentType = contentTypeOf(path);
  const compressed = COMPRESSIBLE.test(contentType) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
  return {
    body,
    gzip: compressed && compressed.length < body.length ? compressed : null,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    immutable,
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path);
    return entry.isFile() ? [path] : [];
  });
}

/**
 * Reads a built console directory. Returns the page and every other file keyed by its
 * URL path below the prefix (`assets/index-abc.js`), or null when no page was built.
 */
export function loadConsoleDir(distDir: string): { index: ConsoleAsset; files: Map<string, ConsoleAsset> } | null {
  const indexPath = join(distDir, 'index.html');
  try {
    if (!statSync(indexPath).isFile()) return null;
  } catch {
    return null;
  }
  const files = new Map<string, ConsoleAsset>();
  for (const path of walk(distDir)) {
    if (path === indexPath) continue;
    const urlPath = relative(distDir, path).split(sep).join('/');
    files.set(urlPath, toAsset(readFileSync(path), path, urlPath.startsWith('assets/')));
  }
  return { index: toAsset(readFileSync(indexPath), indexPath, false), files };
}
