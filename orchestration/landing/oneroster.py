"""OneRoster 1.1 CSV rosters (``inbox/roster/<delivery>/`` or ``.zip``) -> ``bronze/roster/*``.

The manifest says which files the delivery carries (``bulk`` / ``delta`` / ``absent``);
each carried file lands through the shared CSV reader with the 1.1 vocabularies.
A file whose header lacks a key column is rejected whole; the other files still land.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.landing.core import LandContext, LandingSummary, Unreadable, land_source
from orchestration.landing.csv_reader import Col, TableSpec, find_member, land_csv_file
from orchestration.landing.rules import Rule
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "roster"

STATUS = Col("status", "enum", enum=("active", "tobedeleted", "inactive"), default="active")
# OneRoster 1.1 puts dateLastModified in every file (empty allowed in bulk): a header
# without it (say `dataLastModified`) would land every row undated, losing to older
# versions, so the file is a contract problem (missing_column) instead.
DLM = Col("dateLastModified", "ts", header=True)


def _base(*cols: Col) -> tuple[Col, ...]:
    return (Col("sourcedId", required=True, header=True), STATUS, DLM, *cols)


ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
USER_ROLES = ("student", "teacher", "parent", "guardian", "administrator", "aide", "relative", "proctor")  # OneRoster 1.1's eight
ENROLLMENT_ROLES = ("student", "teacher", "administrator", "proctor", "aide")
SEXES = ("male", "female", "other", "unspecified")
STAFF_ROLES = ("grade_leader", "principal", "subject_researcher", "district_admin", "city_admin")
DEMOGRAPHIC_FLAGS = (
    "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
    "cityOfBirth", "publicSchoolResidenceStatus",
)


def _year_rule(t: dict[str, str]) -> list[Rule]:
    return [Rule(f"{t['schoolYear']} IS NOT NULL AND NOT regexp_full_match({t['schoolYear']}, '^\\d{{4}}$')",
                 "invalid_value", f"'schoolYear \"' || {t['schoolYear']} || '\" is not a year'")]


def _student_org_rule(t: dict[str, str]) -> list[Rule]:
    """OneRoster's users.orgSourcedIds is mandatory (1..*): a student in no org has no
    school, segment or denominator. Quarantined alone; landed, it failed the roster's
    blocking check and held back the whole district."""
    return [Rule(f"{t['role']} = 'student' AND {t['status']} <> 'tobedeleted' AND len({t['orgSourcedIds']}) = 0",
                 "missing_required", "'a student needs orgSourcedIds (OneRoster: at least one org)'")]


def _span_rule(begin: str, end: str):
    def rules(t: dict[str, str]) -> list[Rule]:
        return [Rule(f"{t[end]} < {t[begin]}", "invalid_date", f"'{end} is before {begin}'")]
    return rules


SPECS: tuple[TableSpec, ...] = (
    TableSpec("orgs.csv", "orgs", _base(
        Col("name"), Col("type", "enum", required=True, header=True, enum=ORG_TYPES),
        Col("identifier"), Col("parentSourcedId")), key=("sourcedId",), deletable=True),
    TableSpec("academicSessions.csv", "academic_sessions", _base(
        Col("title"), Col("type", "enum", required=True, header=True, enum=SESSION_TYPES),
        Col("startDate", "date"), Col("endDate", "date"), Col("parentSourcedId"), Col("schoolYear")),
        key=("sourcedId",), deletable=True,
        rules=lambda t: _year_rule(t) + _span_rule("startDate", "endDate")(t)),
    TableSpec("courses.csv", "courses", _base(
        Col("schoolYearSourcedId"), Col("title"), Col("courseCode"), Col("grades", "list"),
        Col("orgSourcedId"), Col("subjects", "list"), Col("subjectCodes", "list")), key=("sourcedId",), deletable=True),
    TableSpec("classes.csv", "classes", _base(
        Col("title"), Col("grades", "list"), Col("courseSourcedId"), Col("classCode"),
        Col("classType", "enum", required=True, header=True, enum=("homeroom", "scheduled")),
        Col("location"), Col("schoolSourcedId", required=True, header=True),
        Col("termSourcedIds", "list"), Col("subjects", "list"), Col("subjectCodes", "list"),
        Col("periods", "list")), key=("sourcedId",), deletable=True),
    TableSpec("users.csv", "users", _base(
        Col("enabledUser", "bool"), Col("orgSourcedIds", "list"),
        Col("role", "enum", required=True, header=True, enum=USER_ROLES), Col("username"),
        Col("userIds", "list"), Col("givenName"), Col("familyName"), Col("middleName"),
        Col("identifier"), Col("email"), Col("sms"), Col("phone"), Col("agentSourcedIds", "list"),
        Col("grades", "list")), key=("sourcedId",), deletable=True, drop=("password",), rules=_student_org_rule),
    TableSpec("enrollments.csv", "enrollments", _base(
        Col("classSourcedId", required=True, header=True), Col("schoolSourcedId"),
        Col("userSourcedId", required=True, header=True),
        Col("role", "enum", required=True, header=True, enum=ENROLLMENT_ROLES),
        Col("primary", "bool"), Col("beginDate", "date"), Col("endDate", "date")),
        key=("sourcedId",), deletable=True, rules=_span_rule("beginDate", "endDate")),
    TableSpec("demographics.csv", "demographics", _base(
        Col("birthDate", "date"), Col("sex", "enum", enum=SEXES),
        *(Col(n) for n in DEMOGRAPHIC_FLAGS)), key=("sourcedId",), deletable=True),
    TableSpec("x_staff_assignments.csv", "staff_assignments", (
        Col("sourcedId", required=True, header=True), Col("userSourcedId", required=True, header=True),
        Col("role", "enum", required=True, header=True, enum=STAFF_ROLES),
        Col("orgSourcedId", required=True, header=True), Col("grade"), Col("subject"),
        Col("beginDate", "date"), Col("endDate", "date")),
        key=("sourcedId",), rules=_span_rule("beginDate", "endDate")),
)
MANIFEST = TableSpec("manifest.csv", "manifest", (
    Col("propertyName", required=True, header=True), Col("value", header=True)))


def _manifest_modes(ctx: LandContext) -> dict[str, str]:
    """file name (lower) -> bulk | delta | absent, from the landed manifest rows."""
    rows = ctx.con.execute(
        "SELECT lower(propertyName), lower(value) FROM _roster_manifest "
        "WHERE lower(propertyName) LIKE 'file.%'"
    ).fetchall()
    return {name.removeprefix("file.") + ".csv": mode for name, mode in rows}


def _handle(ctx: LandContext) -> None:
    manifest_path = find_member(ctx.members, "manifest.csv")
    if manifest_path is None:
        raise Unreadable("missing_file", "manifest.csv is missing from the roster delivery", "manifest.csv")
    spec = TableSpec(MANIFEST.file, MANIFEST.table, MANIFEST.columns, ok_table="_roster_manifest")
    land_csv_file(ctx, spec, manifest_path, whole_delivery=True)
    modes = _manifest_modes(ctx)
    for spec in SPECS:
        path = find_member(ctx.members, spec.file)
        mode = modes.get(spec.file.lower())
        if path is None and mode in ("bulk", "delta"):
            land_csv_file(ctx, spec, None)  # missing_file
        elif path is not None and mode == "absent":
            # the manifest says the delivery does not carry it: read as a delta it changed
            # records the source did not mean to send (the roster probe: a stray
            # demographics.csv moved a birth date across the under-14 line)
            name = spec.file.removesuffix(".csv")
            land_csv_file(ctx, spec, path, refuse=(
                "file_marked_absent", f"the manifest says file.{name} is absent; {spec.file} is not read "
                f"(deliver it again with file.{name} bulk or delta)"))
        elif path is not None:
            land_csv_file(ctx, spec, path)


def land_roster(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    """Land every new roster delivery (folder or zip)."""
    return land_source(lake_root, SOURCE, timezone, _handle, **landing)


__all__ = ["land_roster", "SPECS"]
