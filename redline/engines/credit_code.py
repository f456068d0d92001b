"""Unified social credit code (统一社会信用代码), GB 32100-2015.

An 18-character code: registration authority (1), organisation type (1),
administrative division (6), organisation code (9, GB 11714 with its own check
character) and a check character (1). The characters come from a 31-symbol set
(digits and capitals without I, O, S, V, Z); each position 1-17 has weight
3**(i-1) mod 31, and the check character is the one whose value is
(31 - sum mod 31) mod 31.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714-1997 organisation code: 8 body characters (digits and capitals) and a check.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class CreditCodeProblem:
    """Why a code is not valid: a machine code and the offending position (1-based)."""

    code: str
    position: int | None = None
    char: str | None = None
    expected: str | None = None


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> CreditCodeProblem | None:
    """None when `code` is a valid unified social credit code, else what is wrong."""
    if len(code) != 18:
        return CreditCodeProblem("length")
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            return CreditCodeProblem("character", position=position, char=char)
    expected = check_character(code[:17])
    if code[17] != expected:
        return CreditCodeProblem("check", position=18, char=code[17], expected=expected)
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def normalise(code: str) -> str:
    """Upper-case and strip spaces, as people type codes from paper."""
    return "".join(code.split()).upper()


def organisation_check(body8: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    total = 0
    for char, weight in zip(body8, _ORG_WEIGHTS, strict=True):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        total += value * weight
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def compose(authority: str, org_type: str, division: str, org_body8: str) -> str:
    """Build a complete, valid code from its parts (used by the demo generator)."""
    first17 = authority + org_type + division + org_body8 + organisation_check(org_body8)
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError(f"parts do not form a code: {first17!r}")
    return first17 + check_character(first17)
