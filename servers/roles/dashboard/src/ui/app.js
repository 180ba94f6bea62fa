// OMEGA dashboard: plain JavaScript, no build step, no external resources.
'use strict';
(function () {
  const API = '/dashboard/api';
  const $ = (id) => document.getElementById(id);
  const state = { me: null, items: new Map(), selected: null, cursor: null, lastId: null, es: null, view: 'review', fresh: new Set(), opsTimer: null };
  const key = (t, id) => t + '|' + id;

  // Element helper: h('div', {class: 'x'}, child, 'text').
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const pct = (x) => (x === null || x === undefined) ? '–' : Math.round(x * 100) + '%';

  function toast(msg) {
    const t = $('toast'); t.textContent = msg; t.classList.add('show');
    clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove('show'), 5000);
  }

  async function api(path, opts) {
    const o = Object.assign({ credentials: 'same-origin', headers: {} }, opts || {});
    if (o.body && typeof o.body !== 'string') { o.body = JSON.stringify(o.body); o.headers['Content-Type'] = 'application/json'; }
    const r = await fetch(API + path, o);
    let body = null;
    try { body = await r.json(); } catch (_) { body = null; }
    if (r.status === 401 && path !== '/session') { signedOut(body); }
    return { status: r.status, body };
  }
  const errMsg = (b) => (b && b.error && b.error.message) || 'Something went wrong.';

  // ---- sign-in -------------------------------------------------------------
  function signedOut(body) {
    state.me = null;
    if (state.es) { state.es.close(); state.es = null; }
    clearInterval(state.opsTimer);
    state.items.clear(); state.selected = null;
    $('tickets').replaceChildren(); $('detail').replaceChildren(h('p', { class: 'muted' }, 'Select a ticket to review it.'));
    for (const id of ['review', 'ops', 'analytics']) $(id).hidden = true;
    $('nav').hidden = true; $('signout').hidden = true; $('who').textContent = ''; $('conn').textContent = ''; $('conn').className = 'conn';
    $('signin').hidden = false;
    const reason = body && body.error && body.error.data && body.error.data.extra && body.error.data.extra.reason;
    $('signin-error').textContent = reason === 'expired' ? 'Your session expired. Sign in again.' : (reason && reason !== 'missing' ? errMsg(body) : '');
    $('token').focus();
  }

  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('/session', { method: 'POST', body: { token: $('token').value } });
    if (r.status === 200) { $('token').value = ''; $('signin-error').textContent = ''; start(r.body.employee); }
    else $('signin-error').textContent = errMsg(r.body);
  });
  $('signout').addEventListener('click', async () => { await api('/session', { method: 'DELETE' }); signedOut(null); });

  async function start(me) {
    state.me = me;
    $('signin').hidden = true; $('nav').hidden = false; $('signout').hidden = false;
    $('who').textContent = 'Signed in as ' + me.id;
    for (const sel of [$('f-tenant'), $('an-tenant')]) {
      const keep = sel.id === 'f-tenant' ? [h('option', { value: '' }, 'All my tenants')] : [];
      sel.replaceChildren(...keep, ...me.tenants.map((t) => h('option', { value: t }, t)));
    }
    show('review');
    await loadList();
    openStream();
  }

  // ---- views ---------------------------------------------------------------
  function show(view) {
    state.view = view;
    for (const id of ['review', 'ops', 'analytics']) $(id).hidden = id !== view;
    for (const b of $('nav').querySelectorAll('button')) {
      if (b.dataset.view === view) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
    }
    clearInterval(state.opsTimer);
    if (view === 'ops') { loadOps(); state.opsTimer = setInterval(loadOps, 5000); }
    if (view === 'analytics') loadAnalytics();
  }
  $('nav').addEventListener('click', (e) => { const b = e.target.closest('button'); if (b) show(b.dataset.view); });

  // ---- review list -----------------------------------------------------------
  function filters() {
    const f = {};
    for (const n of ['tenant', 'priority', 'category', 'status']) { const v = $('f-' + n).value; if (v) f[n] = v; }
    return f;
  }
  function matches(it) {
    const f = filters();
    return (!f.tenant || it.tenant === f.tenant) && (!f.priority || it.triage.priority.value === f.priority)
      && (!f.category || it.triage.category.value === f.category) && (!f.status || it.status === f.status);
  }
  async function loadList() {
    const q = new URLSearchParams(filters()).toString();
    const r = await api('/tickets' + (q ? '?' + q : ''));
    if (r.status !== 200) { if (r.status !== 401) toast(errMsg(r.body)); return; }
    state.items.clear();
    for (const it of r.body.items) state.items.set(key(it.tenant, it.ticketId), it);
    if (!state.cursor) state.cursor = r.body.cursor;
    const cat = $('f-category'); const cur = cat.value;
    cat.replaceChildren(h('option', { value: '' }, 'Any'), ...r.body.categories.map((c) => h('option', { value: c }, c)));
    cat.value = cur;
    state.categories = r.body.categories;
    renderList();
  }
  $('filters').addEventListener('change', loadList);

  function renderList() {
    const list = $('tickets');
    const items = [...state.items.values()].filter(matches).sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    list.replaceChildren(...items.map((it) => {
      const k = key(it.tenant, it.ticketId);
      const c = it.triage.category, p = it.triage.priority;
      return h('li', {},
        h('button', { type: 'button', 'data-ticket': it.ticketId, 'data-tenant': it.tenant, 'aria-pressed': String(state.selected === k), onclick: () => select(it.tenant, it.ticketId) },
          h('span', { class: 't' }, state.fresh.has(k) ? h('span', { class: 'badge new' }, 'new') : null, it.title),
          h('span', { class: 'm' },
            h('span', { class: 'badge ' + (p.value || '') }, p.value || 'P?'),
            h('span', { class: 'badge ' + it.status }, it.status),
            (c.value || 'no category') + ' ' + pct(c.confidence) + (c.abstained ? ' (unsure)' : '') + ' · ' + it.tenant)));
    }));
    $('empty').hidden = items.length > 0;
    $('count').textContent = '(' + items.length + ')';
  }

  // ---- live updates ----------------------------------------------------------
  function openStream() {
    if (state.es) state.es.close();
    const since = state.lastId || state.cursor;
    const es = new EventSource(API + '/events' + (since ? '?since=' + encodeURIComponent(since) : ''));
    state.es = es;
    es.onopen = () => { $('conn').textContent = 'Live'; $('conn').className = 'conn live'; };
    es.addEventListener('ticket', (e) => {
      state.lastId = e.lastEventId || state.lastId;
      upsert(JSON.parse(e.data), true);
    });
    es.addEventListener('reset', (e) => { state.lastId = e.lastEventId || state.lastId; loadList(); });
    es.onerror = () => {
      $('conn').textContent = 'Reconnecting…'; $('conn').className = 'conn down';
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server refused): check the session, then retry.
        setTimeout(async () => { const r = await api('/me'); if (r.status === 200 && state.es === es) openStream(); }, 2000);
      }
    };
  }

  function upsert(it, live) {
    const k = key(it.tenant, it.ticketId);
    const old = state.items.get(k);
    if (old && old.version >= it.version) return;
    state.items.set(k, it);
    if (live && !old) state.fresh.add(k);
    renderList();
    if (state.selected === k) {
      if (live && old && it.history.length && it.history[it.history.length - 1].employee !== state.me.id) {
        const last = it.history[it.history.length - 1];
        renderDetail(it, state.assist, 'Updated by ' + last.employee + ': ' + last.summary);
      } else renderDetail(it, state.assist);
    }
  }

  // ---- detail and actions ----------------------------------------------------
  async function select(tenant, id) {
    const k = key(tenant, id);
    state.selected = k; state.fresh.delete(k); renderList();
    const r = await api('/tickets/' + encodeURIComponent(tenant) + '/' + encodeURIComponent(id));
    if (r.status !== 200) { if (r.status !== 401) toast(errMsg(r.body)); return; }
    state.items.set(k, r.body.item); state.assist = r.body.assistance;
    renderDetail(r.body.item, r.body.assistance);
    $('detail').focus();
  }

  async function act(it, action) {
    const r = await api('/tickets/' + encodeURIComponent(it.tenant) + '/' + encodeURIComponent(it.ticketId) + '/actions',
      { method: 'POST', body: { version: it.version, action } });
    if (r.status === 200) {
      state.items.set(key(it.tenant, it.ticketId), r.body.item);
      renderList(); renderDetail(r.body.item, state.assist, null, 'Saved: ' + action.type + '.');
      return;
    }
    if (r.status === 409) {
      const cur = r.body.error.data.extra.current;
      state.items.set(key(cur.tenant, cur.ticketId), cur); renderList();
      renderDetail(cur, state.assist, 'Your change was NOT applied: ' + errMsg(r.body) + ' The ticket below is the current version; apply your change again if it still makes sense.');
      return;
    }
    if (r.status !== 401) toast(errMsg(r.body));
  }

  function renderDetail(it, assist, conflict, saved) {
    const d = $('detail');
    const c = it.triage.category, p = it.triage.priority, s = it.suggested;
    const cats = [...new Set([...(state.categories || []), c.value].filter(Boolean))].sort();
    const catSel = h('select', { id: 'cat-select' }, ...cats.map((x) => h('option', { value: x, selected: x === c.value }, x)));
    const prioSel = h('select', { id: 'prio-select' }, ...['P1', 'P2', 'P3', 'P4'].map((x) => h('option', { value: x, selected: x === p.value }, x)));
    const meter = (x) => h('span', { class: 'meter', role: 'img', 'aria-label': 'confidence ' + pct(x) }, h('span', { style: 'width:' + Math.round((x || 0) * 100) + '%' }));
    const actions = it.triage.suggestedActions.map((a, i) => {
      const ta = h('textarea', { id: 'action-text-' + i, 'aria-label': 'Description of action ' + (i + 1) }, a.description);
      const chosen = it.chosenAction && it.chosenAction.kind === a.kind;
      return h('li', {}, h('div', {}, h('span', { class: 'badge' }, a.kind.replace(/_/g, ' ')), a.automatic ? h('span', { class: 'badge' }, 'automatic') : null, chosen ? h('span', { class: 'badge resolved' }, 'picked') : null),
        ta, h('button', { type: 'button', onclick: () => act(it, { type: 'pickAction', index: i, description: ta.value }) }, 'Use this action'));
    });
    const note = h('textarea', { id: 'resolve-note', 'aria-label': 'Resolution note' }, it.resolution || '');
    d.replaceChildren(...[
      conflict ? h('div', { class: 'conflict', role: 'alert', id: 'conflict' }, conflict) : null,
      saved ? h('p', { class: 'muted', role: 'status' }, saved) : null,
      h('h3', {}, it.title),
      h('p', { class: 'muted' }, it.tenant + ' · ' + it.ticketId + ' · ' + it.status + ' · version ' + it.version + (it.reason ? ' · ' + it.reason : '')),
      assist && assist.message ? h('p', { class: 'assist', id: 'assist' }, assist.message) : null,
      h('section', { 'aria-labelledby': 'h-triage' }, h('h4', { id: 'h-triage' }, 'Triage'),
        h('div', { class: 'row' },
          h('label', {}, 'Category', catSel),
          h('button', { type: 'button', id: 'cat-apply', onclick: () => act(it, { type: 'changeCategory', category: catSel.value }) }, 'Change category'),
          h('span', { class: 'conf' }, 'OMEGA: ' + (s.category || 'none') + ' ', meter(s.categoryConfidence), ' ' + pct(s.categoryConfidence) + (s.abstained ? ' (abstained)' : ''))),
        h('div', { class: 'row' },
          h('label', {}, 'Priority', prioSel),
          h('button', { type: 'button', id: 'prio-apply', onclick: () => act(it, { type: 'changePriority', priority: prioSel.value }) }, 'Change priority'),
          h('span', { class: 'conf' }, 'OMEGA: ' + (s.priority || 'none') + ' ' + pct(p.confidence))),
        h('p', {}, h('button', { type: 'button', class: 'primary', id: 'accept', onclick: () => act(it, { type: 'accept' }) }, 'Accept triage'))),
      h('section', { 'aria-labelledby': 'h-why' }, h('h4', { id: 'h-why' }, 'Rationale'), h('p', {}, it.triage.rationale)),
      h('section', { 'aria-labelledby': 'h-act' }, h('h4', { id: 'h-act' }, 'Suggested actions'),
        actions.length ? h('ol', { class: 'actions-list' }, actions) : h('p', { class: 'muted' }, 'No suggestions.')),
      h('section', { 'aria-labelledby': 'h-sim' }, h('h4', { id: 'h-sim' }, 'Similar tickets'),
        it.triage.similarTickets.length ? h('ul', {}, it.triage.similarTickets.map((x) => h('li', {}, x.ticketId + ' — ' + (x.category || '?') + ' (' + x.score.toFixed(2) + ')' + (x.resolution ? ': ' + x.resolution : '')))) : h('p', { class: 'muted' }, 'None found.'),
        assist && assist.correctedSimilar && assist.correctedSimilar.length ? h('div', {}, h('p', {}, 'Similar tickets corrected by technicians:'),
          h('ul', { id: 'corrected' }, assist.correctedSimilar.map((x) => h('li', {}, x.title + ': ' + (x.from || '?') + ' → ' + x.to)))) : null),
      h('section', { 'aria-labelledby': 'h-res' }, h('h4', { id: 'h-res' }, 'Resolve'), note,
        h('button', { type: 'button', id: 'resolve', onclick: () => act(it, { type: 'resolve', note: note.value }) }, 'Resolve with note')),
      it.history.length ? h('section', { 'aria-labelledby': 'h-hist' }, h('h4', { id: 'h-hist' }, 'History'),
        h('ul', {}, it.history.map((x) => h('li', {}, 'v' + x.version + ' ' + x.employee + ': ' + x.summary + ' (' + new Date(x.at).toLocaleTimeString() + ')')))) : null,
    ].filter((x) => x !== null && x !== undefined));
  }

  // ---- charts (inline SVG) ---------------------------------------------------
  const COLORS = ['#0b5cad', '#c62828', '#1a7f37', '#8250df', '#bc4c00', '#0a7ea4'];
  const NS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  // series: [{name, points: [[x, y], ...]}]; opts: {step, yFmt, xTime}
  function lineChart(title, series, opts) {
    opts = opts || {};
    const W = 480, H = 220, L = 48, R = 10, T = 10, B = 28;
    const all = series.flatMap((x) => x.points);
    const fig = h('figure', { class: 'card chart' }, h('figcaption', {}, h('strong', {}, title)));
    if (!all.length) { fig.append(h('p', { class: 'muted' }, 'No data yet.')); return fig; }
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    let x0 = Math.min(...xs), x1 = Math.max(...xs); if (x1 === x0) { x0 -= 1; x1 += 1; }
    const y0 = opts.yMin !== undefined ? opts.yMin : 0; let y1 = opts.yMax !== undefined ? opts.yMax : Math.max(...ys); if (y1 <= y0) y1 = y0 + 1;
    if (opts.integer) y1 = Math.max(4, Math.ceil(y1 / 4) * 4);
    const X = (v) => L + (v - x0) / (x1 - x0) * (W - L - R), Y = (v) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title });
    svg.append(s('title', {}, title));
    const fmt = opts.yFmt || ((v) => (Math.round(v * 100) / 100).toString());
    for (let i = 0; i <= 4; i++) {
      const v = y0 + (y1 - y0) * i / 4;
      svg.append(s('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: '#eaeef2' }), s('text', { x: L - 4, y: Y(v) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#57606a' }, fmt(v)));
    }
    const tl = (v) => opts.xTime ? new Date(v).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : String(v);
    svg.append(s('text', { x: L, y: H - 8, 'font-size': 10, fill: '#57606a' }, tl(x0)), s('text', { x: W - R, y: H - 8, 'text-anchor': 'end', 'font-size': 10, fill: '#57606a' }, tl(x1)));
    series.forEach((ser, i) => {
      let pts = ser.points.slice().sort((a, b) => a[0] - b[0]);
      if (opts.step) { const st = []; pts.forEach((p, j) => { if (j) st.push([p[0], pts[j - 1][1]]); st.push(p); }); if (opts.stepTo && pts.length) st.push([x1, pts[pts.length - 1][1]]); pts = st; }
      svg.append(s('polyline', { fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2, points: pts.map((p) => X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1)).join(' ') }));
      if (pts.length === 1) svg.append(s('circle', { cx: X(pts[0][0]), cy: Y(pts[0][1]), r: 3, fill: COLORS[i % COLORS.length] }));
    });
    fig.append(svg, h('div', { class: 'legend' }, series.map((ser, i) => h('span', {}, h('i', { style: 'background:' + COLORS[i % COLORS.length] }), ser.name + ': ' + fmt(ser.points.length ? ser.points[ser.points.length - 1][1] : 0)))));
    return fig;
  }
  function barChart(title, bars, fmt) {
    const W = 480, rowH = 22, L = 150, H = Math.max(1, bars.length) * rowH + 10;
    const fig = h('figure', { class: 'card chart' }, h('figcaption', {}, h('strong', {}, title)));
    if (!bars.length) { fig.append(h('p', { class: 'muted' }, 'No data yet.')); return fig; }
    const max = Math.max(1, ...bars.map((b) => b[1]));
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title });
    svg.append(s('title', {}, title + ': ' + bars.map((b) => b[0] + ' ' + b[1]).join(', ')));
    bars.forEach((b, i) => {
      const y = 5 + i * rowH;
      svg.append(s('text', { x: L - 6, y: y + 14, 'text-anchor': 'end', 'font-size': 11 }, b[0]),
        s('rect', { x: L, y: y + 3, height: rowH - 8, width: Math.max(1, (W - L - 50) * b[1] / max), fill: COLORS[0] }),
        s('text', { x: L + Math.max(1, (W - L - 50) * b[1] / max) + 4, y: y + 14, 'font-size': 11 }, fmt ? fmt(b[1]) : b[1]));
    });
    fig.append(svg);
    return fig;
  }

  async function loadOps() {
    const r = await api('/ops');
    if (r.status !== 200) return;
    const o = r.body;
    const depth = (q) => q.stats ? q.stats.ready + q.stats.leased + q.stats.delayed : 0;
    const charts = [
      barChart('Queue depths (ready + leased + delayed)', o.queues.map((q) => [q.name, depth(q)])),
      lineChart('Workers per team', Object.entries(o.workers).map(([t, pts]) => ({ name: t, points: pts.map((p) => [p[0], p[1]]).concat(pts.length ? [[o.nowMs, pts[pts.length - 1][1]]] : []) })), { step: true, xTime: true, integer: true, yFmt: (v) => String(Math.round(v)) }),
      lineChart('Throughput per minute', Object.entries(o.throughput).map(([k, pts]) => ({ name: k, points: pts })), { xTime: true, integer: true, yFmt: (v) => String(Math.round(v)) }),
      lineChart('Classifier accuracy vs employee decisions (per hour)', [{ name: 'agreement', points: o.accuracy.map((a) => [a.atMs, a.decided ? a.agreed / a.decided : 0]) }], { xTime: true, yMin: 0, yMax: 1, yFmt: pct }),
      lineChart('Estimated compute cost (cumulative, ' + o.costPerWorkerHour + '/worker-hour)', [{ name: 'cost', points: o.cost }], { xTime: true, yFmt: (v) => v === 0 ? '0' : v < 0.01 ? v.toPrecision(2) : v.toFixed(2) }),
    ];
    $('ops-charts').replaceChildren(...charts);
  }

  async function loadAnalytics() {
    const t = $('an-tenant').value;
    if (!t) return;
    const r = await api('/analytics?tenant=' + encodeURIComponent(t));
    if (r.status !== 200) { if (r.status !== 401) toast(errMsg(r.body)); return; }
    const a = r.body;
    const min = (ms) => ms === null || ms === undefined ? '–' : (ms / 60000).toFixed(1) + ' min';
    const dur = (name, d) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, d.count), h('td', {}, min(d.p50Ms)), h('td', {}, min(d.p90Ms)));
    $('an-body').replaceChildren(
      barChart('Tickets by category', Object.entries(a.byCategory)),
      barChart('Tickets by priority', Object.entries(a.byPriority)),
      h('div', { class: 'card' }, h('h3', {}, 'Times'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'tickets'), h('th', {}, 'median'), h('th', {}, 'p90'))),
        h('tbody', {}, dur('To triage', a.timeToTriage), dur('To review', a.timeToReview), dur('To resolve', a.timeToResolve)))),
      h('div', { class: 'card' }, h('h3', {}, 'SLA risk and automation'),
        h('p', {}, 'At risk: ' + a.sla.atRisk + ' · Breached: ' + a.sla.breached),
        h('p', {}, 'Auto-action rate: ' + pct(a.autoAction.rate) + ' (' + (a.autoAction.auto ?? '–') + ' of ' + (a.autoAction.triaged ?? '–') + ' triaged)'),
        h('p', {}, 'OMEGA–employee agreement: category ' + pct(a.agreement.categoryRate) + ', priority ' + pct(a.agreement.priorityRate) + ' over ' + a.agreement.decided + ' decisions')),
      lineChart('Agreement over time', [
        { name: 'category', points: a.agreement.series.map((p) => [p.atMs, p.categoryAgreed / p.decided]) },
        { name: 'priority', points: a.agreement.series.map((p) => [p.atMs, p.priorityAgreed / p.decided]) }], { xTime: true, yMin: 0, yMax: 1, yFmt: pct }));
  }
  $('an-tenant').addEventListener('change', loadAnalytics);

  // ---- boot ------------------------------------------------------------------
  api('/me').then((r) => { if (r.status === 200) start(r.body.employee); });
})();
