"""A student's working, evaluated: `0.15*0.05 + 0.2*0.1 + 0.35 = 0.3875`.

When the final number is wrong but the arithmetic written before it gives
the right value, the slip is in the last step, and the report can say so.
The expressions are a calculator's: numbers, + − × ÷ ^, brackets, e, and
exp, ln, log, sqrt, tanh, sigmoid (σ). Parsed without recursion and without
backtracking (shunting-yard), so a hostile line costs time linear in its
length; anything else is simply not working (None).
"""
from __future__ import annotations

import math
from typing import Callable

MAX_LENGTH = 2000  # longer than any line of working a person writes

_OPERATORS: dict[str, tuple[int, bool]] = {  # precedence, right-associative
    "+": (1, False), "-": (1, False), "*": (2, False), "/": (2, False),
    "neg": (3, True), "pos": (3, True), "^": (4, True),
}
_SPELLINGS = {"×": "*", "·": "*", "⋅": "*", "∗": "*", "÷": "/", "−": "-", "–": "-", "**": "^",
              "[": "(", "]": ")", "{": "(", "}": ")"}


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp, "ln": math.log, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": _sigmoid, "σ": _sigmoid, "sigma": _sigmoid,
}


def working_values(text: str) -> list[float]:
    """The value of each piece of working before the final number (`a = b = c`:
    a and b), where a piece is arithmetic; pieces that are not are skipped."""
    pieces = text.replace("≈", "=").split("=")
    found = []
    for piece in pieces[:-1]:
        value = evaluate(piece)
        if value is not None:
            found.append(value)
    return found


def evaluate(text: str) -> float | None:
    """The value of one arithmetic expression, or None when it is not one
    (or overflows, divides by 0, or is a lone number: that is no working)."""
    if len(text) > MAX_LENGTH:
        return None
    tokens = _tokens(text)
    if tokens is None or len(tokens) < 2:
        return None
    try:
        value = _run(_postfix(tokens))
    except (ArithmeticError, ValueError, IndexError, TypeError):
        return None
    return value if value is not None and math.isfinite(value) else None


def _tokens(text: str) -> list[str | float] | None:
    tokens: list[str | float] = []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
        elif char.isdigit() or char == ".":
            end = _number_end(text, position)
            try:
                tokens.append(float(text[position:end]))
            except ValueError:
                return None
            position = end
        elif text.startswith("**", position):
            tokens.append("^")
            position += 2
        elif char in "+-*/^()" or char in _SPELLINGS:
            tokens.append(_SPELLINGS.get(char, char))
            position += 1
        elif char.isalpha():
            end = position
            while end < length and text[end].isalpha():
                end += 1
            word = text[position:end].lower()
            if word == "e":
                tokens.append(math.e)
            elif word in _FUNCTIONS:
                tokens.append(word)
            else:
                return None
            position = end
        else:
            return None
    return tokens


def _number_end(text: str, start: int) -> int:
    """The end of `12.5`, `.5`, `4.386e-4` starting at `start`."""
    end, length = start, len(text)
    while end < length and (text[end].isdigit() or text[end] == "."):
        end += 1
    if end < length and text[end] in "eE":
        exponent = end + 1
        if exponent < length and text[exponent] in "+-":
            exponent += 1
        if exponent < length and text[exponent].isdigit():
            end = exponent
            while end < length and text[end].isdigit():
                end += 1
    return end


def _postfix(tokens: list[str | float]) -> list[str | float]:
    """Shunting-yard: infix tokens to postfix, unary signs and functions included."""
    output: list[str | float] = []
    stack: list[str] = []
    expect_operand = True
    after_function = False
    for token in tokens:
        if after_function and token != "(":
            raise ValueError("a function without its brackets")
        after_function = token in _FUNCTIONS
        if isinstance(token, float):
            if not expect_operand:
                raise ValueError("two numbers in a row")
            output.append(token)
            expect_operand = False
        elif token in _FUNCTIONS or token == "(":
            if not expect_operand:
                raise ValueError("a bracket or function after a number")
            stack.append(token)
        elif token == ")":
            while stack and stack[-1] != "(":
                output.append(stack.pop())
            if not stack or expect_operand:
                raise ValueError("unbalanced brackets")
            stack.pop()
            if stack and stack[-1] in _FUNCTIONS:
                output.append(stack.pop())
        else:
            operator = token
            if expect_operand:
                if token not in "+-":
                    raise ValueError("an operator without its left side")
                operator = "neg" if token == "-" else "pos"
            else:
                precedence, _ = _OPERATORS[operator]
                while stack and stack[-1] in _OPERATORS:
                    top, (top_precedence, right) = stack[-1], _OPERATORS[stack[-1]]
                    if top_precedence > precedence or (top_precedence == precedence and not right):
                        output.append(stack.pop())
                    else:
                        break
            stack.append(operator)
            expect_operand = True
    if expect_operand:
        raise ValueError("ends with an operator")
    while stack:
        top = stack.pop()
        if top == "(":
            raise ValueError("unbalanced brackets")
        output.append(top)
    return output


def _run(postfix: list[str | float]) -> float:
    stack: list[float] = []
    for token in postfix:
        if isinstance(token, float):
            stack.append(token)
        elif token in _FUNCTIONS:
            stack.append(_FUNCTIONS[token](stack.pop()))
        elif token == "neg":
            stack.append(-stack.pop())
        elif token == "pos":
            pass
        else:
            right, left = stack.pop(), stack.pop()
            stack.append(_apply(token, left, right))
    if len(stack) != 1:
        raise ValueError("not one expression")
    return stack[0]


def _apply(operator: str, left: float, right: float) -> float:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/":
        return left / right
    if abs(right) > 1e4 or (left == 0 and right < 0):
        raise ArithmeticError("an exponent too large")
    result = left ** right
    if isinstance(result, complex):
        raise ValueError("a negative number to a fractional power")
    return float(result)
