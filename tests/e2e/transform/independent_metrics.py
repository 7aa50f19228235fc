"""The usage and micro-test metrics recomputed from bronze with pandas, independently of
the dbt models (their SQL is not reused), to check the marts end to end."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

TZ = "Asia/Shanghai"
VERBS = {
    "login": "https://w3id.org/xapi/adl/verbs/logged-in",
    "viewed": "http://id.tincanapi.com/verb/viewed",
    "assign": "http://activitystrea.ms/schema/1.0/assign",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}


def _bronze(lake: Path, source: str, table: str) -> pd.DataFrame:
    glob = f"{lake}/bronze/{source}/{table}/**/*.parquet"
    return duckdb.execute(f"select * from read_parquet('{glob}', union_by_name=true, hive_partitioning=false)").df()


def _latest(df: pd.DataFrame, keep_deleted: bool = False) -> pd.DataFrame:
    """OneRoster: newest dateLastModified (then landing) per sourcedId. tobedeleted ends a
    record: dropped, or (`keep_deleted`: users, classes, enrollments, which keep their
    past) kept with `last_day`, the local day before the deletion; a deletion without a
    time is dropped. (The simulator sends one bulk, so no record is left out of a newer
    one: that end is tested in tests/integration/transform/test_transform_oneroster_bulk.py.)"""
    df = df.sort_values(["dateLastModified", "_landed_at", "_delivery", "_position"])
    df = df.drop_duplicates("sourcedId", keep="last")
    deleted = df["status"].fillna("").str.strip().str.lower() == "tobedeleted"
    if not keep_deleted:
        return df[~deleted]
    df = df[~deleted | df["dateLastModified"].notna()].copy()
    gone = deleted.loc[df.index]
    day_before = (pd.to_datetime(df.loc[gone, "dateLastModified"], utc=True).dt.tz_convert(TZ).dt.normalize()
                  .dt.tz_localize(None) - pd.Timedelta(days=1))
    df["last_day"] = pd.NaT
    df.loc[gone, "last_day"] = day_before
    return df


def _segment(grades) -> str | None:
    codes = sorted(int(g) for g in (grades if grades is not None else []) if g is not None and str(g).strip().isdigit())
    if not codes:
        return None
    g = codes[0]
    return "primary" if 1 <= g <= 6 else "junior" if 7 <= g <= 9 else "senior" if 10 <= g <= 12 else None


def load(lake: Path) -> dict[str, pd.DataFrame]:
    orgs = _latest(_bronze(lake, "roster", "orgs"))
    level = orgs["type"].str.lower().map({"school": "school", "district": "district", "local": "city"})
    orgs = orgs.assign(level=level)
    parent = dict(zip(orgs["sourcedId"], orgs["parentSourcedId"], strict=True))
    levels = dict(zip(orgs["sourcedId"], orgs["level"], strict=True))

    def ancestors(school: str) -> list[tuple[str, str]]:
        out, node = [(school, "school")], parent.get(school)
        while node is not None and node in levels:
            out.append((node, levels[node]))
            node = parent.get(node)
        return [(o, lvl) for o, lvl in out if lvl in ("school", "district", "city")]

    classes = _latest(_bronze(lake, "roster", "classes"), keep_deleted=True)
    classes = classes.assign(segment=classes["grades"].map(_segment))
    users = _latest(_bronze(lake, "roster", "users"), keep_deleted=True)
    enr = _latest(_bronze(lake, "roster", "enrollments"), keep_deleted=True)
    enr = enr[enr["role"].str.lower().isin(["student", "teacher"])]
    enr = enr.merge(classes[["sourcedId", "segment", "schoolSourcedId", "last_day"]].rename(
        columns={"sourcedId": "classSourcedId", "schoolSourcedId": "class_school", "last_day": "class_last_day"}),
        on="classSourcedId")
    enr = enr.merge(users[["sourcedId", "last_day"]].rename(
        columns={"sourcedId": "userSourcedId", "last_day": "user_last_day"}), on="userSourcedId")
    # a membership ends on the earliest of its own end, its deletion, and its person's
    # and its class's last days
    ends = pd.concat([pd.to_datetime(enr["endDate"]), enr["last_day"], enr["user_last_day"], enr["class_last_day"]],
                     axis=1).min(axis=1)
    enr = enr.assign(
        population=enr["role"].str.lower(),
        begin=pd.to_datetime(enr["beginDate"]).fillna(pd.Timestamp("1900-01-01")),
        end=ends.fillna(pd.Timestamp("2999-12-31")),
    )

    st = _bronze(lake, "xapi", "statements")
    st = st.assign(statement_id=st["statement_id"].str.lower()).drop_duplicates("statement_id")
    local = pd.to_datetime(st["ts"], utc=True).dt.tz_convert(TZ)
    st = st.assign(month=local.dt.strftime("%Y-%m"))
    return {"orgs": orgs, "enr": enr, "st": st, "ancestors": ancestors, "classes": classes}


def _months(st: pd.DataFrame) -> list[str]:
    first, last = pd.Period(st["month"].min()), pd.Period(st["month"].max())
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def _roster(data, month: str) -> pd.DataFrame:
    """(person, population, segment, org, org level) for everyone enrolled in the month."""
    start = pd.Timestamp(month + "-01")
    end = start + pd.offsets.MonthEnd(0)
    enr = data["enr"]
    on = enr[(enr["begin"] <= end) & (enr["end"] >= start) & enr["segment"].notna()]
    rows = []
    for person, population, segment, school in on[["userSourcedId", "population", "segment", "class_school"]].itertuples(index=False):
        for org, level in data["ancestors"](school):
            rows.append((person, population, segment, org, level))
    return pd.DataFrame(rows, columns=["person", "population", "segment", "org", "org_type"]).drop_duplicates()


def usage_monthly(lake: Path) -> pd.DataFrame:
    data = load(lake)
    st = data["st"]
    out = []
    for month in _months(st):
        roster = _roster(data, month)
        m = st[st["month"] == month]
        logins = m[m["verb_id"] == VERBS["login"]].groupby("actor_name").size()
        viewers = set(m.loc[m["verb_id"] == VERBS["viewed"], "actor_name"])
        for (org, org_type, segment, population), g in roster.groupby(["org", "org_type", "segment", "population"]):
            people = set(g["person"])
            person_logins = logins.reindex(sorted(people)).fillna(0)
            online = int((person_logins > 0).sum())
            out.append({
                "month": month, "org_sourced_id": org, "org_type": org_type, "segment": segment,
                "population": population, "on_roster": len(people), "online": online,
                "logins": int(person_logins.sum()), "resource_viewers": len(people & viewers),
            })
    return pd.DataFrame(out)


def data_through(lake: Path) -> dict[str, str]:
    """Per month, the last local day with a statement ('YYYY-MM-DD')."""
    st = load(lake)["st"]
    day = pd.to_datetime(st["ts"], utc=True).dt.tz_convert(TZ).dt.strftime("%Y-%m-%d")
    return day.groupby(st["month"]).max().to_dict()


def microtest_monthly(lake: Path) -> pd.DataFrame:
    data = load(lake)
    st, enr, classes = data["st"], data["enr"], data["classes"]
    class_segment = dict(zip(classes["sourcedId"], classes["segment"], strict=True))
    class_school = dict(zip(classes["sourcedId"], classes["schoolSourcedId"], strict=True))
    out = []
    for month in _months(st):
        start = pd.Timestamp(month + "-01")
        end = start + pd.offsets.MonthEnd(0)
        m = st[st["month"] == month]
        # Homework and check-ins share the micro-test's verbs; their definition.type tells them apart.
        kind = m["object_definition_type"].fillna("")
        not_micro = kind.str.endswith("/activitytypes/homework") | kind.str.endswith("/activitytypes/check-in")
        assigns = m[(m["verb_id"] == VERBS["assign"]) & ~not_micro]
        answered = m[m["verb_id"] == VERBS["answered"]]
        completed = m[(m["verb_id"] == VERBS["completed"]) & ~not_micro]
        students_in = enr[(enr["population"] == "student") & (enr["begin"] <= end) & (enr["end"] >= start)]
        members = students_in.groupby("classSourcedId")["userSourcedId"].apply(set).to_dict()
        per_org: dict[tuple, dict] = {}
        for org, org_type, segment in _roster(data, month).query("population == 'student'")[
                ["org", "org_type", "segment"]].drop_duplicates().itertuples(index=False):
            per_org[(org, org_type, segment)] = {"tests": set(), "pairs": set()}
        for test, groupings in assigns[["object_id", "context_grouping_ids"]].itertuples(index=False):
            for grouping in groupings if groupings is not None else []:
                if "/classes/" not in grouping:
                    continue
                cls = grouping.rsplit("/classes/", 1)[1]
                segment, school = class_segment.get(cls), class_school.get(cls)
                if segment is None or school is None:
                    continue
                for org, level in data["ancestors"](school):
                    bucket = per_org.setdefault((org, level, segment), {"tests": set(), "pairs": set()})
                    bucket["tests"].add(test)
                    bucket["pairs"] |= {(s, test) for s in members.get(cls, set())}
                break
        answers_by_pair = answered.assign(
            test=answered["context_parent_ids"].map(lambda p: p[0] if p is not None and len(p) else None)
        ).groupby(["actor_name", "test"]).size().to_dict()
        completed_pairs = set(zip(completed["actor_name"], completed["object_id"], strict=True))
        for (org, org_type, segment), bucket in per_org.items():
            pairs = bucket["pairs"]
            students = {s for s, _ in pairs}
            answering = {s for s, t in pairs if answers_by_pair.get((s, t), 0) > 0 or (s, t) in completed_pairs}
            out.append({
                "month": month, "org_sourced_id": org, "org_type": org_type, "segment": segment,
                "microtests_assigned": len(bucket["tests"]), "students_assigned": len(students),
                "students_answering": len(answering),
                "answers": int(sum(answers_by_pair.get(p, 0) for p in pairs)),
            })
    return pd.DataFrame(out)
