"""Every write of the assembly app goes through a function here (see composition, sessions,
recommendations)."""
