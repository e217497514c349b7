// The "Try it in your browser" VM as both of its emulators see it: the page's (vmlab.js) and the
// one that boots it once at build time and saves its state (sitebuild/vm/browser_vm_state.mjs,
// which imports this file by path). A saved state restores only into an emulator made with the
// same memory sizes, so both build their V86 options here; sitebuild/vm/browser_vm.py keys the
// saved state by this file's bytes.

// The guest shell's prompt (PS1 in sitebuild/vm/browser_vm_init.sh; a test holds them equal):
// its appearance means the shell waits for a command.
export const PROMPT = "vm# ";

// V86 options for the VM that `manifest` describes (memory_mb, vga_memory_kb, cmdline, as
// sitebuild/vm/browser_vm.py writes them): restoring `state` (an ArrayBuffer), or booting from
// `files` (bios.bin, vgabios.bin, bzImage, initrd.cpio: name -> ArrayBuffer). The caller adds
// how to load the emulator's wasm and whether it starts at once.
export function v86Options(manifest, { state, files } = {}) {
  const options = {
    memory_size: manifest.memory_mb * 1024 * 1024,
    vga_memory_size: manifest.vga_memory_kb * 1024,
    // The page talks to the VM over its serial port only.
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  };
  if (state) options.initial_state = { buffer: state };
  else
    Object.assign(options, {
      bios: { buffer: files["bios.bin"] },
      vga_bios: { buffer: files["vgabios.bin"] },
      bzimage: { buffer: files["bzImage"] },
      initrd: { buffer: files["initrd.cpio"] },
      cmdline: manifest.cmdline,
    });
  return options;
}
