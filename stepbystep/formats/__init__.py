"""One renderer per output format, the figures they draw, their templates."""
