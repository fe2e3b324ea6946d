/* The demo LMS page: plain browser JavaScript, no build step. It talks to the gateway's public REST API only,
 * with a short-lived user JWT that the sandbox (standing in for the LMS backend) mints at /demo/token. */
'use strict';

(function () {
  const POLL_MS = 2000;
  const state = { config: null, user: null, course: null, token: null, tokenExp: 0, poll: null, scormBusy: false };
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

  async function loadScorm() {
    const courses = state.config.scorm_courses || [];
    $('scorm-empty').hidden = courses.length > 0;
    if (state.config.scorm_error)
      $('scorm-empty').textContent = `SCORM courses are unavailable: ${state.config.scorm_error}`;
    if (state.user.role !== 'student') {
      $('scorm-hint').textContent =
        'Switch to a student to enrol and launch; learners see their own progress here, updated every 2 s.';
    } else {
      $('scorm-hint').textContent = 'Enrol, launch, finish the course in the player: progress arrives by postback.';
    }
    let registrations = [];
    if (state.user.role === 'student') {
      try {
        const data = await api('GET', `/api/v1/scorm/learners/${encodeURIComponent(state.user.user_id)}/progress`);
        registrations = (data && (data.registrations || data.items)) || (Array.isArray(data) ? data : []);
      } catch (error) {
        failed('Reading progress', error);
      }
    }
    $('scorm-rows').replaceChildren(...courses.map((course) => scormRow(course, registrations)));
  }

  function scormRow(course, registrations) {
    const reg = registrations.find((r) => r.course_id === course.course_id);
    const progress = reg ? reg.progress || reg : {};
    const completion = progress.completion || progress.completion_status || (reg ? 'UNKNOWN' : '');
    const success = progress.success || progress.success_status || (reg ? 'UNKNOWN' : '');
    const isStudent = state.user.role === 'student';
    const id = course.course_id;
    return el(
      'tr',
      { 'data-testid': 'scorm-course', 'data-course-id': id },
      el('td', { text: course.title || id }),
      el('td', {
        class: 'small muted',
        'data-testid': 'registration-id',
        text: reg ? registrationId(reg) : 'not enrolled',
      }),
      el('td', { class: `status-${completion}`, 'data-testid': 'completion', text: completion || '–' }),
      el('td', { class: `status-${success}`, 'data-testid': 'success', text: success || '–' }),
      el('td', { 'data-testid': 'score', text: reg ? pct(progress.score) : '–' }),
      el(
        'td',
        {},
        !isStudent
          ? null
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

  function startPolling() {
    if (state.poll) clearInterval(state.poll);
    state.poll = setInterval(async () => {
      if (state.scormBusy || document.hidden) return;
      state.scormBusy = true;
      try {
        await loadScorm();
        $('poll-state').textContent = `updated ${new Date().toLocaleTimeString()}`;
      } finally {
        state.scormBusy = false;
      }
    }, POLL_MS);
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
    await Promise.all([loadMaterials(), loadScorm()]);
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
    startPolling();
  }

  init().catch((error) => notice('bad', `The demo page could not start: ${error.message}`));
})();
