"""Text helpers shared by the core: NFC, diacritic folding, Vietnamese collation."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[\W_]+")

# Marks that make a different letter (ă â ê ô ơ ư); every other combining mark is
# either one of the five tones or foreign and is ignored for the primary key.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_LETTER_MARKS = frozenset({_BREVE, _CIRCUMFLEX, _HORN})

# Dictionary order of the tones: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# The Vietnamese alphabet, with the Latin letters it lacks (f j w z) in their Latin places.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_DIGIT_BASE = -10  # digits sort before letters
_OTHER_BASE = len(_ALPHABET)  # letters of other scripts sort after z, by code point

SortKey = tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]


def nfc(s: str) -> str:
    """The NFC form of ``s`` (composed characters, as Vietnamese keyboards produce)."""
    return unicodedata.normalize("NFC", s)


def fold(s: str) -> str:
    """A form for comparing text loosely: no case, no diacritics, single spaces.

    >>> fold("UBND phường Hoà Nghĩa") == fold("ubnd Phuong HÒA nghĩa") == "ubnd phuong hoa nghia"
    True
    >>> fold("  Gương người tốt -- việc tốt!  ")
    'guong nguoi tot viec tot'
    """
    decomposed = unicodedata.normalize("NFD", s.casefold()).replace("đ", "d")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", unicodedata.normalize("NFC", bare)).strip()


def _syllables(s: str) -> list[list[tuple[str, str]]]:
    """Words of ``s``, each a list of (letter, its combining marks), lower-case, NFD."""
    words: list[list[tuple[str, str]]] = [[]]
    for c in unicodedata.normalize("NFD", s.casefold()):
        if unicodedata.combining(c):
            if words[-1]:
                letter, marks = words[-1][-1]
                words[-1][-1] = (letter, marks + c)
        elif c.isalnum():
            words[-1].append((c, ""))
        elif words[-1]:
            words.append([])
    return [w for w in words if w]


def _rank(letter: str) -> int:
    if letter in _LETTER_RANK:
        return _LETTER_RANK[letter]
    if letter.isdigit():
        return _DIGIT_BASE + unicodedata.digit(letter, 0)
    return _OTHER_BASE + ord(letter)


def vietnamese_sort_key(name: str) -> SortKey:
    """A key that puts names in Vietnamese dictionary order.

    Letters first (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y), word
    by word, ignoring case; tones break ties (none, huyền, hỏi, ngã, sắc, nặng).
    The tone belongs to the whole syllable, so the old placement "Hoà" and the new
    "Hòa" give the same key, as do NFC and NFD spellings.

    >>> names = ["Tân Thành", "Đa Phúc", "Dương Kinh", "Ưng Hòa", "Uông Bí", "Ea Súp"]
    >>> sorted(names, key=vietnamese_sort_key)
    ['Dương Kinh', 'Đa Phúc', 'Ea Súp', 'Tân Thành', 'Uông Bí', 'Ưng Hòa']
    >>> vietnamese_sort_key("Hoà Nghĩa") == vietnamese_sort_key("Hòa Nghĩa")
    True
    """
    letters: list[tuple[int, ...]] = []
    tones: list[tuple[int, ...]] = []
    for word in _syllables(name):
        ranks: list[int] = []
        word_tones: list[int] = []
        for base, marks in word:
            shape = "".join(m for m in marks if m in _LETTER_MARKS)
            ranks.append(_rank(unicodedata.normalize("NFC", base + shape)))
            word_tones.extend(_TONES[m] for m in marks if m in _TONES)
        letters.append(tuple(ranks))
        tones.append(tuple(word_tones))
    return tuple(letters), tuple(tones)
