"""Districts named in place text: "서울특별시 종로구,서울특별시 중구", "종로구 중구", "Jung-gu".

Korean CAP areaDesc, 재난문자 regions, complaint addresses and city APIs name districts this way;
a district after another region's name is that region's, never ours.
"""

from __future__ import annotations

import re

from server.districts import Districts

_SEOUL_PREFIXES = {"서울특별시", "서울시", "서울", "seoul"}
_REGION_PREFIXES = {  # other provinces and metropolitan cities, full and short names
    "부산광역시",
    "대구광역시",
    "인천광역시",
    "광주광역시",
    "대전광역시",
    "울산광역시",
    "세종특별자치시",
    "경기도",
    "강원도",
    "강원특별자치도",
    "충청북도",
    "충청남도",
    "전라북도",
    "전북특별자치도",
    "전라남도",
    "경상북도",
    "경상남도",
    "제주특별자치도",
    "제주도",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "세종",
    "경기",
    "강원",
    "충북",
    "충남",
    "전북",
    "전남",
    "경북",
    "경남",
    "제주",
}
_REGION_SPLIT = re.compile(r"[,;/|·、\n]+")


def districts_in_text(districts: Districts, text: str) -> list[str]:
    """Codes of the city's districts named in a place text, in order and without repeats.

    Parts are split on commas (and ; / | ·); a part is tried whole ('서울특별시 종로구',
    'Jung-gu', a code), then word by word. A word after another region's name is not ours:
    '부산광역시 중구' is Busan's Jung-gu, never Seoul's; '서울특별시 종로구 중구' names both.
    """
    codes: list[str] = []
    for part in _REGION_SPLIT.split(text or ""):
        whole = districts.by_name(part) if part.strip() else None
        if whole is not None:
            codes.append(whole)
            continue
        foreign = False
        for word in part.split():
            key = word.lower()
            if key in _SEOUL_PREFIXES:
                foreign = False
            elif word in _REGION_PREFIXES or (len(word) > 1 and word.endswith(("시", "군"))):
                foreign = True  # another province, or a city/county outside ours
            elif not foreign and (code := districts.by_name(word)) is not None:
                codes.append(code)
    return list(dict.fromkeys(codes))
