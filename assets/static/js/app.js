/*
 * SI-FILMA — small progressive enhancements (loaded with `defer`).
 * Everything here is optional: every page works without JavaScript.
 *
 *  - #sidebar-toggle opens/closes the off-canvas sidebar (body.sidebar-open),
 *    keeping aria-expanded in step; a click outside it or Escape closes it.
 *  - form[data-confirm]: window.confirm() before submitting; Cancel stops it.
 *  - every form: once a submission really proceeds, its submit buttons are
 *    disabled so a double click cannot send it twice.
 *  - <details class="user-menu"> closes on a click outside it or on Escape.
 *  - [data-progress-url]: while a personalization run is going, polls its
 *    progress every second and updates the bar, counts, readers and the Done
 *    button in place (no reload); once the run is over it stops polling and
 *    swaps in the page's [data-refresh] parts (card table, details, actions)
 *    fetched again, so no click is needed to see the final card statuses.
 *  - [data-documents-url]: while documents are being built, polls their
 *    state and turns each row into its download link when it is ready.
 *  - [data-print] (the Manual's "Cetak" button): opens the print dialog
 *    (a script file, since the CSP forbids inline scripts).
 */
(function () {
  'use strict';

  var body = document.body;
  var toggle = document.getElementById('sidebar-toggle');
  var sidebar = document.getElementById('sidebar');

  /* ------------------------------------------------------------ sidebar */
  function sidebarOpen() {
    return body.classList.contains('sidebar-open');
  }

  function setSidebar(open) {
    body.classList.toggle('sidebar-open', open);
    if (toggle) {
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      toggle.setAttribute('aria-label', open ? 'Sembunyikan menu' : 'Tampilkan menu');
    }
  }

  if (toggle) {
    toggle.addEventListener('click', function () {
      var open = !sidebarOpen();
      setSidebar(open);
      if (open && sidebar) {
        var first = sidebar.querySelector('.nav-link.active') || sidebar.querySelector('a');
        if (first) {
          // after the slide-in has started, so the link is visible
          window.setTimeout(function () { first.focus({ preventScroll: true }); }, 50);
        }
      }
    });

    // Going back to the wide layout: the sidebar is always shown there.
    if (window.matchMedia) {
      var wide = window.matchMedia('(min-width: 768px)');
      var onWide = function (e) { if (e.matches) { setSidebar(false); } };
      if (wide.addEventListener) { wide.addEventListener('change', onWide); }
      else if (wide.addListener) { wide.addListener(onWide); }
    }
  }

  /* -------------------------------------------------------- user menu */
  function openUserMenus() {
    return document.querySelectorAll('details.user-menu[open]');
  }

  /* -------------------------------------- click outside / Escape closes */
  document.addEventListener('click', function (e) {
    var target = e.target;
    if (sidebarOpen() && sidebar && !sidebar.contains(target) &&
        !(toggle && toggle.contains(target))) {
      setSidebar(false);
    }
    var menus = openUserMenus();
    for (var i = 0; i < menus.length; i++) {
      if (!menus[i].contains(target)) { menus[i].removeAttribute('open'); }
    }
  });

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape' && e.key !== 'Esc') { return; }
    var menus = openUserMenus();
    if (menus.length) {
      for (var i = 0; i < menus.length; i++) {
        var menu = menus[i];
        var hadFocus = menu.contains(document.activeElement);
        menu.removeAttribute('open');
        if (hadFocus) {
          var summary = menu.querySelector('summary');
          if (summary) { summary.focus(); }
        }
      }
      return;
    }
    if (sidebarOpen()) {
      var focusInSidebar = sidebar && sidebar.contains(document.activeElement);
      setSidebar(false);
      if (focusInSidebar && toggle) { toggle.focus(); }
    }
  });

  /* ------------------------- confirmation and double-submit guard */
  function submitButtons(form) {
    var out = [];
    var els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var t = els[i].type;
      if ((t === 'submit' || t === 'image') && !els[i].disabled) { out.push(els[i]); }
    }
    return out;
  }

  function release(form) {
    if (!form.hasAttribute('data-submitting')) { return; }
    form.removeAttribute('data-submitting');
    form.removeAttribute('aria-busy');
    var buttons = form.querySelectorAll('[data-disabled-by-submit]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = false;
      buttons[i].removeAttribute('data-disabled-by-submit');
    }
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || e.defaultPrevented) { return; }

    // Already on its way (double click, Enter pressed twice): drop it.
    if (form.hasAttribute('data-submitting')) {
      e.preventDefault();
      return;
    }

    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      e.preventDefault();
      return;
    }

    // The submission proceeds. Disable the buttons on the next tick, so the
    // browser has already built the form data (a disabled submitter would
    // otherwise be left out of it).
    form.setAttribute('data-submitting', '');
    form.setAttribute('aria-busy', 'true');
    var buttons = submitButtons(form);
    window.setTimeout(function () {
      if (e.defaultPrevented) { release(form); return; }
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].disabled = true;
        buttons[i].setAttribute('data-disabled-by-submit', '');
      }
    }, 0);
    // Safety net: if the navigation never happens (download, Stop button,
    // network error page not shown), let the user try again later.
    window.setTimeout(function () { release(form); }, 30000);
  });


  // Live progress of a personalization run.
  var panel = document.querySelector('[data-progress-url]');
  if (panel) {
    var url = panel.getAttribute('data-progress-url');
    var text = function (id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } };
    var cell = function (tr, label, value) { var td = document.createElement('td'); td.setAttribute('data-label', label); td.textContent = value; tr.appendChild(td); };
    var render = function (p) {
      var bar = document.getElementById('run-bar');
      if (bar) { bar.value = p.percent; bar.textContent = p.percent + '%'; }
      text('run-percent', p.percent + '%');
      text('n-clear', p.clear); text('n-failed', p.failed); text('n-pending', p.pending);
      var status = document.getElementById('perso-status');
      if (status) { status.textContent = p.status_label; status.className = 'badge badge-' + p.status; }
      var run = p.run;
      if (run) {
        var state = '· run #' + run.id + ' di ' + run.station;
        if (run.running) {
          state += run.waiting_for_station ? ' — menunggu stasiun mengambil batch (pastikan agen stasiun berjalan)' : ' — berjalan';
          state += run.eta_secs !== null ? ', perkiraan selesai ' + run.eta_secs + ' detik lagi' : '';
        } else {
          state += ' — selesai ' + run.finished_at;
        }
        text('run-state', state);
        var body = document.querySelector('#run-readers tbody');
        if (body) {
          body.textContent = '';
          run.readers.forEach(function (r) {
            var tr = document.createElement('tr');
            cell(tr, 'Reader', r.reader); cell(tr, 'Aktivitas', r.label); cell(tr, 'Kartu', r.serial || '—'); cell(tr, 'Selesai', r.done);
            body.appendChild(tr);
          });
        }
        var strays = document.getElementById('run-strays');
        if (strays) {
          strays.textContent = '';
          run.strays.forEach(function (m) { var li = document.createElement('li'); li.textContent = m; strays.appendChild(li); });
        }
      }
      var done = document.getElementById('mark-done');
      if (done) { done.disabled = !p.may_finish; }
      return !!(run && run.running);
    };
    var notice = function (html) {
      var cardBody = panel.querySelector('.card-body');
      var note = document.getElementById('run-refresh');
      if (!note) {
        note = document.createElement('p');
        note.id = 'run-refresh';
        note.className = 'alert alert-success';
        note.setAttribute('role', 'status');
        cardBody.insertBefore(note, cardBody.firstChild);
      }
      note.innerHTML = html;
    };
    // The run just ended: the card table (statuses, reasons), the process
    // details and the actions below are stale. Fetch this page again and
    // swap in every [data-refresh] part by its id (same rendering as a
    // reload, pagination and forms included); a link if that fails.
    var refreshParts = function () {
      fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html');
          var parts = document.querySelectorAll('[data-refresh][id]');
          for (var i = 0; i < parts.length; i++) {
            var next = fresh.getElementById(parts[i].id);
            if (next) { parts[i].replaceWith(document.importNode(next, true)); }
          }
          notice('Proses selesai. Daftar kartu telah diperbarui.');
        })
        .catch(function () { notice('Proses selesai. <a href="">Perbarui daftar kartu</a>.'); });
    };
    var tick = function () {
      fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (p) {
          var running = render(p);
          panel.setAttribute('data-running', running ? '1' : '0');
          if (running) {
            window.setTimeout(tick, 1000);
          } else if (panel.getAttribute('data-was-running') === '1') {
            panel.removeAttribute('data-was-running');
            refreshParts();
          }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    };
    if (panel.getAttribute('data-running') === '1') {
      // Rendered while running: whatever the first answer says, the parts
      // below were drawn before the end.
      panel.setAttribute('data-was-running', '1');
      tick();
    }
  }

  // Hand-over documents being built in the background.
  var docs = document.querySelector('[data-documents-url]');
  if (docs && docs.getAttribute('data-building') === '1') {
    var docsUrl = docs.getAttribute('data-documents-url');
    var pollDocs = function () {
      fetch(docsUrl, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          var body = docs.querySelector('tbody');
          body.textContent = '';
          var building = false;
          data.documents.forEach(function (d) {
            var tr = document.createElement('tr');
            tr.setAttribute('data-status', d.status);
            [['Nomor', d.number], ['Jenis', d.kind], ['Dibuat', d.created_at_wib]].forEach(function (c) {
              var td = document.createElement('td'); td.setAttribute('data-label', c[0]); td.textContent = c[1]; tr.appendChild(td);
            });
            var td = document.createElement('td'); td.setAttribute('data-label', 'Berkas');
            if (d.status === 'ready') {
              var a = document.createElement('a'); a.href = '/bast/dokumen/' + d.id; a.className = 'doc-link'; a.setAttribute('download', ''); a.textContent = d.file_name; td.appendChild(a);
            } else if (d.status === 'failed') {
              var err = document.createElement('span'); err.className = 'field-error'; err.textContent = 'Gagal dibuat: ' + (d.error || ''); td.appendChild(err);
            } else {
              building = true;
              var wait = document.createElement('span'); wait.className = 'hint'; wait.textContent = 'Sedang dibuat…'; td.appendChild(wait);
            }
            tr.appendChild(td);
            body.appendChild(tr);
          });
          if (building) { window.setTimeout(pollDocs, 1000); }
        })
        .catch(function () { window.setTimeout(pollDocs, 3000); });
    };
    pollDocs();
  }

  // Print buttons.
  var printers = document.querySelectorAll('[data-print]');
  for (var p = 0; p < printers.length; p++) {
    printers[p].addEventListener('click', function () { window.print(); });
  }

  // Coming back through the history (back/forward cache): make forms usable.
  window.addEventListener('pageshow', function (e) {
    if (!e.persisted) { return; }
    var forms = document.querySelectorAll('form[data-submitting]');
    for (var i = 0; i < forms.length; i++) { release(forms[i]); }
    setSidebar(false);
  });
})();
