// The operator console page. Vanilla JS, no build step.
//
// Data flow: open the SSE channel /events/fleet first (buffering its deltas), load
// /api/snapshot (rev R), then apply every delta with rev > R. Deltas arrive in batches
// (one per ~200 ms from the server) and are applied to plain maps; the screen is redrawn
// at most once per animation frame, and only the parts that changed:
// - the fleet list is virtualised: only the rows in view exist in the DOM;
// - new events are prepended to the stream (DOM capped), never a full re-render;
// - the station detail is refetched (throttled) only when that station changed.
'use strict';
(() => {
  const I18N = window.CONSOLE_I18N;
  const $ = (id) => document.getElementById(id);
  const ROW_H = 28;
  const MAX_EVENT_ROWS = 200;
  const MAX_ALARM_ROWS = 300;

  // ---- state -------------------------------------------------------------------------------
  const state = {
    lang:
      localStorage.getItem('console.lang') || (navigator.language.startsWith('ja') ? 'ja' : 'en'),
    rev: -1,
    clockOffset: 0, // server now - Date.now()
    info: null,
    stations: new Map(), // id -> summary
    alarms: new Map(), // id -> alarm
    events: [], // newest last, bounded
    eventIds: new Set(),
    actions: new Map(), // commandId -> record
    approvals: new Map(), // approval id -> request
    session: null, // { user, role, csrf }
    selected: null,
    detail: null, // { station, alarms, events, actions }
    filtered: [], // station ids in the fleet list
    brokerUp: false,
    firstRenderDone: false,
  };
  const params = new URLSearchParams(location.search);
  if (params.get('lang') === 'ja' || params.get('lang') === 'en') state.lang = params.get('lang');

  const t = (key, vars) => {
    let s = I18N[state.lang][key] ?? I18N.en[key];
    if (s === undefined) s = key.includes('.') ? key.slice(key.indexOf('.') + 1) : key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, v);
    return s;
  };
  const esc = (v) =>
    String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  const serverNow = () => Date.now() + state.clockOffset;
  const age = (sec) => {
    if (sec === null || sec === undefined || !Number.isFinite(sec)) return '—';
    sec = Math.max(0, Math.round(sec));
    if (sec < 120) return `${sec}s`;
    if (sec < 3600) return `${Math.floor(sec / 60)}m`;
    if (sec < 172800) return `${Math.floor(sec / 3600)}h`;
    return `${Math.floor(sec / 86400)}d`;
  };
  const hbAge = (s) => (s.lastHeartbeatAt ? (serverNow() - s.lastHeartbeatAt) / 1000 : null);
  const fmtTime = (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString(state.lang === 'ja' ? 'ja-JP' : 'en-GB', {
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  };

  // ---- scheduling --------------------------------------------------------------------------
  const dirty = {
    fleet: false,
    filter: false,
    alarms: false,
    counts: false,
    detail: false,
    actions: false,
    approvals: false,
  };
  let frame = 0;
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };
  const mark = (...parts) => {
    for (const p of parts) dirty[p] = true;
    schedule();
  };

  // ---- language ----------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-placeholder]'))
      el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const b of document.querySelectorAll('[data-lang]'))
      b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
    updateBroker();
    fillKinds();
    lastFormSig = '';
    mark('filter', 'fleet', 'alarms', 'counts', 'detail', 'actions', 'approvals');
    rebuildEvents();
    if (source) loadChartsSoon();
  }

  // ---- fleet list (virtualised) ------------------------------------------------------------
  const fleetList = $('fleet-list');
  const spacer = fleetList.querySelector('.vspacer');
  const rows = fleetList.querySelector('.vrows');
  const areas = new Set();

  function matches(s, q, area, presence) {
    if (area && s.area !== area) return false;
    if (presence === 'online' && s.presence !== 'online') return false;
    if (presence === 'down' && s.presence !== 'offline' && s.presence !== 'silent') return false;
    if (presence === 'alarm' && s.alarms === 0) return false;
    if (q && !s.id.includes(q) && !s.area.toLowerCase().includes(q)) return false;
    return true;
  }

  function refilter() {
    const q = $('fleet-search').value.trim().toLowerCase();
    const area = $('fleet-area').value;
    const presence = $('fleet-presence').value;
    const out = [];
    for (const s of state.stations.values()) if (matches(s, q, area, presence)) out.push(s.id);
    if ($('fleet-sort').value === 'problems') {
      const rank = (s) =>
        s.presence === 'offline' || s.presence === 'silent'
          ? 0
          : s.alarms
            ? s.severity === 'critical'
              ? 1
              : 2
            : 3;
      out.sort((a, b) => {
        const sa = state.stations.get(a);
        const sb = state.stations.get(b);
        return rank(sa) - rank(sb) || (a < b ? -1 : a > b ? 1 : 0);
      });
    } else out.sort();
    state.filtered = out;
    spacer.style.height = `${out.length * ROW_H}px`;
    $('fleet-foot').textContent =
      `${t('shown', { n: out.length })} / ${t('total', { n: state.stations.size })}`;
  }

  function fleetRow(s) {
    const hb = hbAge(s);
    const crl = s.crlAgeSec;
    const sev = s.severity || '';
    return (
      `<div class="row st${s.id === state.selected ? ' sel' : ''}" data-station="${esc(s.id)}" data-presence="${s.presence}">` +
      `<span class="dot" data-presence="${s.presence}" title="${esc(t('presence.' + s.presence))}"></span>` +
      `<span class="id">${esc(s.id)}</span>` +
      `<span class="muted">${esc(s.area)}</span>` +
      `<span class="hb${hb !== null && state.info && hb > state.info.heartbeatSec ? ' late' : ''}">${age(hb)}</span>` +
      `<span>${esc(s.version ?? '—')}</span>` +
      `<span class="${s.crlStale ? 'bad' : ''}">${age(crl)}</span>` +
      `<span class="${s.outboxDepth > 0 ? 'warn' : ''}">${s.outboxDepth ?? '—'}</span>` +
      `<span class="alarmcell" data-sev="${sev}">${s.alarms ? `${s.alarms}${s.unacked ? '!' : ''}` : ''}</span>` +
      `</div>`
    );
  }

  function renderFleet() {
    const top = fleetList.scrollTop;
    const height = fleetList.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - 5);
    const last = Math.min(state.filtered.length, Math.ceil((top + height) / ROW_H) + 5);
    let html = '';
    for (let i = first; i < last; i++) {
      const s = state.stations.get(state.filtered[i]);
      if (s) html += fleetRow(s);
    }
    rows.style.transform = `translateY(${first * ROW_H}px)`;
    rows.innerHTML = html;
    fleetList.dataset.total = String(state.stations.size);
    fleetList.dataset.rendered = String(last - first);
  }

  fleetList.addEventListener('scroll', () => mark('fleet'), { passive: true });
  fleetList.addEventListener('click', (e) => {
    const row = e.target.closest('[data-station]');
    if (row) select(row.dataset.station);
  });
  for (const id of ['fleet-search', 'fleet-area', 'fleet-presence', 'fleet-sort'])
    $(id).addEventListener('input', () => mark('filter', 'fleet'));

  function renderCounts() {
    let online = 0,
      silent = 0,
      offline = 0,
      alarmed = 0;
    for (const s of state.stations.values()) {
      if (s.presence === 'online') online++;
      else if (s.presence === 'silent') silent++;
      else if (s.presence === 'offline') offline++;
      if (s.alarms) alarmed++;
    }
    $('counts').innerHTML =
      `<span>${esc(t('total', { n: state.stations.size }))}</span>` +
      `<span class="c-online" data-count="online">${esc(t('presence.online'))} ${online}</span>` +
      `<span class="c-silent" data-count="silent">${esc(t('presence.silent'))} ${silent}</span>` +
      `<span class="c-offline" data-count="offline">${esc(t('presence.offline'))} ${offline}</span>` +
      `<span class="c-alarm" data-count="alarmed">${esc(t('withAlarms'))} ${alarmed}</span>`;
  }

  function updateAreas(s) {
    if (!s.area || areas.has(s.area)) return;
    areas.add(s.area);
    const sel = $('fleet-area');
    const opt = document.createElement('option');
    opt.value = opt.textContent = s.area;
    const after = [...sel.options].slice(1).find((o) => o.value > s.area);
    sel.insertBefore(opt, after ?? null);
  }

  // ---- alarms ------------------------------------------------------------------------------
  function renderAlarms() {
    const activeOnly = $('alarm-active').checked;
    const unackedOnly = $('alarm-unacked').checked;
    const list = [];
    let active = 0;
    for (const a of state.alarms.values()) {
      if (a.active) active++;
      if (activeOnly && !a.active) continue;
      if (unackedOnly && a.ack) continue;
      list.push(a);
    }
    list.sort((a, b) => (a.since < b.since ? 1 : a.since > b.since ? -1 : 0));
    $('alarm-count').textContent = active ? String(active) : '';
    $('alarm-list').innerHTML = list
      .slice(0, MAX_ALARM_ROWS)
      .map(
        (a) =>
          `<li class="alarm" data-alarm-id="${esc(a.id)}" data-code="${esc(a.code)}" data-station="${esc(a.station)}" data-sev="${a.severity}" data-active="${a.active}" data-acked="${a.ack ? 'true' : 'false'}">` +
          `<div><span class="sev">${esc(t('sev.' + a.severity))}</span> <strong>${esc(t('alarm.' + a.code))}</strong>` +
          `${a.target ? ` <span class="muted">${esc(a.target)}</span>` : ''}</div>` +
          `<div class="muted"><a href="#" data-goto="${esc(a.station)}">${esc(a.station)}</a> · ${esc(fmtTime(a.since))}` +
          `${a.active ? '' : ` · ${esc(t('cleared'))} ${esc(fmtTime(a.clearedAt))}`}${a.detail ? ` · ${esc(a.detail)}` : ''}</div>` +
          (a.ack
            ? `<div class="acked">${esc(t('ackedBy', { by: a.ack.by }))} ${esc(fmtTime(a.ack.at))}</div>`
            : `<button type="button" class="ack" data-ack="${esc(a.id)}">${esc(t('ack'))}</button>`) +
          `</li>`,
      )
      .join('');
  }
  $('alarm-active').addEventListener('change', () => mark('alarms'));
  $('alarm-unacked').addEventListener('change', () => mark('alarms'));
  $('alarm-list').addEventListener('click', async (e) => {
    const go = e.target.closest('[data-goto]');
    if (go) {
      e.preventDefault();
      select(go.dataset.goto);
      return;
    }
    const btn = e.target.closest('[data-ack]');
    if (!btn) return;
    btn.disabled = true;
    const r = await post(`/api/alarms/${encodeURIComponent(btn.dataset.ack)}/ack`, {});
    if (r.ok) {
      state.alarms.set(r.body.id, r.body);
      mark('alarms');
    } else {
      btn.disabled = false;
      showError(r.body.error);
    }
  });

  // ---- events ------------------------------------------------------------------------------
  const eventList = $('event-list');
  /**
   * The event kinds of the filter: the station contract's own list (EVENT_KINDS, served by
   * /api/console), each family with more than one kind also offered as a prefix (`alarm.`).
   */
  function eventKinds() {
    const all = (state.info && state.info.eventKinds) || [];
    const families = {};
    for (const k of all) {
      const f = k.slice(0, k.indexOf('.') + 1);
      if (f) families[f] = (families[f] || 0) + 1;
    }
    const out = [];
    for (const k of all) {
      const f = k.slice(0, k.indexOf('.') + 1);
      if (f && families[f] > 1 && !out.includes(f)) out.push(f);
      out.push(k);
    }
    return out;
  }
  function fillKinds() {
    const sel = $('ev-kind');
    const v = sel.value;
    sel.innerHTML =
      `<option value="">${esc(t('allKinds'))}</option>` +
      eventKinds()
        .map(
          (k) =>
            `<option value="${k}">${esc(k.endsWith('.') ? `${k}*` : `${t('ev.' + k)} (${k})`)}</option>`,
        )
        .join('');
    sel.value = v;
  }
  function eventFilter() {
    const from = $('ev-from').value ? new Date($('ev-from').value).getTime() : null;
    const to = $('ev-to').value ? new Date($('ev-to').value).getTime() : null;
    return { station: $('ev-station').value.trim(), kind: $('ev-kind').value, from, to };
  }
  function eventMatches(e, f) {
    if (f.station && !e.station.includes(f.station)) return false;
    if (f.kind && (f.kind.endsWith('.') ? !e.kind.startsWith(f.kind) : e.kind !== f.kind))
      return false;
    if (f.from !== null || f.to !== null) {
      const at = Date.parse(e.at);
      if (f.from !== null && at < f.from) return false;
      if (f.to !== null && at > f.to) return false;
    }
    return true;
  }
  function eventSummary(e) {
    const d = e.data || {};
    const parts = [];
    for (const k of [
      'compartment',
      'door',
      'deliveryId',
      'status',
      'decision',
      'result',
      'reason',
      'alarm',
      'target',
      'mode',
      'cause',
      'opened',
      'kind',
      'version',
    ]) {
      if (d[k] !== undefined && d[k] !== null) parts.push(`${k}=${d[k]}`);
    }
    return parts.join(' ');
  }
  function eventRow(e) {
    return (
      `<li data-event-id="${esc(e.id)}" data-kind="${esc(e.kind)}" data-station="${esc(e.station)}">` +
      `<span class="muted">${esc(fmtTime(e.at))}</span> <a href="#" data-goto="${esc(e.station)}">${esc(e.station)}</a> ` +
      `<strong>${esc(t('ev.' + e.kind))}</strong>${e.historical ? ` <span class="pill">${esc(t('historical'))}</span>` : ''}` +
      (e.signature && e.signature !== 'signed'
        ? ` <span class="pill sig-${esc(e.signature)}" data-signature="${esc(e.signature)}">${esc(t('sig.' + e.signature))}</span>`
        : '') +
      ' ' +
      `<span class="muted">#${e.seq} ${esc(eventSummary(e))}</span></li>`
    );
  }
  let pendingEvents = [];
  function renderNewEvents() {
    if (pendingEvents.length === 0) return;
    const f = eventFilter();
    let html = '';
    for (let i = pendingEvents.length - 1; i >= 0; i--) {
      const e = pendingEvents[i];
      if (eventMatches(e, f)) html += eventRow(e);
    }
    pendingEvents = [];
    if (!html) return;
    eventList.insertAdjacentHTML('afterbegin', html);
    while (eventList.children.length > MAX_EVENT_ROWS) eventList.lastElementChild.remove();
  }
  let eventQuery = 0;
  async function rebuildEvents() {
    const f = eventFilter();
    pendingEvents = [];
    // Local first (instant), then the server's wider history for the same filter.
    const local = [];
    for (let i = state.events.length - 1; i >= 0 && local.length < MAX_EVENT_ROWS; i--)
      if (eventMatches(state.events[i], f)) local.push(state.events[i]);
    eventList.innerHTML = local.map(eventRow).join('');
    if (!f.station && !f.kind && f.from === null && f.to === null) return;
    const q = new URLSearchParams({ limit: String(MAX_EVENT_ROWS) });
    if (f.kind) q.set('kind', f.kind);
    if (f.from !== null) q.set('from', String(f.from));
    if (f.to !== null) q.set('to', String(f.to));
    if (f.station && state.stations.has(f.station)) q.set('station', f.station);
    const my = ++eventQuery;
    const r = await get(`/api/events?${q}`);
    if (my !== eventQuery || !r.ok) return;
    const list = r.body.filter((e) => eventMatches(e, eventFilter()));
    eventList.innerHTML = list.map(eventRow).join('');
  }
  for (const id of ['ev-station', 'ev-kind', 'ev-from', 'ev-to'])
    $(id).addEventListener('input', () => rebuildEvents());
  eventList.addEventListener('click', (e) => {
    const go = e.target.closest('[data-goto]');
    if (go) {
      e.preventDefault();
      select(go.dataset.goto);
    }
  });

  // ---- station detail and actions ------------------------------------------------------------
  let detailTimer = 0;
  function select(id) {
    state.selected = id;
    state.detail = null;
    mark('fleet', 'detail', 'actions');
    loadDetail();
    loadChartsSoon();
  }
  function loadDetailSoon() {
    if (detailTimer) return;
    detailTimer = setTimeout(() => {
      detailTimer = 0;
      loadDetail();
    }, 300);
  }
  async function loadDetail() {
    const id = state.selected;
    if (!id) return;
    const r = await get(`/api/stations/${encodeURIComponent(id)}`);
    if (id !== state.selected || !r.ok) return;
    state.detail = r.body;
    for (const a of r.body.actions)
      if (!state.actions.has(a.commandId)) state.actions.set(a.commandId, a);
    mark('detail', 'actions');
  }

  function renderDetail() {
    const d = state.detail;
    $('detail-empty').hidden = !!state.selected;
    $('detail-body').hidden = !state.selected;
    if (!state.selected) return;
    const s = state.stations.get(state.selected) || (d && d.station);
    if (!s) return;
    $('detail-body').dataset.station = s.id;
    $('d-dot').dataset.presence = s.presence;
    $('d-id').textContent = s.id;
    $('d-area').textContent = s.area;
    $('d-presence').textContent = t('presence.' + s.presence);
    $('d-presence').dataset.presence = s.presence;
    $('d-mode').textContent = s.mode ? t('mode.' + s.mode) : '';
    $('d-mode').dataset.mode = s.mode || '';
    const crl = d && d.station.crl;
    const hw =
      Object.entries(s.hardware || {})
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || t('none');
    const facts = [
      ['version', s.version ?? '—'],
      ['session', s.session ?? '—'],
      ['uptime', age(s.uptimeSec)],
      ['lastHeartbeat', age(hbAge(s))],
      ['crlAge', `${age(s.crlAgeSec)}${s.crlStale ? ' ⚠' : ''}`],
      ['crlNext', crl && crl.nextUpdate ? fmtTime(crl.nextUpdate) : '—'],
      ['outboxDepth', s.outboxDepth ?? '—'],
      ['hardware', hw],
    ];
    $('d-facts').innerHTML = facts
      .map(([k, v]) => `<dt>${esc(t(k))}</dt><dd data-fact="${k}">${esc(v)}</dd>`)
      .join('');
    const comps = d ? d.station.compartmentList : [];
    $('d-grid').innerHTML = comps
      .map(
        (c) =>
          `<div class="cell" data-status="${c.status}" data-compartment="${esc(c.compartment)}" title="${esc(
            `${c.compartment} ${t('cs.' + c.status)} ${c.size}${c.deliveryId ? ` ${c.deliveryId}` : ''}${c.pickupDeadline ? ` ~${fmtTime(c.pickupDeadline)}` : ''}`,
          )}"><b>${esc(c.compartment)}</b><small>${esc(t('cs.' + c.status))}</small>${c.door === 'open' ? '<i>⇱</i>' : ''}</div>`,
      )
      .join('');
    const used = [...new Set(comps.map((c) => c.status))];
    $('d-legend').innerHTML = used
      .map((st) => `<span class="cell mini" data-status="${st}"></span>${esc(t('cs.' + st))}`)
      .join(' ');
    const doors = d ? d.station.doorList : [];
    $('d-doors').innerHTML =
      doors
        .map(
          (x) =>
            `<span class="door" data-status="${x.status}" data-door="${esc(x.door)}">${esc(x.door)}: ${esc(t('ds.' + x.status))}</span>`,
        )
        .join('') || `<span class="muted">${esc(t('none'))}</span>`;
    // Action forms: rebuilt only when the station's compartments, doors or deliveries change
    // (not on every clock tick, which would close an open drop-down).
    const sig = JSON.stringify([
      s.id,
      comps.map((c) => [c.compartment, c.deliveryId, c.pickupDeadline]),
      doors.map((x) => x.door),
      state.lang,
    ]);
    if (sig === lastFormSig) return;
    lastFormSig = sig;
    const target = $('open-target');
    // The operator's choice survives a rebuild, also one made while the station's detail
    // reloads (no targets for a moment): it is restored once it is offered again, so a
    // reload never turns "door front" into the first compartment.
    // Another station's choice is never carried over.
    if (target.dataset.station !== s.id) {
      delete target.dataset.wanted;
      target.dataset.station = s.id;
      target.value = '';
    }
    const tv = target.value || target.dataset.wanted || '';
    target.innerHTML =
      comps
        .map(
          (c) =>
            `<option value="compartment:${esc(c.compartment)}">${esc(t('compartment'))} ${esc(c.compartment)}</option>`,
        )
        .join('') +
      doors
        .map((x) => `<option value="door:${esc(x.door)}">${esc(t('door'))} ${esc(x.door)}</option>`)
        .join('');
    if ([...target.options].some((o) => o.value === tv)) {
      target.value = tv;
      delete target.dataset.wanted;
    } else if (tv) {
      target.dataset.wanted = tv;
    }
    const del = $('extend-delivery');
    const dv = del.value;
    const deliveries = comps.filter((c) => c.deliveryId);
    del.innerHTML = deliveries.length
      ? deliveries
          .map(
            (c) =>
              `<option value="${esc(c.deliveryId)}">${esc(c.deliveryId)} (${esc(c.compartment)}${c.pickupDeadline ? ` ~${esc(fmtTime(c.pickupDeadline))}` : ''})</option>`,
          )
          .join('')
      : `<option value="">${esc(t('noDeliveries'))}</option>`;
    if ([...del.options].some((o) => o.value === dv)) del.value = dv;
  }
  let lastFormSig = '';
  function renderSigner() {
    const role = state.session ? state.session.role : 'viewer';
    const canSign = !!(state.info && state.info.canSign) && role !== 'viewer';
    $('no-signer').hidden = canSign;
    for (const b of document.querySelectorAll('form.action button')) b.disabled = !canSign;
  }

  function renderActions() {
    if (!state.selected) return;
    const list = [...state.actions.values()]
      .filter((a) => a.station === state.selected)
      .sort((a, b) => (a.sentAt < b.sentAt ? 1 : -1))
      .slice(0, 50);
    $('d-actions').innerHTML = list
      .map((a) => {
        const what = `${t('kind.' + a.kind)} ${a.body.compartment ?? a.body.door ?? a.body.deliveryId ?? (a.body.enabled === undefined ? '' : a.body.enabled ? 'ON' : 'OFF')}`;
        const answer = `${t('status.' + a.status)}${a.reason ? ` (${a.reason})` : ''}${
          a.detail
            ? ` ${Object.entries(a.detail)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`
            : ''
        }`;
        return (
          `<tr data-command-id="${esc(a.commandId)}" data-status="${a.status}">` +
          `<td>${esc(fmtTime(a.sentAt))}</td><td>${esc(what)}<br><small class="muted">${esc(a.body.reason ?? '')}</small></td>` +
          `<td>${esc(a.operator)}</td><td class="answer">${esc(answer)}</td></tr>`
        );
      })
      .join('');
  }

  // ---- area counts (server-side aggregates) ---------------------------------------------------
  async function loadAggregates() {
    const r = await get('/api/fleet/aggregates');
    if (!r.ok) return;
    const rowsOf = [...r.body.areas, { ...r.body.total, area: '' }];
    $('area-rows').innerHTML = rowsOf
      .map(
        (a) =>
          `<tr data-area="${esc(a.area)}"${a.area === '' ? ' class="total"' : ''}><td>${esc(a.area || t('all'))}</td>` +
          `<td>${a.total}</td><td>${a.online}</td><td>${a.silent}</td><td>${a.offline}</td><td>${a.withAlarms}</td></tr>`,
      )
      .join('');
  }
  $('area-rows').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-area]');
    if (!tr) return;
    $('fleet-area').value = tr.dataset.area;
    mark('filter');
    loadChartsSoon();
  });

  // ---- charts (uPlot) ------------------------------------------------------------------------
  const charts = { attempts: null, heartbeat: null };
  let chartTimer = 0;
  function loadChartsSoon() {
    clearTimeout(chartTimer);
    chartTimer = setTimeout(loadCharts, 150);
  }
  function drawChart(key, el, opts, data) {
    if (charts[key]) charts[key].destroy();
    charts[key] = null;
    el.textContent = '';
    if (!window.uPlot || data[0].length === 0) return;
    charts[key] = new window.uPlot(
      { width: el.clientWidth || 320, height: 150, ...opts },
      data,
      el,
    );
  }
  async function loadCharts() {
    const area = $('fleet-area').value;
    const scope = state.selected
      ? `station=${encodeURIComponent(state.selected)}`
      : area
        ? `area=${encodeURIComponent(area)}`
        : '';
    $('chart-scope').textContent = state.selected || area || t('wholeFleet');
    const r = await get(`/api/charts?${scope}`);
    if (!r.ok) return;
    const hours = [];
    for (let h = r.body.from; h <= serverNow(); h += 3600_000) hours.push(h / 1000);
    const outcomes = [...new Set(r.body.attempts.map((a) => a.outcome))].sort();
    const col = new Map(outcomes.map((o) => [o, hours.map(() => 0)]));
    for (const a of r.body.attempts) {
      const i = Math.round((a.hour - r.body.from) / 3600_000);
      if (col.has(a.outcome) && i >= 0 && i < hours.length) col.get(a.outcome)[i] = a.n;
    }
    const palette = ['#2e7d32', '#c62828', '#ef6c00', '#6a1b9a', '#1565c0', '#00838f', '#ad1457'];
    drawChart(
      'attempts',
      $('chart-attempts'),
      {
        title: t('attemptsPerHour'),
        series: [
          {},
          ...outcomes.map((o, i) => ({
            label: o === 'granted' ? t('granted') : t('reason.' + o.slice(7)),
            stroke: o === 'granted' ? palette[0] : palette[1 + (i % (palette.length - 1))],
          })),
        ],
      },
      [hours, ...outcomes.map((o) => col.get(o))],
    );
    const hb = r.body.heartbeat;
    drawChart(
      'heartbeat',
      $('chart-heartbeat'),
      {
        title: `${t('outboxDepth')} / ${t('crlAgeH')}`,
        series: [
          {},
          { label: t('outboxDepth'), stroke: '#1565c0', scale: 'n' },
          { label: t('crlAgeH'), stroke: '#ef6c00', scale: 'h' },
        ],
        axes: [{}, { scale: 'n' }, { scale: 'h', side: 1 }],
        // The last hour, however few samples there are yet.
        scales: { x: { time: true, range: () => [serverNow() / 1000 - 3600, serverNow() / 1000] } },
      },
      hb
        ? [
            hb.t.map((x) => x / 1000),
            hb.outboxDepth,
            hb.crlAgeSec.map((x) => (x === null ? null : x / 3600)),
          ]
        : [[], [], []],
    );
  }

  // ---- approvals (two-person rule) -----------------------------------------------------------
  function renderApprovals() {
    const list = [...state.approvals.values()]
      .sort((a, b) => (a.requestedAt < b.requestedAt ? 1 : -1))
      .slice(0, 100);
    const me = state.session && state.session.user;
    $('approval-count').textContent = String(list.filter((a) => a.status === 'pending').length);
    $('approval-list').innerHTML = list
      .map((a) => {
        const target = a.body.door
          ? `door ${a.body.door}`
          : `compartment ${a.body.compartment ?? ''}`;
        const buttons =
          a.status !== 'pending'
            ? ''
            : a.requestedBy === me
              ? `<button type="button" class="cancel" data-cancel="${esc(a.id)}">${esc(t('cancelRequest'))}</button>`
              : `<button type="button" class="approve" data-approve="${esc(a.id)}">${esc(t('approve'))}</button>`;
        return (
          `<li class="approval" data-approval="${esc(a.id)}" data-status="${esc(a.status)}" data-station="${esc(a.station)}">` +
          `<div><strong>${esc(a.station)}</strong> ${esc(t('kind.' + a.kind))} ${esc(target)} · ${esc(t('approval.' + a.status))}</div>` +
          `<div class="muted">${esc(t('requestedBy', { by: a.requestedBy }))}${a.approvedBy ? ` · ${esc(t('approvedBy', { by: a.approvedBy }))}` : ''} · ${esc(fmtTime(a.expiresAt))}</div>` +
          `<div class="muted">${esc(a.body.reason ?? '')}</div>${buttons}</li>`
        );
      })
      .join('');
  }
  $('approval-list').addEventListener('click', async (e) => {
    const approve = e.target.closest('[data-approve]');
    const cancel = e.target.closest('[data-cancel]');
    const btn = approve || cancel;
    if (!btn) return;
    btn.disabled = true;
    const id = encodeURIComponent(approve ? approve.dataset.approve : cancel.dataset.cancel);
    const r = await post(`/api/approvals/${id}/${approve ? 'approve' : 'cancel'}`, {});
    if (!r.ok) {
      btn.disabled = false;
      return showError(t(r.body.error));
    }
    const a = approve ? r.body.approval : r.body;
    state.approvals.set(a.id, a);
    if (approve && r.body.action) state.actions.set(r.body.action.commandId, r.body.action);
    mark('approvals', 'actions');
  });

  function showError(msg) {
    $('action-error').textContent = msg || '';
  }

  async function sendCommand(kind, body) {
    showError('');
    const r = await post(`/api/stations/${encodeURIComponent(state.selected)}/commands`, {
      kind,
      body,
      waitMs: 0,
    });
    if (!r.ok) return showError(r.body.error);
    if (r.body.status === 'awaiting_approval') {
      state.approvals.set(r.body.approval.id, r.body.approval);
      showError(t('awaitingApproval', { until: fmtTime(r.body.approval.expiresAt) }));
      return mark('approvals');
    }
    state.actions.set(r.body.commandId, r.body);
    mark('actions');
  }
  $('f-open').addEventListener('submit', (e) => {
    e.preventDefault();
    const [what, id] = $('open-target').value.split(/:(.*)/s);
    if (!id) return;
    sendCommand('remote.open', { [what]: id, reason: $('open-reason').value.trim() });
  });
  $('f-maint').addEventListener('submit', (e) => {
    e.preventDefault();
    const on = e.submitter ? e.submitter.dataset.on === '1' : true;
    const reason = $('maint-reason').value.trim();
    sendCommand('station.maintenance', { enabled: on, ...(reason ? { reason } : {}) });
  });
  $('f-extend').addEventListener('submit', (e) => {
    e.preventDefault();
    const deliveryId = $('extend-delivery').value;
    const v = $('extend-deadline').value;
    if (!deliveryId || !v) return;
    sendCommand('delivery.extend', { deliveryId, pickupDeadline: new Date(v).toISOString() });
  });

  // ---- network -----------------------------------------------------------------------------
  async function get(url) {
    try {
      const res = await fetch(url);
      if (res.status === 401) loggedOut();
      return { ok: res.ok, body: await res.json() };
    } catch (err) {
      return { ok: false, body: { error: String(err) } };
    }
  }
  async function post(url, body) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': (state.session && state.session.csrf) || '',
        },
        body: JSON.stringify(body),
      });
      if (res.status === 401 && url !== '/api/login') loggedOut();
      return { ok: res.ok, status: res.status, body: await res.json() };
    } catch (err) {
      return { ok: false, body: { error: String(err) } };
    }
  }

  function updateBroker() {
    const b = $('broker');
    b.dataset.state = state.brokerUp ? 'up' : 'down';
    b.textContent = t(state.brokerUp ? 'brokerUp' : 'brokerDown');
  }

  function addEvents(list) {
    for (const e of list) {
      if (state.eventIds.has(e.id)) continue;
      state.eventIds.add(e.id);
      state.events.push(e);
      pendingEvents.push(e);
    }
    if (state.events.length > 3000) {
      const drop = state.events.splice(0, state.events.length - 2000);
      for (const e of drop) state.eventIds.delete(e.id);
    }
  }

  function applyDelta(d) {
    if (d.rev <= state.rev) return;
    state.rev = d.rev;
    state.clockOffset = d.now - Date.now();
    if (d.broker && d.broker.connected !== state.brokerUp) {
      state.brokerUp = d.broker.connected;
      updateBroker();
    }
    let membership = false;
    for (const s of d.stations) {
      const old = state.stations.get(s.id);
      if (!old || old.presence !== s.presence || old.alarms !== s.alarms) membership = true;
      state.stations.set(s.id, s);
      updateAreas(s);
      if (s.id === state.selected) loadDetailSoon();
    }
    for (const a of d.alarms) state.alarms.set(a.id, a);
    if (state.alarms.size > 3000) {
      for (const [id, a] of state.alarms) {
        if (state.alarms.size <= 2000) break;
        if (!a.active) state.alarms.delete(id);
      }
    }
    addEvents(d.events);
    for (const e of d.events) if (e.station === state.selected) loadDetailSoon();
    for (const a of d.actions) state.actions.set(a.commandId, a);
    for (const a of d.approvals || []) state.approvals.set(a.id, a);
    if ((d.approvals || []).length) mark('approvals');
    if (d.stations.length) mark('fleet', 'counts');
    if (membership) mark('filter');
    if (d.alarms.length) mark('alarms');
    if (d.actions.length) mark('actions');
    if (d.events.length) schedule();
  }

  function applySnapshot(snap) {
    state.rev = snap.rev;
    state.clockOffset = snap.now - Date.now();
    state.brokerUp = snap.broker.connected;
    state.stations = new Map(snap.stations.map((s) => [s.id, s]));
    for (const s of snap.stations) updateAreas(s);
    state.alarms = new Map(snap.alarms.map((a) => [a.id, a]));
    state.events = [];
    state.eventIds = new Set();
    addEvents([...snap.events].reverse());
    pendingEvents = [];
    for (const a of snap.actions) state.actions.set(a.commandId, a);
    state.approvals = new Map((snap.approvals || []).map((a) => [a.id, a]));
    $('station-ids').innerHTML = snap.stations
      .slice(0, 2000)
      .map((s) => `<option value="${esc(s.id)}">`)
      .join('');
    updateBroker();
    rebuildEvents();
    mark('filter', 'fleet', 'counts', 'alarms', 'detail', 'actions', 'approvals');
  }

  let buffered = [];
  let source = null;
  let loaded = false;
  async function connect() {
    loaded = false;
    buffered = [];
    const es = new EventSource('/events/fleet');
    source = es;
    es.onmessage = (m) => {
      const d = JSON.parse(m.data);
      if (loaded) applyDelta(d);
      else buffered.push(d);
    };
    es.onerror = () => {
      // The server went away (or the session ended): start over when it is back.
      es.close();
      if (source !== es || !state.session) return;
      source = null;
      state.brokerUp = false;
      updateBroker();
      setTimeout(boot, 2000);
    };
    const snap = await get('/api/snapshot');
    if (!snap.ok) return;
    // The cookie was good: show the console now (the session check fills in the account).
    if ($('main').hidden) showLogin(false);
    applySnapshot(snap.body);
    renderSigner();
    loaded = true;
    for (const d of buffered) applyDelta(d);
    buffered = [];
    loadAggregates();
    loadChartsSoon();
  }

  // ---- login -------------------------------------------------------------------------------
  function showLogin(on) {
    $('login').hidden = !on;
    $('main').hidden = on;
    $('who').hidden = on || !state.session;
    if (state.session) {
      $('who-name').textContent = state.session.user;
      $('who-role').textContent = t('role.' + state.session.role);
      $('who-role').dataset.role = state.session.role;
    }
    if (on) $('login-user').focus();
  }
  function loggedOut() {
    state.session = null;
    if (source) source.close();
    source = null;
    if (state.info && state.info.login === 'disabled') return;
    showLogin(true);
  }
  async function boot() {
    // The live channel and the snapshot start at once, beside the session check: with a valid
    // cookie the fleet is drawn as soon as the snapshot is in; without one they are refused.
    const streaming = connect();
    const info = await get('/api/console');
    if (!info.ok) return setTimeout(boot, 2000);
    state.info = info.body;
    fillKinds();
    $('no-login-banner').hidden = state.info.login !== 'disabled';
    state.session = state.info.session;
    if (!state.session) {
      if (source) source.close();
      source = null;
      return showLogin(true);
    }
    showLogin(false);
    document.body.dataset.role = state.session.role;
    renderSigner();
    await streaming;
  }
  $('f-login').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('login-error').textContent = '';
    const r = await post('/api/login', {
      user: $('login-user').value.trim(),
      password: $('login-password').value,
    });
    $('login-password').value = '';
    if (!r.ok) return ($('login-error').textContent = t(r.body.error));
    boot();
  });
  $('logout').addEventListener('click', async () => {
    await post('/api/logout', {});
    loggedOut();
  });

  // ---- render ------------------------------------------------------------------------------
  function render() {
    frame = 0;
    if (dirty.filter) {
      dirty.filter = false;
      refilter();
      dirty.fleet = true;
    }
    if (dirty.fleet) {
      dirty.fleet = false;
      renderFleet();
      if (!state.firstRenderDone && state.stations.size > 0) {
        state.firstRenderDone = true;
        performance.mark('fleet-first-render', { detail: { stations: state.stations.size } });
      }
    }
    if (dirty.counts) {
      dirty.counts = false;
      renderCounts();
    }
    if (dirty.alarms) {
      dirty.alarms = false;
      renderAlarms();
    }
    if (dirty.detail) {
      dirty.detail = false;
      renderDetail();
    }
    if (dirty.actions) {
      dirty.actions = false;
      renderActions();
    }
    if (dirty.approvals) {
      dirty.approvals = false;
      renderApprovals();
    }
    renderNewEvents();
  }

  // Area counts every 5 s, charts every 30 s (both computed by the server).
  setInterval(() => state.session && source && loadAggregates(), 5000);
  setInterval(() => state.session && source && loadCharts(), 30_000);
  $('fleet-area').addEventListener('change', loadChartsSoon);

  // Ages move with the clock: redraw the visible rows (and presence counts) every second.
  setInterval(() => mark('fleet', state.selected ? 'detail' : 'fleet'), 1000);

  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => {
      state.lang = b.dataset.lang;
      localStorage.setItem('console.lang', state.lang);
      applyLanguage();
    });
  applyLanguage();
  boot();
})();
