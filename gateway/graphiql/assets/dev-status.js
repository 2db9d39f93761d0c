// `npm run dev` only: shows above GraphiQL what became of the developer's last change
// (served, served with breaking or category changes, or not served because it does not
// compose), polled from <base>/dev-status every second.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('ide-config').textContent);
  var banner = document.getElementById('dev-status');
  if (!config.devStatusUrl || !banner) return;
  var summary = banner.querySelector('.summary');
  var details = banner.querySelector('.details');
  function show(status) {
    banner.setAttribute('data-state', status.state);
    summary.textContent = status.summary + ' (' + new Date(status.at).toLocaleTimeString() + ')';
    details.textContent = status.details.join('\n');
    details.hidden = status.details.length === 0;
  }
  function poll() {
    fetch(config.devStatusUrl, { cache: 'no-store' })
      .then(function (res) {
        return res.json();
      })
      .then(show, function () {
        banner.setAttribute('data-state', 'failed');
        summary.textContent = 'the local gateway does not answer (is npm run dev still running?)';
      })
      .finally(function () {
        setTimeout(poll, 1000);
      });
  }
  poll();
})();
