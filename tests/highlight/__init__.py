"""Tests of the `.cpol` highlighters: the Pygments lexer and the VS Code TextMate grammar."""
