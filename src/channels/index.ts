// The channels folder's door: every messaging platform, translated to mentor turns and back.
import path from 'node:path';
import type http from 'node:http';
import express, { type Router } from 'express';
import type { Config } from '../config.js';
import type { ChannelDeps } from './shared.js';
import { createSlackChannel } from './slack.js';
import { createWebChannel } from './web.js';
import { createWeChatChannel } from './wechat.js';

export { type ChannelDeps, type ChannelTurn, type Lang, failureCode, failureText } from './shared.js';
export { replyPieces, plainText, plainReply, markdownReply, sourcesList } from './render.js';
export { WeChatAdapter, wechatSignature, splitUtf8, utf8Length, WECHAT_TEXT_LIMIT } from './wechat_adapter.js';
export { WeChatCustomerService, WeChatApiError } from './wechat_api.js';
export { verifySlackSignature } from './slack.js';
export { replyBlocks, toMrkdwn } from './slack_blocks.js';

export class ChannelConfigError extends Error {}

export interface Channels {
  /** Routes of every enabled channel: /api/messages, /wechat, /slack/... */
  router: Router;
  /** Attach the web page's websocket to the server. */
  attach(server: http.Server): void;
  close(): void;
  /** Which messaging channels are on. */
  enabled: string[];
}

const SLACK_KEYS = ['SLACK_SIGNING_SECRET', 'SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_REDIRECT_URI'] as const;

/** The channels the configuration turns on. A half-configured channel is an error, not a silent off. */
export function createChannels(deps: ChannelDeps, config: Config): Channels {
  const router = express.Router();
  const enabled = ['web'];
  const web = createWebChannel(deps, { socketPath: '/ws', paceMs: config.STREAM_PACE_MS, maxPayloadBytes: 64 * 1024 });
  router.use(web.router);

  if (config.WECHAT_TOKEN) {
    if (Boolean(config.WECHAT_APP_ID) !== Boolean(config.WECHAT_APP_SECRET)) {
      throw new ChannelConfigError('WeChat: set both WECHAT_APP_ID and WECHAT_APP_SECRET (for the customer-service API), or neither');
    }
    const api = config.WECHAT_APP_ID && config.WECHAT_APP_SECRET ? { appId: config.WECHAT_APP_ID, appSecret: config.WECHAT_APP_SECRET, baseUrl: config.WECHAT_API_BASE_URL } : undefined;
    router.use(createWeChatChannel(deps, { token: config.WECHAT_TOKEN, replyBudgetMs: config.WECHAT_REPLY_BUDGET_MS, api }).router);
    enabled.push('wechat');
  }

  const slackSet = SLACK_KEYS.filter((k) => config[k]);
  if (slackSet.length === SLACK_KEYS.length) {
    const slack = createSlackChannel(deps, {
      signingSecret: config.SLACK_SIGNING_SECRET!,
      clientId: config.SLACK_CLIENT_ID!,
      clientSecret: config.SLACK_CLIENT_SECRET!,
      redirectUri: config.SLACK_REDIRECT_URI!,
      scopes: config.SLACK_SCOPES.split(',').map((s) => s.trim()).filter(Boolean),
      apiUrl: config.SLACK_API_BASE_URL,
      teamsFile: path.join(config.dataDir, 'slack-teams.json'),
    });
    router.use(slack.router);
    enabled.push('slack');
  } else if (slackSet.length) {
    const missing = SLACK_KEYS.filter((k) => !config[k]);
    throw new ChannelConfigError(`Slack is half configured: also set ${missing.join(', ')} (or unset ${slackSet.join(', ')})`);
  }

  return { router, attach: web.attach, close: web.close, enabled };
}
