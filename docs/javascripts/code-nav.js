// Material wraps each code block's copy button in an unnamed <nav>: one "navigation" landmark per
// code block floods a screen reader's landmark list (axe: landmark-unique), and a copy button is
// not navigation, so the wrapper loses its role. Loaded after Material's bundle, whose document$
// says when a page's content is mounted; content.lazy mounts a code block (and its button) only
// when it scrolls into view, hence the observer.
const unnamed = () => {
  for (const nav of document.querySelectorAll("nav.md-code__nav:not([role])")) {
    nav.setAttribute("role", "none");
  }
};

document$.subscribe(unnamed);
new MutationObserver(unnamed).observe(document.querySelector("article") ?? document.body, {
  childList: true,
  subtree: true,
});
