// The IDE page's own script: plain browser JavaScript, no build step, loaded after React,
// ReactDOM and GraphiQL (UMD bundles served by the same handler). The requester picker asks
// the development issuer for a token (POST <base>/token) and writes Authorization,
// X-Purpose and X-Case-Reference into GraphiQL's headers editor, which its fetcher sends.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('ide-config').textContent);
  // The one-time secret that opens the token endpoint once; each answer hands over the next.
  var secret = config.secret;
  var form = document.getElementById('requester');
  var status = document.getElementById('requester-status');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  // GraphiQL's own introspection query nests its type references 9 deep, past the gateway's
  // depth limit (MAX_DEPTH, default 10, counted from the operation): this one asks three
  // wrappers deep (enough for [Person!]!), so the schema loads without loosening the limit.
  var TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';
  var INTROSPECTION =
    'query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } ' +
    'types { kind name description ' +
    'fields(includeDeprecated: true) { name description args { name description defaultValue type { ' + TYPE_REF + ' } } type { ' + TYPE_REF + ' } isDeprecated deprecationReason } ' +
    'inputFields { name description defaultValue type { ' + TYPE_REF + ' } } ' +
    'interfaces { ' + TYPE_REF + ' } ' +
    'enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } ' +
    'possibleTypes { ' + TYPE_REF + ' } } ' +
    'directives { name description locations isRepeatable args { name description defaultValue type { ' + TYPE_REF + ' } } } } }';

  function schemaFetcher(_params, opts) {
    return fetch(config.graphqlUrl, {
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, (opts && opts.headers) || {}),
      body: JSON.stringify({ query: INTROSPECTION, operationName: 'IntrospectionQuery' }),
    }).then(function (res) {
      return res.json();
    });
  }
  // Plain JSON responses: the gateway serves no incremental delivery.
  var fetcher = GraphiQL.createFetcher({ url: config.graphqlUrl, enableIncrementalDelivery: false, schemaFetcher: schemaFetcher });
  var headers = JSON.stringify({ Authorization: 'Bearer <paste a token>' }, null, 2);
  // What the headers editor holds now, so a pasted token survives a purpose change.
  var edited = headers;

  function render() {
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultQuery: config.defaultQuery,
        headers: headers,
        onEditHeaders: function (value) {
          edited = value;
        },
        // Tokens are never written to localStorage.
        shouldPersistHeaders: false,
        defaultEditorToolsVisibility: 'headers',
      }),
    );
  }

  /** Roles exist at some institutions only (the policy's roles): offer those of the picked one. */
  function filterRoles() {
    var institution = form.elements.institution.value;
    var first = null;
    Array.prototype.forEach.call(form.elements.role.options, function (option) {
      var here = option.dataset.institutions.split(' ').indexOf(institution) >= 0;
      option.hidden = !here;
      option.disabled = !here;
      if (here && !first) first = option;
    });
    var selected = form.elements.role.selectedOptions[0];
    if ((!selected || selected.disabled) && first) form.elements.role.value = first.value;
  }

  function expiryOf(token) {
    try {
      var payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return payload.exp ? new Date(payload.exp * 1000).toLocaleTimeString() : '';
    } catch (e) {
      return '';
    }
  }

  function currentAuthorization() {
    try {
      var parsed = JSON.parse(edited);
      return parsed.Authorization || parsed.authorization;
    } catch (e) {
      return undefined;
    }
  }

  async function apply() {
    var f = form.elements;
    var picked = {
      institution: f.institution.value,
      role: f.role.value,
      purpose: f.purpose.value || undefined,
      caseReference: f.caseReference.value.trim() || undefined,
      sub: f.sub.value.trim() || undefined,
    };
    var next = {};
    var until = '';
    if (config.tokenUrl) {
      form.dataset.state = 'pending';
      status.textContent = 'Getting a development token…';
      var res = await fetch(config.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ciigraph-ide-secret': secret || '' },
        body: JSON.stringify(picked),
      });
      var body = await res.json().catch(function () {
        return {};
      });
      if (body.secret) secret = body.secret;
      if (!res.ok || !body.token) {
        form.dataset.state = 'error';
        status.textContent = 'No token: ' + (body.error || 'HTTP ' + res.status);
        return;
      }
      next.Authorization = 'Bearer ' + body.token;
      until = expiryOf(body.token);
    } else {
      next.Authorization = currentAuthorization() || 'Bearer <paste a token>';
    }
    if (picked.purpose) next['X-Purpose'] = picked.purpose;
    if (picked.caseReference) next['X-Case-Reference'] = picked.caseReference;
    headers = edited = JSON.stringify(next, null, 2);
    render();
    status.textContent = config.tokenUrl
      ? 'As ' + picked.role + ' at ' + picked.institution +
        (picked.purpose ? ', purpose ' + picked.purpose : ', no purpose') +
        (picked.caseReference ? ', case ' + picked.caseReference : '') +
        (until ? ' (token valid until ' + until + ')' : '')
      : 'Purpose and case reference set; the token is the one in the headers.';
    form.dataset.state = 'ready';
    // For tests and scripts: which requester the headers now carry.
    document.documentElement.dataset.requester = picked.institution + '/' + picked.role;
  }

  form.elements.institution.addEventListener('change', filterRoles);
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    apply();
  });
  filterRoles();
  // The first render already carries the default requester's token, so GraphiQL's schema
  // introspection (authenticated like every request) succeeds.
  if (config.tokenUrl) apply();
  else render();
})();
