"""The engine: operations, the named graph, networks, expressions, fast paths, the trace."""
