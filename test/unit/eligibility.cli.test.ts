import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runEligibilityCommand, type EligibilityResult } from '../../src/eligibility/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eligibility-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function factsFile(name: string, content: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function run(opts: Partial<Parameters<typeof runEligibilityCommand>[0]> & { input: string }) {
  let stdout = '';
  let stderr = '';
  const code = await runEligibilityCommand({ json: false, ...opts, io: { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), ...opts.io } });
  return { code, stdout, stderr };
}

const EXAMPLE = { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'master' }, yearsInSpecialty: 2.5, residence: { residencePermit: true } };

describe('runEligibilityCommand (mentor eligibility)', () => {
  it('prints the answer in both languages and exits 0', async () => {
    const { code, stdout, stderr } = await run({ input: factsFile('ok.json', EXAMPLE), asOf: '2025-06-01' });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('可以申报');
    expect(stdout).toContain('eligible');
    expect(stdout).toContain('sh-eng-int-2');
  });

  it('prints one language when asked', async () => {
    const { stdout } = await run({ input: factsFile('ok-en.json', EXAMPLE), asOf: '2025-06-01', lang: 'en' });
    expect(stdout).toContain('Answer: eligible');
    expect(stdout).not.toContain('结论');
  });

  it('prints the full result as JSON with --json', async () => {
    const { code, stdout } = await run({ input: factsFile('json.json', EXAMPLE), asOf: '2025-06-01', json: true });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as EligibilityResult;
    expect(result.asOf).toBe('2025-06-01');
    expect(result.overall.status).toBe('eligible');
    expect(result.routes.find((v) => v.route === 'regular')?.ruleIds).toContain('sh-eng-int-2');
  });

  it('reads standard input for "-"', async () => {
    const { code, stdout } = await run({ input: '-', json: true, asOf: '2025-06-01', io: { stdin: Readable.from([JSON.stringify(EXAMPLE)]) } });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).overall.status).toBe('eligible');
  });

  it('exits 2 on an invalid value and names the field', async () => {
    const { code, stderr, stdout } = await run({ input: factsFile('bad-degree.json', { ...EXAMPLE, education: { degree: 'college' } }), asOf: '2025-06-01' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/education\.degree: Invalid option/);
  });

  it('exits 2 on a misspelt field and names it', async () => {
    const { code, stderr } = await run({ input: factsFile('typo.json', { series: 'engineering', yearInSpecialty: 3 }) });
    expect(code).toBe(2);
    expect(stderr).toContain('yearInSpecialty');
  });

  it('exits 2 on a number out of range and on a bad date', async () => {
    expect((await run({ input: factsFile('neg.json', { yearsInSpecialty: -1 }) })).stderr).toContain('yearsInSpecialty');
    expect((await run({ input: factsFile('date.json', { currentTitle: { obtained: '2024-02-30' } }) })).stderr).toContain('currentTitle.obtained');
  });

  it('exits 2 when the input is not JSON', async () => {
    const { code, stderr } = await run({ input: factsFile('broken.json', '{ "series": ') });
    expect(code).toBe(2);
    expect(stderr).toMatch(/not valid JSON/);
  });

  it('exits 1 when the file cannot be read, the date is wrong, or the rules are broken', async () => {
    expect((await run({ input: path.join(tmp, 'missing.json') })).code).toBe(1);
    expect((await run({ input: factsFile('d.json', EXAMPLE), asOf: '2025-13-01' })).code).toBe(1);
    const badRules = fs.mkdtempSync(path.join(tmp, 'rules-'));
    fs.writeFileSync(path.join(badRules, 'x.yaml'), 'family: x\nrules: [ { id: Bad Id } ]\n');
    const broken = await run({ input: factsFile('r.json', EXAMPLE), rulesDir: badRules });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('x.yaml');
  });

  it('gives the same exit codes in a real process', () => {
    const script = path.join(tmp, 'run.ts');
    fs.writeFileSync(
      script,
      `import { runEligibilityCommand } from ${JSON.stringify(path.join(REPO, 'src/eligibility/index.ts'))};\n` +
        `runEligibilityCommand({ input: process.argv[2], json: process.argv[3] === '--json', asOf: '2025-06-01' }).then((code) => { process.exitCode = code; });\n`,
    );
    const tsx = path.join(REPO, 'node_modules', '.bin', 'tsx');
    const ok = spawnSync(tsx, [script, factsFile('p-ok.json', EXAMPLE), '--json'], { cwd: REPO, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).overall.status).toBe('eligible');
    const bad = spawnSync(tsx, [script, factsFile('p-bad.json', { targetLevel: 'middle' })], { cwd: REPO, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('targetLevel');
  });
});
