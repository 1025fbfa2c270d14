// The mentor's web chat page. Talks to the server through botkit's web adapter (a websocket at /ws),
// and falls back to HTTP (the SSE stream at /api/chat/stream) when the socket is unavailable.
// Everything shown from a reply is either text nodes or the escaped output of markdown.js.
import { renderMarkdown } from './markdown.js';

const UI = {
  zh: {
    placeholder: '输入你的问题…',
    send: '发送',
    inputLabel: '你的问题',
    tagline: '职称政策学习助手',
    you: '你',
    sources: '资料来源',
    source: '来源',
    open: '查看原文',
    date: '日期',
    card: '资格初判',
    route: '途径',
    verdict: '结论',
    missing: '还需确认',
    earliest: '最早可申报',
    nextStep: '下一步',
    allRoutes: '各途径的判断',
    helpful: '有帮助',
    notHelpful: '没帮助',
    thanks: '谢谢你的反馈！',
    voteFailed: '反馈没有发送成功，请稍后再试。',
    offline: '网络好像断了，请检查网络后重试。',
    failed: '抱歉，没有收到回答，请再试一次。',
    suggestions: '你可以问',
    typing: '正在思考…',
  },
  en: {
    placeholder: 'Type your question…',
    send: 'Send',
    inputLabel: 'Your question',
    tagline: 'A study helper for professional titles',
    you: 'You',
    sources: 'Sources',
    source: 'Source',
    open: 'Open the source',
    date: 'Date',
    card: 'Eligibility check',
    route: 'Route',
    verdict: 'Verdict',
    missing: 'Still needed',
    earliest: 'Earliest date',
    nextStep: 'Next step',
    allRoutes: 'Every route checked',
    helpful: 'Helpful',
    notHelpful: 'Not helpful',
    thanks: 'Thanks for the feedback!',
    voteFailed: 'The feedback was not sent; please try again later.',
    offline: 'The connection seems to be down; check it and try again.',
    failed: 'Sorry, no answer came back; please try again.',
    suggestions: 'You could ask',
    typing: 'Thinking…',
  },
};

const $ = (selector) => document.querySelector(selector);
const log = $('#log');
const form = $('#composer');
const input = $('#input');
const sendButton = $('#send');

const state = {
  lang: initialLang(),
  persona: null,
  sessionId: undefined,
  clientId: randomId(),
  turns: 0,
  busy: false,
  socket: null,
  useSocket: new URLSearchParams(location.search).get('transport') !== 'http',
};

