"""Compilers (DESIGN §5): programs of labelled residual cells, the gadgets of CONSTRUCTIONS §3 as
functions that return heads and feed-forward sublayers, and the compile routes built from them."""
