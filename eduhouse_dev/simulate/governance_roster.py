"""The roster as the governance simulator needs it: who studies, teaches, heads, leads and
guards where, taken from the roster delivery the simulator has just written (its files'
tables, as a CSV reader gets them back), never from the written files."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa


@dataclass
class Roster:
    """The roster relationships the grants and accesses are drawn from (pandas frames)."""

    students: pd.DataFrame  # student, school, grade, homeroom, birth
    guardians: pd.DataFrame  # guardian, student
    teaching: pd.DataFrame  # teacher, class, school, grade, primary, class_type
    members: pd.DataFrame  # class, student
    staff: pd.DataFrame  # user, role, org, grade, subject, begin, end
    city: str
    districts: list[str]


def _file(files: dict[str, pa.Table], name: str) -> pd.DataFrame:
    """One roster file's live records: with a sourcedId and not marked tobedeleted."""
    table = files.get(name)
    if table is None:
        return pd.DataFrame()
    df = table.to_pandas()
    if "sourcedId" in df.columns:
        df = df[df["sourcedId"].notna()].drop_duplicates("sourcedId", keep="last")
    if "status" in df.columns:
        df = df[df["status"].fillna("active").str.lower() != "tobedeleted"]
    return df


def roster_from_files(files: dict[str, pa.Table]) -> Roster:
    """The relationships, from the roster delivery's files (`RosterFiles.tables`)."""
    users = _file(files, "users")
    enr = _file(files, "enrollments")
    classes = _file(files, "classes")
    orgs = _file(files, "orgs")
    demo = _file(files, "demographics")
    staff = _file(files, "x_staff_assignments")
    users = users[users["enabledUser"].fillna("true").str.lower() != "false"]
    role = users["role"].str.lower()
    classes = classes.assign(class_type=classes["classType"].str.lower(),
                             grade=classes["grades"].str.split(",").str[0].str.strip())
    cls = classes.set_index("sourcedId")
    enr = enr[enr["classSourcedId"].isin(cls.index) & enr["userSourcedId"].isin(users["sourcedId"])]
    enr = enr.assign(school=cls.loc[enr["classSourcedId"], "schoolSourcedId"].to_numpy(),
                     grade=cls.loc[enr["classSourcedId"], "grade"].to_numpy(),
                     class_type=cls.loc[enr["classSourcedId"], "class_type"].to_numpy())
    stu_enr = enr[enr["role"].str.lower() == "student"]
    homerooms = stu_enr[stu_enr["class_type"] == "homeroom"].drop_duplicates("userSourcedId")
    births = demo.set_index("sourcedId")["birthDate"] if len(demo) else pd.Series(dtype=object)
    students = pd.DataFrame({
        "student": homerooms["userSourcedId"].to_numpy(), "school": homerooms["school"].to_numpy(),
        "grade": homerooms["grade"].to_numpy(), "homeroom": homerooms["classSourcedId"].to_numpy()})
    students = students[students["student"].isin(users.loc[role == "student", "sourcedId"])]
    students["birth"] = pd.to_datetime(students["student"].map(births), errors="coerce")
    students = students.reset_index(drop=True)
    stu_users = users[role == "student"][["sourcedId", "agentSourcedIds"]].dropna()
    guardians = (stu_users.assign(guardian=stu_users["agentSourcedIds"].str.split(","))
                 .explode("guardian").rename(columns={"sourcedId": "student"}))
    guardians["guardian"] = guardians["guardian"].str.strip()
    guardian_ids = set(users.loc[role.isin(["parent", "guardian"]), "sourcedId"])
    guardians = guardians[guardians["guardian"].isin(guardian_ids)
                          & guardians["student"].isin(set(students["student"]))][["guardian", "student"]]
    tch = enr[enr["role"].str.lower() == "teacher"]
    teaching = pd.DataFrame({
        "teacher": tch["userSourcedId"].to_numpy(), "class": tch["classSourcedId"].to_numpy(),
        "school": tch["school"].to_numpy(), "grade": tch["grade"].to_numpy(),
        "primary": tch["primary"].fillna("false").str.lower().eq("true").to_numpy(),
        "class_type": tch["class_type"].to_numpy()})
    members = pd.DataFrame({"class": stu_enr["classSourcedId"].to_numpy(),
                            "student": stu_enr["userSourcedId"].to_numpy()})
    members = members[members["student"].isin(set(students["student"]))]
    staff = pd.DataFrame({
        "user": staff["userSourcedId"], "role": staff["role"].str.lower(), "org": staff["orgSourcedId"],
        "grade": staff["grade"], "subject": staff["subject"], "begin": staff["beginDate"],
        "end": staff["endDate"]}) if len(staff) else pd.DataFrame(
        columns=["user", "role", "org", "grade", "subject", "begin", "end"])
    staff = staff[staff["user"].isin(users["sourcedId"])]
    otype = orgs["type"].str.lower()
    city = orgs.loc[otype == "local", "sourcedId"]
    return Roster(students, guardians, teaching, members, staff.reset_index(drop=True),
                  city.iloc[0] if len(city) else "", orgs.loc[otype == "district", "sourcedId"].tolist())
