"""The engine: operations, the named graph, networks, expressions, fast paths, the trace."""
from . import ops  # noqa: F401  (fills the operations registries before any graph is built)
