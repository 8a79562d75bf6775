// The station's kiosk screen: vanilla JS, no build step. It follows the server-sent events
// on /events/kiosk and renders one screen per state; the PIN pad posts to /api/kiosk/pin.
// The PIN lives only in this page's memory until it is posted, and is cleared right after.
'use strict';

(function () {
  var TEXT = {
    ja: {
      langButton: 'English',
      steps: { card: 'カード', pin: '暗証番号', open: '扉', done: '完了' },
      hours: function (h) {
        return h.open === h.close ? '24時間利用可能' : '利用時間 ' + h.open + '〜' + h.close;
      },
      status: {
        open: '利用できます',
        closed: '時間外',
        maintenance: '点検中',
        paused: '受け取り停止中',
      },
      clear: '消去',
      ok: '確定',
      retry: 'もう一度開ける',
      counter: '窓口へ行く',
      cancel: 'やめる',
      tries: function (n) {
        return '残り ' + n + ' 回';
      },
      triesWarn: function (n) {
        return (
          '暗証番号が違います。残り ' +
          n +
          ' 回です。あと ' +
          n +
          ' 回間違えるとカードがロックされます。'
        );
      },
      compartment: {
        opening: '解錠中',
        open: '開いています',
        closed: '閉まりました',
        failed: '開きませんでした',
        not_opened: '施錠しました',
        left_open: '扉を閉めてください',
      },
      screens: {
        idle: [
          'マイナンバーカードを置いてください',
          'カードを読み取り機の上に置くと、書類を受け取れます。',
        ],
        reading: ['カードを確認しています', 'カードを動かさないでください。'],
        pin: ['利用者証明用の暗証番号（数字4桁）を入力してください', ''],
        verifying: ['確認しています', 'カードを動かさないでください。'],
        opening: ['扉を開けています', ''],
        open: ['扉が開きました', '書類を取り出して、扉を閉めてください。'],
        collected: ['受け取りが完了しました', 'カードをお取りください。ありがとうございました。'],
        loading: ['職員：扉が開きました', '書類を入れて扉を閉めてください。'],
        loaded: ['職員：格納が完了しました', 'カードをお取りください。'],
        retrieval: ['職員：回収のため扉が開きました', '書類を取り出して扉を閉めてください。'],
        door_open: ['入館できます', '扉を開けてお入りください。'],
      },
      errors: {
        pin_blocked: [
          '暗証番号がロックされています',
          '市区町村の窓口で暗証番号の再設定を行ってください。カードをお取りください。',
        ],
        pin_timeout: ['時間切れです', 'もう一度カードを置き直してください。'],
        cert_revoked: [
          'このカードの電子証明書は失効しています',
          '市区町村の窓口にお問い合わせください。カードをお取りください。',
        ],
        cert_expired: [
          'このカードの電子証明書は有効期限が切れています',
          '市区町村の窓口で更新してください。',
        ],
        cert_untrusted: [
          'このカードは利用できません',
          '利用者証明用電子証明書を確認できませんでした。',
        ],
        crl_stale: [
          'ただいま確認ができません',
          '失効情報が更新されていないため受け取りを停止しています。窓口にお問い合わせください。',
        ],
        nothing_to_collect: ['お受け取りいただける書類はありません', 'カードをお取りください。'],
        card_removed: [
          'カードが取り外されました',
          '手続きを中止しました。最初からやり直してください。',
        ],
        card_error: ['カードを読み取れませんでした', 'カードを置き直してください。'],
        proof_failed: ['本人確認ができませんでした', '窓口にお問い合わせください。'],
        door_not_opened: [
          '扉が開けられなかったため施錠しました',
          '書類はそのまま保管されています。もう一度カードを置いてください。',
        ],
        door_left_open: ['扉が開いたままです', '扉を閉めてください。'],
        lock_failed: ['扉が開きませんでした', 'もう一度試すか、窓口へお越しください。'],
        deadline_passed: [
          '受け取り期限を過ぎています',
          '書類は窓口にお戻しします。窓口にお問い合わせください。',
        ],
        outside_hours: ['利用時間外です', ''],
        maintenance_mode: ['ただいま点検中です', 'しばらくお待ちください。'],
        door_denied: ['入館できません', ''],
        cancelled: ['中止しました', ''],
      },
    },
    en: {
      langButton: '日本語',
      steps: { card: 'Card', pin: 'PIN', open: 'Door', done: 'Done' },
      hours: function (h) {
        return h.open === h.close ? 'Open 24 hours' : 'Hours ' + h.open + '–' + h.close;
      },
      status: {
        open: 'Open',
        closed: 'Closed now',
        maintenance: 'Under maintenance',
        paused: 'Pickups paused',
      },
      clear: 'Clear',
      ok: 'OK',
      retry: 'Try again',
      counter: 'Go to the counter',
      cancel: 'Cancel',
      tries: function (n) {
        return n + (n === 1 ? ' try left' : ' tries left');
      },
      triesWarn: function (n) {
        return 'Wrong PIN. ' + n + (n === 1 ? ' try' : ' tries') + ' left before the card locks.';
      },
      compartment: {
        opening: 'opening',
        open: 'open',
        closed: 'closed',
        failed: 'did not open',
        not_opened: 'locked again',
        left_open: 'please close',
      },
      screens: {
        idle: [
          'Place your My Number card on the reader',
          'Place your card on the reader to collect your documents.',
        ],
        reading: ['Checking your card', 'Please keep the card still.'],
        pin: ['Enter your user-authentication PIN (4 digits)', ''],
        verifying: ['Checking', 'Please keep the card still.'],
        opening: ['Opening', ''],
        open: ['The door is open', 'Take your documents out and close the door.'],
        collected: ['Done — documents collected', 'Please take your card. Thank you.'],
        loading: ['Staff: compartment open', 'Put the document in and close the door.'],
        loaded: ['Staff: loading complete', 'Please take your card.'],
        retrieval: ['Staff: open for retrieval', 'Take the document out and close the door.'],
        door_open: ['Access granted', 'Open the door and come in.'],
      },
      errors: {
        pin_blocked: [
          'Your PIN is locked',
          'Please reset it at your municipal office. Take your card.',
        ],
        pin_timeout: ['Time is up', 'Please place your card again.'],
        cert_revoked: [
          "This card's certificate has been revoked",
          'Please ask at your municipal office. Take your card.',
        ],
        cert_expired: [
          "This card's certificate has expired",
          'Please renew it at your municipal office.',
        ],
        cert_untrusted: [
          'This card cannot be used here',
          'Its authentication certificate could not be verified.',
        ],
        crl_stale: [
          'We cannot check cards right now',
          'Revocation data is out of date, so pickups are paused. Please ask at the counter.',
        ],
        nothing_to_collect: [
          'Nothing to collect',
          'There are no documents waiting for you. Take your card.',
        ],
        card_removed: ['The card was removed', 'Nothing was done. Please start again.'],
        card_error: ['The card could not be read', 'Please place it again.'],
        proof_failed: ['We could not confirm it is you', 'Please ask at the counter.'],
        door_not_opened: [
          'The door was not opened, so it locked again',
          'Your documents are still inside. Place your card again.',
        ],
        door_left_open: ['A door is still open', 'Please close the door.'],
        lock_failed: ['The door did not open', 'Try again, or go to the counter.'],
        deadline_passed: [
          'The pickup deadline has passed',
          'Your documents go back to the counter. Please ask there.',
        ],
        outside_hours: ['The station is closed now', ''],
        maintenance_mode: ['Under maintenance', 'Please wait a moment.'],
        door_denied: ['Access denied', ''],
        cancelled: ['Cancelled', ''],
      },
    },
  };

  var STEP_OF = {
    idle: -1,
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
    error: -1,
  };

  var lang = document.documentElement.getAttribute('data-lang') || 'ja';
  try {
    var saved = new URLSearchParams(location.search).get('lang');
    if (saved === 'en' || saved === 'ja') lang = saved;
  } catch (e) {}
  var state = {
    screen: 'idle',
    rev: 0,
    station: {
      name: '',
      hours: { open: '00:00', close: '00:00' },
      open: true,
      mode: 'active',
      alarms: 0,
      crlStale: false,
    },
  };
  var pin = '';
  var $ = function (id) {
    return document.getElementById(id);
  };

  function t() {
    return TEXT[lang];
  }

  function setText(id, s) {
    $(id).textContent = s || '';
  }

  function render() {
    var T = t();
    var s = state;
    document.body.setAttribute('data-screen', s.screen);
    document.body.setAttribute('data-error', s.error || '');
    document.documentElement.setAttribute('lang', lang);
    document.documentElement.setAttribute('data-lang', lang);
    setText('lang', T.langButton);
    setText('station-name', s.station.name);
    setText('hours', T.hours(s.station.hours));
    var st =
      s.station.mode === 'maintenance'
        ? 'maintenance'
        : s.station.crlStale
          ? 'paused'
          : s.station.open
            ? 'open'
            : 'closed';
    setText('status', T.status[st]);
    $('status').setAttribute('data-status', st);

    var msg =
      s.screen === 'error'
        ? T.errors[s.error] || T.errors.card_error
        : T.screens[s.screen] || ['', ''];
    setText('title', msg[0]);
    var body = msg[1];
    if (s.screen === 'pin' && s.wrongPin) body = T.triesWarn(s.triesLeft);
    if (s.screen === 'idle' && st === 'paused') body = T.errors.crl_stale[1];
    else if (s.screen === 'idle' && st !== 'open')
      body = T.status[st] + ' — ' + T.hours(s.station.hours);
    setText('body', body);
    setText('detail', s.reason && s.screen === 'error' ? '(' + s.reason + ')' : '');
    $('view').setAttribute('data-kind', s.screen === 'error' ? 'error' : 'info');

    var list = $('compartments');
    list.textContent = '';
    (s.compartments || []).forEach(function (c) {
      var li = document.createElement('li');
      li.setAttribute('data-state', c.state);
      var b = document.createElement('b');
      b.textContent = c.id;
      li.appendChild(b);
      li.appendChild(document.createTextNode(' ' + (T.compartment[c.state] || c.state)));
      list.appendChild(li);
    });

    var steps = document.querySelectorAll('#progress li');
    var at = STEP_OF[s.screen];
    for (var i = 0; i < steps.length; i++) {
      var li2 = steps[i];
      li2.textContent = T.steps[li2.getAttribute('data-step')];
      li2.className = i < at ? 'done' : i === at ? 'current' : '';
    }
    $('progress').hidden = s.screen === 'idle';

    var asking = s.screen === 'pin';
    $('pinpad').hidden = !asking;
    if (!asking) pin = '';
    setText('tries', asking ? T.tries(s.triesLeft) : '');
    $('tries').setAttribute('data-warn', asking && s.triesLeft <= 1 ? 'yes' : 'no');
    setText('key-clear', T.clear);
    setText('key-ok', T.ok);
    renderDots();

    $('retry').hidden = !s.canRetry;
    $('counter').hidden = !s.canRetry;
    setText('retry', T.retry);
    setText('counter', T.counter);
    $('cancel').hidden = !asking;
    setText('cancel', T.cancel);
  }

  function renderDots() {
    var dots = $('pin-dots').children;
    for (var i = 0; i < dots.length; i++) dots[i].className = i < pin.length ? 'on' : '';
    $('key-ok').disabled = pin.length !== 4;
  }

  function post(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body || {}),
    }).catch(function () {});
  }

  document.querySelector('.keys').addEventListener('click', function (e) {
    var key = e.target && e.target.getAttribute && e.target.getAttribute('data-key');
    if (!key || state.screen !== 'pin') return;
    if (key === 'clear') pin = '';
    else if (key === 'ok') {
      if (pin.length !== 4) return;
      var p = pin;
      pin = '';
      renderDots();
      post('/api/kiosk/pin', { pin: p });
      return;
    } else if (pin.length < 4) pin += key;
    renderDots();
  });

  $('lang').addEventListener('click', function () {
    lang = lang === 'ja' ? 'en' : 'ja';
    render();
  });
  $('retry').addEventListener('click', function () {
    post('/api/kiosk/retry', { again: true });
  });
  $('counter').addEventListener('click', function () {
    post('/api/kiosk/retry', { again: false });
  });
  $('cancel').addEventListener('click', function () {
    post('/api/kiosk/cancel');
  });

  function tick() {
    var d = new Date();
    var pad = function (n) {
      return (n < 10 ? '0' : '') + n;
    };
    setText('clock', pad(d.getHours()) + ':' + pad(d.getMinutes()));
  }
  setInterval(tick, 10000);
  tick();

  function connect() {
    var es = new EventSource('/events/kiosk');
    es.onmessage = function (e) {
      try {
        var s = JSON.parse(e.data);
        if (s && s.screen) {
          state = s;
          render();
        }
      } catch (err) {}
    };
    es.onerror = function () {
      document.body.setAttribute('data-connection', 'lost');
    };
    es.onopen = function () {
      document.body.setAttribute('data-connection', 'ok');
    };
  }
  render();
  fetch('/api/kiosk/state')
    .then(function (r) {
      return r.ok ? r.json() : null;
    })
    .then(function (s) {
      if (s && s.screen && state.rev === 0) {
        state = s;
        render();
      }
    })
    .catch(function () {});
  connect();
})();
