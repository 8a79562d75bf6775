/**
 * Scripted stories for `jpki-locker demo --script <name>`: no person needed. `pickup`: the back
 * office assigns a delivery, staff load it with their card, the resident collects it with card
 * and PIN. Every outbox event is printed as one JSON line. Resolves with the exit code: 0 once
 * the document is collected, 1 otherwise.
 *
 * Scope today: the simulated card (in-process RSA, same PIN rules) and the simulated board;
 * the MQTT leg (embedded broker + back-office simulator) and the `door` story are still to be
 * hooked in by the lead's demo.ts.
 */
import { DomainHarness } from './domain-harness.js';
import { spkiSha256 } from './kiosk-session.js';
import { FakeJpkiCard, ManualTimers, testRoot } from './testing.js';
import { Secret } from '../../shared/secret.js';

export type DemoScriptName = 'pickup';

/** Runs a demo story; `print` gets one line per event and step. Returns the exit code. */
export async function runDemoScript(
  name: DemoScriptName | string,
  print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  if (name !== 'pickup') {
    print(JSON.stringify({ step: 'error', message: `no demo script named ${name}` }));
    return 2;
  }
  const h = new DomainHarness({ timers: new ManualTimers() });
  await h.start();
  let printed = 0;
  const flush = () => {
    for (const e of h.outbox.readFrom(printed, 1000)) {
      printed = e.seq;
      print(JSON.stringify({ seq: e.seq, kind: e.kind, data: JSON.parse(e.data) }));
    }
  };
  try {
    const root = testRoot();
    const resident = FakeJpkiCard.make(root, 'demo-resident');
    const staff = FakeJpkiCard.make(root, 'demo-staff');
    const step = (s: string) => print(JSON.stringify({ step: s }));
    step('back office: roster and delivery');
    h.domain.applyRoster({
      version: 1,
      staff: [
        { staffId: 'staff-1', certSpkiSha256: spkiSha256(staff.cert.der), roles: ['loader'] },
      ],
    });
    h.assign('demo-1', 'A01', resident);
    flush();
    step('staff: card, PIN, load, close');
    let next = h.next('pin');
    h.cards.insert(staff);
    await next;
    next = h.next('loading');
    h.session.submitPin(new Secret(staff.pin));
    await next;
    next = h.next('loaded');
    h.board.putItem(0, 1);
    h.board.closeDoor(0, 1);
    await next;
    h.cards.remove();
    await h.session.settled;
    flush();
    step('resident: card, PIN, take, close');
    next = h.next('pin');
    h.cards.insert(resident);
    await next;
    next = h.next('open');
    h.session.submitPin(new Secret(resident.pin));
    await next;
    next = h.next('collected');
    h.board.takeItem(0, 1);
    h.board.closeDoor(0, 1);
    await next;
    flush();
    const ok = h.domain.delivery('demo-1')?.state === 'collected' && h.audit.verify().ok;
    step(ok ? 'collected' : 'failed');
    return ok ? 0 : 1;
  } finally {
    await h.stop();
  }
}
