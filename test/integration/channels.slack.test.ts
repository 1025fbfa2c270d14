import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_NAMES, STATUS_NAMES } from '../../src/eligibility/index.js';
import { slackHeaders, startFakeSlackApi, type FakeSlackApi } from '../fixtures/channels/fake_slack_api.js';
import { metricSum, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// Slack in multi-team mode on a real server: the install flow and replies go to a Slack Web API on
// loopback; every event is signed here with the signing secret.
const SECRET = 'slack-signing-secret-for-tests';
const INSTALL = { code: 'good-code', clientId: '111.222', clientSecret: 'client-secret', teamId: 'T0TEST', botToken: 'xoxb-test-token', botUserId: 'UBOT01' };

let dataDir: string;
let t: TestServer;
let slack: FakeSlackApi;

const send = (body: unknown, headers?: Record<string, string>) => {
  const raw = JSON.stringify(body);
  return fetch(`${t.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...(headers ?? slackHeaders(SECRET, raw)) }, body: raw });
};

let eventNo = 0;
const event = (e: Record<string, unknown>, team = INSTALL.teamId) => ({
  token: 'unused',
  team_id: team,
  api_app_id: 'A1',
  type: 'event_callback',
  event_id: `Ev${++eventNo}`,
  event_time: Math.floor(Date.now() / 1000),
  event: { ts: `${1_700_000_000 + eventNo}.000100`, ...e },
});

beforeAll(async () => {
  dataDir = tempDataDir();
  slack = await startFakeSlackApi(INSTALL);
  t = await startTestServer(
    {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CLIENT_ID: INSTALL.clientId,
      SLACK_CLIENT_SECRET: INSTALL.clientSecret,
      SLACK_REDIRECT_URI: 'https://mentor.example/slack/oauth',
      SLACK_API_BASE_URL: slack.apiUrl,
    },
    { dataDir },
  );
});

afterAll(async () => {
  await t?.close();
  await slack?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('installing the app in a workspace (OAuth v2)', () => {
  it('refuses events from a workspace that has not installed the app', async () => {
    const res = await send(event({ type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'hi' }));
    expect(res.status).toBe(403);
    expect(slack.posted).toHaveLength(0);
  });

  it('redirects to Slack with a state, and stores the bot token from the code', async () => {
    const start = await fetch(`${t.url}/slack/install`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(location.searchParams.get('client_id')).toBe(INSTALL.clientId);
    expect(location.searchParams.get('redirect_uri')).toBe('https://mentor.example/slack/oauth');
    const state = location.searchParams.get('state')!;
    expect(state).toMatch(/^[0-9a-f]{32}$/);

    const forged = await fetch(`${t.url}/slack/oauth?code=${INSTALL.code}&state=forged`);
    expect(forged.status).toBe(401);

    const done = await fetch(`${t.url}/slack/oauth?code=${INSTALL.code}&state=${state}`);
    expect(done.status).toBe(200);
    expect(await done.text()).toMatch(/installed in Test Team/);
    expect(slack.oauthRequests.at(-1)).toMatchObject({ code: INSTALL.code, redirect_uri: 'https://mentor.example/slack/oauth' });
    const file = path.join(dataDir, 'slack-teams.json');
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))[INSTALL.teamId]).toMatchObject({ botToken: INSTALL.botToken, botUserId: INSTALL.botUserId });

    const replayed = await fetch(`${t.url}/slack/oauth?code=${INSTALL.code}&state=${state}`);
    expect(replayed.status).toBe(401);
  });
});

describe('url_verification', () => {
  it('answers the challenge of a signed request as plain text', async () => {
    const res = await send({ type: 'url_verification', token: 'x', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  it('does not echo an unsigned challenge', async () => {
    const res = await send({ type: 'url_verification', challenge: '<script>alert(1)</script>' }, {});
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('<script>');
  });
});

describe('signatures', () => {
  const body = () => event({ type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'hello' });
  it.each([
    ['signed with another secret', (raw: string) => slackHeaders('wrong-secret', raw), /invalid signature/],
    ['a short signature', () => ({ 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': 'v0=abc' }), /malformed X-Slack-Signature/],
    ['a signature that is not hex', () => ({ 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': `v0=${'z'.repeat(64)}` }), /malformed/],
    ['no headers', () => ({}), /X-Slack-Request-Timestamp/],
    ['a replayed request (10 minutes old)', (raw: string) => slackHeaders(SECRET, raw, Math.floor(Date.now() / 1000) - 600), /5 minutes/],
  ])('refuses %s with 401, and posts nothing', async (_what, headers, pattern) => {
    const before = slack.posted.length;
    const raw = JSON.stringify(body());
    const res = await fetch(`${t.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers(raw) }, body: raw });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatch(pattern);
    expect(slack.posted.length).toBe(before);
  });

  it('refuses a body changed after signing', async () => {
    const raw = JSON.stringify(body());
    const headers = slackHeaders(SECRET, raw);
    const res = await fetch(`${t.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw.replace('hello', 'HELLO') });
    expect(res.status).toBe(401);
  });

  it('is still serving after the bad requests', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

describe('messages', () => {
  it('answers a signed direct message with Block Kit, the citations as context blocks', async () => {
    const before = slack.posted.length;
    const res = await send(event({ type: 'message', channel_type: 'im', channel: 'D0DM', user: 'U1', text: '上海申报职称需要什么条件？' }));
    expect(res.status).toBe(200);
    expect(slack.posted.length).toBe(before + 1);
    const post = slack.posted.at(-1)!;
    expect(post).toMatchObject({ token: INSTALL.botToken, channel: 'D0DM' });
    expect(post.thread_ts).toBeUndefined();
    expect(post.text).toContain('[1]');
    const [first, ...rest] = post.blocks as Array<{ type: string; text?: { type: string; text: string }; elements?: Array<{ type: string; text: string }> }>;
    expect(first.type).toBe('section');
    expect(first.text?.type).toBe('mrkdwn');
    expect(first.text?.text).not.toContain('**');
    const context = rest.filter((b) => b.type === 'context');
    expect(context.length).toBeGreaterThan(0);
    expect(context[0].elements?.[0].text).toMatch(/^\*\[1\]\* (<https?:\/\/[^|>]+\|[^>]+>|.+)/);
    expect(context[0].elements?.[0].text).toMatch(/“.+”/s);
  });

  it('answers a mention in a channel in a thread, once, even when Slack sends it twice', async () => {
    const before = slack.posted.length;
    const ts = '1800000000.000200';
    const mention = event({ type: 'app_mention', channel: 'C0CHAN', user: 'U2', text: `<@${INSTALL.botUserId}> What is the green channel?`, ts });
    expect((await send(mention)).status).toBe(200);
    const asMessage = event({ type: 'message', channel_type: 'channel', channel: 'C0CHAN', user: 'U2', text: `<@${INSTALL.botUserId}> What is the green channel?`, ts });
    expect((await send(asMessage)).status).toBe(200);
    expect(slack.posted.length).toBe(before + 1);
    const post = slack.posted.at(-1)!;
    expect(post.channel).toBe('C0CHAN');
    expect(post.thread_ts).toBe(ts);
    expect(post.text).toMatch(/green channel/i);
    expect(post.text).not.toContain('<@');
  });

  it('shows an eligibility result as fields', async () => {
    await send(event({ type: 'message', channel_type: 'im', channel: 'D0ELIG', user: 'U3', text: '我能评工程师吗？' }));
    await send(event({ type: 'message', channel_type: 'im', channel: 'D0ELIG', user: 'U3', text: '硕士，工作3年，有上海居住证' }));
    const post = slack.posted.at(-1)!;
    expect(post.channel).toBe('D0ELIG');
    const fields = post.blocks.find((b) => Array.isArray(b.fields)) as { fields: Array<{ text: string }> } | undefined;
    const text = fields?.fields.map((f) => f.text) ?? [];
    expect(text).toContain(`*结论*\n${STATUS_NAMES.eligible.zh}`);
    expect(text.find((f) => f.startsWith('*途径*'))).toContain(ROUTE_NAMES.regular.zh);
  });

  it('ignores bot messages and Slack retries', async () => {
    const before = slack.posted.length;
    const fromBot = await send(event({ type: 'message', channel_type: 'im', channel: 'D0DM', bot_id: 'B1', text: 'I am a bot' }));
    expect(fromBot.status).toBe(200);
    const raw = JSON.stringify(event({ type: 'message', channel_type: 'im', channel: 'D0DM', user: 'U1', text: 'again?' }));
    const retry = await fetch(`${t.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout', ...slackHeaders(SECRET, raw) }, body: raw });
    expect(retry.status).toBe(200);
    expect(slack.posted.length).toBe(before);
  });

  it('refuses a signed event_callback without an event with 400', async () => {
    const res = await send({ type: 'event_callback', team_id: INSTALL.teamId });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/event object/);
  });

  it('refuses a signed body that is not JSON with 400', async () => {
    const raw = '{"type": "event_callback",';
    const res = await fetch(`${t.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...slackHeaders(SECRET, raw) }, body: raw });
    expect(res.status).toBe(400);
  });
});

describe('metrics', () => {
  it('counts the Slack turns and the refused signatures', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricSum(text, 'mentor_turns_total', { channel: 'slack' })).toBe(4);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'slack', code: 'bad_signature' })).toBe(7);
  });
});
