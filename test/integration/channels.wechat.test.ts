import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_NAMES } from '../../src/eligibility/index.js';
import { citationFor } from '../../src/llm/index.js';
import type { MentorLlm } from '../../src/mentor/index.js';
import { createMetrics } from '../../src/server/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake_openai.js';
import { startFakeWeChatApi, type FakeWeChatApi } from '../fixtures/channels/fake_wechat_api.js';
import { metricSum, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';
import { eventXml, imageXml, replyFields, textXml, wechatQuery } from '../fixtures/channels/wechat_client.js';

// WeChat Official Account on a real server: signed requests computed here, XML on the wire, the
// customer-service API on loopback for answers that miss the 5-second window or the 2048-byte limit.
const TOKEN = 'wechat-test-token';
const APP = { appid: 'wx-test-app', secret: 'wx-test-secret' };
const OPENID = 'oUser_0123456789abcdefghijkl';

let dataDir: string;
let plain: TestServer; // offline mentor, no customer-service API
let slow: TestServer; // a slow model (fake OpenAI server), a 300 ms budget, the customer-service API
let longWithApi: TestServer; // a model that writes long answers, with the customer-service API
let longNoApi: TestServer; // the same model, without it
let openai: FakeOpenAI;
let wx: FakeWeChatApi;
let wxLong: FakeWeChatApi;

/** A scripted model that answers with every retrieved chunk, numbered: well over 2048 bytes. */
const longModel: MentorLlm = {
  async respond(_question, _lang, initial) {
    const chunks = (initial?.chunks ?? []).slice(0, 6).map((r) => r.chunk);
    const citations = chunks.map((c, i) => citationFor(c, c.text.split('\n').find((l) => l.trim().length > 6)?.trim() ?? c.text.slice(0, 80), i + 1));
    const text = chunks.map((c, i) => `${c.text.replace(/\s+/g, ' ')} [${i + 1}]`).join('\n\n');
    return { ok: true, answer: { text: `${text}\n\n${text}`, citations } };
  },
};

const post = (t: TestServer, body: string, query = wechatQuery(TOKEN)) =>
  fetch(`${t.url}/wechat?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });

beforeAll(async () => {
  dataDir = tempDataDir();
  openai = await startFakeOpenAI();
  wx = await startFakeWeChatApi(APP);
  wxLong = await startFakeWeChatApi(APP);
  plain = await startTestServer({ WECHAT_TOKEN: TOKEN }, { dataDir });
  slow = await startTestServer(
    { WECHAT_TOKEN: TOKEN, WECHAT_APP_ID: APP.appid, WECHAT_APP_SECRET: APP.secret, WECHAT_API_BASE_URL: wx.baseUrl, WECHAT_REPLY_BUDGET_MS: '300', OPENAI_BASE_URL: openai.baseURL, OPENAI_API_KEY: 'sk-test' },
    { dataDir },
  );
  const metrics = createMetrics();
  longWithApi = await startTestServer({ WECHAT_TOKEN: TOKEN, WECHAT_APP_ID: APP.appid, WECHAT_APP_SECRET: APP.secret, WECHAT_API_BASE_URL: wxLong.baseUrl }, { dataDir, llm: longModel, metrics });
  longNoApi = await startTestServer({ WECHAT_TOKEN: TOKEN }, { dataDir, service: longWithApi.service, metrics });
});

afterAll(async () => {
  for (const t of [longNoApi, longWithApi, slow, plain]) await t?.close();
  await Promise.all([openai?.close(), wx?.close(), wxLong?.close()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the echostr handshake', () => {
  it('echoes echostr to a correctly signed GET', async () => {
    const res = await fetch(`${plain.url}/wechat?${wechatQuery(TOKEN, { echostr: 'echo-1234567890' })}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('echo-1234567890');
  });

  it('refuses a GET signed with another token', async () => {
    const res = await fetch(`${plain.url}/wechat?${wechatQuery('not-the-token', { echostr: 'echo' })}`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('echo');
  });
});

