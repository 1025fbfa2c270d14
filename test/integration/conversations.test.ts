import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { INTENTS } from '../../src/mentor/index.js';
import { mentions, openTestService } from '../support/mentor_harness.js';

const Turn = z.strictObject({
  user: z.string().min(1),
  lang: z.enum(['zh', 'en']).optional(),
  intent: z.enum(INTENTS).optional(),
  must: z.array(z.string()).default([]),
  must_not: z.array(z.string()).default([]),
  /** Said at most once: two sources' copies of one rule are one point, not two. */
  once: z.array(z.string()).default([]),
  /** true: at least one citation; a list: cited doc ids must include one starting with each prefix. */
  cites: z.union([z.boolean(), z.array(z.string())]).optional(),
  /** Doc id prefixes no citation may start with: a document on what was not asked. */
  not_cites: z.array(z.string()).default([]),
  /** Words each found in some citation's quote: which sentence of a document is cited, not only which document. */
  quotes: z.array(z.string()).optional(),
  /** Expected overall eligibility status, and optionally a route's status. */
  eligibility: z.strictObject({ status: z.enum(['eligible', 'not_yet', 'needs_info', 'not_eligible']).optional(), route: z.string().optional(), routeStatus: z.string().optional(), earliest: z.boolean().optional() }).optional(),
  asks_back: z.boolean().optional(),
  /** Listed for staff among the unanswered questions (the transcript's flag). */
  unanswered: z.boolean().optional(),
  /** The reply's first bullet (or its only paragraph) mentions this: what a definition question must open with. */
  leads_with: z.string().optional(),
});
const Conversation = z.strictObject({
  name: z.string(),
  lang: z.enum(['zh', 'en']),
  tags: z.array(z.string()).default([]),
  /** A known defect of the mentor: the conversation is expected to fail until it is fixed (then remove this). */
  known_issue: z.string().optional(),
  turns: z.array(Turn).min(1),
});

const dir = path.join(import.meta.dirname, '..', 'conversations');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() : [];
const conversations = files.flatMap((f) => {
  const raw = YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  return (Array.isArray(raw) ? raw : [raw]).map((c, i) => ({ file: f, index: i, ...Conversation.parse(c) }));
});

describe('conversations as data', () => {
  let service: Awaited<ReturnType<typeof openTestService>>;
  beforeAll(async () => {
    service = await openTestService();
  });
  afterAll(() => service?.close());

  it('has the conversations the issue asks for', () => {
    expect(conversations.length).toBeGreaterThanOrEqual(60);
    const multiTurnEligibility = conversations.filter((c) => c.turns.length > 1 && c.turns.at(-1)?.eligibility?.status && c.turns.at(-1)?.eligibility?.status !== 'needs_info');
    expect(multiTurnEligibility.length).toBeGreaterThanOrEqual(15);
    expect(conversations.some((c) => c.lang === 'en')).toBe(true);
  });

  it('keeps known issues few', () => {
    const known = conversations.filter((c) => c.known_issue);
    console.log(`known issues: ${known.length} of ${conversations.length} conversations`);
    expect(known.length / conversations.length).toBeLessThan(0.2);
  });

  for (const convo of conversations) {
    // it.fails: a known issue that starts passing fails the run, so the marker is removed with the fix.
    const test = convo.known_issue ? it.fails : it;
    test(`${convo.file} · ${convo.name}${convo.known_issue ? ` [known issue: ${convo.known_issue}]` : ''}`, async () => {
      let sessionId: string | undefined;
      for (const [i, turn] of convo.turns.entries()) {
        const reply = await service.mentor.handleTurn({ message: turn.user, sessionId, lang: turn.lang, channel: 'test' });
        sessionId = reply.sessionId;
        const where = `turn ${i + 1} "${turn.user}" → ${reply.intent}: ${reply.reply}`;
        if (turn.intent) expect(reply.intent, where).toBe(turn.intent);
        for (const m of turn.must) expect(mentions(reply.reply, m), `${where}\n  must mention: ${m}`).toBe(true);
        for (const m of turn.must_not) expect(mentions(reply.reply, m), `${where}\n  must not mention: ${m}`).toBe(false);
        for (const m of turn.once) expect(reply.reply.toLowerCase().split(m.toLowerCase()).length - 1, `${where}\n  said at most once: ${m}`).toBeLessThanOrEqual(1);
        if (turn.cites === true) expect(reply.citations.length, where).toBeGreaterThan(0);
        if (turn.cites === false) expect(reply.citations, where).toEqual([]);
        if (Array.isArray(turn.cites)) for (const prefix of turn.cites) expect(reply.citations.some((c) => c.docId.startsWith(prefix)), `${where}\n  cites ${prefix}: ${reply.citations.map((c) => c.docId)}`).toBe(true);
        for (const prefix of turn.not_cites) expect(reply.citations.map((c) => c.docId).filter((id) => id.startsWith(prefix)), `${where}\n  does not cite ${prefix}`).toEqual([]);
        for (const q of turn.quotes ?? []) expect(reply.citations.some((c) => c.quote.includes(q)), `${where}\n  a quote holds: ${q}: ${reply.citations.map((c) => c.quote).join(' | ')}`).toBe(true);
        // Every [n] in the text resolves to a citation, and every quote is verbatim from its chunk.
        for (const m of reply.reply.matchAll(/\[(\d+)\]/g)) expect(reply.citations.some((c) => c.n === Number(m[1])), where).toBe(true);
        for (const c of reply.citations) expect(service.index().chunks.find((ch) => ch.id === c.chunkId)?.text, where).toContain(c.quote);
        if (turn.eligibility?.status) expect(reply.eligibility?.overall.status, where).toBe(turn.eligibility.status);
        if (turn.eligibility?.route) {
          const route = reply.eligibility?.routes.find((r) => r.route === turn.eligibility!.route);
          expect(route, where).toBeDefined();
          if (turn.eligibility.routeStatus) expect(route!.status, where).toBe(turn.eligibility.routeStatus);
          if (turn.eligibility.earliest) expect(route!.earliest, where).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        }
        if (turn.leads_with) {
          const lead = reply.reply.split('\n').find((l) => l.startsWith('• ')) ?? reply.reply.split('\n\n')[1] ?? '';
          expect(mentions(lead, turn.leads_with), `${where}\n  leads with: ${turn.leads_with}`).toBe(true);
        }
        if (turn.unanswered !== undefined) expect(service.store.transcript(reply.sessionId).at(-1)?.unanswered, `${where}\n  unanswered`).toBe(turn.unanswered);
        if (turn.asks_back !== undefined) expect(reply.eligibility?.overall.status === 'needs_info' && /\?|？/.test(reply.reply), where).toBe(turn.asks_back);
      }
    });
  }
});
