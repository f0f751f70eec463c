// Recording volume: its state (engine, size, free space, key slots in use) and the commands an
// operator runs as root to unlock it or add a key; the console never sees a passphrase.
import { call } from './api.js';
import { $, button, element } from './dom.js';
import { copyAndSay, explain, say } from './admin.js';
import { texts } from './admin-texts.js';
import { size } from './admin-format.js';

function commandBlock(name, command) {
  const what = texts.volume.commands[name] ?? name;
  const block = element('div', undefined, 'command');
  block.dataset.command = name;
  block.append(element('h3', what));
  const code = element('pre');
  code.append(element('code', command));
  const line = element('div', undefined, 'with-button');
  line.append(code, button(texts.page.copy, () => copyAndSay(command), { accessibleName: texts.volume.copyLabel(what) }));
  block.append(line);
  return block;
}

function fill(volume) {
  const unlocked = volume.state === 'unlocked';
  $('volume-state').textContent = unlocked ? texts.volume.unlocked : texts.volume.unavailable(volume.reason ?? '');
  $('volume-state').className = `state-line ${unlocked ? 'good' : 'bad'}`;
  $('volume-mount').textContent = volume.mountPoint ?? '';
  $('volume-container').textContent = volume.container ?? volume.device ?? texts.unknown;
  $('volume-engine').textContent = texts.volume.engines[volume.engine] ?? volume.engine ?? texts.unknown;
  $('volume-size').textContent = size(volume.sizeBytes);
  $('volume-free').textContent = size(volume.freeBytes);
  $('volume-slots').textContent = Array.isArray(volume.keySlots) ? texts.volume.slots(volume.keySlots)
    : texts.volume.slotsUnknown;
  $('volume-command-list').replaceChildren(...Object.entries(volume.commands ?? {})
    .map(([name, command]) => commandBlock(name, command)));
}

export async function show() {
  try {
    fill(await call('GET', '/api/v1/admin/volume'));
  } catch (error) {
    say(explain(error));
  }
}
