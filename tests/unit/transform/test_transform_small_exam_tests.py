"""The exam marts' integrity and value tests hold for an exam sat by fewer than min_cell
students, which exam_summary publishes without its figures (suppressed), and still fail
on a real disagreement. Run by dbt on a probe project: the project's two singular tests
over hand-made student_exam and exam_summary tables."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

sys.path.insert(0, str(Path(__file__).parent))
from dbt_probe import make_probe  # noqa: E402

TESTS = {"exam_summary_matches_student_exam": "integrity", "exam_z_scores_standardised": "value"}
# big: 12 students, standardised; small: 3 students, suppressed in exam_summary;
# bad_mean: exam_summary's mean is off by 1; bad_z: z-scores shifted by 0.5
STUDENT_EXAM = """
with s as (
    select 'big' as exam_id, i as k, cast(40 + 5 * i as double) as score from range(12) t(i)
    union all select 'small', i, cast(50 + 10 * i as double) from range(3) t(i)
    union all select 'bad_mean', i, cast(60 + i as double) from range(12) t(i)
    union all select 'bad_z', i, cast(30 + 2 * i as double) from range(12) t(i)
)
select exam_id, 'k' || k as student_key, score,
    (score - avg(score) over w) / stddev_pop(score) over w + case when exam_id = 'bad_z' then 0.5 else 0 end as z_score
from s window w as (partition by exam_id)
"""
EXAM_SUMMARY = """
select exam_id, count(*) as students_present,
    avg(score) + case when exam_id = 'bad_mean' then 1 else 0 end as mean_score,
    stddev_pop(score) as sd_score, false as suppressed
from {{ ref('student_exam') }} where exam_id <> 'small' group by exam_id
union all
select 'small', null, null, null, true
"""


def test_a_suppressed_small_exam_passes_and_a_real_disagreement_fails(tmp_path):
    probe = make_probe(tmp_path, "exam_probe")
    for name, folder in TESTS.items():
        shutil.copy(DBT_PROJECT_DIR / "tests" / folder / f"{name}.sql", probe.project / "tests")
    (probe.project / "models" / "student_exam.sql").write_text(STUDENT_EXAM)
    (probe.project / "models" / "exam_summary.sql").write_text(EXAM_SUMMARY)
    status, output = probe.run("run", "test")  # a build would skip exam_summary after the first failing test
    # one failing exam each: the mean off by one, the shifted z-scores; the small one neither
    assert status == {"exam_summary_matches_student_exam": ("fail", 1),
                      "exam_z_scores_standardised": ("fail", 1)}, output
    assert probe.failing_rows("exam_summary_matches_student_exam", "select exam_id from {t}") == [("bad_mean",)]
    assert probe.failing_rows("exam_z_scores_standardised", "select exam_id from {t}") == [("bad_z",)]
