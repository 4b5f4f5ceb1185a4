// The VS Code side of cpol: starts the language server `cpol lsp` (stdio) for .cpol files.
// Every feature (diagnostics, quick fixes, hover, completion, formatting, definition,
// symbols, rename, semantic tokens) is the server's, so other editors get the same ones;
// this file only finds the executable, passes the settings and restarts the server when
// they change.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

// Settings that reach the server when it starts (its `initializationOptions`): changing one
// restarts it.
const SERVER_SETTINGS = ['cpol.path', 'cpol.lint', 'cpol.catalog', 'cpol.importRoots'];

/** A setting's path with `${workspaceFolder}` resolved (a project's own venv or catalogue). */
function resolved(text) {
  const folders = vscode.workspace.workspaceFolders;
  const folder = folders && folders.length > 0 ? folders[0].uri.fsPath : '';
  return text.replace(/\$\{workspaceFolder\}/g, folder);
}

async function start() {
  const settings = vscode.workspace.getConfiguration('cpol');
  const command = resolved(settings.get('path') || 'cpol');
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('cpol', 'cpol', server, {
    initializationOptions: {
      lint: settings.get('lint', true),
      catalog: settings.get('catalog') ? resolved(settings.get('catalog')) : null,
      importRoots: settings.get('importRoots', []).map(resolved),
    },
    documentSelector: [
      { language: 'cpol', scheme: 'file' },
      { language: 'cpol', scheme: 'untitled' },
    ],
    // the server reads other .cpol files (imports, workspace symbols, rename)
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.cpol') },
  });
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const choice = await vscode.window.showErrorMessage(
      `cpol: \`${command} lsp\` did not start (${error.message}). ` +
        "Install cpol with its editor support (pip install 'cpol[lsp]') or set cpol.path.",
      'Open settings',
    );
    if (choice) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'cpol.path');
    }
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('cpol.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (SERVER_SETTINGS.some((name) => event.affectsConfiguration(name))) {
        return restart();
      }
      return undefined;
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
