import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { createEligibilityTool, type EligibilityResult, type Rule } from '../eligibility/index.js';
import { retrieve, splitSentences, tokenize, type Chunk, type KnowledgeIndex, type RetrievalResult } from '../knowledge/index.js';
import type { Citation } from './citations.js';
import { CircuitBreaker } from './circuit_breaker.js';
import { checkGrounding, type GroundingProblem } from './grounding.js';
import { citationFor } from './offline_composer.js';
import { fill, type Lang, type Prompts } from './prompts.js';

export interface LlmSettings {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
}

export interface LlmAnswer {
  text: string;
  citations: Citation[];
  eligibility?: EligibilityResult;
}

export type LlmOutcome = { ok: true; answer: LlmAnswer } | { ok: false; reason: 'circuit_open' | 'ungrounded' | 'error' | 'no_answer'; detail?: string };

export function createChatModel(settings: LlmSettings): ChatOpenAI {
  return new ChatOpenAI({
    model: settings.model,
    apiKey: settings.apiKey ?? 'sk-local',
    configuration: settings.baseURL ? { baseURL: settings.baseURL } : undefined,
    maxRetries: 0,
    timeout: settings.timeoutMs,
    temperature: 0.2,
  });
}

const MAX_STEPS = 4;

/**
 * The LLM mode: a chat model with two tools (search_policy, check_eligibility) writes the reply; a
 * grounding check rejects numbers and citations the tools did not supply (one retry with the problem
 * named), and any failure is reported so the caller answers with the offline composer.
 */
export class LlmResponder {
  readonly breaker: CircuitBreaker;

  constructor(
    private readonly model: ChatOpenAI,
    private readonly deps: { index: () => KnowledgeIndex; rules: () => Rule[]; prompts: Prompts; now?: () => Date; timeoutMs: number },
    breaker?: CircuitBreaker,
  ) {
    this.breaker = breaker ?? new CircuitBreaker();
  }

  async respond(question: string, lang: Lang, initial?: RetrievalResult): Promise<LlmOutcome> {
    if (this.breaker.isOpen) return { ok: false, reason: 'circuit_open' };
    try {
      const outcome = await this.run(question, lang, initial);
      if (outcome.ok || outcome.reason === 'ungrounded') this.breaker.success();
      else this.breaker.failure();
      return outcome;
    } catch (err) {
      this.breaker.failure();
      return { ok: false, reason: 'error', detail: (err as Error).message };
    }
  }

