// What the site's post-build pass defers, brought back in the browser:
// - a closed <details> keeps its content in a <template data-deferred>, moved into the page when
//   the reader opens it (or prints);
// - a long listing in plain view shows plain text until the page is idle, then its highlighting
//   (the same text in a <template data-highlighted>) takes its place, as before printing;
// - a code block that scrolls sideways gets tabindex="0", or a keyboard cannot scroll it.
//   Material does that when it mounts a block, which content.lazy delays until the block is in
//   view and which never happens for a block unpacked from a template: so once the page is idle,
//   one pass (one layout) does it for every block, and again on each unpack.
const focusScrollable = (root) => {
  for (const code of root.querySelectorAll("pre > code:not([tabindex])")) {
    if (code.scrollWidth > code.clientWidth) code.tabIndex = 0;
  }
};

const highlight = () => {
  for (const template of document.querySelectorAll("template[data-highlighted]")) {
    template.parentElement.replaceChildren(template.content);
  }
};

const unpack = (details) => {
  const template = details.querySelector(":scope > template[data-deferred]");
  if (!template) return;
  template.replaceWith(template.content);
  focusScrollable(details);
};

addEventListener("load", () =>
  (window.requestIdleCallback ?? setTimeout)(() => {
    highlight();
    focusScrollable(document);
  }),
);
// "toggle" does not bubble; a capturing listener still sees every <details> open.
addEventListener("toggle", (event) => event.target.open && unpack(event.target), true);
addEventListener("beforeprint", () => {
  highlight();
  document.querySelectorAll("details").forEach(unpack);
});
// A module runs once the page is parsed: one the reader opened before that is unpacked now.
document.querySelectorAll("details[open]").forEach(unpack);
