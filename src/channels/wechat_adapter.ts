import crypto from 'node:crypto';
import { ActivityTypes, BotAdapter, TurnContext, type Activity, type ConversationReference, type ResourceResponse } from 'botbuilder';
import type { Request, Response } from 'express';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { MessageClaims } from './wechat_claims.js';

/** WeChat's limit for the text of one message, in UTF-8 bytes. */
export const WECHAT_TEXT_LIMIT = 2048;

/** Sends a text later, outside the passive-reply window (the customer-service message API). */
export interface WeChatSender {
  sendText(openId: string, text: string): Promise<void>;
}

export type WeChatNote = 'holding' | 'holding_no_followup' | 'truncated';

export interface WeChatAdapterOptions {
  /** The token set in the WeChat console; signs every request. */
  token: string;
  /** How long the bot may take before WeChat gets a holding reply (WeChat gives up at 5 s). */
  replyBudgetMs: number;
  /** The customer-service API; without it nothing can be sent after the passive reply. */
  sender?: WeChatSender;
  /** The short texts the adapter adds on its own, in the language of the incoming message. */
  note(kind: WeChatNote, incoming: Partial<Activity>): string;
  /** A request refused (bad_signature, bad_xml, ...) or a delivery that failed. */
  onError?(code: string, detail: string): void;
  maxReplyBytes?: number;
  /**
   * A signed request whose `timestamp` is further than this from the server's clock is refused as a
   * replay (401 stale_timestamp); 0 turns the check off. Default 300 s.
   */
  maxClockSkewSeconds?: number;
  /** The server's clock, in milliseconds (tests). */
  now?: () => number;
  /** Shared with the other instances (Redis): one of them answers a message, whichever a re-send reaches. */
  claims?: MessageClaims;
  /** The claims' store failed: the message is answered here without de-duplication. */
  onClaimFailure?(err: unknown): void;
}

const OUTBOX = 'wechatOutbox';
const LATE = 'wechatLate';

/** Fields of a plaintext-mode message or event. */
interface WeChatMessage {
  ToUserName: string;
  FromUserName: string;
  CreateTime: string;
  MsgType: string;
  Content?: string;
  MsgId?: string;
  Event?: string;
  EventKey?: string;
}

/** Refusals that say why in a `code` too (a caller's clock, or a replay). */
const REPLAY_CODES = new Set(['bad_timestamp', 'stale_timestamp', 'replayed_signature']);

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A BotBuilder adapter for a WeChat Official Account (plaintext mode). It knows the sha1 signature,
 * the XML, the passive reply within 5 seconds, and the 2048-byte text limit; nothing else.
 * Incoming: text -> a message; subscribe -> event `wechat_subscribe`; other events -> `wechat_event`;
 * any other message type (image, voice, ...) -> event `wechat_unsupported`.
 */
