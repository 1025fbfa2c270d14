import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Crash safety of live corpus changes: the real `mentor serve` in a child process, a stream of admin
// PUTs, SIGKILL while one is in flight, a restart on the same DATA_DIR, and checks that every
// acknowledged change survived and that the index serves what the store holds.
//
// Three kill/restart cycles keep `npm test` quick; the long run is
//   CRASH_CYCLES=20 npx vitest run test/integration/crash.test.ts
const CRASH_CYCLES = Math.max(1, Number(process.env.CRASH_CYCLES ?? 3) || 3);

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'crash-test-staff-token';
const DOC_ID = 'test-crocus.en';
const QUESTION = 'What does the crocus pilot scheme require?';

const crocus = (n: number) => `---
id: ${DOC_ID}
title: The crocus pilot scheme (crash test document)
lang: en
scope: titles
---

# The crocus pilot scheme (crash test document)

## What does the crocus pilot scheme require?

The crocus pilot scheme is a fictional arrangement made up for a crash test: the crocus pilot scheme requires applicants to submit ${n} crocus forms.
`;
const factOf = (text: string): number | undefined => {
  const m = /submit (\d+) crocus forms/.exec(text);
  return m ? Number(m[1]) : undefined;
};

interface Server {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** `mentor serve --port 0` on DATA_DIR, resolved once it printed its URL. Only the variables it needs. */
function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, HOST: '127.0.0.1', LOG_LEVEL: 'silent', STREAM_PACE_MS: '0' },
    stdio: 'pipe',
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL within 60 s:\n${out}`)), 60_000);
    const onData = (chunk: string) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: string) => (out += chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${out}`));
    });
  });
}

