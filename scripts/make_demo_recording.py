"""Rebuild the bundled demo recording from a fixed seed, so the synthetic loop is reproducible."""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "server" / "data"
OUT = ROOT / "feeds" / "demo" / "seoul-demo.jsonl"

sys.path.insert(0, str(ROOT))  # run from a checkout: the server package beside this script
from server.stream.events import Action, Event, Status, representative_point  # noqa: E402

SEED = 20260715
START = datetime(2026, 7, 15, 5, 0, 0, tzinfo=UTC)  # 14:00 KST on a monsoon-season Wednesday
LOOP_SECONDS = 900
LAST_END = 885.0  # the last incident closes here; the board is empty only after it
OPERATORS = ("demo-operator-1", "demo-operator-2", "demo-operator-3")
OFFICERS = ("김○○", "이○○", "박○○", "최○○", "정○○", "한○○", "윤○○", "조○○")

Pos = tuple[float, float]
Ring = list[Pos]


# ------------------------------------------------------------------------------------ geography


@dataclass(frozen=True)
class District:
    code: str
    name_ko: str
    name_en: str
    centroid: Pos
    polygons: list[list[Ring]]  # each polygon: outer ring, then holes


def load_districts() -> dict[str, District]:
    """Read the 25 gu: names and centroids from the CSV, boundaries from the GeoJSON."""
    with open(DATA / "seoul-districts.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    shapes: dict[str, list[list[Ring]]] = {}
    for feature in features:
        geom = feature["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        shapes[feature["properties"]["code"]] = [
            [[(p[0], p[1]) for p in ring] for ring in poly] for poly in polys
        ]
    out: dict[str, District] = {}
    with open(DATA / "seoul-districts.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["code"]
            centroid = (float(row["centroid_lon"]), float(row["centroid_lat"]))
            out[code] = District(code, row["name_ko"], row["name_en"], centroid, shapes[code])
    return out


def in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting: an odd number of edge crossings to the east means inside."""
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def contains(district: District, lon: float, lat: float) -> bool:
    """Inside one of the district's polygons and outside that polygon's holes."""
    return any(
        in_ring(lon, lat, poly[0]) and not any(in_ring(lon, lat, hole) for hole in poly[1:])
        for poly in district.polygons
    )


def district_at(districts: dict[str, District], lon: float, lat: float) -> str | None:
    for code, district in districts.items():
        if contains(district, lon, lat):
            return code
    return None


def simplify(points: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker on an open polyline (degrees are fine at this scale)."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 or 1e-12
    worst, index = 0.0, 0
    for i in range(1, len(points) - 1):
        px, py = points[i]
        dist = abs((x2 - x1) * (y1 - py) - (x1 - px) * (y2 - y1)) / length
        if dist > worst:
            worst, index = dist, i
    if worst <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def _gap(a: Pos, b: Pos) -> float:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def region_outline(districts: dict[str, District], codes: tuple[str, ...]) -> Ring:
    """Outer boundary of a group of gu: shared borders are identical, so interior edges cancel."""
    edges: set[tuple[Pos, Pos]] = set()
    for code in codes:
        for poly in districts[code].polygons:
            for ring in poly:
                edges.update(pairwise(ring))
    following: dict[Pos, Pos] = {}
    for a, b in edges:
        if (b, a) not in edges:
            if a in following:
                raise ValueError(f"region {codes} has a pinched outline at {a}")
            following[a] = b
    start = min(following)
    ring = [start]
    while (nxt := following[ring[-1]]) != start:
        ring.append(nxt)
    if len(ring) != len(following):
        raise ValueError(f"region {codes} is not one ring")
    far = max(range(len(ring)), key=lambda i: _gap(ring[i], start))
    half1 = simplify(ring[: far + 1], 0.0025)
    half2 = simplify([*ring[far:], start], 0.0025)
    return [(round(x, 5), round(y, 5)) for x, y in half1[:-1] + half2]  # closed: ends at start


# ------------------------------------------------------------------------------ places and roads


@dataclass(frozen=True)
class Place:
    district: str
    ko: str
    en: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Road:
    district: str
    ko: str
    en: str
    section_ko: str
    section_en: str
    path: tuple[Pos, ...]


@dataclass(frozen=True)
class Region:
    ko: str
    en: str
    codes: tuple[str, ...]


P = Place
PLACES: dict[str, Place] = {
    "pyeongchang": P("11110", "평창동 주택가", "Pyeongchang-dong residential area",
                     126.9700, 37.6130),
    "jongno3": P("11110", "종로3가역", "Jongno 3-ga Station", 126.9918, 37.5705),
    "hyehwa": P("11110", "혜화역 대학로", "Daehak-ro, Hyehwa Station", 127.0018, 37.5822),
    "myeongdong": P("11140", "명동거리", "Myeong-dong street", 126.9850, 37.5636),
    "ddp": P("11140", "동대문디자인플라자", "Dongdaemun Design Plaza", 127.0095, 37.5665),
    "namdaemun": P("11140", "남대문시장", "Namdaemun Market", 126.9775, 37.5592),
    "itaewon": P("11170", "이태원역", "Itaewon Station", 126.9945, 37.5345),
    "ichon": P("11170", "한강대교 북단(이촌동)", "Hangang Bridge north end (Ichon-dong)",
               126.9710, 37.5175),
    "hannam": P("11170", "한남동", "Hannam-dong", 127.0030, 37.5370),
    "seongsu": P("11200", "성수역", "Seongsu Station", 127.0560, 37.5446),
    "wangsimni": P("11200", "왕십리역", "Wangsimni Station", 127.0370, 37.5612),
    "konkuk": P("11215", "건대입구역", "Konkuk Univ. Station", 127.0702, 37.5404),
    "guui": P("11215", "구의역", "Guui Station", 127.0857, 37.5372),
    "childpark": P("11215", "어린이대공원", "Children's Grand Park", 127.0810, 37.5480),
    "cheongnyangni": P("11230", "청량리역", "Cheongnyangni Station", 127.0470, 37.5801),
    "jangan": P("11230", "장안동", "Jangan-dong", 127.0685, 37.5705),
    "hoegi": P("11230", "회기역", "Hoegi Station", 127.0578, 37.5897),
    "myeonmok": P("11260", "면목역", "Myeonmok Station", 127.0875, 37.5887),
    "mangu": P("11260", "망우역", "Mangu Station", 127.0922, 37.5991),
    "sangbong": P("11260", "상봉역", "Sangbong Station", 127.0858, 37.5966),
    "jeongneung": P("11290", "정릉동 주택가", "Jeongneung-dong residential area",
                    127.0090, 37.6100),
    "sungshin": P("11290", "성신여대입구역", "Sungshin Women's Univ. Station", 127.0166, 37.5927),
    "gireum": P("11290", "길음역", "Gireum Station", 127.0258, 37.6032),
    "suyu": P("11305", "수유역", "Suyu Station", 127.0257, 37.6380),
    "uidong": P("11305", "우이동", "Ui-dong", 127.0120, 37.6600),
    "mia": P("11305", "미아역", "Mia Station", 127.0260, 37.6268),
    "ssangmun": P("11320", "쌍문동", "Ssangmun-dong", 127.0347, 37.6486),
    "changdong": P("11320", "창동역", "Changdong Station", 127.0477, 37.6530),
    "dobongsan": P("11320", "도봉산역", "Dobongsan Station", 127.0462, 37.6896),
    "sanggye": P("11350", "상계동 아파트단지", "Sanggye-dong apartment complex", 127.0734, 37.6609),
    "gongneung": P("11350", "공릉역", "Gongneung Station", 127.0730, 37.6256),
    "junggye": P("11350", "중계동", "Junggye-dong", 127.0770, 37.6445),
    "eungam": P("11380", "응암동", "Eungam-dong", 126.9155, 37.5986),
    "bulgwang": P("11380", "불광역", "Bulgwang Station", 126.9298, 37.6104),
    "gupabal": P("11380", "구파발역", "Gupabal Station", 126.9187, 37.6369),
    "yonseiro": P("11410", "신촌 연세로", "Yonsei-ro, Sinchon", 126.9375, 37.5590),
    "hongje": P("11410", "홍제역", "Hongje Station", 126.9440, 37.5890),
    "hongdae": P("11440", "홍대입구역", "Hongik Univ. Station", 126.9245, 37.5571),
    "dmc": P("11440", "상암동 DMC", "Sangam-dong DMC", 126.8993, 37.5771),
    "gongdeok": P("11440", "공덕역", "Gongdeok Station", 126.9515, 37.5443),
    "mokdong": P("11470", "목동역", "Mokdong Station", 126.8647, 37.5260),
    "sinjeong": P("11470", "신정네거리역", "Sinjeongnegeori Station", 126.8560, 37.5200),
    "sinwol": P("11470", "신월동", "Sinwol-dong", 126.8330, 37.5290),
    "balsan": P("11500", "발산역", "Balsan Station", 126.8376, 37.5585),
    "hwagok": P("11500", "화곡역", "Hwagok Station", 126.8495, 37.5415),
    "magongnaru": P("11500", "마곡나루역", "Magongnaru Station", 126.8270, 37.5670),
    "gurodigital": P("11530", "구로디지털단지역", "Guro Digital Complex Station",
                     126.9016, 37.4852),
    "gocheok": P("11530", "고척동", "Gocheok-dong", 126.8671, 37.4982),
    "gaebong": P("11530", "개봉역", "Gaebong Station", 126.8580, 37.4946),
    "gasan": P("11545", "가산디지털단지역", "Gasan Digital Complex Station", 126.8826, 37.4812),
    "doksan": P("11545", "독산동", "Doksan-dong", 126.8890, 37.4661),
    "gcoffice": P("11545", "금천구청역", "Geumcheon-gu Office Station", 126.8942, 37.4556),
    "ydpstation": P("11560", "영등포역", "Yeongdeungpo Station", 126.9071, 37.5156),
    "mullae": P("11560", "문래동", "Mullae-dong", 126.8947, 37.5180),
    "dangsan": P("11560", "당산역", "Dangsan Station", 126.9022, 37.5343),
    "sangdo": P("11590", "상도동", "Sangdo-dong", 126.9479, 37.5028),
    "boramae": P("11590", "보라매공원", "Boramae Park", 126.9200, 37.4925),
    "heukseok": P("11590", "흑석동", "Heukseok-dong", 126.9635, 37.5085),
    "sillim": P("11620", "신림역", "Sillim Station", 126.9297, 37.4842),
    "bongcheon": P("11620", "봉천동", "Bongcheon-dong", 126.9420, 37.4780),
    "snu": P("11620", "서울대입구역", "Seoul Nat'l Univ. Station", 126.9527, 37.4812),
    "terminal": P("11650", "고속터미널역", "Express Bus Terminal Station", 127.0048, 37.5049),
    "seocho": P("11650", "서초역", "Seocho Station", 127.0076, 37.4919),
    "yangjae": P("11650", "양재역", "Yangjae Station", 127.0320, 37.4835),
    "samseong": P("11680", "삼성역", "Samseong Station", 127.0630, 37.5088),
    "daechi": P("11680", "대치동", "Daechi-dong", 127.0630, 37.4945),
    "apgujeong": P("11680", "압구정로데오역", "Apgujeong Rodeo Station", 127.0400, 37.5273),
    "jamsil": P("11710", "잠실역", "Jamsil Station", 127.1000, 37.5133),
    "garak": P("11710", "가락시장", "Garak Market", 127.1110, 37.4930),
    "munjeong": P("11710", "문정동", "Munjeong-dong", 127.1220, 37.4850),
    "gildong": P("11740", "길동", "Gil-dong", 127.1401, 37.5378),
    "amsa": P("11740", "암사동", "Amsa-dong", 127.1275, 37.5500),
    "godeok": P("11740", "고덕동", "Godeok-dong", 127.1545, 37.5550),
}

R = Road
ROADS: dict[str, Road] = {
    "olympic_yeouido": R(
        "11560", "올림픽대로", "Olympic-daero",
        "여의상류IC~여의하류IC", "Yeouisangnyu IC-Yeouiharyu IC",
        ((126.9180, 37.5345), (126.9260, 37.5315), (126.9330, 37.5285), (126.9400, 37.5245)),
    ),
    "olympic_jamsil": R(
        "11710", "올림픽대로", "Olympic-daero", "잠실대교 남단~올림픽대교 남단",
        "south ends of Jamsil and Olympic bridges",
        ((127.0800, 37.5160), (127.0900, 37.5185), (127.1000, 37.5215), (127.1080, 37.5250)),
    ),
    "olympic_dongjak": R(
        "11590", "올림픽대로", "Olympic-daero", "노량진 부근", "near Noryangjin",
        ((126.9440, 37.5140), (126.9510, 37.5140), (126.9580, 37.5115), (126.9630, 37.5090)),
    ),
    "gangbyeon_mapo": R(
        "11440", "강변북로", "Gangbyeon-bukro", "양화대교 북단~서강대교 북단",
        "north ends of Yanghwa and Seogang bridges",
        ((126.8990, 37.5530), (126.9060, 37.5480), (126.9140, 37.5455), (126.9220, 37.5440),
         (126.9300, 37.5425)),
    ),
    "gangbyeon_seongdong": R(
        "11200", "강변북로", "Gangbyeon-bukro", "동호대교 북단~성수대교 북단",
        "north ends of Dongho and Seongsu bridges",
        ((127.0200, 37.5385), (127.0280, 37.5375), (127.0360, 37.5385), (127.0440, 37.5405)),
    ),
    "naebu_seongbuk": R(
        "11290", "내부순환로", "Naebu Expressway", "정릉IC~길음IC", "Jeongneung IC-Gireum IC",
        ((127.0000, 37.6060), (127.0100, 37.6075), (127.0200, 37.6070), (127.0300, 37.6050)),
    ),
    "sejong_jung": R(
        "11140", "세종대로", "Sejong-daero", "서울시청~숭례문", "City Hall-Sungnyemun Gate",
        ((126.9772, 37.5665), (126.9766, 37.5648), (126.9760, 37.5630), (126.9745, 37.5600)),
    ),
    "sejong_jongno": R(
        "11110", "세종대로", "Sejong-daero", "광화문광장 구간", "Gwanghwamun Square section",
        ((126.9769, 37.5762), (126.9769, 37.5742), (126.9769, 37.5722), (126.9769, 37.5712)),
    ),
    "teheran": R(
        "11680", "테헤란로", "Teheran-ro", "역삼역~선릉역", "Yeoksam-Seolleung stations",
        ((127.0300, 37.4990), (127.0365, 37.5007), (127.0430, 37.5025), (127.0490, 37.5045),
         (127.0560, 37.5065)),
    ),
    "dongil_nowon": R(
        "11350", "동일로", "Dongil-ro", "공릉역~마들역", "Gongneung-Madeul stations",
        ((127.0730, 37.6256), (127.0680, 37.6365), (127.0645, 37.6448), (127.0613, 37.6551),
         (127.0578, 37.6658)),
    ),
    "gyeongin_guro": R(
        "11530", "경인로", "Gyeongin-ro", "구로역~개봉역", "Guro-Gaebong stations",
        ((126.8800, 37.5025), (126.8720, 37.5000), (126.8640, 37.4975), (126.8570, 37.4950)),
    ),
    "nambu_gwanak": R(
        "11620", "남부순환로", "Nambu Sunhwan-ro", "신림역~낙성대역", "Sillim-Nakseongdae stations",
        ((126.9297, 37.4842), (126.9410, 37.4820), (126.9527, 37.4812), (126.9637, 37.4770)),
    ),
    "tongil_eunpyeong": R(
        "11380", "통일로", "Tongil-ro", "불광역~구파발역", "Bulgwang-Gupabal stations",
        ((126.9298, 37.6104), (126.9250, 37.6150), (126.9210, 37.6190), (126.9190, 37.6280),
         (126.9187, 37.6369)),
    ),
    "gonghang_gangseo": R(
        "11500", "공항대로", "Gonghang-daero", "우장산역~발산역", "Ujangsan-Balsan stations",
        ((126.8495, 37.5415), (126.8430, 37.5450), (126.8364, 37.5487), (126.8370, 37.5540),
         (126.8376, 37.5585)),
    ),
    "cheonho_gangdong": R(
        "11740", "천호대로", "Cheonho-daero", "천호역~길동역", "Cheonho-Gildong stations",
        ((127.1236, 37.5386), (127.1280, 37.5372), (127.1324, 37.5358), (127.1360, 37.5365),
         (127.1401, 37.5378)),
    ),
    "dobong_gangbuk": R(
        "11305", "도봉로", "Dobong-ro", "미아역~수유역", "Mia-Suyu stations",
        ((127.0260, 37.6268), (127.0255, 37.6320), (127.0257, 37.6380)),
    ),
    "hangang_yongsan": R(
        "11170", "한강대로", "Hangang-daero", "남영역~신용산역", "Namyeong-Sinyongsan stations",
        ((126.9720, 37.5410), (126.9728, 37.5378), (126.9733, 37.5347), (126.9700, 37.5318),
         (126.9680, 37.5290)),
    ),
    "wangsan_ddm": R(
        "11230", "왕산로", "Wangsan-ro", "제기동역~청량리역", "Jegi-dong-Cheongnyangni stations",
        ((127.0300, 37.5760), (127.0349, 37.5781), (127.0410, 37.5795), (127.0470, 37.5801)),
    ),
    "mangu_jungnang": R(
        "11260", "망우로", "Mangu-ro", "상봉역~망우역", "Sangbong-Mangu stations",
        ((127.0800, 37.5945), (127.0858, 37.5966), (127.0922, 37.5991), (127.0990, 37.6000)),
    ),
    "banpo_seocho": R(
        "11650", "반포대로", "Banpo-daero",
        "반포대교 남단~서초역", "Banpo Bridge south end-Seocho Station",
        ((126.9980, 37.5080), (127.0020, 37.5020), (127.0060, 37.4960), (127.0100, 37.4900),
         (127.0130, 37.4840)),
    ),
    "jamsugyo": R(
        "11650", "잠수교", "Jamsugyo Bridge", "전 구간", "whole bridge",
        ((126.9945, 37.5200), (126.9950, 37.5170), (126.9955, 37.5140), (126.9960, 37.5110)),
    ),
    "dongbu_ddm": R(
        "11230", "동부간선도로", "Dongbu Expressway",
        "장안동~이문동 구간", "Jangan-dong-Imun-dong section",
        ((127.0650, 37.5650), (127.0640, 37.5720), (127.0630, 37.5790), (127.0640, 37.5860)),
    ),
    "siheung_gc": R(
        "11545", "시흥대로", "Siheung-daero",
        "독산동~시흥동 구간", "Doksan-dong-Siheung-dong section",
        ((126.9000, 37.4700), (126.8985, 37.4630), (126.8990, 37.4560), (126.9010, 37.4490)),
    ),
    "omok_yangcheon": R(
        "11470", "오목로", "Omok-ro", "신정네거리역~오목교역", "Sinjeongnegeori-Omokgyo stations",
        ((126.8560, 37.5249), (126.8647, 37.5260), (126.8750, 37.5245)),
    ),
    "sangdo_dongjak": R(
        "11590", "상도로", "Sangdo-ro", "장승배기역~상도역", "Jangseungbaegi-Sangdo stations",
        ((126.9392, 37.5048), (126.9440, 37.5040), (126.9479, 37.5028), (126.9530, 37.5010)),
    ),
}

REGIONS: dict[str, Region] = {
    "northeast": Region(
        "서울 동북권", "northeast Seoul",
        ("11200", "11215", "11230", "11260", "11290", "11305", "11320", "11350"),
    ),
    "southwest": Region(
        "서울 서남권", "southwest Seoul",
        ("11470", "11500", "11530", "11545", "11560", "11590", "11620"),
    ),
    "southeast": Region("서울 동남권", "southeast Seoul", ("11650", "11680", "11710", "11740")),
}


# ------------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Step:
    """One change to an incident: a progress line, optionally a new severity or title."""

    ko: str
    en: str
    severity: str | None = None
    title_ko: str | None = None
    title_en: str | None = None


@dataclass(frozen=True)
class Template:
    kind: str
    category: str
    severity: str
    title_ko: str
    title_en: str
    desc_ko: str
    desc_en: str
    end_status: str
    end: Step
    steps: tuple[Step, ...] = ()
    duration: tuple[int, int] = (150, 330)
    team: str = "재난안전상황실"
    notes: tuple[str, ...] = ()
    expires: bool = False  # the source gave an end time; the last version is `expired`
    standing: bool = False  # when running at the loop start, it was issued an hour or more ago


S = Step
T = Template
TEMPLATES: dict[str, Template] = {
    # ---------------------------------------------------------------- disasters and safety
    "rain_region": T(
        "disaster", "heavy_rain", "moderate",
        "[호우주의보] {r} 호우주의보 발효", "[Heavy rain advisory] Advisory in effect for {re}",
        "기상청 발표: {r}({gus})에 호우주의보가 발효 중입니다. 시간당 20~30mm의 강한 비가 내리고 "
        "있으니 하천변, 지하차도, 저지대 이용을 자제하시기 바랍니다.",
        "KMA: a heavy rain advisory is in effect for {re} ({guse}). Rain of 20-30 mm/h; stay away "
        "from riversides, underpasses and low-lying areas.",
        "cancelled",
        S("{r} 호우주의보를 해제합니다. 하천 수위가 평상시로 돌아올 때까지 "
          "하천변 출입을 자제하시기 "
          "바랍니다.",
          "The advisory for {re} is lifted. Keep away from riversides until river levels are back "
          "to "
          "normal.",
          title_ko="[해제] {r} 호우주의보 해제", title_en="[Lifted] Heavy rain advisory for {re}"),
        steps=(
            S("호우주의보를 호우경보로 변경합니다. 시간당 50mm 이상, 3시간 누적 "
              "90mm 이상의 매우 강한 비가 "
              "예상됩니다.",
              "Advisory upgraded to a warning: over 50 mm/h and 90 mm or more in 3 hours expected.",
              severity="severe", title_ko="[호우경보] {r} 호우경보 발효",
              title_en="[Heavy rain warning] Warning in effect for {re}"),
            S("강수 강도가 약해져 호우경보를 호우주의보로 변경합니다.",
              "Rain is easing; the warning is downgraded to an advisory.",
              severity="moderate", title_ko="[호우주의보] {r} 호우경보를 호우주의보로 변경",
              title_en="[Heavy rain advisory] {re} warning downgraded to advisory"),
        ),
        notes=("자치구 재난안전대책본부 비상 1단계 근무 확인", "하천 산책로 통제 현황 취합 중"),
        standing=True,
    ),
    "heat_region": T(
        "disaster", "heat", "moderate",
        "[폭염주의보] {r} 폭염주의보 발효 중", "[Heat advisory] Heat wave advisory for {re}",
        "기상청 발표: {r}({gus})에 폭염주의보가 발효 중입니다. 일 최고 체감온도 33℃ 이상이 이틀 "
        "이상 "
        "이어질 것으로 예상됩니다. 야외 활동을 자제하고 무더위쉼터를 이용하시기 바랍니다.",
        "KMA: a heat wave advisory is in effect for {re} ({guse}). Apparent temperatures of 33 °C "
        "or more are expected for two days or longer. Limit outdoor activity and use cooling "
        "shelters.",
        "cancelled",
        S("소나기로 기온이 내려가 폭염주의보를 해제합니다.",
          "Showers have cooled the area; the advisory is lifted.",
          title_ko="[해제] {r} 폭염주의보 해제", title_en="[Lifted] Heat wave advisory for {re}"),
        steps=(S("체감온도 34.5℃ 관측. 온열질환 예방 안내 문자를 발송했습니다.",
                 "Apparent temperature of 34.5 °C observed; heat-illness prevention texts sent."),),
        notes=("무더위쉼터 운영 현황 자치구 확인 요청",),
        standing=True,
    ),
    "ozone_region": T(
        "disaster", "air_quality", "moderate",
        "[오존주의보] {r} 오존주의보 발령", "[Ozone advisory] Ozone advisory for {re}",
        "서울시 발표: {r}({gus})의 오존 시간평균 농도가 0.12ppm 이상입니다. 실외 활동과 차량 "
        "운행을 "
        "자제하시기 바랍니다.",
        "Seoul: hourly mean ozone in {re} ({guse}) is 0.12 ppm or higher. Limit outdoor activity "
        "and driving.",
        "cancelled",
        S("오존 농도가 0.12ppm 아래로 내려가 오존주의보를 해제합니다.",
          "Ozone has fallen below 0.12 ppm; the advisory is lifted.",
          title_ko="[해제] {r} 오존주의보 해제", title_en="[Lifted] Ozone advisory for {re}"),
        steps=(S("오존 농도 최고 0.134ppm 관측. 어린이, 노약자는 실외 활동을 삼가시기 바랍니다.",
                 "Ozone peaked at 0.134 ppm. Children and older people should stay indoors."),),
        standing=True,
    ),
    "heavy_rain_cbs": T(
        "disaster", "heavy_rain", "moderate",
        "[재난문자] {gu} 시간당 {mm}mm 강한 비, 하천변 접근 금지",
        "[Emergency text] {mm} mm/h downpour in {gue}: keep away from streams",
        "현재 {gu} 일대에 시간당 {mm}mm 안팎의 강한 비가 내리고 있습니다. 하천변 산책로와 지하차도 "
        "이용을 자제하고, 저지대 주민은 침수에 대비하시기 바랍니다.",
        "Rain of about {mm} mm/h is falling over {gue}. Avoid riverside paths and underpasses; "
        "residents of low-lying areas should prepare for flooding.",
        "expired",
        S("안내 유효시간이 끝났습니다.", "The notice has reached its end time."),
        duration=(200, 320), expires=True,
    ),
    "stream_closure": T(
        "disaster", "flood", "moderate",
        "{stream} 산책로 출입 통제 ({p} 구간)", "{streame} riverside path closed ({pe} section)",
        "호우로 {stream} 수위가 올라 산책로와 징검다리 출입을 통제합니다. 진입로를 차단하고 현장 "
        "안내 "
        "요원을 배치했습니다.",
        "Heavy rain has raised the {streame}; its riverside path and stepping stones are closed. "
        "Entrances are blocked and wardens are on site.",
        "resolved",
        S("수위가 낮아져 산책로 통제를 해제합니다. 시설물 점검 후 개방합니다.",
          "The water has dropped; the path reopens after a facility check."),
        steps=(S("수위 계속 상승. 둔치 주차장 차량 이동 조치 중.",
                 "Water still rising; cars are being moved out of the riverside car park."),),
        duration=(220, 360), team="치수과",
        notes=("둔치 주차장 차량 소유자 연락 진행", "통제선 설치 사진 확인"),
    ),
    "underpass": T(
        "disaster", "flood", "severe",
        "{p} 인근 지하차도 침수 우려, 양방향 통행 전면 통제",
        "Underpass near {pe} at risk of flooding: closed both ways",
        "배수펌프 용량을 넘는 빗물 유입으로 {p} 인근 지하차도의 양방향 통행을 전면 통제합니다. "
        "우회도로를 이용하시기 바랍니다.",
        "Rainwater is coming in faster than the pumps can clear it; the underpass near {pe} is "
        "closed in both directions. Please take a detour.",
        "resolved",
        S("배수를 마치고 안전 점검 후 통행을 재개했습니다.",
          "Drained and inspected; traffic has resumed."),
        steps=(S("배수 작업 진행 중, 노면 물고임 감소.",
                 "Pumping under way; standing water is going down.",
                 severity="moderate"),),
        duration=(200, 320), team="도로관리과",
        notes=("경찰 교통 통제 협조 요청 완료", "교통정보센터 VMS 우회 안내 표출 요청"),
    ),
    "han_flood": T(
        "disaster", "flood", "severe",
        "[홍수주의보] 한강대교 지점 홍수주의보 발령",
        "[Flood advisory] Han River at Hangang Bridge",
        "한강홍수통제소 발표: 한강대교 지점 수위가 홍수주의보 기준(8.5m)에 이를 것으로 예상됩니다. "
        "한강공원과 둔치 주차장 이용을 금지하며, 강변 저지대 주민은 대피에 대비하시기 바랍니다.",
        "Han River Flood Control Office: the level at Hangang Bridge is expected to reach the "
        "advisory stage (8.5 m). Han River parks and riverside car parks are closed; residents of "
        "low-lying riverside areas should be ready to evacuate.",
        "cancelled",
        S("수위가 주의보 기준 아래로 내려가 홍수주의보를 해제합니다.",
          "The level is back below the advisory stage; the advisory is lifted.",
          title_ko="[해제] 한강대교 지점 홍수주의보 해제",
          title_en="[Lifted] Flood advisory, Han River at Hangang Bridge"),
        steps=(
            S("한강대교 지점 수위 8.6m, 상승세 둔화. 상류 댐 방류량 감소.",
              "Level 8.6 m at Hangang Bridge; the rise is slowing as upstream dam releases fall."),
            S("수위 하강 중 (7.9m).", "Level falling (7.9 m).", severity="moderate"),
        ),
        team="치수과",
        notes=(
            "한강공원 11개 지구 출입 통제 완료 보고",
            "둔치 주차장 잔류 차량 0대 확인",
        ),
    ),
    "landslide": T(
        "disaster", "landslide", "moderate",
        "[산사태주의보] {gu} {p} 일대 산사태주의보 발령",
        "[Landslide advisory] {pe}, {gue}",
        "산림청 발표: 누적 강우로 {gu} {p} 일대에 산사태주의보가 발령되었습니다. 급경사지와 계곡 "
        "주변 "
        "주민은 대피 장소를 미리 확인하시기 바랍니다.",
        "Korea Forest Service: accumulated rain has triggered a landslide advisory for {pe}, "
        "{gue}. Residents near steep slopes and valleys should check their evacuation point.",
        "cancelled",
        S("강우가 그쳐 산사태주의보를 해제합니다.", "Rain has stopped; the advisory is lifted.",
          title_ko="[해제] {gu} {p} 일대 산사태주의보 해제",
          title_en="[Lifted] Landslide advisory, {pe}, {gue}"),
        steps=(
            S("산사태경보로 상향. 급경사지 인근 주민 대피를 권고합니다 (대피 장소: 인근 주민센터).",
              "Raised to a landslide warning. Residents near steep slopes are advised to evacuate "
              "to the nearby community centre.",
              severity="severe", title_ko="[산사태경보] {gu} {p} 일대 산사태경보 발령",
              title_en="[Landslide warning] {pe}, {gue}"),
            S("강우 약화로 산사태주의보로 하향.", "Rain easing; lowered to an advisory.",
              severity="moderate",
              title_ko="[산사태주의보] {gu} {p} 일대 산사태경보를 주의보로 하향",
              title_en="[Landslide advisory] {pe}, {gue}: warning lowered"),
        ),
        team="공원녹지과",
        notes=(
            "대피 대상 34세대 중 29세대 대피 확인",
            "주민센터 임시대피소 개방",
        ),
    ),
    "quake_felt": T(
        "disaster", "earthquake", "minor",
        "지진 유감 신고 접수 ({gu} {p} 일대)", "Earthquake felt reports ({pe}, {gue})",
        "기상청이 발표한 경기 북부 규모 2.8 지진과 관련해 {gu} {p} 일대에서 '건물이 흔들렸다'는 "
        "신고가 "
        "잇따라 접수되었습니다. 현재까지 피해 신고는 없습니다.",
        "After the magnitude 2.8 earthquake in northern Gyeonggi reported by KMA, several callers "
        "in {pe}, {gue} said their building shook. No damage reported so far.",
        "resolved",
        S("추가 신고 없음. 상황을 종료합니다.", "No further reports; closed."),
        steps=(S("소방, 구청 합동 확인 결과 시설물 피해 없음.",
                 "Joint fire service and district check: no damage to structures.",
                 severity="info"),),
        duration=(150, 260),
    ),
    "fire_factory": T(
        "disaster", "fire", "severe",
        "{p} 인근 공장 화재, 대응 1단계 발령", "Factory fire near {pe}: response level 1",
        "{p} 인근 공장 건물에서 불이 나 소방 대응 1단계가 발령되었습니다. 검은 연기가 많이 나고 "
        "있으니 인근 주민은 창문을 닫고 외출을 자제하시기 바랍니다.",
        "A fire in a factory building near {pe} has triggered fire response level 1. Heavy black "
        "smoke: nearby residents should close windows and stay indoors.",
        "resolved",
        S("완진. 재산 피해와 화재 원인을 조사할 예정입니다.",
          "Fully extinguished. Damage and cause to be investigated.",
          title_ko="{p} 인근 공장 화재 완진", title_en="Factory fire near {pe} extinguished"),
        steps=(
            S("인접 건물로 번지지 않도록 방어 중. 인명 피해 없음.",
              "Crews are protecting neighbouring buildings. No casualties."),
            S("초진. 대응 1단계를 해제하고 잔불을 정리하고 있습니다.",
              "Under control; response level 1 stood down, damping down.",
              severity="moderate", title_ko="{p} 인근 공장 화재 초진",
              title_en="Factory fire near {pe} under control"),
        ),
        duration=(300, 420), notes=("관할 소방서 현장지휘소와 통화, 연기 확산 방향 북동쪽",
                                    "인근 주민 안내 문자 발송 요청"),
    ),
    "fire_building": T(
        "disaster", "fire", "extreme",
        "{p} 인근 상가 건물 화재, 대응 2단계 발령",
        "Commercial building fire near {pe}: response level 2",
        "{p} 인근 상가 건물 3층에서 불이 나 소방 대응 2단계가 발령되었습니다. 건물 안 인원이 대피 "
        "중이며 "
        "주변 도로를 통제하고 있습니다.",
        "A fire on the third floor of a commercial building near {pe} has triggered response "
        "level 2. The building is being evacuated and surrounding roads are closed.",
        "resolved",
        S("완진. 주변 도로 통제를 해제했습니다.", "Fully extinguished; road closures lifted.",
          title_ko="{p} 인근 상가 건물 화재 완진",
          title_en="Commercial building fire near {pe} extinguished"),
        steps=(
            S("초진. 대응 1단계로 하향. 대피 인원 42명 전원 확인.",
              "Under control; lowered to response level 1. All 42 evacuees accounted for.",
              severity="severe", title_ko="{p} 인근 상가 건물 화재 초진, 대응 1단계로 하향",
              title_en="Commercial building fire near {pe} under control, level 1"),
            S("잔불 정리 중. 주변 도로 1개 차로 통제 유지.",
              "Damping down; one lane of the surrounding road stays closed.", severity="moderate"),
        ),
        duration=(380, 480),
        notes=(
            "시장실 상황 보고 완료",
            "인근 병원 응급실 수용 가능 여부 확인",
            "구청 임시 주거 지원 준비",
        ),
    ),
    "fire_house": T(
        "disaster", "fire", "moderate",
        "{p} 인근 주택 화재", "House fire near {pe}",
        "{p} 인근 단독주택에서 불이 나 소방차가 출동했습니다. 거주자는 스스로 대피했습니다.",
        "Fire engines are at a house fire near {pe}. The residents got out on their own.",
        "resolved",
        S("완진. 인명 피해 없음.", "Fully extinguished. No casualties.",
          title_ko="{p} 인근 주택 화재 완진", title_en="House fire near {pe} extinguished"),
        steps=(S("초진, 잔불 정리 중.", "Under control; damping down.", severity="minor",
                 title_ko="{p} 인근 주택 화재 초진",
                 title_en="House fire near {pe} under control"),),
        duration=(220, 330),
    ),
    "fire_kitchen": T(
        "disaster", "fire", "minor",
        "{p} 인근 음식점 주방 화재", "Restaurant kitchen fire near {pe}",
        "{p} 인근 음식점 주방 배기 덕트에서 불이 나 자체 진화했으며, 소방이 현장을 확인하고 "
        "있습니다.",
        "A fire in a restaurant kitchen duct near {pe} was put out by staff; firefighters are "
        "checking the scene.",
        "resolved",
        S("소방 확인 완료, 상황 종료.", "Checked by firefighters; closed."),
        duration=(120, 200),
    ),
    "power_big": T(
        "disaster", "power_outage", "moderate",
        "{p} 일대 정전 (약 {n}세대)", "Power cut around {pe} (about {n} households)",
        "변압기 고장으로 {p} 일대 약 {n}세대에 전기가 끊겼습니다. 승강기 갇힘 신고 여부를 확인 "
        "중이며 "
        "한전 긴급 복구반이 출동했습니다.",
        "A transformer fault has cut power to about {n} households around {pe}. Lift entrapments "
        "are being checked; a KEPCO repair crew is on its way.",
        "resolved",
        S("모든 세대에 전력 공급이 재개되었습니다.", "Power restored to all households."),
        steps=(S("1차 복구 완료, 정전 세대가 약 {n2}세대로 줄었습니다.",
                 "First repairs done; about {n2} households still without power."),),
        duration=(260, 380),
        notes=(
            "승강기 갇힘 신고 없음 (관리사무소 확인)",
            "경로당 무더위쉼터 발전기 가동 확인",
        ),
    ),
    "power_small": T(
        "disaster", "power_outage", "minor",
        "{p} 일대 순간 정전 신고", "Brief power cut reported around {pe}",
        "{p} 일대에서 전기가 잠시 끊겼다는 신고가 여러 건 접수되었습니다. 한전에 원인 확인을 "
        "요청했습니다.",
        "Several reports of a brief power cut around {pe}. KEPCO has been asked for the cause.",
        "resolved",
        S("전력 정상 공급 확인 (배전선로 일시 고장).",
          "Supply normal (brief distribution line fault)."),
        duration=(120, 220),
    ),
    "heat_illness": T(
        "disaster", "heat", "moderate",
        "{p} 야외 작업자 온열질환 의심 신고", "Suspected heat illness, outdoor worker at {pe}",
        "{p}에서 야외 작업 중이던 60대 작업자가 어지럼증을 호소해 119 구급대가 출동했습니다.",
        "A worker in his 60s fell dizzy while working outdoors at {pe}; an ambulance was sent.",
        "resolved",
        S("병원 이송 완료, 생명에 지장 없음. 인근 작업장에 휴식 시간 준수를 안내했습니다.",
          "Taken to hospital, not life-threatening. Nearby sites reminded to take rest breaks."),
        duration=(150, 260), team="보건소",
    ),
    "cooling_shelter": T(
        "disaster", "heat", "info",
        "{gu} 무더위쉼터 운영 시간 연장 (21시까지)", "{gue} cooling shelters open until 21:00",
        "폭염에 대비해 {gu} 관내 무더위쉼터 운영 시간을 21시까지 연장합니다. 가까운 주민센터와 "
        "경로당을 이용하세요.",
        "Because of the heat, cooling shelters in {gue} stay open until 21:00. Use your nearest "
        "community centre or senior centre.",
        "expired",
        S("안내 게시 기간이 끝났습니다.", "The notice period has ended."),
        expires=True,
        standing=True,
    ),
    "ozone_station": T(
        "disaster", "air_quality", "info",
        "{p} 인근 도시대기측정소 오존 농도 상승",
        "Ozone rising at the air monitoring station near {pe}",
        "오존 시간평균 0.11ppm 측정 (주의보 기준 0.12ppm에 근접). 실외 활동 자제를 권고합니다.",
        "Hourly ozone of 0.11 ppm measured (advisory level is 0.12 ppm). Limit outdoor activity.",
        "expired",
        S("측정 안내 유효시간이 끝났습니다.", "The reading notice has expired."),
        duration=(180, 280), expires=True,
    ),
    "missing": T(
        "disaster", "missing_person", "minor",
        "[실종경보] {gu} {p} 인근 80대 남성 실종",
        "[Missing person] Man in his 80s, near {pe}, {gue}",
        "{p} 인근에서 80대 남성(165cm, 회색 상의, 검은 바지)이 실종되었습니다. 발견하면 112로 "
        "신고해 "
        "주시기 바랍니다.",
        "A man in his 80s (165 cm, grey top, black trousers) is missing near {pe}. If you see him, "
        "call 112.",
        "resolved",
        S("실종자를 무사히 발견해 가족에게 인계했습니다. 협조에 감사드립니다.",
          "Found safe and returned to his family. Thank you for your help.",
          title_ko="[실종경보 해제] {gu} {p} 인근 80대 남성 발견",
          title_en="[Found] Man in his 80s, near {pe}, {gue}"),
        duration=(220, 320), team="복지정책과",
    ),
    # ---------------------------------------------------------------------------- traffic
    "multi_crash": T(
        "traffic", "accident", "moderate",
        "{road} {dir} 3중 추돌사고", "Three-car pile-up on {roade}, {dire}",
        "{road} {section} {dir}에서 승용차 3대가 추돌했습니다. 2개 차로를 통제하고 있으며 부상자 "
        "2명이 "
        "병원으로 옮겨졌습니다.",
        "Three cars collided on {roade} ({sectione}), {dire}. Two lanes are closed; two injured "
        "people were taken to hospital.",
        "resolved",
        S("사고 처리 완료, 전 차로 소통 재개.", "Cleared; all lanes open."),
        steps=(S("사고 차량 견인 중, 1개 차로 통제.", "Vehicles being towed; one lane closed.",
                 severity="minor"),),
        duration=(220, 320), team="교통운영과",
        notes=("교통정보센터 VMS 사고 안내 표출", "경찰 사고 조사 진행 중"),
    ),
    "bus_crash": T(
        "traffic", "accident", "moderate",
        "{road} {dir} 시내버스·승용차 추돌사고", "City bus and car collide on {roade}, {dire}",
        "{road} {section}에서 시내버스와 승용차가 추돌했습니다. 버스 승객 4명 경상, 1개 차로 통제 "
        "중입니다.",
        "A city bus and a car collided on {roade} ({sectione}). Four bus passengers slightly hurt; "
        "one lane closed.",
        "resolved",
        S("사고 차량 이동 완료, 소통 원활.", "Vehicles moved; traffic flowing."),
        duration=(180, 280), team="교통운영과",
    ),
    "crash_minor": T(
        "traffic", "accident", "minor",
        "{road} {dir} 차량 2대 접촉사고", "Two cars collide on {roade}, {dire}",
        "{road} {section} {dir}에서 차량 2대가 접촉사고를 냈습니다. 인명 피해는 없으며 1개 차로가 "
        "일시 "
        "통제됩니다.",
        "Two cars collided on {roade} ({sectione}), {dire}. No injuries; one lane briefly closed.",
        "resolved",
        S("사고 처리 완료.", "Cleared."),
        duration=(120, 220), team="교통운영과",
    ),
    "crash_point": T(
        "traffic", "accident", "minor",
        "{p} 인근 교차로 승용차·오토바이 충돌사고",
        "Car and motorbike collide at a junction near {pe}",
        "{p} 인근 교차로에서 승용차와 오토바이가 부딪혀 오토바이 운전자가 다쳤습니다. 1개 차로를 "
        "일시 "
        "통제합니다.",
        "A car and a motorbike collided at a junction near {pe}; the rider was hurt. One lane is "
        "briefly closed.",
        "resolved",
        S("사고 처리 완료, 소통 원활.", "Cleared; traffic flowing."),
        duration=(140, 240), team="교통운영과",
    ),
    "flood_road": T(
        "traffic", "closure", "severe",
        "{road} 양방향 전면 통제 ({stream} 수위 상승)",
        "{roade} closed both ways ({streame} rising)",
        "{stream} 수위가 통제 기준을 넘어 {road} {section} 양방향 차량 통행을 전면 통제합니다. "
        "우회: {detour}.",
        "The {streame} has passed its closure level; {roade} ({sectione}) is closed in both "
        "directions. Detour: {detoure}.",
        "resolved",
        S("수위 하강, 노면 청소 후 통행을 재개했습니다.",
          "Water has receded; reopened after the road was cleaned."),
        steps=(S("노면 침수 구간 확대, 진입 램프 전면 차단.",
                 "Flooded stretch growing; all on-ramps blocked."),),
        team="도로관리과", notes=("서울경찰청 교통 통제 협조 완료", "버스 우회 노선 안내 요청"),
    ),
    "jamsugyo": T(
        "traffic", "weather", "moderate",
        "잠수교 차량·보행자 통행 전면 통제", "Jamsugyo Bridge closed to traffic and pedestrians",
        "한강 수위가 올라 잠수교 수위가 통제 기준(보행자 5.5m, 차량 6.2m)을 넘었습니다. 잠수교 "
        "통행을 "
        "전면 통제하니 반포대교를 이용하시기 바랍니다.",
        "The Han River has risen past Jamsugyo's closure levels (5.5 m for pedestrians, 6.2 m for "
        "vehicles). The bridge is closed; use Banpo Bridge instead.",
        "resolved",
        S("수위가 내려가 통제를 해제했습니다.", "The river has dropped; the bridge has reopened."),
        duration=(300, 420), team="도로관리과",
    ),
    "roadwork": T(
        "traffic", "roadwork", "minor",
        "{road} {dir} 포장 보수공사 (2개 차로 통제)",
        "Resurfacing on {roade}, {dire} (two lanes closed)",
        "노면 포장 보수공사로 {road} {section} {dir} 2개 차로를 통제합니다. 공사 구간에서는 "
        "서행하시기 바랍니다.",
        "Resurfacing closes two lanes of {roade} ({sectione}), {dire}. Slow down through the "
        "works.",
        "expired",
        S("공사가 끝나 차로 통제를 해제합니다.", "Works finished; lanes reopened."),
        team="도로관리과", expires=True,
        standing=True,
    ),
    "water_work": T(
        "traffic", "roadwork", "minor",
        "{road} 상수도관 교체 공사 (1개 차로 통제)",
        "Water main replacement on {roade} (one lane closed)",
        "상수도관 교체 공사로 {road} {section} 1개 차로를 통제합니다. 공사 구간에서는 "
        "서행하시기 바랍니다.",
        "Water main replacement closes one lane of {roade} ({sectione}). Slow down through the "
        "works.",
        "expired",
        S("공사가 끝나 차로 통제를 해제합니다.", "Works finished; lane reopened."),
        team="물재생계획과", expires=True,
        standing=True,
    ),
    "manhole_work": T(
        "traffic", "roadwork", "minor",
        "{road} 맨홀 뚜껑 긴급 보수 (1개 차로 통제)",
        "Emergency manhole repair on {roade} (one lane closed)",
        "{road} {section}의 맨홀 뚜껑이 들뜬 것을 발견해 긴급 보수 중입니다. 1개 차로를 "
        "통제합니다.",
        "A lifted manhole cover on {roade} ({sectione}) is being repaired; one lane is closed.",
        "resolved",
        S("보수 완료, 통제 해제.", "Repaired; lane reopened."),
        duration=(160, 260), team="도로관리과",
    ),
    "congestion": T(
        "traffic", "congestion", "minor",
        "{road} {dir} 정체 ({section})", "Congestion on {roade}, {dire} ({sectione})",
        "빗길과 교통량 증가로 {road} {section} {dir} 구간이 시속 15km 이하로 정체되고 있습니다.",
        "Wet roads and heavy traffic: {roade} ({sectione}), {dire}, is moving at under 15 km/h.",
        "resolved",
        S("정체가 풀렸습니다.", "Congestion has cleared."),
        steps=(S("정체가 점차 풀리고 있습니다 (시속 30km).", "Congestion easing (30 km/h).",
                 severity="info"),),
        duration=(200, 320), team="교통운영과",
    ),
    "festival": T(
        "traffic", "event", "info",
        "{road} 문화행사 교통통제 ({section})", "{roade} event closure ({sectione})",
        "광화문광장 문화행사로 {road} 일부 차로를 통제하고 시내버스가 우회 운행합니다.",
        "A cultural event at Gwanghwamun Square closes some lanes of {roade}; city buses are "
        "diverted.",
        "expired",
        S("행사가 끝나 교통통제를 해제합니다.", "The event is over; closures lifted."),
        team="교통운영과", expires=True,
        standing=True,
    ),
    "subway_delay": T(
        "traffic", "transit_disruption", "moderate",
        "지하철 {line} {p} 열차 운행 지연 ({cause})", "Subway {linee} delays at {pe} ({causee})",
        "{p}에서 {cause}으로 {dir} 열차 운행이 약 10분 지연되고 있습니다. 버스 등 다른 교통수단 "
        "이용을 "
        "권합니다.",
        "{linee} trains {dire} are about 10 minutes late at {pe} because of {causee}. Consider "
        "buses.",
        "resolved",
        S("정상 운행 중입니다.", "Services are back to normal."),
        steps=(S("조치를 마쳐 순차적으로 정상 운행을 회복하고 있습니다.",
                 "Fixed; services are gradually recovering.", severity="minor"),),
        duration=(220, 320), team="도시교통실",
    ),
    "bus_detour": T(
        "traffic", "transit_disruption", "minor",
        "{road} 일부 구간 침수로 시내버스 우회 운행", "City buses diverted: {roade} partly flooded",
        "{road} {section} 일부가 침수되어 이 구간을 지나는 시내버스 6개 노선이 우회 운행합니다.",
        "Part of {roade} ({sectione}) is flooded; six city bus routes are diverted.",
        "resolved",
        S("침수가 해소되어 버스가 정상 경로로 운행합니다.",
          "Flooding cleared; buses back on route."),
        duration=(200, 300), team="버스정책과",
    ),
    "tree_down": T(
        "traffic", "hazard", "moderate",
        "{p} 인근 가로수 쓰러짐, 1개 차로 통제", "Fallen tree near {pe}: one lane closed",
        "비바람에 가로수가 도로 쪽으로 쓰러졌습니다. 구청 녹지과가 제거 작업 중이며 1개 차로를 "
        "통제합니다.",
        "Wind and rain brought a street tree down onto the road. The district parks team is "
        "clearing it; one lane is closed.",
        "resolved",
        S("제거 완료, 통행 재개.", "Cleared; lane reopened."),
        duration=(180, 280), team="공원녹지과",
    ),
    "debris": T(
        "traffic", "hazard", "minor",
        "{road} {dir} 낙하물 (화물차 적재물) 처리 중", "Debris from a lorry on {roade}, {dire}",
        "{road} {section} {dir}에 화물차 적재물이 떨어져 처리 중입니다. 서행하시기 바랍니다.",
        "Load spilled from a lorry on {roade} ({sectione}), {dire}, is being cleared. Slow down.",
        "resolved",
        S("낙하물 제거 완료.", "Debris removed."),
        duration=(120, 200), team="도로관리과",
    ),
    "water_pool": T(
        "traffic", "hazard", "minor",
        "{road} {section} 도로 물고임, 감속 운행",
        "Standing water on {roade} ({sectione}): slow down",
        "빗물받이 막힘으로 {road} {section}에 물이 고였습니다. 감속 운행하시기 바랍니다.",
        "Blocked drains have left standing water on {roade} ({sectione}). Drive slowly.",
        "resolved",
        S("빗물받이 정비로 물고임이 해소되었습니다.", "Drains cleared; the water is gone."),
        duration=(150, 260), team="도로관리과",
    ),
    "signal_out": T(
        "traffic", "hazard", "minor",
        "{p} 교차로 신호등 고장", "Traffic lights out at a junction near {pe}",
        "정전으로 {p} 인근 교차로 신호등이 꺼졌습니다. 경찰이 수신호로 통제하고 있습니다.",
        "A power cut has knocked out the lights at a junction near {pe}; police are directing "
        "traffic.",
        "resolved",
        S("신호등 복구 완료.", "Lights working again."),
        duration=(150, 240), team="교통운영과",
    ),
    # -------------------------------------------------------------------------- complaints
    "noise_construction": T(
        "complaint", "noise", "minor",
        "{p} 인근 공사장 소음 민원", "Construction noise complaint near {pe}",
        "{p} 인근 건물 신축 공사장의 굴착기 소음이 심하다는 민원이 접수되었습니다. 소음 측정을 "
        "요청했습니다.",
        "Complaint about excavator noise from a building site near {pe}. A noise measurement "
        "has been requested.",
        "resolved",
        S("저소음 장비 투입 등 작업 조정을 확인하고 민원인에게 안내했습니다.",
          "Site switched to quieter equipment; the caller has been informed."),
        steps=(S("현장 측정 결과 72dB로 생활소음 기준 초과. 개선 명령 예정.",
                 "Measured 72 dB, above the limit; an improvement order will be issued."),),
        duration=(220, 330), team="환경과",
    ),
    "noise_speaker": T(
        "complaint", "noise", "info",
        "{p} 인근 확성기 소음 민원", "Loudspeaker noise complaint near {pe}",
        "상가 홍보 차량의 확성기 소음이 심하다는 민원이 접수되었습니다.",
        "Complaint about a shop's loudspeaker van near {pe}.",
        "resolved",
        S("현장 계도 후 차량이 이동했습니다.", "Spoken to on site; the van has moved on."),
        duration=(120, 200), team="환경과",
    ),
    "noise_busking": T(
        "complaint", "noise", "minor",
        "{p} 거리공연 소음 민원", "Street performance noise complaint at {pe}",
        "거리공연 앰프 소리가 너무 크다는 인근 주민 민원이 접수되었습니다.",
        "Residents complain that a street performer's amplifier is too loud.",
        "resolved",
        S("공연자에게 음량을 줄이도록 안내했습니다.", "The performer has turned the volume down."),
        duration=(120, 220), team="문화체육과",
    ),
    "parking_hydrant": T(
        "complaint", "illegal_parking", "minor",
        "{p} 인근 소화전 앞 불법 주차 신고", "Car parked at a fire hydrant near {pe}",
        "소화전 앞에 차량이 주차되어 있다는 신고가 접수되었습니다.",
        "Report of a car parked in front of a fire hydrant.",
        "resolved",
        S("단속반 출동, 과태료 부과 및 차량 이동 조치.",
          "Enforcement team fined the driver; car moved."),
        duration=(140, 240), team="주차관리과",
    ),
    "parking_school": T(
        "complaint", "illegal_parking", "minor",
        "{p} 인근 어린이보호구역 불법 주정차 민원", "Illegal parking in a school zone near {pe}",
        "어린이보호구역 안에 차량 여러 대가 불법 주정차해 통학로가 위험하다는 민원입니다.",
        "Several cars are parked illegally in a school zone, making the route to school unsafe.",
        "resolved",
        S("단속 완료 (4대 과태료 부과).", "Enforcement done (four fines issued)."),
        duration=(160, 260), team="주차관리과",
    ),
    "parking_alley": T(
        "complaint", "illegal_parking", "minor",
        "{p} 인근 이면도로 불법 주정차 민원", "Illegal parking blocking a side street near {pe}",
        "이면도로 양쪽에 불법 주정차된 차량 때문에 차가 지나가기 어렵다는 민원입니다.",
        "Cars parked on both sides of a side street make it hard to drive through.",
        "resolved",
        S("견인 1대, 계도 3대 조치 완료.", "One car towed, three drivers warned."),
        duration=(140, 240), team="주차관리과",
    ),
    "waste_food": T(
        "complaint", "waste", "minor",
        "{p} 인근 음식물 쓰레기 미수거 민원", "Food waste not collected near {pe}",
        "수거일이 지났는데 음식물 쓰레기가 수거되지 않아 악취가 난다는 민원입니다.",
        "Food waste was not collected on the scheduled day and is starting to smell.",
        "resolved",
        S("수거 완료.", "Collected."),
        duration=(180, 300), team="청소행정과",
    ),
    "waste_recycle": T(
        "complaint", "waste", "info",
        "{p} 인근 재활용품 수거 지연 민원", "Recycling collection late near {pe}",
        "재활용품 수거가 늦어져 배출 장소가 넘친다는 민원입니다.",
        "Recycling pick-up is late and the collection point is overflowing.",
        "resolved",
        S("수거 완료, 수거 일정 재안내.", "Collected; residents reminded of the schedule."),
        duration=(150, 260), team="청소행정과",
    ),
    "dumping": T(
        "complaint", "illegal_dumping", "minor",
        "{p} 인근 대형 폐기물 무단투기 신고", "Bulky waste dumped near {pe}",
        "소파, 매트리스 등 대형 폐기물이 골목에 무단으로 버려져 있다는 신고입니다.",
        "A sofa, a mattress and other bulky items have been dumped in an alley.",
        "resolved",
        S("수거 완료, 투기자 확인을 위해 CCTV 열람을 요청했습니다.",
          "Removed; CCTV footage requested to find who dumped it."),
        duration=(180, 300), team="청소행정과",
    ),
    "streetlight": T(
        "complaint", "streetlight", "minor",
        "{p} 인근 가로등 고장 (보행로 어두움)", "Streetlight out near {pe}",
        "보행로 가로등 3개가 꺼져 밤길이 어둡다는 민원입니다.",
        "Three streetlights on a footpath are out, leaving it dark at night.",
        "resolved",
        S("램프 교체 완료.", "Lamps replaced."),
        duration=(150, 280), team="도로관리과",
    ),
    "pothole": T(
        "complaint", "road_damage", "moderate",
        "{p} 인근 도로 포트홀 신고", "Pothole reported near {pe}",
        "비로 생긴 지름 약 50cm의 포트홀 때문에 차량 타이어 파손이 우려된다는 신고입니다.",
        "A pothole about 50 cm across, opened by the rain, could damage tyres.",
        "resolved",
        S("정식 보수 완료.", "Permanently repaired."),
        steps=(S("상온 아스콘으로 임시 복구 완료, 정식 보수 예정.",
                 "Temporarily patched with cold asphalt; permanent repair to follow.",
                 severity="minor"),),
        duration=(200, 320), team="도로관리과",
    ),
    "sidewalk": T(
        "complaint", "road_damage", "minor",
        "{p} 인근 보도블록 파손 신고", "Broken paving near {pe}",
        "보도블록이 깨지고 들떠 보행자가 걸려 넘어질 위험이 있다는 신고입니다.",
        "Paving slabs are cracked and lifted; pedestrians could trip.",
        "resolved",
        S("보도블록 교체 완료.", "Paving replaced."),
        duration=(160, 280), team="도로관리과",
    ),
    "sink": T(
        "complaint", "road_damage", "moderate",
        "{p} 인근 소규모 도로 침하 신고", "Small road subsidence near {pe}",
        "도로 일부가 가로세로 약 1m, 깊이 20cm 정도 내려앉았다는 신고입니다. 주변 1개 차로를 "
        "통제했습니다.",
        "Part of the road has sunk about 20 cm over roughly 1 m by 1 m. One lane around it is "
        "closed.",
        "resolved",
        S("복구 완료, 차로 통제 해제.", "Repaired; lane reopened."),
        steps=(S("굴착 조사 결과 하수관 손상 확인, 복구 공사 중.",
                 "Excavation found a damaged sewer pipe; repairs under way."),),
        duration=(260, 380), team="도로관리과",
        notes=("지반 탐사(GPR) 추가 조사 요청", "인근 건물 안전 이상 없음 확인"),
    ),
    "odor_sewer": T(
        "complaint", "odor", "minor",
        "{p} 인근 하수구 악취 민원", "Sewer smell complaint near {pe}",
        "무더위에 하수구 악취가 심하다는 민원입니다.",
        "In the heat, the smell from the drains is strong.",
        "resolved",
        S("하수구 준설과 악취 저감 조치 완료.", "Drains cleaned and deodorised."),
        duration=(160, 280), team="물재생계획과",
    ),
    "gas_smell": T(
        "complaint", "odor", "moderate",
        "{p} 인근 가스 냄새 신고", "Gas smell reported near {pe}",
        "가스 냄새가 난다는 신고로 소방과 도시가스 안전점검반이 출동했습니다.",
        "A gas smell was reported; firefighters and the gas company's safety team are on site.",
        "resolved",
        S("점검 결과 가스 누출은 없었습니다 (하수구 악취로 확인).",
          "No gas leak found (it was a sewer smell)."),
        duration=(150, 240),
    ),
    "water_leak": T(
        "complaint", "water", "moderate",
        "{p} 인근 상수도관 누수 (도로로 물 넘침)", "Water main leak near {pe} (water on the road)",
        "상수도관 누수로 도로 위로 물이 흘러넘친다는 신고입니다.",
        "A leaking water main is sending water across the road.",
        "resolved",
        S("보수 완료, 급수를 재개했습니다.", "Repaired; water supply restored."),
        steps=(S("밸브를 잠그고 굴착 보수 중입니다. 인근 {n}세대 일시 단수.",
                 "Valve closed, repairs under way. {n} nearby households briefly without water."),),
        duration=(240, 360), team="상수도사업본부",
    ),
    "boar": T(
        "complaint", "animal", "moderate",
        "{p} 인근 멧돼지 출현 신고", "Wild boar sighted near {pe}",
        "주택가 골목에 멧돼지 1마리가 나타났다는 신고입니다. 주민에게 외출 자제를 안내하고 "
        "야생동물 피해방지단이 출동했습니다.",
        "A wild boar has been seen in a residential alley. Residents are asked to stay in; the "
        "wildlife control team is on its way.",
        "resolved",
        S("멧돼지가 산으로 돌아간 것을 확인했습니다. 순찰을 강화합니다.",
          "The boar has gone back to the hills; patrols are stepped up."),
        duration=(200, 300), team="공원녹지과",
    ),
    "stray_dog": T(
        "complaint", "animal", "minor",
        "{p} 인근 유기견 배회 신고", "Stray dog wandering near {pe}",
        "목줄 없는 대형견이 공원 주변을 돌아다닌다는 신고입니다.",
        "A large dog with no lead is roaming around the park.",
        "resolved",
        S("구조 후 동물보호센터에 인계했습니다.", "Caught and taken to the animal shelter."),
        duration=(160, 260), team="지역경제과",
    ),
    "fence": T(
        "complaint", "safety", "moderate",
        "{p} 인근 공사장 가림막 기울어짐 신고", "Building-site hoarding leaning near {pe}",
        "비바람에 공사장 가림막이 보도 쪽으로 기울어 보행자가 위험하다는 신고입니다.",
        "Wind and rain have tilted a building-site hoarding towards the footpath.",
        "resolved",
        S("가림막 보강과 보행자 우회 안내를 마쳤습니다.", "Hoarding braced; pedestrians diverted."),
        duration=(180, 300), team="건축과",
    ),
    "wall": T(
        "complaint", "safety", "moderate",
        "{p} 인근 노후 축대 균열 신고", "Crack in an old retaining wall near {pe}",
        "주택가의 오래된 축대에 금이 가고 흙이 흘러내린다는 신고입니다.",
        "An old retaining wall above houses is cracked and soil is washing out.",
        "resolved",
        S("안전 점검 결과 당장 무너질 위험은 없으며, 보수 계획을 세웠습니다.",
          "Inspection found no immediate risk of collapse; repairs are planned."),
        steps=(S("방수포를 덮고 주변 통행을 제한했습니다.",
                 "Tarpaulin laid over it and access nearby restricted."),),
        duration=(240, 360), team="건축과",
    ),
    "sign": T(
        "complaint", "safety", "moderate",
        "{p} 인근 상가 간판 추락 위험 신고", "Shop sign at risk of falling near {pe}",
        "강풍에 상가 간판이 흔들려 떨어질 위험이 있다는 신고입니다.",
        "A shop sign is swinging in the wind and could fall.",
        "resolved",
        S("간판을 임시 고정하고 철거를 안내했습니다.",
          "Sign secured; the owner told to take it down."),
        duration=(160, 260), team="도시디자인과",
    ),
    "banner": T(
        "complaint", "other", "info",
        "{p} 인근 불법 현수막 민원", "Illegal banners near {pe}",
        "가로수와 신호등에 불법 현수막이 여러 개 걸려 있다는 민원입니다.",
        "Several illegal banners are hung on street trees and traffic lights.",
        "resolved",
        S("현수막 철거 완료.", "Banners removed."),
        duration=(140, 240), team="도시디자인과",
    ),
}


# ------------------------------------------------------------------------------------ incidents


@dataclass(frozen=True)
class Incident:
    template: str
    where: str  # a PLACES, ROADS or REGIONS key, or "gu:<code>" for a whole district
    params: dict[str, str] = field(default_factory=dict)
    base: bool = False  # already running when the loop starts
    label: str = ""
    refs: tuple[str, ...] = ()
    end_at: float | None = None
    steps_at: tuple[float, ...] = ()


I = Incident  # noqa: E741
EAST = {"dir": "잠실 방향", "dire": "towards Jamsil"}
WEST = {"dir": "김포공항 방향", "dire": "towards Gimpo Airport"}
CITY = {"dir": "도심 방향", "dire": "towards the city centre"}
OUTB = {"dir": "외곽 방향", "dire": "outbound"}
JUNGNANG = {"stream": "중랑천", "streame": "Jungnangcheon stream"}

# In the order they open: the first block is the baseline the board starts with.
INCIDENTS: tuple[Incident, ...] = (
    I("heat_region", "southeast", base=True, end_at=815),
    I("rain_region", "northeast", base=True, label="rain", steps_at=(95, 610), end_at=745),
    I("ozone_region", "southwest", base=True, end_at=560),
    I("roadwork", "naebu_seongbuk", {"dir": "성산 방향", "dire": "towards Seongsan"}, base=True),
    I("water_work", "teheran", base=True),
    I("festival", "sejong_jongno", base=True),
    I("congestion", "gangbyeon_seongdong", {"dir": "구리 방향", "dire": "towards Guri"}, base=True),
    I("noise_construction", "mokdong", base=True),
    I("parking_alley", "hongdae", base=True),
    I("streetlight", "gupabal", base=True),
    I("waste_food", "myeonmok", base=True),
    I("pothole", "hwagok", base=True),
    I("cooling_shelter", "gu:11740", base=True),
    I("power_big", "sanggye", {"n": "1,200", "n2": "380"}, base=True),
    I("multi_crash", "olympic_yeouido", WEST, base=True),
    I("subway_delay", "gurodigital", {"line": "2호선", "linee": "Line 2", "cause": "출입문 고장",
                                      "causee": "a door fault", "dir": "신도림 방향",
                                      "dire": "towards Sindorim"}, base=True),
    I("odor_sewer", "bongcheon", base=True),
    I("heavy_rain_cbs", "suyu", {"mm": "30"}, base=True, refs=("rain",)),
    I("water_leak", "myeongdong", {"n": "45"}, base=True),
    I("fence", "itaewon", base=True),
    I("dumping", "doksan", base=True),
    I("boar", "jeongneung", base=True),
    # -- live part of the loop
    I("crash_point", "cheongnyangni"),
    I("noise_speaker", "konkuk"),
    I("stream_closure", "ssangmun", {"stream": "우이천", "streame": "Ucheon stream"},
      refs=("rain",)),
    I("tree_down", "bulgwang"),
    I("parking_school", "daechi"),
    I("quake_felt", "dobongsan"),
    I("fire_house", "eungam"),
    I("underpass", "jangan", refs=("rain",)),
    I("flood_road", "dongbu_ddm", {**JUNGNANG, "detour": "왕산로, 천호대로",
                                   "detoure": "Wangsan-ro, Cheonho-daero"}, refs=("rain",)),
    I("congestion", "gangbyeon_mapo", WEST),
    I("streetlight", "gongneung"),
    I("landslide", "uidong", refs=("rain",)),
    I("bus_detour", "dobong_gangbuk", refs=("rain",)),
    I("pothole", "sangdo"),
    I("fire_factory", "gasan"),
    I("fire_building", "ydpstation"),
    I("han_flood", "ichon", label="han"),
    I("jamsugyo", "jamsugyo", refs=("han",)),
    I("crash_minor", "cheonho_gangdong", CITY),
    I("noise_construction", "seocho"),
    I("heat_illness", "garak"),
    I("water_leak", "wangsimni", {"n": "120"}),
    I("missing", "mangu"),
    I("subway_delay", "changdong", {"line": "1호선", "linee": "Line 1", "cause": "선로 침수 점검",
                                    "causee": "a flooded-track inspection", "dir": "상하행",
                                    "dire": "in both directions"}, refs=("rain",)),
    I("parking_hydrant", "sinjeong"),
    I("sidewalk", "hyehwa"),
    I("odor_sewer", "mullae"),
    I("multi_crash", "olympic_jamsil", {"dir": "하남 방향", "dire": "towards Hanam"}),
    I("power_small", "dmc"),
    I("fire_kitchen", "jongno3"),
    I("stream_closure", "sillim", {"stream": "도림천", "streame": "Dorimcheon stream"}),
    I("waste_food", "amsa"),
    I("debris", "siheung_gc", {"dir": "안양 방향", "dire": "towards Anyang"}),
    I("crash_minor", "gyeongin_guro", {"dir": "부천 방향", "dire": "towards Bucheon"}),
    I("stray_dog", "boramae"),
    I("congestion", "gonghang_gangseo", WEST),
    I("heavy_rain_cbs", "junggye", {"mm": "50"}, refs=("rain",)),
    I("wall", "heukseok"),
    I("manhole_work", "sejong_jung"),
    I("parking_alley", "munjeong"),
    I("streetlight", "godeok"),
    I("pothole", "yangjae"),
    I("subway_delay", "terminal", {"line": "9호선", "linee": "Line 9", "cause": "차량 고장",
                                   "causee": "a train fault", "dir": "중앙보훈병원 방향",
                                   "dire": "eastbound"}),
    I("waste_recycle", "sungshin"),
    I("bus_crash", "wangsan_ddm", CITY),
    I("ozone_station", "gcoffice"),
    I("sink", "mokdong"),
    I("stream_closure", "hongje", {"stream": "홍제천", "streame": "Hongjecheon stream"}),
    I("dumping", "balsan"),
    I("noise_busking", "yonseiro"),
    I("crash_minor", "nambu_gwanak", {"dir": "사당 방향", "dire": "towards Sadang"}),
    I("congestion", "tongil_eunpyeong", CITY),
    I("gas_smell", "gireum"),
    I("signal_out", "gildong"),
    I("sign", "namdaemun"),
    I("water_pool", "olympic_dongjak"),
    I("crash_point", "childpark"),
    I("parking_hydrant", "samseong"),
    I("banner", "dangsan"),
    I("noise_speaker", "gocheok"),
    I("streetlight", "hannam"),
)


# ------------------------------------------------------------------------------------ building


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; milliseconds only when the time has them."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def at_time(t: float) -> datetime:
    return START + timedelta(milliseconds=round(t * 1000))


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


@dataclass
class Plan:
    """When one incident opens, changes and closes, in seconds from the loop start."""

    opens: float
    ends: float
    steps: list[float]
    sent_at: datetime


def plan_incidents(rng: random.Random) -> list[Plan]:
    """Baseline in the first 30 s, then one every ~8-19 s; everything closes by LAST_END."""
    baseline = [inc for inc in INCIDENTS if inc.base]
    live = [inc for inc in INCIDENTS if not inc.base]
    opens: list[float] = []
    for i in range(len(baseline)):
        opens.append(0.4 + i * 28.5 / len(baseline) + rng.uniform(0.0, 0.9))
    t = 34.0
    for _ in live:
        opens.append(t)
        t += rng.uniform(8.0, 19.0)
    # Baseline incidents without a fixed end close in a spread-out order over the loop.
    free = [i for i, inc in enumerate(INCIDENTS) if inc.base and inc.end_at is None]
    rng.shuffle(free)
    slots = [130 + k * (600 / max(1, len(free) - 1)) for k in range(len(free))]
    base_end = {i: slot + rng.uniform(-12, 12) for i, slot in zip(free, slots, strict=True)}
    plans: list[Plan] = []
    for i, (inc, opened) in enumerate(zip(INCIDENTS, opens, strict=True)):
        tpl = TEMPLATES[inc.template]
        if inc.end_at is not None:
            ends = inc.end_at
        elif inc.base:
            ends = base_end[i]
        else:
            ends = opened + rng.uniform(*tpl.duration)
            if ends > LAST_END - 3:  # squeeze late incidents so the loop still ends empty
                ends = max(opened + 25, opened + (LAST_END - 3 - opened) * rng.uniform(0.45, 1.0))
        if i == len(INCIDENTS) - 1:
            ends = LAST_END  # the very last close empties the board just before the loop ends
        ends = min(ends, LAST_END)
        if inc.steps_at:
            steps = list(inc.steps_at)
        else:
            n = len(tpl.steps)
            span = ends - opened
            steps = [opened + span * (k + 1) / (n + 1) + rng.uniform(-0.08, 0.08) * span / (n + 1)
                     for k in range(n)]
        if inc.base:  # issued before the loop: standing alerts and works long ago, others lately
            lead = rng.randint(60, 170) if tpl.standing else rng.randint(3, 20)
            sent = whole_seconds(START - timedelta(minutes=lead))
        else:
            sent = whole_seconds(at_time(opened) - timedelta(seconds=rng.uniform(1.0, 6.0)))
        plans.append(Plan(opened, ends, steps, sent))
    return plans


def jitter_point(rng: random.Random, district: District, lon: float, lat: float,
                 radius: float) -> Pos:
    """A point near (lon, lat) that is inside the district; re-drawn until it is."""
    for _ in range(500):
        x = lon + rng.uniform(-radius, radius) * 1.26  # a degree of lon is shorter at 37.5°N
        y = lat + rng.uniform(-radius, radius)
        if contains(district, x, y):
            return (round(x, 6), round(y, 6))
    raise ValueError(f"no point found inside {district.name_en} near {lon}, {lat}")


def representative(geometry: dict[str, Any]) -> Pos:
    """Same rule as server.stream.events.representative_point, for the shapes used here."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return (coords[0], coords[1])
    if geometry["type"] == "LineString":
        mid = coords[len(coords) // 2]
        return (mid[0], mid[1])
    ring = coords[0][:-1]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    return (round(lon, 6), round(lat, 6))


@dataclass
class Where:
    district: str
    geometry: dict[str, Any]
    fmt: dict[str, str]
    area_desc: str
    area_desc_en: str


def locate(rng: random.Random, districts: dict[str, District], inc: Incident) -> Where:
    """Geometry, district and the place words the templates need."""
    if inc.where in REGIONS:
        region = REGIONS[inc.where]
        ring = region_outline(districts, region.codes)
        geometry: dict[str, Any] = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
        code = district_at(districts, *representative(geometry))
        if code is None or code not in region.codes:
            raise ValueError(f"the middle of {region.en} is not inside the region")
        names_ko = "·".join(districts[c].name_ko for c in region.codes)
        names_en = ", ".join(districts[c].name_en for c in region.codes)
        fmt = {"r": region.ko, "re": region.en, "gus": names_ko, "guse": names_en}
        area = f"서울특별시 {region.ko.removeprefix('서울 ')} ({names_ko})"
        return Where(code, geometry, fmt, area, f"{region.en} ({names_en})")
    if inc.where in ROADS:
        road = ROADS[inc.where]
        district = districts[road.district]
        geometry = {"type": "LineString", "coordinates": [list(p) for p in road.path]}
        fmt = {"road": road.ko, "roade": road.en, "section": road.section_ko,
               "sectione": road.section_en, "p": f"{road.ko} {road.section_ko}",
               "pe": f"{road.en} ({road.section_en})"}
        area = f"서울특별시 {district.name_ko} {road.ko} {road.section_ko}"
        area_en = f"{road.en} ({road.section_en}), {district.name_en}, Seoul"
    elif inc.where.startswith("gu:"):  # a district-wide notice sits near the district centroid
        district = districts[inc.where.removeprefix("gu:")]
        point = jitter_point(rng, district, *district.centroid, 0.003)
        geometry = {"type": "Point", "coordinates": list(point)}
        fmt = {"p": district.name_ko, "pe": district.name_en}
        area = f"서울특별시 {district.name_ko} 전역"
        area_en = f"all of {district.name_en}, Seoul"
    else:
        place = PLACES[inc.where]
        district = districts[place.district]
        point = jitter_point(rng, district, place.lon, place.lat, 0.0015)
        geometry = {"type": "Point", "coordinates": list(point)}
        fmt = {"p": place.ko, "pe": place.en}
        area = f"서울특별시 {district.name_ko} {place.ko} 일대"
        area_en = f"around {place.en}, {district.name_en}, Seoul"
    fmt |= {"gu": district.name_ko, "gue": district.name_en}
    return Where(district.code, geometry, fmt, area, area_en)


Adder = Callable[[float, str, dict[str, Any]], None]


@dataclass(order=True)
class Entry:
    t: float
    order: int
    type: str = field(compare=False)
    body: dict[str, Any] = field(compare=False)


def build(districts: dict[str, District]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The whole recording: header and entries, from the fixed seed only."""
    rng = random.Random(SEED)
    plans = plan_incidents(rng)
    counters: Counter[str] = Counter()
    ids: dict[str, str] = {}
    entries: list[Entry] = []
    order = 0

    def add(t: float, type_: str, body: dict[str, Any]) -> None:
        nonlocal order
        order += 1
        entries.append(Entry(t, order, type_, body))

    for number, (inc, plan) in enumerate(zip(INCIDENTS, plans, strict=True), start=1):
        tpl = TEMPLATES[inc.template]
        where = locate(rng, districts, inc)
        counters[tpl.category] += 1
        event_id = f"demo:{tpl.category.replace('_', '-')}-{number:04d}"
        if inc.label:
            ids[inc.label] = event_id
        end_moment = whole_seconds(at_time(plan.ends))
        fmt = {**where.fmt, **inc.params}
        title_ko, title_en = tpl.title_ko.format(**fmt), tpl.title_en.format(**fmt)
        desc_ko, desc_en = tpl.desc_ko.format(**fmt), tpl.desc_en.format(**fmt)
        severity = tpl.severity
        changes = [(t, step, "active") for t, step in zip(plan.steps, tpl.steps, strict=True)]
        changes.append((plan.ends, tpl.end, tpl.end_status))
        updated = plan.sent_at
        timeline = [(plan.opens, None, "active"), *changes]
        for version, (t, step, status) in enumerate(timeline, start=1):
            moment = at_time(t)
            if step is not None:
                # Numbered like Korean situation reports (2보, 3보), not clock times: the
                # player shifts every time to "now", and text cannot follow.
                desc_ko += f"\n[{version}보] {step.ko.format(**fmt)}"
                desc_en += f"\n[Update {version}] {step.en.format(**fmt)}"
                severity = step.severity or severity
                if step.title_ko and step.title_en:
                    title_ko, title_en = step.title_ko.format(**fmt), step.title_en.format(**fmt)
                updated = max(updated + timedelta(seconds=1),
                              whole_seconds(moment - timedelta(seconds=rng.uniform(0.5, 4.0))))
            body: dict[str, Any] = {
                "event_id": event_id,
                "version": version,
                "source": "demo",
                "kind": tpl.kind,
                "category": f"{tpl.kind}.{tpl.category}",
                "severity": severity,
                "status": status,
                "title": title_ko,
                "description": desc_ko,
                "translations": {
                    "en": {
                        "title": title_en,
                        "description": desc_en,
                        "area_desc": where.area_desc_en,
                    }
                },
                "geometry": where.geometry,
                "point": list(representative(where.geometry)),
                "district": where.district,
                "area_desc": where.area_desc,
                "sent_at": iso(plan.sent_at),
                "updated_at": iso(updated),
            }
            if tpl.expires:
                body["expires_at"] = iso(end_moment)
            body["received_at"] = iso(moment)
            if inc.refs:
                body["refs"] = [ids[label] for label in inc.refs]
            body["extra"] = {"synthetic": True}
            add(t, "event", body)
        add_actions(rng, add, event_id, tpl, districts[where.district].name_ko, plan)

    entries.sort()
    out: list[dict[str, Any]] = []
    for seq, entry in enumerate(entries, start=1):
        out.append({"seq": seq, "epoch": "demo", "at": iso(at_time(entry.t)), "type": entry.type,
                    "body": entry.body})
    header = {
        "format": "cityboard-recording",
        "format_version": 1,
        "city": "Seoul",
        "timezone": "Asia/Seoul",
        "stream": "demo",
        "epoch": "demo",
        "start": iso(START),
        "end": iso(START + timedelta(seconds=LOOP_SECONDS)),
        "entries": len(out),
        "synthetic": True,
        "description": "Synthetic 15-minute Seoul demo loop (a wet, hot July afternoon): fictional "
        "disasters, traffic and civil complaints across all 25 districts. No event is real.",
    }
    return header, out


def add_actions(rng: random.Random, add: Adder, event_id: str, tpl: Template, gu: str,
                plan: Plan) -> None:
    """Operator ack/assign/note/resolve a minute or two after an incident opens, by severity."""
    odds = {"extreme": (1.0, 1.0, 1.0), "severe": (1.0, 1.0, 0.9),
            "moderate": (0.75, 0.55, 0.4), "minor": (0.5, 0.35, 0.15), "info": (0.15, 0.0, 0.0)}
    p_ack, p_assign, p_note = odds[tpl.severity]
    actor = rng.choice(OPERATORS)
    latest = plan.ends - 8
    t = plan.opens + (rng.uniform(15, 45) if p_note > 0.5 else rng.uniform(35, 110))

    def act(name: str, when: float, data: dict[str, Any]) -> None:
        moment = at_time(when)
        add(when, "action", {"action": name, "event_id": event_id, "actor": actor,
                             "at": iso(moment), "data": data})

    if rng.random() >= p_ack or t > latest:
        return
    act("ack", t, {})
    if rng.random() < p_assign and (t := t + rng.uniform(12, 45)) <= latest:
        officer = f"{gu} {tpl.team} {rng.choice(OFFICERS)} 주무관"
        act("assign", t, {"to": officer})
    notes = tpl.notes or ("현장 확인 요청", "구청 당직실 통보 완료", "유관기관 상황 공유 완료")
    if rng.random() < p_note and (t := t + rng.uniform(20, 70)) <= latest:
        act("note", t, {"text": rng.choice(notes)})
    wants_resolve = 0.6 if tpl.kind == "complaint" else 0.2
    if rng.random() < wants_resolve and plan.ends - 4 > t + 2:
        act("resolve", plan.ends - rng.uniform(2, 4), {})


def write(path: Path) -> None:
    districts = load_districts()
    header, entries = build(districts)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for obj in [header, *entries]:
            fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(entries)} entries, {path.stat().st_size:,} bytes)")


# ----------------------------------------------------------------------------------- checking


def check(path: Path) -> None:
    """Validate the file against server.stream.events and print the figures reviewers ask for."""
    districts = load_districts()
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "cityboard-recording" and header["format_version"] == 1
    assert header["entries"] == len(lines) - 1, "header entry count is wrong"
    start = datetime.fromisoformat(header["start"])
    end = datetime.fromisoformat(header["end"])
    last_version: dict[str, int] = {}
    last_status: dict[str, Status] = {}
    kinds: dict[str, str] = {}
    per_district: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    active: set[str] = set()
    curve: list[tuple[float, int]] = []
    previous = start
    for seq, line in enumerate(lines[1:], start=1):
        entry = json.loads(line)
        assert entry["seq"] == seq, f"seq {entry['seq']} where {seq} was expected"
        assert entry["epoch"] == "demo"
        at = datetime.fromisoformat(entry["at"])
        assert previous <= at <= end, f"seq {seq}: at goes backwards or past the end"
        previous = at
        if entry["type"] == "event":
            event = Event.model_validate(entry["body"])
            assert event.received_at == at and event.source == "demo"
            assert event.extra.get("synthetic") is True
            assert set(event.translations) == {"en"} and event.translations["en"].area_desc
            assert event.version == last_version.get(event.event_id, 0) + 1, event.event_id
            if event.version > 1:
                assert last_status[event.event_id] == Status.ACTIVE, "update after the end"
            last_version[event.event_id] = event.version
            last_status[event.event_id] = event.status
            assert event.district is not None and event.geometry is not None
            lon, lat = representative_point(event.geometry)
            assert event.point == (lon, lat)
            assert contains(districts[event.district], lon, lat), f"{event.event_id} outside"
            if event.geometry.type == "Point" or event.geometry.type == "LineString":
                for pos in (event.geometry.coordinates if event.geometry.type == "LineString"
                            else [event.geometry.coordinates]):
                    assert district_at(districts, pos[0], pos[1]), "vertex outside Seoul"
            if event.version == 1:
                kinds[event.event_id] = event.kind.value
                per_district[event.district] += 1
            if event.status == Status.ACTIVE:
                active.add(event.event_id)
            else:
                active.discard(event.event_id)
            curve.append(((at - start).total_seconds(), len(active)))
        else:
            assert entry["type"] == "action"
            action = Action.model_validate(entry["body"])
            assert action.at == at and action.event_id in active, f"seq {seq}: stray action"
            actions[action.action.value] += 1
    assert all(s != Status.ACTIVE for s in last_status.values()), "an incident never ends"
    assert set(per_district) == set(districts), "a district has no incident"
    loop = (end - start).total_seconds()
    peak = max(n for _, n in curve)
    middle = [n for t, n in curve if 30 <= t <= loop - 20]
    assert min(middle) > 0, "the board empties before the last 20 s"
    assert curve[-1][1] == 0, "the loop does not end with an empty board"
    empty_from = next(t for t, n in curve if t > 30 and n == 0)

    def active_at(moment: float) -> int:
        return [n for t, n in curve if t <= moment][-1] if curve[0][0] <= moment else 0
    size = path.stat().st_size
    print(f"{path.name}: {len(lines) - 1} entries, {size:,} bytes, "
          f"{(end - start).total_seconds():.0f} s loop")
    print(f"  events {sum(last_version.values())} versions of {len(last_version)} incidents; "
          f"actions {sum(actions.values())} {dict(sorted(actions.items()))}")
    print(f"  incidents per kind: {dict(sorted(Counter(kinds.values()).items()))}")
    names = {code: d.name_en for code, d in districts.items()}
    print("  incidents per district: "
          + ", ".join(f"{names[c]} {per_district[c]}" for c in sorted(per_district)))
    steady = [n for t, n in curve if 30 <= t <= 780]
    print(f"  active: max {peak}; {min(steady)}-{max(steady)} from 30 s to 780 s; "
          f"empty from {empty_from:.1f} s")
    print("  active by time: " + ", ".join(f"{m}s {active_at(m)}" for m in range(30, 901, 60)))
    print("  ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only validate the existing file")
    args = parser.parse_args()
    if not args.check:
        write(OUT)
    check(OUT)


if __name__ == "__main__":
    main()
