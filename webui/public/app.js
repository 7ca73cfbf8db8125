// shoal dashboard: plain ES module, no build step. State comes from the JSON API under /api/v1;
// the server-sent event stream says when something changed, and a slow poll refreshes counters.
// Every value from the server is put into the page with textContent, never as HTML.

const API = '/api/v1'
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/
const POLL_MS = 5000

const state = {
  node: null,
  namespaces: [],
  peers: [],
  open: new Set(), // names of expanded namespace cards
  secrets: new Map(), // name -> { secret, readOnly } while shown
  events: [],
  source: null,
  pollTimer: null,
  refreshTimer: null,
  tick: null,
  renderQueued: false
}

const $ = (id) => document.getElementById(id)

/** h('div', {class: 'x', onclick}, child, 'text', …): a small DOM builder. */
function h (tag, attrs = {}, ...children) {
  const svgTags = new Set(['svg', 'use'])
  const el = svgTags.has(tag) ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}
const icon = (name, cls = 'ic') => h('svg', { class: cls, 'aria-hidden': 'true' }, h('use', { href: `#${name}` }))

// ---- API ----

class ApiError extends Error {
  constructor (status, body) {
    super(body?.error?.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body?.error?.code
    this.hint = body?.error?.hint
  }
}

async function api (method, path, body) {
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' }
  if (method !== 'GET' && method !== 'DELETE') {
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body ?? {})
  }
  const res = await fetch(API + path, init)
  const text = await res.text()
  const data = text === '' ? null : JSON.parse(text)
  if (res.status === 401 && path !== '/login') { showLogin(); throw new ApiError(401, data) }
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

// ---- formatting ----

function bytes (n) {
  if (!Number.isFinite(n)) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`
}
const num = (n) => Number(n ?? 0).toLocaleString('en-US')
const plural = (n, word) => `${num(n)} ${word}${n === 1 ? '' : 's'}`
function ago (iso) {
  if (!iso) return 'never'
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  if (s < 10) return 'just now'
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}
function duration (s) {
  const d = Math.floor(s / 86400); const hh = Math.floor(s % 86400 / 3600); const m = Math.floor(s % 3600 / 60)
  if (d > 0) return `${d} d ${hh} h`
  if (hh > 0) return `${hh} h ${m} min`
  if (m > 0) return `${m} min ${Math.floor(s % 60)} s`
  return `${Math.floor(s)} s`
}
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const shortId = (id) => (id ?? '').slice(0, 12)

/** What a namespace's state looks like: [label, tone]. The mass-delete pause trumps the rest. */
function look (ns) {
  if (ns.paused) return ['Paused', 'warn']
  switch (ns.state) {
    case 'idle':
      if (ns.pending > 0) return ['Waiting', 'info']
      // Nothing to compare with: "up to date" would claim more than we know.
      return ns.peers > 0 ? ['Up to date', 'ok'] : ['No peers', 'idle']
    case 'syncing': return ['Syncing', 'info']
    case 'error': return ['Error', 'bad']
    case 'starting': return ['Starting', 'idle']
    case 'stopped': return ['Stopped', 'idle']
    default: return [ns.state, 'idle']
  }
}
const KIND = { 'read-write': 'read-write', 'read-only': 'read-only', blind: 'blind' }

// ---- views ----

function showLogin (message) {
  stopLive()
  $('app-view').hidden = true
  $('login-view').hidden = false
  const err = $('login-error')
  err.hidden = !message
  err.textContent = message ?? ''
  $('login-password').value = ''
  $('login-password').focus()
}

async function showApp () {
  $('login-view').hidden = true
  $('app-view').hidden = false
  await refresh()
  startLive()
}

function toast (message, tone = '') {
  const t = h('div', { class: `toast ${tone}`, role: 'status' }, message)
  $('toasts').append(t)
  setTimeout(() => t.remove(), tone === 'bad' ? 7000 : 4000)
}

function renderNode () {
  const n = state.node
  if (!n) return
  $('node-name').textContent = shortId(n.id)
  $('node-name').title = n.id
  const rows = [
    ['Node id', h('span', { class: 'mono', title: n.id }, shortId(n.id) + '…')],
    ['Version', n.version],
    ['Uptime', h('span', { id: 'uptime' }, duration((Date.now() - Date.parse(n.startedAt)) / 1000))],
    ['Addresses', n.addresses.length ? h('span', {}, ...n.addresses.flatMap((a, i) => [i ? ', ' : '', h('span', { class: 'mono' }, a)])) : '–'],
    ['Data', h('span', { class: 'mono' }, n.hostDataPath)],
    ['NFS', n.nfsPort ? `port ${n.nfsPort}` : 'off'],
    ['Namespaces', String(n.namespaces)]
  ]
  $('node-info').replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))
}

function peerRow (p) {
  return h('div', { class: 'peer' },
    h('span', { class: 'pid', title: p.id }, shortId(p.id)),
    p.bytesIn === null || p.bytesOut === null ? null : h('span', { class: 'io', title: 'received / sent' }, `↓ ${bytes(p.bytesIn)}  ↑ ${bytes(p.bytesOut)}`),
    h('span', { class: 'addr' }, [p.address ?? 'address unknown', p.connectedSince ? ` · connected ${ago(p.connectedSince)}` : ''].join('')))
}

function renderPeers () {
  const groups = new Map()
  for (const p of state.peers) {
    if (!groups.has(p.namespace)) groups.set(p.namespace, [])
    groups.get(p.namespace).push(p)
  }
  const box = $('peers')
  if (groups.size === 0) {
    box.replaceChildren(h('p', { class: 'none' }, 'No peers connected. Peers appear when another node joins one of these namespaces with its secret.'))
    return
  }
  box.replaceChildren(...[...groups].map(([ns, list]) =>
    h('div', { class: 'peer-group' }, h('h3', {}, ns), ...list.map(peerRow))))
}

function stat (label, value, extra) {
  return h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value, extra ? h('small', {}, ' ', extra) : null))
}

function secretBox (ns) {
  const shown = state.secrets.get(ns.name)
  if (!shown) return null
  const copy = async () => {
    try { await navigator.clipboard.writeText(shown.secret); toast('Secret copied') } catch { toast('Select the secret and copy it', 'bad') }
  }
  return h('div', { class: 'secret', dataset: { secret: ns.name } },
    h('span', { class: 'secret-label' }, shown.readOnly ? 'Read-only secret — lets a node read, not write' : 'Read-write secret — anyone with it can change these files'),
    h('div', { class: 'secret-row' },
      h('code', { class: 'secret-value' }, shown.secret),
      h('button', { class: 'btn btn-sm', type: 'button', onclick: copy, title: 'Copy' }, icon('i-copy'))))
}

function nsCard (ns) {
  const [label, tone] = look(ns)
  const open = state.open.has(ns.name)
  const peers = state.peers.filter((p) => p.namespace === ns.name)
  const bodyId = `ns-body-${ns.name}`
  const summary = [plural(ns.files, 'file'), bytes(ns.bytes), plural(ns.peers, 'peer')]
  if (ns.lastSync) summary.push(`synced ${ago(ns.lastSync)}`)

  const head = h('button', {
    class: 'ns-head', type: 'button', 'aria-expanded': String(open), 'aria-controls': bodyId,
    onclick: () => { if (state.open.has(ns.name)) state.open.delete(ns.name); else state.open.add(ns.name); renderNamespaces() }
  },
  h('span', { class: 'ns-icon' }, icon('i-folder')),
  h('span', { class: 'ns-title' },
    h('span', { class: 'ns-name' }, ns.name,
      ns.kind !== 'read-write' ? h('span', { class: 'tag' }, KIND[ns.kind] ?? ns.kind) : null),
    h('span', { class: 'ns-sub' }, summary.join(' · '))),
  h('span', { class: `pill ${tone}`, dataset: { state: ns.paused ? 'paused' : ns.state } }, label),
  icon('i-chevron', 'chev'))

  const card = h('article', { class: `card ns${open ? ' open' : ''}`, dataset: { ns: ns.name } }, head)
  if (!open) return card

  const canResume = state.node?.features?.resume === true
  const banners = []
  if (ns.paused) {
    banners.push(h('div', { class: 'banner warn' },
      h('span', {}, ns.paused === 'mass-delete'
        ? 'Publishing is paused: many files were deleted at once. Check the folder, then resume to send the deletions to peers.'
        : `Publishing is paused (${ns.paused}).`),
      canResume
        ? h('button', { class: 'btn btn-sm', type: 'button', dataset: { action: 'resume' }, onclick: (e) => resume(ns, e.currentTarget) }, icon('i-play'), 'Resume')
        : h('span', {}, 'Resume with ctl.')))
  }
  if (ns.state === 'error' && ns.error) banners.push(h('div', { class: 'banner bad' }, ns.error))
  if (ns.network) banners.push(h('div', { class: 'banner warn' }, ns.network))

  const stats = h('dl', { class: 'stats' },
    stat('Files', num(ns.files)),
    stat('Size', bytes(ns.bytes)),
    stat('Pending', num(ns.pending), ns.pendingBytes > 0 ? bytes(ns.pendingBytes) : null),
    stat('Conflicts', num(ns.conflicts)))
  const kv = h('dl', { class: 'kv' },
    h('dt', {}, 'Last sync'), h('dd', {}, ns.lastSync ? `${ago(ns.lastSync)} (${new Date(ns.lastSync).toLocaleString()})` : 'never'),
    h('dt', {}, 'Access'), h('dd', {}, ns.blind ? 'blind — stores encrypted data it cannot read' : ns.readOnly ? 'read-only — receives, never publishes' : 'read-write'),
    h('dt', {}, 'Folder'), h('dd', {}, h('span', { class: 'mono' }, ns.hostPath)))
  const peerList = h('div', { class: 'ns-peers' }, h('h4', {}, 'Connected peers'),
    peers.length ? peers.map(peerRow) : h('p', { class: 'none' }, ns.blind || ns.readOnly ? 'No peers connected.' : 'No peers connected. Share the secret with another node to replicate this folder.'))

  const shown = state.secrets.get(ns.name)
  const secretButtons = []
  if (shown) secretButtons.push(h('button', { class: 'btn btn-sm', type: 'button', onclick: () => { state.secrets.delete(ns.name); renderNamespaces() } }, 'Hide secret'))
  else {
    if (ns.kind === 'read-write') secretButtons.push(h('button', { class: 'btn btn-sm', type: 'button', dataset: { action: 'secret' }, onclick: (e) => reveal(ns, false, e.currentTarget) }, icon('i-key'), 'Show secret'))
    if (!ns.blind) secretButtons.push(h('button', { class: 'btn btn-sm', type: 'button', dataset: { action: 'secret-ro' }, onclick: (e) => reveal(ns, true, e.currentTarget) }, icon('i-key'), 'Read-only secret'))
  }
  const actions = h('div', { class: 'actions' }, ...secretButtons,
    h('button', { class: 'btn btn-sm btn-outline-danger push', type: 'button', dataset: { action: 'remove' }, onclick: () => confirmRemove(ns) }, icon('i-trash'), 'Remove'))

  card.append(h('div', { class: 'ns-body', id: bodyId }, ...banners, stats, kv, peerList, secretBox(ns), actions))
  return card
}

function renderNamespaces () {
  const list = state.namespaces
  $('ns-count').textContent = list.length ? String(list.length) : ''
  $('ns-empty').hidden = list.length > 0
  for (const name of state.open) if (!list.some((n) => n.name === name)) state.open.delete(name)
  for (const name of state.secrets.keys()) if (!list.some((n) => n.name === name)) state.secrets.delete(name)
  $('namespaces').replaceChildren(...list.map(nsCard))
}

function eventLine (e) {
  const ns = e.namespace ? `${e.namespace}: ` : ''
  switch (e.type) {
    case 'namespace-added': return [`${e.namespace} added`, 'ok']
    case 'namespace-removed': return [`${e.namespace} removed${e.keptData ? ' (files kept)' : ''}`, 'warn']
    case 'namespace-state': return [`${ns}${e.from} → ${e.to}${e.error ? ` (${e.error})` : ''}`, e.to === 'error' ? 'bad' : 'info']
    case 'namespace-progress': return [`${ns}${num(e.pending)} files pending`, 'info']
    case 'peer-connected': return [`${ns}peer ${shortId(e.peer)} connected`, 'ok']
    case 'peer-disconnected': return [`${ns}peer ${shortId(e.peer)} left`, 'warn']
    case 'conflict': return [`${ns}conflict on ${e.path}`, 'bad']
    case 'node': return [e.message, 'info']
    default: return [`${ns}${e.type}`, '']
  }
}

function renderEvents () {
  const box = $('events')
  // A namespace going from starting to idle right after "added" says nothing new.
  const shown = state.events.filter((e) => !(e.type === 'namespace-state' && e.from === 'starting' && e.to === 'idle'))
  if (shown.length === 0) { box.replaceChildren(h('li', { class: 'none' }, 'Nothing yet: changes appear here as they happen.')); return }
  box.replaceChildren(...shown.map((e) => {
    const [text, tone] = eventLine(e)
    return h('li', {}, h('span', { class: `dot ${tone}` }), h('span', {}, text), h('time', { datetime: e.time }, clock(e.time)))
  }))
}

// ---- data ----

let refreshes = 0
async function refresh () {
  const mine = ++refreshes
  try {
    const [node, namespaces, peers] = await Promise.all([api('GET', '/node'), api('GET', '/namespaces'), api('GET', '/peers')])
    if (mine !== refreshes) return // a later refresh started: its answer is newer
    Object.assign(state, { node, namespaces, peers })
    renderNode(); renderNamespaces(); renderPeers(); renderEvents()
  } catch (err) {
    if (err.status !== 401) console.warn('refresh failed', err)
  }
}

/** At most one refresh per 250 ms however fast events come (a debounce would starve under a stream of progress events). */
function scheduleRefresh () {
  if (state.refreshTimer !== null) return
  state.refreshTimer = setTimeout(() => { state.refreshTimer = null; refresh() }, 250)
}

function setLive (s) {
  const el = $('live')
  el.dataset.state = s
  el.querySelector('.live-text').textContent = s
}

function startLive () {
  stopLive()
  // since=0 on the first connection: the recent activity the node still buffers. A reconnect sends
  // Last-Event-ID, which the server prefers, so nothing is shown twice.
  const es = new EventSource(`${API}/events?since=0`)
  state.source = es
  es.addEventListener('hello', (m) => {
    // The node restarted (its event ids start again): what we listed belongs to the old run.
    if (JSON.parse(m.data).lastId < (state.events[0]?.id ?? 0)) { state.events = []; renderEvents() }
    setLive('live')
    scheduleRefresh()
  })
  es.onmessage = (m) => {
    const e = JSON.parse(m.data)
    if (state.events.some((x) => x.id === e.id)) return
    state.events = [e, ...state.events].slice(0, 30)
    if (!state.renderQueued) {
      state.renderQueued = true
      requestAnimationFrame(() => { state.renderQueued = false; renderEvents() })
    }
    scheduleRefresh()
  }
  es.onerror = () => {
    setLive('reconnecting')
    // A closed stream is not retried by the browser (e.g. the session ended): check who we are.
    if (es.readyState === EventSource.CLOSED) setTimeout(() => { refresh().then(() => { if (!$('app-view').hidden) startLive() }) }, 3000)
  }
  state.pollTimer = setInterval(refresh, POLL_MS)
  state.tick = setInterval(() => {
    const up = $('uptime')
    if (up && state.node) up.textContent = duration((Date.now() - Date.parse(state.node.startedAt)) / 1000)
  }, 1000)
}

function stopLive () {
  state.source?.close()
  state.source = null
  clearInterval(state.pollTimer)
  clearInterval(state.tick)
  clearTimeout(state.refreshTimer)
  state.refreshTimer = null
}

// ---- actions ----

function showError (el, err) {
  el.replaceChildren(err.message, err.hint ? h('span', { class: 'hint' }, err.hint) : '')
  el.hidden = false
}

async function busy (button, fn) {
  if (button) button.disabled = true
  try { return await fn() } finally { if (button) button.disabled = false }
}

async function reveal (ns, readOnly, button) {
  await busy(button, async () => {
    try {
      const r = await api('GET', `/namespaces/${encodeURIComponent(ns.name)}/secret${readOnly ? '?readOnly=1' : ''}`)
      state.secrets.set(ns.name, { secret: r.secret, readOnly })
      renderNamespaces()
    } catch (err) { if (err.status !== 401) toast(err.message, 'bad') }
  })
}

async function resume (ns, button) {
  await busy(button, async () => {
    try {
      await api('POST', `/namespaces/${encodeURIComponent(ns.name)}/resume`)
      toast(`${ns.name} resumed`)
      await refresh()
    } catch (err) { if (err.status !== 401) toast(`${err.message}${err.hint ? ` — ${err.hint}` : ''}`, 'bad') }
  })
}

function confirmRemove (ns) {
  const dialog = $('remove-dialog')
  $('remove-name').textContent = ns.name
  $('remove-path').textContent = ns.hostPath
  $('remove-keep').checked = true
  dialog.dataset.name = ns.name
  dialog.returnValue = ''
  dialog.showModal()
}

async function onRemoveClosed () {
  const dialog = $('remove-dialog')
  if (dialog.returnValue !== 'remove') return
  const name = dialog.dataset.name
  const keep = $('remove-keep').checked
  try {
    await api('DELETE', `/namespaces/${encodeURIComponent(name)}${keep ? '?keepData=1' : ''}`)
    toast(`${name} removed${keep ? '; its files are kept' : ''}`)
    state.namespaces = state.namespaces.filter((n) => n.name !== name)
    renderNamespaces()
    scheduleRefresh()
  } catch (err) { if (err.status !== 401) toast(err.message, 'bad') }
}

function toggleAdd (show) {
  const form = $('add-form')
  form.hidden = !show
  $('add-error').hidden = true
  if (show) { form.reset(); $('add-name').focus() }
}

async function onAdd (ev) {
  ev.preventDefault()
  const name = $('add-name').value.trim()
  const secret = $('add-secret').value.trim()
  const err = $('add-error')
  if (!NAME_RE.test(name) || name.includes('..')) {
    showError(err, { message: name ? `“${name}” is not a valid name` : 'a name is required', hint: 'use 1 to 63 characters from a-z, 0-9, ., _ and -, starting with a letter or digit' })
    $('add-name').focus()
    return
  }
  await busy($('add-submit'), async () => {
    try {
      const r = await api('POST', '/namespaces', secret ? { name, secret } : { name })
      toggleAdd(false)
      state.open.add(r.name)
      toast(r.created ? `${r.name} ${secret ? 'joined' : 'created'}${secret ? '' : ' — share it with “Show secret”'}` : `${r.name} already exists`)
      await refresh()
    } catch (e) {
      if (e.status !== 401) showError(err, e)
    }
  })
}

async function onLogin (ev) {
  ev.preventDefault()
  const button = ev.submitter ?? $('login-form').querySelector('button')
  await busy(button, async () => {
    try {
      await api('POST', '/login', { password: $('login-password').value })
      $('login-password').value = ''
      await showApp()
    } catch (err) {
      const e = $('login-error')
      showError(e, err.status === 429 ? { message: 'Too many failed attempts.', hint: err.hint } : err.status === 401 ? { message: 'Wrong password.' } : err)
      $('login-password').select()
    }
  })
}

async function onLogout () {
  try { await api('POST', '/logout') } catch {}
  state.secrets.clear()
  state.events = []
  $('toasts').replaceChildren()
  showLogin()
}

function init () {
  $('login-form').addEventListener('submit', onLogin)
  $('logout').addEventListener('click', onLogout)
  $('show-add').addEventListener('click', () => toggleAdd($('add-form').hidden))
  $('add-cancel').addEventListener('click', () => toggleAdd(false))
  $('add-form').addEventListener('submit', onAdd)
  $('remove-dialog').addEventListener('close', onRemoveClosed)
  // Logged in already? /node answers 401 otherwise, which shows the login form.
  api('GET', '/node').then(() => showApp(), (err) => { if (err.status !== 401) showLogin(err.message) })
}

init()
