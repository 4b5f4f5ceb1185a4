"""Tests of `cpol lsp`: real sessions over JSON-RPC on stdio."""
