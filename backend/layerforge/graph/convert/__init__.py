"""Graphs to and from other forms: `importer` (Keras JSON, `.keras` files), `codegen`
(Python source), `export` (Keras JSON, `.keras`), `layout` (positions after an import)."""
