"""The fast JSON paths give what the standard ones give: values, errors, canonical text."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from triage.config import bundled
from triage.domain.alert import Alert
from triage.mapping.lookup import has_prefix
from triage.playbooks import PlaybookSet
from triage.sources.jsontext import decode, strict_loads
from triage.store.chain import _encode, canonical, canonical_plain, canonical_with, event_text

TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('\x00\x1f\x7f"\\é😀\u202e\u200b'))
FLOAT = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 1e-4, 9.999e-5, 1e16, 9999999999999998.0, 1e-7, 5e-324, 1.7976931348623157e308]
)
INT = st.integers() | st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30])
LEAF = st.none() | st.booleans() | INT | FLOAT | TEXT
VALUE = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=25,
)


def _typed(v: Any) -> Any:
    """A value with its types made visible (1 == 1.0 == True in Python, not in JSON)."""
    if isinstance(v, dict):
        return {"d": [(k, _typed(x)) for k, x in v.items()]}
    if isinstance(v, list):
        return {"l": [_typed(x) for x in v]}
    if isinstance(v, float):
        return ("f", math.copysign(1, v), repr(v))
    return (type(v).__name__, v)


def _plain_floats(v: Any) -> bool:
    if isinstance(v, float):
        return v == 0 or 1e-4 <= abs(v) < 1e16
    if isinstance(v, dict):
        return all(_plain_floats(x) for x in v.values())
    if isinstance(v, list):
        return all(_plain_floats(x) for x in v)
    return True


def _outcome(fn: Any, text: str) -> Any:
    try:
        return ("ok", _typed(fn(text)))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        return ("error", type(exc).__name__, str(exc))


@settings(max_examples=400, deadline=None)
@given(VALUE, st.booleans(), st.sampled_from([None, 2]))
def test_decode_gives_the_value_the_standard_decoder_gives(
    value: Any, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    got, plain = decode(text)
    assert _typed(got) == _typed(strict_loads(text))
    assert plain == _plain_floats(got)
    assert decode(text.encode("utf-8"))[0] == got


@settings(max_examples=400, deadline=None)
@given(VALUE, st.data())
@example(["x"], None)
def test_mangled_text_decodes_or_fails_exactly_as_before(value: Any, data: st.DataObject | None) -> None:
    text = json.dumps(value)
    if data is not None and text:
        at = data.draw(st.integers(0, len(text) - 1))
        junk = data.draw(
            st.sampled_from(
                ["", ",", "]", "}", "NaN", "1e400", "\\ud800", '"', "-", "00", "\x00", "\t", " ", "9" * 5000]
            )
        )
        text = text[:at] + junk + text[at + data.draw(st.integers(0, 2)) :]

    def fast(t: str) -> Any:
        return decode(t)[0]

    assert _outcome(fast, text) == _outcome(strict_loads, text)


@pytest.mark.parametrize(
    "text",
    ["[NaN]", "[Infinity]", "[1e400]", '["\\ud800"]', "[" * 3000 + "]" * 3000, "[" + "9" * 5000 + "]", "{,}"],
)
def test_what_json_refuses_is_refused_with_the_same_error(text: str) -> None:
    assert _outcome(lambda t: decode(t)[0], text) == _outcome(strict_loads, text)


@settings(max_examples=600, deadline=None)
@given(VALUE)
@example({"a": 1e-5, "b": "\x7f"})
@example({"b": "\x7f", "c": 1.5})
@example({"é": 1.5, "z": [1e16, -0.0, 2**70]})
def test_canonical_plain_is_canonical_for_every_decoded_value(value: Any) -> None:
    got, plain = decode(json.dumps(value))
    assume(plain)
    assert canonical_plain(got) == canonical(got)


def test_a_float_that_is_not_plain_is_reported_so() -> None:
    for text in ('{"a": 1e-05}', "[1e16]", "[-2.5e-9]", '[{"x": [123456789012345678.0]}]'):
        assert decode(text)[1] is False, text
    for text in ('{"a": 0.0001}', "[9999999999999998.0, -0.0, 47.5]", '[1, "1e-9"]'):
        assert decode(text)[1] is True, text


def _has_prefix_by_paths(doc: dict[str, Any], prefix: str) -> bool:
    """The definition: some field's dotted path (at any depth) is ``prefix`` or under it."""

    def paths(d: dict[str, Any], at: str) -> list[str]:
        out = []
        for k, v in d.items():
            p = f"{at}.{k}" if at else k
            out.append(p)
            if isinstance(v, dict):
                out.extend(paths(v, p))
        return out

    return any(p == prefix or p.startswith(prefix + ".") for p in paths(doc, ""))


KEY = st.sampled_from(["a", "b", "a.b", "a.b.c", "ab", "b.c", "c", "kibana", "kibana.alert", "alert.rule"])
DOC = st.recursive(st.just(1), lambda inner: st.dictionaries(KEY, inner, max_size=4), max_leaves=12)


@settings(max_examples=500, deadline=None)
@given(DOC, st.sampled_from(["a", "a.b", "a.b.c", "b", "ab", "kibana.alert", "kibana.alert.rule", "c.d"]))
def test_has_prefix_answers_its_definition(doc: Any, prefix: str) -> None:
    assume(isinstance(doc, dict))
    assert has_prefix(doc, prefix) == _has_prefix_by_paths(doc, prefix)


