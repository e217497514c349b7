// ESLint for the project's own JavaScript (`make lint`): the recommended rules, and the globals
// of where each file runs. The page scripts are classic scripts, the Node ones ES modules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: [".venv/", ".cache/", "node_modules/", "site/", "site-zensical/", "_zensical/"] },
  js.configs.recommended,
  {
    files: ["docs/javascripts/**/*.js", "tests/browser/**/*.js"],
    languageOptions: { sourceType: "script", globals: globals.browser },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