function initialLang() {
  const saved = localStorage.getItem('title-mentor-lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

// crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

function t(key) {
  return UI[state.lang][key];
}

function scrollToEnd() {
  log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function avatar() {
  return el('img', { class: 'avatar', src: state.persona?.avatar ?? '/static/avatar.svg', alt: '', width: 36, height: 36 });
}

function addUserMessage(text) {
  const bubble = el('div', { class: 'bubble' }, el('p', { class: 'plain', text }));
  const row = el('article', { class: 'msg user', 'aria-label': t('you') }, bubble);
  log.append(row);
  scrollToEnd();
}

function addBotRow() {
  const body = el('div', { class: 'body' });
  const bubble = el('div', { class: 'bubble' }, body);
  const row = el('article', { class: 'msg bot', 'aria-label': state.persona?.name?.[state.lang] ?? 'mentor' }, avatar(), bubble);
  log.append(row);
  scrollToEnd();
  return { row, bubble, body };
}

function suggestionChips(list) {
  if (!list?.length) return null;
  return el(
    'div',
    { class: 'suggestions', role: 'group', 'aria-label': t('suggestions') },
    list.map((s) => {
      const chip = el('button', { type: 'button', class: 'chip', text: s });
      chip.addEventListener('click', () => ask(s));
      return chip;
    }),
  );
}

function renderWelcome() {
  log.querySelector('.welcome')?.remove();
  const p = state.persona;
  if (!p) return;
  const { row, body, bubble } = addBotRow();
  row.classList.add('welcome');
  body.innerHTML = renderMarkdown(p.greeting[state.lang]);
  const chips = suggestionChips(p.suggestions[state.lang]);
  if (chips) bubble.append(chips);
  log.prepend(row);
}

function sourceCards(reply, key) {
  if (!reply.citations?.length) return null;
  return el(
    'section',
    { class: 'sources', 'aria-label': t('sources') },
    el('h3', { text: t('sources') }),
    reply.citations.map((c) => {
      const meta = el('p', { class: 'source-meta' });
      if (c.date) meta.append(el('span', { class: 'date', text: `${t('date')}: ${c.date}` }));
      if (c.url && /^https?:\/\//i.test(c.url)) meta.append(el('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer nofollow', text: t('open') }));
      return el(
        'details',
        { class: 'source', id: `${key}-${c.n}` },
        el('summary', {}, el('span', { class: 'n', text: `[${c.n}]` }), el('span', { class: 'title', text: c.title })),
        el('blockquote', { text: c.quote }),
        meta,
      );
    }),
  );
}

function label(group, id) {
  return state.persona?.labels?.[group]?.[id]?.[state.lang] ?? id;
}

function eligibilityCard(result, lang) {
  if (!result?.overall) return null;
  const L = UI[lang];
  const overall = result.overall;
  // As headlineRoute (src/eligibility/explain.ts): no route heads an open verdict without one to ask about.
  const best = result.routes.find((r) => r.route === overall.bestRoute && r.targetLevel === (overall.bestLevel ?? r.targetLevel)) ?? (overall.status === 'needs_info' ? undefined : result.routes[0]);
  const rows = [];
  const row = (name, value, cls) => rows.push(el('dt', { text: name }), el('dd', { class: cls }, value));
  if (best) row(L.route, `${label('routes', best.route)} · ${label('levels', best.targetLevel)}`);
  row(L.verdict, label('statuses', overall.status), `status status-${overall.status}`);
  if (overall.missing?.length) row(L.missing, el('ul', {}, overall.missing.map((m) => el('li', { text: label('facts', m) }))));
  const earliest = best?.earliest ?? result.routes.find((r) => r.earliest)?.earliest;
  if (earliest) row(L.earliest, el('time', { datetime: earliest, text: earliest }));
  const card = el('section', { class: `card eligibility status-${overall.status}`, 'aria-label': L.card }, el('h3', { text: L.card }), el('dl', {}, rows));
  if (result.routes.length > 1) {
    card.append(
      el(
        'details',
        { class: 'routes' },
        el('summary', { text: `${L.allRoutes} (${result.routes.length})` }),
        el('ul', {}, result.routes.map((r) => el('li', { text: `${label('routes', r.route)} · ${label('levels', r.targetLevel)}: ${label('statuses', r.status)}${r.earliest ? ` (${r.earliest})` : ''}` }))),
      ),
    );
  }
  if (overall.nextStep?.[lang]) card.append(el('p', { class: 'next' }, el('strong', { text: `${L.nextStep}: ` }), overall.nextStep[lang]));
  return card;
}

// A thumb drawn as SVG, so the buttons look the same on every device (no emoji font needed).
function thumb() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z');
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

function voteBar(reply) {
  if (!reply.turnId || !reply.sessionId) return null;
  const status = el('span', { class: 'vote-status', role: 'status' });
  const button = (vote, name) => {
    const b = el('button', { type: 'button', class: `vote-${vote}`, 'data-vote': vote, 'aria-label': name, 'aria-pressed': 'false', title: name }, thumb());
    b.addEventListener('click', async () => {
      bar.querySelectorAll('button').forEach((x) => (x.disabled = true));
      try {
        const res = await fetch('/api/chat/vote', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sessionId: reply.sessionId, turnId: reply.turnId, vote }),
        });
        if (!res.ok) throw new Error(String(res.status));
        b.setAttribute('aria-pressed', 'true');
        status.textContent = UI[reply.lang].thanks;
      } catch {
        bar.querySelectorAll('button').forEach((x) => (x.disabled = false));
        status.textContent = UI[reply.lang].voteFailed;
      }
    });
    return b;
  };
  const bar = el('div', { class: 'vote' }, button('up', UI[reply.lang].helpful), button('down', UI[reply.lang].notHelpful), status);
  return bar;
}

function renderReply(view, reply) {
  const key = `turn-${reply.turnId ?? Date.now()}`;
  view.row.dataset.turnId = reply.turnId ?? '';
  view.row.dataset.intent = reply.intent;
  view.row.lang = reply.lang === 'zh' ? 'zh-CN' : 'en';
  view.body.className = 'body md';
  view.body.innerHTML = renderMarkdown(reply.reply, { citations: reply.citations?.length ?? 0, citePrefix: key });
  view.bubble.append(...[eligibilityCard(reply.eligibility, reply.lang), sourceCards(reply, key), suggestionChips(reply.suggestions), voteBar(reply)].filter(Boolean));
  scrollToEnd();
}

function renderFailure(view, message) {
  view.row.classList.add('error');
  view.body.className = 'body';
  view.body.textContent = message;
}

// A click on a [n] marker opens its source card.
log.addEventListener('click', (event) => {
  const marker = event.target.closest?.('a.cite');
  if (!marker) return;
  const card = document.getElementById(marker.getAttribute('href').slice(1));
  if (card) {
    event.preventDefault();
    card.open = true;
    card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }
});

// ---------------------------------------------------------------------------------------------
// Transports: one turn at a time; the handlers get typing, meta, delta, done, error.
// ---------------------------------------------------------------------------------------------

function openSocket() {
  return new Promise((resolve, reject) => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      reject(err);
      return;
    }
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('websocket timeout'));
    }, 3000);
    socket.addEventListener('open', () => {
      clearTimeout(timer);
      socket.send(JSON.stringify({ type: 'hello', user: state.clientId }));
      resolve(socket);
    });
    socket.addEventListener('error', () => {
      clearTimeout(timer);
      reject(new Error('websocket error'));
    });
  });
}

