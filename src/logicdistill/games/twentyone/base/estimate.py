# Bundled 21 Points functions, stage 1: the lowest sum worth sticking on against this dealer.
# Each returns an int; the first function is the stage's default.
STAGE = "estimate"


def stand_on_17(state):
    """Stick on 17 or more, as the dealer must.

    When: the default; the dealer shows 7 to 10 or an ace (busts 26% or less), or my hand is soft.
    """
    return 17


def stand_on_15(state):
    """Stick on 15 or more: a hit would bust me more often than not.

    When: the dealer shows 2 to 6 (busts 35% or more) and I hold a hard 15 or 16.
    """
    return 15


def stand_on_13(state):
    """Stick on 13 or more: a dealer's 2 to 6 busts often, so do not risk a stiff hand.

    When: the dealer shows 2 to 6 (busts 35% or more) and I hold a hard 13 or 14.
    """
    return 13


def stand_on_12(state):
    """Stick on any stiff hand, 12 or more: the dealer busts most with 4, 5 or 6.

    When: the dealer shows 4, 5 or 6 (busts 39% or more) and I hold a hard 12.
    """
    return 12
