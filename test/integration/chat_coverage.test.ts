import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mentions, openTestService } from '../support/mentor_harness.js';

/**
 * Key-fact coverage of the offline mentor on eval/datasets/chat.jsonl: the share of must_mention
 * items found in the replies. Below 0.9 the mentor is not good enough, and this test fails.
 */
const TARGET = 0.9;
const FLOOR = Number(process.env.CHAT_COVERAGE_FLOOR ?? TARGET);

interface Case {
  id: string;
  question?: string;
  turns?: string[];
  must_mention?: string[];
  must_not?: string[];
}

const file = path.join(import.meta.dirname, '..', '..', 'eval', 'datasets', 'chat.jsonl');
const cases: Case[] = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('chat.jsonl key-fact coverage', () => {
  let service: Awaited<ReturnType<typeof openTestService>>;
  beforeAll(async () => {
    service = await openTestService();
  });
  afterAll(() => service?.close());

  it(`covers at least ${FLOOR} of the key facts (target ${TARGET}) and says nothing it must not`, async () => {
    let found = 0;
    let total = 0;
    const violations: string[] = [];
    const missed: string[] = [];
    for (const c of cases) {
      let sessionId: string | undefined;
      let reply = '';
      for (const turn of c.turns ?? [c.question!]) {
        const r = await service.mentor.handleTurn({ message: turn, sessionId, channel: 'test' });
        sessionId = r.sessionId;
        reply = r.reply;
      }
      for (const m of c.must_mention ?? []) {
        total += 1;
        if (mentions(reply, m)) found += 1;
        else missed.push(`${c.id}: ${m}`);
      }
      for (const m of c.must_not ?? []) if (mentions(reply, m)) violations.push(`${c.id}: ${m}`);
    }
    const coverage = found / total;
    console.log(`chat.jsonl key-fact coverage: ${found}/${total} = ${coverage.toFixed(3)} (target ${TARGET}); must-not violations: ${violations.length}`);
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(violations).toEqual([]);
    expect(coverage, `missed:\n${missed.join('\n')}`).toBeGreaterThanOrEqual(FLOOR);
  }, 180_000);
});
