// Keyboard-wedge barcode scanner capture for the kiosk page (QR / Code 128 envelope codes).
//
// A USB scanner in keyboard-wedge mode "types" the code it read, one key event per character,
// much faster than a person can, and ends with Enter. This recogniser takes keydown events
// and calls back with a code when a run of printable characters, each at most `maxGapMs`
// after the previous one, ends with Enter and is at least `minLength` long. Slower typing,
// a stray Enter and a run broken by a pause are dropped. It does not read the clock itself:
// each event's time comes from `event.timeStamp` (or the injected `now`), so it can be fed by
// hand in tests. Classic script: defines `globalThis.JpkiWedgeScanner`.
'use strict';

(function (root) {
  /**
   * @param {{ onCode: (code: string) => void, maxGapMs?: number, minLength?: number,
   *           maxLength?: number, now?: () => number }} options
   */
  function WedgeScanner(options) {
    var maxGapMs = options.maxGapMs || 50;
    var minLength = options.minLength || 4;
    var maxLength = options.maxLength || 128;
    var now =
      options.now ||
      function () {
        return Date.now();
      };
    var buffer = '';
    var last = -Infinity;

    /** Feeds one keydown event; returns true when it was taken as part of a scan. */
    function key(e) {
      var at = typeof e.timeStamp === 'number' && e.timeStamp > 0 ? e.timeStamp : now();
      var gap = at - last;
      last = at;
      if (e.key === 'Enter') {
        var code = buffer;
        buffer = '';
        if (code.length >= minLength && gap <= maxGapMs) {
          options.onCode(code);
          return true;
        }
        return false;
      }
      // Printable ASCII only (what Code 128 carries); modifiers and the rest end a run.
      if (typeof e.key !== 'string' || e.key.length !== 1 || e.key < '!' || e.key > '~') {
        if (e.key !== 'Shift') buffer = '';
        return false;
      }
      if (gap > maxGapMs) buffer = '';
      if (buffer.length >= maxLength) buffer = '';
      buffer += e.key;
      return buffer.length > 1;
    }

    /** Forgets a half-read code (e.g. when the screen changes). */
    function reset() {
      buffer = '';
      last = -Infinity;
    }

    return { key: key, reset: reset };
  }

  root.JpkiWedgeScanner = WedgeScanner;
})(typeof globalThis !== 'undefined' ? globalThis : window);
