import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { langOption, positiveInt } from '../cli_options.js';
import { loadConfig } from '../config.js';
import { validateRules, DEFAULT_RULES_DIR } from '../eligibility/load.js';
import { loadCorpus, retrieve, validateCorpus, type BuildProgress, type Problem } from '../knowledge/index.js';
import { auditToCsv, type ItemKind } from '../store/index.js';
import { CorpusChangeError, NotFoundError, openLiveCorpus, type LiveCorpus } from './live_corpus.js';

const kindOption = (value: string): ItemKind => {
  if (value !== 'doc' && value !== 'rules' && value !== 'glossary') throw new InvalidArgumentError('must be doc, rules or glossary');
  return value;
};

const err = (s: string) => process.stderr.write(`${s}\n`);
const defaultAuthor = () => process.env.MENTOR_AUTHOR ?? process.env.USER ?? 'cli';

function printProblems(problems: Problem[]): void {
  for (const p of problems) err(`  ${p.file}: ${p.field}: ${p.message}`);
}

/** Progress on stderr, so --json output on stdout stays clean. */
function progressPrinter(): (p: BuildProgress) => void {
  let lastPhase = '';
  return (p) => {
    if (p.phase !== lastPhase || p.done === p.total) err(`  ${p.phase.padEnd(8)} ${p.done}/${p.total}`);
    lastPhase = p.phase;
  };
}

/** Run an action on the live corpus (the same store the admin API uses), closing it afterwards. */
async function withCorpus(action: (corpus: LiveCorpus) => Promise<void> | void): Promise<void> {
  const config = loadConfig();
  let corpus: LiveCorpus | undefined;
  try {
    corpus = await openLiveCorpus(config, err);
    await action(corpus);
  } catch (e) {
    if (e instanceof CorpusChangeError) {
      err('the change is invalid; nothing was changed:');
      printProblems(e.problems);
      process.exitCode = 2;
    } else if (e instanceof NotFoundError) {
      err(`error: ${e.message}`);
      process.exitCode = 2;
    } else throw e;
  } finally {
    corpus?.close();
  }
}

