"""The reporting building blocks: SVG charts, message catalogues, definitions, CLI."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from orchestration.pages.i18n import I18N_DIR
from orchestration.reporting import svg

ROOT = Path(__file__).resolve().parents[3]


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag.endswith("svg") and root.get("viewBox")
    return root


def test_charts_are_well_formed_svg_and_tolerate_missing_values():
    nan = float("nan")
    parse(svg.bar_chart(["a", "b<c", "d"], [1.0, None, nan], "bars & more", unit="%", reference=0.5, reference_label="ref"))
    parse(svg.histogram(["<60%", "≥90%"], [3, None], "hist"))
    parse(svg.line_chart(["x1", "x2", "x3"], [("s", [1.0, None, 2.0]), ("t", [nan, nan, nan])], "lines"))
    parse(svg.radar_chart(list("ABCDEFGHI"), [("s", [0.1, 0.5, None, 1, 0.2, 0.3, 0.4, 0.5, 0.6])], "radar"))
    parse(svg.heat_map(["r1", "r2"], ["c1", "c2"], [[0.5, None], [nan, -0.2]], "heat", lo=-1, hi=1))
    parse(svg.line_chart([], [], "empty"))
    parse(svg.bar_chart([], [], "empty"))


def test_axis_labels_turn_rather_than_overlap_and_are_never_cut():
    """Labels that fit their spacing stay horizontal; wider ones (CJK exam names) turn 40°;
    the last x label and the heat map's turned heads stay inside the drawing."""
    import re
    import xml.etree.ElementTree as ET

    from orchestration.reporting import svg

    short = svg.line_chart(["10-01", "10-02", "10-03"], [("a", [1, 2, 3])], "t")
    assert "rotate(" not in short
    names = [f"高三数学第{i}次模拟考试" for i in range(1, 7)]
    long = svg.line_chart(names, [("a", [1, 2, 3, 4, 5, 6])], "t")
    assert long.count("rotate(-40") == len(names)
    heads = svg.heat_map(["第一中学"], names[:4], [[0.1, 0.2, None, 0.3]], "t")
    assert heads.count("rotate(-40") == 4
    for drawing in (short, long, heads):
        root = ET.fromstring(drawing)
        width = float(root.get("width") or root.get("viewBox").split()[2])
        xs = [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="middle"', drawing)]
        assert all(x <= width for x in xs)
    dated = svg.line_chart(["2021-11-10", "2022-01-12"], [("a", [1, 2])], "t")
    width = float(ET.fromstring(dated).get("width") or ET.fromstring(dated).get("viewBox").split()[2])
    last_x = float(re.findall(r'<text x="([\d.]+)"[^>]*>2022-01-12<', dated)[0])
    assert last_x + 3 * 10 <= width  # half of "2022-01-12" at 10 px fits right of its centre


def test_bars_scale_to_their_values():
    root = parse(svg.bar_chart(["a", "b"], [50, 100], "t", max_value=100))
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[1] == 2 * widths[0]


def test_radar_has_one_polygon_per_series_plus_rings():
    root = parse(svg.radar_chart(list("ABC"), [("s", [1, 1, 1]), ("t", [0.5, 0.5, 0.5])], "r"))
    polys = list(root.iter("{http://www.w3.org/2000/svg}polygon"))
    assert len(polys) == 4 + 2


def test_a_radar_draws_no_missing_ability_as_zero_and_anchors_labels_outward():
    """The reports probe: an ability without items sat at the centre (a 0 % score), and
    long English labels, centred on their point, ran into the chart and each other."""
    ns = "{http://www.w3.org/2000/svg}"
    axes = [f"{a} a long ability label" for a in ("A1", "A2", "A3", "B1")]
    root = parse(svg.radar_chart(axes, [("math", [0.5, None, 1.0, 0.25])], "r"))
    outline = [p for p in root.iter(f"{ns}polygon") if p.get("fill") != "none"][0]
    points = [tuple(map(float, xy.split(","))) for xy in outline.get("points").split()]
    assert len(points) == 3 and len(list(root.iter(f"{ns}circle"))) == 3
    centre = (300.0, 165.0)
    assert centre not in points
    labels = {t.text: t for t in root.iter(f"{ns}text") if t.text and t.text.startswith(("A", "B"))}
    assert "A2 a long ability label —" in labels and labels["A2 a long ability label —"].get("fill")
    # right of the centre a label starts at its point, left of it ends there, above it is centred
    assert labels["A1 a long ability label"].get("text-anchor") == "middle"
    assert labels["A2 a long ability label —"].get("text-anchor") == "start"
    assert labels["B1 a long ability label"].get("text-anchor") == "end"


def test_catalogues_have_the_same_keys_and_every_used_key():
    from orchestration.governance.policy import checks

    zh = yaml.safe_load((I18N_DIR / "zh.yaml").read_text(encoding="utf-8"))
    en = yaml.safe_load((I18N_DIR / "en.yaml").read_text(encoding="utf-8"))
    # the audit's check texts: English in the role policy (their one home), translated in
    # the Chinese catalogue, one title and one fix for every check the policy has
    translated = {k for k in zh if k.startswith("audit.check.")}
    assert translated == {f"audit.check.{c}.{f}" for c in checks() for f in ("title", "fix")}
    assert set(zh) - translated == set(en)
    sources = [*(ROOT / "orchestration" / "reporting").glob("*.py"), *(ROOT / "reports" / "templates").glob("*.html")]
    used = set()
    for path in sources:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    assert used and not (used - set(zh)), sorted(used - set(zh))
    for key, text in ((k, v) for k, v in zh.items() if k not in translated):  # placeholders agree
        assert set(re.findall(r"{(\w+)}", str(text))) == set(re.findall(r"{(\w+)}", str(en[key]))), key


def test_definitions_expose_one_asset_per_role_and_the_index():
    import dagster as dg

    from orchestration.reporting.definitions import defs
    from orchestration.reporting.scopes import ROLES
    from orchestration.resources import default_resources

    merged = dg.Definitions.merge(defs, dg.Definitions(resources=default_resources()))
    graph = merged.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"reports/{r}" for r in ROLES} | {"reports/index"} <= keys
    node = graph.get(dg.AssetKey(["reports", "district_admin"]))
    assert dg.AssetKey(["marts", "usage_monthly"]) in node.parent_keys
    assert node.group_name == "reports"


