#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type Config } from './config.js';
import { runEligibilityCommand, validateRules, DEFAULT_RULES_DIR } from './eligibility/index.js';
import {
  buildAndActivateIndex,
  CorpusInvalidError,
  embedderFactory,
  loadCorpus,
  openKnowledgeIndex,
  retrieve,
  validateCorpus,
  type BuildProgress,
  type Problem,
} from './knowledge/index.js';
import path from 'node:path';
import { openMentorService, TurnError } from './mentor/index.js';
import { createApp } from './server/index.js';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

const langOption = (value: string) => {
  if (value !== 'zh' && value !== 'en') throw new InvalidArgumentError('must be zh or en');
  return value;
};

/** Progress on stderr, so --json output on stdout stays clean. */
function progressPrinter(): (p: BuildProgress) => void {
  let lastPhase = '';
  return (p) => {
    if (p.phase !== lastPhase || p.done === p.total) process.stderr.write(`  ${p.phase.padEnd(8)} ${p.done}/${p.total}\n`);
    lastPhase = p.phase;
  };
}

function printProblems(problems: Problem[]): void {
  for (const p of problems) process.stderr.write(`  ${p.file}: ${p.field}: ${p.message}\n`);
}

function config(): Config {
  return loadConfig();
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mentor')
    .description('Title Mentor: a grounded professional-title (职称) mentor. Run a command with --help for details.')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  const kb = program.command('kb').description('the knowledge corpus: validate, build the index, list, search');

  kb.command('validate')
    .description('check every document, the glossary and the eligibility rules; exits 1 when there is any problem')
    .action(() => {
      const cfg = config();
      const corpus = loadCorpus(cfg.knowledgeDir);
      const today = new Date().toISOString().slice(0, 10);
      const docIds = new Set(corpus.docs.map((d) => d.id));
      const rulesDir = path.join(cfg.knowledgeDir, 'rules');
      const problems = [
        ...validateCorpus(corpus, today),
        ...validateRules(rulesDir === path.resolve(DEFAULT_RULES_DIR) ? DEFAULT_RULES_DIR : rulesDir, docIds).map((p) => ({ ...p, file: path.join('rules', p.file) })),
      ];
      if (problems.length) {
        process.stderr.write(`${problems.length} problem(s):\n`);
        printProblems(problems);
        process.exitCode = 1;
        return;
      }
      console.log(`ok: ${corpus.docs.length} documents (${count(corpus.docs, 'zh')} zh, ${count(corpus.docs, 'en')} en), ${corpus.glossary.length} glossary entries, rules valid`);
    });

  kb.command('build')
    .description('build the search index into a fresh folder under DATA_DIR and swap it in atomically')
    .action(async () => {
      const cfg = config();
      process.stderr.write(`building index from ${cfg.knowledgeDir}\n`);
      try {
        const { index, folder, seconds } = await buildAndActivateIndex(cfg.knowledgeDir, cfg.dataDir, embedderFactory(cfg), { onProgress: progressPrinter() });
        const m = index.manifest;
        console.log(`index ${m.buildId}: ${m.docCount} documents, ${m.chunkCount} chunks, embedder ${m.embedder}, ${seconds.toFixed(2)} s\n  now serving: ${folder}`);
      } catch (err) {
        if (err instanceof CorpusInvalidError) {
          process.stderr.write(`build refused, the serving index is unchanged: ${err.message}\n`);
          printProblems(err.problems);
        } else process.stderr.write(`build failed, the serving index is unchanged: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  kb.command('list')
    .description('list the corpus documents')
    .option('--lang <lang>', 'only zh or en', langOption)
    .option('--scope <scope>', 'only titles, workplace or other')
    .option('--json', 'print JSON')
    .action((opts: { lang?: string; scope?: string; json?: boolean }) => {
      const cfg = config();
      const docs = loadCorpus(cfg.knowledgeDir).docs.filter((d) => (!opts.lang || d.lang === opts.lang) && (!opts.scope || d.scope === opts.scope));
      const rows = docs.map((d) => ({ id: d.id, lang: d.lang, scope: d.scope, title: d.title, confidence: d.confidence ?? null, effectiveTo: d.effective_to ?? null }));
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else {
        for (const r of rows) console.log(`${r.id.padEnd(40)} ${r.lang} ${r.scope.padEnd(9)} ${r.confidence ?? '-'}  ${r.title}`);
        console.log(`${rows.length} document(s)`);
      }
    });

  kb.command('search')
    .description('show the chunks the mentor would retrieve for a question, with scores and why')
    .argument('<query>', 'the question, as a citizen would type it')
    .option('--k <n>', 'how many chunks', positiveInt, 5)
    .option('--lang <lang>', 'the asker\'s language (zh or en); detected when omitted', langOption)
    .option('--json', 'print [{ docId, chunkId, title, lang, score, text, url? }]')
    .action(async (query: string, opts: { k: number; lang?: 'zh' | 'en'; json?: boolean }) => {
      const cfg = config();
      const index = await openKnowledgeIndex(cfg.knowledgeDir, cfg.dataDir, embedderFactory(cfg), (m) => process.stderr.write(`${m}\n`));
      const lang = opts.lang ?? (/[\u3400-\u9fff]/.test(query) ? 'zh' : 'en');
      const result = await retrieve(index, query, { k: opts.k, lang });
      const rows = result.chunks.map((r) => ({ docId: r.chunk.docId, chunkId: r.chunk.id, title: r.chunk.title, lang: r.chunk.lang, score: r.score, text: r.chunk.text, ...(r.chunk.url ? { url: r.chunk.url } : {}) }));
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      if (rows.length === 0) console.log('no matching chunks');
      result.chunks.forEach((r, i) => {
        const why = [r.why.lexical && `bm25 #${r.why.lexical.rank} (${r.why.lexical.matched.join(' ')})`, r.why.vector && `vector #${r.why.vector.rank} sim ${r.why.vector.similarity}`].filter(Boolean).join('; ');
        console.log(`\n[${i + 1}] ${r.chunk.id}  score ${r.score}  ${r.chunk.title} / ${r.chunk.headingPath.slice(1).join(' / ')}\n    why: ${why}\n    ${r.chunk.text.replace(/\n/g, '\n    ')}`);
      });
    });

  program
    .command('eligibility')
    .description('run the eligibility tool on facts given as JSON; exits 2 on invalid facts')
    .requiredOption('--input <file>', 'a JSON facts file, or - for standard input')
    .option('--as-of <date>', 'evaluate as of this date (YYYY-MM-DD); default today')
    .option('--json', 'print the full result as JSON')
    .action(async (opts: { input: string; asOf?: string; json?: boolean }) => {
      process.exitCode = await runEligibilityCommand({ input: opts.input, json: Boolean(opts.json), asOf: opts.asOf });
    });

  program
    .command('ask')
    .description('one turn with the mentor, as POST /api/chat would answer it')
    .argument('<text>', 'the message')
    .option('--session <id>', 'continue a conversation (the id printed by an earlier turn)')
    .option('--lang <lang>', 'reply language (zh or en); detected when omitted', langOption)
    .option('--json', 'print exactly the body POST /api/chat returns')
    .action(async (text: string, opts: { session?: string; lang?: 'zh' | 'en'; json?: boolean }) => {
      const service = await openMentorService(config(), { onProgress: (m) => process.stderr.write(`${m}\n`) });
      try {
        const reply = await service.mentor.handleTurn({ message: text, sessionId: opts.session, lang: opts.lang, channel: 'cli' });
        if (opts.json) console.log(JSON.stringify(reply, null, 2));
        else {
          console.log(reply.reply);
          for (const c of reply.citations) console.log(`  [${c.n}] ${c.title}${c.url ? ` <${c.url}>` : ''}\n      “${c.quote}”`);
          console.log(`\n(session ${reply.sessionId}; intent ${reply.intent})`);
        }
      } catch (err) {
        if (err instanceof TurnError) {
          process.stderr.write(`error: ${err.message}\n`);
          process.exitCode = 2;
        } else throw err;
      } finally {
        service.close();
      }
    });

  program
    .command('serve')
    .description('serve the mentor over HTTP on PORT (default 3000), building the index first when missing or stale')
    .option('--port <n>', 'port (overrides PORT)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
      return n;
    })
    .action(async (opts: { port?: number }) => {
      const cfg = config();
      const service = await openMentorService(cfg, { onProgress: (m) => process.stderr.write(`${m}\n`) });
      const app = createApp(service);
      const port = opts.port ?? cfg.PORT;
      const server = app.listen(port, cfg.HOST, () => {
        const address = server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        console.log(`Title Mentor listening on http://${cfg.HOST}:${actual} (${cfg.llmEnabled ? 'LLM mode' : 'offline mode'})`);
      });
      const stop = () => {
        server.close(() => {
          service.close();
          process.exit(0);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  return program;
}

const count = (docs: { lang: string }[], lang: string) => docs.filter((d) => d.lang === lang).length;

buildProgram()
  .parseAsync(process.argv)
  .catch((err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  });
