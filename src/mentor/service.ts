import path from 'node:path';
import { REPO_ROOT, type Config } from '../config.js';
import { DEFAULT_RULES_DIR, loadRules, type Rule } from '../eligibility/index.js';
import { loadSafetyRules } from '../guard/index.js';
import { embedderFactory, openKnowledgeIndex, type KnowledgeIndex } from '../knowledge/index.js';
import { createChatModel, LlmResponder, loadPrompts } from '../llm/index.js';
import { SqliteStore } from '../store/index.js';
import { loadLexicon } from './lexicon.js';
import { Mentor, type LlmResponder as MentorLlm, type MentorDeps } from './mentor.js';

/** Everything one running mentor needs, wired from the configuration. */
export interface MentorService {
  mentor: Mentor;
  store: SqliteStore;
  config: Config;
  /** The serving index; replaced atomically by `swapIndex`. */
  index(): KnowledgeIndex;
  swapIndex(next: KnowledgeIndex): void;
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
}

export async function openMentorService(config: Config, options: ServiceOptions = {}): Promise<MentorService> {
  const promptsDir = path.join(REPO_ROOT, 'prompts');
  const prompts = loadPrompts(promptsDir);
  const safety = loadSafetyRules(promptsDir);
  const lexicon = loadLexicon(path.join(config.knowledgeDir, 'slots.yaml'));
  const rulesDir = path.join(config.knowledgeDir, 'rules');
  const rules = loadRules(path.resolve(rulesDir) === path.resolve(DEFAULT_RULES_DIR) ? DEFAULT_RULES_DIR : rulesDir);
  let index = await openKnowledgeIndex(config.knowledgeDir, config.dataDir, embedderFactory(config), options.onProgress);
  const store = new SqliteStore(path.join(config.dataDir, 'mentor.sqlite'));
  store.expireSessions(config.SESSION_TTL_HOURS);
  // LLM mode when a key or an OpenAI-compatible base URL is configured; the offline composer stays the fallback.
  const llm =
    options.llm ??
    (config.llmEnabled
      ? new LlmResponder(
          createChatModel({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL, timeoutMs: config.OPENAI_TIMEOUT_MS }),
          { index: () => index, rules: () => rules, prompts, now: options.now, timeoutMs: config.OPENAI_TIMEOUT_MS },
        )
      : undefined);
  const mentor = new Mentor({
    index: () => index,
    rules: () => rules,
    store,
    prompts,
    lexicon,
    safety,
    llm,
    now: options.now,
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    onTurn: options.onTurn,
  });
  return {
    mentor,
    store,
    config,
    index: () => index,
    swapIndex: (next) => {
      index = next;
    },
    rules: () => rules,
    llm,
    close: () => store.close(),
  };
}
