// A stand-in for v86's libv86.js, served in its place by tests/browser/test_vm_script.py: a V86
// whose serial port answers like the VM's shell (it echoes what is typed, prints the command's
// output, then the prompt "vm# "), without emulating a machine, so the page's own script can be
// tested in seconds. tests/browser/test_vm.py runs the real emulator and VM.
// window.fakeV86.silent = true makes it a restored VM that never answers.
"use strict";

window.fakeV86 = { silent: false, ...window.fakeV86, sent: "", destroyed: false };

// What the "shell" prints for a command: BusyBox's `clear` writes "cursor home, erase below";
// `seq 1 N` is a long output; anything else is echoed back.
function answer(command) {
  if (command === "") return "";
  if (command === "clear") return "\x1b[H\x1b[J";
  const seq = /^seq 1 (\d+)$/.exec(command);
  if (seq) {
    const lines = [];
    for (let i = 1; i <= Number(seq[1]); i++) lines.push(`${i}\r\n`);
    return lines.join("");
  }
  return `ran: ${command}\r\n`;
}

window.V86 = class {
  constructor() {
    this.listeners = {};
    this.line = "";
    setTimeout(() => this.emit("emulator-ready"), 0);
  }

  add_listener(name, listener) {
    (this.listeners[name] ??= []).push(listener);
  }

  emit(name, value) {
    for (const listener of this.listeners[name] ?? []) listener(value);
  }

  // Byte by byte, as v86 delivers serial output.
  print(text) {
    for (const byte of new TextEncoder().encode(text)) this.emit("serial0-output-byte", byte);
  }

  serial0_send(data) {
    window.fakeV86.sent += data;
    if (window.fakeV86.silent) return;
    for (const ch of data) {
      if (ch !== "\n") {
        this.line += ch;
        this.print(ch);
        continue;
      }
      const command = this.line;
      this.line = "";
      this.print("\r\n");
      // The output comes later than the echo, as from a real program.
      setTimeout(() => this.print(`${answer(command)}vm# `), 10);
    }
  }

  destroy() {
    window.fakeV86.destroyed = true;
    return Promise.resolve();
  }
};
