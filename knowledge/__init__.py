"""Knowledge layer: the ICD-10-CM code set, the guideline corpus, the indexes and the rule tool.

Nothing here imports agents, api or evals.
"""
