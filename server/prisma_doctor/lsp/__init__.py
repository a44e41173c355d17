"""The language server adapter: LSP in, the core's findings out as diagnostics, code actions and commands."""
