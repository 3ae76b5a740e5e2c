"""Emergency drills: training decisions rewritten as if a made-up rule had just come in.

Why: in an emergency the teacher adds a function written for the new rule and it leads its stage
(``emergency.respond``), and the student must pick it without retraining. A student trained only
on the original base learns the names and the actions it was taught, so it keeps answering them
(21 Points' surrender: 0 of 75 asked decisions went to the new function). A drill adds a made-up
rule to the instruction and a made-up function in front of the candidates, with a manual that says
it is the default while that rule is in force. Where the teacher kept the leading candidate (the
old default) the answer becomes the new function, whose preview is either the old default's
(the rule does not bite) or the rule's own action (it does); where the teacher left the default,
the new function plays like the old default and the teacher's answer stands. Half of the drills
rewrite a decision where every old candidate agreed, and there the rule always bites: these are
the states a new rule changes most and where the student was never asked before (at 21 Points'
surrender, a hard 16 against a 10: every old function hits). So the student practises what an
emergency asks: follow the new default, yet keep the deviations it learned.

The drills' rules are unlike the shipped emergency scenarios on purpose: the student never sees
the rules it is measured on.
"""

from __future__ import annotations

from dataclasses import dataclass

from logicdistill.functions.spec import Manual


@dataclass(frozen=True)
class Drill:
    rule: str  # appended to the instruction as "New rule: ..."
    name: str  # the made-up function
    what: str
    rule_name: str  # "the waiting rule"
    action: str  # what the new function returns where the rule bites

    @property
    def manual(self) -> str:
        when = (
            f"the default while the {self.rule_name} rule is in force; unlike the older functions it knows "
            f"when to {self.action}."
        )
        return Manual(what=self.what, when=when).text()  # rendered as every real manual is


DRILLS = (
    Drill(
        "At any decision you may wait: nothing happens this turn, and the next turn comes as usual.",
        "wait_for_better_turn",
        "Wait when acting now would do harm; otherwise act as the older default would.",
        "waiting",
        "wait",
    ),
    Drill(
        "At any decision you may pass your turn to a teammate or to the next round.",
        "pass_on_bad_turn",
        "Pass when this turn is a bad one to act on; otherwise act as the older default would.",
        "passing",
        "pass",
    ),
    Drill(
        "At any decision you may double the stakes of this round.",
        "double_when_favoured",
        "Double the stakes when I am clearly favoured; otherwise act as the older default would.",
        "doubling",
        "double",
    ),
    Drill(
        "At any decision you may send a signal instead of acting; it costs nothing.",
        "signal_when_unsure",
        "Send a signal when every action looks poor; otherwise act as the older default would.",
        "signalling",
        "signal",
    ),
    Drill(
        "At any decision you may swap your position with the nearest free spot.",
        "swap_when_blocked",
        "Swap to the nearest free spot when blocked; otherwise act as the older default would.",
        "swapping",
        "swap",
    ),
    Drill(
        "At any decision you may reset this round and start it again.",
        "reset_lost_round",
        "Reset the round when it is clearly lost; otherwise act as the older default would.",
        "reset",
        "reset",
    ),
)
