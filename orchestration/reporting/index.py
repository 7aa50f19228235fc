"""Index pages to browse the reports: the top index (roles and organisations), one per
role and one per organisation. Student and parent pages are listed by pseudonymous
student_key only, never by name: names appear only inside pages whose scope allows. At a
district's thousands of students they are grouped by school and homeroom, labelled with
a short key, and the page has a filter box (class, school or key)."""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from pathlib import Path

import jinja2
import orjson

from orchestration.reporting.data import ReportData
from orchestration.reporting.scopes import ROLES, safe_id


def _write(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)


SHORT_KEY = 12  # hex characters of a student_key shown in the index (unique in practice at city scale)
DIGESTS = "indexes.json"  # in the reports folder: each index page's path -> the digest of its inputs


class _IndexWriter:
    """Writes an index page only when the digest of its inputs changed, as the pages
    themselves are (render.page_digest): what it lists, its texts and the shared inputs
    (templates, style sheet, messages, missing marts), not the generation time, which an
    unchanged index keeps. A district's indexes hold about 250 k links, and rendering them
    took 1.2 s of every run although a new day rarely changes what they list. The top
    index (a few hundred links) is written every time: its generation time says when the
    reports were last made."""

    def __init__(self, out: Path, tpl: jinja2.Template, generated: str, shared: bytes):
        self.out, self.tpl, self.generated, self.shared = out, tpl, generated, shared
        path = out / DIGESTS
        try:
            self.previous: dict[str, str] = orjson.loads(path.read_bytes()) if path.exists() else {}
        except orjson.JSONDecodeError:  # a damaged file: every index is written again
            self.previous = {}
        self.digests: dict[str, str] = {}

    def write(self, path: Path, always: bool = False, **inputs) -> None:
        """``always``: whatever the digest (the top index, whose generation time says when
        the reports were last made)."""
        relpath = path.relative_to(self.out).as_posix()
        digest = hashlib.blake2b(self.shared + orjson.dumps(inputs, default=_jsonable, option=orjson.OPT_SORT_KEYS),
                                 digest_size=16).hexdigest()
        self.digests[relpath] = digest
        if always or self.previous.get(relpath) != digest or not path.is_file():
            _write(path, self.tpl.render(**inputs, generated_at=self.generated))

    def save(self) -> None:
        tmp = self.out / f".{DIGESTS}.tmp"
        tmp.write_bytes(orjson.dumps(self.digests, option=orjson.OPT_SORT_KEYS))
        tmp.replace(self.out / DIGESTS)


def _jsonable(value):
    return sorted(value) if isinstance(value, (set, frozenset)) else str(value)


def _homeroom_groups(t, data: ReportData, items: list, link, homeroom: dict[str, str]) -> list[dict]:
    """Student or parent pages by school and homeroom (``homeroom``: the student's, from
    the restricted identity mart), keys sorted within; a student without a homeroom goes
    under the school."""
    school_name = {org: data.name(org) or org for org in {p.org_id for p in items}}
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for p in items:
        grouped[(school_name[p.org_id], homeroom.get(p.page_id, ""))].append(p)
    return [{"title": f"{school} · {room}" if room else school, "note": t("index.students", n=len(ps)),
             "links": [link(p) for p in ps]} for (school, room), ps in sorted(grouped.items())]


NO_ORG = "no-school"  # the index of pages whose org the roster does not hold


def _org_key(page) -> str:
    """The org a page is listed under; a page's org id is text (str(school)), so a school
    the roster does not hold reads "None" or "nan"."""
    return NO_ORG if page.org_id in (None, "", "None", "nan", "<NA>") else page.org_id


