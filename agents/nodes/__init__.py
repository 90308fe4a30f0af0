"""The coding graph's nodes, one small function per module, in the order the graph runs them."""
