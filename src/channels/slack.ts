import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import './slack_request_shim.js';
import type { Activity } from 'botbuilder';
import { SlackAdapter, SlackEventMiddleware, SlackMessageTypeMiddleware, type SlackAdapterOptions, type SlackBotWorker } from 'botbuilder-adapter-slack';
import type { BotkitMessage } from 'botkit';
import express, { type Request, type Response, type Router } from 'express';
import { plainReply } from './render.js';
import { createController, failureText, guessLang, platformSessionId, type ChannelDeps } from './shared.js';
import { replyBlocks } from './slack_blocks.js';
import { SlackTeams } from './slack_teams.js';

// The Web API client the Slack adapter itself depends on (not a direct dependency of ours).
const { WebClient } = createRequire(createRequire(import.meta.url).resolve('botbuilder-adapter-slack'))('@slack/web-api') as typeof import('@slack/web-api');

export interface SlackSettings {
  signingSecret: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string[];
  /** Base URL of the Web API, e.g. https://slack.com/api/ */
  apiUrl: string;
  /** Where installed workspaces (team, bot token, bot user) are kept. */
  teamsFile: string;
}

/** Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`; at most 5 minutes old. */
export function verifySlackSignature(secret: string, rawBody: string, timestamp: unknown, signature: unknown, nowSeconds = Date.now() / 1000): string | undefined {
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return 'missing or malformed X-Slack-Request-Timestamp';
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return 'X-Slack-Request-Timestamp is more than 5 minutes away';
  if (typeof signature !== 'string' || !/^v0=[0-9a-f]{64}$/.test(signature)) return 'missing or malformed X-Slack-Signature';
  const expected = `v0=${crypto.createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected)) ? undefined : 'invalid signature';
}

const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * What botkit's adapter reads from an event, an interaction (`payload`) or a slash command, checked
 * before it reads it (it throws on a missing field): the team it comes from, or what is wrong.
 */
export function slackRequestShape(body: Record<string, unknown>): { team: string | undefined } | { error: string } {
  if (body.type === 'event_callback') {
    if (!isObject(body.event)) return { error: 'an event_callback needs an event object' };
    return { team: isText(body.team_id) ? body.team_id : undefined };
  }
  if (body.payload !== undefined) {
    let payload: unknown;
    try {
      payload = typeof body.payload === 'string' ? JSON.parse(body.payload) : undefined;
    } catch {
      payload = undefined;
    }
    if (!isObject(payload) || !isObject(payload.team) || !isText(payload.team.id) || !isObject(payload.user)) return { error: 'payload must be a JSON interaction with team and user' };
    return { team: payload.team.id };
  }
  if (body.command !== undefined) {
    if (!isText(body.command) || !isText(body.team_id) || !isText(body.channel_id) || !isText(body.user_id)) return { error: 'a slash command needs command, team_id, channel_id and user_id' };
    return { team: body.team_id };
  }
  return { error: `unsupported Slack request type ${JSON.stringify(typeof body.type === 'string' ? body.type.slice(0, 40) : null)}` };
}

/** The botkit Slack adapter, with the Web API at a configurable base URL (for install and replies). */
class MentorSlackAdapter extends SlackAdapter {
  constructor(
    private readonly settings: SlackAdapterOptions & { clientId: string; clientSecret: string; redirectUri: string },
    private readonly apiUrl: string,
    private readonly teams: SlackTeams,
  ) {
    super(settings);
  }

  async getAPI(activity: Partial<Activity>): Promise<InstanceType<typeof WebClient>> {
    const team = (activity.conversation as { team?: string } | undefined)?.team;
    const install = team ? this.teams.get(team) : undefined;
    if (!install) throw new Error(`no installation for Slack team ${team ?? '(none)'}`);
    return new WebClient(install.botToken, { slackApiUrl: this.apiUrl, retryConfig: { retries: 2 }, timeout: 10_000 });
  }

  async validateOauthCode(code: string): Promise<{ team: { id: string; name?: string }; access_token: string; bot_user_id: string }> {
    const client = new WebClient(undefined, { slackApiUrl: this.apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 });
    const result = await client.oauth.v2.access({ code, client_id: this.settings.clientId, client_secret: this.settings.clientSecret, redirect_uri: this.settings.redirectUri });
    if (!result.ok || !result.team?.id || !result.access_token || !result.bot_user_id) throw new Error(result.error ?? 'incomplete OAuth answer');
    return { team: { id: result.team.id, name: result.team.name }, access_token: result.access_token, bot_user_id: result.bot_user_id };
  }
}

/** Slack in multi-team mode: `POST /slack/events`, and `GET /slack/install` + `/slack/oauth` to add a workspace. */
export function createSlackChannel(deps: ChannelDeps, settings: SlackSettings): { router: Router } {
  const teams = new SlackTeams(settings.teamsFile);
  const adapter = new MentorSlackAdapter(
    {
      clientSigningSecret: settings.signingSecret,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      scopes: settings.scopes,
      redirectUri: settings.redirectUri,
      oauthVersion: 'v2',
      getTokenForTeam: async (teamId) => teams.get(teamId)?.botToken ?? '',
      getBotUserByTeam: async (teamId) => teams.get(teamId)?.botUserId ?? '',
    },
    settings.apiUrl,
    teams,
  );
  adapter.use(new SlackEventMiddleware());
  adapter.use(new SlackMessageTypeMiddleware());
  const controller = createController(adapter);

  // Slack sends the same message as `message.*` and `app_mention` when both are subscribed: answer once.
  const answered = new Map<string, number>();
  const firstTime = (key: string) => {
    const now = Date.now();
    for (const [k, at] of answered) if (at < now - 600_000) answered.delete(k);
    if (answered.has(key)) return false;
    answered.set(key, now);
    return true;
  };

  controller.on(['direct_message', 'direct_mention', 'mention', 'app_mention'], async (bot, message: BotkitMessage) => {
    const event = message.incoming_message.channelData as { channel?: string; ts?: string; text?: string; team?: string; user?: string };
    if (!firstTime(`${event.channel}:${event.ts}`)) return;
    const text = (message.text ?? event.text ?? '').replace(/<@[A-Z0-9]+(?:\|[^>]*)?>/g, '').trim();
    const worker = bot as SlackBotWorker;
    const send = (body: { text: string; blocks?: unknown[] }) => (message.type === 'direct_message' ? worker.reply(message, body) : worker.replyInThread(message, body));
    try {
      const reply = await deps.runTurn({ channel: 'slack', message: text, sessionId: platformSessionId('sl', settings.signingSecret, event.team ?? '', event.channel ?? '', event.user ?? '') });
      await send({ text: plainReply(reply), blocks: replyBlocks(reply) });
    } catch (err) {
      await send({ text: failureText(err, guessLang(text)) });
    }
  });

  const router = express.Router();
  const states = new Map<string, number>();

  router.get('/slack/install', (_req, res) => {
    const state = crypto.randomBytes(16).toString('hex');
    const now = Date.now();
    for (const [s, at] of states) if (at < now - 600_000) states.delete(s);
    states.set(state, now);
    res.redirect(`${adapter.getInstallLink()}&state=${state}`);
  });

  router.get('/slack/oauth', async (req, res) => {
    const { code, state } = req.query;
    if (typeof state !== 'string' || !states.delete(state)) {
      deps.error('slack', 'bad_oauth_state');
      res.status(401).json({ error: 'unknown or expired install state; start again at /slack/install' });
      return;
    }
    if (typeof code !== 'string' || !code) {
      res.status(400).json({ error: 'missing code' });
      return;
    }
    try {
      const result = await adapter.validateOauthCode(code);
      teams.save({ teamId: result.team.id, teamName: result.team.name, botToken: result.access_token, botUserId: result.bot_user_id, installedAt: new Date().toISOString() });
      res.type('text/plain').send(`Title Mentor is installed in ${result.team.name ?? result.team.id}.`);
    } catch (err) {
      deps.error('slack', 'oauth_failed');
      deps.log(`slack: OAuth failed: ${(err as Error).message}`);
      res.status(502).json({ error: 'Slack did not accept the install code' });
    }
  });

  router.post('/slack/events', express.raw({ type: () => true, limit: '1mb' }), async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const problem = verifySlackSignature(settings.signingSecret, raw, req.get('x-slack-request-timestamp'), req.get('x-slack-signature'));
    if (problem) {
      deps.error('slack', 'bad_signature');
      res.status(401).json({ error: problem });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = req.is('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(raw)) : (JSON.parse(raw) as Record<string, unknown>);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      deps.error('slack', 'bad_request');
      res.status(400).json({ error: 'the body must be a JSON object or a form' });
      return;
    }
    if (body.type === 'url_verification') {
      res.type('text/plain').send(typeof body.challenge === 'string' ? body.challenge : '');
      return;
    }
    // A retry means the first delivery is still being answered: acknowledge, don't answer twice.
    if (req.get('x-slack-retry-num')) {
      res.status(200).end();
      return;
    }
    const shape = slackRequestShape(body);
    if ('error' in shape) {
      deps.error('slack', 'bad_request');
      res.status(400).json({ error: shape.error });
      return;
    }
    const team = shape.team;
    if (!team || !teams.get(team)) {
      deps.error('slack', 'unknown_team');
      res.status(403).json({ error: 'this workspace has not installed the app' });
      return;
    }
    const forAdapter = req as Request & { rawBody?: string };
    forAdapter.body = body;
    forAdapter.rawBody = raw;
    try {
      await adapter.processActivity(forAdapter, res, controller.handleTurn.bind(controller));
      if (!res.headersSent) res.status(200).end();
    } catch (err) {
      deps.error('slack', 'internal');
      deps.log(`slack: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) res.status(500).json({ error: 'internal error' });
    }
  });
  return { router };
}