def write_indexes(out: Path, pages, data: ReportData, env: jinja2.Environment, generated: str,
                  shared: bytes = b"") -> Path:
    """The index pages of ``pages``; ``shared``: the digest of the inputs every page
    shares (render.templates_digest without the reference date)."""
    t = env.globals["t"]
    writer = _IndexWriter(out, env.get_template("index.html"), generated, shared)
    by_role: dict[str, list] = defaultdict(list)
    by_org: dict[str, list] = defaultdict(list)
    for p in pages:
        by_role[p.role].append(p)
        by_org[_org_key(p)].append(p)

    def org_title(org) -> str:
        """A page of no known org (a student whose school the roster does not hold) is
        listed under a title that says so: it was an org page named "None"."""
        return t("index.no_org") if org == NO_ORG else (data.name(org) or org)

    named = {"student", "parent"}
    links: dict[int, dict] = {}  # id(page) -> its link: each page is listed twice, by role and by org

    def link(p) -> dict:
        made = links.get(id(p))
        if made is None:
            text = p.page_id[:SHORT_KEY] if p.role in named else p.title
            # an on-demand page has no file: `eduhouse serve` renders it at this path
            href = f"/v1/reports/{p.role}/{p.page_id}" if p.on_demand else "../" + p.relpath
            made = links[id(p)] = {"href": href, "text": text, "extra": "" if p.role in named else p.page_id}
        return made

    ident = data.ident
    homeroom = dict(zip(ident.student_key.astype(str), ident.homeroom_title.fillna("").astype(str), strict=True))
    for role in ROLES:
        items = sorted(by_role.get(role, []), key=lambda p: (_org_key(p), p.page_id))
        if role in named:
            groups = _homeroom_groups(t, data, items, link, homeroom)
        else:  # items are in org order: one group per run of an org (123 k pages, not orgs x pages)
            groups = [{"title": org_title(org), "links": [link(p) for p in run]}
                      for org, run in itertools.groupby(items, key=_org_key)]
        writer.write(out / role / "index.html", title=t(f"role.{role}"), subtitle=t("index.role_subtitle", n=len(items)),
                     groups=groups, root="../", missing=data.store.missing, filter=role in named,
                     intro=t("index.on_demand") if any(p.on_demand for p in items) else "")
    for org, items in by_org.items():
        groups = []
        of_role: dict[str, list] = defaultdict(list)
        for p in items:
            of_role[p.role].append(p)
        for role in ROLES:
            mine = sorted(of_role.get(role, ()), key=lambda p: p.page_id)
            if mine:
                groups.append({"title": t("fmt.paren", text=t(f"role.{role}"), inner=len(mine)), "links": [link(p) for p in mine]})
        writer.write(out / "orgs" / f"{safe_id(org)}.html", title=org_title(org), subtitle=t("index.org_subtitle"),
                     groups=groups, root="../", missing=data.store.missing)
    role_links = [{"href": f"{role}/index.html", "text": t(f"role.{role}"), "extra": t("index.pages", n=len(by_role.get(role, [])))}
                  for role in ROLES]
    orgs = data.orgs
    kind_order = {"city": 0, "district": 1, "school": 2}
    kind = dict(zip(orgs.sourced_id, orgs.type, strict=True))
    org_ids = sorted(by_org, key=lambda o: (kind_order.get(str(kind.get(o)), 3), org_title(o)))
    org_links = [{"href": f"orgs/{safe_id(o)}.html", "text": org_title(o), "extra": t("index.pages", n=len(by_org[o]))}
                 for o in org_ids]
    groups = [{"title": t("index.by_role"), "links": role_links}, {"title": t("index.by_org"), "links": org_links}]
    # The monthly publications (their own asset, written per month) are listed on their
    # index page, which is (re)written here too so the link always resolves.
    from orchestration.reporting.publication import write_publication_index

    write_publication_index(out, env)
    groups.append({"title": t("index.publications"), "links": [{"href": "publication/index.html",
                                                                "text": t("publication.index"), "extra": ""}]})
    audit = out / "governance" / "governance_audit.html"
    if audit.exists():  # written by the governance part (eduhouse audit)
        groups.append({"title": t("index.governance"), "links": [{"href": "governance/governance_audit.html",
                                                                  "text": t("index.governance_audit"), "extra": ""}]})
    index = out / "index.html"
    writer.write(index, always=True, title=t("index.title"), subtitle=t("index.subtitle", n=len(pages)), intro=t("index.intro"),
                 groups=groups, root="", missing=data.store.missing)
    writer.save()
    return index
