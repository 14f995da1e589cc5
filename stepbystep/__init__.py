"""stepbystep: step-by-step numeric worked examples of backpropagation."""
from __future__ import annotations

from .api import Walkthrough, build, check, check_report, from_dict, grading_policy, load
from .engine.graph import GraphError
from .spec.load import load_spec, parse_spec
from .spec.model import SpecError

__all__ = ["Walkthrough", "build", "from_dict", "load", "check", "check_report", "grading_policy", "load_spec", "parse_spec", "SpecError", "GraphError"]
__version__ = "0.1.0"
