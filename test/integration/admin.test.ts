import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// The staff API end to end: the real server on loopback (createServer), a real mentor on a fresh
// DATA_DIR, and /api/chat answering from whatever the last acknowledged change made live.

const TOKEN = 'staff-token-for-admin-tests';
const DOC_ID = 'test-lilac.en';
const QUESTION = 'What does the lilac pilot scheme require?';

/** A fictional document with one fact that appears nowhere else in the corpus. */
const lilac = (fact: string, extra = '') => `---
id: ${DOC_ID}
title: The lilac pilot scheme (test document)
lang: en
scope: titles
${extra}---

# The lilac pilot scheme (test document)

## What does the lilac pilot scheme require?

The lilac pilot scheme is a fictional arrangement made up for this test: the lilac pilot scheme requires applicants to submit ${fact}.
`;

interface History {
  version: number;
  content: string;
  history: Array<{ version: number; revision: number; author: string; summary: string; deleted: boolean }>;
}

describe('the staff API against the real server', () => {
  let t: TestServer;
  let dataDir: string;
  const extra: TestServer[] = [];

  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, base = t.url) =>
    fetch(`${base}/api/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const put = (markdown: string, summary: string, author = 'tester') => admin('PUT', `/documents/${DOC_ID}`, { markdown, summary }, { 'x-admin-user': author });
  const ask = async (message = QUESTION) => ((await (await postJson(`${t.url}/api/chat`, { message, lang: 'en' })).json()) as { reply: string }).reply;
  const revision = async () => ((await (await admin('GET', '/documents')).json()) as { revision: number }).revision;
  const doc = async () => (await (await admin('GET', `/documents/${DOC_ID}`)).json()) as History;

  beforeAll(async () => {
    dataDir = tempDataDir();
    t = await startTestServer({ ADMIN_TOKEN: TOKEN }, { dataDir });
  });

  afterAll(async () => {
    for (const s of extra) await s.close();
    await t?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes a new document live for the next question, and times it', async () => {
    expect(await ask()).not.toContain('lilac forms');
    const started = performance.now();
    const res = await put(lilac('7 lilac forms'), 'new scheme');
    const putMs = performance.now() - started;
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: DOC_ID, kind: 'doc', version: 1, changed: true });
    const reply = await ask();
    const liveMs = performance.now() - started;
    expect(reply).toContain('7 lilac forms');
    console.log(`[admin] one update live: PUT acknowledged in ${putMs.toFixed(0)} ms; answered by /api/chat ${liveMs.toFixed(0)} ms after the PUT was sent`);
  });

  it('finds the new document first in hit testing, with the score and why', async () => {
    const res = await admin('GET', `/search?q=${encodeURIComponent('lilac pilot scheme')}&k=3`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { lang: string; chunks: Array<{ docId: string; score: number; why: { lexical?: { matched: string[] } }; text: string }> };
    expect(body.lang).toBe('en');
    expect(body.chunks[0].docId).toBe(DOC_ID);
    expect(body.chunks[0].score).toBeGreaterThan(0);
    expect(body.chunks[0].why.lexical?.matched).toEqual(expect.arrayContaining(['lilac']));
    expect(body.chunks[0].text).toContain('7 lilac forms');
  });

  it('replaces the old fact on update', async () => {
    const res = await put(lilac('9 lilac forms'), 'more forms');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: 2, changed: true });
    const reply = await ask();
    expect(reply).toContain('9 lilac forms');
    expect(reply).not.toContain('7 lilac forms');
  });

  it('removes the fact on delete, and brings it back on rollback', async () => {
    const removed = await admin('DELETE', `/documents/${DOC_ID}`, undefined, { 'x-admin-user': 'tester' });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ version: 3 });
    expect(await ask()).not.toContain('lilac forms');
    expect((await admin('GET', `/documents/${DOC_ID}`)).status).toBe(404);
    expect((await (await admin('GET', '/documents')).json()).documents.map((d: { id: string }) => d.id)).not.toContain(DOC_ID);

    const back = await admin('POST', `/documents/${DOC_ID}/rollback`, { version: 2 }, { 'x-admin-user': 'tester' });
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ restored: 2, version: 4 });
    expect(await ask()).toContain('9 lilac forms');
    const d = await doc();
    expect(d.history.map((v) => [v.version, v.deleted, v.summary])).toEqual([
      [1, false, 'new scheme'],
      [2, false, 'more forms'],
      [3, true, 'deleted through the admin API'],
      [4, false, 'rollback to version 2'],
    ]);
    const v1 = (await (await admin('GET', `/documents/${DOC_ID}/versions/1`)).json()) as { content: string };
    expect(v1.content).toContain('7 lilac forms');
  });

  it.each([
    ['a language that does not exist', lilac('1 lilac form').replace('lang: en', 'lang: fr'), 'lang'],
    ['a translation that does not exist', lilac('1 lilac form', 'translation_of: no-such-doc.zh\n'), 'translation_of'],
    ['an unknown series', lilac('1 lilac form', 'series: [no-such-series]\n'), 'series'],
    ['a date that is not a date', lilac('1 lilac form', 'effective_from: "2025-02-30"\n'), 'effective_from'],
    ['an empty title', lilac('1 lilac form').replace(/^title: .*$/m, 'title: ""'), 'title'],
  ])('refuses %s with 422, names the field, and changes nothing', async (_what, markdown, field) => {
    const before = await revision();
    const beforeDoc = await doc();
    const res = await put(markdown, 'broken');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { problems: Array<{ file: string; field: string; message: string }> };
    expect(body.problems.map((p) => p.field)).toContain(field);
    expect(await revision()).toBe(before);
    expect((await doc()).version).toBe(beforeDoc.version);
    expect(await ask()).toContain('9 lilac forms');
    // The dry run says the same without a change.
    const check = (await (await admin('POST', '/validate', { markdown })).json()) as { valid: boolean; problems: Array<{ field: string }> };
    expect(check.valid).toBe(false);
    expect(check.problems.map((p) => p.field)).toContain(field);
  });

  it('serialises 20 concurrent PUTs: all land, each under its own version, in order, none lost', async () => {
    const before = await doc();
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => put(lilac(`${i + 100} lilac forms`), `concurrent update ${i}`, `writer-${i}`).then(async (r) => ({ i, status: r.status, body: (await r.json()) as { version: number; revision: number } }))),
    );
    const totalMs = performance.now() - started;
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const versions = responses.map((r) => r.body.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, k) => before.version + 1 + k));

    const after = await doc();
    const byVersion = new Map(after.history.map((v) => [v.version, v]));
    for (const r of responses) {
      // Each acknowledged update is stored as the version it was told, by its writer, with its summary.
      expect(byVersion.get(r.body.version)).toMatchObject({ author: `writer-${r.i}`, summary: `concurrent update ${r.i}`, revision: r.body.revision });
    }
    // Revisions grow with versions: the store's order is the order the updates were applied.
    const mine = after.history.filter((v) => v.version > before.version);
    expect(mine.map((v) => v.revision)).toEqual([...mine.map((v) => v.revision)].sort((a, b) => a - b));
    const last = responses.find((r) => r.body.version === after.version)!;
    expect(after.content).toContain(`${last.i + 100} lilac forms`);
    expect(await ask()).toContain(`${last.i + 100} lilac forms`);
    console.log(`[admin] 20 concurrent PUTs applied in ${totalMs.toFixed(0)} ms (${(totalMs / 20).toFixed(0)} ms per update, serialised)`);
  }, 120_000);

  it('keeps the index consistent with the store (/readyz and GET /documents agree)', async () => {
    const ready = (await (await fetch(`${t.url}/readyz`)).json()) as { index: { documents: number } };
    const list = (await (await admin('GET', '/documents')).json()) as { documents: unknown[] };
    expect(ready.index.documents).toBe(list.documents.length);
  });

  it('filters the document list by language, series, scope and expiry', async () => {
    const get = async (q: string) => ((await (await admin('GET', `/documents?${q}`)).json()) as { documents: Array<{ id: string; lang: string; scope: string; series: string[]; expired: boolean }> }).documents;
    const en = await get('lang=en');
    expect(en.length).toBeGreaterThan(0);
    expect(en.every((d) => d.lang === 'en')).toBe(true);
    expect(en.map((d) => d.id)).toContain(DOC_ID);
    const eng = await get('series=engineering');
    expect(eng.length).toBeGreaterThan(0);
    expect(eng.every((d) => d.series.includes('engineering'))).toBe(true);
    expect((await get('scope=titles')).every((d) => d.scope === 'titles')).toBe(true);
    expect((await get('expired=true')).every((d) => d.expired)).toBe(true);
  });

  it('records who changed what, and downloads the audit log as CSV', async () => {
    const named = await put(lilac('11 lilac forms'), 'named author', encodeURIComponent('测试员 Wang'));
    expect(named.status).toBe(200);
    const res = await admin('GET', `/audit?format=csv&item=${DOC_ID}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="audit\.csv"/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,kind,item_id,version,summary');
    const rows = lines.slice(1).map((l) => l.split(','));
    const actions = rows.map((r) => r[3]);
    for (const a of ['create', 'update', 'delete', 'rollback']) expect(actions).toContain(a);
    expect(rows.filter((r) => r[3] === 'update' && r[2].startsWith('writer-'))).toHaveLength(20);
    // The newest first; a name in Chinese arrives percent-encoded (browsers send Latin-1 headers only).
    expect(rows[0]).toEqual([expect.any(String), expect.any(String), '测试员 Wang', 'update', 'doc', DOC_ID, expect.any(String), 'named author']);
  });

  it('lists transcripts, votes and unanswered questions, as JSON and CSV', async () => {
    for (const path of ['/transcripts', '/votes', '/unanswered']) {
      const json = await admin('GET', path);
      expect(json.status).toBe(200);
      expect(Array.isArray(((await json.json()) as { turns: unknown[] }).turns)).toBe(true);
    }
    const csv = await admin('GET', '/transcripts?format=csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toMatch(/^id,at,sessionId,channel,lang,intent,question,reply,vote,unanswered,fallback$/);
    expect(text).toContain(QUESTION);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const none = await fetch(`${t.url}/api/admin/documents`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await fetch(`${t.url}/api/admin/documents`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    const writes = await fetch(`${t.url}/api/admin/documents/${DOC_ID}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(writes.status).toBe(401);
    expect((await doc()).history.at(-1)?.deleted).toBe(false);
  });

  it('never throttles the right token: 25 slow uploads in flight at once after a few failures', async () => {
    // Headers first, the body a moment later (a phone on a slow network): all in flight together.
    const body = JSON.stringify({ markdown: lilac('12 lilac forms'), summary: 'slow upload' });
    const slowPut = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${t.url}/api/admin/documents/${DOC_ID}`, {
          method: 'PUT',
          agent: false,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.flushHeaders();
        setTimeout(() => req.end(body), 300);
      });
    const statuses = await Promise.all(Array.from({ length: 25 }, slowPut));
    expect(statuses).toEqual(Array(25).fill(200));
  });

  it('answers 429 after repeated wrong tokens, and then even to the right one', async () => {
    // A fresh router (its own failure counter), on the same mentor.
    const guarded = await startTestServer({ ADMIN_TOKEN: TOKEN }, { dataDir, service: t.service, metrics: t.metrics });
    extra.push(guarded);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await fetch(`${guarded.url}/api/admin/documents`, { headers: { authorization: `Bearer guess-${i}` } })).status);
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(401));
    expect(statuses).toContain(429);
    expect(statuses.at(-1)).toBe(429);
    const locked = await admin('GET', '/documents', undefined, {}, guarded.url);
    expect(locked.status).toBe(429);
    // The main server's counter is its own: staff there are unaffected.
    expect((await admin('GET', '/documents')).status).toBe(200);
  });

  it('is off (404) when no ADMIN_TOKEN is configured', async () => {
    const off = await startTestServer({}, { dataDir, service: t.service, metrics: t.metrics });
    extra.push(off);
    expect((await fetch(`${off.url}/api/admin/documents`)).status).toBe(404);
    expect((await fetch(`${off.url}/api/admin/documents`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${off.url}/api/admin/documents/${DOC_ID}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it('serves the staff console page at /admin', async () => {
    const res = await fetch(`${t.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/static/admin/admin.js');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['admin.js', 'admin.css', 'frontmatter.js', 'diff.js', 'preview.js']) expect((await fetch(`${t.url}/static/admin/${asset}`)).status).toBe(200);
  });
});
