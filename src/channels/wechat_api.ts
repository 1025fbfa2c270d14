import type { WeChatSender } from './wechat_adapter.js';

export interface WeChatApiOptions {
  appId: string;
  appSecret: string;
  /** e.g. https://api.weixin.qq.com (a proxy or a test server can stand in). */
  baseUrl: string;
  timeoutMs?: number;
  now?: () => number;
}

export class WeChatApiError extends Error {
  constructor(
    readonly errcode: number,
    errmsg: string,
  ) {
    super(`WeChat API error ${errcode}: ${errmsg}`);
  }
}

/** Error codes that mean the access token is no longer valid: fetch a new one and try once more. */
const STALE_TOKEN = new Set([40001, 40014, 42001]);

/**
 * The customer-service message API of an Official Account: sends a text to a user who wrote in the
 * last 48 hours. The access token is cached until five minutes before it expires, fetched once even
 * when several sends wait for it, and refreshed when WeChat says it is stale.
 */
export class WeChatCustomerService implements WeChatSender {
  private token?: { value: string; expiresAt: number };
  private pending?: Promise<string>;
  private readonly base: string;
  private readonly now: () => number;

  constructor(private readonly options: WeChatApiOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  async sendText(openId: string, text: string): Promise<void> {
    const body = JSON.stringify({ touser: openId, msgtype: 'text', text: { content: text } });
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(attempt > 0);
      const result = await this.call(`/cgi-bin/message/custom/send?access_token=${encodeURIComponent(token)}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      if (!result.errcode) return;
      if (STALE_TOKEN.has(result.errcode) && attempt === 0) {
        this.token = undefined;
        continue;
      }
      throw new WeChatApiError(result.errcode, result.errmsg ?? '');
    }
  }

  async accessToken(refresh = false): Promise<string> {
    if (!refresh && this.token && this.token.expiresAt > this.now()) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const q = new URLSearchParams({ grant_type: 'client_credential', appid: this.options.appId, secret: this.options.appSecret });
    const result = await this.call(`/cgi-bin/token?${q}`, { method: 'GET' });
    if (result.errcode || typeof result.access_token !== 'string') throw new WeChatApiError(result.errcode ?? -1, result.errmsg ?? 'no access_token in the answer');
    const lifetime = typeof result.expires_in === 'number' ? result.expires_in : 7200;
    this.token = { value: result.access_token, expiresAt: this.now() + Math.max(60, lifetime - 300) * 1000 };
    return this.token.value;
  }

  private async call(pathAndQuery: string, init: RequestInit): Promise<{ errcode?: number; errmsg?: string; access_token?: unknown; expires_in?: unknown }> {
    const res = await fetch(`${this.base}${pathAndQuery}`, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    if (!res.ok) throw new WeChatApiError(-res.status, `HTTP ${res.status}`);
    return (await res.json()) as { errcode?: number; errmsg?: string };
  }
}
