// "Try it in your browser": a Linux VM (v86, x86 emulated in WebAssembly) in the page, with a
// plain accessible terminal and buttons that type each step's command. Nothing is downloaded
// until the reader presses "Start the VM". Test hook: window.vmLab.boot({fromState}) and
// window.vmLab.run(command) -> Promise<output text>.
import { PROMPT, v86Options } from "./vm-config.js";

const MAX_SCREEN = 200000; // characters kept on screen: the oldest scroll away
// A restored shell answers Enter in about a second; a slow phone gets a generous minute.
const RESUME_LIMIT_S = 60;

function setup(root) {
  const base = new URL(root.dataset.base, location.href);
  const $ = (sel) => root.querySelector(sel);
  const screen = $(".vmlab-screen");
  const status = $(".vmlab-status");
  const live = $(".vmlab-live");
  const bar = $(".vmlab-progress");
  const form = $(".vmlab-form");
  const input = $(".vmlab-input");
  const timesOut = document.querySelector(".vmlab-times");
  const decoder = new TextDecoder();
  let emulator = null;
  let booting = null;
  // What the serial port printed since boot, cleaned. Positions in it are counted from boot
  // and never move: `tape` holds the latest characters and `dropped` counts those dropped
  // before it (when it grows past MAX_SCREEN), so a command waiting for its output keeps its
  // place. A clear-screen sequence only moves `screenFrom`, where the screen starts.
  let tape = "";
  let dropped = 0;
  let screenFrom = 0;
  const end = () => dropped + tape.length;
  const slice = (from, to) => tape.slice(Math.max(from - dropped, 0), Math.max(to - dropped, 0));
  let queue = Promise.resolve();
  let pendingAnnounce = "";
  let announceTimer = 0;
  const times = {};

  function say(msg) {
    status.textContent = msg;
  }

  // Screen readers hear output in chunks at most once a second, never byte by byte.
  function announce(chunk) {
    pendingAnnounce += chunk;
    if (announceTimer) return;
    announceTimer = setTimeout(() => {
      live.textContent = pendingAnnounce.slice(-600);
      pendingAnnounce = "";
      announceTimer = 0;
    }, 1000);
  }

  // A small terminal: escape sequences are dropped (a clear-screen one empties the screen),
  // carriage returns ignored, backspace honoured. Bytes arrive one at a time.
  let esc = "";
  let scheduled = false;
  let fresh = "";
  // The screen shows the tape from `shownFrom` to `shownTo`. New output is appended to it:
  // setting the whole text every frame made long outputs several times slower to arrive.
  let shownFrom = 0;
  let shownTo = 0;
  let redraw = false;
  function onChar(ch) {
    if (esc) {
      esc += ch;
      // eslint-disable-next-line no-control-regex -- a terminal's escape sequences start with ESC
      if (/^\x1b(\[[0-9;?]*[ -/]*[@-~]|[^[])$/.test(esc)) {
        if (esc === "\x1b[J" || esc === "\x1b[2J") {
          screenFrom = end();
          redraw = true;
        }
        esc = "";
      }
      return;
    }
    if (ch === "\x1b") esc = ch;
    else if (ch === "\b") {
      tape = tape.slice(0, -1);
      screenFrom = Math.min(screenFrom, end());
      redraw = true;
      for (const w of waiters) w.rewind();
    } else if (ch !== "\r") {
      tape += ch;
      fresh += ch;
    }
  }

  function onBytes(bytes) {
    for (const ch of decoder.decode(bytes, { stream: true })) onChar(ch);
    // Drop a quarter at a time, not a character per byte once full.
    if (tape.length > MAX_SCREEN * 1.25) {
      const cut = tape.length - MAX_SCREEN;
      tape = tape.slice(cut);
      dropped += cut;
    }
    for (const w of [...waiters]) w.check();
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      announce(fresh);
      fresh = "";
      const atEnd = screen.scrollTop + screen.clientHeight >= screen.scrollHeight - 40;
      const from = Math.max(screenFrom, end() - MAX_SCREEN);
      if (redraw || shownTo < dropped || from - shownFrom > MAX_SCREEN / 4) {
        screen.textContent = slice(from, end());
        shownFrom = from;
        redraw = false;
      } else screen.append(slice(shownTo, end()));
      shownTo = end();
      if (atEnd) screen.scrollTop = screen.scrollHeight;
    });
  }

  const waiters = [];
  // Resolves with the position just after `needle` once it appears at or after position
  // `from`. Each check searches only from where the last one left off: a long output would
  // otherwise be searched again from its start at every byte.
  function waitFor(needle, from) {
    return new Promise((resolve) => {
      let next = from;
      const w = {
        check() {
          const i = tape.indexOf(needle, Math.max(next - dropped, 0));
          if (i >= 0) {
            waiters.splice(waiters.indexOf(w), 1);
            resolve(dropped + i + needle.length);
          } else next = Math.max(next, end() - needle.length + 1);
        },
        // A backspace took a character back: the needle may now end where it was.
        rewind() {
          next = Math.max(from, Math.min(next, end() - needle.length + 1));
        },
      };
      waiters.push(w);
      w.check();
    });
  }

  // Rejects after `seconds` with `message`; `stop()` cancels it.
  function deadline(seconds, message) {
    let timer = 0;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), seconds * 1000);
    });
    return { expired, stop: () => clearTimeout(timer) };
  }

  async function fetchOk(name) {
    let response;
    try {
      response = await fetch(new URL(name, base));
    } catch (e) {
      throw new Error(`${name}: no answer from the server (${e.message})`);
    }
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return response;
  }

  async function download(name, done, total) {
    const response = await fetchOk(name);
    const reader = response.body.getReader();
    const parts = [];
    let got = 0;
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      parts.push(value);
      got += value.length;
      bar.value = done + got;
      say(`Downloading: ${mb(done + got)} of ${mb(total)}`);
    }
    const out = new Uint8Array(got);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function mb(n) {
    return `${(n / 1e6).toFixed(1)} MB`;
  }

  // The emulator is served gzipped by the site itself (a host may not compress wasm). A server
  // that labels the file Content-Encoding: gzip has the browser unpack it already: no gzip magic.
  function gunzip(bytes) {
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  }

  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.appendChild(s);
    });
  }

  function unsupported() {
    if (typeof WebAssembly !== "object") return "this browser has no WebAssembly, which the emulator needs";
    if (typeof DecompressionStream !== "function") return "this browser is too old to unpack the emulator (it has no DecompressionStream)";
    if (navigator.deviceMemory && navigator.deviceMemory < 1)
      return "this device reports less than 1 GB of memory; the VM needs about 300 MB";
    return "";
  }

  // Ask the browser for the guest's memory before downloading anything: a device that cannot
  // spare it refuses here (a RangeError), and the reader gets a sentence, not a dead emulator.
  function reserve(mb) {
    try {
      new WebAssembly.Memory({ initial: Math.ceil((mb * 1024 * 1024) / 65536) });
    } catch (e) {
      throw new Error(`this browser refused the ${mb} MB of memory the VM needs: ${e.message}`, { cause: e });
    }
  }

  async function readManifest(names) {
    const response = await fetchOk("manifest.json");
    let manifest;
    try {
      manifest = await response.json();
    } catch {
      throw new Error("manifest.json is not valid JSON");
    }
    for (const name of names)
      if (!Number.isFinite(manifest.files?.[name])) throw new Error(`manifest.json gives no size for ${name}`);
    return manifest;
  }

  // One start at a time; after a failure the reader may start again.
  function boot(options) {
    booting ??= start(options).catch((e) => {
      booting = null;
      throw e;
    });
    return booting;
  }

  async function start({ fromState = true } = {}) {
    const starts = root.querySelectorAll(".vmlab-start");
    starts.forEach((b) => (b.disabled = true));
    try {
      return await startVM(fromState);
    } catch (e) {
      // Leave nothing half-started: no emulator, no progress bar, both buttons usable.
      const vm = emulator;
      emulator = null;
      if (vm) Promise.resolve().then(() => vm.destroy()).catch(() => {}); // a half-made one may throw
      waiters.length = 0;
      bar.hidden = true;
      starts.forEach((b) => (b.disabled = false));
      say(`Could not start the VM (${e.message}). Nothing is running now; press a Start button to try again.`);
      throw e;
    }
  }

  async function startVM(fromState) {
    const problem = unsupported();
    if (problem) throw new Error(problem);
    const names = fromState ? ["libv86.js", "v86.wasm.gz", "state.bin.zst"] : ["libv86.js", "v86.wasm.gz", "bios.bin", "vgabios.bin", "bzImage", "initrd.cpio"];
    const manifest = await readManifest(names);
    reserve(manifest.memory_mb);
    const total = names.reduce((n, f) => n + manifest.files[f], 0);
    bar.max = total;
    bar.value = 0;
    bar.hidden = false;
    const started = performance.now();
    const data = {};
    let done = 0;
    for (const name of names) {
      if (name !== "libv86.js") data[name] = await download(name, done, total);
      else if (!window.V86) await loadScript(new URL(name, base));
      done += manifest.files[name];
    }
    times.bytes = total;
    times.download_s = (performance.now() - started) / 1000;
    say(fromState ? "Restoring the saved VM…" : "Booting: firmware, then the Linux kernel…");
    const t0 = performance.now();
    const buffers = Object.fromEntries(Object.entries(data).map(([name, bytes]) => [name, bytes.buffer]));
    emulator = new window.V86({
      ...v86Options(manifest, fromState ? { state: buffers["state.bin.zst"] } : { files: buffers }),
      wasm_fn: async (env) => (await WebAssembly.instantiate(await gunzip(data["v86.wasm.gz"]), env)).instance.exports,
      autostart: true,
    });
    emulator.add_listener("serial0-output-byte", (b) => onBytes(new Uint8Array([b])));
    const prompt = waitFor(PROMPT, end());
    if (fromState) {
      // A restored shell is already waiting at its prompt: press Enter until it answers, for
      // a while. A state this emulator cannot restore never answers at all.
      const limit = deadline(RESUME_LIMIT_S, `the restored VM did not answer within ${RESUME_LIMIT_S} s; Boot from scratch does not need it`);
      const vm = emulator;
      const enter = () => vm.serial0_send("\n");
      let poke = 0;
      let waiting = true;
      vm.add_listener("emulator-ready", () => {
        if (!waiting) return;
        // Not from inside the event: v86 is still restoring then, and the key would be lost.
        // Pressed again every quarter second: in WebKit the first press after the event is
        // lost too, and a second's wait was most of a resume.
        Promise.resolve().then(enter);
        poke = setInterval(enter, 250);
      });
      try {
        await Promise.race([prompt, limit.expired]);
      } finally {
        waiting = false;
        clearInterval(poke);
        limit.stop();
      }
    } else await prompt;
    times.mode = fromState ? "resume" : "cold boot";
    times.boot_s = (performance.now() - t0) / 1000;
    bar.hidden = true;
    say(`VM ready: ${fromState ? "resumed" : "booted from scratch"} in ${times.boot_s.toFixed(1)} s after a ${mb(total)} download.`);
    form.hidden = false;
    document.querySelectorAll(".vmlab-step[data-command]").forEach((b) => (b.disabled = false));
    showTimes();
    return times;
  }

  function showTimes() {
    if (!timesOut) return;
    const rows = [`VM (${times.mode}): ${times.boot_s.toFixed(2)} s to a shell prompt`];
    if (times.container_s !== undefined)
      rows.push(`Container: ${times.container_s.toFixed(2)} s from command to its output`);
    timesOut.textContent = rows.join("\n");
  }

  // Type a command at the shell and resolve with its output (what it printed before the
  // next prompt). Commands run one at a time, in order.
  function run(command) {
    const result = queue.then(async () => {
      if (!emulator) throw new Error("start the VM first");
      const from = end();
      const t0 = performance.now();
      const line = command.replace(/\n/g, " ");
      emulator.serial0_send(line + "\n");
      // The shell echoes the command line; its output starts after that.
      const afterEcho = await waitFor(line + "\n", from);
      const stop = await waitFor("\n" + PROMPT, afterEcho - 1);
      const seconds = (performance.now() - t0) / 1000;
      return { output: slice(afterEcho, stop - PROMPT.length - 1), seconds };
    });
    queue = result.catch(() => {});
    return result;
  }

  root.querySelectorAll(".vmlab-start").forEach((b) =>
    b.addEventListener("click", () =>
      // start() has said what went wrong.
      boot({ fromState: b.dataset.fromState !== "false" }).catch(() => {}),
    ),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const command = input.value;
    input.value = "";
    run(command);
  });
  $(".vmlab-interrupt").addEventListener("click", () => emulator && emulator.serial0_send("\x03"));
  // A step's command is written once, in the <code> beside its button; the button types that.
  document.querySelectorAll(".vmlab-step").forEach((b) => {
    const code = b.closest("p")?.querySelector("code");
    if (code) b.dataset.command = code.textContent;
    else console.error(`vmlab.js: step "${b.dataset.step}" has no <code> beside its button; it stays disabled`);
  });
  // A phone's on-screen keyboard shrinks the viewport over the box being typed in: bring the box
  // back into view, its bottom at the keyboard's edge, so the terminal's last lines show above it.
  if (window.visualViewport)
    visualViewport.addEventListener("resize", () => {
      if (document.activeElement === input) form.scrollIntoView({ block: "end" });
    });
  document.querySelectorAll(".vmlab-step").forEach((b) =>
    b.addEventListener("click", async () => {
      const command = b.dataset.command;
      const r = await run(command);
      // The output also appears under the step, so the reader need not scroll to the terminal.
      const para = b.closest("p");
      let out = para.nextElementSibling;
      if (!out || !out.classList.contains("vmlab-out")) {
        out = document.createElement("pre");
        out.className = "vmlab-out";
        para.after(out);
      }
      out.textContent = r.output || "(no output)";
      if (b.dataset.measure === "container") {
        times.container_s = r.seconds;
        showTimes();
      }
      // Focus stays on the button, so Tab goes on to the next step (moving it to the input
      // would scroll the page up there). A reader still at this step sees its output.
      const at = b.getBoundingClientRect();
      if (at.bottom > 0 && at.top < innerHeight) out.scrollIntoView({ block: "nearest" });
    }),
  );

  window.vmLab = {
    boot,
    run: async (command) => (await run(command)).output,
    runTimed: run,
    times,
  };
}

// A module runs once the page is parsed (and the site has no instant navigation to follow).
const root = document.getElementById("vmlab");
if (root) setup(root);
