/**
 * Eligibility engine micro-benchmark: `evaluate(rules, facts, asOf)` over a realistic mix of fact sets, N rounds.
 *
 *   npx tsx bench/eligibility.ts [--rounds N] [--json]
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/eligibility.ts   (then: tsx bench/profile_summary.ts FILE)
 *
 * The mix: every case in test/eligibility/cases (complete and underspecified facts), a partial copy of each
 * (one group of facts dropped, as in the middle of a conversation), and the facts the chat's slot extractor
 * finds in eval/datasets/eligibility.jsonl (Chinese and English questions; skipped if the extractor cannot load).
 * Prints mean/p50/p95 µs per evaluation, evaluations/s, and a digest of every answer (it must not change when
 * the engine is only made faster).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RULES_DIR, evaluate, loadRules, type Facts } from '../src/eligibility/index.js';
import { loadCases } from '../test/eligibility/cases.js';
import { benchArgs } from './cli_args.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARGS = benchArgs({
  command: 'npm run bench:eligibility --',
  summary:
    'evaluate(rules, facts, asOf) over every reviewed case, a partial copy of each, and the facts of the eligibility questions: mean/p50/p95 µs an evaluation, evaluations/s, and a digest of every answer.',
  options: {
    rounds: { kind: 'integer', default: Number(process.env.ROUNDS ?? 20), help: 'passes over the mix' },
    json: { kind: 'flag', help: 'print the figures as JSON' },
  },
});
const ROUNDS = ARGS.rounds;
const JSON_OUT = ARGS.json;
/** The dataset questions are judged on a fixed day, so that the figures do not move with the calendar. */
const DATASET_AS_OF = '2025-06-01';

interface Sample {
  kind: 'case' | 'partial' | 'dataset';
  lang?: string;
  facts: Facts;
  asOf: string;
}

const rules = loadRules(DEFAULT_RULES_DIR);
const samples: Sample[] = [];

for (const { c } of loadCases()) {
  samples.push({ kind: 'case', facts: c.facts, asOf: c.asOf });
  // A partial copy: the last group of facts not yet given (series and jurisdiction stay).
  const keys = Object.keys(c.facts).filter((k) => k !== 'series' && k !== 'jurisdiction');
  if (keys.length >= 1) {
    const partial = structuredClone(c.facts) as Record<string, unknown>;
    delete partial[keys[keys.length - 1]];
    samples.push({ kind: 'partial', facts: partial as Facts, asOf: c.asOf });
  }
}

try {
  const { extractFacts } = await import('../src/mentor/slots.js');
  const { loadLexicon } = await import('../src/mentor/lexicon.js');
  const lex = loadLexicon(path.join(ROOT, 'knowledge', 'slots.yaml'));
  for (const file of ['eligibility.jsonl', 'multi_turn.jsonl']) {
    const full = path.join(ROOT, 'eval', 'datasets', file);
    if (!fs.existsSync(full)) continue;
    for (const line of fs.readFileSync(full, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const item = JSON.parse(line) as { lang?: string; question?: string; turns?: (string | { user?: string })[] };
      const texts = item.question ? [item.question] : (item.turns ?? []).map((t) => (typeof t === 'string' ? t : t.user ?? '')).filter(Boolean);
      let facts: Facts = {};
      for (const text of texts) {
        facts = { ...facts, ...extractFacts(text, lex).facts };
        if (facts.series) samples.push({ kind: 'dataset', lang: item.lang, facts: structuredClone(facts), asOf: DATASET_AS_OF });
      }
    }
  }
} catch (err) {
  console.error(`(dataset facts skipped: ${(err as Error).message})`);
}

const counts = samples.reduce<Record<string, number>>((m, s) => ((m[s.kind + (s.lang ? `:${s.lang}` : '')] = (m[s.kind + (s.lang ? `:${s.lang}` : '')] ?? 0) + 1), m), {});

// Digest of every answer: the optimised engine must give byte-identical results.
const digest = crypto.createHash('sha256');
for (const s of samples) digest.update(JSON.stringify(evaluate(rules, s.facts, s.asOf)));
const answers = digest.digest('hex').slice(0, 16);

// Warm-up, then the timed rounds.
for (let r = 0; r < 3; r++) for (const s of samples) evaluate(rules, s.facts, s.asOf);
const times: number[] = [];
const start = process.hrtime.bigint();
for (let r = 0; r < ROUNDS; r++) {
  for (const s of samples) {
    const t0 = process.hrtime.bigint();
    evaluate(rules, s.facts, s.asOf);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
}
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
const mean = times.reduce((a, b) => a + b, 0) / times.length;
const result = {
  samples: samples.length,
  mix: counts,
  rounds: ROUNDS,
  evaluations: times.length,
  meanUs: Math.round(mean * 10) / 10,
  p50Us: Math.round(pct(50) * 10) / 10,
  p95Us: Math.round(pct(95) * 10) / 10,
  maxUs: Math.round(times[times.length - 1] * 10) / 10,
  evalsPerSec: Math.round(times.length / (wallMs / 1000)),
  answersDigest: answers,
  node: process.version,
};
if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`eligibility bench: ${result.samples} fact sets (${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}) × ${ROUNDS} rounds = ${result.evaluations} evaluations`);
  console.log(`  mean ${result.meanUs} µs   p50 ${result.p50Us} µs   p95 ${result.p95Us} µs   max ${result.maxUs} µs`);
  console.log(`  ${result.evalsPerSec} evaluations/s   answers digest ${answers}   (${process.version})`);
}
