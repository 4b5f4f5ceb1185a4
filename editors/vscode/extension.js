// The VS Code side of cpol: starts the language server `cpol lsp` (stdio) for .cpol files.
// Every feature (diagnostics, quick fixes, hover, completion, formatting, definition,
// symbols, rename, semantic tokens) is the server's, so other editors get the same ones;
// this file only finds the executable and restarts the server when its setting changes.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

/** The configured executable, with `${workspaceFolder}` resolved (a project's own venv). */
function executable() {
  const configured = vscode.workspace.getConfiguration('cpol').get('path') || 'cpol';
  const folders = vscode.workspace.workspaceFolders;
  const folder = folders && folders.length > 0 ? folders[0].uri.fsPath : '';
  return configured.replace(/\$\{workspaceFolder\}/g, folder);
}

async function start() {
  const command = executable();
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('cpol', 'cpol', server, {
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
      if (event.affectsConfiguration('cpol.path')) {
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