async function waitReady(url: string, timeoutMs = 90_000): Promise<{ documents: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return ((await res.json()) as { index: { documents: number } }).index;
    if (Date.now() > until) throw new Error(`not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('live corpus changes survive SIGKILL', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-crash-'));
  let server: Server | undefined;

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every acknowledged update: its fact number, and the version and revision the server reported. */
  const acknowledged: Array<{ n: number; version: number; revision: number }> = [];
  /** The updates sent whose answer never came (cut off by the kill). */
  const unacknowledged: number[] = [];
  let next = 1;
  /** Whether each cut-off update turned out to be stored (either is correct; it was never acknowledged). */
  const landed = new Map<number, boolean>();

  /** The checks after a restart: nothing acknowledged lost, never an older fact, index = store. */
  async function verify(url: string, cycle: number) {
    const res = await fetch(`${url}/api/admin/documents/${DOC_ID}`, { headers: auth });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { version: number; content: string; history: Array<{ version: number; revision: number; summary: string; deleted: boolean }> };

    // The history is whole: versions 1..N, each once, in revision order.
    expect(doc.history.map((v) => v.version)).toEqual(doc.history.map((_, i) => i + 1));
    expect(doc.history.map((v) => v.revision)).toEqual([...doc.history.map((v) => v.revision)].sort((a, b) => a - b));
    // Every acknowledged update is there, as the version it was acknowledged as.
    const byVersion = new Map(doc.history.map((v) => [v.version, v]));
    for (const a of acknowledged) expect(byVersion.get(a.version), `acknowledged update ${a.n}`).toMatchObject({ summary: `crash-test update ${a.n}`, revision: a.revision });
    // Nothing appears that was never sent.
    const sent = new Set([...acknowledged.map((a) => a.n), ...unacknowledged]);
    for (const v of doc.history) expect(sent.has(Number(/crash-test update (\d+)/.exec(v.summary)?.[1]))).toBe(true);
    const stored = new Set(doc.history.map((v) => v.summary));
    for (const n of unacknowledged) landed.set(n, stored.has(`crash-test update ${n}`));

    // The current fact is the latest acknowledged one, or a later one cut off in flight; never older.
    const latestAck = acknowledged.at(-1)!.n;
    const current = factOf(doc.content)!;
    expect(current).toBeGreaterThanOrEqual(latestAck);
    if (current !== latestAck) expect(unacknowledged).toContain(current);

    // The mentor answers with it.
    const chat = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: QUESTION, lang: 'en' }) });
    expect(chat.status).toBe(200);
    const reply = ((await chat.json()) as { reply: string }).reply;
    expect(factOf(reply), `cycle ${cycle}: ${reply}`).toBe(current);

    // The index agrees with the store: hit testing finds the current fact, and counts match.
    const hits = (await (await fetch(`${url}/api/admin/search?q=${encodeURIComponent('crocus pilot scheme forms')}&k=3`, { headers: auth })).json()) as { chunks: Array<{ docId: string; text: string }> };
    expect(hits.chunks[0].docId).toBe(DOC_ID);
    expect(factOf(hits.chunks[0].text)).toBe(current);
    expect(hits.chunks.filter((c) => c.docId === DOC_ID)).toHaveLength(1);
    const ready = await waitReady(url);
    const list = (await (await fetch(`${url}/api/admin/documents`, { headers: auth })).json()) as { documents: Array<{ id: string }> };
    expect(ready.documents).toBe(list.documents.length);
    expect(list.documents.filter((d) => d.id === DOC_ID)).toHaveLength(1);
  }

  /** Sequential PUTs; SIGKILL during the `killAt`-th one (counted from 1), a few ms after it was sent. */
  async function streamAndKill(s: Server, killAt: number, killDelayMs: number, pauseBeforeKillMs: number) {
    const putMs: number[] = [];
    for (let k = 1; ; k++) {
      const n = next++;
      if (k === killAt && pauseBeforeKillMs) await new Promise((r) => setTimeout(r, pauseBeforeKillMs));
      const started = performance.now();
      const request = fetch(`${s.url}/api/admin/documents/${DOC_ID}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json', 'x-admin-user': 'crash-test' },
        body: JSON.stringify({ markdown: crocus(n), summary: `crash-test update ${n}` }),
      })
        .then(async (res) => ({ status: res.status, body: (await res.json()) as { version: number; revision: number } }))
        // Cut off by the kill (no answer, or half of one): not acknowledged.
        .catch(() => undefined);
      if (k === killAt) {
        await new Promise((r) => setTimeout(r, killDelayMs));
        s.child.kill('SIGKILL');
      }
      const res = await request;
      if (res && (res.status === 200 || res.status === 201)) {
        acknowledged.push({ n, version: res.body.version, revision: res.body.revision });
        putMs.push(performance.now() - started);
      } else {
        expect(res, `update ${n} answered ${res?.status}`).toBeUndefined();
        unacknowledged.push(n);
      }
      if (k >= killAt) break;
    }
    await s.exited;
    return putMs;
  }

  it(`keeps every acknowledged update through ${CRASH_CYCLES} kill/restart cycle(s)`, async () => {
    const timings: string[] = [];
    for (let cycle = 0; cycle <= CRASH_CYCLES; cycle++) {
      const started = performance.now();
      server = await startServer(dataDir);
      await waitReady(server.url);
      const readyMs = performance.now() - started;
      if (cycle > 0) await verify(server.url, cycle);
      if (cycle === CRASH_CYCLES) {
        timings.push(`final restart ready in ${readyMs.toFixed(0)} ms`);
        break;
      }
      // Vary where the kill lands: after 2..6 updates, 0..45 ms into the request, and on every third
      // cycle after a pause long enough for the index to be written to disk (1.5 s after a change).
      const killAt = 2 + ((cycle * 3) % 5);
      const killDelayMs = (cycle * 17) % 46;
      const pause = cycle % 3 === 1 ? 1450 + ((cycle * 37) % 150) : 0;
      const putMs = await streamAndKill(server, killAt, killDelayMs, pause);
      const mean = putMs.length ? putMs.reduce((a, b) => a + b, 0) / putMs.length : NaN;
      timings.push(`cycle ${cycle + 1}: ready in ${readyMs.toFixed(0)} ms, ${putMs.length} update(s) acknowledged (mean ${mean.toFixed(0)} ms), killed ${killDelayMs} ms into update ${next - 1}${pause ? ` after a ${pause} ms pause` : ''}`);
    }
    // A clean stop after the last check.
    server!.child.kill('SIGTERM');
    expect(await server!.exited).toBe(0);
    const cut = unacknowledged.map((n) => `${n}: ${landed.get(n) ? 'stored' : 'not stored'}`).join(', ');
    console.log(`[crash] ${CRASH_CYCLES} cycle(s); ${acknowledged.length} acknowledged and all kept; ${unacknowledged.length} cut off in flight (${cut})\n  ${timings.join('\n  ')}`);
    expect(acknowledged.length).toBeGreaterThanOrEqual(CRASH_CYCLES);
  }, 120_000 + CRASH_CYCLES * 40_000);
});