_NAMES = st.sampled_from(["SSH brute force", "Potential Password Spraying", "ET SCAN Nmap", "Malware", "x"])
_TAGS = st.lists(
    st.sampled_from(["brute_force", "malware", "phishing", "Tactic: Credential Access", "x"]), max_size=3
)
_TECH = st.lists(st.sampled_from(["T1110", "T1110.003", "T1566", "T1059.001", "T9999"]), max_size=3)


_PLAYBOOKS: list[PlaybookSet] = []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["s1", "wazuh-a"]), _NAMES, _TAGS, _TECH), min_size=1, max_size=20))
def test_a_remembered_playbook_match_is_the_match_itself(
    alerts: list[tuple[str, str, list[str], list[str]]],
) -> None:
    if not _PLAYBOOKS:
        _PLAYBOOKS.append(PlaybookSet.from_directory(bundled("playbooks")))
    playbooks = _PLAYBOOKS[0]  # one set across examples: what it remembers carries over
    for source, name, tags, techniques in alerts:
        alert = Alert(
            source=source, profile="ecs", title=name, rule_name=name, severity="high",
            fired_at="2026-11-01T00:00:00Z", tags=tuple(tags), techniques=tuple(techniques), raw={},
        )  # fmt: skip
        scanned = next((pb for pb, m in playbooks._ordered if m.matches(alert)), playbooks.default)
        assert playbooks.match(alert) is scanned


@settings(max_examples=600, deadline=None)
@given(VALUE)
@example({"b": "\x7f", "c": 1.5})
@example({"a": [1e-5], "s": "\ud800"})
@example(("t", 1, None))
def test_canonical_is_the_standard_encoders_text(value: Any) -> None:
    assert canonical(value) == _encode(value)


def _canonical_with_by_parts(obj: dict[str, Any], key: str, text: str) -> str:
    """The definition: the object's canonical text with ``text`` as the value of ``key``."""
    marker = "\x00splice\x00"
    return _encode({**obj, key: marker}).replace(_encode(marker), text)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(TEXT, VALUE, max_size=6), TEXT, VALUE, st.booleans())
@example({"a": 1, "z": "\x7f"}, "m", ["é"], False)
def test_canonical_with_embeds_the_text_in_the_canonical_object(
    obj: dict[str, Any], key: str, value: Any, as_received: bool
) -> None:
    assume(key not in obj)
    text = json.dumps(value, ensure_ascii=False) if as_received else _encode(value)
    assert canonical_with(obj, key, text) == _canonical_with_by_parts(obj, key, text)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=1),
    st.tuples(TEXT, TEXT, TEXT, TEXT),
    st.none() | TEXT,
    st.dictionaries(TEXT, VALUE, max_size=6),
    st.booleans(),
)
@example(1, ("t", "\x7f", "a", "alert:1"), None, {"text": "x"}, False)
@example(1, ("t", "a", "a", "alert:1"), "é", {"f": 1e-5, "s": "\ud800"}, False)
def test_an_events_body_is_its_canonical_envelope_with_the_payload(
    seq: int, texts: tuple[str, str, str, str], exercise: str | None, payload: dict[str, Any], with_text: bool
) -> None:
    """One pass over the envelope and a plain payload gives what splicing the payload's own
    canonical text gives (``canonical_with``), and so the standard encoder's text."""
    ts, actor, action, target = texts
    text = _encode(payload) if with_text else None
    envelope = {"v": 1, "seq": seq, "ts": ts, "actor": actor, "action": action, "target": target}
    expected = _encode({**envelope, "exercise": exercise, "payload": payload})
    assert event_text(seq, ts, actor, action, target, exercise, payload, text) == expected


@pytest.mark.parametrize("make", ["elastic", "opensearch"])
def test_the_clients_read_their_answers_as_before_and_say_whether_the_floats_are_plain(make: str) -> None:
    from triage.sources.client_json import elastic_serializer, opensearch_serializer
    from triage.sources.jsontext import last_plain

    serializer = elastic_serializer() if make == "elastic" else opensearch_serializer()
    answers = {
        b'{"hits": {"hits": [{"_source": {"risk": 47.5, "n": 12345678901234567890123}}]}}': True,
        b'{"hits": {"hits": [{"_source": {"score": 1e-05}}]}}': False,
        b'{"hits": {"hits": [{"_source": {"score": NaN}}]}}': False,  # json.loads reads NaN
    }
    for body, plain in answers.items():
        data: Any = body if make == "elastic" else body.decode()
        assert _typed(serializer.loads(data)) == _typed(json.loads(body))
        assert last_plain() is plain
    error = __import__(
        "elastic_transport" if make == "elastic" else "opensearchpy.exceptions", fromlist=["x"]
    )
    with pytest.raises(error.SerializationError):
        serializer.loads(b"{not json" if make == "elastic" else "{not json")


@settings(max_examples=400, deadline=None)
@given(st.text(st.characters() | st.sampled_from(["\ud800", "\udfff", "\x00", "é", "\u202e"])))
def test_summary_text_escapes_surrogates_and_nul_as_its_definition_says(text: str) -> None:
    from triage.domain.alert import _SURROGATE, escape_surrogates

    assert escape_surrogates(text) == _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT | st.sampled_from(["\ud800", 'a"b', "\\"]), max_size=6) | st.lists(INT, max_size=3))
def test_a_list_column_is_the_standard_encoders_text(values: list[Any]) -> None:
    from triage.domain.state import list_text

    assert list_text(values) == json.dumps(values)
