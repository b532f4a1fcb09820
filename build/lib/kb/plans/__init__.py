"""District plans: the plan as data (TOML), its evaluation into a primary-energy balance, saved plans."""
