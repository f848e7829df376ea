// SnomActors operator page: plain JS, no framework, no CDN. Talks only to the JSON API under api/.
'use strict';

(() => {
  // Relative so the page also works behind a reverse proxy that mounts the daemon under a prefix.
  const API_BASE = 'api/';
  const STATES = ['seen', 'answered', 'notified', 'provisioned', 'downloaded', 'failed'];
  const KNOWN_VENDORS = ['snom', 'yealink', 'grandstream', 'gigaset', 'fanvil', 'panasonic', 'audiocodes', 'unknown'];
  const SCOPE_ORDER = { general: 0, vendor: 1, model: 2, mac: 3 };
  const DEVICE_PAGE = 500;
  const MAX_ROWS = 1000;

  const $ = (id) => document.getElementById(id);

  // ====================================================================================
  // API access. Every request goes through api() so that authentication (issue 5) is a
  // change in this one place: a Basic challenge is answered by the browser itself; any
  // other 401 asks the operator for a token, kept for the tab's lifetime only.
  // ====================================================================================
  const TOKEN_KEY = 'snomactors.adminToken';

  class ApiError extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.title || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  function authHeaders() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  async function api(path, options = {}) {
    const { method = 'GET', body, contentType, accept = 'application/json, application/problem+json', raw = false } = options;
    const headers = { Accept: accept, ...authHeaders() };
    if (contentType) headers['Content-Type'] = contentType;
    const res = await fetch(API_BASE + path, { method, body, headers, credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401 && !/^basic/i.test(res.headers.get('WWW-Authenticate') || '') && !options.retried) {
      if (await askForToken()) return api(path, { ...options, retried: true });
    }
    if (!res.ok) throw new ApiError(res.status, await readProblem(res));
    if (raw) return res;
    if (res.status === 204 || res.status === 304) return null;
    const type = res.headers.get('Content-Type') || '';
    return type.includes('json') ? res.json() : res.text();
  }

  // EventSource cannot send headers: when issue 5 picks bearer tokens, the server must accept
  // the same credential another way (cookie or query); this is the one place to add it.
  function eventsUrl() {
    return API_BASE + 'events';
  }

  async function readProblem(res) {
    const text = await res.text().catch(() => '');
    try {
      const json = JSON.parse(text);
      if (json && typeof json === 'object') return json;
    } catch { /* not JSON: fall through */ }
    return { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 300) || undefined };
  }

  let tokenPrompt = null;
  function askForToken() {
    // Concurrent 401s share one prompt.
    if (tokenPrompt) return tokenPrompt;
    const dialog = $('login-dialog');
    tokenPrompt = new Promise((resolve) => {
      $('login-token').value = '';
      dialog.returnValue = '';
      dialog.addEventListener('close', () => {
        const token = $('login-token').value.trim();
        const ok = dialog.returnValue === 'ok' && token.length > 0;
        if (ok) sessionStorage.setItem(TOKEN_KEY, token);
        tokenPrompt = null;
        resolve(ok);
      }, { once: true });
      dialog.showModal();
    });
    return tokenPrompt;
  }

  // ====================================================================================
  // Small helpers. Everything from the network is put into the DOM as text, never HTML:
  // User-Agents and settings files come from outside.
  // ====================================================================================
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function normalizeMac(text) {
    const digits = String(text || '').trim().toLowerCase().replace(/[:.\-\s]/g, '');
    return /^[0-9a-f]{12}$/.test(digits) ? digits : null;
  }

  function macColon(mac) {
    if (!mac) return '—';
    return /^[0-9a-f]{12}$/i.test(mac) ? mac.toLowerCase().match(/../g).join(':') : mac;
  }

  function parseTime(iso) {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  function fmtTime(iso) {
    const d = parseTime(iso);
    if (!d) return '';
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
    const today = new Date();
    return d.toDateString() === today.toDateString()
      ? time
      : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
  }

  function fmtDateTime(iso) {
    const d = parseTime(iso);
    return d ? d.toLocaleString([], { hour12: false }) : '';
  }

  function fmtBytes(n) {
    if (n === null || n === undefined || Number.isNaN(Number(n))) return '';
    n = Number(n);
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function timeCell(iso, extraClass) {
    return el('td', { class: `time ${extraClass || ''}`.trim(), title: iso || undefined, text: fmtTime(iso) });
  }

  // Steps after the SUBSCRIBE are shown as the time they took from it: that is what an operator
  // compares across phones (a slow NOTIFY ack), and it fits a narrow column.
  function fmtOffset(fromIso, iso) {
    const a = parseTime(fromIso);
    const b = parseTime(iso);
    if (!b) return '';
    if (!a) return fmtTime(iso);
    const ms = Math.max(0, b - a);
    if (ms < 1000) return `+${ms} ms`;
    if (ms < 60000) return `+${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
    const m = Math.floor(ms / 60000);
    if (m < 120) return `+${m} min ${Math.round((ms % 60000) / 1000)} s`;
    return fmtTime(iso);
  }

  function stepCell(fromIso, iso, extraClass) {
    return el('td', { class: `time ${extraClass || ''}`.trim(), title: iso ? fmtDateTime(iso) + ` (${iso})` : undefined, text: fmtOffset(fromIso, iso) });
  }

  function badge(state) {
    const s = state || 'unknown';
    return el('span', { class: `badge badge-${s}`, 'data-testid': 'state-badge', text: s });
  }

  let toastTimer = 0;
  function toast(message) {
    const t = $('toast');
    t.textContent = message;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 3500);
  }

  function errorText(err) {
    if (err instanceof ApiError) {
      const p = err.problem;
      const title = p.title || `HTTP ${err.status}`;
      return p.detail && p.detail !== title ? `${title}: ${p.detail}` : title;
    }
    return err && err.message ? err.message : String(err);
  }

  // A destructive button asks once more on its own instead of a native confirm() popup.
  function confirmButton(button, label, action) {
    button.addEventListener('click', async () => {
      if (button.dataset.confirm !== 'true') {
        button.dataset.confirm = 'true';
        button.dataset.label = button.textContent;
        button.textContent = label;
        setTimeout(() => resetConfirm(button), 4000);
        return;
      }
      resetConfirm(button);
      await action();
    });
  }
  function resetConfirm(button) {
    if (button.dataset.confirm === 'true') {
      button.dataset.confirm = 'false';
      button.textContent = button.dataset.label;
    }
  }

  function debounce(fn, ms) {
    let t = 0;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  // ====================================================================================
  // Views (tabs) from the URL hash, so a view can be linked and the back button works.
  // ====================================================================================
  const VIEWS = ['devices', 'settings', 'bulk'];
  const visited = new Set();

  function route() {
    const name = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'devices';
    for (const v of VIEWS) {
      const tab = $(`tab-${v}`);
      const active = v === name;
      $(`view-${v}`).hidden = !active;
      tab.setAttribute('aria-selected', String(active));
      tab.tabIndex = active ? 0 : -1;
    }
    if (!visited.has(name)) {
      visited.add(name);
      if (name === 'settings') loadDocuments();
    }
  }

  function initTabs() {
    window.addEventListener('hashchange', route);
    const tabs = VIEWS.map((v) => $(`tab-${v}`));
    tabs.forEach((tab, i) => tab.addEventListener('keydown', (e) => {
      let next = -1;
      if (e.key === 'ArrowRight') next = (i + 1) % tabs.length;
      else if (e.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = tabs.length - 1;
      if (next < 0) return;
      e.preventDefault();
      tabs[next].focus();
      location.hash = `#${VIEWS[next]}`;
    }));
    route();
  }

  // ====================================================================================
  // Devices: a table kept current by Server-Sent Events, rows updated in place.
  // ====================================================================================
  const rows = new Map();          // mac -> <tr>
  const shown = new Map();         // mac -> device JSON currently in the table
  const pending = new Map();       // mac -> latest device JSON not yet drawn
  const vendorsSeen = new Set();
  let deviceTotal = 0;
  let deviceQuerySeq = 0;
  let flushTimer = 0;

  function currentFilter() {
    return {
      q: $('device-filter-text').value.trim(),
      state: $('device-filter-state').value,
      vendor: $('device-filter-vendor').value,
    };
  }

  function matchesFilter(d, f = currentFilter()) {
    if (f.state && d.state !== f.state) return false;
    if (f.vendor && d.vendor !== f.vendor) return false;
    if (!f.q) return true;
    const q = f.q.toLowerCase();
    const hex = q.replace(/[:.\-]/g, '');
    if (d.mac && /^[0-9a-f]+$/.test(hex) && d.mac.includes(hex)) return true;
    return [macColon(d.mac), d.vendor, d.model, d.firmware, d.lastIp, d.userAgent]
      .some((v) => v && String(v).toLowerCase().includes(q));
  }

  function deviceCells(d) {
    const s = d.steps || {};
    const ack = s.failed
      ? el('td', { class: 'time failed', title: `${fmtDateTime(s.failed)}: ${s.failureReason || 'failed'}`, 'data-testid': 'step-failed' },
          `✗ ${fmtOffset(s.subscribeSeen, s.failed)} ${s.failureReason || 'failed'}`)
      : stepCell(s.subscribeSeen, s.notifyAcked);
    const stateCell = el('td', {}, badge(d.state));
    if (d.admission && !['allowed', 'approved', 'admitted'].includes(d.admission)) {
      stateCell.append(el('span', { class: `badge badge-${d.admission}`, text: d.admission }));
    }
    return [
      el('td', { class: 'mono', 'data-testid': 'device-mac' }, macColon(d.mac)),
      el('td', { text: d.vendor || '' }),
      el('td', { text: d.model || '' }),
      el('td', { class: 'mono', text: d.firmware || '' }),
      el('td', { class: 'mono', text: d.lastIp || '' }),
      stateCell,
      el('td', { class: 'time', title: s.subscribeSeen ? fmtDateTime(s.subscribeSeen) : undefined, text: fmtTime(s.subscribeSeen) }),
      stepCell(s.subscribeSeen, s.answered),
      stepCell(s.subscribeSeen, s.notifySent),
      ack,
      stepCell(s.subscribeSeen, s.settingsDownloaded),
    ];
  }

  function makeRow(d) {
    const tr = el('tr', {
      tabindex: 0,
      'data-testid': 'device-row',
      'aria-label': `Device ${macColon(d.mac)}, ${d.state || ''}; press Enter for details`,
      dataset: { mac: d.mac, state: d.state || '' },
    });
    tr.append(...deviceCells(d));
    tr.addEventListener('click', () => openDetail(tr.dataset.mac));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openDetail(tr.dataset.mac); }
    });
    return tr;
  }

  function updateRow(tr, d) {
    tr.replaceChildren(...deviceCells(d));
    tr.dataset.state = d.state || '';
    tr.setAttribute('aria-label', `Device ${macColon(d.mac)}, ${d.state || ''}; press Enter for details`);
    // Restart the highlight so the operator sees which rows just changed.
    tr.classList.remove('flash');
    void tr.offsetWidth;
    tr.classList.add('flash');
  }

  function noteVendor(vendor) {
    if (!vendor || vendorsSeen.has(vendor)) return;
    vendorsSeen.add(vendor);
    const select = $('device-filter-vendor');
    const options = [...select.options].slice(1).map((o) => o.value);
    options.push(vendor);
    options.sort();
    const current = select.value;
    select.replaceChildren(el('option', { value: '', text: 'all vendors' }),
      ...options.map((v) => el('option', { value: v, text: v })));
    select.value = current;
  }

  function updateDeviceCount() {
    const n = rows.size;
    $('devices-empty').hidden = n > 0;
    const f = currentFilter();
    const filtered = f.q || f.state || f.vendor;
    $('device-count').textContent = deviceTotal > n
      ? `Showing ${n} of ${deviceTotal} devices${filtered ? ' matching the filter' : ''}.`
      : `${n} device${n === 1 ? '' : 's'}${filtered ? ' matching the filter' : ''}.`;
  }

  async function loadDevices() {
    const seq = ++deviceQuerySeq;
    const f = currentFilter();
    const params = new URLSearchParams({ offset: '0', limit: String(DEVICE_PAGE) });
    if (f.q) params.set('q', f.q);
    if (f.state) params.set('state', f.state);
    if (f.vendor) params.set('vendor', f.vendor);
    try {
      const page = await api(`devices?${params}`);
      if (seq !== deviceQuerySeq) return; // a newer filter won the race
      const items = (page && page.items) || [];
      deviceTotal = page && typeof page.total === 'number' ? page.total : items.length;
      // Reconcile rather than rebuild: rows keep their element (focus, selection) and only
      // those whose data changed are redrawn.
      const before = new Map(rows);
      rows.clear();
      const previous = new Map(shown);
      shown.clear();
      const body = $('devices-body');
      const ordered = items.map((d) => {
        let tr = before.get(d.mac);
        if (!tr) tr = makeRow(d);
        else if (JSON.stringify(previous.get(d.mac)) !== JSON.stringify(d)) updateRow(tr, d);
        rows.set(d.mac, tr);
        shown.set(d.mac, d);
        noteVendor(d.vendor);
        return tr;
      });
      placeRows(body, ordered);
      mismatches = 0;
      updateDeviceCount();
    } catch (err) {
      if (seq === deviceQuerySeq) $('device-count').textContent = `Could not load devices: ${errorText(err)}`;
    }
  }

  // Put the rows in this order while touching only those out of place: detaching an element
  // drops keyboard focus, and an operator tabbing through the table must not lose it whenever
  // the table is reloaded underneath (reconnect, filter, stats mismatch).
  function placeRows(body, ordered) {
    const focused = document.activeElement;
    let cursor = body.firstElementChild;
    for (const tr of ordered) {
      if (tr === cursor) cursor = cursor.nextElementSibling;
      else body.insertBefore(tr, cursor);
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    if (focused && focused !== document.activeElement && focused.isConnected && body.contains(focused)) {
      focused.focus({ preventScroll: true });
    }
  }

  // Updates arrive in bursts during a boot storm: coalesce them per MAC and draw at most ~10×/s.
  function queueDevice(d) {
    if (!d || !d.mac) return;
    pending.set(d.mac, d);
    if (!flushTimer) flushTimer = setTimeout(flushDevices, 100);
  }

  function flushDevices() {
    flushTimer = 0;
    const f = currentFilter();
    const body = $('devices-body');
    for (const d of pending.values()) {
      noteVendor(d.vendor);
      const tr = rows.get(d.mac);
      const matches = matchesFilter(d, f);
      if (tr && matches) {
        updateRow(tr, d);
        shown.set(d.mac, d);
      } else if (tr) {
        tr.remove();
        rows.delete(d.mac);
        shown.delete(d.mac);
        deviceTotal = Math.max(0, deviceTotal - 1);
      } else if (matches) {
        const row = makeRow(d);
        row.classList.add('flash');
        body.prepend(row);
        rows.set(d.mac, row);
        shown.set(d.mac, d);
        deviceTotal += 1;
        // Bound the DOM during a storm of new phones: the oldest rows give way (the count still says how many there are).
        while (rows.size > MAX_ROWS && body.lastElementChild) {
          const last = body.lastElementChild;
          rows.delete(last.dataset.mac);
          shown.delete(last.dataset.mac);
          last.remove();
        }
      }
      if (detailMac === d.mac) refreshDetailSoon();
    }
    pending.clear();
    updateDeviceCount();
    refreshStatsSoon();
  }

  function removeDeviceRow(mac) {
    const tr = rows.get(mac);
    if (tr) { tr.remove(); rows.delete(mac); shown.delete(mac); deviceTotal = Math.max(0, deviceTotal - 1); }
    updateDeviceCount();
  }

  function initDevices() {
    const vendorSelect = $('device-filter-vendor');
    for (const v of KNOWN_VENDORS) { vendorsSeen.add(v); vendorSelect.append(el('option', { value: v, text: v })); }
    const reload = debounce(loadDevices, 250);
    $('device-filter-text').addEventListener('input', reload);
    $('device-filter-state').addEventListener('change', loadDevices);
    vendorSelect.addEventListener('change', loadDevices);
    $('device-refresh').addEventListener('click', () => { loadDevices(); refreshStats(); });
    // Push re-provisioning of every phone: confirmed first, since each one re-downloads (paced by the daemon).
    confirmButton($('device-resync-all'), 'Really resync all?', async () => {
      try {
        const reboot = $('device-resync-all-reboot').checked;
        const r = await api(`resync?all=true&reboot=${reboot}`, { method: 'POST' });
        const n = (r && r.queued) || 0;
        toast(`Check-sync${reboot ? ' with reboot' : ''} queued for ${n} phone${n === 1 ? '' : 's'}; sent paced.`);
      } catch (err) {
        toast(`Resync failed: ${errorText(err)}`);
      }
    });
  }

  // ====================================================================================
  // Stats: progress bar, counts per state, and the provisioning chart (hand-drawn SVG).
  // ====================================================================================
  let lastTimeline = [];
  let statsTimer = 0;

  async function refreshStats() {
    try {
      renderStats(await api('stats'));
    } catch (err) {
      $('boot-progress-since').textContent = `stats unavailable: ${errorText(err)}`;
    }
  }

  function refreshStatsSoon() {
    if (!statsTimer) statsTimer = setTimeout(() => { statsTimer = 0; refreshStats(); }, 1000);
  }

  function renderStats(s) {
    if (!s) return;
    const by = s.byState || {};
    const boot = s.boot && Number(s.boot.total) > 0 ? s.boot : null;
    let done;
    let total;
    if (boot) {
      done = Number(boot.provisioned) || 0;
      total = Number(boot.total) || 0;
      $('boot-title').textContent = 'Boot in progress';
      $('boot-progress-since').textContent = boot.started ? `since ${fmtTime(boot.started)}` : '';
    } else {
      // No boot announced: show how many of all known phones got their settings URL.
      done = (Number(by.provisioned) || 0) + (Number(by.downloaded) || 0);
      total = Number(s.devices) || 0;
      $('boot-title').textContent = 'All devices';
      $('boot-progress-since').textContent = '';
    }
    const pct = total > 0 ? Math.min(100, (done / total) * 100) : 0;
    const bar = $('boot-progress');
    $('boot-progress-fill').style.width = `${pct}%`;
    bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(Math.min(done, total)));
    bar.setAttribute('aria-valuetext', `${done} of ${total} provisioned`);
    bar.dataset.done = String(total > 0 && done >= total);
    $('boot-progress-text').textContent = `${done} of ${total} provisioned`;

    checkConsistency(s);
    const counts = $('state-counts');
    const active = $('device-filter-state').value;
    counts.replaceChildren(...STATES.map((st) => {
      // Each count is a shortcut to the table filtered by that state (again to clear it).
      const button = el('button', {
        type: 'button', class: 'state-chip', 'aria-pressed': String(active === st),
        title: `Show only ${st} devices`, 'data-testid': `state-chip-${st}`,
      }, badge(st), el('span', { class: 'count', 'data-testid': `count-${st}`, text: String(Number(by[st]) || 0) }));
      button.addEventListener('click', () => {
        const select = $('device-filter-state');
        select.value = select.value === st ? '' : st;
        for (const b of counts.querySelectorAll('.state-chip')) b.setAttribute('aria-pressed', String(b === button && select.value === st));
        loadDevices();
      });
      return el('li', { 'data-state': st }, button);
    }));
    if (typeof s.liveDialogs === 'number') {
      counts.append(el('li', { class: 'muted' }, `${s.liveDialogs} live dialog${s.liveDialogs === 1 ? '' : 's'}`));
    }
    if (Array.isArray(s.timeline)) {
      lastTimeline = s.timeline;
      drawChart();
    }
  }

  // The server drops the oldest events of a browser that falls behind (a boot storm on a slow
  // link). When the whole registry is on screen, compare it with the stats; if they disagree
  // twice in a row (once can be events still in flight), reload the table.
  let mismatches = 0;
  function checkConsistency(s) {
    const f = currentFilter();
    if (f.q || f.state || f.vendor || typeof s.devices !== 'number' || s.devices > DEVICE_PAGE || !s.byState) { mismatches = 0; return; }
    const local = {};
    for (const d of shown.values()) local[d.state] = (local[d.state] || 0) + 1;
    const same = s.devices === shown.size && STATES.every((st) => (Number(s.byState[st]) || 0) === (local[st] || 0));
    mismatches = same ? 0 : mismatches + 1;
    if (mismatches >= 2) { mismatches = 0; loadDevices(); }
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(v) {
    // Even below 10 so the half-way grid line is a whole number of phones.
    if (v <= 10) return Math.max(2, 2 * Math.ceil(v / 2));
    const mag = 10 ** Math.floor(Math.log10(v));
    // Steps whose halves are whole numbers, close enough that the data fills most of the height.
    for (const step of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (v <= step * mag) return step * mag;
    return 10 * mag;
  }

  // Bars: phones provisioned in each interval (left axis). Line: running total (right axis).
  function drawChart() {
    const chart = $('timeline-chart');
    const W = Math.max(280, Math.round(chart.clientWidth || 600));
    const H = 200;
    chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
    chart.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const points = lastTimeline
      .map((p) => ({ at: parseTime(p.at), n: Number(p.provisioned) || 0 }))
      .filter((p) => p.at)
      .sort((a, b) => a.at - b.at);
    // The server sends a fixed window (an hour); a boot of a few minutes would be a sliver at its
    // right edge, so start shortly before the first provisioning, keeping at least a dozen slots.
    const first = points.findIndex((p) => p.n > 0);
    if (first > 0) points.splice(0, Math.max(0, Math.min(first - 2, points.length - 12)));
    const nodes = [];
    const pad = { l: 36, r: 40, t: 10, b: 24 };
    const iw = W - pad.l - pad.r;
    const ih = H - pad.t - pad.b;
    nodes.push(svg('line', { class: 'chart-axis', x1: pad.l, y1: pad.t + ih, x2: pad.l + iw, y2: pad.t + ih }));
    if (points.length === 0) {
      nodes.push(svg('text', { class: 'chart-empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'No provisioning yet'));
      chart.replaceChildren(...nodes);
      $('chart-desc').textContent = 'No phone has been provisioned yet.';
      return;
    }
    let running = 0;
    const cumulative = points.map((p) => (running += p.n));
    const maxBar = niceMax(Math.max(...points.map((p) => p.n)));
    const maxTotal = niceMax(running);
    for (const frac of [0.5, 1]) {
      const y = pad.t + ih - ih * frac;
      nodes.push(svg('line', { class: 'chart-grid', x1: pad.l, y1: y, x2: pad.l + iw, y2: y }));
      nodes.push(svg('text', { class: 'chart-label', x: pad.l - 6, y: y + 4, 'text-anchor': 'end' }, fmtCount(maxBar * frac)));
      nodes.push(svg('text', { class: 'chart-label', x: pad.l + iw + 6, y: y + 4 }, fmtCount(maxTotal * frac)));
    }
    nodes.push(svg('text', { class: 'chart-label', x: pad.l - 6, y: pad.t + ih + 4, 'text-anchor': 'end' }, '0'));
    const slot = iw / points.length;
    const barW = Math.max(1, Math.min(40, slot * 0.8));
    const line = [];
    points.forEach((p, i) => {
      const x = pad.l + slot * i + (slot - barW) / 2;
      const h = (p.n / maxBar) * ih;
      const bar = svg('rect', { class: 'chart-bar', 'data-testid': 'chart-bar', x, y: pad.t + ih - h, width: barW, height: Math.max(0, h) });
      bar.append(svg('title', {}, `${fmtTime(p.at.toISOString())}: ${p.n} provisioned (total ${cumulative[i]})`));
      nodes.push(bar);
      line.push(`${(pad.l + slot * i + slot / 2).toFixed(1)},${(pad.t + ih - (cumulative[i] / maxTotal) * ih).toFixed(1)}`);
    });
    nodes.push(svg('polyline', { class: 'chart-line', 'data-testid': 'chart-line', points: line.join(' ') }));
    const labelIdx = points.length === 1 ? [0]
      : W < 480 ? [0, points.length - 1] : [0, Math.floor((points.length - 1) / 2), points.length - 1];
    for (const i of new Set(labelIdx)) {
      const x = pad.l + slot * i + slot / 2;
      const anchor = i === 0 && points.length > 1 ? 'start' : i === points.length - 1 && points.length > 1 ? 'end' : 'middle';
      nodes.push(svg('text', { class: 'chart-label', x, y: H - 6, 'text-anchor': anchor }, fmtClock(points[i].at)));
    }
    chart.replaceChildren(...nodes);
    const peak = Math.max(...points.map((p) => p.n));
    $('chart-desc').textContent =
      `${running} provisioned from ${fmtTime(points[0].at.toISOString())} to ${fmtTime(points[points.length - 1].at.toISOString())}; ` +
      `peak ${peak} per interval. Bars: per interval (left axis); line: running total (right axis).`;
  }

  function fmtClock(d) {
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: d.getSeconds() ? '2-digit' : undefined, hour12: false });
  }

  function fmtCount(v) {
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }

  // ====================================================================================
  // Device details dialog.
  // ====================================================================================
  let detailMac = null;
  let detailTimer = 0;

  async function openDetail(mac) {
    detailMac = mac;
    const dialog = $('device-detail');
    $('detail-title').textContent = macColon(mac);
    $('detail-error').hidden = true;
    $('detail-served').hidden = true;
    resetConfirm($('detail-delete'));
    if (!dialog.open) dialog.showModal();
    await renderDetail();
  }

  function refreshDetailSoon() {
    if (!detailTimer) detailTimer = setTimeout(() => { detailTimer = 0; if ($('device-detail').open) renderDetail(); }, 500);
  }

  async function renderDetail() {
    const mac = detailMac;
    let d;
    try {
      d = await api(`devices/${encodeURIComponent(mac)}`);
    } catch (err) {
      $('detail-error').textContent = `Could not load the device: ${errorText(err)}`;
      $('detail-error').hidden = false;
      return;
    }
    if (mac !== detailMac || !d) return;
    const fields = [
      ['MAC', macColon(d.mac)], ['Vendor', d.vendor], ['Model', d.model], ['Firmware', d.firmware],
      ['User-Agent', d.userAgent], ['Last IP', d.lastIp], ['First seen', fmtDateTime(d.firstSeen)],
      ['Last seen', fmtDateTime(d.lastSeen)], ['State', badge(d.state)], ['Admission', d.admission],
      ['Settings URL', d.notifyUrl],
    ];
    $('detail-fields').replaceChildren(...fields.filter(([, v]) => v !== undefined && v !== null && v !== '')
      .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { 'data-field': k }, v)]));

    $('detail-admission').hidden = !['quarantined', 'pending'].includes(d.admission);

    const s = d.steps || {};
    const steps = [
      ['SUBSCRIBE seen', s.subscribeSeen], ['200 OK sent', s.answered], ['NOTIFY sent', s.notifySent],
    ];
    const t0 = s.subscribeSeen;
    const stepNodes = steps.map(([label, at]) => stepItem(label, at, at ? 'done' : '', t0));
    if (s.failed) stepNodes.push(stepItem(`Failed: ${s.failureReason || 'no reason given'}`, s.failed, 'failed', t0));
    else stepNodes.push(stepItem('NOTIFY acknowledged', s.notifyAcked, s.notifyAcked ? 'done' : '', t0));
    stepNodes.push(stepItem('Settings downloaded', s.settingsDownloaded, s.settingsDownloaded ? 'done' : '', t0));
    $('detail-steps').replaceChildren(...stepNodes);

    const downloads = Array.isArray(d.downloads) ? d.downloads : [];
    const present = new Set(downloads.flatMap((x) => Object.keys(x || {})));
    // Known columns in reading order (what was asked, what was answered, what was served), then any others.
    const columns = [...DOWNLOAD_ORDER.filter((c) => present.has(c)), ...[...present].filter((c) => !DOWNLOAD_ORDER.includes(c))];
    $('detail-downloads-head').replaceChildren(...columns.map((c) => el('th', { scope: 'col', text: DOWNLOAD_LABELS[c] || c })));
    $('detail-downloads-body').replaceChildren(...downloads.map((x) => el('tr', {
      'data-testid': 'download-row', 'data-method': x.method || '', 'data-status': x.status ?? '',
    }, ...columns.map((c) => c === 'settings' ? servedCell(x.settings)
      : el('td', { class: c === 'at' || /time|date/i.test(c) ? 'time' : '', text: formatValue(c, x[c]) })))));
    $('detail-downloads').hidden = downloads.length === 0;
    $('detail-downloads-empty').hidden = downloads.length > 0;

    const vars = Object.entries(d.variables || {}).sort(([a], [b]) => a.localeCompare(b));
    $('detail-variables-body').replaceChildren(...vars.map(([k, v]) =>
      el('tr', { 'data-testid': 'variable-row' }, el('td', { class: 'mono', text: k }),
        el('td', { class: 'mono', text: /pass|secret/i.test(k) ? '••••••' : String(v) }))));
    $('detail-variables').hidden = vars.length === 0;
    $('detail-variables-empty').hidden = vars.length > 0;
  }

  const DOWNLOAD_LABELS = {
    at: 'When', method: 'Method', sourceIp: 'Source IP', status: 'Status', settings: 'Settings served', bytes: 'Bytes',
    eTag: 'ETag', etag: 'ETag', path: 'Path',
  };
  const DOWNLOAD_ORDER = ['at', 'method', 'status', 'settings', 'bytes', 'sourceIp', 'etag', 'eTag', 'path'];

  // "model snom-d735 v3": which document version a download was rendered from.
  function servedLabel(src) {
    const key = src.scope === 'mac' ? macColon(src.key) : src.key;
    return `${src.scope}${key ? ` ${key}` : ''} v${src.version}`;
  }

  function servedCell(src) {
    if (!src || !src.scope) return el('td', { text: '' });
    const button = el('button', {
      type: 'button', class: 'btn btn-link', 'data-testid': 'download-settings',
      'data-scope': src.scope, 'data-key': src.key || '', 'data-version': src.version,
      title: 'Show this version as stored', text: servedLabel(src),
    });
    button.addEventListener('click', () => showServed(src));
    return el('td', {}, button);
  }

  // The exact version a phone got, as stored (the template before it was rendered for the phone).
  async function showServed(src) {
    const mac = detailMac;
    try {
      const xml = await api(`${scopePath(src.scope, src.key || '')}/versions/${encodeURIComponent(src.version)}`,
        { accept: 'application/xml, text/xml, */*' });
      if (mac !== detailMac) return;
      $('detail-served-title').textContent =
        `${describeDoc(src.scope, src.key || '')} version ${src.version}, as stored (before the phone's values were filled in):`;
      $('detail-served-content').textContent = typeof xml === 'string' ? xml : JSON.stringify(xml, null, 2);
      $('detail-served').hidden = false;
    } catch (err) {
      $('detail-error').textContent = `Could not load ${servedLabel(src)}: ${errorText(err)}`;
      $('detail-error').hidden = false;
    }
  }

  function formatValue(column, value) {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) return fmtDateTime(value);
    if (/bytes/i.test(column)) return fmtBytes(value);
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  function stepItem(label, at, cls, t0) {
    const offset = at && t0 && at !== t0 ? ` (${fmtOffset(t0, at)})` : '';
    return el('li', { class: cls, 'data-testid': 'detail-step' }, label,
      el('span', { class: 'when', title: at || undefined, text: at ? fmtDateTime(at) + offset : '—' }));
  }

  async function admission(action) {
    try {
      await api(`devices/${encodeURIComponent(detailMac)}/${action}`, { method: 'POST' });
      toast(action === 'approve' ? 'Device approved.' : 'Device denied.');
      await renderDetail();
      loadDevices();
    } catch (err) {
      $('detail-error').textContent = `${action} failed: ${errorText(err)}`;
      $('detail-error').hidden = false;
    }
  }

  function initDetail() {
    const dialog = $('device-detail');
    $('detail-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      const mac = detailMac;
      detailMac = null;
      // Give keyboard users their place back in the table.
      if (mac && rows.get(mac)) rows.get(mac).focus();
    });
    // Clicking the backdrop closes the dialog like Escape does.
    dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
    $('detail-approve').addEventListener('click', () => admission('approve'));
    $('detail-deny').addEventListener('click', () => admission('deny'));
    $('detail-resync').addEventListener('click', async () => {
      const mac = detailMac;
      try {
        const reboot = $('detail-resync-reboot').checked;
        await api(`devices/${encodeURIComponent(mac)}/resync?reboot=${reboot}`, { method: 'POST' });
        toast(`Check-sync${reboot ? ' with reboot' : ''} queued for ${macColon(mac)}.`);
      } catch (err) {
        $('detail-error').textContent = `Resync failed: ${errorText(err)}`;
        $('detail-error').hidden = false;
      }
    });
    $('detail-preview').addEventListener('click', () => {
      const mac = detailMac;
      dialog.close();
      location.hash = '#settings';
      $('preview-mac').value = macColon(mac);
      // The device's own model and vendor apply: clear what an earlier preview asked for.
      $('preview-model').value = '';
      $('preview-vendor').value = '';
      runPreview();
    });
    confirmButton($('detail-delete'), 'Really delete?', async () => {
      const mac = detailMac;
      try {
        await api(`devices/${encodeURIComponent(mac)}`, { method: 'DELETE' });
        dialog.close();
        removeDeviceRow(mac);
        toast(`Device ${macColon(mac)} deleted.`);
        refreshStats();
      } catch (err) {
        $('detail-error').textContent = `Delete failed: ${errorText(err)}`;
        $('detail-error').hidden = false;
      }
    });
  }

  // ====================================================================================
  // Settings: upload (Browse + Load), documents, history, diff, preview.
  // ====================================================================================
  const KEY_FIELD = {
    vendor: { label: 'Vendor', placeholder: 'snom', list: 'vendor-options' },
    model: { label: 'Model', placeholder: 'snom360' },
    mac: { label: 'MAC address', placeholder: '00:04:13:25:c4:3a' },
  };

  function scopePath(scope, key) {
    if (scope === 'general') return 'settings/general';
    return `settings/${scope}/${encodeURIComponent(scope === 'mac' ? normalizeMac(key) || key : key)}`;
  }

  function describeDoc(scope, key) {
    if (scope === 'general') return 'the general document';
    return `the ${scope} document ${scope === 'mac' ? macColon(key) : key}`;
  }

  function onScopeChange() {
    const scope = $('settings-scope').value;
    const cfg = KEY_FIELD[scope];
    $('settings-key-field').hidden = !cfg;
    const key = $('settings-key');
    key.removeAttribute('aria-invalid');
    if (cfg) {
      $('settings-key-label').textContent = cfg.label;
      key.placeholder = cfg.placeholder;
      if (cfg.list) key.setAttribute('list', cfg.list); else key.removeAttribute('list');
    }
  }

  function showSettingsResult(...children) {
    const box = $('settings-result');
    box.replaceChildren(...children);
    box.hidden = false;
  }

  async function uploadSettings(e) {
    e.preventDefault();
    const scope = $('settings-scope').value;
    const keyInput = $('settings-key');
    let key = keyInput.value.trim();
    const file = $('settings-file').files[0];
    keyInput.removeAttribute('aria-invalid');
    if (scope !== 'general') {
      if (!key) {
        keyInput.setAttribute('aria-invalid', 'true');
        keyInput.focus();
        showSettingsResult(el('p', { class: 'error', 'data-testid': 'settings-error' }, `Enter the ${KEY_FIELD[scope].label.toLowerCase()} this file is for.`));
        return;
      }
      if (scope === 'mac') {
        const mac = normalizeMac(key);
        if (!mac) {
          keyInput.setAttribute('aria-invalid', 'true');
          keyInput.focus();
          showSettingsResult(el('p', { class: 'error', 'data-testid': 'settings-error' }, `"${key}" is not a MAC address (12 hex digits).`));
          return;
        }
        key = mac;
      }
    }
    if (!file) {
      showSettingsResult(el('p', { class: 'error', 'data-testid': 'settings-error' }, 'Choose an XML file with Browse… first.'));
      $('settings-file').focus();
      return;
    }
    const author = $('settings-author').value.trim();
    const path = scopePath(scope, key) + (author ? `?author=${encodeURIComponent(author)}` : '');
    const button = $('settings-load');
    button.disabled = true;
    button.textContent = 'Loading…';
    try {
      const r = await api(path, { method: 'PUT', body: file, contentType: 'application/xml' });
      const again = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'settings-again' }, 'Load another file');
      again.addEventListener('click', () => {
        $('settings-form').reset();
        $('settings-file-name').textContent = 'no file chosen';
        onScopeChange();
        $('settings-result').hidden = true;
        $('settings-file').focus();
      });
      const version = r && r.version !== undefined ? ` version ${r.version}` : '';
      showSettingsResult(
        el('p', { class: 'ok', 'data-testid': 'settings-ok' },
          `✓ ${file.name} is well-formed and was loaded as ${describeDoc(scope, key)}${version}.`),
        r ? el('p', { class: 'small muted' }, `${fmtBytes(r.sizeBytes)} · SHA-256 ${r.sha256 || ''}`) : null,
        again);
      await loadDocuments();
      if (historyDoc && historyDoc.scope === scope && historyDoc.key === (scope === 'general' ? '' : key)) await openHistory(scope, historyDoc.key);
    } catch (err) {
      showUploadError(file, err);
    } finally {
      button.disabled = false;
      button.textContent = 'Load';
    }
  }

  function showUploadError(file, err) {
    const problem = err instanceof ApiError ? err.problem : {};
    const errors = Array.isArray(problem.errors) ? problem.errors : [];
    const nodes = [el('p', { class: 'error' }, el('strong', {}, `${file.name} was not loaded`),
      `: ${errors.length ? (problem.detail || problem.title || 'the file is not well-formed XML.') : errorText(err)}`)];
    if (errors.length) {
      nodes.push(el('ul', { class: 'error-list', id: 'settings-errors', 'data-testid': 'settings-errors' },
        ...errors.map((x) => el('li', { 'data-testid': 'settings-error', 'data-line': x.line, 'data-column': x.column },
          el('span', { class: 'pos' }, `Line ${x.line}, column ${x.column}`), `: ${x.message}`))));
    } else if (problem.errors && typeof problem.errors === 'object') {
      // ASP.NET validation problems carry { field: [messages] }.
      nodes.push(el('ul', { class: 'error-list', 'data-testid': 'settings-errors' },
        ...Object.entries(problem.errors).map(([k, v]) => el('li', { 'data-testid': 'settings-error' }, `${k}: ${[].concat(v).join(' ')}`))));
    }
    showSettingsResult(...nodes);
  }

  async function loadDocuments() {
    try {
      const list = (await api('settings')) || [];
      // The list may hold one entry per document or one per version: keep the newest of each.
      const latest = new Map();
      for (const doc of list) {
        const id = `${doc.scope}/${doc.key || ''}`;
        const seen = latest.get(id);
        if (!seen || Number(doc.version) > Number(seen.version)) latest.set(id, doc);
      }
      const docs = [...latest.values()].sort((a, b) =>
        (SCOPE_ORDER[a.scope] ?? 9) - (SCOPE_ORDER[b.scope] ?? 9) || String(a.key || '').localeCompare(String(b.key || '')));
      $('settings-docs-body').replaceChildren(...docs.map((doc) => {
        const key = doc.key || '';
        const history = el('button', { type: 'button', class: 'btn btn-link', 'data-testid': 'doc-history',
          'aria-label': `History of ${describeDoc(doc.scope, key)}` }, 'History');
        history.addEventListener('click', () => openHistory(doc.scope, key));
        return el('tr', { 'data-testid': 'settings-doc-row', dataset: { scope: doc.scope, key } },
          el('td', {}, el('span', { class: 'badge', text: doc.scope })),
          el('td', { class: 'mono', text: doc.scope === 'mac' ? macColon(key) : key || '—' }),
          el('td', { 'data-testid': 'doc-version', text: `v${doc.version}` }),
          el('td', { text: doc.author || '' }),
          el('td', { class: 'time', title: doc.createdAt, text: fmtDateTime(doc.createdAt) }),
          el('td', { text: fmtBytes(doc.sizeBytes) }),
          el('td', { class: 'mono', title: doc.sha256, text: (doc.sha256 || '').slice(0, 12) }),
          el('td', {}, history));
      }));
      $('settings-docs-empty').hidden = docs.length > 0;
    } catch (err) {
      $('settings-docs-empty').textContent = `Could not load the documents: ${errorText(err)}`;
      $('settings-docs-empty').hidden = false;
    }
  }

  let historyDoc = null;

  async function openHistory(scope, key) {
    historyDoc = { scope, key };
    const panel = $('history-panel');
    panel.hidden = false;
    $('history-title').textContent = `History of ${describeDoc(scope, key)}`;
    $('history-output').hidden = true;
    resetConfirm($('history-delete'));
    for (const tr of $('settings-docs-body').children) {
      tr.classList.toggle('selected', tr.dataset.scope === scope && tr.dataset.key === key);
    }
    const base = scopePath(scope, key);
    let versions;
    try {
      versions = (await api(`${base}/versions`)) || [];
    } catch (err) {
      $('history-body').replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'error', text: errorText(err) })));
      return;
    }
    versions.sort((a, b) => Number(b.version) - Number(a.version));
    $('history-body').replaceChildren(...versions.map((v) => {
      const view = el('button', { type: 'button', class: 'btn btn-link', 'data-testid': 'version-view',
        'aria-label': `View version ${v.version}` }, 'View');
      view.addEventListener('click', () => viewVersion(base, v.version));
      return el('tr', { 'data-testid': 'version-row', dataset: { version: v.version } },
        el('td', { text: `v${v.version}` }),
        el('td', { text: v.author || '' }),
        el('td', { class: 'time', title: v.createdAt, text: fmtDateTime(v.createdAt) }),
        el('td', { text: fmtBytes(v.sizeBytes) }),
        el('td', { class: 'mono', title: v.sha256, text: (v.sha256 || '').slice(0, 12) }),
        el('td', {}, view));
    }));
    const options = () => versions.map((v) => el('option', { value: v.version, text: `v${v.version}` }));
    $('diff-from').replaceChildren(...options());
    $('diff-to').replaceChildren(...options());
    if (versions.length > 0) {
      $('diff-to').value = String(versions[0].version);
      $('diff-from').value = String(versions[Math.min(1, versions.length - 1)].version);
    }
    $('diff-go').disabled = versions.length < 2;
    panel.scrollIntoView({ block: 'nearest' });
  }

  async function viewVersion(base, version) {
    try {
      const xml = await api(`${base}/versions/${version}`, { accept: 'application/xml, text/xml, */*' });
      $('history-output-title').textContent = `Version ${version}`;
      $('settings-diff').replaceChildren(document.createTextNode(typeof xml === 'string' ? xml : JSON.stringify(xml, null, 2)));
      $('settings-diff').classList.remove('diff');
      $('history-output').hidden = false;
    } catch (err) {
      toast(`Could not load version ${version}: ${errorText(err)}`);
    }
  }

  async function showDiff(e) {
    e.preventDefault();
    if (!historyDoc) return;
    const from = $('diff-from').value;
    const to = $('diff-to').value;
    try {
      const diff = await api(`${scopePath(historyDoc.scope, historyDoc.key)}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      const lines = (diff && diff.lines) || [];
      const cls = { '+': 'diff-add', '-': 'diff-del' };
      const added = lines.filter((l) => l.op === '+').length;
      const removed = lines.filter((l) => l.op === '-').length;
      $('history-output-title').textContent = `Changes from v${from} to v${to}: ${added} added, ${removed} removed`;
      const pre = $('settings-diff');
      pre.classList.add('diff');
      pre.replaceChildren(...lines.map((l) => el('span', {
        class: cls[l.op] || 'diff-same', 'data-testid': 'diff-line', 'data-op': (l.op || ' ').trim() || '=',
      }, l.text === '' ? ' ' : l.text)));
      if (lines.length === 0) pre.textContent = 'The two versions are identical.';
      $('history-output').hidden = false;
    } catch (err) {
      toast(`Could not compute the diff: ${errorText(err)}`);
    }
  }

  async function runPreview(e) {
    if (e) e.preventDefault();
    const input = $('preview-mac');
    const mac = normalizeMac(input.value);
    const box = $('preview-result');
    box.hidden = false;
    if (!mac) {
      input.setAttribute('aria-invalid', 'true');
      $('preview-source').className = 'error';
      $('preview-source').textContent = 'Enter a MAC address (12 hex digits, separators allowed).';
      $('preview-content').hidden = true;
      return;
    }
    input.removeAttribute('aria-invalid');
    const as = new URLSearchParams();
    const model = $('preview-model').value.trim();
    const vendor = $('preview-vendor').value.trim();
    if (model) as.set('model', model);
    if (vendor) as.set('vendor', vendor);
    const query = as.toString();
    try {
      const r = await api(`preview/${mac}${query ? `?${query}` : ''}`);
      const src = r.source || {};
      $('preview-source').className = 'small';
      $('preview-source').textContent =
        `${macColon(r.mac || mac)}${model || vendor ? ` as ${[vendor, model].filter(Boolean).join(' ')}` : ''} downloads ${describeDoc(src.scope, src.key || '')}` +
        `${src.version !== undefined ? ` version ${src.version}` : ''}, rendered for it:`;
      $('preview-content').textContent = r.content || '';
      $('preview-content').hidden = false;
    } catch (err) {
      $('preview-source').className = 'error';
      $('preview-source').textContent = `No settings for ${macColon(mac)}: ${errorText(err)}`;
      $('preview-content').hidden = true;
    }
  }

  function initSettings() {
    const list = el('datalist', { id: 'vendor-options' }, ...KNOWN_VENDORS.map((v) => el('option', { value: v })));
    document.body.append(list);
    $('settings-scope').addEventListener('change', onScopeChange);
    $('settings-file').addEventListener('change', () => {
      const f = $('settings-file').files[0];
      $('settings-file-name').textContent = f ? `${f.name} (${fmtBytes(f.size)})` : 'no file chosen';
    });
    $('settings-form').addEventListener('submit', uploadSettings);
    $('settings-refresh').addEventListener('click', loadDocuments);
    $('diff-form').addEventListener('submit', showDiff);
    $('preview-form').addEventListener('submit', runPreview);
    confirmButton($('history-delete'), 'Really delete?', async () => {
      if (!historyDoc) return;
      try {
        await api(scopePath(historyDoc.scope, historyDoc.key), { method: 'DELETE' });
        toast(`Deleted ${describeDoc(historyDoc.scope, historyDoc.key)}.`);
        historyDoc = null;
        $('history-panel').hidden = true;
        await loadDocuments();
      } catch (err) {
        toast(`Delete failed: ${errorText(err)}`);
      }
    });
    onScopeChange();
  }

  // ====================================================================================
  // Bulk: CSV import with a per-row report, CSV export, simulated boot of the imported phones.
  // ====================================================================================
  async function importCsv(e) {
    e.preventDefault();
    const file = $('import-file').files[0];
    const result = $('import-result');
    const summary = $('import-summary');
    if (!file) {
      result.hidden = false;
      summary.className = 'error';
      summary.textContent = 'Choose a CSV file with Browse… first.';
      $('import-report-body').replaceChildren();
      return;
    }
    const button = $('import-go');
    button.disabled = true;
    button.textContent = 'Importing…';
    try {
      const mode = $('import-replace').checked ? '?mode=replace' : '';
      const r = await api(`variables/import${mode}`, { method: 'POST', body: file, contentType: 'text/csv' });
      const rowsIn = (r && r.rows) || [];
      summary.className = r.rejected > 0 ? 'warn-text' : 'ok-text';
      summary.textContent = `${file.name}: ${r.accepted} accepted, ${r.rejected} rejected.`;
      $('import-report-body').replaceChildren(...rowsIn.map((row) => el('tr', {
        'data-testid': 'import-row', dataset: { status: row.status, line: row.line },
      },
      el('td', { text: row.line }),
      el('td', { class: 'mono', text: row.mac ? macColon(normalizeMac(row.mac) || row.mac) : '' }),
      el('td', { class: `status-${row.status}`, text: row.status }),
      el('td', { text: row.error || '' }))));
      applyImportFilter();
      loadDevices();
    } catch (err) {
      summary.className = 'error';
      summary.textContent = `${file.name} was not imported: ${errorText(err)}`;
      $('import-report-body').replaceChildren();
    } finally {
      result.hidden = false;
      button.disabled = false;
      button.textContent = 'Import';
    }
  }

  function applyImportFilter() {
    const only = $('import-only-rejected').checked;
    for (const tr of $('import-report-body').children) tr.hidden = only && tr.dataset.status !== 'rejected';
  }

  async function exportCsv(e) {
    // A plain link works with no auth or Basic auth; a bearer token needs fetch.
    if (!sessionStorage.getItem(TOKEN_KEY)) return;
    e.preventDefault();
    try {
      const res = await api('variables/export', { accept: 'text/csv', raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: 'variables.csv' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      toast(`Export failed: ${errorText(err)}`);
    }
  }

  // Simulated boot of the imported phones (POST /api/simulations), polled while it runs.
  let simPoll = 0;

  function showSimMessage(text, cls = '') {
    const m = $('simboot-message');
    m.className = cls;
    m.textContent = text;
  }

  function renderSimulation(b) {
    const status = $('simboot-status');
    if (!b) { status.hidden = true; return; }
    status.hidden = false;
    const running = b.state === 'running' || b.state === 'stopping';
    const bar = $('simboot-progress');
    bar.setAttribute('aria-valuemax', String(b.phones));
    bar.setAttribute('aria-valuenow', String(b.provisioned));
    bar.dataset.state = b.state;
    $('simboot-progress-fill').style.width = b.phones ? `${(100 * b.finished / b.phones).toFixed(1)}%` : '0%';
    const steps = `booted ${b.booted}, answered ${b.answered}, notified ${b.notified}, downloaded ${b.downloaded}`;
    $('simboot-progress-text').textContent = running
      ? `${b.provisioned} of ${b.phones} provisioned (${steps}) — ${b.state}`
      : `${b.provisioned} of ${b.phones} provisioned — ${b.state}`;
    const note = $('simboot-note');
    note.hidden = !b.rateNote;
    note.textContent = b.rateNote ? `${b.rate} phones/s. ${b.rateNote}` : '';
    const summary = $('simboot-summary');
    if (b.summary) {
      const outcomes = Object.entries(b.summary.outcomes).map(([k, v]) => `${k} ${v}`).join(', ');
      const vendors = Object.entries(b.summary.byVendor).map(([k, v]) => `${k} ${v.provisioned}/${v.phones}`).join(', ');
      summary.textContent = `Outcomes: ${outcomes}. By vendor: ${vendors}. Took ${b.summary.durationSeconds.toFixed(1)} s.`;
      summary.className = b.summary.provisioned === b.summary.phones ? 'small ok-text' : 'small warn-text';
      summary.hidden = false;
    } else if (b.failure) {
      summary.textContent = `Failed: ${b.failure}`;
      summary.className = 'small error';
      summary.hidden = false;
    } else {
      summary.hidden = true;
    }
    // "Booting N phones…" was true when it started; the bar and summary say how it ended.
    if (!running && $('simboot-message').className === 'ok-text') showSimMessage('');
    $('simboot-stop').hidden = b.state !== 'running';
    $('simboot-go').disabled = running || $('simboot-go').dataset.unavailable === 'true';
  }

  async function pollSimulation() {
    clearTimeout(simPoll);
    try {
      const b = await api('simulations/current');
      renderSimulation(b);
      if (b && (b.state === 'running' || b.state === 'stopping')) simPoll = setTimeout(pollSimulation, 500);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) renderSimulation(null);
      else simPoll = setTimeout(pollSimulation, 2000);
    }
  }

  async function startSimulation() {
    const rateInput = $('simboot-rate');
    const rate = Number(rateInput.value);
    if (!Number.isInteger(rate) || rate < 1 || rate > 1000) {
      showSimMessage('Phones per second must be a whole number from 1 to 1000.', 'error');
      rateInput.focus();
      return;
    }
    const go = $('simboot-go');
    go.disabled = true;
    try {
      const b = await api('simulations', { method: 'POST', body: JSON.stringify({ rate }), contentType: 'application/json' });
      showSimMessage(`Booting ${b.phones} simulated phones at ${b.rate}/s — watch them in Devices.`, 'ok-text');
      renderSimulation(b);
      simPoll = setTimeout(pollSimulation, 300);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 503)) go.dataset.unavailable = 'true';
      showSimMessage(`Not started: ${errorText(err)}`, 'error');
      go.disabled = go.dataset.unavailable === 'true';
    }
  }

  async function stopSimulation() {
    try {
      renderSimulation(await api('simulations/current', { method: 'DELETE' }));
      pollSimulation();
    } catch (err) {
      showSimMessage(`Not stopped: ${errorText(err)}`, 'error');
    }
  }

  function initBulk() {
    $('import-file').addEventListener('change', () => {
      const f = $('import-file').files[0];
      $('import-file-name').textContent = f ? `${f.name} (${fmtBytes(f.size)})` : 'no file chosen';
    });
    $('import-form').addEventListener('submit', importCsv);
    $('import-only-rejected').addEventListener('change', applyImportFilter);
    $('variables-export').addEventListener('click', exportCsv);
    confirmButton($('simboot-go'), 'Click again to boot them', startSimulation);
    $('simboot-stop').addEventListener('click', stopSimulation);
    $('simboot-form').addEventListener('submit', (e) => e.preventDefault());
    pollSimulation();
  }

  // ====================================================================================
  // Live updates (Server-Sent Events). The browser reconnects by itself; after a gap we
  // reload the table since events sent while disconnected are not replayed.
  // ====================================================================================
  let events = null;
  let everOpened = false;

  function setLive(state, text) {
    const s = $('live-status');
    s.dataset.state = state;
    s.textContent = text;
  }

  function connectEvents() {
    if (!window.EventSource) { setLive('down', 'no live updates in this browser'); return; }
    events = new EventSource(eventsUrl());
    events.addEventListener('open', () => {
      setLive('live', 'live');
      if (everOpened) { loadDevices(); refreshStats(); }
      everOpened = true;
    });
    events.addEventListener('device', (e) => {
      try { queueDevice(JSON.parse(e.data)); } catch { /* a malformed event must not stop the stream */ }
    });
    events.addEventListener('removed', (e) => {
      try { removeDeviceRow(JSON.parse(e.data).mac); } catch { /* ignore */ }
    });
    events.addEventListener('stats', (e) => {
      try { renderStats(JSON.parse(e.data)); } catch { /* ignore */ }
    });
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) {
        setLive('down', 'disconnected — retrying');
        setTimeout(connectEvents, 5000);
      } else {
        setLive('connecting', 'reconnecting…');
      }
    });
  }

  function init() {
    initTabs();
    initDevices();
    initDetail();
    initSettings();
    initBulk();
    loadDevices();
    refreshStats();
    connectEvents();
    if (window.ResizeObserver) new ResizeObserver(debounce(drawChart, 100)).observe($('timeline-chart'));
  }

  init();
})();