def test_cli_renders_sample_lake_in_english(tmp_path):
    from orchestration.cli import main

    assert main(["sample-marts", "--lake", str(tmp_path)]) == 0
    assert main(["report", "--lake", str(tmp_path), "--role", "city_admin", "--workers", "1", "--lang", "en"]) == 0
    html = (tmp_path / "reports" / "city_admin" / "city-1.html").read_text(encoding="utf-8")
    assert "districts compared" in html and "Student online rate" in html
    assert (tmp_path / "reports" / "index.html").exists()


def test_an_english_edition_links_an_english_audit_page(tmp_path):
    """The reports probe: after `report --lang en` the index linked the audit page as the
    last audit wrote it, in Chinese."""
    from orchestration.cli import main

    assert main(["sample-marts", "--lake", str(tmp_path)]) == 0
    main(["audit", "--lake", str(tmp_path)])  # exit 1 with critical findings: the page is written either way
    page = tmp_path / "reports" / "governance" / "governance_audit.html"
    assert "数据使用审计" in page.read_text(encoding="utf-8")
    assert main(["report", "--lake", str(tmp_path), "--role", "district_admin", "--workers", "1", "--lang", "en"]) == 0
    html = page.read_text(encoding="utf-8")
    assert "Governance audit" in html and "数据使用审计" not in html


