"""Responses for image previews: a thumbnail, or a neutral placeholder when a file has none (a PDF,
a video, a photo that cannot be decoded) so an <img> never shows as broken."""

from fastapi.responses import Response

_PLACEHOLDER = ('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120">'
                '<rect width="160" height="120" fill="#eef1f4"/><text x="80" y="66" font-size="14" '
                'text-anchor="middle" fill="#5f6b7a" font-family="sans-serif">无法预览</text></svg>').encode()

#: evidence is personal data: previews are not kept in shared caches or on the browser's disk
_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def thumbnail_response(thumb: bytes | None) -> Response:
    if thumb is None:
        return Response(_PLACEHOLDER, media_type="image/svg+xml", headers=_HEADERS)
    return Response(thumb, media_type="image/jpeg", headers=_HEADERS)
