import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

// Start-up time: an offline `mentor serve` with no Slack, WeChat or Redis configured never loads the Slack
// adapter, botkit, botbuilder, LangChain, openai or ioredis; botkit's web adapter is loaded by the first web-chat request.

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'title-mentor-imports-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const packagesIn = (file: string) =>
  new Set(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((p): p is string => Boolean(p)),
  );

it('offline serve without Slack loads no Slack adapter, botkit or LangChain; the web channel loads on first use', async () => {
  const record = path.join(dir, 'imports.txt');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/fixtures/imports/record.mjs', 'src/cli.ts', 'serve', '--port', '0'], {
    cwd: REPO,
    env: {
      ...process.env,
      RECORD_IMPORTS_FILE: record,
      DATA_DIR: path.join(dir, 'data'),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      REDIS_URL: '',
      WECHAT_TOKEN: '',
      SLACK_SIGNING_SECRET: '',
      SLACK_CLIENT_ID: '',
      SLACK_CLIENT_SECRET: '',
      SLACK_REDIRECT_URI: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let listening = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        listening ||= /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
        if (listening && out.includes('ready: index loaded')) resolve(listening);
      });
      child.stderr.resume();
      child.once('exit', (code) => reject(new Error(`mentor serve exited with ${code}: ${out}`)));
    });
    const chat = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: '工程师的申报条件是什么？' }) });
    expect(chat.status).toBe(200);

    const served = packagesIn(record);
    expect(served.has('express')).toBe(true); // the recording works
    for (const heavy of ['botbuilder-adapter-slack', 'botbuilder-adapter-web', 'botkit', 'botbuilder', '@langchain/core', '@langchain/openai', 'openai', 'ioredis']) {
      expect(served.has(heavy), `${heavy} was loaded`).toBe(false);
    }

    // The web chat's webhook loads botkit's web adapter, and answers as before.
    const web = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'message', user: 'lazy-import-user', text: '你好' }) });
    expect(web.status).toBe(200);
    const replies = (await web.json()) as Array<{ type: string; text?: string }>;
    expect(replies.some((r) => r.type === 'message' && r.text)).toBe(true);
    expect(packagesIn(record).has('botbuilder-adapter-web')).toBe(true);
    expect(packagesIn(record).has('botbuilder-adapter-slack')).toBe(false);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}, 120_000);
