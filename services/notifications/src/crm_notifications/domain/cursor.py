"""Feed positions: the recording transaction's id, then the row's sequence number.

Rows are served in (txid, seq) order and only once every transaction that could still add a
row before them has ended, so a cursor never skips a late commit and never repeats a row.
Clients see the position only as an opaque string.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, order=True)
class FeedPosition:
    txid: int
    seq: int

    def encode(self) -> str:
        raw = f"f1:{self.txid}:{self.seq}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> FeedPosition:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            tag, txid, seq = raw.split(":")
            if tag != "f1":
                raise ValueError(tag)
            return cls(int(txid), int(seq))
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise InvalidCursor(f"{cursor!r} is not a cursor this feed issued") from exc


START = FeedPosition(0, 0)
