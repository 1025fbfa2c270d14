import fs from 'node:fs';
import type { z } from 'zod';
import { isIsoDate } from './dates.js';
import { evaluate } from './engine.js';
import { explainEligibility } from './explain.js';
import { DEFAULT_RULES_DIR, RulesError, loadRules } from './load.js';
import { FactsSchema } from './schema.js';

export interface EligibilityCommandOptions {
  /** A JSON facts file, or '-' for standard input. */
  input: string;
  json: boolean;
  rulesDir?: string;
  /** YYYY-MM-DD; default: today in Shanghai. */
  asOf?: string;
  /** Language of the text answer; both when not given. */
  lang?: 'zh' | 'en';
  /** Streams, replaceable in tests. */
  io?: { stdin?: NodeJS.ReadableStream; stdout?: (text: string) => void; stderr?: (text: string) => void };
}

/** Today's date on the Shanghai calendar, YYYY-MM-DD. */
export const todayInShanghai = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

/** `mentor eligibility`: exit code 0 ok, 2 invalid facts (the zod error names the field), 1 any other error. */
export async function runEligibilityCommand(opts: EligibilityCommandOptions): Promise<number> {
  const out = opts.io?.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = opts.io?.stderr ?? ((s: string) => void process.stderr.write(s));

  if (opts.asOf !== undefined && !isIsoDate(opts.asOf)) {
    err(`error: --as-of must be a real date written YYYY-MM-DD, got "${opts.asOf}"\n`);
    return 1;
  }
  let text: string;
  try {
    text = opts.input === '-' ? await readAll(opts.io?.stdin ?? process.stdin) : fs.readFileSync(opts.input, 'utf8');
  } catch (e) {
    err(`error: cannot read ${opts.input === '-' ? 'standard input' : opts.input}: ${(e as Error).message}\n`);
    return 1;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    err(`invalid facts: the input is not valid JSON (${(e as Error).message})\n`);
    return 2;
  }
  const parsed = FactsSchema.safeParse(raw);
  if (!parsed.success) {
    err(`invalid facts:\n${formatIssues(parsed.error.issues)}\n`);
    return 2;
  }
  let rules;
  try {
    rules = loadRules(opts.rulesDir ?? DEFAULT_RULES_DIR);
  } catch (e) {
    if (e instanceof RulesError) err(`error: the eligibility rules are invalid:\n${e.problems.map((p) => `  ${p.file} ${p.field}: ${p.message}`).join('\n')}\n`);
    else err(`error: ${(e as Error).message}\n`);
    return 1;
  }
  const result = evaluate(rules, parsed.data, opts.asOf ?? todayInShanghai());
  if (opts.json) out(`${JSON.stringify(result, null, 2)}\n`);
  else if (opts.lang) out(`${explainEligibility(result, opts.lang)}\n`);
  else out(`${explainEligibility(result, 'zh')}\n\n${explainEligibility(result, 'en')}\n`);
  return 0;
}

/** One line per issue, starting with the field it is about: "education.degree: Invalid option ...". */
export function formatIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const where = i.path.map(String).join('.');
      const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => (where ? `${where}.${k}` : k)).join(', ') : '';
      return `  ${keys || where || '(facts)'}: ${i.message}`;
    })
    .join('\n');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
