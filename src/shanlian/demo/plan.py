"""The demo city as plain values, from a seeded random generator: no database.

The same seed (and Faker version) gives the same divisions, organizations, stations, people and
logins on every machine, so the demo looks the same every run and seeding twice finds everything
already there.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from faker import Faker
from pypinyin import lazy_pinyin
from stdnum.cn import ric, uscc

from shanlian.core.identifiers import org_code_check_digit
from shanlian.orgs.models import OrgKind, PartyBranch
from shanlian.places.models import Level

from . import data


@dataclass(frozen=True)
class DivisionSpec:
    name: str
    level: str
    code: str
    parent_code: str | None


@dataclass(frozen=True)
class OrgSpec:
    name: str
    kind: str
    credit_code: str
    registered_on: dt.date
    division_code: str
    address: str
    legal_representative: str
    grade: str = ""
    grade_awarded_on: dt.date | None = None
    public_fundraising: bool = False
    is_charity_federation: bool = False
    is_agency: bool = False
    party_branch: str = PartyBranch.NONE
    party_branch_name: str = ""


@dataclass(frozen=True)
class StationSpec:
    street_code: str
    agency_credit_code: str
    contract_start: dt.date
    contract_end: dt.date
    address: str
    office_phone: str
    opened_on: dt.date


@dataclass(frozen=True)
class PointSpec:
    street_code: str
    name: str
    address: str
    accepts_cash: bool
    accepts_transfer: bool
    accepts_goods: bool
    opening_hours: str


@dataclass(frozen=True)
class PersonSpec:
    real_name: str
    community_code: str
    resident_id: str
    phone: str
    gender: str


@dataclass(frozen=True)
class LoginSpec:
    ref: data.LoginRef
    person: PersonSpec


@dataclass
class Plan:
    divisions: list[DivisionSpec] = field(default_factory=list)
    organizations: list[OrgSpec] = field(default_factory=list)
    stations: list[StationSpec] = field(default_factory=list)
    points: list[PointSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    logins: list[LoginSpec] = field(default_factory=list)




def unique_username(name: str, rng: random.Random, taken: set[str], fallback: str) -> str:
    """A login name from a person's name in pinyin and two digits, not yet taken (and then taken)."""
    base = "".join(lazy_pinyin(name)) or fallback
    while True:
        username = f"{base}{rng.randint(10, 99)}"
        if username not in taken:
            taken.add(username)
            return username


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Planner:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.plan = Plan()
        self.credit_codes: set[str] = set()
        self.resident_ids: set[str] = set()
        self.places_valid: dict[tuple[str, int], bool] = {}
        self.phones: set[str] = set()
        self.community_names: set[str] = set()
        # street name → (street code, district ref, [community codes], [community names])
        self.streets: dict[str, tuple[str, data.DistrictRef, list[str], list[str]]] = {}
        self.agency_words = list(data.AGENCY_WORDS)
        self.rng.shuffle(self.agency_words)

    # -- small generators --

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def credit_code(self, kind: str, region_code: str, registered_on: dt.date) -> str:
        """5 (civil affairs) + kind (1 association, 2 service institution, 3 foundation) + region +
        9-character organization code with its GB 11714 check + GB 32100 check character."""
        kind_digits: dict[str, str] = {OrgKind.ASSOCIATION: "1", OrgKind.SERVICE_INSTITUTION: "2", OrgKind.FOUNDATION: "3"}
        kind_digit = kind_digits[kind]
        while True:
            if registered_on.year >= 2016:  # codes given by civil affairs since the reform start with MJ
                body = "MJ" + self.rng.choice("LKMN") + f"{self.rng.randrange(100000):05d}"
            else:
                body = f"{self.rng.randrange(50000000, 80000000):08d}"
            partial = f"5{kind_digit}{region_code}{body}{org_code_check_digit(body)}"
            code = partial + uscc.calc_check_digit(partial)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self) -> str:
        return f"020-8{self.rng.randrange(10**7):07d}"

    def address(self, district: data.DistrictRef, suffix: str = "") -> str:
        return f"广州市{district.name}{self.rng.choice(district.roads)}{self.rng.randint(1, 480)}号{suffix}"

    def name(self, gender: str, birth_year: int) -> str:
        if self.rng.random() < 0.7:
            surnames, weights = zip(*data.GUANGDONG_SURNAMES, strict=True)
            surname = self.rng.choices(surnames, weights=weights)[0]
        else:
            surname = self.fake.last_name()
        if birth_year >= 1995 and self.rng.random() < 0.8:
            given = self.rng.choice(data.YOUNG_GIVEN_NAMES[gender])
        else:
            given = self.fake.first_name_male() if gender == "M" else self.fake.first_name_female()
        return surname + given

    def place_valid(self, place: str, year: int) -> bool:
        """Whether stdnum takes `place` as a birthplace in `year`: all that decides if a number built here is valid
        (its date is a real one, its check digit computed), so the place table is searched once per place and year."""
        key = (place, year)
        if key not in self.places_valid:
            body = f"{place}{year:04d}0101000"
            self.places_valid[key] = ric.is_valid(body + ric.calc_check_digit(body + "0"))
        return self.places_valid[key]

    def resident_id(self, birthplaces: tuple[str, ...], birth: dt.date, gender: str) -> str:
        """A GB 11643 number whose birthplace code stdnum accepts for the birth year."""
        while True:
            order = self.rng.randrange(500) * 2 + (1 if gender == "M" else 0)  # odd for men, even for women
            for place in (*birthplaces, data.CITY_CODE):
                body = f"{place}{birth:%Y%m%d}{order:03d}"
                number = body + ric.calc_check_digit(body + "0")
                if self.place_valid(place, birth.year):  # the same answer as ric.is_valid(number), looked up once
                    break
            if number not in self.resident_ids:
                self.resident_ids.add(number)
                return number

    def grade(self, registered_on: dt.date, weights: tuple[int, int, int, int, int]) -> tuple[str, dt.date | None]:
        """A grade from 1A to 5A awarded at least two years after registration, or none. Awards from
        2015 on, so with 5-year validity some have already lapsed."""
        earliest = max(_years_after(registered_on, 2), dt.date(2015, 1, 1))
        latest = dt.date(2025, 12, 31)
        if earliest > latest:
            return "", None
        grade = self.rng.choices(("1A", "2A", "3A", "4A", "5A"), weights=weights)[0]
        return grade, self.date_between(earliest, latest)

    def party(self, org_name: str, district_name: str) -> tuple[str, str]:
        pick = self.rng.choices(
            (PartyBranch.OWN, PartyBranch.JOINT, PartyBranch.INSTRUCTOR, PartyBranch.NONE), weights=(4, 3, 2, 1)
        )[0]
        if pick == PartyBranch.OWN:
            return pick, f"中共{org_name}支部委员会"
        if pick == PartyBranch.JOINT:
            return pick, f"中共广州市{district_name}社会组织第{self.rng.randint(1, 9)}联合支部委员会"
        return pick, ""

    # -- the city --

    def divisions(self) -> None:
        plan = self.plan
        plan.divisions.append(DivisionSpec(data.CITY_NAME, Level.CITY, data.CITY_CODE, None))
        for district in data.DISTRICTS:
            plan.divisions.append(DivisionSpec(district.name, Level.DISTRICT, district.code, data.CITY_CODE))
            # Generated codes in the statistical shape: streets 001–099, towns 100–199; in a street or
            # town, residents' committees (社区) 001–199 and villagers' committees (村) 200–399.
            street_no, town_no = 0, 100
            for street in district.streets:
                is_town = street.endswith("镇")
                if is_town:
                    town_no += 1
                    code = f"{district.code}{town_no:03d}"
                else:
                    street_no += 1
                    code = f"{district.code}{street_no:03d}"
                plan.divisions.append(DivisionSpec(street, Level.STREET, code, district.code))
                names = self.community_names_for(street, is_town, self.rng.randint(3, 5))
                codes: list[str] = []
                community_no, village_no = 0, 200
                for name in names:
                    if name.endswith("村"):
                        village_no += 1
                        ccode = f"{code}{village_no:03d}"
                    else:
                        community_no += 1
                        ccode = f"{code}{community_no:03d}"
                    codes.append(ccode)
                    plan.divisions.append(DivisionSpec(name, Level.COMMUNITY, ccode, code))
                assert street not in self.streets, f"street names must be unique in the demo city: {street}"
                self.streets[street] = (code, district, codes, names)

    def community_names_for(self, street: str, is_town: bool, count: int) -> list[str]:
        names: list[str] = []
        if is_town:
            names.append(f"{street.removesuffix('镇')}社区")  # the town centre's residents' committee
            stems = self.rng.sample(data.VILLAGE_STEMS, len(data.VILLAGE_STEMS))
            for stem in stems:
                if len(names) == count:
                    break
                if f"{stem}村" not in self.community_names:
                    names.append(f"{stem}村")
        else:
            while len(names) < count:
                name = f"{self.rng.choice(data.COMMUNITY_STEMS)}{self.rng.choice(data.COMMUNITY_SUFFIXES)}社区"
                if name not in self.community_names and name not in names:
                    names.append(name)
        self.community_names.update(names)
        return names

    def organizations(self) -> dict[str, list[str]]:
        """Returns district code → credit codes of the agencies registered there."""
        plan = self.plan
        reg = dt.date(2005, 3, 18)
        plan.organizations.append(OrgSpec(
            name=data.CITY_FEDERATION, kind=OrgKind.ASSOCIATION,
            credit_code=self.credit_code(OrgKind.ASSOCIATION, data.CITY_CODE, reg), registered_on=reg,
            division_code=data.CITY_CODE, address=f"广州市越秀区东风中路{self.rng.randint(300, 500)}号",
            legal_representative=self.name("M", 1962), grade="5A", grade_awarded_on=dt.date(2022, 3, 15),
            public_fundraising=True, is_charity_federation=True,
            party_branch=PartyBranch.OWN, party_branch_name=f"中共{data.CITY_FEDERATION}支部委员会",
        ))
        agencies: dict[str, list[str]] = {}
        for district in data.DISTRICTS:
            name = f"广州市{district.name}慈善会"
            reg = self.date_between(dt.date(2005, 1, 1), dt.date(2012, 12, 31))
            grade, awarded = self.grade(reg, (0, 1, 3, 4, 2)) if self.rng.random() < 0.6 else ("", None)
            plan.organizations.append(OrgSpec(
                name=name, kind=OrgKind.ASSOCIATION, credit_code=self.credit_code(OrgKind.ASSOCIATION, district.code, reg),
                registered_on=reg, division_code=district.code, address=self.address(district),
                legal_representative=self.name(self.rng.choice("MF"), self.rng.randint(1955, 1970)),
                grade=grade, grade_awarded_on=awarded, public_fundraising=True, is_charity_federation=True,
                party_branch=PartyBranch.OWN, party_branch_name=f"中共{name}支部委员会",
            ))
            for _ in range(district.agencies):
                word = self.agency_words.pop()
                name = f"广州市{district.name}{word}社会工作服务中心"
                reg = self.date_between(dt.date(2008, 1, 1), dt.date(2022, 12, 31))
                grade, awarded = self.grade(reg, (1, 2, 4, 3, 1)) if self.rng.random() < 0.55 else ("", None)
                party, party_name = self.party(name, district.name)
                code = self.credit_code(OrgKind.SERVICE_INSTITUTION, district.code, reg)
                agencies.setdefault(district.code, []).append(code)
                plan.organizations.append(OrgSpec(
                    name=name, kind=OrgKind.SERVICE_INSTITUTION, credit_code=code, registered_on=reg,
                    division_code=district.code, address=self.address(district, f"{self.rng.randint(2, 12)}楼"),
                    legal_representative=self.name(self.rng.choice("MF"), self.rng.randint(1965, 1990)),
                    grade=grade, grade_awarded_on=awarded, is_agency=True, party_branch=party, party_branch_name=party_name,
                ))
        city = data.DISTRICTS[1]  # city-registered bodies have offices in 越秀区
        for name, fundraising in data.FOUNDATIONS:
            reg = self.date_between(dt.date(2009, 1, 1), dt.date(2020, 12, 31))
            grade, awarded = self.grade(reg, (0, 1, 2, 3, 2)) if self.rng.random() < 0.5 else ("", None)
            party, party_name = self.party(name, city.name)
            plan.organizations.append(OrgSpec(
                name=name, kind=OrgKind.FOUNDATION, credit_code=self.credit_code(OrgKind.FOUNDATION, data.CITY_CODE, reg),
                registered_on=reg, division_code=data.CITY_CODE, address=self.address(city),
                legal_representative=self.name(self.rng.choice("MF"), self.rng.randint(1955, 1980)),
                grade=grade, grade_awarded_on=awarded, public_fundraising=fundraising,
                party_branch=party, party_branch_name=party_name,
            ))
        by_code = {d.code: d for d in data.DISTRICTS}
        associations: list[tuple[str, data.DistrictRef | None]] = [
            (f"广州市{by_code[c].name}志愿者协会", by_code[c]) for c in data.VOLUNTEER_ASSOCIATION_DISTRICTS
        ]
        associations += [(name, None) for name in data.CITY_ASSOCIATIONS]
        for name, home in associations:
            reg = self.date_between(dt.date(2006, 1, 1), dt.date(2021, 12, 31))
            grade, awarded = self.grade(reg, (1, 2, 3, 2, 1)) if self.rng.random() < 0.45 else ("", None)
            region = home.code if home else data.CITY_CODE
            party, party_name = self.party(name, (home or city).name)
            plan.organizations.append(OrgSpec(
                name=name, kind=OrgKind.ASSOCIATION, credit_code=self.credit_code(OrgKind.ASSOCIATION, region, reg),
                registered_on=reg, division_code=region, address=self.address(home or city),
                legal_representative=self.name(self.rng.choice("MF"), self.rng.randint(1960, 1985)),
                grade=grade, grade_awarded_on=awarded, party_branch=party, party_branch_name=party_name,
            ))
        return agencies

    def stations(self, agencies: dict[str, list[str]]) -> None:
        starts = (dt.date(2024, 7, 1), dt.date(2025, 1, 1), dt.date(2025, 1, 1), dt.date(2025, 4, 1), dt.date(2025, 7, 1))
        for district in data.DISTRICTS:
            streets = list(district.streets)
            self.rng.shuffle(streets)
            runners = agencies[district.code]
            for i, street in enumerate(streets):  # every agency runs at least one of its district's stations
                code, _, community_codes, community_names = self.streets[street]
                start = self.rng.choice(starts)
                station_address = self.address(district, f"{self.rng.randint(1, 4)}楼")
                self.plan.stations.append(StationSpec(
                    street_code=code, agency_credit_code=runners[i % len(runners)], contract_start=start,
                    contract_end=_years_after(start, 3) - dt.timedelta(days=1), address=station_address,
                    office_phone=self.landline(), opened_on=self.date_between(dt.date(2011, 1, 1), dt.date(2020, 12, 31)),
                ))
                self.plan.points.append(PointSpec(
                    street_code=code, name=f"{street}社工站慈善捐赠站点", address=station_address,
                    accepts_cash=True, accepts_transfer=True, accepts_goods=True,
                    opening_hours=self.rng.choice(data.OPENING_HOURS),
                ))
                if self.rng.random() < 0.5:
                    community = self.rng.choice(community_names)
                    self.plan.points.append(PointSpec(
                        street_code=code, name=f"{community}慈善超市", address=self.address(district, "首层"),
                        accepts_cash=True, accepts_transfer=False, accepts_goods=True,
                        opening_hours=self.rng.choice(data.OPENING_HOURS),
                    ))

    def person(self, street: str, *, birth: dt.date | None = None, gender: str = "", name: str = "",
               community_index: int | None = None, may_migrate: bool = True) -> PersonSpec:
        _, district, community_codes, _ = self.streets[street]
        if birth is None:
            cohort = self.rng.choices(((1934, 1965), (1966, 2000), (2001, 2007)), weights=(35, 45, 20))[0]
            birth = self.date_between(dt.date(cohort[0], 1, 1), dt.date(cohort[1], 12, 31))
        gender = gender or ("F" if self.rng.random() < (0.55 if birth.year < 1960 else 0.5) else "M")
        name = name or self.name(gender, birth.year)
        if may_migrate and birth.year >= 1960 and self.rng.random() < 0.18:
            birthplaces: tuple[str, ...] = (self.rng.choice(data.MIGRANT_BIRTHPLACES),)
        else:
            birthplaces = data.STREET_BIRTHPLACES.get(street, district.birthplaces)
        community = community_codes[community_index] if community_index is not None else self.rng.choice(community_codes)
        return PersonSpec(real_name=name, community_code=community, resident_id=self.resident_id(birthplaces, birth, gender),
                          phone=self.mobile(), gender=gender)

    def people(self) -> None:
        # Adults only (18+): records of children under 14 need a guardian's separate consent (PIPL).
        for street in self.streets:
            for _ in range(self.rng.randint(15, 25)):
                self.plan.people.append(self.person(street))

    def logins(self) -> None:
        for ref in data.LOGINS:
            street, index = ref.home
            spec = self.person(street, birth=ref.birth, gender=ref.gender, name=ref.real_name,
                               community_index=index, may_migrate=False)
            self.plan.logins.append(LoginSpec(ref=ref, person=spec))


def build_plan(seed: int = data.SEED) -> Plan:
    planner = _Planner(seed)
    planner.divisions()
    agencies = planner.organizations()
    planner.stations(agencies)
    planner.people()
    planner.logins()
    return planner.plan