def test_a_report_cannot_state_another_minimum_cell_than_the_marts(tmp_path, monkeypatch, capsys):
    """The marts hide groups below the lake's EDUHOUSE_MIN_CELL; `report --min-cell` with
    another value is refused in one line (its pages would state a rule not applied)."""
    from orchestration.cli import main

    monkeypatch.delenv("EDUHOUSE_MIN_CELL", raising=False)
    assert main(["sample-marts", "--lake", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["report", "--lake", str(tmp_path), "--role", "city_admin", "--min-cell", "20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "minimum cell 10" in err[0] and "EDUHOUSE_MIN_CELL" in err[0], err
    assert not (tmp_path / "reports" / "city_admin").exists()
    assert main(["report", "--lake", str(tmp_path), "--role", "city_admin", "--workers", "1",
                 "--min-cell", "10"]) == 0


def test_psych_shows_only_when_the_policy_allows(tmp_path, monkeypatch):
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting import data as data_module
    from orchestration.reporting.data import load_report_data
    from orchestration.reporting.render import render_reports

    build_sample_lake(tmp_path)
    page = tmp_path / "reports" / "head_teacher" / "sch-1-hr-07-1.html"
    # The policy says no: the head teacher's page has no psych section.
    monkeypatch.setattr(data_module, "allows", lambda role, resource, purpose: False)
    data = load_report_data(tmp_path)
    assert not any(data.psych_allowed.values())
    render_reports(tmp_path, roles=("head_teacher",), workers=1, data=data)
    assert "心理健康筛查" not in page.read_text(encoding="utf-8")
    # The policy says yes for the head teacher's report purpose only.
    monkeypatch.setattr(data_module, "allows", lambda role, resource, purpose: (
        role == "head_teacher" and resource == "student_psych" and purpose == "pastoral_care"))
    data = load_report_data(tmp_path)
    assert data.psych_allowed["head_teacher"] and not data.psych_allowed["parent"]
    render_reports(tmp_path, roles=("head_teacher", "parent"), workers=1, data=data)
    assert "心理健康筛查" in page.read_text(encoding="utf-8")
    assert "心理" not in (tmp_path / "reports" / "parent" / "k0001.html").read_text(encoding="utf-8")


def test_asset_materializes_a_subset_with_metadata(tmp_path):
    import dagster as dg

    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting.assets import role_reports
    from orchestration.resources import LakeResource

    build_sample_lake(tmp_path)
    result = dg.materialize(
        [role_reports],
        resources={"lake": LakeResource(root=str(tmp_path))},
        selection=[dg.AssetKey(["reports", "principal"]), dg.AssetKey(["reports", "index"])],
    )
    assert result.success
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    assert set(mats) == {"reports/principal", "reports/index"}
    meta = mats["reports/principal"].materialization.metadata
    assert meta["pages"].value == 4
    assert Path(mats["reports/index"].materialization.metadata["index"].value).exists()


def test_indexed_slices_match_a_filter():
    import numpy as np
    import pandas as pd

    from orchestration.reporting.store import Indexed

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"k": rng.choice(list("abcdefgh"), 200), "v": np.arange(200)})
    ix = Indexed(frame, "k")
    for keys in (["a"], ["c", "a", "zz"], [], ["zz"], list("hgfedcba")):
        got = sorted(ix.get_many(keys).v.tolist())
        assert got == sorted(frame[frame.k.isin(keys)].v.tolist())
    cols = ix.cols("b", ("v",))
    assert sorted(cols["v"].tolist()) == sorted(frame[frame.k == "b"].v.tolist())
    assert len(ix.cols("zz", ("v", "missing"))["missing"]) == 0


def test_an_empty_section_says_why(tmp_path):
    """A section with nothing to show says why: its mart is not built yet, or the mart has
    nothing for this scope (in the mart's own terms), never a bare 'no data'."""
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.pages.i18n import load_catalogue
    from orchestration.reporting.render import render_reports

    build_sample_lake(tmp_path)
    (tmp_path / "restricted" / "student_fitness.parquet").unlink()
    (tmp_path / "marts" / "student_ability.parquet").unlink()
    render_reports(tmp_path, roles=("student", "parent"), workers=1)
    zh = load_catalogue("zh")
    student = (tmp_path / "reports" / "student" / "k0001.html").read_text(encoding="utf-8")
    parent = (tmp_path / "reports" / "parent" / "k0001.html").read_text(encoding="utf-8")
    assert zh["msg.mart_missing"].format(mart="student_ability") in student
    assert zh["msg.mart_missing"].format(mart="student_fitness") in parent
    assert zh["msg.no_data"] not in student + parent


def test_only_pages_whose_inputs_changed_are_written_again(tmp_path):
    """A page's file is rewritten only when the digest of its inputs changes; what is
    kept is still exactly what a render from scratch writes."""
    import shutil

    import duckdb

    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting.render import render_reports

    lake = build_sample_lake(tmp_path / "lake")
    roles = ("teacher", "head_teacher", "grade_leader", "principal")
    first = render_reports(lake, roles=roles, workers=1)
    assert first.rendered > 5 and first.unchanged == 0
    files = {p.relpath: lake / "reports" / p.relpath for p in first.pages}
    stamps = {rel: f.stat().st_mtime_ns for rel, f in files.items()}
    again = render_reports(lake, roles=roles, workers=1)
    assert again.unchanged == again.rendered == first.rendered
    assert {rel: f.stat().st_mtime_ns for rel, f in files.items()} == stamps

    # one homeroom's engagement changes: its pages are written again, the others kept
    mart = lake / "marts" / "class_engagement.parquet"
    con = duckdb.connect()
    homeroom = con.execute(f"select class_sourced_id from '{mart}' where class_type = 'homeroom' "
                           f"order by 1 limit 1").fetchall()[0][0]
    con.execute(f"copy (select * replace (case when class_sourced_id = ? then mean_active_days + 1 "
                f"else mean_active_days end as mean_active_days) from '{mart}') to '{tmp_path}/ce.parquet' "
                f"(format parquet)", [homeroom])
    shutil.move(tmp_path / "ce.parquet", mart)
    third = render_reports(lake, roles=roles, workers=1)
    written = {p.relpath for p in third.pages if p.written}
    assert f"head_teacher/{homeroom}.html" in written and 0 < len(written) < len(third.pages)

    # the pages kept and the pages rewritten are those a render from scratch writes
    _assert_as_rendered_from_scratch(lake, tmp_path / "fresh", roles,
                                     [lake / "reports" / p.relpath for p in third.pages])


def _assert_as_rendered_from_scratch(lake, fresh, roles, files) -> None:
    """``files`` of ``lake`` are what a render of the same marts into a new lake writes,
    but for the generation time."""
    from orchestration.reporting.render import render_reports

    fresh.mkdir()
    for folder in ("marts", "restricted"):
        (fresh / folder).symlink_to(lake / folder)
    render_reports(fresh, roles=roles, workers=1)
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    for path in files:
        kept = path.read_text(encoding="utf-8")
        assert stamp.sub("", kept) == stamp.sub("", (fresh / path.relative_to(lake)).read_text(encoding="utf-8")), path


def test_the_manifest_holds_every_field_of_a_page_but_this_runs_written():
    """pages.json is written field by field (MANIFEST_FIELDS, not dataclasses.asdict):
    a field added to PageResult must be added there too, or the manifest would lose it."""
    from dataclasses import fields

    from orchestration.reporting.render import MANIFEST_FIELDS, PageResult

    assert MANIFEST_FIELDS == tuple(f.name for f in fields(PageResult) if f.name != "written")


def test_a_change_of_the_inlined_style_sheet_renders_every_page_again(tmp_path, monkeypatch):
    """Every page inlines reports/static/report.css: it is one of the inputs every page's
    digest holds, or a style fix would leave the unchanged pages in the old style."""
    import shutil
    from types import SimpleNamespace

    from orchestration.reporting import render

    static = tmp_path / "static"
    shutil.copytree(render.STATIC_DIR, static)
    monkeypatch.setattr(render, "STATIC_DIR", static)
    data = SimpleNamespace(as_of="2021-10-30", store=SimpleNamespace(missing=[]))
    before = render.templates_digest("zh", data)
    assert render.templates_digest("zh", data) == before
    css = static / "report.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.note { color: #333; }\n", encoding="utf-8")
    assert render.templates_digest("zh", data) != before


