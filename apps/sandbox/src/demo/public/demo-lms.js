/* The demo LMS page: plain browser JavaScript, no build step. It talks to the gateway's public REST API only,
 * with a short-lived user JWT that the sandbox (standing in for the LMS backend) mints at /demo/token. */
'use strict';

(function () {
  /** How often the back-end panel asks the sandbox (this LMS's own back end, not the gateway) what it received. */
  const WEBHOOKS_POLL_MS = 2000;
  const EVENT_TYPES = [
    'bazaar.material_added',
    'bazaar.material_removed',
    'course.import_finished',
    'learner.deleted',
    'registration.completed',
    'registration.deleted_upstream',
    'registration.progress_changed',
  ];
  const state = { config: null, user: null, course: null, token: null, tokenExp: 0, registrations: [] };
  /** The live event stream: one EventSource, the last event id seen (to resume from), and which open is current. */
  const stream = { source: null, lastId: null, generation: 0, retryTimer: null, retryMs: 3000, synced: false };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function notice(kind, text) {
    const box = $('notice');
    box.hidden = !text;
    box.className = `notice ${kind || ''}`;
    box.dataset.kind = kind || '';
    box.textContent = text || '';
  }

  function logCall(method, path, status, ms) {
    const line = el('li', { class: status >= 400 || status === 0 ? 'fail' : '', 'data-status': status });
    line.textContent = `${method} ${path} → ${status || 'network error'} (${ms} ms)`;
    $('api-log').prepend(line);
    while ($('api-log').children.length > 30) $('api-log').lastChild.remove();
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (body.message || body.error)) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function token() {
    if (state.token && Date.now() < state.tokenExp - 60000) return state.token;
    const response = await fetch(`/demo/token?user=${encodeURIComponent(state.user.key)}`);
    if (!response.ok) throw new Error(`The demo LMS could not mint a token (${response.status})`);
    const minted = await response.json();
    state.token = minted.token;
    state.tokenExp = Date.parse(minted.expires_at);
    return state.token;
  }

  /** One gateway call, as any LMS UI would make it: Bearer user token, JSON in and out. */
  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${await token()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const started = Date.now();
    let response;
    try {
      response = await fetch(state.config.gateway_url + path, {
        body: body === undefined ? undefined : JSON.stringify(body),
        headers,
        method,
      });
    } catch (error) {
      logCall(method, path, 0, Date.now() - started);
      throw new Error(`The gateway at ${state.config.gateway_url} is unreachable (${error.message})`);
    }
    logCall(method, path, response.status, Date.now() - started);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { message: text };
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function failed(what, error) {
    const code = error.body && error.body.code ? ` [${error.body.code}]` : '';
    notice('bad', `${what} failed: ${error.message}${code}`);
  }

  /** The Bazaar user and course fields (seed 001) for the current user and course. */
  function bazaarFields() {
    const u = state.user;
    return {
      city: u.city,
      city_id: u.city_id,
      context_id: state.course.context_id,
      context_title: state.course.context_title,
      email: u.email,
      first_name: u.first_name,
      last_name: u.last_name,
      role: u.role,
      school: u.school,
      school_id: u.school_id,
      user_id: u.user_id,
    };
  }

  function pageUrl() {
    const url = new URL('/demo', window.location.origin);
    url.searchParams.set('user', state.user.key);
    url.searchParams.set('course', state.course.context_id);
    return url.toString();
  }

  // ---- materials (Bazaar) ----

  async function loadMaterials() {
    const list = $('materials');
    let data;
    try {
      data = await api('GET', `/api/v1/contexts/${encodeURIComponent(state.course.context_id)}/materials`);
    } catch (error) {
      failed('Listing materials', error);
      return;
    }
    const materials = (data && data.materials) || [];
    list.replaceChildren(...materials.map(materialItem));
    $('materials-empty').hidden = materials.length > 0;
  }

  const initial = (material) => el('div', { class: 'thumb', text: (material.name || '?').charAt(0) });

  function materialItem(material) {
    const images = material.images || {};
    const image = images.thumbnail || images.low_resolution || images.standard_resolution;
    const isTeacher = state.user.role !== 'student';
    return el(
      'li',
      { class: 'material', 'data-testid': 'material', 'data-uid': material.uid },
      image
        ? el('img', { alt: '', onerror: (event) => event.target.replaceWith(initial(material)), src: image.url })
        : initial(material),
      el(
        'div',
        { class: 'text' },
        el('strong', { 'data-testid': 'material-name', text: material.name }),
        el('div', { class: 'muted small', text: material.description || '' }),
      ),
      el(
        'div',
        { class: 'actions' },
        el('button', {
          'data-testid': 'open-material',
          onclick: () => openMaterial(material),
          text: 'Open',
          type: 'button',
        }),
        isTeacher
          ? el('button', {
              class: 'secondary',
              'data-testid': 'remove-material',
              onclick: () => removeMaterial(material),
              text: 'Remove',
              type: 'button',
            })
          : null,
      ),
    );
  }

  async function addFromBazaar() {
    $('add-material').disabled = true;
    try {
      const { browse_url } = await api('POST', '/api/v1/bazaar/browse', { ...bazaarFields(), return_url: pageUrl() });
      // The store posts the pick back to the gateway, which stores it and 303s the browser to return_url.
      window.location.assign(browse_url);
    } catch (error) {
      $('add-material').disabled = false;
      failed('Add from Bazaar', error);
    }
  }

  async function openMaterial(material) {
    // Opened now, inside the click, so popup blockers allow it; pointed at the one-time URL when it arrives.
    const tab = window.open('', '_blank');
    try {
      const { view_url } = await api('POST', '/api/v1/bazaar/view', {
        ...bazaarFields(),
        resource_uid: material.uid,
        return_url: pageUrl(),
      });
      if (tab) tab.location.href = view_url;
      else window.location.assign(view_url);
      notice('ok', `Opened "${material.name}" through a fresh one-time Bazaar link.`);
    } catch (error) {
      if (tab) tab.close();
      failed(`Opening "${material.name}"`, error);
    }
  }

  async function removeMaterial(material) {
    try {
      const path = `/api/v1/contexts/${encodeURIComponent(state.course.context_id)}/materials/${encodeURIComponent(material.uid)}`;
      await api('DELETE', path);
      notice('ok', `Removed "${material.name}" from ${state.course.context_title}.`);
      await loadMaterials();
    } catch (error) {
      failed('Removing the material', error);
    }
  }

  /** The gateway sends the browser back with ?bazaar_status=added&count=N | cancelled | error&bazaar_error=… */
  function showReturnOutcome(params) {
    const status = params.get('bazaar_status');
    if (!status) return;
    if (status === 'added') {
      const count = Number(params.get('count') || 1);
      notice('ok', `Bazaar: added ${count} material${count === 1 ? '' : 's'} to ${state.course.context_title}.`);
    } else if (status === 'cancelled') {
      notice('warn', 'Bazaar: you cancelled; nothing was added.');
    } else {
      notice('bad', `Bazaar: adding failed (${params.get('bazaar_error') || status}).`);
    }
    $('notice').dataset.bazaarStatus = status;
    for (const key of ['bazaar_status', 'bazaar_error', 'count']) params.delete(key);
    const query = params.toString();
    window.history.replaceState(null, '', `/demo${query ? `?${query}` : ''}`);
  }

  // ---- SCORM courses ----

  const registrationId = (r) => r.registration_id || r.id;
  const pct = (score) => (score === null || score === undefined ? '–' : `${Math.round(Number(score))}%`);

  /** Reads the learner's registrations once (on sign-in, after enrolling, after a reconnect); events keep them current. */
  async function loadScorm() {
    if (state.user.role === 'student') {
      try {
        const data = await api('GET', `/api/v1/scorm/learners/${encodeURIComponent(state.user.user_id)}/progress`);
        state.registrations = (data && data.registrations) || [];
      } catch (error) {
        failed('Reading progress', error);
      }
    } else {
      state.registrations = [];
    }
    renderScorm();
  }

  function renderScorm() {
    const courses = state.config.scorm_courses || [];
    $('scorm-empty').hidden = courses.length > 0;
    if (state.config.scorm_error)
      $('scorm-empty').textContent = `SCORM courses are unavailable: ${state.config.scorm_error}`;
    if (state.user.role !== 'student') {
      $('scorm-hint').textContent =
        "Switch to a student to enrol and launch; this course's results appear below under Live events as they happen.";
    } else {
      $('scorm-hint').textContent =
        'Enrol, launch, finish the course in the player: the result arrives by postback and reaches this page on the event stream.';
    }
    $('scorm-rows').replaceChildren(...courses.map((course) => scormRow(course, state.registrations)));
  }

  function scormRow(course, registrations) {
    const mine = registrations.filter((r) => r.course_id === course.course_id);
    // The active registration if there is one; else the newest, which SCORM Cloud may have deleted.
    const reg = mine.find((r) => r.status !== 'deleted_upstream') || mine[mine.length - 1];
    const gone = reg && reg.status === 'deleted_upstream';
    const progress = (reg && reg.progress) || {};
    const completion = gone ? 'deleted_upstream' : progress.completion || (reg ? 'UNKNOWN' : '');
    const success = progress.success || (reg ? 'UNKNOWN' : '');
    const isStudent = state.user.role === 'student';
    const id = course.course_id;
    return el(
      'tr',
      { 'data-testid': 'scorm-course', 'data-course-id': id, 'data-status': reg ? reg.status : 'none' },
      el('td', { text: course.title || id }),
      el('td', {
        class: 'small muted',
        'data-testid': 'registration-id',
        text: reg ? registrationId(reg) : 'not enrolled',
      }),
      el('td', {
        class: `status-${completion}`,
        'data-testid': 'completion',
        text: gone ? 'deleted on SCORM Cloud' : completion || '–',
      }),
      el('td', { class: `status-${success}`, 'data-testid': 'success', text: success || '–' }),
      el('td', { 'data-testid': 'score', text: reg ? pct(progress.score) : '–' }),
      el(
        'td',
        {},
        !isStudent
          ? null
          : gone
            ? el('button', {
                'data-testid': 'enrol-again',
                onclick: () => enrol(course),
                text: 'Enrol again',
                type: 'button',
              })
            : reg
              ? el('button', {
                  'data-testid': 'launch',
                  onclick: () => launch(reg, course),
                  text: 'Launch',
                  type: 'button',
                })
              : el('button', { 'data-testid': 'enrol', onclick: () => enrol(course), text: 'Enrol', type: 'button' }),
      ),
    );
  }

  async function enrol(course) {
    try {
      await api('POST', '/api/v1/scorm/registrations', {
        context_id: state.course.context_id,
        course_id: course.course_id,
        learner_first_name: state.user.first_name,
        learner_id: state.user.user_id,
        learner_last_name: state.user.last_name,
      });
      notice('ok', `Enrolled ${state.user.first_name} in "${course.title}".`);
    } catch (error) {
      failed('Enrolling', error);
    }
    await loadScorm();
  }

  async function launch(reg, course) {
    const tab = window.open('', '_blank');
    try {
      const { launch_url } = await api(
        'POST',
        `/api/v1/scorm/registrations/${encodeURIComponent(registrationId(reg))}/launch`,
        {
          redirect_url: pageUrl(),
        },
      );
      if (tab) tab.location.href = launch_url;
      else window.location.assign(launch_url);
      notice('ok', `Launched "${course.title}"; this page updates when the player reports results.`);
    } catch (error) {
      if (tab) tab.close();
      failed('Launching', error);
    }
  }

  // ---- the live event stream ----

  function setStreamState(kind, text) {
    $('stream-state').dataset.state = kind;
    $('stream-state').textContent = text;
  }

  function closeStream() {
    stream.generation += 1;
    clearTimeout(stream.retryTimer);
    if (stream.source) stream.source.close();
    stream.source = null;
  }

  /**
   * Opens the stream with a fresh single-use ticket (EventSource cannot send the Bearer token, and the token must not
   * go in a URL), resuming after the last event id seen. A ticket opens one stream only, so the page reconnects
   * itself with a new ticket instead of letting EventSource retry the used one.
   */
  async function openStream() {
    closeStream();
    const generation = stream.generation;
    setStreamState('connecting', 'connecting…');
    let ticket;
    try {
      ({ ticket } = await api('POST', '/api/v1/events/stream-tickets'));
    } catch (error) {
      if (generation === stream.generation) reconnectLater(generation, `ticket refused: ${error.message}`);
      return;
    }
    if (generation !== stream.generation) return;
    const url = new URL(`${state.config.gateway_url}/api/v1/events/stream`);
    url.searchParams.set('ticket', ticket);
    if (stream.lastId !== null) url.searchParams.set('last_event_id', stream.lastId);
    const resumed = stream.lastId !== null;
    const source = new EventSource(url.toString());
    stream.source = source;
    source.addEventListener('open', () => {
      if (generation !== stream.generation) return;
      setStreamState('live', resumed ? `live (resumed after #${stream.lastId})` : 'live');
      logCall('GET', '/api/v1/events/stream (EventSource)', 200, 0);
      // Without a position to resume from, something may have happened while the stream was down: read once.
      if (!resumed && !stream.synced && state.user.role === 'student') loadScorm();
      stream.synced = false;
    });
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (generation !== stream.generation) return;
        stream.lastId = message.lastEventId;
        onEvent(type, message.lastEventId, JSON.parse(message.data));
      });
    }
    source.addEventListener('error', () => {
      if (generation !== stream.generation) return;
      source.close();
      reconnectLater(generation, 'reconnecting…');
    });
  }

  function reconnectLater(generation, text) {
    setStreamState('reconnecting', text);
    clearTimeout(stream.retryTimer);
    stream.retryTimer = setTimeout(() => generation === stream.generation && openStream(), stream.retryMs);
  }

  function describeEvent(type, data) {
    const who = data.learner_id ? ` learner ${data.learner_id}` : '';
    if (type === 'registration.progress_changed') {
      const c = data.current || {};
      return `${who}: ${c.completion} / ${c.success}, score ${pct(c.score)} (registration ${data.registration_id})`;
    }
    if (type === 'registration.completed')
      return `${who} completed ${data.course_id}: ${data.success}, score ${pct(data.score)}`;
    if (type === 'registration.deleted_upstream') return `${who}: SCORM Cloud deleted ${data.registration_id}`;
    if (type === 'bazaar.material_added') return `: "${data.name}" added to ${data.context_id} by ${data.added_by}`;
    if (type === 'bazaar.material_removed')
      return `: ${data.material_uid} removed from ${data.context_id} by ${data.removed_by}`;
    return '';
  }

  function onEvent(type, id, payload) {
    const data = payload.data || {};
    const line = el('li', { 'data-testid': 'stream-event', 'data-type': type, 'data-id': id });
    line.append(el('code', { text: `#${id} ${type}` }), document.createTextNode(describeEvent(type, data)));
    $('stream-events').prepend(line);
    while ($('stream-events').children.length > 30) $('stream-events').lastChild.remove();
    $('stream-empty').hidden = true;
    $('stream-position').textContent = `last event #${id}`;

    if (type.startsWith('bazaar.material_') && data.context_id === state.course.context_id) loadMaterials();
    if (!type.startsWith('registration.') || state.user.role !== 'student') return;
    const reg = state.registrations.find((r) => registrationId(r) === data.registration_id);
    if (!reg) {
      loadScorm();
      return;
    }
    if (type === 'registration.progress_changed' && data.current) {
      reg.progress = { ...(reg.progress || {}), ...data.current };
    } else if (type === 'registration.deleted_upstream') {
      reg.status = 'deleted_upstream';
      notice('warn', 'SCORM Cloud no longer has your registration; its last result is kept. Enrol again to retake it.');
    } else if (type === 'registration.completed') {
      notice('ok', `Completed: ${data.success}, score ${pct(data.score)}.`);
    }
    renderScorm();
  }

  // ---- the LMS back end's received webhooks (the sandbox's own endpoint) ----

  async function loadWebhooks() {
    let data;
    try {
      data = await (await fetch('/lms/webhooks/received', { cache: 'no-store' })).json();
    } catch {
      return;
    }
    const rows = (data.received || []).slice(0, 15).map((w) =>
      el(
        'tr',
        { 'data-testid': 'webhook', 'data-type': w.type, 'data-webhook-id': w.webhook_id },
        el('td', { class: 'small', text: new Date(w.received_at).toLocaleTimeString() }),
        el('td', {}, el('code', { text: w.type })),
        el('td', {
          class: 'small',
          text: w.data
            ? w.data.registration_id ||
              w.data.name ||
              w.data.material_uid ||
              w.data.course_id ||
              w.data.context_id ||
              ''
            : '',
        }),
        el('td', {}, el('code', { text: w.webhook_id })),
        el('td', {
          class: 'verified',
          'data-testid': 'webhook-verified',
          text: `verified${w.duplicates ? `, ${w.duplicates} retr${w.duplicates === 1 ? 'y' : 'ies'} dropped` : ''}`,
        }),
      ),
    );
    $('webhook-rows').replaceChildren(...rows);
    $('webhooks-empty').hidden = rows.length > 0;
    const rejected = (data.rejected || []).length;
    $('webhooks-rejected').textContent = rejected ? `${rejected} refused (bad or stale signature)` : '';
  }

  function startWebhookPanel() {
    loadWebhooks();
    setInterval(() => document.hidden || loadWebhooks(), WEBHOOKS_POLL_MS);
  }

  // ---- user and course ----

  async function select() {
    state.user = state.config.users.find((u) => u.key === $('user-select').value) || state.config.users[0];
    state.course =
      state.config.courses.find((c) => c.context_id === $('course-select').value) || state.config.courses[0];
    state.token = null;
    $('who-name').textContent = `${state.user.first_name} ${state.user.last_name}`;
    $('who-role').textContent = state.user.role;
    $('who-course').textContent = state.course.context_title;
    $('who-school').textContent =
      `${state.user.school} (${state.user.school_id}), ${state.user.city} (${state.user.city_id})`;
    const teacher = state.user.role !== 'student';
    $('add-material').hidden = !teacher;
    $('add-material').disabled = false;
    $('add-hint').hidden = teacher;
    document.body.dataset.user = state.user.key;
    document.body.dataset.course = state.course.context_id;
    window.history.replaceState(null, '', new URL(pageUrl()).pathname + new URL(pageUrl()).search);
    // Another user sees other events: a new stream from now, with that user's ticket.
    stream.lastId = null;
    stream.synced = true;
    $('stream-events').replaceChildren();
    $('stream-empty').hidden = false;
    $('stream-position').textContent = '';
    await Promise.all([loadMaterials(), loadScorm()]);
    openStream();
    document.body.dataset.ready = 'true';
  }

  async function init() {
    state.config = await (await fetch('/demo/config')).json();
    const params = new URLSearchParams(window.location.search);
    $('gateway-url').textContent = state.config.gateway_url;
    $('docs-link').href = `${state.config.gateway_url}/docs`;
    $('user-select').replaceChildren(
      ...state.config.users.map((u) =>
        el('option', { value: u.key, text: `${u.first_name} ${u.last_name} (${u.role})` }),
      ),
    );
    $('course-select').replaceChildren(
      ...state.config.courses.map((c) => el('option', { value: c.context_id, text: c.context_title })),
    );
    if (params.get('user')) $('user-select').value = params.get('user');
    if (params.get('course')) $('course-select').value = params.get('course');
    state.user = state.config.users.find((u) => u.key === $('user-select').value) || state.config.users[0];
    state.course =
      state.config.courses.find((c) => c.context_id === $('course-select').value) || state.config.courses[0];
    showReturnOutcome(params);
    $('user-select').addEventListener('change', () => {
      notice('', '');
      select();
    });
    $('course-select').addEventListener('change', () => {
      notice('', '');
      select();
    });
    $('add-material').addEventListener('click', addFromBazaar);
    await select();
    startWebhookPanel();
  }

  init().catch((error) => notice('bad', `The demo page could not start: ${error.message}`));
})();
