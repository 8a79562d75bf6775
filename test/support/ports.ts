/** A TCP port on 127.0.0.1 that was free a moment ago (the demo's own helper, shared). */
export { freeLoopbackPort } from '../../controller/demo/demo-script.js';
