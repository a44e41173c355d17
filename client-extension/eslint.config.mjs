// ESLint for the extension's TypeScript, beside `tsc` (npm run lint; tests/vscode/test_extension_package.py).
// typescript-eslint's type-checked rules catch what the compiler allows: floating promises, `any` leaking in.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
  },
  { ignores: ["*.mjs"] },
);
