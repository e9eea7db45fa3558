"""Messages carried across a redirect (``?error=…&sig=…``) are shown only when signed by this
server, so nobody can put their own text into the console's alert box through a link."""

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from ..settings import get_settings

_keys: dict[str, bytes] = {}


def server_key() -> bytes:
    """GREENSWORD_SECRET_KEY, else a random key stored once in data_dir/secret_key (so every
    worker process on the host agrees)."""
    s = get_settings()
    if s.secret_key:
        return s.secret_key.encode()
    path = Path(s.data_dir) / "secret_key"
    cached = _keys.get(str(path))
    if cached:
        return cached
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written aside and linked into place: a worker starting at the same moment sees either
        # no file or the whole key, never an empty one, and the first link wins
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip().encode()
    _keys[str(path)] = key
    return key


def _sig(message: str) -> str:
    return hmac.new(server_key(), b"flash|" + message.encode(), hashlib.sha256).hexdigest()[:32]


def error_query(message: str) -> str:
    """``error=…&sig=…`` for a redirect target."""
    return f"error={quote(message)}&sig={_sig(message)}"


def verified(message: str, sig: str) -> str:
    """The message if this server signed it, else ""."""
    return message if message and sig and hmac.compare_digest(_sig(message), sig) else ""
