import type { FuzzCase } from './inputs.js';
import type { RawResponse } from './http.js';
import { parseSse as sseEvents } from '../../fixtures/channels/harness.js';

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isReply = (r: unknown): boolean => {
  const x = r as Record<string, unknown> | undefined;
  return Boolean(x && typeof x.reply === 'string' && x.reply.trim() && typeof x.sessionId === 'string' && (x.lang === 'zh' || x.lang === 'en') && typeof x.intent === 'string' && Array.isArray(x.citations));
};

/** What is wrong with an answer, or undefined when it is a clear 4xx or a well-formed 2xx. */
export function judge(c: FuzzCase, res: RawResponse | { error: string }): string | undefined {
  if ('error' in res) return c.expect === 'any_or_hangup' && /closed without an answer/.test(res.error) ? undefined : `no answer: ${res.error}`;
  const type = String(res.headers['content-type'] ?? '');
  const text = res.body.toString('utf8');
  if (res.status >= 500) return `${res.status}: ${text.slice(0, 200)}`;
  if (res.status >= 400) {
    if (c.req.method === 'HEAD') return undefined;
    if (!type.startsWith('application/json')) return `${res.status} without a JSON error (${type || 'no content type'}): ${text.slice(0, 100)}`;
    const body = parse(text) as { error?: unknown } | undefined;
    const error = body?.error;
    const message = typeof error === 'string' ? error : typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : '';
    return message.trim() ? undefined : `${res.status} without an error message: ${text.slice(0, 100)}`;
  }
  if (res.status >= 300) return c.expect === 'any' || c.expect === 'any_or_hangup' ? undefined : `unexpected ${res.status}`;
  if (res.status < 200) return `unexpected ${res.status}`;

  switch (c.expect) {
    case 'chat':
      return isReply(parse(text)) ? undefined : `2xx but not a reply: ${text.slice(0, 200)}`;
    case 'chat_stream': {
      if (!type.startsWith('text/event-stream')) return `2xx stream of type ${type}`;
      const events = sseEvents(text);
      const failed = events.find((e) => e.event === 'error');
      if (failed) return `the stream ended in an error event: ${failed.data}`;
      const done = events.at(-1);
      if (events[0]?.event !== 'meta' || done?.event !== 'done' || !isReply(parse(done.data))) return `incomplete stream: ${text.slice(0, 200)}`;
      const deltas = events.filter((e) => e.event === 'delta').map((e) => (parse(e.data) as { text: string }).text).join('');
      return deltas === (parse(done.data) as { reply: string }).reply ? undefined : 'the deltas do not add up to the reply';
    }
    case 'openai': {
      if (type.startsWith('text/event-stream')) {
        const events = sseEvents(text);
        if (events.at(-1)?.data !== '[DONE]') return `stream without [DONE]: ${text.slice(-200)}`;
        const content = events
          .slice(0, -1)
          .map((e) => (parse(e.data) as { choices?: Array<{ delta?: { content?: string } }> })?.choices?.[0]?.delta?.content ?? '')
          .join('');
        return content.trim() ? undefined : 'stream without content';
      }
      const body = parse(text) as { choices?: Array<{ message?: { content?: unknown } }> } | undefined;
      const content = body?.choices?.[0]?.message?.content;
      return typeof content === 'string' && content.trim() ? undefined : `2xx but no completion: ${text.slice(0, 200)}`;
    }
    case 'wechat':
      if (text === 'success') return undefined;
      return /^<xml><ToUserName><!\[CDATA\[[^]*\]\]><\/ToUserName>[^]*<Content><!\[CDATA\[[^]+\]\]><\/Content><\/xml>$/.test(text) ? undefined : `2xx but not a WeChat reply: ${text.slice(0, 200)}`;
    case 'wechat_echo':
      return type.startsWith('text/plain') ? undefined : `handshake answered with ${type}`;
    case 'slack':
      return undefined;
    case 'admin':
      if (type.startsWith('text/csv')) return undefined;
      return parse(text) !== undefined ? undefined : `2xx admin answer that is not JSON: ${text.slice(0, 100)}`;
    case 'vote':
      return (parse(text) as { ok?: boolean } | undefined)?.ok === true ? undefined : `2xx vote answer: ${text.slice(0, 100)}`;
    case 'web': {
      const body = parse(text);
      if (!Array.isArray(body)) return `2xx webhook answer that is not a list: ${text.slice(0, 100)}`;
      // The web channel answers a bad message in its own protocol (an error activity); only a failure of ours is wrong.
      const failed = body.find((a: { type?: string; code?: string; channelData?: { code?: string } }) => a.type === 'error' && !['bad_request', 'empty_message', 'message_too_long', 'bad_session_id'].includes(a.code ?? a.channelData?.code ?? ''));
      if (failed) return `the webhook answered an error: ${JSON.stringify(failed).slice(0, 200)}`;
      return body.some((a: { type?: string }) => a.type === 'message' || a.type === 'error') ? undefined : `the webhook answered nothing: ${text.slice(0, 100)}`;
    }
    default:
      return undefined;
  }
}
