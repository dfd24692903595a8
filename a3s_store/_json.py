"""TEMPORARY stand-in for the JSON codec (replaced by the records branch)."""
import json
from .errors import CorruptDataError, InvalidDataError

class F32(float):
    pass

class Raw(str):
    pass

def encode(value, *, level=0):
    return json.dumps(value, indent=2, ensure_ascii=False)

def encode_bytes(value, *, level=0):
    return encode(value, level=level).encode("utf-8")

def decode(data, *, strict=True):
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CorruptDataError(str(exc)) from None


def encode_compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fingerprint(value):
    return json.dumps(value, separators=(",", ":"), default=repr)
