// ESLint for the project's own JavaScript (`make lint`): the recommended rules, and the globals
// of where each file runs. The site's scripts (docs/javascripts/) are ES modules in the browser;
// the test pages' stand-ins are classic scripts; the Node ones are ES modules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: [".venv/", ".cache/", "node_modules/", "site/", "site-zensical/", "_zensical/"] },
  js.configs.recommended,
  {
    files: ["docs/javascripts/**/*.js"],
    languageOptions: { sourceType: "module", globals: globals.browser },
  },
  {
    // Material's bundle defines document$ (an RxJS subject of each loaded page); only a module
    // loaded after the bundle (overrides/main.html) may use it.
    files: ["docs/javascripts/code-nav.js"],
    languageOptions: { globals: { document$: "readonly" } },
  },
  {
    files: ["tests/browser/**/*.js"],
    languageOptions: { sourceType: "script", globals: globals.browser },
  },
  {
    // The zoom loader is an ES module; GLightbox is the global its lazily loaded script defines.
    files: ["docs/javascripts/zoom.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser, GLightbox: "readonly" } },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
