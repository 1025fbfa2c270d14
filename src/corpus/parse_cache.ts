import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Parsed corpus items (documents, glossary and rule files) kept on disk between starts. Parsing every
 * document's YAML front matter was ~0.4 s of a 10k-chunk start, most of it the YAML parser warming up.
 *
 * An entry is found by a hash of its input, so a changed item is never served from here; the file as a
 * whole belongs to one version of the parsing code (the sources below and the yaml and zod versions),
 * so changing the parser empties it. It is only a cache: missing, unreadable or stale means empty.
 */
export class ParseCache {
  private entries = new Map<string, unknown>();
  /** Keys read or written since the last save: only these are written back, so it never grows stale. */
  private readonly used = new Set<string>();
  private added = 0;

  constructor(private readonly file?: string) {
    if (!file) return;
    try {
      const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: string; entries?: Array<[string, unknown]> };
      if (stored.format === parserFingerprint() && Array.isArray(stored.entries)) this.entries = new Map(stored.entries);
    } catch {
      // No cache yet, or a damaged one: parse everything.
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The parse of `input` (namespaced by `kind`), from the cache or made now. Values must survive JSON. */
  get<T>(kind: string, input: string, make: () => T): T {
    const key = crypto.createHash('sha256').update(kind).update('\u0000').update(input).digest('base64url');
    this.used.add(key);
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = make();
    this.entries.set(key, value);
    this.added++;
    return value;
  }

  /** Write the entries used since the last save, when anything changed. Failures are the caller's to log. */
  save(): boolean {
    if (!this.file) return false;
    const unused = [...this.entries.keys()].some((k) => !this.used.has(k));
    if (this.added === 0 && !unused) return false;
    const entries = [...this.entries].filter(([k]) => this.used.has(k));
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ format: parserFingerprint(), entries }));
    fs.renameSync(tmp, this.file);
    this.entries = new Map(entries);
    this.used.clear();
    this.added = 0;
    return true;
  }
}

/** The modules whose code decides what a parse returns, relative to this one. */
const PARSER_MODULES = ['../knowledge/corpus', '../knowledge/schema', '../eligibility/load', '../eligibility/schema', '../eligibility/dates'];

let fingerprint: string | undefined;
/** A hash of the parsing code and the yaml and zod versions: any change to them empties the cache. */
export function parserFingerprint(): string {
  if (fingerprint) return fingerprint;
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here) || '.js';
  const require = createRequire(import.meta.url);
  const h = crypto.createHash('sha256');
  for (const mod of PARSER_MODULES) h.update(fs.readFileSync(path.join(path.dirname(here), `${mod}${ext}`)));
  for (const pkg of ['yaml', 'zod']) h.update(`${pkg}@${(require(`${pkg}/package.json`) as { version: string }).version}`);
  fingerprint = `tm-parse-${h.digest('hex').slice(0, 16)}`;
  return fingerprint;
}
