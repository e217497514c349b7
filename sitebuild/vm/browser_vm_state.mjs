// Boot the "Try it in your browser" VM once under Node.js and save its state, so that the page
// resumes in about a second instead of booting for twenty.
//   node browser_vm_state.mjs V86_BUILD_DIR CONFIG_JSON OUT_FILE
// CONFIG_JSON: the manifest's memory_mb, vga_memory_kb and cmdline, and `files`: name -> path.
// Prints one JSON line: boot time (real seconds) and the boot log. Exits 1 with a message on
// failure. The state is the same bytes on every run and machine (the virtual clock below).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
// The page's own settings: a state restores only into an emulator made with the same options.
import { PROMPT, v86Options } from "../../docs/javascripts/vm-config.js";

const [buildDir, configJson, out] = process.argv.slice(2);
const config = JSON.parse(configJson);
const wallClock = Date.now; // the real time, for the boot time this script reports
// A virtual clock, so that the saved state is the same on every machine: v86 reads the time for
// its timers (PIT, APIC, TSC: performance.now; the CMOS clock: Date.now) and draws random numbers
// (RDRAND: crypto.getRandomValues). Here time is the count of guest instructions at a fixed rate,
// plus, while the guest halts, the wait v86 asks for (skipped at once); randomness is a fixed
// sequence. Set before v86 loads: it binds performance.now when its module loads.
const RATE = 50_000; // guest instructions per virtual millisecond
let cpu = null;
let counted = 0;
let last = 0;
let idle = 0;
const virtualNow = () => {
  if (cpu) {
    const now = cpu.instruction_counter[0] >>> 0;
    counted += (now - last) >>> 0; // a 32-bit counter: add the difference, modulo 2^32
    last = now;
  }
  return counted / RATE + idle;
};
performance.now = virtualNow;
const EPOCH = Date.UTC(2026, 0, 1);
Date.now = () => EPOCH + Math.floor(virtualNow());
let seed = 0x9e3779b9; // RDRAND, and the NE2000 card's MAC address
crypto.getRandomValues = (array) => {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < bytes.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    bytes[i] = seed >>> 24;
  }
  return array;
};
Math.random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const { V86 } = await import(path.resolve(buildDir, "libv86.mjs"));

const started = wallClock();
const files = Object.fromEntries(
  Object.entries(config.files).map(([name, file]) => [name, new Uint8Array(readFileSync(file)).buffer]),
);
const emulator = new V86({
  ...v86Options(config, { files }),
  wasm_path: path.resolve(buildDir, "v86.wasm"),
  autostart: false,
  disable_jit: true, // the JIT compiles blocks asynchronously: when they take over varies
});

await new Promise((resolve) => emulator.add_listener("emulator-loaded", resolve));
cpu = emulator.v86.cpu;
// v86 sleeps (in real time) until the halted guest's next timer: jump the clock there instead.
emulator.v86.yield = (delay, tick) => {
  idle += Math.max(0, delay);
  setImmediate(() => emulator.v86.yield_callback(tick));
};
emulator.run();

let text = "";
const waiters = [];
emulator.add_listener("serial0-output-byte", (byte) => {
  text += String.fromCharCode(byte);
  for (const w of [...waiters]) {
    if (text.includes(w.needle, w.from)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  }
});
const waitFor = (needle, from = 0) =>
  new Promise((resolve) => waiters.push({ needle, from, resolve }));
// A kernel that cannot start init stops there: say so at once, not after the timeout.
waitFor("Kernel panic").then(() => {
  process.stderr.write(`the guest's kernel panicked; serial output:\n${text.slice(-2000)}\n`);
  process.exit(1);
});
const timeout = setTimeout(() => {
  process.stderr.write(`no prompt after 600 s; serial output so far:\n${text.slice(-2000)}\n`);
  process.exit(1);
}, 600_000);

await waitFor(PROMPT);
const bootSeconds = (wallClock() - started) / 1000;
// Drop the page cache so its pages are freed (and zeroed, init_on_free=1): v86 stores only
// non-zero memory pages. The echo is split so the marker matches only the command's output.
const mark = text.length;
emulator.serial0_send("sync; echo 3 > /proc/sys/vm/drop_caches; clear; echo SAVE''D\n");
await waitFor(`SAVED\r\n${PROMPT}`, mark);
emulator.stop();
const state = await emulator.save_state();
writeFileSync(out, new Uint8Array(state));
clearTimeout(timeout);
console.log(JSON.stringify({ boot_seconds: bootSeconds, boot_log: text }));
emulator.destroy();
process.exit(0);
