"""Request bodies and JSON answers, byte for byte as baselines/go/chainjson.go writes them."""
import json

MAX_REQUEST_BODY = 64 << 10
MAX_ID_LENGTH = 64  # code points, for sku and order_id
MAX_QTY = 1_000_000
UNIT_PRICE = 100  # an order's amount is qty × UNIT_PRICE (cents)
MAX_AMOUNT = MAX_QTY * UNIT_PRICE

MSG_BAD_BODY = "body must be a JSON object of at most 65536 bytes"
MSG_BAD_SKU = "sku must be a string of 1 to 64 characters"
MSG_BAD_QTY = "qty must be an integer from 1 to 1000000"
MSG_BAD_ORDER_ID = "order_id must be a string of 1 to 64 characters"
MSG_BAD_AMOUNT = "amount must be an integer from 0 to 100000000"


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_object(body):
    """Returns body (None: too long) decoded as one JSON object of at most MAX_REQUEST_BODY bytes, else None.
    Keys match exactly; a repeated key keeps its last value; NaN and Infinity are rejected, as
    Go's encoding/json does."""
    if body is None or len(body) > MAX_REQUEST_BODY:
        return None
    try:
        obj = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def str_field(obj, key):
    """key's value if it is a JSON string of 1 to MAX_ID_LENGTH code points, else None."""
    v = obj.get(key)
    if type(v) is not str or not 1 <= len(v) <= MAX_ID_LENGTH:
        return None
    return v


def int_field(obj, key, lo, hi):
    """key's value if it is a JSON integer literal (no fraction, no exponent) in [lo, hi]."""
    v = obj.get(key)
    if type(v) is not int or not lo <= v <= hi:
        return None
    return v


def sku_qty(obj):
    """(sku, qty, None) from a {"sku":S,"qty":N} object, or (None, None, the 400 message)."""
    if obj is None:
        return None, None, MSG_BAD_BODY
    sku = str_field(obj, "sku")
    if sku is None:
        return None, None, MSG_BAD_SKU
    qty = int_field(obj, "qty", 1, MAX_QTY)
    if qty is None:
        return None, None, MSG_BAD_QTY
    return sku, qty, None


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPES.update({chr(c): "\\u%04x" % c for c in range(0x20) if chr(c) not in _ESCAPES})
_TRANSLATE = str.maketrans(_ESCAPES)


def string(s):
    """s as a JSON string, escaping only what JSON requires (quote, backslash, control
    characters), so every baseline gives the same bytes."""
    return '"' + s.translate(_TRANSLATE) + '"'


def error_body(msg):
    return ('{"error":' + string(msg) + "}").encode()


def dependency_error_body(dep, msg):
    return ('{"error":' + string(msg) + ',"dependency":' + string(dep) + "}").encode()
