// ESLint for the project's own JavaScript (`make lint`): the recommended rules, and the globals
// of where each file runs. The page scripts are classic scripts, the Node ones ES modules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: [".venv/", ".cache/", "node_modules/", "site/"] },
  js.configs.recommended,
  {
    files: ["docs/javascripts/**/*.js", "tests/browser/**/*.js"],
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
