"""The risk questionnaire (DASH style): questions, scoring, and the level professional judgement sets."""

from __future__ import annotations

from ..models.vocab import RiskLevel
from ..translation import lazy_gettext as _l

QUESTIONNAIRE_VERSION = "dash-2009"
HIGH_THRESHOLD = 14  # 14 or more "yes": high risk
MEDIUM_THRESHOLD = 10

QUESTIONS: tuple[tuple[str, object], ...] = (
    ("injury", _l("Has the current incident resulted in injury?")),
    ("very_frightened", _l("Is she very frightened?")),
    ("fears_further_violence", _l("Is she afraid of further injury or violence?")),
    ("isolated", _l("Does she feel isolated from family or friends?")),
    ("depressed_suicidal", _l("Is she feeling depressed or having suicidal thoughts?")),
    ("separated_recently", _l("Has she separated or tried to separate from the abuser within the past year?")),
    ("child_contact_conflict", _l("Is there conflict over contact with the children?")),
    ("stalking", _l("Does the abuser constantly call, message, follow, stalk or harass her?")),
    ("pregnant_recent_birth", _l("Is she pregnant, or has she had a baby in the last 18 months?")),
    ("more_often", _l("Is the abuse happening more often?")),
    ("getting_worse", _l("Is the abuse getting worse?")),
    ("controlling_jealous", _l("Does the abuser try to control everything she does, or is he excessively jealous?")),
    ("weapons", _l("Has the abuser ever used weapons or objects to hurt her?")),
    ("threats_to_kill", _l("Has the abuser ever threatened to kill her or someone else, and she believed him?")),
    ("strangulation", _l("Has the abuser ever tried to strangle, choke, suffocate or drown her?")),
    ("sexual_abuse", _l("Does the abuser do or say sexual things that hurt or humiliate her?")),
    ("other_threats", _l("Is there another person who has threatened her or whom she fears?")),
    ("hurt_others", _l("Has the abuser hurt anyone else?")),
    ("animal_cruelty", _l("Has the abuser ever mistreated an animal?")),
    ("financial_issues", _l("Are there financial issues (dependence, debts, loss of work)?")),
    ("substance_mental_health", _l("Has the abuser had problems with drugs, alcohol or mental health this year?")),
    ("abuser_suicide_threats", _l("Has the abuser ever threatened or attempted suicide?")),
    ("broke_court_order", _l("Has the abuser ever broken a court order, bail condition or formal agreement?")),
    ("criminal_history", _l("Has the abuser been in trouble with the police, or has a criminal record?")),
)
QUESTION_IDS = tuple(q for q, _ in QUESTIONS)

LEVEL_ORDER = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


def score(answers: dict[str, bool]) -> int:
    unknown = set(answers) - set(QUESTION_IDS)
    if unknown:
        raise ValueError(f"unknown questions: {sorted(unknown)}")
    return sum(1 for q in QUESTION_IDS if answers.get(q) is True)


def level_for_score(points: int) -> RiskLevel:
    if points >= HIGH_THRESHOLD:
        return RiskLevel.HIGH
    if points >= MEDIUM_THRESHOLD:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


def retained_level(computed: RiskLevel, judged: RiskLevel | None) -> RiskLevel:
    """Professional judgement may raise the level, never lower it."""
    if judged is None or LEVEL_ORDER[judged] < LEVEL_ORDER[computed]:
        return computed
    return judged
