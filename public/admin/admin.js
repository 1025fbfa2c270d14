// The staff console: documents with their versions, hit testing, the audit log and the questions the
// mentor could not answer. It talks only to /api/admin with the staff token (kept in sessionStorage,
// so it is gone when the tab closes). Everything shown from the server is set as text, except the
// preview, which is escaped first (preview.js).
import { buildDocument, FIELDS, LIST_FIELDS, parseList, splitDocument } from './frontmatter.js';
import { diffLines, diffStats, foldContext } from './diff.js';
import { renderPreview } from './preview.js';

const UI = {
  en: {
    appTitle: 'Staff console',
    tagline: 'Title Mentor knowledge base',
    signOut: 'Sign out',
    signInTitle: 'Sign in',
    signInHint: 'Enter the staff token (ADMIN_TOKEN) you were given.',
    tokenLabel: 'Staff token',
    authorLabel: 'Your name (shown in the audit log)',
    signIn: 'Sign in',
    signingIn: 'Checking…',
    errEmptyToken: 'Enter the staff token first.',
    errWrongToken: 'That token is not right. Check it (it is case-sensitive) and try again.',
    errOff: 'The staff console is turned off on this server (no ADMIN_TOKEN is set).',
    errTooMany: 'Too many failed sign-ins from this computer. Wait 15 minutes, then try again.',
    errStarting: 'The mentor is still starting. Try again in a moment.',
    errNetwork: 'The server cannot be reached. Check the connection and try again.',
    errServer: 'Something went wrong on the server',
    errSession: 'Your sign-in is no longer accepted. Please sign in again.',
    tabDocs: 'Documents',
    tabSearch: 'Hit testing',
    tabAudit: 'Audit log',
    tabQuestions: 'Questions',
    documents: 'Documents',
    newDoc: 'New document',
    searchLabel: 'Search id or title',
    searchPlaceholder: 'Search id or title',
    lang: 'Language',
    series: 'Series',
    scope: 'Scope',
    expired: 'Expired',
    any: 'Any',
    current: 'Current',
    expiredOnly: 'Expired',
    docCount: (shown, total) => (shown === total ? `${total} documents` : `${shown} of ${total} documents`),
    editorEmpty: 'Choose a document from the list, or start a new one.',
    backToList: '← Documents',
    frontMatter: 'Document details',
    helpId: 'Lowercase letters, digits and hyphens, ending in .zh or .en. It cannot change after the first save.',
    helpTranslation: 'The id of the same document in the other language.',
    helpList: 'Separate several with commas.',
    fTitle: 'title',
    fLang: 'lang',
    fTranslationOf: 'translation_of',
    fSeries: 'series',
    fTopics: 'topics',
    fScope: 'scope',
    fConfidence: 'confidence',
    fSourceUrl: 'source_url',
    fSourceTitle: 'source_title',
    fSourceDate: 'source_date',
    fEffectiveFrom: 'effective_from',
    fEffectiveTo: 'effective_to',
    fBody: 'Text (Markdown)',
    fSummary: 'What changed (version summary)',
    preview: 'Preview',
    check: 'Check',
    save: 'Save',
    delete: 'Delete',
    sourceView: 'Markdown that will be saved',
    history: 'Version history',
    restore: 'Restore this version',
    close: 'Close',
    newTitle: 'New document',
    version: (v) => `version ${v}`,
    unsaved: 'unsaved changes',
    checking: 'Checking…',
    saving: 'Saving…',
    checkOk: 'No problems found. Save to make it live.',
    problemsFound: (n) => (n === 1 ? '1 problem to fix:' : `${n} problems to fix:`),
    saved: (v) => `Saved. Version ${v} is live: the mentor uses it from the next question.`,
    created: (v) => `Created. Version ${v} is live: the mentor uses it from the next question.`,
    unchanged: 'Nothing changed, so no new version was made.',
    notSaved: 'Not saved, nothing was changed: fix the problems marked above.',
    idRequired: 'is required',
    idTaken: 'is already used by another document; open that one to edit it',
    confirmDiscard: 'Discard your unsaved changes?',
    confirmDelete: (id) => `Delete "${id}"? The mentor stops using it at once. It can be restored from its history.`,
    deleted: (id) => `Deleted "${id}".`,
    undo: 'Undo',
    restoredVersion: (from, to) => `Restored version ${from} (saved as version ${to}). It is live now.`,
    compare: 'Compare with current',
    isCurrent: 'current',
    deletedTag: 'deleted',
    diffTitle: (v, cur) => `Version ${v} → current (version ${cur})`,
    diffStats: (added, removed) => (added || removed ? `${removed} line(s) removed, ${added} line(s) added since this version` : 'Same text as the current version'),
    folded: (n) => `… ${n} unchanged line(s) …`,
    by: 'by',
    searchHint: 'Type a question as a citizen would: these are the passages the mentor would read first, and why they rank.',
    query: 'Question',
    queryPlaceholder: 'e.g. What is the green channel?',
    autoLang: 'Auto language',
    search: 'Search',
    searching: 'Searching…',
    noHits: 'No passage matched.',
    searchMeta: (lang, concepts, inScope) => `Language ${lang}${concepts.length ? ` · concepts: ${concepts.join(', ')}` : ''} · ${inScope ? 'the corpus covers this' : 'nothing in scope matched well (the mentor would say so)'}`,
    score: 'score',
    why: 'Why',
    matched: 'words matched',
    lexical: (r, s, c) => `keyword rank ${r} (BM25 ${s}, covers ${Math.round(c * 100)}% of the question)`,
    vector: (r, s) => `meaning rank ${r} (similarity ${s})`,
    concepts: 'glossary concepts',
    otherLanguage: 'in the other language (ranked lower)',
    openDoc: 'Open',
    refresh: 'Refresh',
    downloadCsv: 'Download CSV',
    auditItem: 'Only this item id',
    colAt: 'Time',
    colActor: 'Who',
    colAction: 'Action',
    colKind: 'Kind',
    colItem: 'Item',
    colVersion: 'Version',
    colSummary: 'Summary',
    colLang: 'Lang',
    colChannel: 'Channel',
    colQuestion: 'Question',
    colReply: 'Reply',
    colVote: 'Vote',
    unanswered: 'Unanswered',
    votes: 'Votes',
    recent: 'Recent',
    rows: (n) => `${n} row(s)`,
    nothingYet: 'Nothing yet.',
  },
  zh: {
    appTitle: '内容管理台',
    tagline: '职称小邻 · 知识库',
    signOut: '退出',
    signInTitle: '登录',
    signInHint: '请输入管理员令牌（ADMIN_TOKEN）。',
    tokenLabel: '管理员令牌',
    authorLabel: '你的名字（记录在审计日志中）',
    signIn: '登录',
    signingIn: '正在验证…',
    errEmptyToken: '请先输入令牌。',
    errWrongToken: '令牌不正确，请检查（区分大小写）后重试。',
    errOff: '本服务器未开启管理台（未设置 ADMIN_TOKEN）。',
    errTooMany: '本机登录失败次数过多，请 15 分钟后再试。',
    errStarting: '服务正在启动，请稍后再试。',
    errNetwork: '无法连接服务器，请检查网络后重试。',
    errServer: '服务器出错',
    errSession: '登录已失效，请重新登录。',
    tabDocs: '文档',
    tabSearch: '命中测试',
    tabAudit: '审计日志',
    tabQuestions: '用户问题',
    documents: '文档',
    newDoc: '新建文档',
    searchLabel: '搜索 id 或标题',
    searchPlaceholder: '搜索 id 或标题',
    lang: '语言',
    series: '系列',
    scope: '范围',
    expired: '过期',
    any: '全部',
    current: '有效',
    expiredOnly: '已过期',
    docCount: (shown, total) => (shown === total ? `共 ${total} 篇` : `${shown} / ${total} 篇`),
    editorEmpty: '请从列表中选择文档，或新建一篇。',
    backToList: '← 文档列表',
    frontMatter: '文档信息',
    helpId: '小写字母、数字和连字符，以 .zh 或 .en 结尾；首次保存后不能修改。',
    helpTranslation: '另一语言版本的文档 id。',
    helpList: '多个值用逗号分隔。',
    fTitle: '标题 title',
    fLang: '语言 lang',
    fTranslationOf: '对应译文 translation_of',
    fSeries: '系列 series',
    fTopics: '主题 topics',
    fScope: '范围 scope',
    fConfidence: '可信度 confidence',
    fSourceUrl: '来源链接 source_url',
    fSourceTitle: '来源标题 source_title',
    fSourceDate: '来源日期 source_date',
    fEffectiveFrom: '生效日期 effective_from',
    fEffectiveTo: '失效日期 effective_to',
    fBody: '正文（Markdown）',
    fSummary: '修改说明（版本摘要）',
    preview: '预览',
    check: '检查',
    save: '保存',
    delete: '删除',
    sourceView: '将要保存的 Markdown',
    history: '版本历史',
    restore: '恢复此版本',
    close: '关闭',
    newTitle: '新文档',
    version: (v) => `第 ${v} 版`,
    unsaved: '有未保存的修改',
    checking: '正在检查…',
    saving: '正在保存…',
    checkOk: '没有发现问题，保存后即生效。',
    problemsFound: (n) => `有 ${n} 个问题需要修改：`,
    saved: (v) => `已保存。第 ${v} 版已生效，下一个问题起使用。`,
    created: (v) => `已创建。第 ${v} 版已生效，下一个问题起使用。`,
    unchanged: '内容没有变化，未生成新版本。',
    notSaved: '未保存，内容没有改动：请先修改上面标出的问题。',
    idRequired: '必须填写',
    idTaken: '已被其他文档使用，请打开那篇文档进行编辑',
    confirmDiscard: '放弃未保存的修改？',
    confirmDelete: (id) => `删除“${id}”？删除后立即停止使用，可以从版本历史恢复。`,
    deleted: (id) => `已删除“${id}”。`,
    undo: '撤销',
    restoredVersion: (from, to) => `已恢复第 ${from} 版（保存为第 ${to} 版），现已生效。`,
    compare: '与当前版本比较',
    isCurrent: '当前',
    deletedTag: '已删除',
    diffTitle: (v, cur) => `第 ${v} 版 → 当前（第 ${cur} 版）`,
    diffStats: (added, removed) => (added || removed ? `自此版本以来删除 ${removed} 行，新增 ${added} 行` : '与当前版本相同'),
    folded: (n) => `… ${n} 行未变 …`,
    by: '作者',
    searchHint: '像市民一样输入问题：下面是助手会最先读到的段落，以及排名的原因。',
    query: '问题',
    queryPlaceholder: '例如：什么是绿色通道？',
    autoLang: '自动识别语言',
    search: '搜索',
    searching: '正在搜索…',
    noHits: '没有匹配的段落。',
    searchMeta: (lang, concepts, inScope) => `语言 ${lang}${concepts.length ? ` · 概念：${concepts.join('、')}` : ''} · ${inScope ? '知识库有相关内容' : '没有足够相关的内容（助手会如实说明）'}`,
    score: '得分',
    why: '原因',
    matched: '命中的词',
    lexical: (r, s, c) => `关键词排名 ${r}（BM25 ${s}，覆盖问题的 ${Math.round(c * 100)}%）`,
    vector: (r, s) => `语义排名 ${r}（相似度 ${s}）`,
    concepts: '术语概念',
    otherLanguage: '另一语言的内容（排名降低）',
    openDoc: '打开',
    refresh: '刷新',
    downloadCsv: '下载 CSV',
    auditItem: '只看此条目 id',
    colAt: '时间',
    colActor: '操作人',
    colAction: '操作',
    colKind: '类型',
    colItem: '条目',
    colVersion: '版本',
    colSummary: '说明',
    colLang: '语言',
    colChannel: '渠道',
    colQuestion: '问题',
    colReply: '回答',
    colVote: '评价',
    unanswered: '未能回答',
    votes: '用户评价',
    recent: '最近对话',
    rows: (n) => `${n} 条`,
    nothingYet: '暂无记录。',
  },
};

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const TOKEN_KEY = 'title-mentor-admin-token';
const AUTHOR_KEY = 'title-mentor-admin-author';
const LANG_KEY = 'title-mentor-lang';

