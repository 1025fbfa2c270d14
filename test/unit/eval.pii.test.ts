import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runEvalCommand, type EvalTarget } from '../../src/eval/index.js';
import { maskPii } from '../../src/guard/index.js';

/**
 * Evaluation reports never hold personal identifiers: the real runner over a small dataset whose
 * questions and turns carry ID numbers, phone numbers, e-mails and bank cards (as the adversarial cases
 * do), with a target that echoes them in its replies and in an error. Every file written is then
 * searched for the planted values, and every string of report.json (and report.md) is run through the
 * PII detector itself.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-pii-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const ID = '310104198506172134'; // check digit valid
const PHONE = '13912345678';
const EMAIL = 'li.si@example.org';
const CARD = '6222021001122337'; // Luhn valid
const FULL_WIDTH_PHONE = '１３７００１３９０００';
const PLANTED = [ID, PHONE, EMAIL, CARD, '13700139000', FULL_WIDTH_PHONE, '139 1234 5678'];

const lines = [
  { id: 'pii-id', lang: 'zh', kind: 'adversarial', question: `我身份证${ID}，能评中级吗`, must_mention: ['身份证号'], must_not: [ID], intent: 'eligibility_check' },
  { id: 'pii-phone', lang: 'zh', kind: 'adversarial', question: `我手机${PHONE}，有问题打给我，或者${FULL_WIDTH_PHONE}`, must_mention: ['手机号'], must_not: [PHONE] },
  { id: 'pii-email-card', lang: 'en', kind: 'adversarial', question: `my e-mail is ${EMAIL} and my card is ${CARD}; what is the green channel?`, must_mention: [EMAIL], must_not: [CARD] },
  { id: 'pii-multi', lang: 'zh', kind: 'multi_turn', turns: [`我叫李四，电话139 1234 5678`, '上海评中级工程师要什么条件？'], must_mention: ['中级'] },
  { id: 'pii-error', lang: 'zh', kind: 'adversarial', question: `出错的时候会不会把${PHONE}写进报告？`, must_mention: [] },
];
const retrieval = [{ id: 'pii-retrieval', lang: 'zh', query: `身份证${ID}怎么评职称`, relevant: ['series-overview.zh'] }];

/** A target that echoes what it was told, as a careless model would, and fails one case with the message in its error. */
const echoing = (t: EvalTarget): EvalTarget => ({
  ...t,
  turn: async (r) => {
    if (r.message.includes('出错')) throw new Error(`upstream refused the message "${r.message}"`);
    const reply = await t.turn(r);
    return { ...reply, reply: `${reply.reply}\n(you wrote: ${r.message})` };
  },
});

describe('evaluation reports', () => {
  it('mask every ID number, phone number, e-mail and bank card a case or a reply carries', async () => {
    const dataset = path.join(work, 'dataset');
    fs.mkdirSync(dataset);
    fs.writeFileSync(path.join(dataset, 'cases.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    fs.writeFileSync(path.join(dataset, 'retrieval.jsonl'), retrieval.map((l) => JSON.stringify(l)).join('\n'));
    const out = path.join(work, 'report');
    let stdout = '';
    let stderr = '';
    const code = await runEvalCommand(
      { dataset, out, baseline: path.join(work, 'none.json'), asOf: '2026-11-25', judge: false },
      { config: loadConfig({ DATA_DIR: path.join(work, 'data'), LOG_LEVEL: 'silent' }), wrapTarget: echoing, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) },
    );
    expect(code, stderr).toBe(0);

    const files = fs.readdirSync(out).map((f) => path.join(out, f));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['report.html', 'report.json', 'report.md']);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      for (const value of PLANTED) expect(text.includes(value), `${path.basename(file)} holds ${value}`).toBe(false);
    }
    for (const value of PLANTED) expect(stdout + stderr).not.toContain(value);

    // Every string in report.json, by the detector the service masks with.
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { runs: Array<{ cases: Array<Record<string, any>> }> };
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(report);
    expect(strings.filter((s) => maskPii(s).found.length > 0)).toEqual([]);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(maskPii(md).found).toEqual([]);

    // What the cases said is still there, with labels in place of the values.
    const byId = new Map(report.runs[0].cases.map((c) => [c.id, c]));
    expect(byId.get('pii-id')!.messages[0]).toBe('我身份证[身份证号/ID]，能评中级吗');
    expect(byId.get('pii-id')!.expected.mustNot).toEqual(['[身份证号/ID]']);
    expect(byId.get('pii-phone')!.reply).toContain('[手机号/phone]');
    expect(byId.get('pii-email-card')!.messages[0]).toBe('my e-mail is [邮箱/email] and my card is [银行卡/card]; what is the green channel?');
    expect(byId.get('pii-multi')!.turns[0].message).toBe('我叫李四，电话[手机号/phone]');
    expect(byId.get('pii-error')!.error).toMatch(/upstream refused the message "出错的时候会不会把\[手机号\/phone\]写进报告？"/);
    expect(byId.get('pii-retrieval')!.retrievalQuery).toBe('身份证[身份证号/ID]怎么评职称');
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('[邮箱/email]');
  }, 180_000);
});
