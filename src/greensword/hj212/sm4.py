"""SM4 (GB/T 32907-2016) protection of the CP area for HJ 212-2025 devices, per-MN 16-byte key.

Public descriptions of the 2025 edition give SM4-ECB over the data with no padding; the exact
framing is not confirmed against the standard's text. Our reading: the CP body (between
``CP=&&`` and ``&&``) is replaced by the upper-case hex of its SM4-ECB ciphertext, the plaintext
NUL-padded to a 16-byte multiple (stripped again on decryption).
"""

import binascii

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import ParseError


def _cipher(key: bytes) -> Cipher:
    if len(key) != 16:
        raise ValueError("SM4 密钥必须为 16 字节")
    return Cipher(algorithms.SM4(key), modes.ECB())


def encrypt_cp(body: str, key: bytes) -> str:
    data = body.encode("utf-8")
    data += b"\0" * (-len(data) % 16)
    enc = _cipher(key).encryptor()
    return (enc.update(data) + enc.finalize()).hex().upper()


def decrypt_cp(body: str, key: bytes) -> str:
    try:
        data = binascii.unhexlify(body)
    except (binascii.Error, ValueError) as exc:
        raise ParseError("bad_field", "加密 CP 不是十六进制密文") from exc
    if len(data) % 16:
        raise ParseError("bad_field", f"加密 CP 长度 {len(data)} 字节不是 16 的倍数")
    dec = _cipher(key).decryptor()
    plain = (dec.update(data) + dec.finalize()).rstrip(b"\0")
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("bad_field", "SM4 解密后不是有效文本（密钥错误？）") from exc
