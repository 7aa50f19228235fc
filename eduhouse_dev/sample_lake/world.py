"""The sample's world: a city of two districts and four schools (one, sch-3, with 6
students, small enough that its aggregates are suppressed), its subjects and session."""

from __future__ import annotations

ABILITIES = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3")
SESSION = "as-2021-autumn"
CITY = "city-1"
DISTRICTS = {"dist-1": "南湖区", "dist-2": "北山区"}
# school id: (name, district, segment, grade, homerooms (size each))
SCHOOLS = {
    "sch-1": ("第一中学", "dist-1", "junior", "07", (12, 13)),
    "sch-2": ("第二中学", "dist-1", "junior", "07", (15,)),
    "sch-3": ("实验高级中学", "dist-1", "senior", "10", (6,)),
    "sch-4": ("北山中学", "dist-2", "junior", "07", (11,)),
}
SUBJECTS = ("math", "chinese")
SUBJECT_CN = {"math": "数学", "chinese": "语文"}
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def copies_of(copies: int) -> dict:
    """The sample schools, repeated ``copies`` times (for timing renders at scale)."""
    if copies <= 1:
        return SCHOOLS
    return {f"{k}-{c}": (f"{v[0]}{c}", *v[1:]) for c in range(1, copies + 1) for k, v in SCHOOLS.items()}
