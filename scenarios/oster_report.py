"""The Hela familjen Öster final report's own accounting (seed 004, 2018-05-04), as data.

These are the counts and prices the report used; ``simulation.accounting.oster_report``
reproduces its table from them to the krona.
"""

from __future__ import annotations

INVESTMENT_SEK_BY_YEAR = {2014: 1_595_638, 2015: 2_061_857, 2016: 2_325_141, 2017: 2_712_150}
# by post the report's figures add up to 8 694 788 SEK, 2 SEK more than by year (rounding in the seed)
INVESTMENT_SEK_BY_POST = {"open_care": 3_240_223, "financial_aid": 1_709_876, "teacher": 2_381_808,
                          "leisure": 1_362_881}
EXITS_BY_ROUTE = {"work": 21, "stopped_applying": 10, "studies": 6, "other_benefit": 3, "moved": 1}
DEADWEIGHT_EXITS = 3                       # "3 who would have left anyway"
EB_SEK_PER_MONTH = 9_000                   # Innerstaden figure reused in Öster
MONTHS_CLAIMED_PER_EXIT = 12               # one year of saving per exit
OPEN_CARE_FAMILIES = 16                    # spår 2 families in intensive treatment
THERAPISTS = 2
THERAPIST_SEK_PER_HOUR = 295
ORDINARY_HOURS_BY_MONTH = [4.0] * 36       # 36 months × 4 h
INTENSIVE_HOURS_BY_MONTH = [8.0] * 7 + [2.0] * 3
PLACEMENTS_AVOIDED = 10                    # "minst 10" of 29 children at high risk
PLACEMENT_DAYS = 120                       # KOLL mean length of a closed placement
HVB_SEK_PER_DAY = 3_500

REPORTED_SEK = {"investment": 8_694_786, "eb": 4_104_000, "open_care": 774_080,
                "placements": 4_200_000, "total_saving": 9_078_080}