describe('messages', () => {
  it('answers a signed text message with a passive XML reply', async () => {
    const started = Date.now();
    const res = await post(plain, textXml(OPENID, '上海申报职称需要什么条件？'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/xml/);
    const xml = await res.text();
    const f = replyFields(xml);
    expect(f.ToUserName).toBe(OPENID);
    expect(f.FromUserName).toBe('gh_mentor');
    expect(f.MsgType).toBe('text');
    expect(Number(f.CreateTime)).toBeGreaterThan(1_700_000_000);
    expect(f.Content).toMatch(/\[1\]/);
    expect(f.Content).toContain('来源：\n[1] ');
    expect(f.Content).not.toContain('**');
    expect(Buffer.byteLength(f.Content)).toBeLessThanOrEqual(2048);
  });

  it('keeps one session per user across messages', async () => {
    const openid = 'oUser_eligibility_dialogue_01';
    await post(plain, textXml(openid, '我能评工程师吗？'));
    const f = replyFields(await (await post(plain, textXml(openid, '硕士，工作3年，有上海居住证'))).text());
    expect(f.Content).toContain(STATUS_NAMES.eligible.zh);
  });

  it('answers a re-sent message (same MsgId) once, with the same reply', async () => {
    const body = textXml('oUser_resend_000000000000001', '职称分几级？', '99887766554433');
    const [a, b] = await Promise.all([post(plain, body), post(plain, body)]);
    const [ta, tb] = [await a.text(), await b.text()];
    expect(replyFields(ta).Content).toBeTruthy();
    expect(replyFields(tb).Content).toBe(replyFields(ta).Content);
  });

  it('welcomes a new follower (subscribe event)', async () => {
    const f = replyFields(await (await post(plain, eventXml(OPENID, 'subscribe'))).text());
    expect(f.Content).toContain('职称小邻');
    expect(f.Content).toMatch(/English/);
    expect(f.Content).toContain('· ');
  });

  it('says "text only for now" to an image', async () => {
    const f = replyFields(await (await post(plain, imageXml(OPENID))).text());
    expect(f.Content).toMatch(/只能看懂文字/);
    expect(f.Content).toMatch(/text messages/);
  });

  it('answers other events with "success" and nothing else', async () => {
    const res = await post(plain, eventXml(OPENID, 'unsubscribe'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success');
  });
});

describe('refusals', () => {
  it('refuses a bad signature with 401 and never runs a turn', async () => {
    const res = await post(plain, textXml(OPENID, '你好'), wechatQuery('forged-token'));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid WeChat signature' });
    const missing = await fetch(`${plain.url}/wechat`, { method: 'POST', body: textXml(OPENID, '你好') });
    expect(missing.status).toBe(401);
  });

  it.each([
    ['malformed XML', '<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName>oops</xml>', /malformed XML/],
    ['an entity declaration', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">]><xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol;</Content></xml>', /DOCTYPE or entity/],
    ['an external entity', '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>', /DOCTYPE or entity/],
    ['a missing field', '<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>', /missing <FromUserName>/],
    ['another root element', '<message><Content>hi</Content></message>', /root element/],
    ['an empty body', '', /WeChat XML/],
  ])('refuses %s with 400', async (_what, body, pattern) => {
    const res = await post(plain, body);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(pattern);
  });

  it('refuses encrypted mode with a clear message', async () => {
    const res = await post(plain, '<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>', wechatQuery(TOKEN, { encrypt_type: 'aes', msg_signature: 'x' }));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/plaintext/);
  });

  it('is still serving after all that', async () => {
    expect((await fetch(`${plain.url}/healthz`)).status).toBe(200);
  });
});

describe('the 2048-byte limit', () => {
  it('splits a long answer: the passive reply holds the first part, the API sends the rest in order', async () => {
    const openid = 'oUser_long_answer_split_0001';
    const f = replyFields(await (await post(longWithApi, textXml(openid, '上海申报职称需要什么条件？'))).text());
    const first = f.Content;
    expect(Buffer.byteLength(first)).toBeLessThanOrEqual(2048);
    const total = Number(/\(1\/(\d+)\)$/.exec(first)?.[1]);
    expect(total).toBeGreaterThanOrEqual(2);
    await wxLong.waitForSent(total - 1);
    const rest = wxLong.sent.filter((m) => m.touser === openid);
    expect(rest).toHaveLength(total - 1);
    rest.forEach((m, i) => {
      expect(Buffer.byteLength(m.content)).toBeLessThanOrEqual(2048);
      expect(m.content.endsWith(`(${i + 2}/${total})`)).toBe(true);
    });
    const whole = [first, ...rest.map((m) => m.content)].map((p) => p.replace(/\n\(\d+\/\d+\)$/, '')).join('');
    expect(Buffer.byteLength(whole)).toBeGreaterThan(2048);
    expect(whole).toContain('来源：');
  });

  it('trims a long answer to one reply when there is no customer-service API', async () => {
    const f = replyFields(await (await post(longNoApi, textXml('oUser_long_answer_trim_00001', '上海申报职称需要什么条件？'))).text());
    expect(Buffer.byteLength(f.Content)).toBeLessThanOrEqual(2048);
    expect(Buffer.byteLength(f.Content)).toBeGreaterThan(1500);
    expect(f.Content).toMatch(/已截断/);
  });
});

describe('the 5-second rule with a slow model', () => {
  const slowAnswer = () => openai.script([{ delayMs: 1500, then: { content: '绿色通道是为能力突出、业绩优秀的专业技术人才开设的特殊申报渠道。[1]' } }, { content: '绿色通道是特殊申报渠道。[1]' }]);

  it('holds within the budget, then sends the whole answer through the customer-service API', async () => {
    slowAnswer();
    const openid = 'oUser_slow_model_00000000001';
    const started = Date.now();
    const res = await post(slow, textXml(openid, '绿色通道是什么？'));
    const f = replyFields(await res.text());
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1200);
    expect(f.Content).toMatch(/稍后发给你/);
    await wx.waitForSent(1);
    const [message] = wx.sent;
    expect(message).toMatchObject({ touser: openid, msgtype: 'text', token: 'ACCESS_TOKEN_1' });
    expect(message.at - started).toBeGreaterThanOrEqual(1400);
    expect(message.content).toMatch(/绿色通道/);
    expect(message.content).toContain('来源：\n[1] ');
    expect(wx.tokenRequests).toEqual([{ appid: APP.appid, secret: APP.secret }]);
  });

  it('reuses the cached access token, and fetches a new one when WeChat says it is stale', async () => {
    slowAnswer();
    await post(slow, textXml('oUser_slow_model_00000000002', '绿色通道是什么？'));
    await wx.waitForSent(2);
    expect(wx.sent[1].token).toBe('ACCESS_TOKEN_1');
    expect(wx.tokenRequests).toHaveLength(1);

    wx.failNextSends(40001);
    slowAnswer();
    await post(slow, textXml('oUser_slow_model_00000000003', '绿色通道是什么？'));
    await wx.waitForSent(3);
    expect(wx.tokenRequests).toHaveLength(2);
    expect(wx.sent[2]).toMatchObject({ token: 'ACCESS_TOKEN_2', touser: 'oUser_slow_model_00000000003' });
  });
});

describe('metrics', () => {
  it('counts the WeChat turns and refusals', async () => {
    const text = await (await fetch(`${plain.url}/metrics`)).text();
    // 1 + 2 (dialogue) + 1 (re-sent once) text turns; events are not mentor turns.
    expect(metricSum(text, 'mentor_turns_total', { channel: 'wechat' })).toBe(4);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'wechat', code: 'bad_signature' })).toBe(3);
    expect(metricSum(text, 'mentor_errors_total', { channel: 'wechat', code: 'bad_xml' })).toBe(6);
    const slowText = await (await fetch(`${slow.url}/metrics`)).text();
    expect(metricSum(slowText, 'mentor_turns_total', { channel: 'wechat' })).toBe(3);
    expect(metricSum(slowText, 'mentor_turn_latency_seconds_sum', { channel: 'wechat' })).toBeGreaterThan(4.2);
  });
});
