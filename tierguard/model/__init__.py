"""The model: the vocabulary every later stage speaks, and nothing else of tierguard.

Takes in nothing from other stages. Hands on :mod:`~tierguard.model.records` (``Resource``,
``Stack``, ``Finding``, ``Result``, ``InputError``), :mod:`~tierguard.model.steps` (one logical
change per resource of a preview), :mod:`~tierguard.model.urn` (URN parsing),
:mod:`~tierguard.model.wire` (property values as the engine's wire form), :mod:`~tierguard.model.globs`
(the one glob matcher and its case rule) and :mod:`~tierguard.model.files` (YAML/JSON input files
read with errors that name the file).
"""
