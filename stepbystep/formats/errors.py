"""The one error a user's template can cause, apart from the modules that
raise it, so that importing it costs nothing (the sandbox imports Jinja's
compiler; a Markdown render needs neither)."""
from __future__ import annotations


class UserTemplateError(ValueError):
    """A user's --template file is missing, malformed, unsafe or out of bounds: one line."""
