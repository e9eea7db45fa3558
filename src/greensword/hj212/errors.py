"""The HJ 212 parse error, shared by the codec and the SM4 layer (kept apart so neither imports the other)."""


class ParseError(ValueError):
    """A rejected packet: ``code`` is machine-readable, ``message`` says exactly what is wrong."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}
