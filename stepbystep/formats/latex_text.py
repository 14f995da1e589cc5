"""User text made inert in LaTeX (titles, notes, layer names): always text, never TeX."""
from __future__ import annotations

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", '"': "''",
    "→": r"\ensuremath{\to}", "←": r"\ensuremath{\leftarrow}", "·": r"\ensuremath{\cdot}", "×": r"\ensuremath{\times}",
    "−": r"\ensuremath{-}", "≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}", "≈": r"\ensuremath{\approx}",
    "½": r"\ensuremath{\tfrac{1}{2}}", "⁺": r"\ensuremath{^{+}}", "η": r"\ensuremath{\eta}", "δ": r"\ensuremath{\delta}",
    "σ": r"\ensuremath{\sigma}", "∂": r"\ensuremath{\partial}", "Σ": r"\ensuremath{\Sigma}", "λ": r"\ensuremath{\lambda}",
    "′": r"\ensuremath{'}", "…": r"\ldots{}", "—": "---", "–": "--", "‘": "`", "’": "'", "“": "``", "”": "''",
    "\u00a0": "~", "\u2009": r"\,", "\u2002": r"\enspace{}", "\u2003": r"\quad{}",
}


def latex_text(text: str) -> str:
    """Plain text made inert in LaTeX: every special character escaped, line
    breaks as spaces, the typographic characters the walkthrough writes mapped
    to their LaTeX (amsmath only: nothing needs a text-encoding package)."""
    out = []
    for char in str(text):
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif char in "\r\n\v\f\u2028\u2029\x85":
            out.append(" ")
        elif ord(char) < 32 or ord(char) == 127:
            continue
        else:
            out.append(char)
    return "".join(out)
