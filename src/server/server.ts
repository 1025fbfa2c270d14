import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type express from 'express';
import { createChannels, type ChannelDeps } from '../channels/index.js';
import { REPO_ROOT, type Config } from '../config.js';
import { loadPrompts } from '../llm/index.js';
import { openMentorService, type MentorService } from '../mentor/index.js';
import { createApp, turnRunner, type ServiceRef } from './app.js';
import { createMetrics, type MentorMetrics } from './metrics.js';

export interface ServerOptions {
  /** Required when the service is still opening; otherwise the service's own. */
  config?: Config;
  /** The metrics whose `onTurn` the service reports to (see `startMentorServer`). */
  metrics?: MentorMetrics;
  /** Defaults: the configuration's HOST and PORT (0 = any free port). */
  host?: string;
  port?: number;
  log?: (line: string) => void;
}

export interface MentorServer {
  app: express.Express;
  server: http.Server;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  metrics: MentorMetrics;
  /** Which messaging channels are on (web, wechat, slack). */
  channels: string[];
  /** Stop listening and drop open connections (websockets, streams). The service stays open. */
  close(): Promise<void>;
}

/**
 * One HTTP server for everything: the chat API, the OpenAI-compatible API, the web page and its
 * websocket, WeChat and Slack. It listens at once; until the service is open, /readyz and the chat
 * routes answer 503.
 */
export async function createServer(service: MentorService | Promise<MentorService>, options: ServerOptions = {}): Promise<MentorServer> {
  let current: MentorService | undefined = service instanceof Promise ? undefined : service;
  if (service instanceof Promise) {
    service.then(
      (s) => {
        current = s;
      },
      () => {},
    );
  }
  const config = options.config ?? current?.config;
  if (!config) throw new Error('createServer: pass options.config when the service is still opening');
  const ref: ServiceRef = { current: () => current };
  const metrics = options.metrics ?? createMetrics();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const prompts = loadPrompts(path.join(REPO_ROOT, 'prompts'));
  const runTurn = turnRunner(ref, metrics);

  const deps: ChannelDeps = {
    runTurn,
    welcome: (lang) => ({ text: prompts.templates.greeting[lang].replace('{name}', prompts.persona.name[lang]), suggestions: prompts.templates.suggestions.default[lang] }),
    error: metrics.error,
    log,
  };
  const channels = createChannels(deps, config);
  const app = createApp(ref, { config, metrics, runTurn, channels: channels.router, prompts, log });
  const server = http.createServer(app);
  channels.attach(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.PORT, options.host ?? config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    app,
    server,
    url: `http://${host}:${port}`,
    port,
    metrics,
    channels: channels.enabled,
    close: () =>
      new Promise<void>((resolve) => {
        channels.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The service and its server, wired for metrics: what `mentor serve` runs, and what tests start. */
export async function startMentorServer(
  config: Config,
  options: Omit<ServerOptions, 'config' | 'metrics'> & { onProgress?: (message: string) => void } = {},
): Promise<{ server: MentorServer; service: Promise<MentorService> }> {
  const metrics = createMetrics();
  // Listen first, so /healthz answers (and the port is taken) while the index is built.
  let open!: (s: Promise<MentorService>) => void;
  const service = new Promise<MentorService>((resolve) => {
    open = resolve;
  });
  let server: MentorServer;
  try {
    server = await createServer(service, { ...options, config, metrics });
  } catch (err) {
    open(Promise.reject(err));
    service.catch(() => {});
    throw err;
  }
  open(openMentorService(config, { onProgress: options.onProgress, onTurn: metrics.onTurn }));
  return { server, service };
}
