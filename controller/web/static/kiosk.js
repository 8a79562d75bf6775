// The station's kiosk screen: vanilla JS, no build step. It follows the server-sent events on
// /events/kiosk and renders one screen per state; the PIN pad posts to /api/kiosk/pin. Every
// text comes from the message catalogue (shared/i18n, served at /api/kiosk/catalogue); each
// filled element carries data-msg="<key>" so the browser tests can check it. Spoken guidance
// is pre-rendered audio listed in /speech/manifest.json (none: the page stays silent).
// The PIN lives only in this page's memory until it is posted, and is cleared right after.
// Opened as /door?door=<id> it is that door reader's own PIN surface: its screens come from
// /events/door-<id> and its PIN goes to /api/door/<id>/pin (never the kiosk's session).
'use strict';

(function () {
  var DOOR = null;
  try {
    DOOR = new URLSearchParams(location.search).get('door');
  } catch (e) {}
  var API = DOOR ? '/api/door/' + encodeURIComponent(DOOR) : '/api/kiosk';
  var EVENTS = DOOR ? '/events/door-' + encodeURIComponent(DOOR) : '/events/kiosk';
  var $ = function (id) {
    return document.getElementById(id);
  };
  var RUBY = /\{([^{}|]+)\|([^{}|]+)\}/g;
  var PLACEHOLDER = /\{([a-zA-Z]+)\}/g;
  var STEP_OF = {
    reading: 0,
    pin: 1,
    verifying: 1,
    opening: 2,
    open: 2,
    loading: 2,
    retrieval: 2,
    door_open: 3,
    collected: 3,
    loaded: 3,
  };
  var OK_SCREENS = { collected: 1, loaded: 1, door_open: 1, open: 1 };
  /** Idle with a language or text size chosen but no card: back to the defaults after this. */
  var IDLE_RESET_MS = 60000;
  var VOLUME_DEFAULT = 2;

  var catalogue = null; // { languages: [...], messages: { lang: { key: text } } }
  var config = { defaultLanguage: 'ja', help: null };
  var speech = null; // manifest: { languages: { lang: { files: { id: path } } } }
  var lang = 'ja';
  var large = false;
  var volume = VOLUME_DEFAULT;
  var overlay = null; // 'languages' | null; "more time" comes from the state
  var connection = 'connecting';
  var state = {
    screen: 'idle',
    rev: 0,
    station: { name: '', hours: { open: '00:00', close: '00:00' }, open: true, mode: 'active' },
  };
  var pin = '';
  var spoken = '';
  var offlineAudio = {};
  var idleTimer = 0;
  var moreTimeTimer = 0;
  var moreTimeLeft = 0;

  /** The screens between sessions (no card being handled). */
  function idle(screen) {
    return screen === 'idle' || screen === 'out_of_service';
  }

  // ---- messages ----

  function info(code) {
    var list = catalogue ? catalogue.languages : [];
    for (var i = 0; i < list.length; i++) if (list[i].code === code) return list[i];
    return { code: code, htmlLang: code, furigana: false, name: code };
  }

  function raw(key) {
    var m = catalogue && catalogue.messages[lang];
    return (m && m[key]) || (catalogue && catalogue.messages.ja[key]) || '';
  }

  function fill(message, values) {
    return message.replace(PLACEHOLDER, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  /** Puts message `key` into `el` (furigana as <ruby> where the language shows it). */
  function put(el, key, values) {
    if (typeof el === 'string') el = $(el);
    el.textContent = '';
    if (!key) {
      el.removeAttribute('data-msg');
      return;
    }
    el.setAttribute('data-msg', key);
    if (values) el.setAttribute('data-msg-values', JSON.stringify(values));
    else el.removeAttribute('data-msg-values');
    var message = fill(raw(key), values);
    var furigana = info(lang).furigana;
    var at = 0;
    message.replace(RUBY, function (all, base, reading, index) {
      if (index > at) el.appendChild(document.createTextNode(message.slice(at, index)));
      if (furigana) {
        var ruby = document.createElement('ruby');
        ruby.appendChild(document.createTextNode(base));
        var rt = document.createElement('rt');
        rt.textContent = reading;
        ruby.appendChild(rt);
        el.appendChild(ruby);
      } else el.appendChild(document.createTextNode(base));
      at = index + all.length;
      return all;
    });
    if (at < message.length) el.appendChild(document.createTextNode(message.slice(at)));
  }

  /** The accessible name of a control, as plain text (no readings). */
  function plain(key, values) {
    return fill(raw(key), values).replace(RUBY, '$1');
  }

  // ---- what the screen says ----

  function stationStatus(s) {
    if (connection === 'lost') return 'offline';
    if (outOfService(s).length) return 'outOfService';
    if (s.station.mode === 'maintenance') return 'maintenance';
    if (s.station.crlStale) return 'paused';
    return s.station.open ? 'open' : 'closed';
  }

  function outOfService(s) {
    var list = (s.station && s.station.outOfService) || [];
    if (!list.length && s.station && s.station.crlStale) list = ['crl'];
    return list;
  }

  /** { title, body, bodyValues, kind, speech, reasons[], help } for the current state. */
  function view(s) {
    if (connection === 'lost')
      return {
        title: 'offline.title',
        body: 'offline.body',
        kind: 'error',
        speech: 'offline',
        help: true,
      };
    if (s.screen === 'idle' || s.screen === 'out_of_service') {
      var oos = outOfService(s);
      if (oos.length)
        return {
          title: 'outOfService.title',
          body: 'outOfService.body',
          reasons: oos,
          kind: 'error',
          speech: 'outOfService.' + oos[0],
          help: true,
        };
      if (s.reminder === 'card_left')
        return { title: 'reminder.title', body: 'reminder.body', kind: 'warn', speech: 'reminder' };
      if (s.station.mode === 'maintenance')
        return {
          title: 'error.maintenance_mode.title',
          body: 'error.maintenance_mode.body',
          kind: 'warn',
          speech: 'error.maintenance_mode',
        };
      if (!s.station.open)
        return {
          title: 'error.outside_hours.title',
          body: 'error.outside_hours.body',
          kind: 'warn',
          speech: 'error.outside_hours',
        };
      return {
        title: 'screen.idle.title',
        body: 'screen.idle.body',
        kind: 'info',
        speech: 'screen.idle',
      };
    }
    if (s.screen === 'error') {
      var code =
        catalogue && catalogue.messages.ja['error.' + s.error + '.title'] ? s.error : 'card_error';
      return {
        title: 'error.' + code + '.title',
        body: 'error.' + code + '.body',
        kind: 'error',
        speech: 'error.' + code,
        help: true,
      };
    }
    if (s.screen === 'pin' && s.wrongPin) {
      var last = s.triesLeft <= 1;
      return {
        title: 'screen.pin.title',
        body: last ? 'pin.lastTry' : 'pin.wrongPin',
        bodyValues: last ? undefined : { n: s.triesLeft },
        warn: true,
        kind: 'info',
        speech: last ? 'pin.lastTry' : 'pin.wrongPin.' + s.triesLeft,
      };
    }
    if (s.screen === 'pin' && s.device === 'phone') {
      // A smartphone certificate: the PIN unlocks it before it can be read and checked.
      return { title: 'screen.pin.title', body: 'pin.phone', kind: 'info', speech: 'pin.phone' };
    }
    return {
      title: 'screen.' + s.screen + '.title',
      body: 'screen.' + s.screen + '.body',
      kind: OK_SCREENS[s.screen] ? 'ok' : 'info',
      speech: 'screen.' + s.screen,
    };
  }

  // ---- rendering ----

  function render() {
    if (!catalogue) return;
    var s = state;
    var L = info(lang);
    document.documentElement.setAttribute('lang', L.htmlLang);
    document.documentElement.setAttribute('data-lang', lang);
    document.documentElement.setAttribute('data-large', large ? 'yes' : 'no');
    document.body.setAttribute('data-screen', connection === 'lost' ? 'offline' : s.screen);
    document.body.setAttribute('data-error', s.error || '');
    document.body.setAttribute('data-connection', connection);
    document.body.setAttribute('data-rev', String(s.rev));
    document.title = plain('screen.idle.title');

    // Header tools.
    $('station-name').textContent = s.station.name || '';
    put('repeat-label', 'ui.repeat');
    put(
      'volume-label',
      volume ? 'ui.volume' : 'ui.volumeOff',
      volume ? { level: volume } : undefined,
    );
    put('large-text-label', large ? 'ui.normalText' : 'ui.largeText');
    $('large-text').setAttribute('aria-pressed', large ? 'true' : 'false');
    put('lang-label', 'ui.language');
    $('repeat').disabled = !speechFile(view(s).speech);

    // Footer.
    var st = stationStatus(s);
    put('status', 'status.' + st);
    $('status').setAttribute('data-status', st);
    var h = s.station.hours;
    if (h.open === h.close) put('hours', 'hours.always');
    else put('hours', 'hours.range', { open: h.open, close: h.close });

    // Progress.
    var at = STEP_OF[s.screen];
    var steps = document.querySelectorAll('#progress li');
    for (var i = 0; i < steps.length; i++) {
      put(steps[i], 'steps.' + steps[i].getAttribute('data-step'));
      steps[i].className = at === undefined ? '' : i < at ? 'done' : i === at ? 'current' : '';
      if (i === at) steps[i].setAttribute('aria-current', 'step');
      else steps[i].removeAttribute('aria-current');
    }
    $('progress').hidden = at === undefined || connection === 'lost';
    $('progress').setAttribute('aria-label', plain('ui.progress'));

    // Message.
    var v = view(s);
    put('title', v.title);
    put('body', v.body, v.bodyValues);
    $('body').setAttribute('data-warn', v.warn ? 'yes' : 'no');
    $('view').setAttribute('data-kind', v.kind);
    var reasons = $('reasons');
    reasons.textContent = '';
    (v.reasons || []).forEach(function (r) {
      var li = document.createElement('li');
      put(li, 'outOfService.' + r);
      reasons.appendChild(li);
    });
    var list = $('compartments');
    list.textContent = '';
    // Loading one item at a time: which delivery goes into which compartment (tap to pick).
    document.body.setAttribute('data-refused', (s.loading && s.loading.refused) || '');
    if (connection !== 'lost' && s.loading && !s.loading.current)
      s.loading.items.forEach(function (it) {
        var li = document.createElement('li');
        li.setAttribute('data-state', it.state);
        li.setAttribute('data-delivery', it.deliveryId);
        var b = document.createElement('b');
        b.textContent = it.compartment;
        b.setAttribute('data-free', 'compartment');
        li.appendChild(b);
        var span = document.createElement('span');
        span.textContent = ' ← ' + it.deliveryId;
        li.appendChild(span);
        list.appendChild(li);
      });
    else if (connection !== 'lost')
      (s.compartments || []).forEach(function (c) {
        var li = document.createElement('li');
        li.setAttribute('data-state', c.state);
        var b = document.createElement('b');
        b.textContent = c.id;
        b.setAttribute('data-free', 'compartment');
        li.appendChild(b);
        var span = document.createElement('span');
        put(span, 'compartment.' + c.state);
        li.appendChild(span);
        list.appendChild(li);
      });

    // PIN pad.
    var asking = s.screen === 'pin' && connection !== 'lost';
    $('pinpad').hidden = !asking;
    $('pin-status').hidden = !asking;
    if (!asking) pin = '';
    if (asking) put('tries', 'pin.tries', { n: s.triesLeft });
    else put('tries', null);
    $('tries').setAttribute('data-warn', asking && (s.wrongPin || s.triesLeft <= 1) ? 'yes' : 'no');
    put('key-clear', 'ui.clear');
    put('key-ok', 'ui.ok');
    renderDots();

    // Actions.
    var live = connection !== 'lost';
    $('retry').hidden = !(live && s.canRetry);
    $('counter').hidden = !(live && s.canRetry);
    $('cancel').hidden = !asking;
    put('retry', 'ui.retry');
    put('counter', 'ui.counter');
    put('cancel', 'ui.cancel');

    renderHelp(v.help);
    renderOverlays();
    fit();
    speak(currentSpeech());
  }

  function renderDots() {
    var dots = document.querySelectorAll('#pin-dots i');
    for (var i = 0; i < dots.length; i++) dots[i].className = i < pin.length ? 'on' : '';
    put('pin-dots-text', 'ui.pinDots', { n: pin.length });
    $('key-ok').disabled = pin.length !== 4;
  }

  function renderHelp(show) {
    $('help').hidden = !show;
    if (!show) return;
    put('help-title', 'help.title');
    var h = config.help;
    if (h) {
      $('help-phone').textContent = h.phone;
      $('help-hours').textContent = h.hours;
      $('help-text').textContent = h.text;
      $('help-text').hidden = !h.text;
      $('help-hours').hidden = !h.hours;
      $('help-qr').hidden = !h.qrSvg;
      if (h.qrSvg)
        $('help-qr').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(h.qrSvg);
      $('help-qr').alt = plain('help.qr');
    } else {
      put('help-phone', 'help.none');
      $('help-hours').hidden = true;
      $('help-text').hidden = true;
      $('help-qr').hidden = true;
    }
  }

  /** The "need more time?" body (and its speech id): at a locker door it says what for. */
  function moreTimeMessage() {
    var door = state.moreTime && state.moreTime.door;
    if (door === 'open') return 'moreTime.doorOpen';
    if (door === 'close') return 'moreTime.doorClose';
    return 'moreTime.body';
  }

  function renderOverlays() {
    var more = state.moreTime && connection !== 'lost' && !idle(state.screen);
    var which = more ? 'moreTime' : overlay;
    if (which) document.body.setAttribute('data-overlay', which);
    else document.body.removeAttribute('data-overlay');
    $('more-time').hidden = which !== 'moreTime';
    $('languages').hidden = which !== 'languages';
    if (which === 'moreTime') {
      put('more-time-title', 'moreTime.title');
      put('more-time-body', moreTimeMessage());
      put('more-time-seconds', 'moreTime.seconds', { s: Math.max(0, moreTimeLeft) });
      put('more-time-yes', 'ui.moreTimeYes');
    }
    if (which === 'languages') {
      put('languages-title', 'ui.chooseLanguage');
      put('languages-back', 'ui.back');
      var box = $('language-list');
      box.textContent = '';
      catalogue.languages.forEach(function (l) {
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = l.name;
        b.setAttribute('lang', l.htmlLang);
        b.setAttribute('data-free', 'language');
        b.setAttribute('data-lang', l.code);
        if (l.code === lang) b.setAttribute('aria-current', 'true');
        box.appendChild(b);
      });
    }
  }

  /** Lowers --fit until nothing overflows: the screen never scrolls or clips. */
  function fit() {
    var root = document.documentElement;
    var main = $('main');
    var f = 1;
    root.style.setProperty('--fit', '1');
    // Text may shrink to 60 %; a screen that still does not fit shows as clipped in the tests.
    for (var i = 0; i < 8 && overflowing(main); i++) {
      f -= 0.05;
      root.style.setProperty('--fit', f.toFixed(2));
    }
  }

  function overflowing(main) {
    if (main.scrollHeight > main.clientHeight + 1 || main.scrollWidth > main.clientWidth + 1)
      return true;
    if (document.documentElement.scrollHeight > window.innerHeight + 1) return true;
    var bar = document.querySelector('.bar');
    return bar.scrollWidth > bar.clientWidth + 1 || bar.scrollHeight > bar.clientHeight + 1;
  }

  // ---- speech ----

  function currentSpeech() {
    if (connection !== 'lost' && state.moreTime && !idle(state.screen)) {
      var more = moreTimeMessage();
      return more === 'moreTime.body' ? 'moreTime' : more;
    }
    if (overlay) return '';
    return view(state).speech;
  }

  function speechFile(id) {
    var l = speech && speech.languages && speech.languages[lang];
    var f = id && l && l.files && l.files[id];
    return f ? '/speech/' + f : '';
  }

  /** Plays the guidance `id` once when it changes (or always when `again`). */
  function speak(id, again) {
    var key = lang + ':' + id;
    if (!again && key === spoken) return;
    spoken = key;
    var audio = $('voice');
    var src = connection === 'lost' ? offlineAudio[lang] || '' : speechFile(id);
    if (!src || !volume) {
      audio.removeAttribute('data-speech');
      return;
    }
    audio.pause();
    audio.volume = volume / 3;
    audio.src = src;
    audio.setAttribute('data-speech', id);
    var p = audio.play();
    if (p && p.catch) p.catch(function () {});
  }

  /** The "offline" guidance is fetched ahead: once the daemon is gone nothing else can be. */
  function preloadOffline() {
    if (!speech || !speech.languages) return;
    Object.keys(speech.languages).forEach(function (l) {
      var f = speech.languages[l].files && speech.languages[l].files.offline;
      if (!f) return;
      fetch('/speech/' + f)
        .then(function (r) {
          return r.ok ? r.blob() : null;
        })
        .then(function (b) {
          if (b) offlineAudio[l] = URL.createObjectURL(b);
        })
        .catch(function () {});
    });
  }

  // ---- settings reset (the next person starts from the station's defaults) ----

  function resetSettings() {
    lang = config.defaultLanguage || 'ja';
    large = false;
    volume = VOLUME_DEFAULT;
    overlay = null;
  }

  function touched() {
    clearTimeout(idleTimer);
    if (!idle(state.screen)) return;
    idleTimer = setTimeout(function () {
      if (!idle(state.screen)) return;
      resetSettings();
      render();
    }, IDLE_RESET_MS);
  }

  function apply(next) {
    var prev = state;
    state = next;
    // Card removed or session over: the next resident gets the default language.
    if (idle(next.screen) && !idle(prev.screen)) resetSettings();
    if (!idle(next.screen) && overlay === 'languages' && idle(prev.screen)) overlay = null;
    clearInterval(moreTimeTimer);
    if (next.moreTime) {
      moreTimeLeft = next.moreTime.secondsLeft;
      moreTimeTimer = setInterval(function () {
        moreTimeLeft -= 1;
        if (moreTimeLeft < 0) return clearInterval(moreTimeTimer);
        put('more-time-seconds', 'moreTime.seconds', { s: moreTimeLeft });
      }, 1000);
    }
    render();
  }

  // ---- input ----

  /** POSTs JSON with the token of the card session on screen (the API refuses others). */
  function post(path, body) {
    var payload = Object.assign({}, body || {}, { token: state.token });
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    }).catch(function () {});
  }

  $('keys').addEventListener('click', function (e) {
    var btn = e.target && e.target.closest && e.target.closest('[data-key]');
    var key = btn && btn.getAttribute('data-key');
    if (!key || state.screen !== 'pin') return;
    if (key === 'clear') pin = '';
    else if (key === 'ok') {
      if (pin.length !== 4) return;
      var p = pin;
      pin = '';
      renderDots();
      post(API + '/pin', state.token ? { pin: p, token: state.token } : { pin: p });
      return;
    } else if (pin.length < 4) pin += key;
    renderDots();
  });
  $('lang').addEventListener('click', function () {
    overlay = overlay === 'languages' ? null : 'languages';
    render();
  });
  $('languages-back').addEventListener('click', function () {
    overlay = null;
    render();
  });
  $('language-list').addEventListener('click', function (e) {
    var b = e.target && e.target.closest && e.target.closest('[data-lang]');
    if (!b) return;
    lang = b.getAttribute('data-lang');
    overlay = null;
    render();
  });
  $('large-text').addEventListener('click', function () {
    large = !large;
    render();
  });
  $('volume').addEventListener('click', function () {
    volume = volume === 0 ? 3 : volume - 1;
    $('voice').volume = volume / 3;
    if (!volume) $('voice').pause();
    render();
  });
  $('repeat').addEventListener('click', function () {
    speak(currentSpeech(), true);
  });
  $('retry').addEventListener('click', function () {
    post('/api/kiosk/retry', { again: true });
  });
  $('counter').addEventListener('click', function () {
    post('/api/kiosk/retry', { again: false });
  });
  $('cancel').addEventListener('click', function () {
    post(API + '/cancel');
  });
  $('more-time-yes').addEventListener('click', function () {
    post(API + '/more-time');
  });
  // Envelope codes from a keyboard-wedge barcode scanner (scanner.js), while loading.
  var scanner =
    typeof JpkiWedgeScanner === 'function'
      ? JpkiWedgeScanner({
          onCode: function (code) {
            post('/api/kiosk/scan', { code: code });
          },
        })
      : null;
  document.addEventListener('keydown', function (e) {
    if (!scanner || state.screen !== 'loading') return;
    if (scanner.key(e)) e.preventDefault();
  });
  $('compartments').addEventListener('click', function (e) {
    var li = e.target && e.target.closest && e.target.closest('[data-delivery]');
    if (li && state.screen === 'loading' && li.getAttribute('data-state') === 'waiting')
      post('/api/kiosk/scan', { deliveryId: li.getAttribute('data-delivery') });
  });
  document.addEventListener('pointerdown', touched, true);
  window.addEventListener('resize', fit);

  function tick() {
    var d = new Date();
    var pad = function (n) {
      return (n < 10 ? '0' : '') + n;
    };
    $('clock').textContent = pad(d.getHours()) + ':' + pad(d.getMinutes());
  }
  setInterval(tick, 10000);
  tick();

  // ---- connection ----

  function connect() {
    var es = new EventSource(EVENTS);
    es.onmessage = function (e) {
      try {
        var s = JSON.parse(e.data);
        if (s && s.screen) apply(s);
      } catch (err) {}
    };
    es.onerror = function () {
      // The daemon stopped (or restarts): never keep saying 利用できます.
      if (connection === 'lost') return;
      connection = 'lost';
      render();
    };
    es.onopen = function () {
      if (connection === 'ok') return;
      connection = 'ok';
      render();
    };
  }

  function getJson(path) {
    return fetch(path).then(function (r) {
      return r.ok ? r.json() : null;
    });
  }

  function boot() {
    Promise.all([
      getJson('/api/kiosk/catalogue'),
      getJson('/api/kiosk/config').catch(function () {
        return null;
      }),
      getJson('/speech/manifest.json').catch(function () {
        return null;
      }),
    ])
      .then(function (r) {
        if (!r[0]) throw new Error('no catalogue');
        catalogue = r[0];
        if (r[1]) config = r[1];
        speech = r[2];
        lang = config.defaultLanguage || 'ja';
        try {
          var asked = new URLSearchParams(location.search).get('lang');
          if (asked && catalogue.messages[asked]) {
            lang = asked;
            config.defaultLanguage = asked;
          }
        } catch (e) {}
        preloadOffline();
        render();
        connect();
      })
      .catch(function () {
        setTimeout(boot, 3000);
      });
  }
  boot();
})();
