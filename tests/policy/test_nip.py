"""NIP validation: each error names its part; valid numbers round-trip."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.policy.domain.nip import Nip, NipError, parse_nip

TODAY = date(2026, 11, 22)


def parse(text: str) -> Nip:
    return parse_nip(text, today=TODAY)


def test_a_valid_nip_parses_into_its_parts():
    nip = parse("198503122010011003")
    assert nip == Nip(birth_date=date(1985, 3, 12), appointed=(2010, 1), gender="male",
                      sequence=3)
    assert str(nip) == "198503122010011003"
    assert nip.spaced() == "19850312 201001 1 003"


def test_the_customary_spaced_form_is_accepted():
    assert parse("19790715 200501 2 004") == parse("197907152005012004")
    assert parse(" 197907152005012004\n").gender == "female"


@pytest.mark.parametrize(
    ("text", "part", "needle"),
    [
        ("", "length", "got 0"),
        ("19850312201001100", "length", "got 17"),
        ("1985031220100110031", "length", "got 19"),
        ("19850312-201001-1-003", "digits", "'-' at position 9"),
        ("19850312201001100O", "digits", "'O' at position 18"),  # letter O for zero
        ("１９８５０３１２２０１００１１００３", "digits", "position 1"),  # full-width digits
        ("198513122010011003", "birth_date", "invalid birth date: '19851312'"),
        ("198502302010011003", "birth_date", "invalid birth date"),  # 30 February
        ("198502002010011003", "birth_date", "invalid birth date"),
        ("188503122010011003", "birth_date", "invalid birth date"),  # before 1900
        ("202712012026011003", "birth_date", "in the future"),
        ("198503122010131003", "appointment", "invalid appointment year-month: '201013'"),
        ("198503122010001003", "appointment", "invalid appointment"),
        ("198503122003021003", "appointment", "before the 18th birthday"),
        ("198503122026121003", "appointment", "in the future"),
        ("198503122010013003", "gender", "got '3'"),
        ("198503122010010003", "gender", "got '0'"),
        ("198503122010011000", "sequence", "got '000'"),
    ],
)
def test_each_error_names_its_part(text, part, needle):
    with pytest.raises(NipError) as caught:
        parse(text)
    assert caught.value.part == part
    assert needle in caught.value.message
    assert " / " in str(caught.value)  # Bahasa Indonesia / English
    assert isinstance(caught.value, ValueError)


def test_messages_are_bilingual():
    cases = {
        "12345": "NIP harus 18 digit / NIP must have 18 digits",
        "198513122010011003": "Tanggal lahir tidak valid / invalid birth date",
        "198503122010011000": "Nomor urut harus 001-999 / sequence must be 001-999",
        "198503122010015003": "Kode jenis kelamin harus 1 (pria) atau 2 (wanita)",
    }
    for text, start in cases.items():
        with pytest.raises(NipError, match=start.replace("(", r"\(").replace(")", r"\)")):
            parse(text)


def test_the_first_bad_part_is_reported():
    # bad birth date, appointment, gender and sequence: the birth date is named
    with pytest.raises(NipError) as caught:
        parse("198513122010139000")
    assert caught.value.part == "birth_date"


def test_appointment_boundaries():
    # born 12 March 1985: March 2003 is the 18th-birthday month, allowed; February is not
    assert parse("198503122003031003").appointed == (2003, 3)
    with pytest.raises(NipError, match="18th birthday"):
        parse("198503122003021003")
    # this month is allowed, next month is the future
    assert parse("198503122026111003").appointed == (2026, 11)
    with pytest.raises(NipError, match="future"):
        parse("198503122026121003")
    # `today` is injectable: the same NIP was in the future a year earlier
    with pytest.raises(NipError) as caught:
        parse_nip("198503122026111003", today=date(2025, 11, 22))
    assert caught.value.part == "appointment"


def test_birth_date_today_is_not_in_the_future_but_then_appointment_fails():
    with pytest.raises(NipError) as caught:
        parse("202611222026111001")
    assert caught.value.part == "appointment"


def test_sequence_bounds():
    assert parse("198503122010011001").sequence == 1
    assert parse("198503122010011999").sequence == 999


def test_default_today_is_the_system_date():
    assert parse_nip("198503122010011003").birth_date == date(1985, 3, 12)


# --- properties --------------------------------------------------------------------


@st.composite
def valid_nips(draw) -> Nip:
    born = draw(st.dates(date(1900, 1, 1), date(TODAY.year - 18, TODAY.month, 1)))
    first = born.year * 12 + born.month - 1 + 18 * 12
    last = TODAY.year * 12 + TODAY.month - 1
    ym = draw(st.integers(first, last))
    return Nip(
        birth_date=born,
        appointed=(ym // 12, ym % 12 + 1),
        gender=draw(st.sampled_from(["male", "female"])),
        sequence=draw(st.integers(1, 999)),
    )


@settings(max_examples=300, deadline=None)
@given(valid_nips())
def test_every_valid_nip_parses_and_round_trips(nip):
    text = str(nip)
    assert len(text) == 18 and text.isdigit()
    assert parse(text) == nip
    assert parse(nip.spaced()) == nip
    assert str(parse(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=24))
def test_arbitrary_text_either_parses_or_names_a_part(text):
    try:
        nip = parse(text)
    except NipError as exc:
        assert exc.part in {"length", "digits", "birth_date", "appointment", "gender", "sequence"}
    else:
        assert str(nip) == "".join(text.split())


@settings(max_examples=200, deadline=None)
@given(valid_nips(), st.integers(0, 17), st.sampled_from("0123456789"))
def test_changing_one_digit_either_parses_or_names_the_digit_s_part(nip, position, digit):
    text = str(nip)
    mutated = text[:position] + digit + text[position + 1:]
    try:
        parse(mutated)
    except NipError as exc:
        # the part that failed is the changed digit's part, or (for a birth date change)
        # the appointment, which depends on the birth date
        own = ["birth_date"] * 8 + ["appointment"] * 6 + ["gender"] + ["sequence"] * 3
        allowed = {own[position]} | ({"appointment"} if position < 8 else set())
        assert exc.part in allowed
