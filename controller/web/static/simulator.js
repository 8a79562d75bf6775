// The demo's simulator page: drives the simulated card reader, locker boards and doors through
// /api/sim/*, and shows what the station does (GET /events/sim).
const $ = (id) => document.getElementById(id);

async function post(path, body = {}) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function button(label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', () => onClick().catch((e) => alert(e.message)));
  return b;
}

function renderCard(card) {
  const status = $('card-status');
  status.dataset.present = String(card.present);
  status.textContent = card.present ? `card inserted (${card.label})` : 'no card';
  const select = $('holder');
  if (select.options.length !== card.holders.length) {
    select.replaceChildren(...card.holders.map((h) => new Option(h.label, h.id)));
  }
  const chosen = card.holders.find((h) => h.id === select.value);
  $('pin-hint').textContent = chosen ? `PIN of this card: ${chosen.pinHint}` : '';
  $('insert-card').disabled = card.present;
  $('remove-card').disabled = !card.present;
}

function renderCompartments(list) {
  $('compartments').replaceChildren(
    ...list.map((c) => {
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.dataset.id = c.id;
      cell.dataset.latched = String(c.latched);
      cell.dataset.doorOpen = String(c.doorOpen);
      cell.innerHTML = `<strong></strong><br><span class="st"></span>`;
      cell.querySelector('strong').textContent = `${c.id} (${c.size})`;
      cell.querySelector('.st').textContent =
        `${c.state ?? ''} · ${c.doorOpen ? 'door open' : c.latched ? 'locked' : 'unlatched'} · ${c.occupied ? 'item inside' : 'empty'}`;
      const row = document.createElement('div');
      row.className = 'row';
      row.append(
        button(c.doorOpen ? 'Close door' : 'Open door', () =>
          post(`/api/sim/compartment/${encodeURIComponent(c.id)}/door`, { open: !c.doorOpen }),
        ),
        button(c.occupied ? 'Take item' : 'Put item', () =>
          post(`/api/sim/compartment/${encodeURIComponent(c.id)}/item`, { present: !c.occupied }),
        ),
      );
      cell.append(row);
      return cell;
    }),
  );
}

function renderDoors(list) {
  if (list.length === 0) {
    $('doors').textContent = 'No doors configured.';
    return;
  }
  $('doors').replaceChildren(
    ...list.map((d) => {
      const div = document.createElement('div');
      div.className = 'cell';
      div.dataset.id = d.id;
      div.textContent = `${d.id}: ${d.state ?? ''} (${d.open ? 'open' : 'closed'}, relay ${d.relayActive ? 'energised' : 'off'}) `;
      div.append(
        button(d.open ? 'Close' : 'Open', () =>
          post(`/api/sim/door/${encodeURIComponent(d.id)}`, { open: !d.open }),
        ),
        button('Press exit button', () => post(`/api/sim/door/${encodeURIComponent(d.id)}/rex`)),
      );
      if (d.pad) {
        // The door's own reader takes the PIN on its own pad, never on the kiosk screen.
        const a = document.createElement('a');
        a.href = d.pad;
        a.target = `pad-${d.id}`;
        a.textContent = ' its PIN pad';
        div.append(a);
      }
      return div;
    }),
  );
}

function render(state) {
  renderCard(state.card);
  renderCompartments(state.compartments);
  renderDoors(state.doors);
  document.body.dataset.ready = 'true';
}

$('insert-card').addEventListener('click', () =>
  post('/api/sim/card/insert', { holder: $('holder').value }).catch((e) => alert(e.message)),
);
$('remove-card').addEventListener('click', () =>
  post('/api/sim/card/remove').catch((e) => alert(e.message)),
);
$('holder').addEventListener('change', () =>
  fetch('/api/sim/state')
    .then((r) => r.json())
    .then(render),
);
for (const [id, path] of [
  ['assign', '/api/sim/office/assign'],
  ['roster', '/api/sim/office/roster'],
  ['door-access', '/api/sim/office/door-access'],
]) {
  $(id).addEventListener('click', async () => {
    $('office-answer').textContent = 'sending…';
    try {
      const answer = await post(path, { holder: $('holder').value });
      $('office-answer').textContent = JSON.stringify(answer, null, 2);
    } catch (e) {
      $('office-answer').textContent = `failed: ${e.message}`;
    }
  });
}

const events = new EventSource('/events/sim');
events.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  if (msg.state) render(msg.state);
  if (msg.event) {
    const li = document.createElement('li');
    li.textContent = msg.event;
    $('events').prepend(li);
    while ($('events').children.length > 200) $('events').lastChild.remove();
  }
};
fetch('/api/sim/state')
  .then((r) => r.json())
  .then(render);