async function socketReady() {
  if (!state.useSocket) return null;
  if (state.socket?.readyState === WebSocket.OPEN) return state.socket;
  try {
    state.socket = await openSocket();
    document.body.dataset.transport = 'websocket';
    return state.socket;
  } catch {
    // No websocket (a proxy, a firewall): HTTP from now on.
    state.useSocket = false;
    document.body.dataset.transport = 'http';
    return null;
  }
}

function viaSocket(socket, payload, on) {
  return new Promise((resolve) => {
    const finish = () => {
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('close', onClose);
      resolve();
    };
    const onMessage = (event) => {
      let m;
      try {
        m = JSON.parse(event.data);
      } catch {
        return;
      }
      if (m.type === 'typing') on.typing();
      else if (m.type === 'meta') on.meta(m);
      else if (m.type === 'delta') on.delta(m.text ?? '');
      else if (m.type === 'message' && m.mentor) {
        on.done(m.mentor);
        finish();
      } else if (m.type === 'error') {
        on.error(m.error || t('failed'));
        finish();
      }
    };
    const onClose = () => {
      state.socket = null;
      on.error(t('offline'));
      finish();
    };
    socket.addEventListener('message', onMessage);
    socket.addEventListener('close', onClose);
    socket.send(JSON.stringify({ type: 'message', user: state.clientId, ...payload }));
  });
}

async function viaHttp(payload, on) {
  let res;
  try {
    res = await fetch('/api/chat/stream', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(payload) });
  } catch {
    on.error(t('offline'));
    return;
  }
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => ({}));
    on.error(body.error || t('failed'));
    return;
  }
  on.typing();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let finished = false;
  const handle = (block) => {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (!data.length) return;
    const value = JSON.parse(data.join('\n'));
    if (event === 'meta') on.meta(value);
    else if (event === 'delta') on.delta(value.text ?? '');
    else if (event === 'done') {
      finished = true;
      on.done(value);
    } else if (event === 'error') {
      finished = true;
      on.error(value.error || t('failed'));
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        handle(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  } catch {
    // The stream broke off; reported below.
  }
  if (!finished) on.error(t('offline'));
}

// ---------------------------------------------------------------------------------------------
// A turn
// ---------------------------------------------------------------------------------------------

async function ask(text) {
  const message = text.trim();
  if (!message || state.busy) return;
  state.busy = true;
  sendButton.disabled = true;
  input.value = '';
  autosize();
  addUserMessage(message);
  state.turns += 1;

  const view = addBotRow();
  view.row.classList.add('pending');
  view.body.append(el('span', { class: 'typing', 'aria-label': t('typing') }, el('i'), el('i'), el('i')));
  let streamed = '';
  const on = {
    typing() {},
    meta(meta) {
      if (meta.sessionId) state.sessionId = meta.sessionId;
    },
    delta(piece) {
      streamed += piece;
      view.body.className = 'body streaming';
      view.body.textContent = streamed;
      scrollToEnd();
    },
    done(reply) {
      state.sessionId = reply.sessionId;
      view.row.classList.remove('pending');
      renderReply(view, reply);
    },
    error(messageText) {
      view.row.classList.remove('pending');
      renderFailure(view, messageText);
    },
  };
  const payload = { text: message, lang: state.lang, ...(state.sessionId ? { sessionId: state.sessionId } : {}) };
  const socket = await socketReady();
  if (socket) await viaSocket(socket, payload, on);
  else await viaHttp({ message, lang: state.lang, ...(state.sessionId ? { sessionId: state.sessionId } : {}) }, on);
  state.busy = false;
  sendButton.disabled = false;
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// Language, composer, start
// ---------------------------------------------------------------------------------------------

function applyLang(lang) {
  state.lang = lang;
  localStorage.setItem('title-mentor-lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('.lang button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang)));
  input.placeholder = t('placeholder');
  $('#input-label').textContent = t('inputLabel');
  sendButton.textContent = t('send');
  $('#tagline').textContent = t('tagline');
  if (state.persona) {
    $('#name').textContent = state.persona.name[lang];
    $('#disclaimer').textContent = state.persona.disclaimer[lang];
    document.title = `${state.persona.name[lang]} · Title Mentor`;
    if (state.persona.limits?.maxMessageChars) input.maxLength = state.persona.limits.maxMessageChars;
  }
  // Before the first question the welcome follows the language; afterwards the conversation stays as it was.
  if (state.turns === 0) renderWelcome();
}

function autosize() {
  // An empty box keeps its one-line height (a long placeholder must not grow it).
  input.style.height = '';
  if (!input.value) return;
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

document.querySelectorAll('.lang button').forEach((b) => b.addEventListener('click', () => applyLang(b.dataset.lang)));
form.addEventListener('submit', (event) => {
  event.preventDefault();
  ask(input.value);
});
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ask(input.value);
  }
});
input.addEventListener('input', autosize);

async function start() {
  applyLang(state.lang);
  try {
    const res = await fetch('/api/persona');
    state.persona = await res.json();
  } catch {
    state.persona = null;
  }
  applyLang(state.lang);
  document.body.dataset.ready = 'true';
  void socketReady();
}

start();