  private async run(question: string, lang: Lang, initial?: RetrievalResult): Promise<LlmOutcome> {
    const index = this.deps.index();
    const sources = new Map<number, Chunk>();
    const evidence: string[] = [];
    let eligibility: EligibilityResult | undefined;
    const asOf = () => (this.deps.now?.() ?? new Date()).toISOString().slice(0, 10);

    const formatResults = (result: RetrievalResult): string => {
      if (result.chunks.length === 0) return 'No matching documents.';
      return result.chunks
        .map((r) => {
          const n = [...sources.entries()].find(([, c]) => c.id === r.chunk.id)?.[0] ?? sources.size + 1;
          sources.set(n, r.chunk);
          evidence.push(r.chunk.text);
          return `[${n}] ${r.chunk.title} (confidence ${r.chunk.confidence ?? '-'}, ${r.chunk.lang})\n${r.chunk.text}`;
        })
        .join('\n\n');
    };

    const searchPolicy = tool(async ({ query }: { query: string }) => formatResults(await retrieve(index, query, { k: 5, lang })), {
      name: 'search_policy',
      description: 'Search the professional-title policy corpus (Chinese and English). Returns numbered passages; cite them as [n]. Call it before answering any policy question.',
      schema: z.object({ query: z.string().min(1).describe('What to look up, in the user\'s words or key terms.') }),
    });
    const eligibilityTool = createEligibilityTool(this.deps.rules(), asOf);

    const bound = this.model.bindTools([searchPolicy, eligibilityTool]);
    const system = fill(this.deps.prompts.system, {
      name: this.deps.prompts.persona.name[lang],
      tone: this.deps.prompts.persona.tone[lang],
      language: lang === 'zh' ? 'Chinese (简体中文)' : 'English',
    });
    const messages: BaseMessage[] = [new SystemMessage(system)];
    if (initial && initial.chunks.length) {
      messages.push(new HumanMessage(`${question}\n\n(Search results already retrieved for this question:)\n${formatResults(initial)}`));
    } else messages.push(new HumanMessage(question));

    let retried = false;
    for (let step = 0; step < MAX_STEPS; step++) {
      const ai = (await bound.invoke(messages)) as AIMessage;
      messages.push(ai);
      if (ai.invalid_tool_calls?.length) throw new Error(`malformed tool call: ${ai.invalid_tool_calls[0].error ?? ai.invalid_tool_calls[0].name}`);
      if (ai.tool_calls?.length) {
        for (const call of ai.tool_calls) {
          let content: string;
          if (call.name === 'search_policy') {
            content = String(await searchPolicy.invoke(call.args as { query: string }));
          } else if (call.name === 'check_eligibility') {
            const raw = await eligibilityTool.invoke(call.args as never);
            content = typeof raw === 'string' ? raw : JSON.stringify(raw);
            evidence.push(content);
            try {
              const parsed = JSON.parse(content) as { result?: EligibilityResult } & EligibilityResult;
              eligibility = parsed.result ?? (parsed.routes ? parsed : eligibility);
            } catch {
              // a non-JSON tool answer (e.g. a validation message) is still evidence for the model
            }
          } else throw new Error(`unknown tool ${call.name}`);
          messages.push(new ToolMessage({ content, tool_call_id: call.id ?? `call_${step}` }));
        }
        continue;
      }
      const text = contentText(ai).trim();
      if (!text) return { ok: false, reason: 'no_answer' };
      const problems = checkGrounding(text, evidence, new Set(sources.keys()), { requireCitation: sources.size > 0 && !eligibility });
      if (problems.length === 0) return { ok: true, answer: { ...renumber(text, sources), eligibility } };
      if (retried) return { ok: false, reason: 'ungrounded', detail: describe(problems) };
      retried = true;
      messages.push(new HumanMessage(`Your answer is not grounded: ${describe(problems)}. Rewrite it using only facts from the numbered sources and tool results, citing them as [n]; leave out anything they do not say.`));
    }
    return { ok: false, reason: 'no_answer' };
  }
}

function describe(problems: GroundingProblem[]): string {
  return problems.map((p) => (p.kind === 'unsupported_number' ? `the number ${p.detail} is not in any source` : p.kind === 'unknown_citation' ? `${p.detail} is not a source you were given` : p.detail)).join('; ');
}

function contentText(message: AIMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (typeof part === 'string' ? part : 'text' in part ? String(part.text) : '')).join('');
}

/** Number the cited sources 1, 2, ... in order of first use, each with the sentence of its chunk closest to the reply. */
function renumber(text: string, sources: Map<number, Chunk>): { text: string; citations: Citation[] } {
  const order = [...new Set([...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))].filter((n) => sources.has(n));
  const newNumber = new Map(order.map((n, i) => [n, i + 1]));
  const replyWords = new Set(tokenize(text));
  const citations = order.map((n) => {
    const chunk = sources.get(n)!;
    const sentences = chunk.text.split('\n').flatMap((l) => splitSentences(l.replace(/^\s*(?:[-*+]|\d+[.)、])\s+/, ''))).filter((s) => s.length >= 6 && chunk.text.includes(s));
    const quote = sentences.map((s) => ({ s, score: tokenize(s).filter((w) => replyWords.has(w)).length })).sort((a, b) => b.score - a.score)[0]?.s ?? chunk.text.slice(0, 120);
    return citationFor(chunk, quote, newNumber.get(n)!);
  });
  return { text: text.replace(/\[(\d+)\]/g, (m, d: string) => (newNumber.has(Number(d)) ? `[${newNumber.get(Number(d))}]` : m)), citations };
}
