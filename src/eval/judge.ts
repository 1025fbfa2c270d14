import { HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { JudgeView } from './results.js';

/** The slice of a chat model the judge needs (ChatOpenAI from createChatModel fits). */
export interface JudgeModel {
  invoke(messages: BaseMessage[]): Promise<{ content: unknown }>;
}

export type Embed = (texts: string[]) => Promise<number[][]>;

export interface JudgeInput {
  question: string;
  answer: string;
  /** What the reply may rest on: its cited and retrieved chunks, the eligibility result. */
  contexts: string[];
}

export interface Judge {
  judge(input: JudgeInput): Promise<JudgeView>;
}

/** How many questions answer relevancy generates from a reply (RAGAS' default strictness). */
export const GENERATED_QUESTIONS = 3;

const STATEMENTS_PROMPT = `Given a question and an answer, break every sentence of the answer down into one or more fully understandable statements. Use no pronouns in any statement. Write the statements in the answer's language. Leave out greetings, offers of help and questions back to the user.
Answer with JSON only: {"statements": ["...", "..."]}`;

const VERDICTS_PROMPT = `Judge the faithfulness of a series of statements to the given context. For each statement give verdict 1 if it can be directly inferred from the context, or 0 if it cannot. Give a short reason.
Answer with JSON only: {"verdicts": [{"statement": "...", "reason": "...", "verdict": 1}]}, one entry per statement, in the same order.`;

const QUESTIONS_PROMPT = `Generate ${GENERATED_QUESTIONS} different questions, each of which the given answer answers, in the answer's language. Also say whether the answer is noncommittal: 1 when it is evasive, vague or says it does not know (e.g. "I don't know", "I'm not sure"), otherwise 0.
Answer with JSON only: {"questions": ["...", "...", "..."], "noncommittal": 0}`;

/**
 * LLM-judged metrics following the RAGAS definitions:
 * - faithfulness = statements of the answer supported by the contexts / all statements of the answer
 *   (the model first splits the answer into statements, then gives each a verdict against the contexts);
 * - answer relevancy = mean cosine similarity between the question asked and questions the model
 *   generates from the answer, and 0 when the answer is noncommittal.
 * A failing judge call leaves the metric out for that case and records the error.
 */
export function createLlmJudge(model: JudgeModel, embed: Embed): Judge {
  const ask = async (system: string, user: string) => {
    const response = await model.invoke([new SystemMessage(system), new HumanMessage(user)]);
    return parseJsonObject(contentText(response.content));
  };

  return {
    async judge({ question, answer, contexts }) {
      const view: JudgeView = {};
      const errors: string[] = [];
      try {
        const split = await ask(STATEMENTS_PROMPT, `Question: ${question}\nAnswer: ${answer}`);
        const statements = stringList(split.statements);
        if (statements.length) {
          const judged = await ask(VERDICTS_PROMPT, `Context:\n${contexts.map((c, i) => `[${i + 1}] ${c}`).join('\n\n') || '(none)'}\n\nStatements:\n${statements.map((s, i) => `${i + 1}. ${s}`).join('\n')}`);
          const verdicts = Array.isArray(judged.verdicts) ? (judged.verdicts as Array<Record<string, unknown>>) : [];
          if (verdicts.length !== statements.length) throw new Error(`the judge gave ${verdicts.length} verdicts for ${statements.length} statements`);
          view.statements = statements.map((statement, i) => ({ statement, supported: Number(verdicts[i].verdict) === 1, ...(typeof verdicts[i].reason === 'string' ? { reason: verdicts[i].reason as string } : {}) }));
          view.faithfulness = view.statements.filter((s) => s.supported).length / statements.length;
        }
      } catch (err) {
        errors.push(`faithfulness: ${(err as Error).message}`);
      }
      try {
        const generated = await ask(QUESTIONS_PROMPT, `Answer: ${answer}`);
        const questions = stringList(generated.questions);
        if (questions.length === 0) throw new Error('the judge generated no questions');
        view.generatedQuestions = questions;
        view.noncommittal = Number(generated.noncommittal) === 1;
        const [asked, ...others] = await embed([question, ...questions]);
        const similarity = others.reduce((sum, v) => sum + cosine(asked, v), 0) / others.length;
        view.answerRelevancy = view.noncommittal ? 0 : Math.max(0, similarity);
      } catch (err) {
        errors.push(`answer relevancy: ${(err as Error).message}`);
      }
      if (errors.length) view.error = errors.join('; ');
      return view;
    },
  };
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The first JSON object in a model's answer, fenced or not. */
export function parseJsonObject(text: string): Record<string, unknown> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`the judge did not answer JSON: ${text.slice(0, 120)}`);
  const value = JSON.parse(text.slice(start, end + 1)) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the judge did not answer a JSON object');
  return value as Record<string, unknown>;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim()) : [];
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}
