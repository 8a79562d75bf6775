// Renders the kiosk's spoken guidance (see controller/web/speech.ts). Run by scripts/speech.sh
// generate; `--out <dir>` writes elsewhere than controller/web/static/speech.
import { generateSpeech, SPEECH_DIR } from '../controller/web/speech.js';

const at = process.argv.indexOf('--out');
const dir = at > 0 ? process.argv[at + 1]! : SPEECH_DIR;
const report = await generateSpeech({ dir });
const langs = Object.keys(report);
if (langs.length === 0) {
  console.error(
    'speech: no engine found (install with scripts/speech.sh install); the kiosk stays silent',
  );
  process.exit(1);
}
for (const [lang, r] of Object.entries(report))
  console.log(
    `speech ${lang.padEnd(8)} ${r.engine.padEnd(10)} ${r.written} written, ${r.kept} unchanged`,
  );
console.log(`speech: manifest in ${dir}/manifest.json`);
