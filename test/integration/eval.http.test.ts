import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadDatasets, runEvalAddCommand, runEvalCommand } from '../../src/eval/index.js';
import type { Report } from '../../src/eval/report.js';
import { createApp } from '../../src/server/index.js';
import { openTestService } from '../support/mentor_harness.js';

/** `mentor eval --url` against a real server on loopback, then `eval add` from the transcripts it stored. */
const dataset = path.join(import.meta.dirname, '..', 'fixtures', 'eval', 'small');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-http-'));
let service: Awaited<ReturnType<typeof openTestService>>;
let server: http.Server;
let url: string;
let report: Report;
let local: Report;

beforeAll(async () => {
  service = await openTestService();
  server = http.createServer(createApp(service));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stderr = '';
  const code = await runEvalCommand(
    { dataset, url, out: path.join(work, 'remote'), baseline: path.join(work, 'no-baseline.json'), asOf: '2026-11-25' },
    { config: loadConfig({ DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent' }), stdout: () => {}, stderr: (s) => (stderr += s) },
  );
  expect(code, stderr).toBe(0);
  report = JSON.parse(fs.readFileSync(path.join(work, 'remote', 'report.json'), 'utf8')) as Report;
  // The same cases in process, for comparison: the deployment must answer exactly alike.
  const inProcess = await runEvalCommand(
    { dataset, out: path.join(work, 'local'), baseline: path.join(work, 'no-baseline.json'), asOf: '2026-11-25', mode: 'offline' },
    { config: loadConfig({ DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent' }), stdout: () => {}, stderr: () => {} },
  );
  expect(inProcess).toBe(0);
  local = JSON.parse(fs.readFileSync(path.join(work, 'local', 'report.json'), 'utf8')) as Report;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  service?.close();
  fs.rmSync(service.dataDir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

describe('mentor eval --url', () => {
  it('runs every case through POST /api/chat and scores the replies', () => {
    const run = report.runs[0];
    expect(run.label).toBe(url);
    expect(run.cases).toHaveLength(11);
    expect(run.metrics.overall['answer.fully_correct']?.n).toBe(8);
    expect(run.metrics.overall['citations.validity']?.value).toBe(1);
    // Same replies, same scores as the mentor in process (latency aside).
    const strip = (r: Report) => r.runs[0].cases.map((c) => ({ id: c.id, reply: c.reply, intent: c.intent, citations: c.citations, scores: c.scores, failing: c.failing }));
    expect(strip(report)).toEqual(strip(local));
    expect(local.runs[0].label).toBe('offline');
    // The server stored every turn under the API channel: 9 turns for 8 answer cases (one has two).
    expect(service.store.recentTurns(100).filter((t) => t.channel === 'api')).toHaveLength(9);
  });

  it('keeps one session over a conversation', () => {
    const multi = service.store.recentTurns(100).filter((t) => t.userText === '那副高呢？')[0];
    const turns = service.store.transcript(multi.sessionId);
    expect(turns.map((t) => t.userText)).toEqual(['上海评中级工程师要什么条件？', '那副高呢？']);
  });
});

describe('mentor eval add --from-transcript', () => {
  const add = (opts: { fromTranscript: string; append?: string; id?: string }) => {
    let stdout = '';
    let stderr = '';
    const code = runEvalAddCommand(opts, { config: service.config, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    return { code, stdout, stderr };
  };

  it('turns a stored conversation into a valid draft case for a tester to complete', () => {
    const sessionId = service.store.recentTurns(100).filter((t) => t.userText === '那副高呢？')[0].sessionId;
    const file = path.join(work, 'drafts.jsonl');
    const first = add({ fromTranscript: sessionId, append: file });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/fill in must_mention and must_not/);
    const [draft] = loadDatasets(file);
    expect(draft).toMatchObject({ kind: 'multi_turn', lang: 'zh', turns: ['上海评中级工程师要什么条件？', '那副高呢？'], intent: 'policy_question', must_mention: [], must_not: [] });
    expect(draft.type === 'answer' && draft.relevant?.length).toBeGreaterThan(0);
    expect(draft.type === 'answer' && draft.note).toMatch(/^TODO: from session /);
    // The same conversation again is refused under the same id, accepted under another.
    expect(add({ fromTranscript: sessionId, append: file }).code).toBe(2);
    expect(add({ fromTranscript: sessionId, append: file, id: 'draft-2' }).code).toBe(0);
    expect(loadDatasets(file).map((c) => c.id)).toEqual([draft.id, 'draft-2']);
  });

  it('prints a single-question eligibility case, with the verdict observed', () => {
    const sessionId = service.store.recentTurns(100).filter((t) => t.userText === '硕士毕业两年半，有居住证，能评工程师吗？')[0].sessionId;
    const r = add({ fromTranscript: sessionId });
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(line).toMatchObject({ kind: 'eligibility', question: '硕士毕业两年半，有居住证，能评工程师吗？', intent: 'eligibility_check', eligibility: { status: 'eligible' } });
  });

  it('says so when the session has no turns, or there is no store at all', () => {
    const r = add({ fromTranscript: 'no-such-session' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no turns stored for session no-such-session/);
    let stderr = '';
    const none = runEvalAddCommand({ fromTranscript: 'x' }, { config: loadConfig({ DATA_DIR: path.join(work, 'empty'), LOG_LEVEL: 'silent' }), stderr: (s) => (stderr += s) });
    expect(none).toBe(2);
    expect(stderr).toMatch(/no conversation store at .*mentor\.sqlite/);
  });
});
