import { describeGate } from './baseline.js';
import { maskReport } from './redact.js';
import type { Report } from './report.js';
import { METRICS, fallbackSummary, formatMetric, type MetricKey, type MetricTable } from './results.js';
import type { RunResult } from './runner.js';

/** Metrics drawn in the by-kind and by-language charts (all on a 0..1 scale). */
const CHART_METRICS: MetricKey[] = ['answer.coverage', 'answer.fully_correct', 'citations.validity', 'grounding.numeric', 'intent.accuracy', 'retrieval.hit@5', 'retrieval.ndcg@10'];
const COLORS = ['#2f6fb3', '#e07b39', '#3a9e5c', '#b8463f', '#7d5ba6', '#8c6d31', '#2aa0a4', '#d45d9c'];

/**
 * The report as one self-contained HTML page (inline CSS, SVG charts and script, the data embedded):
 * it opens from the file system with no network.
 */
export function renderHtmlReport(unmasked: Report): string {
  const report = maskReport(unmasked);
  const title = `Evaluation ${report.id}`;
  const data = JSON.stringify({
    runs: report.runs.map((r) => ({ label: r.label, cases: r.cases })),
    metrics: Object.fromEntries(Object.entries(METRICS).map(([k, v]) => [k, v.label])),
    diff: report.baseline ? { run: report.baseline.comparedRun, ...report.baseline.diff } : null,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">dataset <code>${esc(report.dataset)}</code>${esc(filterText(report))} · as of ${esc(report.asOf)} · created ${esc(report.createdAt)}</p>
${report.runs.map((r) => `<p class="meta"><b>${esc(r.label)}</b>: ${r.cases.length} cases in ${(r.durationMs / 1000).toFixed(1)} s · ${esc(r.judge.note)}${fallbackSummary(r.cases) ? ` · ${esc(fallbackSummary(r.cases)!)}` : ''}</p>${r.warnings.map((w) => `<p class="warn">warning: ${esc(w)}</p>`).join('')}`).join('\n')}
${report.baseline ? `<p class="gate ${report.baseline.gate.passed ? 'pass' : 'fail'}">${esc(describeGate(report.baseline.gate)).replace(/\n/g, '<br>')}</p>` : '<p class="meta">no baseline to compare with</p>'}
</header>
<nav><a href="#metrics">metrics</a> · <a href="#charts">charts</a> · ${report.baseline ? '<a href="#baseline">since the baseline</a> · ' : ''}<a href="#cases">cases</a> · <a href="#reading">how to read this</a></nav>

<section id="metrics">
<h2>Metrics</h2>
${metricsTable(report)}
</section>

<section id="charts">
<h2>Charts</h2>
${report.runs.map((r) => runCharts(r, report.runs.length > 1)).join('\n')}
</section>

${report.baseline ? baselineSection(report) : ''}

<section id="cases">
<h2>Cases</h2>
<div class="filters">
${report.runs.length > 1 ? `<label>run <select id="f-run">${report.runs.map((r, i) => `<option value="${i}">${esc(r.label)}</option>`).join('')}</select></label>` : ''}
<label>show <select id="f-status">
<option value="all">all cases</option>
<option value="failing" selected>failing anything</option>
<option value="passing">passing</option>
${report.baseline ? '<option value="newly-failing">newly failing (vs baseline)</option><option value="newly-passing">newly passing (vs baseline)</option>' : ''}
<optgroup label="failing metric">${failingOptions(report)}</optgroup>
</select></label>
<label>kind <select id="f-kind"><option value="">any</option>${unique(report.runs[0]?.cases.map((c) => c.kind) ?? []).map((k) => `<option>${esc(k)}</option>`).join('')}</select></label>
<label>lang <select id="f-lang"><option value="">any</option><option>zh</option><option>en</option></select></label>
<label>search <input id="f-text" type="search" placeholder="id, question or reply"></label>
<span id="f-count"></span>
</div>
<table class="cases"><thead><tr><th>case</th><th>kind</th><th>lang</th><th>question</th><th>intent</th><th>failing</th></tr></thead><tbody id="case-rows"></tbody></table>
</section>

<section id="reading">
<h2>How to read this report</h2>
${READING}
</section>

<script type="application/json" id="report-data">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function metricsTable(report: Report): string {
  const b = report.baseline;
  const head = `<tr><th>metric</th>${report.runs.map((r) => `<th>${esc(r.label)}</th>`).join('')}${b ? '<th>baseline</th><th>Δ</th><th>tolerance</th><th>gate</th>' : ''}<th>what it measures</th></tr>`;
  const rows = (Object.keys(METRICS) as MetricKey[])
    .filter((key) => report.runs.some((r) => r.metrics.overall[key]) || b?.metrics[key])
    .map((key) => {
      const cmp = b?.gate.comparisons.find((c) => c.key === key);
      const cells = report.runs.map((r) => {
        const v = r.metrics.overall[key];
        return `<td class="num">${v ? `${esc(formatMetric(key, v.value))} <small>n=${v.n}</small>` : '–'}</td>`;
      });
      const gateCells = b
        ? `<td class="num">${cmp ? esc(formatMetric(key, cmp.baseline)) : '–'}</td><td class="num ${cmp?.delta !== undefined ? deltaClass(key, cmp.delta) : ''}">${cmp?.delta !== undefined ? esc(signed(key, cmp.delta)) : '–'}</td><td class="num">${cmp ? cmp.tolerance : '–'}</td><td>${cmp ? (cmp.failed ? '<b class="bad">FAIL</b>' : 'ok') : '–'}</td>`
        : '';
      return `<tr><td>${esc(METRICS[key].label)}</td>${cells.join('')}${gateCells}<td class="about">${esc(METRICS[key].about)}${METRICS[key].better === 'lower' ? ' (lower is better)' : ''}</td></tr>`;
    });
  return `<table class="metrics">${head}${rows.join('')}</table>`;
}

function runCharts(run: RunResult, labelled: boolean): string {
  const latencies = run.cases.flatMap((c) => (c.turns ?? []).map((t) => t.latencyMs));
  return `<div class="run-charts">${labelled ? `<h3>${esc(run.label)}</h3>` : ''}
<figure><figcaption>Metrics by kind</figcaption>${groupedBars(run.metrics.byKind)}</figure>
<figure><figcaption>Metrics by language</figcaption>${groupedBars(run.metrics.byLang)}</figure>
<figure><figcaption>Turn latency (${latencies.length} turns; p50 ${formatMetric('latency.p50_ms', run.metrics.overall['latency.p50_ms']?.value)}, p95 ${formatMetric('latency.p95_ms', run.metrics.overall['latency.p95_ms']?.value)})</figcaption>${histogram(latencies)}</figure>
</div>`;
}

/** Grouped vertical bars: one group per category, one bar per metric (0..1). */
export function groupedBars(groups: Record<string, MetricTable>): string {
  const categories = Object.keys(groups);
  const series = CHART_METRICS.filter((k) => categories.some((c) => groups[c][k]));
  if (categories.length === 0 || series.length === 0) return '<p class="meta">nothing to chart</p>';
  const W = 760;
  const H = 230;
  const left = 36;
  const top = 10;
  const plotH = 160;
  const groupW = (W - left - 10) / categories.length;
  const barW = Math.max(4, Math.min(18, (groupW - 12) / series.length));
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + plotH * (1 - t);
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${y}" y2="${y}" class="grid"/><text x="${left - 4}" y="${y + 4}" class="tick" text-anchor="end">${t}</text>`);
  }
  categories.forEach((cat, ci) => {
    const x0 = left + ci * groupW + (groupW - barW * series.length) / 2;
    series.forEach((key, si) => {
      const v = groups[cat][key];
      if (!v) return;
      const h = plotH * Math.max(0, Math.min(1, v.value));
      parts.push(`<rect x="${(x0 + si * barW).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${cat} · ${METRICS[key].label}: ${v.value.toFixed(3)} (n=${v.n})`)}</title></rect>`);
    });
    parts.push(`<text x="${(left + ci * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 16}" class="cat" text-anchor="middle">${esc(cat)}</text>`);
  });
  // The legend wraps onto as many rows as it needs.
  let lx = left;
  let ly = top + plotH + 38;
  series.forEach((key, si) => {
    const w = 24 + METRICS[key].label.length * 6.4;
    if (lx + w > W - 10) {
      lx = left;
      ly += 16;
    }
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/><text x="${lx + 14}" y="${ly}" class="legend">${esc(METRICS[key].label)}</text>`);
    lx += w;
  });
  const height = Math.max(H, ly + 10);
  return `<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" class="chart">${parts.join('')}</svg>`;
}

/** A latency histogram: equal bins up to the 99th percentile; the last bin also holds the slower tail. */
export function histogram(values: number[], bins = 12): string {
  if (values.length === 0) return '<p class="meta">no turns</p>';
  const W = 760;
  const H = 200;
  const left = 40;
  const top = 10;
  const plotH = 150;
  const sorted = [...values].sort((a, b) => a - b);
  const max = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
  const width = max > 0 ? max / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / width))] += 1;
  const peak = Math.max(...counts);
  const barW = (W - left - 10) / bins;
  const parts: string[] = [`<line x1="${left}" x2="${W - 10}" y1="${top + plotH}" y2="${top + plotH}" class="grid"/>`, `<text x="${left - 4}" y="${top + 8}" class="tick" text-anchor="end">${peak}</text>`];
  counts.forEach((n, i) => {
    const h = peak ? (plotH * n) / peak : 0;
    const from = i * width;
    const range = i === bins - 1 ? `≥ ${from.toFixed(1)} ms` : `${from.toFixed(1)}–${(from + width).toFixed(1)} ms`;
    parts.push(`<rect x="${(left + i * barW + 1).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#2f6fb3"><title>${range}: ${n} turns</title></rect>`);
    if (i % 2 === 0) parts.push(`<text x="${(left + i * barW).toFixed(1)}" y="${top + plotH + 16}" class="tick">${from < 10 ? from.toFixed(1) : Math.round(from)}</text>`);
  });
  parts.push(`<text x="${W - 10}" y="${top + plotH + 34}" class="tick" text-anchor="end">ms per turn (the last bin includes the slowest 1%)</text>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" class="chart">${parts.join('')}</svg>`;
}

