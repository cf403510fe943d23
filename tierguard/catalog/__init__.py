"""Catalogs: the rules' data, as tables with their sources (datastore types, storage protection
properties, broad roles and actions per cloud, RBAC paths, tier placement).

Takes in only the model (type-token globs). Hands on plain tables that the policies
(:mod:`tierguard.policies`) and the plan guard (:mod:`tierguard.plan`) read; no catalog decides a
verdict itself.
"""
