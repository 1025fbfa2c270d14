#!/usr/bin/env node
import cluster from 'node:cluster';
import { Command, InvalidArgumentError } from 'commander';
import { langOption, positiveInt } from './cli_options.js';
import { loadConfig, type Config } from './config.js';
import { runEligibilityCommand } from './eligibility/cli.js';
import { registerKbCommands } from './corpus/commands.js';
import { openMentorService, TurnError } from './mentor/index.js';
import { createMetrics, limitHeapGrowth, startMentorServer } from './server/index.js';
import { runPrimary, seedWorkerIndex, workerDataDir, workerHooks, workerNumber } from './server/cluster.js';

// The evaluation commands load on use: they bring the LLM judge (LangChain), which `serve` and `ask` never need.
const evalCommands = () => import('./eval/index.js');

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

  registerKbCommands(program);

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
    .description('serve the mentor over HTTP on PORT (default 3000), building the index first when missing or stale; with WORKERS > 1, that many processes serve the port together')
    .option('--port <n>', 'port (overrides PORT)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
      return n;
    })
    .action(async (opts: { port?: number }) => {
      const cfg = config();
      // WORKERS > 1: this process forks the workers, which serve the port together (src/server/cluster.ts).
      if (cfg.WORKERS > 1 && cluster.isPrimary) {
        const port = opts.port ?? cfg.PORT;
        process.stderr.write(`Title Mentor: starting ${cfg.WORKERS} workers on port ${port}\n`);
        process.exitCode = await runPrimary({ workers: cfg.WORKERS, env: { PORT: String(port) }, say: (line) => process.stderr.write(`${line}\n`) });
        return;
      }
      const worker = workerNumber();
      limitHeapGrowth(cfg.HEAP_GROWING_PERCENT);
      const metrics = createMetrics();
      const hooks = worker === undefined ? undefined : workerHooks(metrics.registry);
      const own = worker === undefined ? cfg : { ...cfg, instanceDir: workerDataDir(cfg.dataDir, worker) };
      if (own.instanceDir && seedWorkerIndex(cfg.dataDir, own.instanceDir)) process.stderr.write(`worker ${worker}: starting from the index in ${cfg.dataDir}\n`);
      // Listen at once (/healthz answers), and open the mentor meanwhile (/readyz answers when the index is loaded).
      const { server, service } = await startMentorServer(own, { port: opts.port, metrics, worker: hooks, onProgress: (m) => process.stderr.write(`${worker ? `worker ${worker}: ` : ''}${m}\n`) });
      console.log(`Title Mentor listening on ${server.url} (${cfg.llmEnabled ? 'LLM mode' : 'offline mode'}; channels: ${server.channels.join(', ')}${worker ? `; worker ${worker} of ${cfg.WORKERS}` : ''})`);
      const opened = await service.catch((err: Error) => {
        process.stderr.write(`error: the mentor could not start: ${err.message}\n`);
        hooks?.failed(err.message);
        return server.close().then(() => process.exit(1));
      });
      console.log(`ready: index loaded${worker ? ` (worker ${worker})` : ''}`);
      hooks?.ready();
      const stop = () => {
        void server.close().then(() => {
          opened.close();
          process.exit(0);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const evalCommand = program
    .command('eval')
    .description('run the evaluation datasets through the mentor and write reports (eval/reports/<run>/); exits 1 when --gate fails, 2 on bad usage or an invalid dataset')
    .option('--dataset <path>', 'a .jsonl file or a folder of them (default eval/datasets)')
    .option('--out <dir>', 'where to write report.json, report.md and report.html (default eval/reports/<run>)')
    .option('--limit <n>', 'only the first n cases', positiveInt)
    .option('--kind <kind>', 'only cases of this kind (fact, pathway, eligibility, multi_turn, out_of_scope, adversarial, retrieval)')
    .option('--lang <lang>', 'only zh or en cases', langOption)
    .option('--mode <mode>', 'offline or llm (default: llm when a model is configured, else offline; with --gate, the baseline\'s)', (v) => {
      if (v !== 'offline' && v !== 'llm') throw new InvalidArgumentError('must be offline or llm');
      return v;
    })
    .option('--compare <modes>', 'run two modes side by side, e.g. offline,llm')
    .option('--url <url>', 'evaluate a running deployment: POST <url>/api/chat per turn')
    .option('--gate', 'exit 1 when a metric fell by more than its tolerance in the baseline')
    .option('--update-baseline', 'accept this run\'s figures as the new baseline')
    .option('--baseline <file>', 'the baseline file (default eval/baseline.json)')
    .option('--as-of <date>', 'evaluate as of this date (YYYY-MM-DD): the mentor\'s clock and document validity')
    .option('--no-judge', 'leave out the LLM-judged metrics even with a model configured')
    .option('--concurrency <n>', 'cases in flight at once (default 1 offline in process, 4 with a model or --url)', positiveInt)
    .action(async (opts: { dataset?: string; out?: string; limit?: number; kind?: string; lang?: 'zh' | 'en'; mode?: 'offline' | 'llm'; compare?: string; url?: string; gate?: boolean; updateBaseline?: boolean; baseline?: string; asOf?: string; judge?: boolean; concurrency?: number }) => {
      const { runEvalCommand } = await evalCommands();
      process.exitCode = await runEvalCommand(opts, { config: config() });
    });

  evalCommand
    .command('add')
    .description('turn a stored conversation into a draft dataset case for a tester to complete')
    .requiredOption('--from-transcript <session>', 'the session id of the conversation (read from DATA_DIR)')
    .option('--append <file>', 'append the case to this .jsonl file (default: print it)')
    .option('--id <id>', 'the case id (default t-<date>-<session>)')
    .action(async (opts: { fromTranscript: string; append?: string; id?: string }, cmd: Command) => {
      // `eval --out` is the report folder; commander hands an --out after `add` to `eval`, so say which to use.
      if (cmd.parent?.opts().out) {
        process.stderr.write('error: eval add writes with --append <file>\n');
        process.exitCode = 2;
        return;
      }
      const { runEvalAddCommand } = await evalCommands();
      process.exitCode = runEvalAddCommand(opts, { config: config() });
    });

  return program;
}


buildProgram()
  .parseAsync(process.argv)
  .catch((err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  });