function baselineSection(report: Report): string {
  const b = report.baseline!;
  const list = (items: string[]) => (items.length ? `<ul>${items.join('')}</ul>` : '<p class="meta">none</p>');
  return `<section id="baseline">
<h2>Since the baseline</h2>
<p class="meta">baseline <code>${esc(b.file)}</code> accepted ${esc(b.acceptedAt)} (run ${esc(b.run)}, ${esc(b.mode)}); compared with the ${esc(b.comparedRun)} run</p>
<h3>Newly failing (${b.diff.newlyFailing.length})</h3>
${list(b.diff.newlyFailing.map((d) => `<li><a href="#case-${esc(d.id)}" data-case="${esc(d.id)}">${esc(d.id)}</a>: ${esc(d.failing.join(', '))}</li>`))}
<h3>Newly passing (${b.diff.newlyPassing.length})</h3>
${list(b.diff.newlyPassing.map((d) => `<li><a href="#case-${esc(d.id)}" data-case="${esc(d.id)}">${esc(d.id)}</a> (failed ${esc(d.failedBefore.join(', '))})</li>`))}
${b.diff.changed.length ? `<h3>Failing differently (${b.diff.changed.length})</h3>${list(b.diff.changed.map((d) => `<li><a href="#case-${esc(d.id)}" data-case="${esc(d.id)}">${esc(d.id)}</a>: ${esc(d.before.join(', '))} → ${esc(d.now.join(', '))}</li>`))}` : ''}
${b.diff.added.length ? `<p class="meta">not in the baseline: ${esc(b.diff.added.join(', '))}</p>` : ''}
${b.diff.removed.length ? `<p class="meta">in the baseline, not in this run: ${esc(b.diff.removed.join(', '))}</p>` : ''}
</section>`;
}

