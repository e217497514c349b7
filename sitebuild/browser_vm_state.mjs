// Boot the "Try it in your browser" VM once under Node.js and save its state, so that the page
// resumes in about a second instead of booting for twenty.
//   node browser_vm_state.mjs V86_BUILD_DIR CONFIG_JSON OUT_FILE
// Prints one JSON line: boot time and the boot log. Exits 1 with a message on failure.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [buildDir, configJson, out] = process.argv.slice(2);
const config = JSON.parse(configJson);
const { V86 } = await import(path.resolve(buildDir, "libv86.mjs"));
const buffer = (file) => ({ buffer: new Uint8Array(readFileSync(file)).buffer });

const started = Date.now();
const emulator = new V86({
  wasm_path: path.resolve(buildDir, "v86.wasm"),
  memory_size: config.memory_mb * 1024 * 1024,
  vga_memory_size: config.vga_memory_kb * 1024,
  bios: buffer(config["bios.bin"]),
  vga_bios: buffer(config["vgabios.bin"]),
  bzimage: buffer(config.bzImage),
  initrd: buffer(config["initrd.gz"]),
  cmdline: config.cmdline,
  autostart: true,
  disable_keyboard: true,
  disable_mouse: true,
  disable_speaker: true,
});

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

await waitFor("vm# ");
const bootSeconds = (Date.now() - started) / 1000;
// Drop the page cache so its pages are freed (and zeroed, init_on_free=1): v86 stores only
// non-zero memory pages. The echo is split so the marker matches only the command's output.
const mark = text.length;
emulator.serial0_send("sync; echo 3 > /proc/sys/vm/drop_caches; clear; echo SAVE''D\n");
await waitFor("SAVED\r\nvm# ", mark);
emulator.stop();
const state = await emulator.save_state();
writeFileSync(out, new Uint8Array(state));
clearTimeout(timeout);
console.log(JSON.stringify({ boot_seconds: bootSeconds, boot_log: text }));
emulator.destroy();
process.exit(0);
