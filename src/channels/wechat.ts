import express, { type Router } from 'express';
import { plainReply } from './render.js';
import { createController, failureText, guessLang, platformSessionId, type ChannelDeps } from './shared.js';
import { WeChatAdapter, type WeChatNote } from './wechat_adapter.js';
import { WeChatCustomerService } from './wechat_api.js';
import { redisMessageClaims } from './wechat_claims.js';

export interface WeChatSettings {
  token: string;
  replyBudgetMs: number;
  /** Signed requests further than this from the server's clock are refused as replays; 0 = no check. */
  maxClockSkewSeconds?: number;
  /** Instances share one claim per message in Redis (REDIS_URL is set); else the workers of one `serve` share theirs (ChannelDeps.messageClaims). */
  sharedClaims?: boolean;
  /** The customer-service API, when the app id and secret are configured. */
  api?: { appId: string; appSecret: string; baseUrl: string };
}

const NOTES: Record<WeChatNote, { zh: string; en: string }> = {
  holding: { zh: '这个问题我需要多想一会儿，答案稍后发给你。', en: "This one needs a moment of thought; I'll send you the answer shortly." },
  holding_no_followup: { zh: '这个问题我一时没能答完，请稍后再发一次。', en: "I couldn't finish that answer in time; please send it again in a moment." },
  truncated: { zh: '（内容较长，已截断。可以把问题问得更具体一些。）', en: '(The answer was long and has been cut; try a more specific question.)' },
};

const UNSUPPORTED = {
  zh: '目前我只能看懂文字消息哦，请用文字把问题发给我。',
  en: 'For now I can only read text messages; please type your question.',
};

/** The WeChat Official Account channel: `GET/POST /wechat`, translated by WeChatAdapter for a botkit controller. */
export function createWeChatChannel(deps: ChannelDeps, settings: WeChatSettings): { router: Router } {
  const adapter = new WeChatAdapter({
    token: settings.token,
    replyBudgetMs: settings.replyBudgetMs,
    maxClockSkewSeconds: settings.maxClockSkewSeconds,
    claims: settings.sharedClaims && deps.redis ? redisMessageClaims(deps.redis) : deps.messageClaims,
    onClaimFailure: (err) => deps.storeFailure?.('wechat_claim', err),
    sender: settings.api ? new WeChatCustomerService(settings.api) : undefined,
    note: (kind, incoming) => NOTES[kind][guessLang(incoming.text)],
    onError: (code, detail) => {
      deps.error('wechat', code);
      if (code === 'send_failed' || code === 'bot_error') deps.log(`wechat: ${code}: ${detail}`);
    },
  });
  const controller = createController(adapter);

  controller.on('message', async (bot, message) => {
    const lang = guessLang(message.text);
    try {
      const reply = await deps.runTurn({ channel: 'wechat', message: message.text ?? '', sessionId: platformSessionId('wx', settings.token, message.user) });
      await bot.reply(message, plainReply(reply));
    } catch (err) {
      await bot.reply(message, failureText(err, lang));
    }
  });
  controller.on('wechat_subscribe', async (bot, message) => {
    const zh = deps.welcome('zh');
    const en = deps.welcome('en');
    await bot.reply(message, `${zh.text}\n\n${zh.suggestions.map((s) => `· ${s}`).join('\n')}\n\n${en.text.split(/(?<=[.!?])\s/)[0]} I answer in English when you write in English.`);
  });
  controller.on('wechat_unsupported', async (bot, message) => {
    await bot.reply(message, `${UNSUPPORTED.zh}\n${UNSUPPORTED.en}`);
  });

  const router = express.Router();
  router.get('/wechat', adapter.handshake);
  router.post('/wechat', express.text({ type: () => true, limit: '64kb' }), async (req, res) => {
    try {
      await adapter.processActivity(req, res, controller.handleTurn.bind(controller));
    } catch (err) {
      deps.error('wechat', 'internal');
      deps.log(`wechat: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) res.status(500).json({ error: 'internal error' });
    }
  });
  return { router };
}
