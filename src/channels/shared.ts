import crypto from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { Botkit } from 'botkit';
import type { Redis } from 'ioredis';
import type { MessageClaims } from './wechat_claims.js';
import type { MentorReply } from '../mentor/index.js';

export type Lang = 'zh' | 'en';

/** One turn as a channel hands it over: the mentor never sees the platform's wire format. */
export interface ChannelTurn {
  channel: string;
  message: string;
  sessionId?: string;
  /** The session this turn goes on from, when the new state is kept under another id (see openai_api.ts). */
  continueFrom?: string;
  lang?: Lang;
}

/** What the channels get from the server. */
export interface ChannelDeps {
  /** One mentor turn. Throws the mentor's TurnError on bad input, or an error with `status` 503 while starting. */
  runTurn(turn: ChannelTurn): Promise<MentorReply>;
  /** The welcome of a new conversation: greeting and suggested questions from prompts/. */
  welcome(lang: Lang): { text: string; suggestions: string[] };
  /** Count a refused or failed request (metrics). */
  error(channel: string, code: string): void;
  /** A line for the operator's log (never user text). */
  log(line: string): void;
  /** The Redis instances share when REDIS_URL is set (undefined until the service has connected). */
  redis?: () => Redis | undefined;
  /** Count and log a failure of that shared store; the message was answered all the same. */
  storeFailure?(operation: string, err: unknown): void;
  /** Claims on WeChat messages shared by the workers of one `serve` (WORKERS > 1), used when Redis is not set. */
  messageClaims?: MessageClaims;
}

/** Botkit keeps dialog state per conversation; the mentor keeps its own in SQLite, so botkit stores nothing.
 *  (botkit's default MemoryStorage grows forever and raises eTag conflicts on concurrent turns.) */
class NoStorage implements Storage {
  async read(): Promise<StoreItems> {
    return {};
  }
  async write(): Promise<void> {}
  async delete(): Promise<void> {}
}

/** A botkit controller on an adapter, with no webserver of its own: our routes call the adapter. */
export function createController(adapter: unknown): Botkit {
  return new Botkit({ adapter, disable_webserver: true, disable_console: true, storage: new NoStorage() });
}

/** A session id for a platform user: stable, but not guessable from the platform's ids (keyed by a secret). */
export function platformSessionId(prefix: string, secret: string, ...ids: string[]): string {
  return `${prefix}-${crypto.createHmac('sha256', secret).update(ids.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/** The language a short text is written in, for messages sent before the mentor has answered. */
export function guessLang(text: string | undefined): Lang {
  return text && /[\u3400-\u9fff]/.test(text) ? 'zh' : 'en';
}

const FAILURES: Record<string, { zh: string; en: string }> = {
  empty_message: { zh: '请输入你的问题。', en: 'Please type your question.' },
  message_too_long: { zh: '这条消息太长了，请精简一下再发给我。', en: 'That message is too long; please shorten it and send it again.' },
  bad_session_id: { zh: '会话编号无效，请重新开始对话。', en: 'That conversation id is not valid; please start a new conversation.' },
  unavailable: { zh: '我正在准备资料，请稍等片刻再问我。', en: "I'm still getting my documents ready; please ask again in a moment." },
  internal: { zh: '抱歉，我这边出了点问题，请稍后再试。', en: 'Sorry, something went wrong on my side. Please try again shortly.' },
};

/** The short reason code of a failed turn. */
export function failureCode(err: unknown): string {
  const e = err as { code?: unknown; status?: unknown };
  if (typeof e?.code === 'string' && e.code in FAILURES) return e.code;
  if (e?.status === 503) return 'unavailable';
  return 'internal';
}

/** What a chat user reads when a turn fails: never a stack trace. */
export function failureText(err: unknown, lang: Lang): string {
  return FAILURES[failureCode(err)][lang];
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
