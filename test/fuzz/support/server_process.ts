import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: URL;
  /** Every line the process wrote, stdout and stderr, in order. */
  lines: string[];
  /** True while the process runs. */
  alive(): boolean;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** The real `mentor serve` in a child process on loopback, port 0, with only the variables given; resolved when ready. */
export async function startServerProcess(env: Record<string, string>, readyTimeoutMs = 90_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), HOST: '127.0.0.1', STREAM_PACE_MS: '0', ...env },
    stdio: 'pipe',
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
    });
    stream.on('end', () => {
      if (rest) lines.push(rest);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
  const alive = () => exitCode === undefined && child.signalCode === null;

  const until = Date.now() + readyTimeoutMs;
  let url: URL | undefined;
  for (;;) {
    if (!alive()) throw new Error(`the server exited (${exitCode}) before it was ready:\n${lines.join('\n')}`);
    if (!url) {
      const m = lines.map((l) => /listening on (http:\/\/\S+)/.exec(l)).find(Boolean);
      if (m) url = new URL(m[1]);
    }
    if (url && lines.some((l) => l.startsWith('ready: index loaded'))) break;
    if (Date.now() > until) throw new Error(`the server was not ready within ${readyTimeoutMs} ms:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    lines,
    alive,
    exited,
    stop: async () => {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
