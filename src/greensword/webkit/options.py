"""The ``<option>`` lists a search-as-you-type picker fetches (htmx swaps them into its
``<select>``): a first blank choice, the matches, and a disabled line saying there was no match or
that only the first ``cap`` are listed — one shape for every picker, public or not."""

from fastapi.responses import HTMLResponse
from markupsafe import escape


def options_response(blank: str, rows: list[tuple[int, str]], q: str, *, none_text: str,
                     cap: int | None = None, counter: str = "项", selected: str = "",
                     headers: dict[str, str] | None = None) -> HTMLResponse:
    """``rows``: (value, label) of the matches for the typed text ``q``; ``cap``: the most the search
    returns (reaching it says "type more"), counted in ``counter`` (家, 名, 个…); ``selected``: the
    value to keep chosen."""
    opts = [f'<option value="">{blank}</option>'] + [
        f'<option value="{value}"{" selected" if selected and str(value) == selected else ""}>{escape(label)}</option>'
        for value, label in rows]
    if q and not rows:
        opts.append(f'<option value="" disabled>{none_text}</option>')
    elif cap is not None and len(rows) == cap:
        opts.append(f'<option value="" disabled>仅列出前 {cap} {counter}，请输入更多文字</option>')
    return HTMLResponse("".join(opts), headers=headers)