const state = {
  lang: initialLang(),
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  author: sessionStorage.getItem(AUTHOR_KEY) ?? '',
  view: 'docs',
  docs: [],
  total: 0,
  knownIds: new Set(),
  series: new Set(),
  /** The open document: { id, isNew, version, content, original: { yaml, parsed }, history } */
  doc: null,
  dirty: false,
  diffVersion: null,
  questions: 'unanswered',
};

function initialLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'zh' || saved === 'en') return saved;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

const t = () => UI[state.lang];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// ---------------------------------------------------------------------------------------------
// Language

function applyLang() {
  const ui = t();
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${ui.appTitle} · Title Mentor`;
  for (const node of $$('[data-t]')) {
    const v = ui[node.dataset.t];
    if (typeof v === 'string') node.textContent = v;
  }
  for (const node of $$('[data-tp]')) {
    const v = ui[node.dataset.tp];
    if (typeof v === 'string') node.placeholder = v;
  }
  for (const b of $$('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  renderDocList();
  if (state.doc) renderEditorHead();
}

// ---------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, data) {
    super(data?.error ?? `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

/** Latin-1 only in headers: a name in Chinese goes percent-encoded (the server decodes it). */
function authorHeader(name) {
  return /^[\x20-\x7e]*$/.test(name) ? name : encodeURIComponent(name);
}

function headers(extra = {}) {
  return { authorization: `Bearer ${state.token}`, ...(state.author ? { 'x-admin-user': authorHeader(state.author) } : {}), ...extra };
}

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(`/api/admin${path}`, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: t().errNetwork });
  }
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && state.token) {
    // The token was accepted before: it changed on the server. Back to the sign-in form.
    signOut(t().errSession);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

async function download(path, filename) {
  try {
    const res = await fetch(`/api/admin${path}`, { headers: headers() });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: filename, class: 'visually-hidden' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    flash(describe(err), 'error');
  }
}

function describe(err) {
  const ui = t();
  if (!(err instanceof ApiError)) return `${ui.errServer}: ${err?.message ?? err}`;
  if (err.status === 0) return ui.errNetwork;
  if (err.status === 429) return ui.errTooMany;
  if (err.status === 503) return ui.errStarting;
  const details = Array.isArray(err.data?.details) ? ` (${err.data.details.map((d) => `${d.field}: ${d.message}`).join('; ')})` : '';
  return `${err.message}${details}`;
}

let flashTimer;
function flash(message, kind = 'info', action) {
  const box = $('#flash');
  box.replaceChildren(el('span', { text: message }), action ? el('button', { type: 'button', class: 'small', text: action.label, onclick: action.run }) : '');
  box.className = `flash ${kind}`;
  box.hidden = false;
  clearTimeout(flashTimer);
  if (!action && kind !== 'error') flashTimer = setTimeout(() => (box.hidden = true), 6000);
}

// ---------------------------------------------------------------------------------------------
// Sign-in

function showSignIn(message) {
  $('#console').hidden = true;
  $('#signout').hidden = true;
  $('#signin').hidden = false;
  const error = $('#signin-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  $('#author').value = state.author;
  document.body.dataset.signedIn = 'false';
  $('#token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const ui = t();
  const token = $('#token').value.trim();
  const error = $('#signin-error');
  if (!token) {
    error.textContent = ui.errEmptyToken;
    error.hidden = false;
    return;
  }
  const button = $('#signin-button');
  button.disabled = true;
  button.textContent = ui.signingIn;
  error.hidden = true;
  try {
    const res = await fetch('/api/admin/documents', { headers: { authorization: `Bearer ${token}` } });
    if (res.ok) {
      state.token = token;
      state.author = $('#author').value.trim();
      sessionStorage.setItem(TOKEN_KEY, token);
      sessionStorage.setItem(AUTHOR_KEY, state.author);
      $('#token').value = '';
      await enterConsole();
      return;
    }
    error.textContent = res.status === 401 ? ui.errWrongToken : res.status === 404 ? ui.errOff : res.status === 429 ? ui.errTooMany : res.status === 503 ? ui.errStarting : `${ui.errServer} (HTTP ${res.status})`;
  } catch {
    error.textContent = ui.errNetwork;
  } finally {
    button.disabled = false;
    button.textContent = t().signIn;
  }
  error.hidden = false;
  $('#token').select();
}

function signOut(message) {
  state.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  state.doc = null;
  state.dirty = false;
  showSignIn(message);
}

async function enterConsole() {
  $('#signin').hidden = true;
  $('#console').hidden = false;
  $('#signout').hidden = false;
  document.body.dataset.signedIn = 'true';
  await loadDocs();
  const wanted = decodeURIComponent((/^#doc=(.+)$/.exec(location.hash) ?? [])[1] ?? '');
  if (wanted) await openDoc(wanted);
  document.body.dataset.ready = 'true';
}

// ---------------------------------------------------------------------------------------------
// Views

function showView(view) {
  state.view = view;
  for (const tab of $$('.tabs [role="tab"]')) tab.setAttribute('aria-selected', String(tab.dataset.view === view));
  for (const section of $$('#console > .view')) section.hidden = section.dataset.view !== view;
  if (view === 'audit') void loadAudit();
  if (view === 'questions') void loadQuestions();
  if (view === 'search') $('#search-q').focus();
}

// ---------------------------------------------------------------------------------------------
// Document list

function filterParams() {
  const p = new URLSearchParams();
  for (const [key, id] of [['lang', '#filter-lang'], ['series', '#filter-series'], ['scope', '#filter-scope'], ['expired', '#filter-expired']]) {
    const v = $(id).value;
    if (v) p.set(key, v);
  }
  return p.toString();
}

async function loadDocs() {
  try {
    const params = filterParams();
    const data = await api('GET', `/documents${params ? `?${params}` : ''}`);
    state.docs = data.documents;
    if (!params) {
      state.total = data.documents.length;
      state.knownIds = new Set(data.documents.map((d) => d.id));
      const list = $('#doc-ids');
      list.replaceChildren(...data.documents.map((d) => el('option', { value: d.id })));
    }
    for (const d of data.documents) for (const s of d.series) state.series.add(s);
    const select = $('#filter-series');
    const chosen = select.value;
    const anyOption = select.options[0];
    select.replaceChildren(anyOption, ...[...state.series].sort().map((s) => el('option', { value: s, text: s })));
    select.value = chosen;
    renderDocList();
  } catch (err) {
    if (err.status !== 401) flash(describe(err), 'error');
  }
}

function renderDocList() {
  const q = $('#filter-q').value.trim().toLowerCase();
  const shown = state.docs.filter((d) => !q || d.id.toLowerCase().includes(q) || d.title.toLowerCase().includes(q));
  $('#doc-count').textContent = t().docCount(shown.length, state.total || state.docs.length);
  $('#doc-list').replaceChildren(
    ...shown.map((d) =>
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', class: 'doc-item', 'data-id': d.id, 'aria-current': state.doc?.id === d.id ? 'true' : undefined, onclick: () => void openDoc(d.id) },
          el('span', { class: 'doc-title', text: d.title }),
          el(
            'span',
            { class: 'doc-meta' },
            el('code', { text: d.id }),
            el('span', { class: 'tag', text: d.lang }),
            d.scope !== 'titles' ? el('span', { class: 'tag', text: d.scope }) : '',
            d.expired ? el('span', { class: 'tag warn', text: t().expiredOnly }) : '',
            d.version ? el('span', { class: 'tag muted', text: `v${d.version}` }) : '',
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Editor

const input = (field) => $(`#f-${field}`);

function confirmDiscard() {
  return !state.dirty || confirm(t().confirmDiscard);
}

async function openDoc(id) {
  // The open document again: just show it, or (with edits) offer to go back to what is stored.
  if (state.doc?.id === id && !state.doc.isNew && !state.dirty) {
    document.body.classList.add('doc-open');
    return;
  }
  if (!confirmDiscard()) return;
  try {
    const data = await api('GET', `/documents/${encodeURIComponent(id)}`);
    loadIntoEditor(data);
    history.replaceState(null, '', `#doc=${encodeURIComponent(id)}`);
  } catch (err) {
    if (err.status !== 401) flash(describe(err), 'error');
  }
}

function loadIntoEditor(data) {
  const { yaml, body } = splitDocument(data.content);
  state.doc = { id: data.id, isNew: false, version: data.version, content: data.content, original: { yaml, parsed: data.frontMatter ?? {} }, history: data.history };
  const fm = data.frontMatter ?? {};
  for (const field of FIELDS) {
    const v = fm[field];
    input(field).value = Array.isArray(v) ? v.join(', ') : (v ?? '');
  }
  if (!fm.scope) input('scope').value = 'titles';
  input('body').value = body;
  input('summary').value = '';
  input('id').readOnly = true;
  showEditor();
}

function newDoc() {
  if (!confirmDiscard()) return;
  state.doc = { id: '', isNew: true, version: null, content: '', original: undefined, history: [] };
  for (const field of FIELDS) input(field).value = '';
  input('lang').value = state.lang;
  input('scope').value = 'titles';
  input('body').value = '# \n\n## \n\n';
  input('summary').value = '';
  input('id').readOnly = false;
  showEditor();
  history.replaceState(null, '', '#new');
  input('id').focus();
}

function showEditor() {
  state.dirty = false;
  state.diffVersion = null;
  $('#editor-empty').hidden = true;
  $('#editor').hidden = false;
  $('#diff-box').hidden = true;
  $('#delete').hidden = state.doc.isNew;
  clearProblems();
  setStatus('');
  renderEditorHead();
  renderHistory();
  updatePreview();
  renderDocList();
  document.body.classList.add('doc-open');
  $('#editor-pane').scrollTop = 0;
  if (window.matchMedia('(max-width: 899px)').matches) $('#editor-pane').scrollIntoView({ block: 'start' });
}

function renderEditorHead() {
  const ui = t();
  const doc = state.doc;
  $('#editor-title').textContent = doc.isNew ? ui.newTitle : doc.id;
  $('#editor-version').textContent = [doc.version ? ui.version(doc.version) : '', state.dirty ? ui.unsaved : ''].filter(Boolean).join(' · ');
  $('#editor-version').classList.toggle('dirty', state.dirty);
}

function formValues() {
  const values = {};
  for (const field of FIELDS) {
    const raw = input(field).value;
    values[field] = LIST_FIELDS.has(field) ? parseList(raw) : raw.trim();
  }
  return values;
}

function currentMarkdown() {
  return buildDocument(formValues(), input('body').value, state.doc?.original);
}

let previewFrame = 0;
function updatePreview() {
  cancelAnimationFrame(previewFrame);
  previewFrame = requestAnimationFrame(() => {
    $('#preview').innerHTML = renderPreview(input('body').value);
    $('#source-preview').textContent = currentMarkdown();
  });
}

function onEdit(event) {
  if (!state.doc) return;
  if (event.target.id !== 'f-summary') state.dirty = true;
  renderEditorHead();
  updatePreview();
}

function setStatus(message, kind = 'ok', scroll = true) {
  const box = $('#editor-status');
  box.textContent = message;
  box.className = `status ${kind}`;
  box.hidden = !message;
  if (message && scroll && kind !== 'busy') box.scrollIntoView({ block: 'nearest' });
}

function clearProblems() {
  $('#form-problems').hidden = true;
  $('#form-problems').replaceChildren();
  for (const field of $$('#doc-form .field')) {
    field.classList.remove('has-problem');
    field.querySelector('.problem')?.remove();
    field.querySelector('input, select, textarea')?.removeAttribute('aria-invalid');
  }
}

/** Problems beside the fields they concern; the rest (unknown fields, other files) above the form. */
function showProblems(problems) {
  clearProblems();
  const doc = state.doc;
  const ownFiles = new Set([`docs/${doc.id || input('id').value.trim()}.md`, 'docs/(draft).md', 'docs/(new)', `docs/${input('id').value.trim()}.md`]);
  const general = [];
  let first = null;
  for (const p of problems) {
    const key = String(p.field ?? '').split('.')[0];
    const field = ownFiles.has(p.file) || !p.file ? $(`#doc-form .field[data-field="${CSS.escape(key)}"]`) : null;
    if (!field) {
      general.push(p);
      continue;
    }
    field.classList.add('has-problem');
    const control = field.querySelector('input, select, textarea');
    control.setAttribute('aria-invalid', 'true');
    const message = el('p', { class: 'problem', id: `problem-${key}`, text: p.message });
    const existing = field.querySelector('.problem');
    if (existing) existing.textContent += ` · ${p.message}`;
    else field.querySelector('label').after(message);
    control.setAttribute('aria-describedby', `problem-${key}`);
    first ??= control;
  }
  const box = $('#form-problems');
  if (problems.length) {
    box.append(el('p', { class: 'lead', text: t().problemsFound(problems.length) }));
    if (general.length) {
      box.append(el('ul', {}, ...general.map((p) => el('li', {}, el('code', { text: ownFiles.has(p.file) ? p.field : `${p.file} · ${p.field}` }), ` ${p.message}`))));
    }
    box.hidden = false;
  }
  (first ?? box).scrollIntoView?.({ block: 'center' });
  first?.focus({ preventScroll: true });
}

/** Checks the server would make too, done here so they show before the request. */
function localProblems() {
  const ui = t();
  const id = input('id').value.trim();
  if (!id) return [{ file: '', field: 'id', message: ui.idRequired }];
  if (state.doc.isNew && state.knownIds.has(id)) return [{ file: '', field: 'id', message: ui.idTaken }];
  return [];
}

async function check() {
  const ui = t();
  const local = localProblems();
  if (local.length) return showProblems(local);
  setStatus(ui.checking, 'busy');
  try {
    const result = await api('POST', '/validate', { markdown: currentMarkdown() });
    setStatus(result.valid ? ui.checkOk : '', 'ok');
    if (!result.valid) showProblems(result.problems);
    else clearProblems();
  } catch (err) {
    setStatus(describe(err), 'error');
  }
}

async function save(event) {
  event?.preventDefault();
  const ui = t();
  const local = localProblems();
  if (local.length) return showProblems(local);
  const id = state.doc.isNew ? input('id').value.trim() : state.doc.id;
  const summary = input('summary').value.trim();
  setStatus(ui.saving, 'busy');
  $('#save').disabled = true;
  try {
    const result = await api('PUT', `/documents/${encodeURIComponent(id)}`, { markdown: currentMarkdown(), ...(summary ? { summary } : {}) });
    clearProblems();
    state.dirty = false;
    const data = await api('GET', `/documents/${encodeURIComponent(id)}`);
    loadIntoEditor(data);
    history.replaceState(null, '', `#doc=${encodeURIComponent(id)}`);
    setStatus(!result.changed ? ui.unchanged : result.version === 1 ? ui.created(result.version) : ui.saved(result.version), 'ok');
    await loadDocs();
  } catch (err) {
    if (err.status === 422 && Array.isArray(err.data?.problems)) {
      setStatus(ui.notSaved, 'error', false);
      showProblems(err.data.problems);
    } else if (err.status === 400 && Array.isArray(err.data?.details)) {
      setStatus(ui.notSaved, 'error', false);
      showProblems(err.data.details.map((d) => ({ file: '', field: d.field === 'markdown' ? 'body' : d.field, message: d.message })));
    } else setStatus(describe(err), 'error');
  } finally {
    $('#save').disabled = false;
  }
}

async function remove() {
  const doc = state.doc;
  if (!doc || doc.isNew || !confirm(t().confirmDelete(doc.id))) return;
  try {
    await api('DELETE', `/documents/${encodeURIComponent(doc.id)}`);
    const restoreTo = doc.version;
    state.doc = null;
    state.dirty = false;
    $('#editor').hidden = true;
    $('#editor-empty').hidden = false;
    document.body.classList.remove('doc-open');
    history.replaceState(null, '', '#');
    flash(t().deleted(doc.id), 'info', {
      label: t().undo,
      run: async () => {
        $('#flash').hidden = true;
        await api('POST', `/documents/${encodeURIComponent(doc.id)}/rollback`, { version: restoreTo }).catch((err) => flash(describe(err), 'error'));
        await loadDocs();
        await openDoc(doc.id);
      },
    });
    await loadDocs();
  } catch (err) {
    setStatus(describe(err), 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// Versions: history, diff against the current version, restore

function renderHistory() {
  const ui = t();
  const doc = state.doc;
  const list = $('#history');
  list.replaceChildren(
    ...[...(doc.history ?? [])].reverse().map((v) =>
      el(
        'li',
        { 'data-version': v.version, class: v.version === doc.version ? 'is-current' : '' },
        el(
          'div',
          { class: 'version-line' },
          el('strong', { text: `v${v.version}` }),
          el('time', { datetime: v.at, text: formatTime(v.at) }),
          el('span', { class: 'who', text: `${ui.by} ${v.author}` }),
          v.version === doc.version ? el('span', { class: 'tag', text: ui.isCurrent }) : '',
          v.deleted ? el('span', { class: 'tag warn', text: ui.deletedTag }) : '',
        ),
        v.summary ? el('p', { class: 'summary', text: v.summary }) : '',
        v.version !== doc.version ? el('button', { type: 'button', class: 'small compare', onclick: () => void showDiff(v.version) }, ui.compare) : '',
      ),
    ),
  );
}

async function showDiff(version) {
  const ui = t();
  const doc = state.doc;
  try {
    const old = await api('GET', `/documents/${encodeURIComponent(doc.id)}/versions/${version}`);
    state.diffVersion = version;
    const ops = diffLines(old.content ?? '', doc.content);
    const { added, removed } = diffStats(ops);
    $('#diff-title').textContent = ui.diffTitle(version, doc.version);
    $('#diff-stats').textContent = ui.diffStats(added, removed);
    $('#restore').disabled = old.content === null;
    $('#restore').dataset.version = String(version);
    $('#diff').replaceChildren(
      ...foldContext(ops, 3).map((o) =>
        o.op === '…'
          ? el('div', { class: 'dl fold', role: 'row' }, el('span', { class: 'fold-text', text: ui.folded(o.count) }))
          : el(
              'div',
              { class: `dl ${o.op === '+' ? 'add' : o.op === '-' ? 'del' : 'same'}`, role: 'row' },
              el('span', { class: 'ln', text: o.a ?? '' }),
              el('span', { class: 'ln', text: o.b ?? '' }),
              el('span', { class: 'sign', text: o.op === ' ' ? '' : o.op === '-' ? '−' : '+' }),
              el('span', { class: 'text', text: o.text }),
            ),
      ),
    );
    for (const li of $$('#history li')) li.classList.toggle('selected', Number(li.dataset.version) === version);
    $('#diff-box').hidden = false;
    $('#diff-box').scrollIntoView({ block: 'nearest' });
  } catch (err) {
    flash(describe(err), 'error');
  }
}

async function restore() {
  const doc = state.doc;
  const version = Number($('#restore').dataset.version);
  if (!doc || !version || !confirmDiscard()) return;
  try {
    const result = await api('POST', `/documents/${encodeURIComponent(doc.id)}/rollback`, { version });
    const data = await api('GET', `/documents/${encodeURIComponent(doc.id)}`);
    loadIntoEditor(data);
    setStatus(t().restoredVersion(version, result.version), 'ok');
    await loadDocs();
  } catch (err) {
    setStatus(describe(err), 'error');
  }
}

function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso ?? '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// ---------------------------------------------------------------------------------------------
// Hit testing

async function search(event) {
  event.preventDefault();
  const ui = t();
  const q = $('#search-q').value.trim();
  if (!q) return;
  const params = new URLSearchParams({ q, k: $('#search-k').value });
  if ($('#search-lang').value) params.set('lang', $('#search-lang').value);
  $('#search-meta').textContent = ui.searching;
  const results = $('#search-results');
  results.setAttribute('aria-busy', 'true');
  try {
    const data = await api('GET', `/search?${params}`);
    $('#search-meta').textContent = ui.searchMeta(data.lang, data.concepts ?? [], data.inScopeMatch);
    results.replaceChildren(...data.chunks.map((c, i) => hitItem(c, i + 1)));
    if (!data.chunks.length) results.replaceChildren(el('li', { class: 'empty', text: ui.noHits }));
  } catch (err) {
    $('#search-meta').textContent = describe(err);
    results.replaceChildren();
  } finally {
    results.removeAttribute('aria-busy');
  }
}

function hitItem(c, rank) {
  const ui = t();
  const why = [];
  if (c.why?.lexical) why.push(el('li', {}, ui.lexical(c.why.lexical.rank, c.why.lexical.score, c.why.lexical.coverage)));
  if (c.why?.lexical?.matched?.length) why.push(el('li', {}, `${ui.matched}: `, ...c.why.lexical.matched.map((m) => el('code', { class: 'term', text: m }))));
  if (c.why?.vector) why.push(el('li', {}, ui.vector(c.why.vector.rank, c.why.vector.similarity)));
  if (c.why?.concepts?.length) why.push(el('li', {}, `${ui.concepts}: ${c.why.concepts.join(', ')}`));
  if (c.why?.otherLanguage) why.push(el('li', { class: 'warn' }, ui.otherLanguage));
  return el(
    'li',
    { class: 'hit', 'data-doc-id': c.docId, 'data-chunk-id': c.chunkId },
    el(
      'div',
      { class: 'hit-head' },
      el('span', { class: 'rank', text: `#${rank}` }),
      el('span', { class: 'score', title: ui.score, text: `${ui.score} ${Number(c.score).toFixed(4)}` }),
      el('span', { class: 'tag', text: c.lang }),
      el('button', { type: 'button', class: 'link', onclick: () => void openFromSearch(c.docId) }, el('code', { text: c.chunkId })),
    ),
    el('p', { class: 'hit-title' }, el('strong', { text: c.title }), c.heading ? ` · ${c.heading}` : ''),
    el('p', { class: 'hit-text', text: c.text }),
    why.length ? el('details', { class: 'why' }, el('summary', { text: ui.why }), el('ul', {}, ...why)) : '',
  );
}

async function openFromSearch(id) {
  showView('docs');
  await openDoc(id);
}

// ---------------------------------------------------------------------------------------------
// Audit log and questions

async function loadAudit() {
  const item = $('#audit-item').value.trim();
  try {
    const data = await api('GET', `/audit?limit=500${item ? `&item=${encodeURIComponent(item)}` : ''}`);
    const body = $('#audit-table tbody');
    body.replaceChildren(
      ...data.entries.map((e) =>
        el(
          'tr',
          { class: `action-${e.action}` },
          el('td', {}, el('time', { datetime: e.at, text: formatTime(e.at) })),
          el('td', { text: e.actor }),
          el('td', { text: e.action }),
          el('td', { text: e.kind }),
          el('td', {}, e.kind === 'doc' ? el('button', { type: 'button', class: 'link', onclick: () => void openFromSearch(e.itemId) }, el('code', { text: e.itemId })) : el('code', { text: e.itemId })),
          el('td', { text: e.version ?? '' }),
          el('td', { text: e.summary }),
        ),
      ),
    );
    if (!data.entries.length) body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'empty', text: t().nothingYet })));
  } catch (err) {
    flash(describe(err), 'error');
  }
}

async function loadQuestions() {
  const ui = t();
  for (const b of $$('.segmented button')) b.setAttribute('aria-pressed', String(b.dataset.list === state.questions));
  try {
    const data = await api('GET', `/${state.questions}?limit=500`);
    $('#questions-count').textContent = ui.rows(data.turns.length);
    const body = $('#questions-table tbody');
    body.replaceChildren(
      ...data.turns.map((r) =>
        el(
          'tr',
          { class: r.vote ? `vote-${r.vote}` : '' },
          el('td', {}, el('time', { datetime: r.at, text: formatTime(r.at) })),
          el('td', { text: r.lang }),
          el('td', { text: r.channel }),
          el('td', { class: 'question', text: r.question }),
          el('td', { class: 'reply' }, el('span', { class: 'clip', text: r.reply })),
          el('td', { text: r.vote === 'up' ? '👍' : r.vote === 'down' ? '👎' : '' }),
        ),
      ),
    );
    if (!data.turns.length) body.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'empty', text: ui.nothingYet })));
  } catch (err) {
    flash(describe(err), 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function init() {
  for (const b of $$('.lang button')) {
    b.addEventListener('click', () => {
      state.lang = b.dataset.lang;
      localStorage.setItem(LANG_KEY, state.lang);
      applyLang();
    });
  }
  $('#signin-form').addEventListener('submit', signIn);
  $('#signout').addEventListener('click', () => {
    if (confirmDiscard()) signOut();
  });
  for (const tab of $$('.tabs [role="tab"]')) tab.addEventListener('click', () => showView(tab.dataset.view));

  $('#filters').addEventListener('submit', (e) => e.preventDefault());
  $('#filter-q').addEventListener('input', renderDocList);
  for (const id of ['#filter-lang', '#filter-series', '#filter-scope', '#filter-expired']) $(id).addEventListener('change', () => void loadDocs());
  $('#new-doc').addEventListener('click', newDoc);
  $('#back-to-list').addEventListener('click', () => document.body.classList.remove('doc-open'));

  const form = $('#doc-form');
  form.addEventListener('input', onEdit);
  form.addEventListener('submit', save);
  $('#check').addEventListener('click', () => void check());
  $('#delete').addEventListener('click', () => void remove());
  $('#restore').addEventListener('click', () => void restore());
  $('#diff-close').addEventListener('click', () => {
    $('#diff-box').hidden = true;
    for (const li of $$('#history li')) li.classList.remove('selected');
  });
  // Ctrl/Cmd+S saves.
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 's' && state.doc && !$('#editor').hidden) {
      e.preventDefault();
      void save();
    }
  });
  window.addEventListener('beforeunload', (e) => {
    if (state.dirty) e.preventDefault();
  });

  $('#search-form').addEventListener('submit', search);
  $('#audit-refresh').addEventListener('click', () => void loadAudit());
  $('#audit-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    void loadAudit();
  });
  $('#audit-csv').addEventListener('click', () => {
    const item = $('#audit-item').value.trim();
    void download(`/audit?format=csv&limit=10000${item ? `&item=${encodeURIComponent(item)}` : ''}`, 'audit.csv');
  });
  for (const b of $$('.segmented button')) {
    b.addEventListener('click', () => {
      state.questions = b.dataset.list;
      void loadQuestions();
    });
  }
  $('#questions-csv').addEventListener('click', () => void download(`/${state.questions}?format=csv&limit=5000`, `${state.questions}.csv`));

  applyLang();
  if (state.token) void enterConsole();
  else showSignIn();
}

init();
