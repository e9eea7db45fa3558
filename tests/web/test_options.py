"""The option lists every search-as-you-type picker fetches (webkit.options)."""

from greensword.webkit.options import options_response


def _body(r):
    return r.body.decode()


def test_matches_after_the_blank_choice_escaped_and_the_chosen_one_kept():
    body = _body(options_response("全部", [(3, "西湖<分局>"), (12, "上城分局")], "分局", none_text="无匹配",
                                  selected="12"))
    assert body == ('<option value="">全部</option><option value="3">西湖&lt;分局&gt;</option>'
                    '<option value="12" selected>上城分局</option>')


def test_no_match_and_the_cap_are_said_not_silent():
    assert _body(options_response("请选择企业", [], "xyz", none_text="本辖区无匹配的企业", cap=2)).endswith(
        '<option value="" disabled>本辖区无匹配的企业</option>')
    full = _body(options_response("请选择人员", [(1, "甲"), (2, "乙")], "a", none_text="-", cap=2, counter="名"))
    assert full.endswith('<option value="" disabled>仅列出前 2 名，请输入更多文字</option>')
    below = _body(options_response("请选择人员", [(1, "甲")], "a", none_text="-", cap=2, counter="名"))
    assert "仅列出" not in below and "disabled" not in below
    # nothing typed yet: just the blank choice, no "no match" line
    assert _body(options_response("全部", [], "", none_text="无匹配", cap=2)) == '<option value="">全部</option>'


def test_headers_pass_through():
    r = options_response("全部", [], "", none_text="-", headers={"Cache-Control": "private, max-age=300"})
    assert r.headers["cache-control"] == "private, max-age=300" and r.media_type == "text/html"