export class WeChatAdapter extends BotAdapter {
  readonly name = 'WeChat Adapter';
  private readonly parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, trimValues: true, processEntities: true });
  /** WeChat re-sends a message it got no answer for; a re-send gets the first answer, not a second turn. */
  private readonly recent = new Map<string, { at: number; reply: Promise<string> }>();
  private readonly maxBytes: number;
  private readonly maxSkewMs: number;
  /**
   * Signatures seen within the clock-skew window, and the message each came with. WeChat's signature
   * covers only token, timestamp and nonce, not the body: a captured URL must not carry another message.
   */
  private readonly signatures = new Map<string, { at: number; message: string }>();

  constructor(private readonly options: WeChatAdapterOptions) {
    super();
    this.maxBytes = options.maxReplyBytes ?? WECHAT_TEXT_LIMIT;
    this.maxSkewMs = (options.maxClockSkewSeconds ?? 300) * 1000;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The signed timestamp is close to the server's clock: an old signed request cannot be replayed. */
  private checkFresh(query: Request['query']): void {
    if (!this.maxSkewMs) return;
    const timestamp = query.timestamp as string;
    if (!/^\d{1,12}$/.test(timestamp)) throw new Rejection(400, 'bad_timestamp', 'timestamp must be whole seconds since 1970');
    const skew = Math.round((Number(timestamp) * 1000 - this.now()) / 1000);
    if (Math.abs(skew) * 1000 > this.maxSkewMs) {
      throw new Rejection(
        401,
        'stale_timestamp',
        `the request's timestamp is ${Math.abs(skew)} s ${skew < 0 ? 'old' : 'in the future'} (at most ${this.maxSkewMs / 1000} s from the server's clock is accepted): refused as a possible replay; check the server's clock if WeChat's own requests get this`,
      );
    }
  }

  /** One signature, one message: a re-send of the same message is fine (WeChat retries), another message is not. */
  private checkNotReplayed(query: Request['query'], messageKey: string): void {
    if (!this.maxSkewMs) return;
    const now = this.now();
    for (const [key, entry] of this.signatures) {
      if (entry.at >= now - 2 * this.maxSkewMs && this.signatures.size <= 100_000) break;
      this.signatures.delete(key);
    }
    const key = `${query.timestamp}:${query.nonce}:${query.signature}`;
    const seen = this.signatures.get(key);
    if (seen && seen.message !== messageKey) throw new Rejection(401, 'replayed_signature', 'this signed request was already used for another message: refused as a replay');
    if (!seen) this.signatures.set(key, { at: now, message: messageKey });
  }

  /** `GET /wechat`: WeChat's server check; answers `echostr` when the signature is right. */
  handshake = (req: Request, res: Response): void => {
    if (!this.signatureOk(req.query)) {
      this.options.onError?.('bad_signature', 'handshake');
      res.status(401).json({ error: 'invalid WeChat signature' });
      return;
    }
    try {
      this.checkFresh(req.query);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      this.options.onError?.(err.code, err.message);
      res.status(err.status).json({ error: err.message, ...(REPLAY_CODES.has(err.code) ? { code: err.code } : {}) });
      return;
    }
    const echostr = req.query.echostr;
    if (typeof echostr !== 'string' || !echostr) {
      res.status(400).json({ error: 'missing echostr' });
      return;
    }
    res.type('text/plain').send(echostr);
  };

  /** `POST /wechat`: one message in, one passive XML reply out (or `success` for nothing to say). */
  async processActivity(req: Request, res: Response, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    let message: WeChatMessage;
    let key: string;
    try {
      if (!this.signatureOk(req.query)) throw new Rejection(401, 'bad_signature', 'invalid WeChat signature');
      this.checkFresh(req.query);
      if (req.query.encrypt_type && req.query.encrypt_type !== 'raw') {
        throw new Rejection(400, 'encrypted', 'encrypted (safe) mode is not supported: set message encryption to plaintext');
      }
      message = this.parse(req.body);
      // Messages carry a MsgId; events are told apart by sender, time and kind (as WeChat suggests).
      key = `${message.FromUserName}:${message.MsgId ?? `${message.CreateTime}:${message.MsgType}:${message.Event ?? ''}:${message.EventKey ?? ''}`}`;
      this.checkNotReplayed(req.query, key);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      this.options.onError?.(err.code, err.message);
      res.status(err.status).json({ error: err.message, ...(REPLAY_CODES.has(err.code) ? { code: err.code } : {}) });
      return;
    }

    this.forgetOld();
    let entry = this.recent.get(key);
    if (!entry) {
      entry = { at: Date.now(), reply: this.answerOnce(key, message, logic) };
      this.recent.set(key, entry);
    }
    const body = await entry.reply;
    if (body === 'success') res.type('text/plain').send('success');
    else res.type('application/xml').send(body);
  }

  /**
   * With other instances: the first to claim a message answers it and shares the answer; a re-send
   * that reaches another instance gets that answer. If none comes within half the budget (the claiming
   * instance may be gone), this one answers rather than let the message go unanswered. A failing
   * Redis costs only the de-duplication, never the answer.
   */
  private async answerOnce(key: string, message: WeChatMessage, logic: (context: TurnContext) => Promise<void>): Promise<string> {
    const claims = this.options.claims;
    if (!claims) return this.answer(message, logic);
    const failed = (err: unknown) => {
      this.options.onClaimFailure?.(err);
      return undefined;
    };
    const started = Date.now();
    const claimed = await claims.claim(key).catch(failed);
    if (claimed === false) {
      const theirs = await claims.awaitReply(key, Math.floor(this.options.replyBudgetMs / 2)).catch(failed);
      if (theirs !== undefined) return theirs;
    }
    // What is left of the 5-second window goes to answering here.
    const reply = await this.answer(message, logic, Math.max(1, this.options.replyBudgetMs - (Date.now() - started)));
    if (claimed) await claims.publish(key, reply).catch(failed);
    return reply;
  }

  /** Run the bot; answer within the budget, or hold and deliver through the customer-service API. */
  private async answer(message: WeChatMessage, logic: (context: TurnContext) => Promise<void>, budgetMs = this.options.replyBudgetMs): Promise<string> {
    const activity = toActivity(message);
    const context = new TurnContext(this, activity);
    context.turnState.set(OUTBOX, []);
    const turn = this.runMiddleware(context, logic).then(
      () => 'done' as const,
      (err: Error) => {
        this.options.onError?.('bot_error', err.message);
        return 'failed' as const;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), budgetMs);
    });
    const outcome = await Promise.race([turn, late]);
    clearTimeout(timer);
    const outbox = context.turnState.get(OUTBOX) as string[];

    if (outcome === 'late') {
      // From now on the bot's replies go out through the customer-service API as they come.
      context.turnState.set(LATE, true);
      const sender = this.options.sender;
      if (sender) void this.deliver(message.FromUserName, outbox.splice(0).join('\n\n'));
      return this.xml(message, this.options.note(sender ? 'holding' : 'holding_no_followup', activity));
    }
    const text = outbox.join('\n\n').trim();
    if (!text) return 'success';
    return this.xml(message, this.fitPassive(message.FromUserName, text, activity));
  }

  /** One passive reply holds 2048 bytes: the rest follows through the API, or the text is trimmed. */
  private fitPassive(openId: string, text: string, activity: Partial<Activity>): string {
    if (utf8Length(text) <= this.maxBytes) return text;
    if (this.options.sender) {
      const parts = splitUtf8(text, this.maxBytes - 16);
      const numbered = parts.map((p, i) => `${p}\n(${i + 1}/${parts.length})`);
      void this.deliver(openId, numbered.slice(1), true);
      return numbered[0];
    }
    const note = `\n\n${this.options.note('truncated', activity)}`;
    return splitUtf8(text, this.maxBytes - utf8Length(note))[0] + note;
  }

  /** Send texts in order through the customer-service API; long ones are split to the limit. */
  private async deliver(openId: string, texts: string | string[], presplit = false): Promise<void> {
    const sender = this.options.sender;
    if (!sender) return;
    const list = (Array.isArray(texts) ? texts : [texts]).filter((t) => t.trim());
    const parts = presplit ? list : list.flatMap((t) => splitUtf8(t, this.maxBytes));
    for (const part of parts) {
      try {
        await sender.sendText(openId, part);
      } catch (err) {
        this.options.onError?.('send_failed', (err as Error).message);
        return;
      }
    }
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const texts = activities.filter((a) => a.type === ActivityTypes.Message && a.text).map((a) => a.text!);
    if (context.turnState.get(LATE)) await this.deliver(context.activity.from!.id, texts.join('\n\n'));
    else (context.turnState.get(OUTBOX) as string[]).push(...texts);
    return activities.map(() => ({ id: crypto.randomUUID() }));
  }

  async updateActivity(): Promise<void> {
    throw new Error('WeChat cannot edit a sent message');
  }

  async deleteActivity(): Promise<void> {
    throw new Error('WeChat cannot delete a sent message');
  }

  /** A proactive message: only possible through the customer-service API. */
  async continueConversation(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const request = TurnContext.applyConversationReference({ type: 'event', name: 'continueConversation' }, reference, true);
    const context = new TurnContext(this, request);
    context.turnState.set(LATE, true);
    await this.runMiddleware(context, logic);
  }

  private signatureOk(query: Request['query']): boolean {
    const { signature, timestamp, nonce } = query;
    if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') return false;
    const expected = wechatSignature(this.options.token, timestamp, nonce);
    return signature.length === expected.length && crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  }

  private parse(body: unknown): WeChatMessage {
    if (typeof body !== 'string' || !body.trim()) throw new Rejection(400, 'bad_xml', 'the body must be WeChat XML');
    // No DTDs at all: entity declarations are how XML bombs and external-entity reads get in.
    if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new Rejection(400, 'bad_xml', 'XML with a DOCTYPE or entity declarations is not accepted');
    const valid = XMLValidator.validate(body);
    if (valid !== true) throw new Rejection(400, 'bad_xml', `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
    let doc: { xml?: Record<string, unknown> };
    try {
      doc = this.parser.parse(body) as { xml?: Record<string, unknown> };
    } catch (err) {
      // Well-formed but past the parser's limits (e.g. nesting depth).
      throw new Rejection(400, 'bad_xml', `unreadable XML: ${(err as Error).message}`);
    }
    const xml = doc.xml;
    if (!xml || typeof xml !== 'object') throw new Rejection(400, 'bad_xml', 'the root element must be <xml>');
    for (const field of ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'] as const) {
      if (typeof xml[field] !== 'string' || !xml[field]) throw new Rejection(400, 'bad_xml', `missing <${field}>`);
    }
    const text = (field: string) => (typeof xml[field] === 'string' ? (xml[field] as string) : undefined);
    return {
      ToUserName: text('ToUserName')!,
      FromUserName: text('FromUserName')!,
      CreateTime: text('CreateTime')!,
      MsgType: text('MsgType')!,
      Content: text('Content'),
      MsgId: text('MsgId'),
      Event: text('Event'),
      EventKey: text('EventKey'),
    };
  }

  private xml(to: WeChatMessage, content: string): string {
    return (
      `<xml><ToUserName>${cdata(to.FromUserName)}</ToUserName><FromUserName>${cdata(to.ToUserName)}</FromUserName>` +
      `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(content)}</Content></xml>`
    );
  }

  private forgetOld(): void {
    const cutoff = Date.now() - 60_000;
    for (const [key, entry] of this.recent) {
      if (entry.at >= cutoff) break;
      this.recent.delete(key);
    }
  }
}

function toActivity(m: WeChatMessage): Partial<Activity> {
  const base = {
    id: m.MsgId,
    timestamp: new Date(Number(m.CreateTime) * 1000),
    channelId: 'wechat',
    conversation: { id: m.FromUserName, isGroup: false, conversationType: 'personal', name: '' },
    from: { id: m.FromUserName, name: '' },
    recipient: { id: m.ToUserName, name: '' },
  };
  if (m.MsgType === 'text') return { ...base, type: ActivityTypes.Message, text: m.Content ?? '', channelData: { msgType: m.MsgType } };
  const botkitEventType = m.MsgType === 'event' ? (m.Event?.toLowerCase() === 'subscribe' ? 'wechat_subscribe' : 'wechat_event') : 'wechat_unsupported';
  return { ...base, type: ActivityTypes.Event, text: '', channelData: { msgType: m.MsgType, event: m.Event, eventKey: m.EventKey, botkitEventType } };
}

/** sha1 of token, timestamp and nonce, sorted and joined: WeChat's request signature. */
export function wechatSignature(token: string, timestamp: string, nonce: string): string {
  return crypto.createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

const cdata = (text: string) => `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

export const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** Cut a text into parts of at most `maxBytes` UTF-8 bytes, at a paragraph, line or sentence end when one is near. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (utf8Length(rest) > maxBytes) {
    const chars = [...rest];
    let bytes = 0;
    let fit = 0;
    while (fit < chars.length && bytes + utf8Length(chars[fit]) <= maxBytes) bytes += utf8Length(chars[fit++]);
    const head = chars.slice(0, fit).join('');
    let cut = -1;
    for (const boundary of [/\n\n(?![\s\S]*\n\n)/, /\n(?![\s\S]*\n)/, /[。！？!?；;.](?![\s\S]*[。！？!?；;.])/]) {
      const m = boundary.exec(head);
      if (m && m.index + m[0].length >= head.length / 2) {
        cut = m.index + m[0].length;
        break;
      }
    }
    const piece = cut > 0 ? head.slice(0, cut) : head;
    parts.push(piece.trim());
    rest = rest.slice(piece.length).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}
