"""21 Points: Gymnasium's Blackjack-v1 rules, its exact optimum, and a function base for LD."""
