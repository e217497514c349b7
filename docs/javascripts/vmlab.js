// "Try it in your browser": a Linux VM (v86, x86 emulated in WebAssembly) in the page, with a
// plain accessible terminal and buttons that type each step's command. Nothing is downloaded
// until the reader presses "Start the VM". Test hook: window.vmLab.boot({fromState}) and
// window.vmLab.run(command) -> Promise<output text>.
(function () {
  "use strict";
  const PROMPT = "vm# ";
  const MAX_SCREEN = 200000; // characters kept on screen: the oldest scroll away

  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
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
    let text = ""; // everything the serial port printed since boot, cleaned
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
    function onChar(ch) {
      if (esc) {
        esc += ch;
        if (/^\x1b(\[[0-9;?]*[ -\/]*[@-~]|[^[])$/.test(esc)) {
          if (esc === "\x1b[J" || esc === "\x1b[2J") text = "";
          esc = "";
        }
        return;
      }
      if (ch === "\x1b") esc = ch;
      else if (ch === "\b") text = text.slice(0, -1);
      else if (ch !== "\r") {
        text += ch;
        fresh += ch;
      }
    }

    function onBytes(bytes) {
      for (const ch of decoder.decode(bytes, { stream: true })) onChar(ch);
      if (text.length > MAX_SCREEN) text = text.slice(-MAX_SCREEN);
      for (const w of [...waiters]) w.check();
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        announce(fresh);
        fresh = "";
        const atEnd = screen.scrollTop + screen.clientHeight >= screen.scrollHeight - 40;
        screen.textContent = text;
        if (atEnd) screen.scrollTop = screen.scrollHeight;
      });
    }

    const waiters = [];
    // Resolves with the index just after `needle` once it appears at or after index `from`.
    function waitFor(needle, from) {
      return new Promise((resolve) => {
        const w = {
          check() {
            const i = text.indexOf(needle, from);
            if (i >= 0) {
              waiters.splice(waiters.indexOf(w), 1);
              resolve(i + needle.length);
            }
          },
        };
        waiters.push(w);
        w.check();
      });
    }

    async function download(name, done, total) {
      const response = await fetch(new URL(name, base));
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
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
      if (typeof WebAssembly !== "object") return "This browser has no WebAssembly, which the emulator needs.";
      if (typeof DecompressionStream !== "function") return "This browser is too old to unpack the emulator (it has no DecompressionStream).";
      if (navigator.deviceMemory && navigator.deviceMemory < 1)
        return "This device reports less than 1 GB of memory; the VM needs about 300 MB.";
      return "";
    }

    async function boot({ fromState = true } = {}) {
      if (emulator) return times;
      const problem = unsupported();
      if (problem) {
        say(problem);
        throw new Error(problem);
      }
      root.querySelectorAll(".vmlab-start").forEach((b) => (b.disabled = true));
      const manifest = await (await fetch(new URL("manifest.json", base))).json();
      const names = fromState ? ["libv86.js", "v86.wasm.gz", "state.bin.zst"] : ["libv86.js", "v86.wasm.gz", "bios.bin", "vgabios.bin", "bzImage", "initrd.cpio"];
      const total = names.reduce((n, f) => n + manifest.files[f], 0);
      bar.max = total;
      bar.hidden = false;
      const started = performance.now();
      const data = {};
      let done = 0;
      for (const name of names) {
        if (name === "libv86.js") await loadScript(new URL(name, base));
        else data[name] = await download(name, done, total);
        done += manifest.files[name];
      }
      times.bytes = total;
      times.download_s = (performance.now() - started) / 1000;
      say(fromState ? "Restoring the saved VM…" : "Booting: firmware, then the Linux kernel…");
      const t0 = performance.now();
      const options = {
        wasm_fn: async (env) => (await WebAssembly.instantiate(await gunzip(data["v86.wasm.gz"]), env)).instance.exports,
        memory_size: manifest.memory_mb * 1024 * 1024,
        vga_memory_size: manifest.vga_memory_kb * 1024, // as when the state was saved
        autostart: true,
        disable_keyboard: true,
        disable_mouse: true,
        disable_speaker: true,
      };
      if (fromState) options.initial_state = { buffer: data["state.bin.zst"].buffer };
      else
        Object.assign(options, {
          bios: { buffer: data["bios.bin"].buffer },
          vga_bios: { buffer: data["vgabios.bin"].buffer },
          bzimage: { buffer: data["bzImage"].buffer },
          initrd: { buffer: data["initrd.cpio"].buffer },
          cmdline: manifest.cmdline,
        });
      emulator = new window.V86(options);
      emulator.add_listener("serial0-output-byte", (b) => onBytes(new Uint8Array([b])));
      await new Promise((r) => emulator.add_listener("emulator-ready", r));
      // A restored shell is already waiting at its prompt: press Enter until it answers.
      const prompt = waitFor(PROMPT, text.length);
      let poke = 0;
      if (fromState) {
        const enter = () => emulator.serial0_send("\n");
        enter();
        poke = setInterval(enter, 1000);
      }
      await prompt;
      clearInterval(poke);
      times.mode = fromState ? "resume" : "cold boot";
      times.boot_s = (performance.now() - t0) / 1000;
      bar.hidden = true;
      say(`VM ready: ${fromState ? "resumed" : "booted from scratch"} in ${times.boot_s.toFixed(1)} s after a ${mb(total)} download.`);
      form.hidden = false;
      document.querySelectorAll(".vmlab-step").forEach((b) => (b.disabled = false));
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
        const from = text.length;
        const t0 = performance.now();
        const line = command.replace(/\n/g, " ");
        emulator.serial0_send(line + "\n");
        // The shell echoes the command line; its output starts after that.
        const afterEcho = await waitFor(line + "\n", from);
        const end = await waitFor("\n" + PROMPT, afterEcho - 1);
        const seconds = (performance.now() - t0) / 1000;
        return { output: text.slice(afterEcho, end - PROMPT.length - 1), seconds };
      });
      queue = result.catch(() => {});
      return result;
    }

    root.querySelectorAll(".vmlab-start").forEach((b) =>
      b.addEventListener("click", () =>
        boot({ fromState: b.dataset.fromState !== "false" }).catch((e) => say(`Could not start the VM: ${e.message}`)),
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const command = input.value;
      input.value = "";
      run(command);
    });
    $(".vmlab-interrupt").addEventListener("click", () => emulator && emulator.serial0_send("\x03"));
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
        input.focus();
      }),
    );

    window.vmLab = {
      boot,
      run: async (command) => (await run(command)).output,
      runTimed: run,
      times,
    };
  }

  function init() {
    const root = document.getElementById("vmlab");
    if (root) setup(root);
  }
  // Material's instant navigation swaps pages without reloading scripts: follow its document$.
  if (window.document$) window.document$.subscribe(init);
  else document.addEventListener("DOMContentLoaded", init);
})();
