import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config.js';

const run = promisify(execFile);

async function ask(dataDir: string, args: string[]) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli.ts'), 'ask', ...args, '--json'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
  });
  return JSON.parse(stdout);
}

describe('sessions', () => {
  it('survive a restart: a second process continues what the first stored', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-sessions-'));
    const first = await ask(dataDir, ['我硕士毕业，在上海做工程技术工作两年半了，有居住证。我想评中级职称，能评吗？']);
    expect(first.intent).toBe('eligibility_check');
    // A new process: the facts (degree, years, residence) must come from the stored session.
    const second = await ask(dataDir, ['那我评工程师可以吗？', '--session', first.sessionId]);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.eligibility?.facts.education?.degree).toBe('master');
    expect(second.eligibility?.facts.yearsInSpecialty).toBe(2.5);
    expect(second.eligibility?.overall.status).toBe('eligible');

    // What was stored is masked and complete: two turns in the transcript.
    const db = new Database(path.join(dataDir, 'mentor.sqlite'), { readonly: true });
    const turns = db.prepare('SELECT user_text, eligibility FROM turns WHERE session_id = ? ORDER BY id').all(first.sessionId) as Array<{ user_text: string; eligibility: string }>;
    db.close();
    expect(turns).toHaveLength(2);
    // The check as the transcript keeps it: facts, verdicts and deciding rules, not the texts the rules give again.
    const record = JSON.parse(turns[1].eligibility);
    expect(record.overall.status).toBe('eligible');
    expect(record.facts.education.degree).toBe('master');
    const best = record.routes.find((r: { route: string; targetLevel: string }) => r.route === record.overall.bestRoute && r.targetLevel === record.overall.bestLevel);
    expect(best.status).toBe('eligible');
    expect(best.ruleIds.length).toBeGreaterThan(0);
    expect(best.reasons).toBeUndefined();
    expect(turns[1].eligibility.length).toBeLessThan(JSON.stringify(second.eligibility).length / 4);
  }, 60_000);

  it('never stores an ID number or phone number', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-sessions-'));
    const reply = await ask(dataDir, ['我的身份证是11010519491231002X，电话13812345678，想问中级职称怎么评']);
    expect(reply.reply).not.toContain('11010519491231002X');
    expect(reply.reply).not.toContain('13812345678');
    const db = new Database(path.join(dataDir, 'mentor.sqlite'), { readonly: true });
    const dump = JSON.stringify([db.prepare('SELECT * FROM turns').all(), db.prepare('SELECT * FROM sessions').all()]);
    db.close();
    expect(dump).not.toContain('11010519491231002X');
    expect(dump).not.toContain('13812345678');
  }, 60_000);
});
