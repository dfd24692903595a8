"""Files another program wrote that the strict parser has accepted, by signature.

The fast parser is for files the store wrote itself (their signature is in
the metadata record). A file a3s-code wrote is parsed strictly (duplicate
keys, lone surrogates, nesting), which took about four times the plain
parse, on every load. Once a strict parse accepts it, its signature (size,
mtime, inode) is recorded here, in ``.a3s_store/cache/``: while the file
keeps that signature it is the same bytes, and later loads take the fast
path. Any change to the file (a3s-code writes it again) changes the
signature, so it is checked again.

Readers write these records under the shared lock, so they are caches: no
fsync, temporary files in the cache folder (never beside a writer's journal
files, where ``verify`` would report them), and every failure to write one
is ignored (a read-only store is read, more slowly). A folder that is not a
store yet (no ``.a3s_store``: only a3s-code wrote there) is never changed by
a read, so nothing is recorded there until the store's first save.
"""

from __future__ import annotations

import hashlib

from . import _commit, _json
from ._fs import Sig
from ._layout import CACHE, INTERNAL, Layout
from .errors import CorruptDataError, UnsafePathError

__all__ = ["is_verified", "record_verified"]

_PREFIX = "verified-"


def _record_name(folder: tuple[str, ...], name: str) -> str:
    where = "/".join((*folder, name)).encode("utf-8", "surrogatepass")
    return _PREFIX + hashlib.sha256(where).hexdigest()[:32] + ".json"


def is_verified(layout: Layout, folder: tuple[str, ...], name: str, sig: Sig) -> bool:
    """Whether the file at ``folder/name`` with signature ``sig`` passed the strict parse."""
    try:
        data = layout.read_small(CACHE, _record_name(folder, name), 4096)
    except (OSError, UnsafePathError, CorruptDataError):
        return False
    if data is None:
        return False
    try:
        doc = _json.decode(data, strict=False)
    except CorruptDataError:
        return False
    return type(doc) is dict and doc.get("file") == "/".join((*folder, name)) \
        and doc.get("sig") == list(sig)


def record_verified(layout: Layout, folder: tuple[str, ...], name: str, sig: Sig) -> None:
    """Record that the file at ``folder/name`` with signature ``sig`` passed it."""
    data = _json.encode_compact({"file": "/".join((*folder, name)), "sig": list(sig)})
    try:
        if layout.folder((INTERNAL,)) is None:
            return  # not a store yet: a reader never makes its folder
        if layout.folder(CACHE, create=True, durable=False) is None:
            return
        _commit.write_one(layout, CACHE, _record_name(folder, name), data, durable=False,
                          staging=CACHE)
    except (OSError, UnsafePathError, CorruptDataError):
        pass  # a read-only store: the next load checks the file again
