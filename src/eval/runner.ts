import { retrieve, type KnowledgeIndex } from '../knowledge/index.js';
import { numbersIn } from '../llm/index.js';
import type { MentorReply } from '../mentor/index.js';
import type { Judge } from './judge.js';
import {
  askedBack,
  citationProblems,
  citesAnything,
  expectsRefusal,
  HIT_KS,
  isRefusal,
  keyFacts,
  mean,
  mustNotHits,
  numberEvidence,
  retrievalScores,
  ungroundedNumbers,
} from './metrics.js';
import { breakdown, failingChecks, type CaseMetricKey, type CaseResult, type MetricBreakdown, type RetrievedView, type TurnView } from './results.js';
import type { AnswerCase, EvalCase, RetrievalCase } from './schema.js';
import type { EvalTarget, TargetReply } from './targets.js';

/** How deep retrieval is measured (nDCG@10 needs ten documents). */
export const RETRIEVAL_DEPTH = 10;
/** Retrieved chunks shown with each answer case in the report. */
const SHOWN_CHUNKS = 5;
const SHOWN_CHUNK_CHARS = 600;

export interface Progress {
  label: string;
  done: number;
  total: number;
  /** Running key-fact coverage and fully-correct rate over the answer cases so far. */
  coverage?: number;
  fullyCorrect?: number;
  elapsedMs: number;
}

export interface RunOptions {
  target: EvalTarget;
  /** The index chunk texts are checked against and retrieval is measured on. */
  index: () => KnowledgeIndex;
  judge?: Judge;
  /** Why the LLM-judged metrics are absent, when there is no judge. */
  judgeNote?: string;
  /** Called every `progressEvery` cases and after the last one. */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** Evaluation date for retrieval validity windows (YYYY-MM-DD); today by default. */
  asOf?: string;
  /** Cases in flight at once (each has its own session); 1 by default. Results keep the dataset order. */
  concurrency?: number;
}

export interface RunResult {
  label: string;
  target: string;
  startedAt: string;
  durationMs: number;
  judge: { enabled: boolean; note: string };
  /** Problems with the dataset found while running (e.g. a relevant doc id the index does not know). */
  warnings: string[];
  cases: CaseResult[];
  metrics: MetricBreakdown;
}

/** Run every case through the target, in order, one fresh session per case. Deterministic for a deterministic target. */
export async function runEvaluation(cases: EvalCase[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const every = options.progressEvery ?? 25;
  const warnings: string[] = [];
  const slots: Array<CaseResult | undefined> = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i];
      slots[i] = c.type === 'retrieval' ? await runRetrievalCase(c, options, warnings) : await runAnswerCase(c, options, warnings);
      done += 1;
      if (options.onProgress && (done % every === 0 || done === cases.length)) {
        const finished = slots.filter((r): r is CaseResult => r !== undefined);
        options.onProgress({
          label: options.target.label,
          done,
          total: cases.length,
          coverage: mean(finished.map((r) => r.scores['answer.coverage']).filter((v): v is number => v !== undefined)),
          fullyCorrect: mean(finished.map((r) => r.scores['answer.fully_correct']).filter((v): v is number => v !== undefined)),
          elapsedMs: performance.now() - started,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, cases.length)) }, worker));
  const results = slots as CaseResult[];
  return {
    label: options.target.label,
    target: options.target.label,
    startedAt,
    durationMs: performance.now() - started,
    judge: options.judge ? { enabled: true, note: 'faithfulness and answer relevancy judged by the configured model (RAGAS definitions)' } : { enabled: false, note: options.judgeNote ?? 'no model configured: the LLM-judged metrics (faithfulness, answer relevancy) are omitted' },
    warnings,
    cases: results,
    metrics: breakdown(results),
  };
}

async function runRetrievalCase(c: RetrievalCase, options: RunOptions, warnings: string[]): Promise<CaseResult> {
  const index = options.index();
  checkRelevantIds(c.id, c.relevant, index, warnings);
  const { scores, retrieved } = await measureRetrieval(index, c.query, c.lang, c.relevant, options.asOf);
  return {
    id: c.id,
    file: c.file,
    line: c.line,
    lang: c.lang,
    kind: c.kind,
    ...(c.note ? { note: c.note } : {}),
    messages: [c.query],
    expected: { relevant: c.relevant },
    retrieved,
    retrievalQuery: c.query,
    scores,
    failing: failingChecks(scores),
  };
}

