-- Drives the Prisma Doctor server from a headless Neovim 0.7 (Debian's), as a person's editor would:
-- attach to the open schema, wait for diagnostics, list the code actions on the first one, run a command.
-- Results go to the JSON file named by PRISMA_DOCTOR_NVIM_OUT; the test reads them.
local out = os.getenv("PRISMA_DOCTOR_NVIM_OUT")
local root = os.getenv("PRISMA_DOCTOR_PROJECT")
local python = os.getenv("PRISMA_DOCTOR_PYTHON")
local result = { diagnostics = {}, actions = {}, errors = {} }

local function finish()
  local file = io.open(out, "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end

local function drive()
  local ok, err = pcall(function()
    local client_id = vim.lsp.start_client({
      name = "prisma-doctor",
      cmd = { python, "-m", "prisma_doctor", "serve" },
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = "app" } },
      on_error = function(code) table.insert(result.errors, "client error " .. tostring(code)) end,
    })
    local bufnr = vim.api.nvim_get_current_buf()
    vim.lsp.buf_attach_client(bufnr, client_id)
    vim.wait(30000, function() return #vim.diagnostic.get(bufnr) > 0 end, 100)
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(result.diagnostics, { line = d.lnum, col = d.col, code = d.code, message = d.message })
    end
    if #result.diagnostics == 0 then
      table.insert(result.errors, "no diagnostics arrived")
      return
    end
    local client = vim.lsp.get_client_by_id(client_id)
    local line = result.diagnostics[1].line
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = 0 } },
      context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, line, {}, client_id) },
    }
    local answer = client.request_sync("textDocument/codeAction", params, 20000, bufnr)
    for _, action in ipairs((answer and answer.result) or {}) do
      table.insert(result.actions, { title = action.title, command = action.command and action.command.command,
        arguments = action.command and action.command.arguments })
    end
    local report = client.request_sync("workspace/executeCommand",
      { command = "prismaDoctor.showSyncReport", arguments = { { project = root } } }, 20000, bufnr)
    result.report = report and report.result
    result.report_error = report and report.err
  end)
  if not ok then table.insert(result.errors, tostring(err)) end
  finish()
end

vim.api.nvim_create_autocmd("VimEnter", { callback = function() vim.defer_fn(drive, 10) end })
