"""Agents of sifsim: households and children (array populations) and municipal units.

The fund is the executive board's books and lives with the accounting
(:mod:`simulation.accounting.fund`); agents never import :mod:`simulation`.
"""

from agents.children import Child, ChildPopulation
from agents.households import Household, HouseholdPopulation
from agents.units import MunicipalUnit

__all__ = ["Child", "ChildPopulation", "Household", "HouseholdPopulation", "MunicipalUnit"]
