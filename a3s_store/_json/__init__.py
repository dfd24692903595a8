"""JSON in the exact bytes of serde_json, and a strict reader.

This package is the only part of a3s_store that imports :mod:`json`: the
writer (``_encode``) and the reader (``_decode``).

Writing: :func:`encode` reproduces ``serde_json::to_string_pretty`` byte for
byte: 2-space indent, ``": "`` between key and value, raw UTF-8 (non-ASCII is
not escaped), ``[]``/``{}`` for empty containers and no trailing newline.
Floats are printed the way Rust's ``ryu`` prints them, which is not Python's
``repr``; wrap a value in :class:`F32` when the Rust field is an ``f32``.

>>> print(encode({"a": [1, 2.0, None], "b": {}, "c": "é\\n", "d": 1e-06}))
{
  "a": [
    1,
    2.0,
    null
  ],
  "b": {},
  "c": "é\\n",
  "d": 1e-6
}
>>> format_f64(0.00001), format_f64(1e16), format_f32(0.8), format_f32(1e-7)
('0.00001', '1e16', '0.8', '1e-7')

:class:`Raw` splices text that is already encoded (at the nesting level where
it lands):

>>> print(encode({"m": [Raw(encode({"x": 1}, level=2))]}))
{
  "m": [
    {
      "x": 1
    }
  ]
}

Reading: :func:`decode` parses UTF-8 bytes and turns every failure into
:class:`~a3s_store.errors.CorruptDataError` (never a bare ``ValueError``,
``RecursionError`` or ``UnicodeDecodeError``):

>>> from ..errors import CorruptDataError
>>> decode(b'{"id": "s-1", "n": [1, 2.5]}')
{'id': 's-1', 'n': [1, 2.5]}
>>> try:
...     decode(b'{"id": 1, "id": 2}')
... except CorruptDataError as error:
...     print(error)
duplicate key 'id'

Nesting limit: serde_json refuses to read documents nested 128 containers
deep, so :func:`encode` refuses values nested deeper than :data:`MAX_DEPTH`
(127): nothing a3s-code cannot read is ever written. ``decode(strict=True)``
refuses deeper documents too, on every Python version (a walk over the
containers after the parse, about a third of the parse's time).
``decode(strict=False)`` skips that walk: it is meant for files this package
wrote, which cannot be deeper; it still refuses what the parser's recursion
guard refuses (about 1,000 levels on CPython 3.11, more on 3.12+).
"""

from __future__ import annotations

from .._floats import format_f32, format_f64
from ._decode import decode
from ._encode import F32, MAX_DEPTH, Raw, encode, encode_bytes, encode_compact

__all__ = [
    "F32",
    "MAX_DEPTH",
    "Raw",
    "decode",
    "encode",
    "encode_bytes",
    "encode_compact",
    "format_f32",
    "format_f64",
]
