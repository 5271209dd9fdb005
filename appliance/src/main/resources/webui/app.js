// The gateway's web UI: renders /api/state once, then follows job and health changes over server-sent events.
// Every value is set with textContent, never as HTML, so nothing a resource name contains can run here.
'use strict';

const jobs = new Map();
const checks = new Map();

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function bits(n) {
  if (n == null) return 'unlimited';
  if (n >= 1e9) return (n / 1e9).toFixed(1) + ' Gbit/s';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + ' Mbit/s';
  return (n / 1e3).toFixed(0) + ' kbit/s';
}

function eta(s) {
  if (s == null) return '—';
  if (s < 60) return s + ' s';
  return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
}

function renderChecks() {
  const ul = document.getElementById('checks');
  ul.replaceChildren();
  for (const c of checks.values()) {
    const status = c.status.toLowerCase();
    const li = el('li', { id: 'health-' + c.name, class: 'check ' + status, 'data-status': c.status },
      el('strong', {}, c.description), ' ', el('span', { class: 'status' }, c.status.replace('_', ' ')));
    if (c.lastError) {
      li.append(el('span', { class: 'error' }, 'last error' + (c.lastErrorAt ? ' at ' + c.lastErrorAt : '') + ': ' + c.lastError));
    }
    ul.append(li);
  }
}

function renderJobs() {
  const running = document.getElementById('running-jobs');
  const recent = document.getElementById('recent-jobs');
  running.replaceChildren();
  recent.replaceChildren();
  const all = [...jobs.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  for (const j of all) {
    if (j.state === 'RUNNING') {
      running.append(el('tr', { 'data-job': j.id },
        el('td', {}, j.id), el('td', {}, j.kind), el('td', {}, j.resource),
        el('td', {}, el('progress', { max: '100', value: String(j.percent) }), ' ',
          el('span', { class: 'percent' }, j.percent + '%'), ' ', el('span', { class: 'muted' }, bytes(j.bytesDone) + ' of ' + bytes(j.bytesTotal))),
        el('td', { class: 'throughput' }, bytes(j.bytesPerSecond) + '/s'),
        el('td', { class: 'eta' }, eta(j.etaSeconds))));
    } else {
      recent.append(el('tr', { 'data-job': j.id, class: j.state.toLowerCase() },
        el('td', {}, j.id), el('td', {}, j.kind), el('td', {}, j.resource), el('td', { class: 'state' }, j.state),
        el('td', {}, j.endedAt || ''), el('td', {}, (j.recoveryPointId ? j.recoveryPointId + ': ' : '') + (j.message || ''))));
    }
  }
  document.getElementById('no-running').hidden = running.children.length > 0;
}

function renderResources(resources) {
  const list = document.getElementById('resource-list');
  list.replaceChildren();
  for (const r of resources) {
    const tags = Object.entries(r.tags || {}).map(([k, v]) => k + '=' + v).join(', ');
    const volumes = (r.volumes || []).map(v => v.name + ' (' + bytes(v.capacityBytes) + ')').join(', ');
    const action = el('td', {});
    if (r.kind === 'LocalVolume') {
      const b = el('button', { type: 'button', 'data-backup': r.name }, 'Back up now');
      b.addEventListener('click', () => backup(r.name, b));
      action.append(b);
    }
    list.append(el('tr', { 'data-kind': r.kind, 'data-name': r.name }, el('td', {}, r.kind), el('td', { class: 'name' }, r.name),
      el('td', {}, r.location), el('td', { class: 'volumes' }, volumes), el('td', {}, tags), action));
  }
}

// The inventory changes without an event (the agent's VMs): the list is read again every few seconds.
async function refreshResources() {
  try {
    const r = await fetch('/api/state');
    if (r.ok) renderResources((await r.json()).resources);
  } catch (e) {
    // the next refresh tries again; the event stream shows whether the gateway is reachable
  }
}

function renderState(s) {
  document.getElementById('gateway-name').textContent = s.gateway.name;
  document.title = 'Vaultgate gateway ' + s.gateway.name;
  checks.clear();
  for (const c of s.health) checks.set(c.name, c);
  renderChecks();
  jobs.clear();
  for (const j of s.jobs) jobs.set(j.id, j);
  renderJobs();

  renderResources(s.resources);

  document.getElementById('bandwidth-default').textContent = bits(s.bandwidth.uploadBitsPerSecond)
    + (s.bandwidth.source ? ' (' + s.bandwidth.source + ')' : '');
  const sched = document.getElementById('bandwidth-schedule');
  sched.replaceChildren();
  for (const i of s.bandwidth.schedule) {
    sched.append(el('tr', {}, el('td', {}, i.days.join(' ')), el('td', {}, i.start), el('td', {}, i.end), el('td', {}, bits(i.uploadBitsPerSecond))));
  }

  const id = document.getElementById('identity-list');
  id.replaceChildren();
  const cert = s.gateway.certificate;
  const rows = [['Gateway', s.gateway.name], ['Version', s.gateway.version], ['Coordinator', s.gateway.coordinatorUrl],
    ['Vault', s.gateway.vault], ['Concurrent jobs', s.gateway.maxConcurrentJobs],
    ['Certificate', cert ? cert.subject + ' (serial ' + cert.serial + ', until ' + cert.notAfter + ', issued by ' + cert.issuer + ')'
      : 'not registered yet (vaultgate register)']];
  for (const [k, v] of rows) id.append(el('dt', {}, k), el('dd', {}, v));
}

async function backup(name, button) {
  button.disabled = true;
  try {
    const r = await fetch('/api/volumes/' + encodeURIComponent(name) + '/backup', { method: 'POST' });
    if (!r.ok) alert((await r.json()).error);
  } finally {
    button.disabled = false;
  }
}

async function discover() {
  const ul = document.getElementById('device-list');
  const r = await fetch('/api/devices');
  const body = await r.json();
  ul.replaceChildren();
  if (!r.ok) { ul.append(el('li', {}, body.error)); return; }
  for (const d of body.devices) {
    ul.append(el('li', {}, d.path + ' — ' + d.type + ', ' + bytes(d.sizeBytes) + (d.mountpoint ? ', mounted on ' + d.mountpoint : '')
      + (d.fstype ? ', ' + d.fstype : '')));
  }
}

async function load() {
  const r = await fetch('/api/state');
  if (r.status === 401) { location.href = '/login'; return; }
  renderState(await r.json());
}

function follow() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/events');
  es.onopen = () => { live.textContent = 'live'; load(); };
  es.onerror = () => { live.textContent = 'reconnecting…'; };
  es.addEventListener('job', e => { const j = JSON.parse(e.data); jobs.set(j.id, j); renderJobs(); });
  es.addEventListener('health', e => { const c = JSON.parse(e.data); checks.set(c.name, c); renderChecks(); });
}

document.getElementById('discover').addEventListener('click', discover);
load().then(follow);
setInterval(refreshResources, 5000);