async function runAnswerCase(c: AnswerCase, options: RunOptions, warnings: string[]): Promise<CaseResult> {
  const index = options.index();
  const turns: TurnView[] = [];
  let sessionId: string | undefined;
  let last: TargetReply | undefined;
  let error: string | undefined;
  for (const message of c.messages) {
    const t0 = performance.now();
    try {
      last = await options.target.turn({ message, sessionId, lang: c.lang });
    } catch (err) {
      error = `turn ${turns.length + 1}: ${(err as Error).message}`;
      last = undefined;
      break;
    }
    const latencyMs = performance.now() - t0;
    sessionId = last.sessionId;
    turns.push({ message, reply: last.reply, intent: last.intent, latencyMs: round(latencyMs, 2), citations: last.citations.length, ...(last.eligibility ? { eligibility: last.eligibility.overall.status } : {}), ...(last.fallback ? { fallback: last.fallback } : {}) });
  }
  const reply: MentorReply = last ?? { sessionId: sessionId ?? '', reply: '', lang: c.lang, intent: 'error' as MentorReply['intent'], citations: [], suggestions: [] };

  const chunkText = chunkLookup(index);
  const scores: Partial<Record<CaseMetricKey, number>> = {};
  const facts = keyFacts(reply.reply, c.must_mention);
  if (facts.coverage !== undefined) scores['answer.coverage'] = facts.coverage;
  const hits = mustNotHits(reply.reply, c.must_not);
  if (c.must_not.length) scores['answer.must_not_violations'] = hits.length ? 1 : 0;

  const citeProblems = citesAnything(reply) ? citationProblems(reply, chunkText) : undefined;
  if (citeProblems) scores['citations.validity'] = citeProblems.length ? 0 : 1;
  const ungrounded = numbersIn(reply.reply).length ? ungroundedNumbers(reply.reply, numberEvidence(reply, chunkText)) : undefined;
  if (ungrounded) scores['grounding.numeric'] = ungrounded.length ? 0 : 1;

  const refused = isRefusal(reply.intent);
  const expectRefusal = expectsRefusal(c);
  if (expectRefusal === true) scores['refusal.accuracy'] = refused ? 1 : 0;
  if (expectRefusal === false) scores['refusal.false_rate'] = refused ? 1 : 0;
  if (c.intent) scores['intent.accuracy'] = reply.intent === c.intent ? 1 : 0;
  const status = reply.eligibility?.overall.status;
  if (c.eligibility?.status) scores['eligibility.accuracy'] = status === c.eligibility.status ? 1 : 0;
  const asked = askedBack(reply);
  if (c.ask_back !== undefined) scores['ask_back.accuracy'] = asked === c.ask_back ? 1 : 0;

  if (c.relevant) checkRelevantIds(c.id, c.relevant, index, warnings);
  const relevantTopics = c.relevant?.length ? new Set(c.relevant.map((d) => topicOf(index, d))) : undefined;
  if (relevantTopics && expectRefusal === false && c.ask_back !== true) scores['answer.cites_relevant'] = reply.citations.some((x) => relevantTopics.has(topicOf(index, x.docId))) ? 1 : 0;

  // Retrieval is measured on single questions: a follow-up turn is rewritten by the mentor with the topic in play.
  const query = c.messages[c.messages.length - 1];
  const measured = await measureRetrieval(index, query, c.lang, c.messages.length === 1 ? c.relevant : undefined, options.asOf, c.relevant);
  Object.assign(scores, measured.scores);

  const expectationsMet =
    !error && facts.missed.length === 0 && hits.length === 0 && (!c.intent || reply.intent === c.intent) && (!c.eligibility?.status || status === c.eligibility.status) && (c.ask_back === undefined || asked === c.ask_back);
  scores['answer.fully_correct'] = expectationsMet ? 1 : 0;

  const result: CaseResult = {
    id: c.id,
    file: c.file,
    line: c.line,
    lang: c.lang,
    kind: c.kind,
    ...(c.note ? { note: c.note } : {}),
    messages: c.messages,
    expected: {
      ...(c.must_mention.length ? { mustMention: c.must_mention } : {}),
      ...(c.must_not.length ? { mustNot: c.must_not } : {}),
      ...(c.intent ? { intent: c.intent } : {}),
      ...(c.eligibility?.status ? { eligibility: c.eligibility.status } : {}),
      ...(c.ask_back !== undefined ? { askBack: c.ask_back } : {}),
      ...(expectRefusal !== undefined ? { refusal: expectRefusal } : {}),
      ...(c.relevant ? { relevant: c.relevant } : {}),
    },
    turns,
    reply: reply.reply,
    intent: reply.intent,
    citations: reply.citations.map((x) => ({ n: x.n, docId: x.docId, chunkId: x.chunkId, title: x.title, ...(x.url ? { url: x.url } : {}), quote: x.quote })),
    ...(reply.eligibility
      ? { eligibility: { status: reply.eligibility.overall.status, ...(reply.eligibility.overall.bestRoute ? { bestRoute: reply.eligibility.overall.bestRoute } : {}), ...(reply.eligibility.overall.bestLevel ? { bestLevel: reply.eligibility.overall.bestLevel } : {}), missing: reply.eligibility.overall.missing } }
      : {}),
    askedBack: asked,
    missed: facts.missed,
    mustNotHits: hits,
    citationProblems: citeProblems ?? [],
    ungroundedNumbers: ungrounded ?? [],
    retrieved: measured.retrieved.slice(0, SHOWN_CHUNKS),
    retrievalQuery: query,
    scores,
    failing: [],
    ...(error ? { error } : {}),
  };

  if (options.judge && !error && !refused && (reply.intent === 'policy_question' || reply.intent === 'eligibility_check') && reply.reply.trim()) {
    const contexts = [
      ...new Set([
        ...reply.citations.map((x) => chunkText(x.chunkId)).filter((t): t is string => t !== undefined),
        ...measured.retrieved.slice(0, SHOWN_CHUNKS).map((r) => chunkText(r.chunkId) ?? r.text),
      ]),
      ...(reply.eligibility ? [JSON.stringify(reply.eligibility)] : []),
    ];
    result.judge = await options.judge.judge({ question: c.messages.join('\n'), answer: reply.reply, contexts });
    if (result.judge.faithfulness !== undefined) scores['judge.faithfulness'] = result.judge.faithfulness;
    if (result.judge.answerRelevancy !== undefined) scores['judge.answer_relevancy'] = result.judge.answerRelevancy;
  }
  result.failing = failingChecks(scores);
  return result;
}

