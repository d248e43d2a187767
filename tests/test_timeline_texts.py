"""The explanation tables: both languages complete, missing facts harmless, wide text wrapped by width."""

from __future__ import annotations

import string

from analyzer.report.timeline_text import _width, wrap
from analyzer.timeline.texts import LABELS, TEMPLATES, explain


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_template_in_both_languages_with_the_same_facts():
    assert set(TEMPLATES["en"]) == set(TEMPLATES["zh"])
    for key, text in TEMPLATES["en"].items():
        assert _fields(text) == _fields(TEMPLATES["zh"][key]), key
    assert set(LABELS["en"]) == set(LABELS["zh"])


def test_missing_facts_show_a_question_mark():
    assert "?" in explain("tcp.handshake.3", {}, "en")
    assert explain("no.such.template", {}, "zh") == "no.such.template"


def test_roles_are_translated():
    facts = {"closer": "client", "other": "server", "seq": 5}
    assert "the client has nothing more to send" in explain("tcp.teardown4.1", facts, "en")
    assert explain("tcp.teardown4.1", facts, "zh").startswith("连接释放（四次挥手）第 1/4 步：客户端")


def test_wrap_counts_wide_characters_twice_and_keeps_numbers_whole():
    text = "第 2/3 步：服务器回复 SYN-ACK。它选择自己的 ISN = 1652808145（相对序号 0），并确认客户端的 SYN"
    lines = wrap(text, 30)
    assert all(_width(line) <= 30 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert any("1652808145" in line for line in lines)