def test_index_pages_are_written_again_only_when_what_they_list_changed(tmp_path):
    """An index page whose inputs (links, texts, shared inputs) are unchanged keeps its
    file (index.py, _IndexWriter); the top index is written every time. What is kept is
    what a render from scratch writes, but for the generation time."""
    from eduhouse_dev.sample_lake import build_sample_lake
    from orchestration.reporting.render import render_reports

    lake = build_sample_lake(tmp_path / "lake")
    roles = ("teacher", "head_teacher", "principal")
    render_reports(lake, roles=roles, workers=1)
    reports = lake / "reports"
    indexes = sorted(p for p in reports.rglob("*.html") if p.parent.name == "orgs" or p.name == "index.html")
    role_indexes = [p for p in indexes if p.parent != reports and p.parent.name != "publication"]
    assert any(p.parent.name == "orgs" for p in role_indexes) and any(p.parent.name == "teacher" for p in role_indexes)
    stamps = {p: p.stat().st_mtime_ns for p in role_indexes}
    top = (reports / "index.html").stat().st_mtime_ns
    render_reports(lake, roles=roles, workers=1)
    assert {p: p.stat().st_mtime_ns for p in role_indexes} == stamps
    assert (reports / "index.html").stat().st_mtime_ns != top

    # a damaged digest file: every index is written again
    (reports / "indexes.json").write_text("{", encoding="utf-8")
    render_reports(lake, roles=roles, workers=1)
    assert all(p.stat().st_mtime_ns != stamps[p] for p in role_indexes)

    _assert_as_rendered_from_scratch(lake, tmp_path / "fresh", roles, indexes)