/**
 * Retrieve for a query and, when relevant ids are given, score the ranking of distinct documents
 * (a document and its translation fold into one, so a hit in either language counts once).
 */
async function measureRetrieval(
  index: KnowledgeIndex,
  query: string,
  lang: 'zh' | 'en',
  relevant: string[] | undefined,
  asOf: string | undefined,
  markRelevant = relevant,
): Promise<{ scores: Partial<Record<CaseMetricKey, number>>; retrieved: RetrievedView[] }> {
  const result = await retrieve(index, query, { k: RETRIEVAL_DEPTH * 2, lang, ...(asOf ? { asOf } : {}) });
  const marked = markRelevant ? new Set(markRelevant.map((d) => topicOf(index, d))) : undefined;
  const retrieved: RetrievedView[] = result.chunks.map((r, i) => ({
    rank: i + 1,
    docId: r.chunk.docId,
    chunkId: r.chunk.id,
    title: r.chunk.title,
    score: r.score,
    ...(marked ? { relevant: marked.has(topicOf(index, r.chunk.docId)) } : {}),
    text: r.chunk.text.length > SHOWN_CHUNK_CHARS ? `${r.chunk.text.slice(0, SHOWN_CHUNK_CHARS)}…` : r.chunk.text,
  }));
  const scores: Partial<Record<CaseMetricKey, number>> = {};
  // A case naming no relevant document (an ask-back, a greeting) has no ranking to score, rather than a miss.
  if (relevant?.length) {
    const ranked = [...new Set(result.chunks.map((r) => topicOf(index, r.chunk.docId)))].slice(0, RETRIEVAL_DEPTH);
    const s = retrievalScores(ranked, new Set(relevant.map((d) => topicOf(index, d))));
    for (const k of HIT_KS) scores[`retrieval.hit@${k}` as CaseMetricKey] = s.hit[k];
    scores['retrieval.mrr'] = s.rr;
    scores['retrieval.ndcg@10'] = s.ndcg10;
  }
  return { scores, retrieved: retrieved.slice(0, RETRIEVAL_DEPTH) };
}

/** A document and its translation share one key: the original's id. */
export function topicOf(index: KnowledgeIndex, docId: string): string {
  return index.docs.get(docId)?.translationOf ?? docId;
}

function checkRelevantIds(caseId: string, ids: string[], index: KnowledgeIndex, warnings: string[]): void {
  for (const id of ids) if (!index.docs.has(id)) warnings.push(`${caseId}: relevant doc ${id} is not in the index`);
}

function chunkLookup(index: KnowledgeIndex): (chunkId: string) => string | undefined {
  const cache = lookupCache.get(index);
  if (cache) return (id) => cache.get(id);
  const byId = new Map(index.chunks.map((c) => [c.id, c.text]));
  lookupCache.set(index, byId);
  return (id) => byId.get(id);
}

const lookupCache = new WeakMap<KnowledgeIndex, Map<string, string>>();

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
