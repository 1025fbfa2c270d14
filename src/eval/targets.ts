import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { currentBuildId, embedderFactory, indexRoot, indexState, type KnowledgeIndex } from '../knowledge/index.js';
import type { Lang } from '../llm/index.js';
import { openMentorService, type MentorReply, type ServiceOptions } from '../mentor/index.js';

export type EvalMode = 'offline' | 'llm';

export interface TurnRequest {
  message: string;
  sessionId?: string;
  lang: Lang;
}

/** A reply, and (in process) why LLM mode fell back to the offline composer on this turn, if it did. */
export type TargetReply = MentorReply & { fallback?: string };

/** What the runner talks to: the mentor in this process, or a deployment over HTTP. */
export interface EvalTarget {
  /** offline, llm, or the URL of a deployment. */
  label: string;
  turn(request: TurnRequest): Promise<TargetReply>;
  close(): Promise<void>;
}

export interface InProcessTarget extends EvalTarget {
  /** The serving index: chunk texts for citation checks, and the retriever for retrieval metrics. */
  index: () => KnowledgeIndex;
  /** Whether replies are written by a language model. */
  llm: boolean;
}

/** The configuration of a mode: offline drops every model setting, so the run is deterministic and needs no network. */
export function configForMode(config: Config, mode: EvalMode): Config {
  if (mode === 'llm') {
    if (!config.llmEnabled) throw new Error('LLM mode needs a model: set OPENAI_API_KEY or OPENAI_BASE_URL');
    return config;
  }
  return { ...config, OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, OPENAI_EMBEDDING_MODEL: undefined, llmEnabled: false };
}

/**
 * The real mentor service on a temporary DATA_DIR, so evaluation sessions never mix with citizens'
 * transcripts. The serving index is copied when it is fresh for this mode, otherwise built afresh.
 */
export async function openInProcessTarget(config: Config, mode: EvalMode, options: ServiceOptions = {}): Promise<InProcessTarget> {
  const modeConfig = configForMode(config, mode);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tm-eval-${mode}-`));
  copyFreshIndex(modeConfig, dataDir);
  try {
    const service = await openMentorService({ ...modeConfig, dataDir, DATA_DIR: dataDir }, options);
    return {
      label: mode,
      llm: Boolean(options.llm) || modeConfig.llmEnabled,
      index: () => service.index(),
      turn: async (r) => {
        const reply = await service.mentor.handleTurn({ message: r.message, sessionId: r.sessionId, lang: r.lang, channel: 'eval' });
        if (!modeConfig.llmEnabled && !options.llm) return reply;
        const fallback = service.store.transcript(reply.sessionId).at(-1)?.fallback;
        return fallback ? { ...reply, fallback } : reply;
      },
      close: async () => {
        service.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

function copyFreshIndex(config: Config, dataDir: string): void {
  const factory = embedderFactory(config);
  try {
    if (!fs.existsSync(config.knowledgeDir) || indexState(config.knowledgeDir, config.dataDir, factory) !== 'fresh') return;
  } catch {
    return; // an unreadable serving index is simply rebuilt in the temporary folder
  }
  const id = currentBuildId(config.dataDir)!;
  fs.mkdirSync(indexRoot(dataDir), { recursive: true });
  fs.cpSync(path.join(indexRoot(config.dataDir), id), path.join(indexRoot(dataDir), id), { recursive: true });
  fs.writeFileSync(path.join(indexRoot(dataDir), 'CURRENT'), id);
}

/** A deployment over HTTP: POST {url}/api/chat with { message, sessionId, lang } per turn. */
export function httpTarget(baseUrl: string, options: { timeoutMs?: number } = {}): EvalTarget {
  const endpoint = `${baseUrl.replace(/\/+$/, '')}/api/chat`;
  return {
    label: baseUrl,
    async turn(r) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: r.message, lang: r.lang, ...(r.sessionId ? { sessionId: r.sessionId } : {}) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST ${endpoint} answered ${res.status}: ${text.slice(0, 200)}`);
      const body = JSON.parse(text) as MentorReply;
      if (typeof body.reply !== 'string' || !Array.isArray(body.citations)) throw new Error(`POST ${endpoint} answered a body without reply and citations`);
      return body;
    },
    close: async () => {},
  };
}
