// The person's page: reads the person's access log and consents through /graphql with their
// own token and renders them in words (translations.json). No personal data is in the page
// itself; nothing is read that the token may not read. No framework, no external request.
'use strict';
(() => {
  const app = document.getElementById('app');
  const base = app.dataset.base;
  const LANGS = ['fr', 'de', 'en'];
  const state = { lang: pickLanguage(), t: null, token: sessionStorage.getItem('ciigraph-token'), avs: null, data: null, preview: null, message: null };

  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get('lang');
    if (LANGS.includes(asked)) return asked;
    const nav = (navigator.language || 'fr').slice(0, 2);
    return LANGS.includes(nav) ? nav : 'fr';
  }

  // The e-ID returns the token in the fragment (never sent to a server): kept for this tab only.
  const fragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fragment) {
    state.token = fragment;
    sessionStorage.setItem('ciigraph-token', fragment);
    history.replaceState(null, '', location.pathname + location.search);
  }

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  };
  const tr = (group, key) => (state.t[group] && state.t[group][key]) || key;
  const ui = (key) => tr('ui', key);
  const when = (iso) => new Date(iso).toLocaleString(state.lang + '-CH', { dateStyle: 'long', timeStyle: 'short' });
  const day = (iso) => new Date(iso + (iso.length === 10 ? 'T12:00:00Z' : '')).toLocaleDateString(state.lang + '-CH', { dateStyle: 'long' });

  function subjectOf(token) {
    try {
      const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch { return null; }
  }

  async function gql(query, variables) {
    const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + state.token }, body: JSON.stringify({ query, variables }) });
    const body = await res.json();
    if (res.status === 401) { signOut(); throw new Error(ui('signIn')); }
    if (body.errors && body.errors.length) throw new Error(body.errors.map((e) => e.message).join(' '));
    return body.data;
  }

  const READ = `query($avs: ID!) {
    accessLog(avs: $avs, first: 500) { id at action institution role category decision legalBasis consentId purpose caseReference }
    person(avs: $avs) { consents { id recipients categories purpose validUntil grantedAt revokedAt recordedBy { institution role } } consentForms { sha256 path consentIds } }
  }`;

  async function load() {
    state.avs = subjectOf(state.token);
    state.data = await gql(READ, { avs: state.avs });
  }

  function signOut() {
    sessionStorage.removeItem('ciigraph-token');
    state.token = null;
    state.data = null;
    render();
  }

  function languageBar() {
    return el('nav', { 'aria-label': ui('language') }, LANGS.map((l) => el('button', { type: 'button', lang: l, 'aria-pressed': String(l === state.lang), onclick: () => setLanguage(l) }, l.toUpperCase())));
  }

  async function setLanguage(lang) {
    state.lang = lang;
    document.documentElement.lang = lang;
    render();
  }

  function accessLine(e) {
    const who = e.role === 'data-subject' ? tr('roles', e.role) : tr('roles', e.role) + ' (' + tr('institutions', e.institution) + ')';
    let what;
    if (e.action === 'READ') what = [tr('actions', e.decision === 'ALLOWED' ? 'READ' : 'READ_DENIED'), ' ', tr('categories', e.category)];
    else what = [tr('actions', e.action)];
    const why = [];
    if (e.purpose) why.push(ui('forPurpose') + ' ' + tr('purposes', e.purpose));
    if (e.caseReference) why.push(ui('inCase') + ' ' + e.caseReference);
    if (e.decision === 'ALLOWED' && e.action === 'READ') why.push(e.consentId ? ui('byConsent') : e.legalBasis ? ui('underLaw') + ' ' + e.legalBasis : '');
    return el('li', { class: e.decision === 'DENIED' ? 'denied' : undefined, 'data-entry': e.id },
      el('span', { class: 'when' }, when(e.at)), who, ' ', ...what, why.filter(Boolean).length ? ' — ' + why.filter(Boolean).join(', ') : '', '.');
  }

  function consentCard(c, forms) {
    const form = forms.find((f) => f.consentIds.includes(c.id));
    const givenByYou = c.recordedBy && c.recordedBy.role === 'data-subject';
    return el('div', { class: 'consent' + (c.revokedAt ? ' revoked' : ''), 'data-consent': c.id },
      el('p', {}, ui('releases'), ' ', c.recipients.map((r) => tr('institutions', r)).join(', '), ' ', ui('toRead'), ' ', c.categories.map((k) => tr('categories', k)).join(', '),
        ' — ', ui('forPurpose'), ' ', tr('purposes', c.purpose), ', ', ui('until'), ' ', day(c.validUntil), '.'),
      el('p', { class: 'when' }, givenByYou ? ui('givenByYou') : c.recordedBy ? ui('recordedBy') + ' ' + tr('roles', c.recordedBy.role) + ' (' + tr('institutions', c.recordedBy.institution) + ')' : '', ', ', when(c.grantedAt),
        c.revokedAt ? ' — ' + ui('withdrawn') + ' ' + when(c.revokedAt) : ''),
      form ? el('p', {}, el('button', { type: 'button', 'data-form': form.sha256, onclick: () => openForm(form) }, ui('form'))) : null,
      c.revokedAt ? null : el('button', { type: 'button', class: 'danger', onclick: () => withdraw(c.id) }, ui('withdraw')));
  }

  // The form needs the token: fetched, then handed to the browser as a download (its reading is journaled).
  async function openForm(form) {
    const res = await fetch(form.path, { headers: { authorization: 'Bearer ' + state.token } });
    if (!res.ok) { state.message = { error: true, text: ui('error') + ': ' + res.status }; render(); return; }
    const a = el('a', { href: URL.createObjectURL(await res.blob()), download: 'consent-' + form.sha256.slice(0, 12) });
    a.click();
  }

  async function withdraw(id) {
    if (!window.confirm(ui('confirmWithdraw'))) return;
    await act(() => gql('mutation($id: ID!) { revokeConsent(id: $id) { id } }', { id }));
  }

  async function act(work) {
    try {
      await work();
      await load();
      state.message = null;
    } catch (e) {
      state.message = { error: true, text: ui('error') + ': ' + e.message };
    }
    render();
  }

  function giveForm() {
    const chosen = state.preview ? state.preview.input : { recipients: [], categories: [], purpose: 'cii', validUntil: '' };
    const check = (name, value, label, on) => el('label', {}, el('input', { type: 'checkbox', name, value, checked: on }), ' ', label);
    const inFuture = new Date(Date.now() + 180 * 86400000).toISOString().slice(0, 10);
    const form = el('form', { id: 'give', onsubmit: (e) => { e.preventDefault(); previewConsent(form); } },
      el('fieldset', {}, el('legend', {}, ui('recipients')), ['AC', 'AI', 'AS', 'PC', 'CII'].map((i) => check('recipient', i, tr('institutions', i), chosen.recipients.includes(i)))),
      el('fieldset', {}, el('legend', {}, ui('categories')), Object.keys(state.t.categories).filter((k) => /^(ac|ai|as|pc)\./.test(k)).map((k) => check('category', k, state.t.categories[k], chosen.categories.includes(k)))),
      el('label', {}, ui('purpose'), el('select', { name: 'purpose' }, Object.keys(state.t.purposes).map((p) => el('option', { value: p, selected: p === chosen.purpose }, state.t.purposes[p])))),
      el('label', {}, ui('validUntil'), el('input', { type: 'date', name: 'validUntil', value: chosen.validUntil || inFuture })),
      el('button', { type: 'submit' }, ui('preview')));
    return form;
  }

  async function previewConsent(form) {
    const data = new FormData(form);
    const input = { recipients: data.getAll('recipient'), categories: data.getAll('category'), purpose: data.get('purpose'), validUntil: data.get('validUntil') };
    await act(async () => {
      const r = await gql('query($r: [Institution!]!, $c: [String!]!, $p: String!) { consentPreview(recipients: $r, categories: $c, purpose: $p) { recipient role category effect legalBasis fields } }', { r: input.recipients, c: input.categories, p: input.purpose });
      state.preview = { input, lines: r.consentPreview };
    });
  }

  function previewBlock() {
    if (!state.preview) return null;
    return el('section', { class: 'preview', 'aria-label': ui('previewTitle') },
      el('h3', {}, ui('previewTitle')),
      el('ul', { class: 'entries' }, state.preview.lines.map((l) => el('li', { 'data-effect': l.effect },
        tr('roles', l.role), ' (', tr('institutions', l.recipient), '): ', tr('categories', l.category), ' — ', ui('effect.' + l.effect), l.legalBasis ? ' (' + l.legalBasis + ')' : '',
        l.effect === 'consent' ? el('span', { class: 'fields' }, ' ', l.fields.join(', ')) : null))),
      el('button', { type: 'button', class: 'primary', onclick: confirmConsent }, ui('confirm')));
  }

  async function confirmConsent() {
    const input = state.preview.input;
    await act(async () => {
      await gql('mutation($input: GiveConsentInput!) { giveConsent(input: $input) { id } }', { input });
      state.preview = null;
    });
    if (!state.message) { state.message = { text: ui('given') }; render(); }
  }

  function render() {
    if (state.all) state.t = state.all[state.lang];
    document.documentElement.lang = state.lang;
    document.title = ui('title');
    const top = el('header', {}, el('h1', {}, ui('title')), languageBar());
    if (!state.token) {
      const area = el('textarea', { id: 'token', rows: '3', 'aria-label': ui('tokenLabel') });
      app.replaceChildren(top, el('p', {}, ui('signIn')),
        el('form', { onsubmit: (e) => { e.preventDefault(); state.token = area.value.trim(); sessionStorage.setItem('ciigraph-token', state.token); start(); } },
          el('label', { for: 'token' }, ui('tokenLabel')), area, el('button', { type: 'submit' }, ui('open'))));
      return;
    }
    const parts = [top];
    if (state.message) parts.push(el('p', { class: state.message.error ? 'error' : 'notice', role: 'status' }, state.message.text));
    if (state.data) {
      const log = state.data.accessLog;
      parts.push(el('h2', {}, ui('whoRead')), log.length ? el('ul', { class: 'entries', id: 'access-log' }, log.map(accessLine)) : el('p', {}, ui('noAccess')));
      const consents = state.data.person.consents || [];
      parts.push(el('h2', {}, ui('myConsents')), consents.length ? el('div', { id: 'consents' }, consents.map((c) => consentCard(c, state.data.person.consentForms || []))) : el('p', {}, ui('noConsent')));
      parts.push(el('h2', {}, ui('giveTitle')), giveForm(), previewBlock());
    }
    parts.push(el('p', {}, el('button', { type: 'button', onclick: signOut }, ui('signOut'))));
    app.replaceChildren(...parts.filter(Boolean));
  }

  async function start() {
    if (!state.t) {
      const all = await (await fetch(base + '/translations.json')).json();
      state.all = all;
    }
    state.t = state.all[state.lang];
    if (state.token) {
      try { await load(); } catch (e) { state.message = { error: true, text: ui('error') + ': ' + e.message }; }
    }
    render();
  }

  start();
})();
