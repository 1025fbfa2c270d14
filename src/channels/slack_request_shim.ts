import Module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * botbuilder-adapter-slack 1.0.14 requires the retired `request` package without declaring it (its
 * bot worker uses it for one thing: posting a reply to an interaction's `response_url`). Rather
 * than install `request`, we give the adapter, and only the adapter, this small fetch-based stand-in.
 * Import this file before 'botbuilder-adapter-slack'.
 */
type Callback = (err: Error | null, res?: { statusCode: number }, body?: unknown) => void;

function postJson(options: { uri?: string; url?: string; method?: string; json?: unknown }, callback: Callback): void {
  const target = options.uri ?? options.url ?? '';
  if (!/^https:\/\//.test(target)) {
    callback(new Error('only https response URLs are supported'));
    return;
  }
  fetch(target, { method: options.method ?? 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.json ?? {}), signal: AbortSignal.timeout(10_000) })
    .then(async (res) => {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Slack answers "ok" as plain text.
      }
      callback(null, { statusCode: res.status }, body);
    })
    .catch((err: Error) => callback(err));
}

interface CjsLoader {
  _cache: Record<string, Module>;
  _resolveFilename(request: string, parent: Module | undefined, ...rest: unknown[]): string;
}

const loader = Module as unknown as CjsLoader;
const STUB_ID = path.join(path.dirname(fileURLToPath(import.meta.url)), '<request shim for botbuilder-adapter-slack>');
if (!loader._cache[STUB_ID]) {
  const stub = new Module(STUB_ID);
  stub.filename = STUB_ID;
  stub.loaded = true;
  stub.exports = postJson;
  loader._cache[STUB_ID] = stub;
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, ...rest) {
    if (request === 'request' && parent?.filename?.includes(`${path.sep}botbuilder-adapter-slack${path.sep}`)) {
      try {
        return resolve.call(this, request, parent, ...rest);
      } catch {
        return STUB_ID;
      }
    }
    return resolve.call(this, request, parent, ...rest);
  };
}
