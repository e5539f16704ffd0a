"""Compilers (docs/routes.md): programs of labelled residual cells, the gadgets of docs/theory.md as
functions that return heads and feed-forward sublayers, and the compile routes built from them."""
