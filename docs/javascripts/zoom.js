// Zoom on click, loaded on first use: glightbox's script and stylesheet wait until the reader
// points at, focuses or touches a figure, so neither is in flight beside the page's largest
// paint. A figure link works without them: it opens the SVG itself. The post-build pass
// (sitebuild/pages/postbuild.py) writes this module's tag in place of mkdocs-glightbox's start-up
// call, with the plugin's options and its two assets as data attributes:
// <script id="init-glightbox" type="module" src="…/zoom.js" data-options="{…}" data-css="…"
// data-js="…">.
const tag = document.getElementById("init-glightbox");
const options = JSON.parse(tag.dataset.options);
let lightbox;
let loading;

const load = () =>
  (loading ??= new Promise((resolve, reject) => {
    const style = Object.assign(document.createElement("link"), {
      rel: "stylesheet",
      href: tag.dataset.css,
    });
    const script = Object.assign(document.createElement("script"), { src: tag.dataset.js });
    const both = [style, script].map(
      (element) =>
        new Promise((done, fail) => {
          element.onload = done;
          element.onerror = () =>
            fail(new Error(`zoom: could not load ${element.href ?? element.src}`));
        }),
    );
    document.head.append(style, script);
    Promise.all(both).then(() => resolve((lightbox = GLightbox(options))), reject);
  }));

const zoomLink = (event) => event.target.closest?.("a.glightbox");

// Fetch as soon as the reader points at, focuses or touches a figure: usually done by the click.
for (const type of ["pointerover", "focusin", "touchstart"]) {
  addEventListener(type, (event) => zoomLink(event) && load(), { passive: true });
}

addEventListener("click", (event) => {
  const link = zoomLink(event);
  // Once loaded, glightbox handles its links' clicks itself; a modified click opens the SVG.
  if (!link || lightbox || event.button || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  load().then(
    (box) => box.openAt([...document.querySelectorAll("a.glightbox")].indexOf(link)),
    () => location.assign(link.href),
  );
});