function failingOptions(report: Report): string {
  const keys: string[] = unique(report.runs.flatMap((r) => r.cases.flatMap((c) => c.failing)));
  return (Object.keys(METRICS) as MetricKey[])
    .filter((k) => keys.includes(k))
    .map((k) => `<option value="metric:${k}">${esc(METRICS[k].label)}</option>`)
    .join('');
}

function filterText(report: Report): string {
  const f = report.filter;
  const parts = [f.kind && `kind ${f.kind}`, f.lang && `lang ${f.lang}`, f.limit && `first ${f.limit}`].filter(Boolean);
  return parts.length ? ` (filtered: ${parts.join(', ')})` : '';
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function signed(key: MetricKey, d: number): string {
  const s = METRICS[key].unit === 'ms' ? `${d.toFixed(1)} ms` : d.toFixed(3);
  return d >= 0 ? `+${s}` : s;
}

function deltaClass(key: MetricKey, d: number): string {
  if (Math.abs(d) < 1e-9) return '';
  return (METRICS[key].better === 'higher') === d > 0 ? 'good' : 'bad';
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const READING = `<ul>
<li><b>Metrics</b> are means over the cases a metric applies to (<i>n</i>); a case without, say, <code>must_mention</code> does not count towards coverage. Latency is per turn, a conversation's turns included.</li>
<li><b>Retrieval</b> (hit@k, MRR, nDCG@10) ranks distinct documents returned by <code>retrieve()</code>; a document and its translation count as one. It is measured on retrieval lines and on single-question cases that list <code>relevant</code> ids.</li>
<li><b>Key-fact coverage</b>: the share of <code>must_mention</code> entries found in the reply (an entry <code>a|b</code> is found when either appears, case-insensitive). <b>Fully correct</b>: every expectation of the case met: all facts, no <code>must_not</code>, and the expected intent, eligibility verdict and ask-back.</li>
<li><b>Citation validity</b>: every <code>[n]</code> in the reply has a citation and every quote is verbatim in its chunk. <b>Numeric groundedness</b>: every number in the reply appears, as a whole number, in a cited chunk or in the eligibility result; template numbers are not exempt.</li>
<li><b>Refusal accuracy</b>: of the cases that should be refused (expected intent unsafe or out_of_scope, or kind out_of_scope), the share refused. <b>False-refusal rate</b>: of the cases that should be answered, the share refused (lower is better).</li>
<li><b>Faithfulness</b> and <b>answer relevancy</b> follow RAGAS and appear only when a model is configured: faithfulness is the share of the reply's statements the contexts (cited and retrieved chunks, eligibility result) support; relevancy is the mean cosine similarity of questions generated from the reply to the question asked (0 for a noncommittal reply).</li>
<li><b>Cases</b>: pick a failing metric to see only the cases that fail it; click a row for the conversation, the missed facts, the citations with their quotes, the ungrounded numbers and the chunks retrieval returned (✓ marks a relevant one).</li>
<li><b>Since the baseline</b>: newly failing cases passed in the accepted run and fail now; newly passing the reverse. The gate fails when a metric fell by more than its tolerance.</li>
</ul>`;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:1180px;padding:16px 20px;color:#1d2430}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid #dde3ea;padding-bottom:4px}h3{font-size:15px;margin:14px 0 6px}
.meta{color:#5b6675;margin:2px 0}.warn{color:#9a5b00;margin:2px 0}nav{margin:10px 0;color:#5b6675}
code{background:#f2f4f7;padding:0 3px;border-radius:3px}
.gate{padding:8px 10px;border-radius:6px;font-family:ui-monospace,monospace;font-size:13px}.gate.pass{background:#e6f4ea}.gate.fail{background:#fde8e6}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e6e9ee;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;white-space:nowrap}td.about{color:#5b6675;font-size:12px}.good{color:#1e7b3a}.bad{color:#b3261e}small{color:#7a8594}
figure{margin:10px 0}figcaption{font-weight:600;margin-bottom:4px}.chart{max-width:100%;height:auto}
.chart .grid{stroke:#e3e7ec}.chart .tick{font-size:10px;fill:#5b6675}.chart .cat{font-size:12px;fill:#1d2430}.chart .legend{font-size:11px;fill:#1d2430}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0}.filters select,.filters input{font:inherit;padding:2px 4px}
table.cases tr.case{cursor:pointer}table.cases tr.case:hover{background:#f6f9fc}
.badge{display:inline-block;background:#fde8e6;color:#8a1c14;border-radius:3px;padding:0 4px;margin:1px 2px 1px 0;font-size:12px}.badge.new{background:#b3261e;color:#fff}.badge.fixed{background:#1e7b3a;color:#fff}.badge.ok{background:#e6f4ea;color:#1e5a2e}
tr.details>td{background:#fbfcfd;padding:8px 12px}.detail h4{margin:8px 0 4px;font-size:13px}.reply{white-space:pre-wrap;background:#fff;border:1px solid #e3e7ec;border-radius:6px;padding:8px}
.turn{margin:4px 0 10px}.turn .user{color:#2f6fb3;font-weight:600}.chunk{border-left:3px solid #d5dbe3;padding:2px 8px;margin:4px 0;white-space:pre-wrap;font-size:12px}.chunk.rel{border-left-color:#3a9e5c}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
`;

// The page's script: filters the case table and renders a case's details when its row is clicked.
const SCRIPT = `
(function(){
var data=JSON.parse(document.getElementById('report-data').textContent);
var $=function(id){return document.getElementById(id)};
var diff=data.diff;
var newly={};
if(diff){diff.newlyFailing.forEach(function(d){newly[d.id]='new'});diff.newlyPassing.forEach(function(d){newly[d.id]='fixed'})}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined&&text!==null)e.textContent=String(text);return e}
function runIndex(){var s=$('f-run');return s?Number(s.value):0}
function matches(c){
  var st=$('f-status').value,k=$('f-kind').value,l=$('f-lang').value,q=$('f-text').value.trim().toLowerCase();
  if(k&&c.kind!==k)return false;if(l&&c.lang!==l)return false;
  if(st==='failing'&&!c.failing.length)return false;
  if(st==='passing'&&c.failing.length)return false;
  if(st==='newly-failing'&&newly[c.id]!=='new')return false;
  if(st==='newly-passing'&&newly[c.id]!=='fixed')return false;
  if(st.indexOf('metric:')===0&&c.failing.indexOf(st.slice(7))<0)return false;
  if(q){var hay=(c.id+' '+c.messages.join(' ')+' '+(c.reply||'')).toLowerCase();if(hay.indexOf(q)<0)return false}
  return true}
function render(){
  var run=data.runs[runIndex()],body=$('case-rows');body.textContent='';var shown=0;
  run.cases.forEach(function(c){
    if(!matches(c))return;shown++;
    var tr=el('tr','case');tr.id='case-'+c.id;
    tr.appendChild(el('td',null,c.id));tr.appendChild(el('td',null,c.kind));tr.appendChild(el('td',null,c.lang));
    var q=c.messages[c.messages.length-1];tr.appendChild(el('td',null,(c.messages.length>1?'('+c.messages.length+' turns) ':'')+(q.length>70?q.slice(0,69)+'…':q)));
    tr.appendChild(el('td',null,c.intent||''));
    var f=el('td');
    if(newly[c.id]==='new'&&diff.run===run.label)f.appendChild(el('span','badge new','newly failing'));
    if(newly[c.id]==='fixed'&&diff.run===run.label)f.appendChild(el('span','badge fixed','newly passing'));
    if(!c.failing.length)f.appendChild(el('span','badge ok','pass'));
    c.failing.forEach(function(m){f.appendChild(el('span','badge',data.metrics[m]||m))});
    tr.appendChild(f);
    tr.addEventListener('click',function(){toggle(tr,c.id)});
    body.appendChild(tr)});
  $('f-count').textContent=shown+' of '+run.cases.length+' cases'}
function toggle(tr,id){
  var next=tr.nextSibling;if(next&&next.className==='details'){next.remove();return}
  var row=el('tr','details'),td=el('td');td.colSpan=6;var cols=el('div','cols');
  data.runs.forEach(function(run){var c=run.cases.find(function(x){return x.id===id});if(c)cols.appendChild(details(c,data.runs.length>1?run.label:null))});
  td.appendChild(cols);row.appendChild(td);tr.parentNode.insertBefore(row,tr.nextSibling)}
function section(parent,title){parent.appendChild(el('h4',null,title))}
function list(parent,items){var ul=el('ul');items.forEach(function(i){ul.appendChild(el('li',null,i))});parent.appendChild(ul)}
function details(c,label){
  var d=el('div','detail');if(label)d.appendChild(el('h3',null,label));
  d.appendChild(el('p','meta',c.file+':'+c.line+(c.note?' · '+c.note:'')));
  if(c.error)d.appendChild(el('p','bad','error: '+c.error));
  if(c.turns){section(d,'Conversation');c.turns.forEach(function(t){var w=el('div','turn');w.appendChild(el('div','user','› '+t.message));w.appendChild(el('div','reply',t.reply));w.appendChild(el('div','meta','intent '+t.intent+(t.eligibility?' · eligibility '+t.eligibility:'')+(t.fallback?' · fell back to the offline composer ('+t.fallback+')':'')+' · '+t.latencyMs+' ms'));d.appendChild(w)})}
  else{section(d,'Query');d.appendChild(el('div','reply',c.messages[0]))}
  var e=c.expected,exp=[];
  if(e.mustMention)exp.push('must mention: '+e.mustMention.join(' · '));
  if(e.mustNot)exp.push('must not: '+e.mustNot.join(' · '));
  if(e.intent)exp.push('intent: '+e.intent+' (got '+c.intent+')');
  if(e.eligibility)exp.push('eligibility: '+e.eligibility+' (got '+(c.eligibility?c.eligibility.status:'none')+')');
  if(e.askBack!==undefined)exp.push('ask back: '+e.askBack+' (asked back: '+c.askedBack+')');
  if(e.refusal!==undefined)exp.push(e.refusal?'should be refused':'should be answered');
  if(e.relevant)exp.push('relevant: '+e.relevant.join(', '));
  if(exp.length){section(d,'Expected');list(d,exp)}
  if(c.missed&&c.missed.length){section(d,'Missed facts');list(d,c.missed)}
  if(c.mustNotHits&&c.mustNotHits.length){section(d,'Said what it must not');list(d,c.mustNotHits)}
  if(c.citationProblems&&c.citationProblems.length){section(d,'Citation problems');list(d,c.citationProblems)}
  if(c.ungroundedNumbers&&c.ungroundedNumbers.length){section(d,'Ungrounded numbers');list(d,c.ungroundedNumbers)}
  if(c.eligibility){section(d,'Eligibility');list(d,['status '+c.eligibility.status+(c.eligibility.bestRoute?' · route '+c.eligibility.bestRoute:'')+(c.eligibility.bestLevel?' · level '+c.eligibility.bestLevel:'')+(c.eligibility.missing&&c.eligibility.missing.length?' · missing '+c.eligibility.missing.join(', '):'')])}
  if(c.citations&&c.citations.length){section(d,'Citations');c.citations.forEach(function(x){var w=el('div','chunk');w.appendChild(el('b',null,'['+x.n+'] '+x.title+' ('+x.chunkId+')'));w.appendChild(el('div',null,'“'+x.quote+'”'));d.appendChild(w)})}
  if(c.judge){section(d,'LLM judge');var j=[];if(c.judge.faithfulness!==undefined)j.push('faithfulness '+c.judge.faithfulness.toFixed(3));if(c.judge.answerRelevancy!==undefined)j.push('answer relevancy '+c.judge.answerRelevancy.toFixed(3)+(c.judge.noncommittal?' (noncommittal)':''));if(c.judge.error)j.push('error: '+c.judge.error);(c.judge.statements||[]).forEach(function(s){j.push((s.supported?'✓ ':'✗ ')+s.statement+(s.reason?' ('+s.reason+')':''))});(c.judge.generatedQuestions||[]).forEach(function(q){j.push('generated question: '+q)});list(d,j)}
  if(c.retrieved&&c.retrieved.length){section(d,'Retrieved chunks'+(c.retrievalQuery&&c.messages.length>1?' (for the last message as typed)':''));c.retrieved.forEach(function(r){var w=el('div','chunk'+(r.relevant?' rel':''));w.appendChild(el('b',null,(r.relevant?'✓ ':'')+'#'+r.rank+' '+r.docId+' · '+r.title+' · score '+Number(r.score.toPrecision(3))));w.appendChild(el('div',null,r.text));d.appendChild(w)})}
  var s=[];Object.keys(c.scores).forEach(function(k){s.push((data.metrics[k]||k)+': '+(Math.round(c.scores[k]*1000)/1000))});if(s.length){section(d,'Scores');list(d,s)}
  return d}
['f-run','f-status','f-kind','f-lang','f-text'].forEach(function(id){var e=$(id);if(e)e.addEventListener('input',render)});
document.addEventListener('click',function(ev){var a=ev.target.closest&&ev.target.closest('a[data-case]');if(!a)return;ev.preventDefault();$('f-status').value='all';$('f-text').value=a.getAttribute('data-case');render();var row=$('case-'+a.getAttribute('data-case'));if(row){toggle(row,a.getAttribute('data-case'));row.scrollIntoView()}});
render();
})();
`;
