import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyFields, textXml, wechatQuery } from '../fixtures/channels/wechat_client.js';
import { SERVER_NODE_FLAGS, SERVER_PROCESS_ENV } from '../../src/server/memory.js';

// `mentor serve` with WORKERS=2: a primary and two workers on one port (src/server/cluster.ts), the real
// processes. New connections go to the workers in turn, so requests sent each on a fresh connection
// alternate between them; the request lines they log carry their pid.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SESSION_LIMIT = 6;
const WX_TOKEN = 'workers-wechat-token';
const ADMIN_TOKEN = 'workers-admin-token-0123456789abcdef';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** One request on a connection of its own (no keep-alive), so that the cluster picks a worker for it. */
function request(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply & { text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/xml' : 'application/json';
    const req = http.request(url, { method, agent: false, headers: { connection: 'close', ...headers, ...(data ? { 'content-type': type, 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // /metrics is text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const chat = (url: string, message: string, sessionId: string) => request(`${url}/api/chat`, 'POST', { message, sessionId });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('serve with WORKERS=2', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-workers-'));
  let child: ChildProcess;
  let out = '';
  let url = '';

  const waitFor = async (pattern: RegExp, what: string, ms = 90_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const m = pattern.exec(out);
      if (m) return m;
      if (child.exitCode !== null || Date.now() > until) throw new Error(`${what} did not happen:\n${out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const workerPids = () => [...out.matchAll(/worker (\d) \(pid (\d+)\) is ready/g)].map((m) => ({ n: Number(m[1]), pid: Number(m[2]) }));
  const chatPids = () => new Set([...out.matchAll(/^\{.*"pid":(\d+).*"path":"\/api\/chat".*$/gm)].map((m) => Number(m[1])));

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'], {
      cwd: REPO,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? os.tmpdir(),
        WORKERS: '2',
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        RATE_LIMIT_PER_MINUTE_SESSION: String(SESSION_LIMIT),
        RATE_LIMIT_PER_MINUTE_IP: '1000',
        WECHAT_TOKEN: WX_TOKEN,
        ADMIN_TOKEN,
      },
      stdio: 'pipe',
    });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
    await waitFor(/worker 2 \(pid \d+\) is ready/, 'both workers getting ready');
    url = (await waitFor(/listening on (http:\/\/\S+)/, 'listening'))[1];
  }, 120_000);

  afterAll(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts worker 2 from worker 1\'s index, each worker keeping its own copy', () => {
    expect(out).toMatch(/worker 2: starting from the index in /);
    expect(out).not.toMatch(/worker 2: building the index/);
    expect(fs.existsSync(path.join(dataDir, 'workers', '2', 'index', 'CURRENT'))).toBe(true);
    expect(workerPids().map((w) => w.n).sort()).toEqual([1, 2]);
  });

  it('runs the workers with the server memory settings, though the primary was started without them', () => {
    for (const { pid } of workerPids()) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      for (const flag of SERVER_NODE_FLAGS) expect(argv).toContain(flag);
      for (const [name, value] of Object.entries(SERVER_PROCESS_ENV)) expect(env).toContain(`${name}=${value}`);
    }
  });

  it('answers one conversation on both workers, keeping its facts from turn to turn', async () => {
    const session = 'workers-conversation';
    const first = await chat(url, '我本科学历，想申报高级工程师', session);
    expect(first.status).toBe(200);
    const second = await chat(url, '2016年取得工程师职称', session);
    const third = await chat(url, '理工科，有上海户籍', session);
    expect([second.status, third.status]).toEqual([200, 200]);
    // What turn one told is still known on turn three, wherever each turn was answered.
    const facts = (third.body.eligibility as { facts: { education?: { degree?: string }; currentTitle?: { level?: string } } }).facts;
    expect(facts.education?.degree).toBe('bachelor');
    expect(facts.currentTitle?.level).toBe('intermediate');
    expect(chatPids().size).toBe(2);
  });

  it('counts a session\'s rate limit once across the workers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < SESSION_LIMIT + 3; i++) statuses.push((await chat(url, '高级工程师需要什么条件', 'workers-limited')).status);
    // Each worker counting alone would let 2 × 6 through.
    expect(statuses.filter((s) => s === 200)).toHaveLength(SESSION_LIMIT);
    expect(statuses.slice(SESSION_LIMIT)).toEqual([429, 429, 429]);
  });

  it('sums every worker\'s turns in /metrics, whichever worker is asked', async () => {
    const answered = [...out.matchAll(/"path":"\/api\/chat","status":200/g)].length;
    for (let i = 0; i < 2; i++) {
      const metrics = await request(`${url}/metrics`, 'GET');
      expect(metrics.status).toBe(200);
      const turns = [...metrics.text.matchAll(/^mentor_turns_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      expect(turns).toBe(answered);
    }
  });

  it('answers a WeChat message re-sent to the other worker once: one turn, the same answer', async () => {
    const wechat = (xml: string) => request(`${url}/wechat?${wechatQuery(WX_TOKEN)}`, 'POST', xml);
    const turns = async () => {
      const metrics = await request(`${url}/metrics`, 'GET');
      return [...metrics.text.matchAll(/^mentor_turns_total\{channel="wechat"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const xml = textXml('oWorkersUser1', '上海评中级职称要什么条件？', '8200000000000000001');
    // At once, on two connections: the cluster hands them to the two workers.
    const [first, second] = await Promise.all([wechat(xml), wechat(xml)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(replyFields(first.text).Content).toBeTruthy();
    expect(replyFields(second.text).Content).toBe(replyFields(first.text).Content);
    // WeChat's re-send a moment later, on a new connection.
    const resent = await wechat(xml);
    expect(replyFields(resent.text).Content).toBe(replyFields(first.text).Content);
    expect(await turns()).toBe(1);
    const wechatPids = new Set([...out.matchAll(/^\{.*"pid":(\d+).*"path":"\/wechat".*$/gm)].map((m) => Number(m[1])));
    expect(wechatPids.size).toBe(2);
  });

  it('counts failed admin sign-ins across the workers', async () => {
    const admin = (token: string) => request(`${url}/api/admin/documents`, 'GET', undefined, { authorization: `Bearer ${token}` });
    expect((await admin(ADMIN_TOKEN)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await admin(`wrong-${i}`)).status);
    // Each worker counting alone would have seen about ten, and answered 401 to all 21.
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect((await admin(ADMIN_TOKEN)).status).toBe(429);
    const adminPids = new Set([...out.matchAll(/^\{.*"pid":(\d+).*"path":"\/api\/admin\/documents".*$/gm)].map((m) => Number(m[1])));
    expect(adminPids.size).toBe(2);
  });

  it('starts a killed worker again while the other answers', async () => {
    const before = workerPids().find((w) => w.n === 2)!;
    process.kill(before.pid, 'SIGKILL');
    await waitFor(/worker 2 \(pid \d+\) exited \(SIGKILL\)/, 'the primary seeing worker 2 die', 10_000);
    for (let i = 0; i < 4; i++) expect((await chat(url, '绿色通道是什么', `workers-after-kill-${i}`)).status).toBe(200);
    await waitFor(new RegExp(`worker 2 \\(pid (?!${before.pid}\\))\\d+\\) is ready`), 'worker 2 starting again', 60_000);
    expect(workerPids().filter((w) => w.n === 2)).toHaveLength(2);
  }, 90_000);

  it('stops every worker on SIGTERM, and the primary exits 0', async () => {
    const pids = workerPids().map((w) => w.pid).filter(alive);
    expect(pids.length).toBe(2);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  }, 30_000);
});
