import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildDist, DIST } from '../../scripts/build.mjs';
import { SERVER_NODE_FLAGS, SERVER_PROCESS_ENV } from '../../src/server/memory.js';

// `npm start` as the README has it: the prestart build (scripts/build.mjs) compiles src/ into dist/,
// then node alone runs the server, with no tsx. The first index build goes to the compiled child.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const dist = DIST as string;

describe('npm start: the compiled server', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-start-'));
  let stop: (() => void) | undefined;

  afterAll(() => {
    stop?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('rebuilds only what changed and drops modules that are gone', () => {
    (buildDist as () => number)();
    const cli = path.join(dist, 'src', 'cli.js');
    const stale = path.join(dist, 'src', 'removed_module.js');
    fs.writeFileSync(stale, 'export {};\n');
    const before = fs.statSync(cli);
    const modules = (buildDist as () => number)();
    expect(modules).toBeGreaterThan(50);
    expect(fs.existsSync(stale)).toBe(false);
    // Unchanged: not rewritten, so a server running from dist/ keeps reading the same file.
    expect(fs.statSync(cli).ino).toBe(before.ino);
    expect(fs.statSync(cli).mtimeMs).toBe(before.mtimeMs);
    expect(fs.existsSync(path.join(dist, 'src', 'knowledge', 'hnsw_worker.mjs'))).toBe(true);
  });

  it('leaves another build its temporary file, and stops at an unknown option', () => {
    const theirs = path.join(dist, 'src', 'cli.js.12345.tmp');
    fs.writeFileSync(theirs, 'half written');
    (buildDist as () => number)();
    expect(fs.existsSync(theirs)).toBe(true);
    fs.rmSync(theirs);
    const run = spawnSync(process.execPath, ['scripts/build.mjs', '--watch'], { cwd: REPO, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown option --watch/);
  });

  it('serves a cited answer, the first index built by the compiled child process', async () => {
    const child = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: REPO,
      detached: true,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'silent', INDEX_BUILD_CHILD_MIN_DOCS: '0' },
      stdio: 'pipe',
    });
    stop = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const until = Date.now() + 90_000;
    while (!/ready: index loaded/.test(out)) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`npm start did not get ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(out).toMatch(/built in a child process/);
    // The server is node running dist/, and no process of the group runs tsx.
    // It runs with the server's memory settings (src/server/memory.ts).
    const processes = execFileSync('ps', ['-o', 'pid=,args=', '-g', String(child.pid)], { encoding: 'utf8' });
    const server = processes.split('\n').find((line) => /^\s*\d+ node .*dist\/src\/cli\.js serve /.test(line));
    expect(server?.trim().replace(/^\d+ /, '')).toBe(['node', ...SERVER_NODE_FLAGS, 'dist/src/cli.js serve --port 0'].join(' '));
    expect(processes).not.toMatch(/tsx/);
    const environ = fs.readFileSync(`/proc/${server!.trim().split(' ')[0]}/environ`, 'utf8').split('\0');
    for (const [name, value] of Object.entries(SERVER_PROCESS_ENV)) expect(environ).toContain(`${name}=${value}`);

    const res = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: '高级工程师需要什么条件' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { reply: string; citations: Array<{ docId: string }> };
    expect(body.reply).toContain('高级工程师');
    expect(body.citations.length).toBeGreaterThan(0);
    expect((await fetch(`${url}/`)).headers.get('content-type')).toMatch(/text\/html/);
  }, 120_000);
});
