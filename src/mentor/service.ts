import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { corpusDbPath, REPO_ROOT, type Config } from '../config.js';
import { LiveCorpus } from '../corpus/index.js';
import type { Rule } from '../eligibility/index.js';
import { loadSafetyRules } from '../guard/index.js';
import { embedderFactory, setRetrievalCacheSize, type KnowledgeIndex } from '../knowledge/index.js';
import { loadPrompts } from '../llm/prompts.js';
import { connectRedis, CorpusStore, RedisSessionStore, SqliteStore, type SessionStore } from '../store/index.js';
import { loadLexicon } from './lexicon.js';
import { Mentor, type LlmResponder as MentorLlm, type MentorDeps } from './mentor.js';

/** Everything one running mentor needs, wired from the configuration. */
export interface MentorService {
  mentor: Mentor;
  /** Transcripts and votes: always this instance's own SQLite file. */
  store: SqliteStore;
  /** Conversation state: the SQLite store, or Redis when REDIS_URL is set (shared by every instance). */
  sessions: SessionStore;
  /** The Redis connection when REDIS_URL is set (sessions and rate limits). */
  redis?: Redis;
  /** The versioned corpus: staff changes go through it and are live for the next question. */
  corpus: LiveCorpus;
  config: Config;
  /** The serving index (the latest snapshot of the live corpus). */
  index(): KnowledgeIndex;
  rules(): Rule[];
  /** The language-model responder in LLM mode (its circuit breaker is visible to health and tests). */
  llm?: MentorLlm & { breaker?: { isOpen: boolean; reset(): void } };
  close(): void;
}

export interface ServiceOptions {
  onProgress?: (message: string) => void;
  llm?: MentorLlm;
  onTurn?: MentorDeps['onTurn'];
  now?: () => Date;
  /** Poll the corpus store for changes made elsewhere (the CLI, other instances); 0 = never. */
  syncIntervalMs?: number;
}

export async function openMentorService(config: Config, options: ServiceOptions = {}): Promise<MentorService> {
  const promptsDir = path.join(REPO_ROOT, 'prompts');
  setRetrievalCacheSize(config.RETRIEVAL_CACHE_SIZE);
  const prompts = loadPrompts(promptsDir);
  const safety = loadSafetyRules(promptsDir);
  const lexicon = loadLexicon(path.join(config.knowledgeDir, 'slots.yaml'));
  const corpusFile = corpusDbPath(config);
  const corpusStore = new CorpusStore(corpusFile);
  const corpus = await LiveCorpus.open({
    store: corpusStore,
    knowledgeDir: config.knowledgeDir,
    dataDir: config.instanceDir ?? config.dataDir,
    makeEmbedder: embedderFactory(config),
    seriesIds: seriesIds(config.knowledgeDir),
    log: options.onProgress,
    now: options.now,
    background: {
      corpusDb: corpusFile,
      embedding: { OPENAI_API_KEY: config.OPENAI_API_KEY, OPENAI_BASE_URL: config.OPENAI_BASE_URL, OPENAI_EMBEDDING_MODEL: config.OPENAI_EMBEDDING_MODEL, OPENAI_TIMEOUT_MS: config.OPENAI_TIMEOUT_MS, OFFLINE_EMBEDDING_DIM: config.OFFLINE_EMBEDDING_DIM },
      minDocs: config.INDEX_BUILD_CHILD_MIN_DOCS,
    },
  }).catch((err: Error) => {
    corpusStore.close();
    throw err;
  });
  let redis: Redis | undefined;
  try {
    redis = config.REDIS_URL
      ? await connectRedis(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, onState: (state, detail) => options.onProgress?.(state === 'lost' ? `Redis connection lost (${detail}); turns go on without it` : `Redis is back (${detail})`) })
      : undefined;
  } catch (err) {
    corpus.close();
    throw err;
  }
  const store = new SqliteStore(path.join(config.dataDir, 'mentor.sqlite'), { busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT_MS });
  store.expireSessions(config.SESSION_TTL_HOURS);
  const sessions: SessionStore = redis ? new RedisSessionStore(redis, config.SESSION_TTL_HOURS) : store;

  // LLM mode when a key or an OpenAI-compatible base URL is configured; the offline composer stays the fallback.
  // LangChain and the OpenAI client are loaded only then (they are most of the start-up imports).
  const llm =
    options.llm ??
    (config.llmEnabled
      ? await import('../llm/llm_responder.js').then(({ LlmResponder, createChatModel }) =>
          new LlmResponder(
            createChatModel({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL, timeoutMs: config.OPENAI_TIMEOUT_MS }),
            { index: () => corpus.index(), rules: () => corpus.rules(), prompts, now: options.now, timeoutMs: config.OPENAI_TIMEOUT_MS },
          ),
        )
      : undefined);
  const mentor = new Mentor({
    index: () => corpus.index(),
    rules: () => corpus.rules(),
    store,
    sessions,
    prompts,
    lexicon,
    safety,
    llm,
    now: options.now,
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    onTurn: options.onTurn,
  });
  const syncIntervalMs = options.syncIntervalMs ?? config.CORPUS_SYNC_MS;
  const timer = syncIntervalMs ? setInterval(() => void corpus.sync().catch((err: Error) => options.onProgress?.(`corpus sync failed: ${err.message}`)), syncIntervalMs) : undefined;
  timer?.unref();
  return {
    mentor,
    store,
    sessions,
    redis,
    corpus,
    config,
    index: () => corpus.index(),
    rules: () => corpus.rules(),
    llm,
    close: () => {
      if (timer) clearInterval(timer);
      store.close();
      corpus.close();
      redis?.disconnect();
    },
  };
}

function seriesIds(knowledgeDir: string): Set<string> {
  const file = path.join(knowledgeDir, 'series.json');
  if (!fs.existsSync(file)) return new Set();
  return new Set((JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ id: string }>).map((s) => s.id));
}
