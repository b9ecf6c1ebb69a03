"""Agents of sifsim: households and children (array populations), municipal units and the fund."""

from agents.children import Child, ChildPopulation
from agents.fund import Fund, FundBooks
from agents.households import Household, HouseholdPopulation
from agents.units import MunicipalUnit

__all__ = ["Child", "ChildPopulation", "Fund", "FundBooks", "Household", "HouseholdPopulation",
           "MunicipalUnit"]
