import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { retrievalCacheCounts } from '../knowledge/index.js';
import type { MentorDeps } from '../mentor/index.js';

type TurnEvent = Parameters<NonNullable<MentorDeps['onTurn']>>[0];

/** Prometheus metrics of one server: turns, latency, intents, fallbacks and errors, by channel. */
export interface MentorMetrics {
  registry: Registry;
  /** Pass to `openMentorService(config, { onTurn })`: counts every finished turn. */
  onTurn: (event: TurnEvent) => void;
  /** A request a channel refused or failed: `code` is a short reason (bad_signature, message_too_long, internal, ...). */
  error: (channel: string, code: string) => void;
  /** A store operation outside a turn (a vote) the database refused. */
  storeFailure: (operation: string, code: string) => void;
}

/** A registry of its own, so several servers in one process (tests) never share counters. */
export function createMetrics(): MentorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mentor_process_' });
  const turns = new Counter({
    name: 'mentor_turns_total',
    help: 'Turns answered, by channel, intent and reply language.',
    labelNames: ['channel', 'intent', 'lang'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'mentor_turn_latency_seconds',
    help: 'Time the mentor took to answer a turn, by channel.',
    labelNames: ['channel'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [registry],
  });
  const intents = new Counter({
    name: 'mentor_intents_total',
    help: 'Turns by the intent the mentor recognised.',
    labelNames: ['intent'] as const,
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'mentor_fallbacks_total',
    help: 'Turns where the language model failed and the offline composer answered, by channel and reason.',
    labelNames: ['channel', 'reason'] as const,
    registers: [registry],
  });
  const storeFailures = new Counter({
    name: 'mentor_store_failures_total',
    help: 'Session, transcript and rate-limit reads and writes a store refused (SQLite busy, full, read-only; Redis down, timed out or refusing); the requests were answered.',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  });
  new Counter({
    name: 'mentor_retrieval_cache_total',
    help: 'Retrievals answered from the recent results (hit) or searched (miss), in this process.',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      const { hits, misses } = retrievalCacheCounts();
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
    },
  });
  const errors = new Counter({
    name: 'mentor_errors_total',
    help: 'Requests refused or failed, by channel and error code.',
    labelNames: ['channel', 'code'] as const,
    registers: [registry],
  });
  return {
    registry,
    onTurn: (e) => {
      turns.inc({ channel: e.channel, intent: e.intent, lang: e.lang });
      intents.inc({ intent: e.intent });
      latency.observe({ channel: e.channel }, e.latencyMs / 1000);
      if (e.fallback) fallbacks.inc({ channel: e.channel, reason: e.fallback });
      for (const f of e.storeFailures ?? []) storeFailures.inc({ operation: f.operation, code: f.code });
    },
    error: (channel, code) => errors.inc({ channel, code }),
    storeFailure: (operation, code) => storeFailures.inc({ operation, code }),
  };
}
