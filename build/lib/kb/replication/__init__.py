"""Replication: city profiles, measure-type inputs, carrier factors, impact models, Monte Carlo, solutions, fit."""
