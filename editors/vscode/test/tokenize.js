// Tokenizes .cpol text with the extension's TextMate grammar through vscode-textmate and
// vscode-oniguruma, the engine VS Code itself runs, so tests/highlight/test_textmate.py
// checks what an editor shows rather than what a re-implementation guesses.
// stdin: a JSON array of texts. stdout: for each text, for each line, its tokens as
// [start, end, scopes] with start and end counted in code points (as Python counts).
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'cpol.tmLanguage.json');

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.cpol'
        ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR)
        : null,
  });
  return registry.loadGrammar('source.cpol');
}

// JavaScript counts UTF-16 units: an emoji is two of them but one Python character.
function codePoints(line, index) {
  return Array.from(line.slice(0, index)).length;
}

function tokenize(grammar, text) {
  let state = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((token) => [
      codePoints(line, token.startIndex),
      codePoints(line, Math.min(token.endIndex, line.length)),
      token.scopes,
    ]);
  });
}

async function main() {
  const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
  const grammar = await loadGrammar();
  process.stdout.write(JSON.stringify(texts.map((text) => tokenize(grammar, text))));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
