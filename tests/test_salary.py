"""Salary parsing: real pay strings from boards and postings, lookalikes that are not pay, properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.salary import Salary, parse_salary

# (text, expected). Texts marked "real" are copied from tests/fixtures/real/ or rolewatch/demo_data/.
PAY_CASES: list[tuple[str, Salary]] = [
    # A bare "$" is the dollar of the country its sentence names.
    (
        "Pay for this role, for hires in Canada, runs from $130,000 to $170,000 a year.",
        Salary(130000, 170000, "CAD", "year"),
    ),
    ("Our Vancouver office's Canadian salary band: $98,000 - $121,000", Salary(98000, 121000, "CAD", "year")),
    ("For Australian applicants the package is $150k–$175k per annum", Salary(150000, 175000, "AUD", "year")),
    ("The base range for the US and Canada is $140,000 - $180,000.", Salary(140000, 180000, "USD", "year")),
    (
        "Based in Albuquerque, New Mexico, the base salary range is $120,000 - $150,000.",
        Salary(120000, 150000, "USD", "year"),
    ),
    ("We pay $140,000 - $180,000. Some roles are open in Canada too.", Salary(140000, 180000, "USD", "year")),
    # US ranges: hyphen, en dash, em dash, "to", "between ... and", no spaces.
    ("$155,700 - $285,600", Salary(155700, 285600, "USD", "year")),
    ("$155,700 – $285,600", Salary(155700, 285600, "USD", "year")),
    ("$155,700 — $285,600", Salary(155700, 285600, "USD", "year")),
    ("$155,700-$285,600", Salary(155700, 285600, "USD", "year")),
    ("$120K - $150K", Salary(120000, 150000, "USD", "year")),
    ("between $120,000 and $150,000 per year", Salary(120000, 150000, "USD", "year")),
    ("$80,000 - $100,000 a year", Salary(80000, 100000, "USD", "year")),
    ("Salary range: $130,000 – $160,000 USD", Salary(130000, 160000, "USD", "year")),
    ("US$90,000 - US$110,000", Salary(90000, 110000, "USD", "year")),
    ("120,000 - 150,000 USD per year", Salary(120000, 150000, "USD", "year")),
    ("USD 120,000/yr", Salary(120000, 120000, "USD", "year")),
    ("Base salary: $150k+", Salary(150000, 150000, "USD", "year")),
    # Hourly, daily, monthly.
    ("$45/hr", Salary(45, 45, "USD", "hour")),
    ("$40 - $55 per hour", Salary(40, 55, "USD", "hour")),
    ("Pay: $25.50 an hour", Salary(25.5, 25.5, "USD", "hour")),
    ("£35 - £40 per hour", Salary(35, 40, "GBP", "hour")),
    ("£500/day", Salary(500, 500, "GBP", "day")),
    ("$5,000 - $7,000 per month", Salary(5000, 7000, "USD", "month")),
    ("SGD 8,000 - 10,000 monthly", Salary(8000, 10000, "SGD", "month")),
    ("PLN 15 000 – 20 000 / month", Salary(15000, 20000, "PLN", "month")),
    ("€4.500 brutto/Monat", Salary(4500, 4500, "EUR", "month")),
    # Other dollars.
    ("CA$120,000–CA$150,000", Salary(120000, 150000, "CAD", "year")),
    ("C$95,000 - C$110,000", Salary(95000, 110000, "CAD", "year")),
    ("A$140,000 – A$160,000 + super", Salary(140000, 160000, "AUD", "year")),
    ("NZ$100,000 – NZ$120,000", Salary(100000, 120000, "NZD", "year")),
    # Europe: per annum, k on the upper bound only, dots and apostrophes grouping thousands.
    ("£45,000 - £55,000 per annum", Salary(45000, 55000, "GBP", "year")),
    ("€70k–90k", Salary(70000, 90000, "EUR", "year")),
    ("70.000 - 90.000 EUR", Salary(70000, 90000, "EUR", "year")),
    ("EUR 65.000–80.000 brutto/Jahr", Salary(65000, 80000, "EUR", "year")),
    ("CHF 120'000 - 140'000", Salary(120000, 140000, "CHF", "year")),
    # Asia: Indian lakh grouping, yen.
    ("₹12,00,000 - ₹18,00,000", Salary(1200000, 1800000, "INR", "year")),
    ("¥8,000,000", Salary(8000000, 8000000, "JPY", "year")),
    ("₹12 - 18 LPA", Salary(1200000, 1800000, "INR", "year")),
    # German: thousands dots, the euro sign after the figure, "im Monat".
    ("4.500 € - 5.500 € brutto im Monat", Salary(4500, 5500, "EUR", "month")),
    ("Gehalt: 60.000 € pro Jahr", Salary(60000, 60000, "EUR", "year")),
    ("Rate: €600 - €700 per day", Salary(600, 700, "EUR", "day")),
    # real: Stripe Greenhouse content (demo_data/stripe-jobs-content-2026-08-04.json).
    ("Salary: $182,208 - $236,580/yr.", Salary(182208, 236580, "USD", "year")),
    ("Salary: $190,400 – $285,600/yr.", Salary(190400, 285600, "USD", "year")),
    ("Salary: $173,000.00 - $259,600.00/yr.", Salary(173000, 259600, "USD", "year")),
    # real: the seed ad's pay paragraph.
    (
        "The annual US base salary range for this Backend Engineer, Core Technology role is "
        "$155,700 - $285,600. This range may encompass several career levels. Additional benefits "
        "include equity, company bonuses, 401(k) plan, medical, dental, and vision benefits.",
        Salary(155700, 285600, "USD", "year"),
    ),
    # real: Lever Match Group salaryDescription.
    (
        "The salary range for this position is $140,000 to $165,000. Factors such as scope and "
        "responsibilities of the position, candidate's work experience",
        Salary(140000, 165000, "USD", "year"),
    ),
    (
        "The salary range for this position is $220,000 - 230,000.\u00a0 Factors such as scope",
        Salary(220000, 230000, "USD", "year"),
    ),
    (
        "This salary range is reflective of Los Angeles, CA.\u00a0\nThe salary range for San Francisco, "
        "CA & Palo Alto, CA is $200,000-250,000.\u00a0\nFor all other locations, this salary may be "
        "subject to a geographic adjustment",
        Salary(200000, 250000, "USD", "year"),
    ),
    (
        "This salary range is reflective of Dallas, TX . The salary range for New York, NY is "
        "$140,000 - $160,000. For all other locations, this salary may be subject to a geographic "
        "adjustment",
        Salary(140000, 160000, "USD", "year"),
    ),
    # real: Lever Palantir additionalPlain.
    (
        "The salary range for this position is estimated to be $28/hour to $47/hour. Total "
        "compensation for this position may also include Restricted Stock units, sign-on bonus",
        Salary(28, 47, "USD", "hour"),
    ),
    (
        "The estimated salary range for this position is estimated to be $60,000 - $97,000/year. "
        "Total compensation for this position may also include Restricted Stock units",
        Salary(60000, 97000, "USD", "year"),
    ),
    # real: Greenhouse SmarterDx content.
    (
        "Compensation\n\n$34.62/hour\n\nBenefits\n\nMedical, Dental & Vision",
        Salary(34.62, 34.62, "USD", "hour"),
    ),
    ("$75k - $105k salary + benefits, 100% US-based remote", Salary(75000, 105000, "USD", "year")),
    # A range followed by "plus bonus" is still the salary; a year before it is not its lower bound.
    ("$150,000 - $200,000 plus bonus and equity", Salary(150000, 200000, "USD", "year")),
    ("Founded in 2024 - $120,000 - $150,000 base", Salary(120000, 150000, "USD", "year")),
    # real: Ashby HighlightTA compensationTierSummary / scrapeableCompensationSalarySummary.
    ("CA$102.8K – CA$137K", Salary(102800, 137000, "CAD", "year")),
    ("CA$102.8K - CA$137K", Salary(102800, 137000, "CAD", "year")),
    # real: Recruitee (careerkit) requirements.
    ("€75–90k OTE, uncapped (yes, uncapped)", Salary(75000, 90000, "EUR", "year")),
    # real: Ashby Etched description: the pay range wins over benefit amounts around it.
    (
        "- $500 per month credit for waiving medical benefits\n - Housing subsidy of $2k per month "
        "for those living within walking distance of the office\n\nCompensation Range\n\n"
        " - $150,000 - $275,000 \n\nHow we’re different",
        Salary(150000, 275000, "USD", "year"),
    ),
]

NOT_PAY_CASES: list[str] = [
    # Numbers without money.
    "2-12+ years of experience",
    "2–12+ years of professional hands-on software development experience",
    "401(k)",
    "Additional benefits include equity, company bonuses, 401(k) plan, medical, dental, and vision",
    "24/7 on-call",
    "Top 10 in 2023",
    "ISO 27001",
    "SOC 2 Type II and ISO 27001 certified",
    "+1 (415) 555-0132",
    "Call us at 415-555-0132 or +44 20 7946 0958",
    "2024-2025",
    "10-15 people",
    "5-10 hrs/week of travel",
    "C++ and Go; Python 3.11",
    "Salary: competitive",
    "$",
    "",
    # Money that is not pay: company figures (real, Stripe / OpenEvidence / Intercept).
    "we lent over $1B in 2024",
    "$95 million Series B",
    "The team owns the models that protect Stripe's $1.9 trillion payment network from fraud.",
    "We are a $12B company with a 30 person engineering team from MIT, Harvard, and Stanford.",
    "Intercept is a $500M philanthropic initiative",
    "Revenue suite Product Sales is tasked with attacking a $100B market opportunity",
    "Respiratory viruses kill 1 million people a year, cost us $600B annually",
    # Money that is not pay: benefits (real, Etched / Match Group).
    "$500 per month credit for waiving medical benefits",
    "Housing subsidy of $2k per month for those living within walking distance of the office",
    "Date Stipend: All Hinge employees receive a $100 monthly stipend for epic dates",
    "access to 6,000+ online courses through Udemy, and an annual $3,000 stipend for your development",
    "100% employer match on 401k contributions up to 10% (cap at $10,000)",
    "We match 100% of the first 10% of pre-tax 401(k) contributions you make, up to a maximum of "
    "$10,000 per year.",
    "time off to volunteer and charitable donations matched up to $15,000 annually",
    # A descending pair is not a range, nor is either figure pay on its own.
    "$200,000 - $150,000",
    "Salary: $200,000 - $150,000",
    # A bonus alone is not the salary.
    "Sign-on bonus: $10,000",
    "$10,000 signing bonus",
    "We raised $20,000,000 from investors",
]


@pytest.mark.parametrize(("text", "expected"), PAY_CASES, ids=[case[0][:40] for case in PAY_CASES])
def test_pay_text_parses_to_the_stated_range(text: str, expected: Salary) -> None:
    assert parse_salary(text) == expected


@pytest.mark.parametrize("text", NOT_PAY_CASES, ids=[text[:40] for text in NOT_PAY_CASES])
def test_text_that_is_not_pay_gives_none(text: str) -> None:
    assert parse_salary(text) is None


def test_none_gives_none() -> None:
    assert parse_salary(None) is None


bounds = st.tuples(st.integers(1, 10**9), st.integers(0, 10**9)).map(lambda p: (p[0], p[0] + p[1]))


@given(bounds)
def test_any_dollar_range_with_thousands_commas_parses_back_exactly(pair: tuple[int, int]) -> None:
    low, high = pair
    salary = parse_salary(f"${low:,} - ${high:,}")
    assert salary is not None
    assert (salary.min, salary.max, salary.currency) == (low, high, "USD")


@given(bounds, st.sampled_from(["-", "–", "—", "to"]))
def test_a_range_inside_a_sentence_parses_back_exactly(pair: tuple[int, int], dash: str) -> None:
    low, high = pair
    salary = parse_salary(
        f"The base salary range for this role is ${low:,} {dash} ${high:,}. Benefits follow."
    )
    assert salary is not None
    assert (salary.min, salary.max) == (low, high)


@given(st.integers(1, 999), st.integers(0, 999))
def test_european_thousands_with_euro_code_parse_back(low_thousands: int, extra: int) -> None:
    low, high = low_thousands * 1000, (low_thousands + extra) * 1000
    salary = parse_salary(f"{low:,} - {high:,} EUR".replace(",", "."))
    assert salary is not None
    assert (salary.min, salary.max, salary.currency) == (low, high, "EUR")


@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    parse_salary(text)


@given(st.text(alphabet="$€£¥₹0123456789,.' -–k/KMBCAUSDEUR\n"))
def test_money_shaped_noise_never_raises(text: str) -> None:
    salary = parse_salary(text)
    if salary is not None:
        assert salary.min is not None and salary.max is not None
        assert 0 < salary.min <= salary.max