/** `mentor kb …`: validate the seed, build the index, and keep the live corpus (versions, rollback, audit). */
export function registerKbCommands(program: Command): void {
  const kb = program.command('kb').description('the knowledge corpus: validate, build, search, and versioned changes (add, remove, history, rollback, import, export, audit)');

  kb.command('validate')
    .description('check every document, the glossary and the eligibility rules in KNOWLEDGE_DIR; exits 1 when there is any problem')
    .action(() => {
      const cfg = loadConfig();
      const corpus = loadCorpus(cfg.knowledgeDir);
      const today = new Date().toISOString().slice(0, 10);
      const rulesDir = path.join(cfg.knowledgeDir, 'rules');
      const problems = [
        ...validateCorpus(corpus, today),
        ...validateRules(path.resolve(rulesDir) === path.resolve(DEFAULT_RULES_DIR) ? DEFAULT_RULES_DIR : rulesDir, new Set(corpus.docs.map((d) => d.id))).map((p) => ({ ...p, file: path.join('rules', p.file) })),
      ];
      if (problems.length) {
        err(`${problems.length} problem(s):`);
        printProblems(problems);
        process.exitCode = 1;
        return;
      }
      const n = (lang: string) => corpus.docs.filter((d) => d.lang === lang).length;
      console.log(`ok: ${corpus.docs.length} documents (${n('zh')} zh, ${n('en')} en), ${corpus.glossary.length} glossary entries, rules valid`);
    });

  kb.command('build')
    .description('import changed seed files, then build a complete index into a fresh folder and swap it in atomically')
    .action(() =>
      withCorpus(async (corpus) => {
        const started = performance.now();
        try {
          const index = await corpus.rebuild(progressPrinter());
          const m = index.manifest;
          console.log(`index ${m.buildId}: ${m.docCount} documents, ${m.chunkCount} chunks, embedder ${m.embedder}, ${((performance.now() - started) / 1000).toFixed(2)} s (revision ${corpus.revision()})`);
        } catch (e) {
          err(`build failed, the serving index is unchanged: ${(e as Error).message}`);
          process.exitCode = 1;
        }
      }),
    );

  kb.command('list')
    .description('list the documents of the live corpus')
    .option('--lang <lang>', 'only zh or en', langOption)
    .option('--scope <scope>', 'only titles, workplace or other')
    .option('--expired', 'only documents past their effective_to')
    .option('--json', 'print JSON')
    .action((opts: { lang?: string; scope?: string; expired?: boolean; json?: boolean }) =>
      withCorpus((corpus) => {
        const today = new Date().toISOString().slice(0, 10);
        const rows = corpus
          .docs()
          .filter((d) => (!opts.lang || d.lang === opts.lang) && (!opts.scope || d.scope === opts.scope) && (!opts.expired || (d.effective_to !== undefined && d.effective_to < today)))
          .map((d) => ({ id: d.id, lang: d.lang, scope: d.scope, title: d.title, confidence: d.confidence ?? null, effectiveTo: d.effective_to ?? null, version: corpus.store().latest('doc', d.id)?.version ?? null }));
        if (opts.json) console.log(JSON.stringify(rows, null, 2));
        else {
          for (const r of rows) console.log(`${r.id.padEnd(40)} v${String(r.version).padEnd(3)} ${r.lang} ${r.scope.padEnd(9)} ${r.confidence ?? '-'}  ${r.title}`);
          console.log(`${rows.length} document(s)`);
        }
      }),
    );

  kb.command('search')
    .description('show the chunks the mentor would retrieve for a question, with scores and why (hit testing)')
    .argument('<query>', 'the question, as a citizen would type it')
    .option('--k <n>', 'how many chunks', positiveInt, 5)
    .option('--lang <lang>', "the asker's language (zh or en); detected when omitted", langOption)
    .option('--json', 'print [{ docId, chunkId, title, lang, score, text, url? }]')
    .action((query: string, opts: { k: number; lang?: 'zh' | 'en'; json?: boolean }) =>
      withCorpus(async (corpus) => {
        const lang = opts.lang ?? (/[\u3400-\u9fff]/.test(query) ? 'zh' : 'en');
        const result = await retrieve(corpus.index(), query, { k: opts.k, lang });
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
      }),
    );

  kb.command('add')
    .description('add or update a document (Markdown with front matter), a rule file or a glossary file; live at once for a running server')
    .argument('<file>', 'the file: docs are .md, rule and glossary files .yaml')
    .option('--kind <kind>', 'doc, rules or glossary (default: doc for .md, else rules)', kindOption)
    .option('--author <name>', 'who makes the change (default $MENTOR_AUTHOR or $USER)')
    .option('-m, --summary <text>', 'a short summary of the change', 'updated with mentor kb add')
    .action((file: string, opts: { kind?: ItemKind; author?: string; summary: string }) =>
      withCorpus(async (corpus) => {
        if (!fs.existsSync(file)) throw new NotFoundError(`no such file: ${file}`);
        const content = fs.readFileSync(file, 'utf8');
        const kind = opts.kind ?? (file.endsWith('.md') ? 'doc' : 'rules');
        const author = opts.author ?? defaultAuthor();
        const result =
          kind === 'doc' ? await corpus.putDocument(content, author, opts.summary) : await corpus.change([{ kind, id: path.basename(file), content, author, summary: opts.summary }]);
        if (result.written.length === 0) console.log('unchanged: the content is the same as the current version');
        for (const v of result.written) console.log(`${v.kind} ${v.id}: version ${v.version} (revision ${v.revision})`);
      }),
    );

  kb.command('remove')
    .description('delete a document (or, with --kind, a rule or glossary file); it stays in the history')
    .argument('<id>', 'document id, or file name for rules/glossary')
    .option('--kind <kind>', 'doc, rules or glossary', kindOption, 'doc' as ItemKind)
    .option('--author <name>', 'who makes the change')
    .option('-m, --summary <text>', 'why', 'removed with mentor kb remove')
    .action((id: string, opts: { kind: ItemKind; author?: string; summary: string }) =>
      withCorpus(async (corpus) => {
        const result = await corpus.removeItem(opts.kind, id, opts.author ?? defaultAuthor(), opts.summary);
        for (const v of result.written) console.log(`${v.kind} ${v.id}: deleted as version ${v.version} (revision ${v.revision})`);
      }),
    );

  kb.command('history')
    .description('every version of a document (or rule/glossary file): who, when, what')
    .argument('<id>')
    .option('--kind <kind>', 'doc, rules or glossary', kindOption, 'doc' as ItemKind)
    .option('--json', 'print JSON (with the content of each version)')
    .action((id: string, opts: { kind: ItemKind; json?: boolean }) =>
      withCorpus((corpus) => {
        const versions = corpus.store().history(opts.kind, id);
        if (versions.length === 0) throw new NotFoundError(`no ${opts.kind} "${id}"`);
        if (opts.json) console.log(JSON.stringify(versions, null, 2));
        else for (const v of versions) console.log(`v${v.version}  ${v.at}  ${v.author.padEnd(12)} ${v.content === null ? '(deleted) ' : ''}${v.summary}`);
      }),
    );

  kb.command('rollback')
    .description('restore a document (or rule/glossary file) to an earlier version, as a new version')
    .argument('<id>')
    .argument('<version>', 'the version to restore', positiveInt)
    .option('--kind <kind>', 'doc, rules or glossary', kindOption, 'doc' as ItemKind)
    .option('--author <name>', 'who makes the change')
    .action((id: string, version: number, opts: { kind: ItemKind; author?: string }) =>
      withCorpus(async (corpus) => {
        const result = await corpus.rollbackItem(opts.kind, id, version, opts.author ?? defaultAuthor());
        if (result.written.length === 0) console.log(`unchanged: version ${version} is already the current content`);
        for (const v of result.written) console.log(`${v.kind} ${v.id}: restored version ${version} as version ${v.version}`);
      }),
    );

  kb.command('rollback-corpus')
    .description('restore the whole corpus to an earlier revision (see kb audit), as new versions')
    .argument('<revision>', 'the revision to restore', positiveInt)
    .option('--author <name>', 'who makes the change')
    .action((revision: number, opts: { author?: string }) =>
      withCorpus(async (corpus) => {
        const result = await corpus.rollbackCorpus(revision, opts.author ?? defaultAuthor());
        console.log(`restored revision ${revision}: ${result.written.length} item(s) changed, now at revision ${result.revision}`);
      }),
    );

  kb.command('import')
    .description('import the files of KNOWLEDGE_DIR that changed since the last import (also done at every start)')
    .option('--author <name>', 'who makes the change')
    .action((opts: { author?: string }) =>
      withCorpus((corpus) => {
        const written = corpus.importSeed(opts.author ?? defaultAuthor());
        console.log(written.length ? `imported ${written.length} item(s)` : 'nothing to import: the store already holds the seed');
      }),
    );

  kb.command('export')
    .description('write the current corpus as files (docs/, rules/, glossary/) a reviewer can diff')
    .argument('<dir>')
    .action((dir: string) =>
      withCorpus((corpus) => {
        const n = corpus.exportTo(dir);
        console.log(`wrote ${n} file(s) to ${dir} (revision ${corpus.revision()})`);
      }),
    );

  kb.command('audit')
    .description('who changed what and when')
    .option('--limit <n>', 'how many entries', positiveInt, 50)
    .option('--csv', 'print CSV')
    .action((opts: { limit: number; csv?: boolean }) =>
      withCorpus((corpus) => {
        const entries = corpus.store().audit({ limit: opts.limit });
        if (opts.csv) process.stdout.write(auditToCsv(entries));
        else for (const e of entries) console.log(`${e.at}  ${e.actor.padEnd(12)} ${e.action.padEnd(15)} ${e.kind} ${e.itemId} ${e.version ? `v${e.version}` : ''}  ${e.summary}`);
      }),
    );
}
