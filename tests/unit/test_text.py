"""Vietnamese text: slugs, folding, dictionary order, suggestions."""

from __future__ import annotations

import unicodedata

from toasoan.text import closest, did_you_mean, fold_vi, nfc, person_sort_key, shorten, slugify_vi, strip_invisible, vi_sort_key


def test_slug_transliterates_vietnamese() -> None:
    assert slugify_vi("Đồng chí Phạm Duy Hưng làm việc với Sở TT&TT") == "dong-chi-pham-duy-hung-lam-viec-voi-so-tt-tt"
    assert slugify_vi("Đường Đinh Tiên Hoàng") == "duong-dinh-tien-hoang"


def test_slug_is_the_same_for_nfd_input() -> None:
    title = "Chuyển đổi số ở Bắc Kạn"
    assert slugify_vi(unicodedata.normalize("NFD", title)) == slugify_vi(title) == "chuyen-doi-so-o-bac-kan"


def test_slug_is_cut_on_a_word_boundary() -> None:
    slug = slugify_vi("Hội nghị " * 30)
    assert len(slug) <= 200
    assert not slug.endswith("-")
    assert slug.split("-")[-1] in {"hoi", "nghi"}


def test_fold_drops_tones_and_d_stroke() -> None:
    assert fold_vi("Chuyển ĐỔI số") == "chuyen doi so"
    assert fold_vi("Đắk Lắk") == "dak lak"


def test_nfc() -> None:
    assert nfc(unicodedata.normalize("NFD", "Hưng")) == "Hưng"


def test_dictionary_order_letters_then_tones() -> None:
    words = ["đa", "da", "ơ", "ô", "o", "ă", "â", "a", "á", "à", "ả", "ã", "ạ", "b"]
    assert sorted(words, key=vi_sort_key) == ["a", "à", "ả", "ã", "á", "ạ", "ă", "â", "b", "da", "đa", "o", "ô", "ơ"]


def test_people_are_ordered_by_given_name() -> None:
    names = ["Trần Văn Bình", "Nguyễn Thị An", "Lý Đức Anh"]
    assert sorted(names, key=person_sort_key) == ["Nguyễn Thị An", "Lý Đức Anh", "Trần Văn Bình"]


def test_suggestions() -> None:
    assert closest("offcials", ["officials", "title"]) == "officials"
    assert closest("zzz", ["officials"]) is None
    assert "thoi-su" in did_you_mean("thoi_su", ["thoi-su", "kinh-te"])
    assert did_you_mean("qqqq", ["thoi-su"]) == ""


def test_shorten_cuts_on_a_word() -> None:
    assert shorten("Hội nghị  tổng kết", 50) == "Hội nghị tổng kết"
    assert shorten("Hội nghị tổng kết công tác năm", 16) == "Hội nghị tổng…"


def test_strip_invisible_names_what_it_removed() -> None:
    assert strip_invisible("Tin n\u00f3ng") == ("Tin n\u00f3ng", None)
    cleaned, note = strip_invisible("\u202bchuy\u1ec3n\u200b \u2066\u0111\u1ed5i\u2069 s\u1ed1\ufeff")
    assert cleaned == "chuy\u1ec3n \u0111\u1ed5i s\u1ed1"
    assert note is not None and "U+200B, U+202B, U+2066, U+2069, U+FEFF" in note
