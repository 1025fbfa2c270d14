import fs from 'node:fs';
import type { TranscriptRow } from '../store/index.js';
import { INTENTS } from '../mentor/index.js';
import { EvalCaseSchema, parseDataset, type EvalCaseLine, type Kind } from './schema.js';

/**
 * A draft case from a real conversation: its user turns (already PII-masked by the store), the
 * intent, verdict and cited documents the mentor gave, and empty must_mention / must_not lists for a
 * tester to complete. What was observed is a starting point, not the truth: the tester checks it.
 */
export function caseFromTranscript(sessionId: string, rows: TranscriptRow[], options: { id?: string } = {}): EvalCaseLine {
  if (rows.length === 0) throw new Error(`no turns stored for session ${sessionId}`);
  const last = rows[rows.length - 1];
  const lang = last.lang === 'en' ? 'en' : 'zh';
  const intent = (INTENTS as readonly string[]).includes(last.intent) ? (last.intent as EvalCaseLine['intent']) : undefined;
  const citations = Array.isArray(last.citations) ? (last.citations as Array<{ docId?: unknown }>) : [];
  const relevant = [...new Set(citations.map((c) => c.docId).filter((d): d is string => typeof d === 'string'))];
  const status = (last.eligibility as { overall?: { status?: string } } | undefined)?.overall?.status;
  const day = last.at.slice(0, 10);
  const draft = {
    id: options.id ?? `t-${day.replace(/-/g, '')}-${sessionId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`,
    lang,
    kind: kindFor(rows.length, last.intent),
    ...(rows.length === 1 ? { question: rows[0].userText } : { turns: rows.map((r) => r.userText) }),
    must_mention: [],
    must_not: [],
    ...(intent ? { intent } : {}),
    ...(relevant.length ? { relevant } : {}),
    ...(status === 'eligible' || status === 'not_yet' || status === 'needs_info' || status === 'not_eligible' ? { eligibility: { status } } : {}),
    note: `TODO: from session ${sessionId} (${rows.length} turn${rows.length > 1 ? 's' : ''}, ${day}); check intent/relevant/eligibility as observed, add must_mention and must_not. Observed reply: ${clip(last.replyText, 300)}`,
  };
  return EvalCaseSchema.parse(draft);
}

function kindFor(turns: number, intent: string): Kind {
  if (turns > 1) return 'multi_turn';
  if (intent === 'eligibility_check') return 'eligibility';
  if (intent === 'out_of_scope') return 'out_of_scope';
  if (intent === 'unsafe') return 'adversarial';
  return 'fact';
}

/** The case as one dataset line, keys in the order testers read them. */
export function caseLine(c: EvalCaseLine): string {
  const order = ['id', 'lang', 'kind', 'question', 'turns', 'must_mention', 'must_not', 'intent', 'relevant', 'eligibility', 'ask_back', 'note'] as const;
  const out: Record<string, unknown> = {};
  for (const k of order) if (c[k] !== undefined) out[k] = c[k];
  return JSON.stringify(out);
}

/** Append a case to a JSONL file, refusing an id the file already has. */
export function appendCase(file: string, c: EvalCaseLine): void {
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (parseDataset(existing, file).cases.some((x) => x.id === c.id)) throw new Error(`${file} already has a case ${c.id}; pass --id to name this one`);
  const sep = existing && !existing.endsWith('\n') ? '\n' : '';
  fs.appendFileSync(file, `${sep}${caseLine(c)}\n`);
}

function clip(s: string, n: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}