def test_data_are_dated_by_how_far_the_logs_go(tmp_path):
    """Pages say "数据截至" the last day the latest month's learning logs reach
    (usage_monthly.data_through), or the latest exam if later; not the month's last day,
    a date still to come for a month in progress. A mart built before the column falls
    back to the month's end."""
    import duckdb

    from orchestration.reporting.data import _as_of
    from orchestration.reporting.store import MartStore

    marts = tmp_path / "marts"
    marts.mkdir()
    usage = marts / "usage_monthly.parquet"
    duckdb.execute(f"""copy (select * from (values ('2021-09', date '2021-09-30'), ('2021-10', date '2021-10-18'))
                       t(month, data_through)) to '{usage}'""")
    assert str(_as_of(MartStore(tmp_path))) == "2021-10-18"
    duckdb.execute(f"copy (select 'e1' exam_id, date '2021-10-20' exam_date) to '{marts / 'exam_summary.parquet'}'")
    assert str(_as_of(MartStore(tmp_path))) == "2021-10-20"
    duckdb.execute(f"copy (select '2021-10' as month) to '{usage}'")
    (marts / "exam_summary.parquet").unlink()
    assert str(_as_of(MartStore(tmp_path))) == "2021-10-31"


def test_the_quality_map_cell_is_the_mean_z_of_the_schools_students_present_that_day():
    """A school sits one exam per grade on a day. Its cell is the mean z of all its students
    present, each exam weighted by its students: (0.3 × 100 + 0.0 × 50) / 150 = 0.2, where
    the plain mean of the grades' means said 0.15 (the reports probe). A cell with a
    suppressed exam is hidden whole: shown, the other exams' mean would tell it apart."""
    from types import SimpleNamespace

    import pandas as pd
    import pytest

    from orchestration.pages.i18n import Translator
    from orchestration.reporting.contexts.district import _quality_overview

    day, earlier = pd.Timestamp("2021-10-29"), pd.Timestamp("2021-10-08")
    qm = pd.DataFrame([
        # school, subject, exam, date, students, mean_z, suppressed
        ("s1", "A", "math", "m7", day, 100, 0.3, False),
        ("s1", "A", "math", "m8", day, 50, 0.0, False),
        ("s1", "A", "math", "m8-old", earlier, 80, -0.9, False),  # not the latest day
        ("s2", "B", "math", "m7", day, 40, 0.5, False),
        ("s2", "B", "math", "m8", day, 6, None, True),  # suppressed in the mart
        ("s2", "B", "chinese", "c8", day, 46, -0.25, False),
    ], columns=["school_sourced_id", "school_name", "subject", "exam_id", "exam_date", "students", "mean_z",
                "suppressed"])
    d = SimpleNamespace(quality_map=qm, min_cell=10, store=SimpleNamespace(missing=set()))
    _, shown = _quality_overview(Translator("en"), d, ["s1", "s2"])
    assert shown.loc["A", "math"] == pytest.approx(0.2)
    assert pd.isna(shown.loc["B", "math"])
    assert shown.loc["B", "chinese"] == pytest.approx(-0.25)


def test_one_of_an_english_count_unit_is_singular():
    """The reports probe counted "1 items" 530 times on English pages, and "1 people"."""
    from orchestration.reporting.components import cell

    assert cell(1, "int", "items").text == "1 item" and cell(1, "int", "people").text == "1 person"
    assert cell(2, "int", "items").text == "2 items" and cell(0, "int", "days").text == "0 days"
    assert cell(1, "int", "人").text == "1 人" and cell(1.0, "num1", "days").text == "1.0 days"


def test_a_message_of_one_is_singular_in_english():
    """The reports probe: "teaches 1 classes", "1 pages" on English pages."""
    from orchestration.pages.i18n import Translator

    en, zh = Translator("en"), Translator("zh")
    assert en("label.classes", n=1) == "teaches 1 class" and en("label.classes", n=2) == "teaches 2 classes"
    assert en("index.pages", n=1) == "1 page" and zh("index.pages", n=1) == zh("index.pages.one", n=1)
