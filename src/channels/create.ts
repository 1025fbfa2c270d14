// The channels the configuration turns on, each platform's code loaded only when it is on: botkit,
// botbuilder and the Slack adapter were most of the server's start-up time (re-exported by index.ts).
import path from 'node:path';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Router } from 'express';
import type { Config } from '../config.js';
import type { ChannelDeps } from './shared.js';

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
export async function createChannels(deps: ChannelDeps, config: Config): Promise<Channels> {
  const router = express.Router();
  const enabled = ['web'];
  const web = lazyWebChannel(deps, config);
  router.use(web.router);

  if (config.WECHAT_TOKEN) {
    if (Boolean(config.WECHAT_APP_ID) !== Boolean(config.WECHAT_APP_SECRET)) {
      throw new ChannelConfigError('WeChat: set both WECHAT_APP_ID and WECHAT_APP_SECRET (for the customer-service API), or neither');
    }
    const api = config.WECHAT_APP_ID && config.WECHAT_APP_SECRET ? { appId: config.WECHAT_APP_ID, appSecret: config.WECHAT_APP_SECRET, baseUrl: config.WECHAT_API_BASE_URL } : undefined;
    const { createWeChatChannel } = await import('./wechat.js');
    router.use(createWeChatChannel(deps, { token: config.WECHAT_TOKEN, replyBudgetMs: config.WECHAT_REPLY_BUDGET_MS, maxClockSkewSeconds: config.WECHAT_MAX_CLOCK_SKEW_SECONDS, sharedClaims: Boolean(config.REDIS_URL), api }).router);
    enabled.push('wechat');
  }

  const slackSet = SLACK_KEYS.filter((k) => config[k]);
  if (slackSet.length === SLACK_KEYS.length) {
    const { createSlackChannel } = await import('./slack.js');
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

/**
 * The web page's channel (botkit's web adapter: POST /api/messages and the /ws websocket), made on
 * first use: the first webhook request or websocket upgrade loads it and is then handled by it, as
 * every later one is. A server nobody opens the web chat on never loads botkit.
 */
function lazyWebChannel(deps: ChannelDeps, config: Config): Pick<Channels, 'router' | 'attach' | 'close'> {
  type Web = ReturnType<typeof import('./web.js').createWebChannel>;
  let loading: Promise<Web> | undefined;
  let loaded: Web | undefined;
  let closed = false;
  const load = () =>
    (loading ??= import('./web.js').then(({ createWebChannel }) => {
      loaded = createWebChannel(deps, { socketPath: '/ws', paceMs: config.STREAM_PACE_MS, maxPayloadBytes: 64 * 1024 });
      return loaded;
    }));
  const router = express.Router();
  router.use((req, res, next) => {
    if (loaded) return loaded.router(req, res, next);
    if (req.method !== 'POST' || req.path !== '/api/messages') return next();
    load().then((web) => web.router(req, res, next), next);
  });
  return {
    router,
    attach(server) {
      // Until the adapter's websocket server listens for upgrades itself, the first upgrade loads it and is handed over.
      const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        load().then(
          (web) => {
            if (server.listeners('upgrade').includes(onUpgrade)) {
              server.off('upgrade', onUpgrade);
              if (closed) return void socket.destroy();
              web.attach(server);
            }
            if (closed) socket.destroy();
            else server.emit('upgrade', req, socket, head);
          },
          () => socket.destroy(),
        );
      };
      server.on('upgrade', onUpgrade);
    },
    close() {
      closed = true;
      loaded?.close();
    },
  };
}
