-- Runs the README's Neovim snippet as a person would paste it into init.lua (Neovim 0.11+: vim.lsp.config), opens
-- the schema named by PRISMA_DOCTOR_SCHEMA and writes the diagnostics that arrive to PRISMA_DOCTOR_NVIM_OUT.
local out = os.getenv("PRISMA_DOCTOR_NVIM_OUT")
local result = { diagnostics = {}, errors = {} }
local snippet = io.open(os.getenv("PRISMA_DOCTOR_SNIPPET")):read("*a")
local ok, err = pcall(assert(loadstring(snippet)))
if not ok then table.insert(result.errors, "snippet: " .. tostring(err)) end

vim.api.nvim_create_autocmd("VimEnter", { callback = function()
  vim.defer_fn(function()
    vim.cmd.edit(os.getenv("PRISMA_DOCTOR_SCHEMA"))
    local bufnr = vim.api.nvim_get_current_buf()
    result.filetype = vim.bo[bufnr].filetype
    vim.wait(30000, function() return #vim.diagnostic.get(bufnr) > 0 end, 100)
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(result.diagnostics, { line = d.lnum, code = d.code, message = d.message })
    end
    local file = io.open(out, "w")
    file:write(vim.json.encode(result))
    file:close()
    vim.cmd("qa!")
  end, 10)
end })
