"""What a stored file is, told from its first bytes — never from its name or what the client
declared. One table for every domain that takes uploads (inspection evidence, portal files)."""

_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"))

#: every type :func:`sniff` can name (rules files that list accepted types are checked against it)
KNOWN = frozenset({mime for _, mime in _MAGIC} | {"image/webp", "video/mp4", "video/quicktime"})


def sniff(head: bytes) -> str:
    """The MIME type the leading bytes show (16 are enough); application/octet-stream otherwise."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"isom", b"mp41", b"mp42", b"avc1", b"iso2", b"M4V "):
        return "video/mp4"
    if head[4:8] == b"ftyp" and head[8:12] == b"qt  ":
        return "video/quicktime"
    return "application/octet-stream"
